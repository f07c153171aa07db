"""The change feed on Neo4j: the same events as the embedded store's triggers.

Neo4j has no triggers, so a write computes its events itself, inside its own
transaction: before a batch is merged, :func:`batch_events` reads the stored
state of the batch's entries and relations and compares it with the batch
(an identical reload compares equal and records nothing); objections and
``save_flags`` append theirs. :class:`FeedWriter` numbers them: the
``change_seq`` counter node is locked by the first reservation until the
transaction ends, so the events of one transaction get consecutive seqs and
``recorded_at`` (server time at that reservation) grows with ``seq``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from neo4j import ManagedTransaction, Record, Transaction

from credgraph.model import Batch, ListEntry, Relation
from credgraph.store.feed import ChangeEvent, ChangeKind, NewEvent

_Tx = ManagedTransaction | Transaction

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
STORED_ENTRIES = """
MATCH (e:ListEntry)
WHERE e.entry_id IN $entry_ids
RETURN properties(e) AS props
"""
STORED_RELATIONS = """
UNWIND $rows AS row
MATCH (s)-[r]->(t:Enterprise {uscc: row.target_uscc})
WHERE coalesce(s.uscc, s.person_id) = row.source_id AND type(r) = row.type
  AND r.title = row.title AND r.start_on = row.start_on
RETURN row.key AS key, properties(r) AS props
"""
OBJECTION_ENTRY = """
MATCH (e:ListEntry {entry_id: $entry_id})
OPTIONAL MATCH (p:Objection {entry_id: $entry_id, upheld: true})
WHERE p.objection_id <> $objection_id AND p.resolved_on <= $resolved_on
RETURN e.subject_id AS subject_id, e.list AS list, e.removed_on AS removed_on,
       count(p) AS upheld_before
"""

#: what the Cypher lint (tests/store/test_cypher_lint.py) declares beside
#: ``cypher``'s schema, and a sample of every statement's parameters
LABELS: Final = ("Change", "Meta", "ListEntry", "Objection", "Enterprise", "Watched")
PROPERTY_KEYS: Final = (
    "seq", "tx", "recorded_us", "kind", "subject_id", "related_id", "entry_id", "flag",
    "as_of", "detail", "key", "value", "_lock", "uscc", "person_id", "title", "start_on",
    "list", "removed_on", "objection_id", "upheld", "resolved_on", "watchlist",
)  # fmt: skip
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
    "STORED_ENTRIES": {"entry_ids": ["E1"]},
    "STORED_RELATIONS": {
        "rows": [
            {
                "key": 0,
                "source_id": "P1",
                "target_uscc": "U1",
                "type": "SHAREHOLDER",
                "title": "",
                "start_on": "",
            }
        ]
    },
    "OBJECTION_ENTRY": {"entry_id": "E1", "objection_id": 1, "resolved_on": "2024-01-03"},
}

_ENTRY_FIELDS = (
    "subject_id",
    "list",
    "category",
    "reason",
    "authority",
    "case_no",
    "decided_on",
    "valid_until",
    "removed_on",
    "removal_reason",
    "responsible",
)


class FeedWriter:
    """Appends the events of one transaction with consecutive seqs."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx
        self.number: int | None = None
        self.recorded_us = 0

    def append(self, events: Sequence[NewEvent]) -> None:
        if not events:
            return
        if self.number is None:
            record = self.tx.run(RESERVE_TX).single(strict=True)
            self.number, self.recorded_us = int(record["tx"]), int(record["recorded_us"])
        rows = [
            {
                "kind": e.kind.value,
                "subject_id": e.subject_id,
                "related_id": e.related_id,
                "entry_id": e.entry_id,
                "flag": e.flag,
                "as_of": e.as_of.isoformat() if e.as_of else None,
                "detail": None if e.detail is None else json.dumps(e.detail, ensure_ascii=False),
            }
            for e in events
        ]
        for start in range(0, len(rows), 5000):
            self.tx.run(
                APPEND_EVENTS,
                {
                    "rows": rows[start : start + 5000],
                    "tx": self.number,
                    "recorded_us": self.recorded_us,
                },
            ).consume()


# -- what a batch changes ------------------------------------------------------
def _entry_values(e: ListEntry) -> dict[str, Any]:
    return {
        "subject_id": e.subject_id,
        "list": e.list.value,
        "category": e.category.value if e.category else None,
        "reason": e.reason,
        "authority": e.authority,
        "case_no": e.case_no,
        "decided_on": e.decided_on.isoformat(),
        "valid_until": e.valid_until.isoformat() if e.valid_until else None,
        "removed_on": e.removed_on.isoformat() if e.removed_on else None,
        "removal_reason": e.removal_reason.value if e.removal_reason else None,
        "responsible": ";".join(e.responsible_person_ids),
    }


def _stored_entry(p: Mapping[str, Any]) -> dict[str, Any]:
    values = {f: p.get(f) for f in _ENTRY_FIELDS}
    values["responsible"] = ";".join(p.get("responsible_person_ids") or ())
    return values


def entry_event(
    old: Mapping[str, Any] | None, new: dict[str, Any], entry_id: str
) -> NewEvent | None:
    """The event of writing entry values ``new`` over ``old`` (None: absent)."""
    subject = str(new["subject_id"])
    if old is None:
        detail = {
            k: new[k]
            for k in (
                "list",
                "category",
                "decided_on",
                "valid_until",
                "removed_on",
                "removal_reason",
                "authority",
            )
        }
        return NewEvent(
            kind=ChangeKind.ENTRY_ADDED, subject_id=subject, entry_id=entry_id, detail=detail
        )
    changed = {f: [old[f], new[f]] for f in _ENTRY_FIELDS if old[f] != new[f]}
    if not changed:
        return None
    if old["removed_on"] is None and new["removed_on"] is not None:
        return NewEvent(
            kind=ChangeKind.ENTRY_REMOVED,
            subject_id=subject,
            entry_id=entry_id,
            detail={
                "list": new["list"],
                "removed_on": new["removed_on"],
                "removal_reason": new["removal_reason"],
            },
        )
    return NewEvent(
        kind=ChangeKind.ENTRY_CHANGED,
        subject_id=subject,
        entry_id=entry_id,
        detail={"list": new["list"], "changed": changed},
    )


def _relation_detail(r: Relation) -> dict[str, Any]:
    return {
        "source_id": r.source_id,
        "role": r.role.value,
        "title": r.title.value if r.title else None,
        "start_on": r.start_on.isoformat() if r.start_on else None,
        "end_on": r.end_on.isoformat() if r.end_on else None,
        "share_pct": r.share_pct,
    }


def relation_event(old: Mapping[str, Any] | None, r: Relation) -> NewEvent | None:
    """The event of writing relation ``r`` over its stored ``share_pct`` and
    ``end_on`` (None: absent)."""
    detail = _relation_detail(r)
    base = {"subject_id": r.target_uscc, "related_id": r.source_id}
    if old is None:
        return NewEvent(kind=ChangeKind.RELATION_ADDED, detail=detail, **base)
    changed = {f: [old[f], detail[f]] for f in ("share_pct", "end_on") if old[f] != detail[f]}
    if not changed:
        return None
    if detail["end_on"] is not None and old["end_on"] != detail["end_on"]:
        return NewEvent(kind=ChangeKind.RELATION_ENDED, detail=detail, **base)
    return NewEvent(kind=ChangeKind.RELATION_ADDED, detail={**detail, "changed": changed}, **base)


def batch_events(tx: _Tx, batch: Batch) -> list[NewEvent]:
    """The events of writing ``batch`` (read before it is written): its
    relations, then its entries, in batch order — as the triggers of the
    embedded store record them."""
    events: list[NewEvent] = []
    if batch.relations:
        rows = [
            {
                "key": i,
                "source_id": r.source_id,
                "target_uscc": r.target_uscc,
                "type": r.role.value.upper(),
                "title": r.identity[3],
                "start_on": r.identity[4],
            }
            for i, r in enumerate(batch.relations)
        ]
        stored: dict[int, Record] = {}
        for start in range(0, len(rows), 5000):
            for rec in tx.run(STORED_RELATIONS, {"rows": rows[start : start + 5000]}):
                stored[int(rec["key"])] = rec
        seen: dict[tuple[str, ...], dict[str, Any]] = {}
        for i, r in enumerate(batch.relations):
            old = seen.get(r.identity) or (
                {
                    "share_pct": stored[i]["props"].get("share_pct"),
                    "end_on": stored[i]["props"].get("end_on"),
                }
                if i in stored
                else None
            )
            event = relation_event(old, r)
            if event is not None:
                events.append(event)
            seen[r.identity] = {
                "share_pct": r.share_pct,
                "end_on": r.end_on.isoformat() if r.end_on else None,
            }
    if batch.entries:
        ids = list(dict.fromkeys(e.entry_id for e in batch.entries))
        old_entries: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 5000):
            for rec in tx.run(STORED_ENTRIES, {"entry_ids": ids[start : start + 5000]}):
                old_entries[rec["props"]["entry_id"]] = _stored_entry(rec["props"])
        for e in batch.entries:
            new = _entry_values(e)
            event = entry_event(old_entries.get(e.entry_id), new, e.entry_id)
            if event is not None:
                events.append(event)
            old_entries[e.entry_id] = new
    return events


def objection_event(tx: _Tx, objection: Mapping[str, Any], resolved: bool) -> NewEvent | None:
    """The event of filing (``resolved`` False) or resolving an objection."""
    record = tx.run(
        OBJECTION_ENTRY,
        {
            "entry_id": objection["entry_id"],
            "objection_id": objection["objection_id"],
            "resolved_on": objection.get("resolved_on") or "",
        },
    ).single()
    if record is None or record["subject_id"] is None:
        return None
    head = {"objection_id": objection["objection_id"], "filed_on": objection["filed_on"]}
    base = {"subject_id": record["subject_id"], "entry_id": objection["entry_id"]}
    if not resolved:
        return NewEvent(
            kind=ChangeKind.ENTRY_CHANGED,
            as_of=date.fromisoformat(objection["filed_on"]),
            detail={
                "list": record["list"],
                "objection": {**head, "reason": objection["reason"], "status": "filed"},
                "suspended": True,
            },
            **base,
        )
    resolved_on = str(objection["resolved_on"])
    removes = (
        bool(objection.get("upheld"))
        and (record["removed_on"] is None or record["removed_on"] > resolved_on)
        and int(record["upheld_before"]) == 0
    )
    return NewEvent(
        kind=ChangeKind.ENTRY_REMOVED if removes else ChangeKind.ENTRY_CHANGED,
        as_of=date.fromisoformat(resolved_on),
        detail={
            "list": record["list"],
            "objection": {
                **head,
                "resolved_on": resolved_on,
                "status": "upheld" if objection.get("upheld") else "rejected",
            },
            "suspended": False,
            "removed_on": resolved_on if removes else None,
            "removal_reason": "revoked_on_objection" if removes else None,
        },
        **base,
    )


# -- reading -------------------------------------------------------------------
def change_event(p: Mapping[str, Any]) -> ChangeEvent:
    return ChangeEvent(
        seq=int(p["seq"]),
        tx=int(p["tx"]),
        recorded_at=datetime(1970, 1, 1, tzinfo=UTC)
        + timedelta(microseconds=int(p["recorded_us"])),
        as_of=date.fromisoformat(p["as_of"]) if p.get("as_of") else None,
        subject_id=p["subject_id"],
        related_id=p.get("related_id"),
        kind=ChangeKind(p["kind"]),
        entry_id=p.get("entry_id"),
        flag=p.get("flag"),
        detail=json.loads(p["detail"]) if p.get("detail") else None,
    )


def changes_params(
    after_seq: int,
    limit: int,
    subject_ids: Iterable[str] | None,
    watchlist: str | None,
    upto_seq: int | None,
) -> dict[str, Any]:
    return {
        "after": after_seq,
        "limit": limit,
        "ids": None if subject_ids is None else list(dict.fromkeys(subject_ids)),
        "watchlist": watchlist,
        "upto": upto_seq,
    }


def micros(when: datetime) -> int:
    """``when`` as microseconds since the epoch (how ``recorded_at`` is kept)."""
    delta = when.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
