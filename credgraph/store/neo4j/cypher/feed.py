"""The change feed: ``(:Change {seq})`` events and their counters.

``(:Meta {key: 'change_seq'})`` holds the last seq given and
``(:Meta {key: 'change_tx'})`` the last transaction number; a writer locks
``change_seq`` with its first reservation (``RESERVE_TX``), so the events of
one transaction get consecutive seqs (``credgraph.store.neo4j.feed``).
"""

from __future__ import annotations

from typing import Any, Final

CONSTRAINT_CHANGE_SEQ = """
CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (c:Change) REQUIRE c.seq IS UNIQUE
"""
INDEX_CHANGE_SUBJECT = """
CREATE INDEX change_subject IF NOT EXISTS FOR (c:Change) ON (c.subject_id)
"""
INDEX_CHANGE_RELATED = """
CREATE INDEX change_related IF NOT EXISTS FOR (c:Change) ON (c.related_id)
"""
INDEX_CHANGE_RECORDED = """
CREATE INDEX change_recorded IF NOT EXISTS FOR (c:Change) ON (c.recorded_us)
"""
#: run at start-up with ``schema.SCHEMA`` (idempotent)
SCHEMA: Final = (
    CONSTRAINT_CHANGE_SEQ,
    INDEX_CHANGE_SUBJECT,
    INDEX_CHANGE_RELATED,
    INDEX_CHANGE_RECORDED,
)
# ``MERGE`` on the unique Meta key: the counter exists whatever wiped the database
RESERVE_TX = """
MERGE (t:Meta {key: 'change_tx'}) ON CREATE SET t.value = 0
SET t.value = t.value + 1
WITH t
MERGE (m:Meta {key: 'change_seq'}) ON CREATE SET m.value = 0
SET m._lock = true
REMOVE m._lock
WITH t, datetime.realtime() AS now
RETURN t.value AS tx, now.epochMillis * 1000 + now.microsecond % 1000 AS recorded_us
"""
APPEND_EVENTS = """
MERGE (m:Meta {key: 'change_seq'}) ON CREATE SET m.value = 0
SET m.value = m.value + size($rows)
WITH m.value - size($rows) AS base
UNWIND range(0, size($rows) - 1) AS i
WITH base + i + 1 AS seq, $rows[i] AS row
CREATE (:Change {seq: seq, tx: $tx, recorded_us: $recorded_us, kind: row.kind,
                 subject_id: row.subject_id, related_id: row.related_id,
                 entry_id: row.entry_id, flag: row.flag, as_of: row.as_of, detail: row.detail})
"""
LAST_SEQ = """
OPTIONAL MATCH (m:Meta {key: 'change_seq'})
RETURN coalesce(m.value, 0) AS seq
"""
SEQ_BEFORE = """
MATCH (c:Change)
WHERE c.recorded_us < $before
RETURN coalesce(max(c.seq), 0) AS seq
"""
_CHANGE_FILTER = """
WHERE c.seq > $after AND ($upto IS NULL OR c.seq <= $upto)
  AND ($ids IS NULL OR c.subject_id IN $ids OR c.related_id IN $ids)
  AND ($watchlist IS NULL
       OR EXISTS { MATCH (w:Watched {watchlist: $watchlist}) WHERE w.subject_id = c.subject_id }
       OR EXISTS { MATCH (w:Watched {watchlist: $watchlist}) WHERE w.subject_id = c.related_id })
RETURN properties(c) AS change
ORDER BY c.seq
LIMIT $limit
"""
CHANGES = "MATCH (c:Change)" + _CHANGE_FILTER
OBJECTION_ENTRY = """
MATCH (e:ListEntry {entry_id: $entry_id})
OPTIONAL MATCH (p:Objection {entry_id: $entry_id, upheld: true})
WHERE p.objection_id <> $objection_id AND p.resolved_on <= $resolved_on
RETURN e.subject_id AS subject_id, e.list AS list, e.removed_on AS removed_on,
       count(p) AS upheld_before
"""

_ROW = {"kind": "flag_added", "subject_id": "U1", "related_id": None, "entry_id": "E1",
        "flag": "listed", "as_of": "2024-01-01", "detail": "{}"}  # fmt: skip
PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    "CONSTRAINT_CHANGE_SEQ": {},
    "INDEX_CHANGE_SUBJECT": {},
    "INDEX_CHANGE_RELATED": {},
    "INDEX_CHANGE_RECORDED": {},
    "RESERVE_TX": {},
    "APPEND_EVENTS": {"rows": [_ROW], "tx": 1, "recorded_us": 1_700_000_000_000_000},
    "LAST_SEQ": {},
    "SEQ_BEFORE": {"before": 1_700_000_000_000_000},
    "CHANGES": {"after": 0, "upto": 10, "ids": ["U1"], "watchlist": "w", "limit": 100},
    "OBJECTION_ENTRY": {"entry_id": "E1", "objection_id": 1, "resolved_on": "2024-01-03"},
}
