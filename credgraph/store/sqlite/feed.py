"""The change feed in the embedded store: SQL triggers and a transaction log.

Entry, relation and objection events are written by triggers on those
tables, so every write path (``upsert``, ``bulk``, objections) records its
changes set-based, in its own transaction, and a write that changes nothing
(an identical reload: the upserts' ``WHERE … IS NOT excluded`` leaves the
rows alone) fires nothing. ``seq`` is the rowid of ``changes``: never
deleted, so the next seq is always the largest plus one — strictly
increasing and, because writes are serialised, consecutive within a
transaction. :func:`close_tx` adds the transaction's row to ``change_tx``
(its seq range and ``recorded_at``) just before the commit.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from credgraph.store.feed import KIND_CODES, KINDS_BY_CODE, ChangeEvent, ChangeKind, NewEvent

_K = {kind: code for kind, code in KIND_CODES.items()}


def _changed(fields: Sequence[str]) -> str:
    """A JSON object of the fields whose value changed: ``{field: [old, new]}``."""
    rows = " UNION ALL ".join(f"SELECT '{f}' AS f, OLD.{f} AS o, NEW.{f} AS n" for f in fields)
    return f"(SELECT json_group_object(f, json_array(o, n)) FROM ({rows}) WHERE o IS NOT n)"


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
_RELATION_DETAIL = """json_object('source_id', NEW.source_id, 'role', NEW.role,
 'title', NULLIF(NEW.title, ''), 'start_on', NULLIF(NEW.start_on, ''), 'end_on', NEW.end_on,
 'share_pct', NEW.share_pct)"""
_OBJECTION = "json_object('objection_id', NEW.objection_id, 'filed_on', NEW.filed_on"
# the first upheld objection removes the entry, unless it was removed before
_REMOVED_BY_OBJECTION = """NEW.upheld = 1 AND (SELECT removed_on IS NULL
 OR removed_on > NEW.resolved_on FROM entries WHERE entry_id = NEW.entry_id)
 AND NOT EXISTS (SELECT 1 FROM objections p WHERE p.entry_id = NEW.entry_id AND p.upheld = 1
 AND p.objection_id <> NEW.objection_id AND p.resolved_on <= NEW.resolved_on)"""
_INSERT = "INSERT INTO changes(kind, subject_id, related_id, entry_id, flag, as_of, detail)"

RELATION_ADDED_TRIGGER = f"""CREATE TRIGGER IF NOT EXISTS feed_relation_added
AFTER INSERT ON relations
BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.RELATION_ADDED]}, NEW.target_uscc, NEW.source_id, NULL, NULL,
    NULL, {_RELATION_DETAIL});
END"""
CHANGES_INDEXES = (
    "CREATE INDEX IF NOT EXISTS changes_by_subject ON changes(subject_id)",
    "CREATE INDEX IF NOT EXISTS changes_by_related ON changes(related_id) "
    "WHERE related_id IS NOT NULL",
)
FEED_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS changes(
    seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, subject_id TEXT NOT NULL, related_id TEXT,
    entry_id TEXT, flag TEXT, as_of TEXT, detail TEXT
);
{CHANGES_INDEXES[0]};
{CHANGES_INDEXES[1]};
CREATE TABLE IF NOT EXISTS change_tx(
    tx INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL UNIQUE,
    recorded_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS feed_entry_added AFTER INSERT ON entries BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.ENTRY_ADDED]}, NEW.subject_id, NULL, NEW.entry_id, NULL, NULL,
    json_object('list', NEW.list, 'category', NEW.category, 'decided_on', NEW.decided_on,
      'valid_until', NEW.valid_until, 'removed_on', NEW.removed_on,
      'removal_reason', NEW.removal_reason, 'authority', NEW.authority));
END;
CREATE TRIGGER IF NOT EXISTS feed_entry_removed AFTER UPDATE ON entries
WHEN OLD.removed_on IS NULL AND NEW.removed_on IS NOT NULL BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.ENTRY_REMOVED]}, NEW.subject_id, NULL, NEW.entry_id, NULL,
    NULL, json_object('list', NEW.list, 'removed_on', NEW.removed_on,
      'removal_reason', NEW.removal_reason));
END;
CREATE TRIGGER IF NOT EXISTS feed_entry_changed AFTER UPDATE ON entries
WHEN NOT (OLD.removed_on IS NULL AND NEW.removed_on IS NOT NULL) BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.ENTRY_CHANGED]}, NEW.subject_id, NULL, NEW.entry_id, NULL,
    NULL, json_object('list', NEW.list, 'changed', json({_changed(_ENTRY_FIELDS)})));
END;
{RELATION_ADDED_TRIGGER};
CREATE TRIGGER IF NOT EXISTS feed_relation_ended AFTER UPDATE ON relations
WHEN NEW.end_on IS NOT NULL AND OLD.end_on IS NOT NEW.end_on BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.RELATION_ENDED]}, NEW.target_uscc, NEW.source_id, NULL, NULL,
    NULL, {_RELATION_DETAIL});
END;
CREATE TRIGGER IF NOT EXISTS feed_relation_changed AFTER UPDATE ON relations
WHEN NOT (NEW.end_on IS NOT NULL AND OLD.end_on IS NOT NEW.end_on) BEGIN
  {_INSERT} VALUES ({_K[ChangeKind.RELATION_ADDED]}, NEW.target_uscc, NEW.source_id, NULL, NULL,
    NULL, json_set({_RELATION_DETAIL}, '$.changed',
      json({_changed(("share_pct", "end_on", "source_type"))})));
END;
CREATE TRIGGER IF NOT EXISTS feed_objection_filed AFTER INSERT ON objections BEGIN
  {_INSERT} SELECT {_K[ChangeKind.ENTRY_CHANGED]}, e.subject_id, NULL, NEW.entry_id, NULL,
    NEW.filed_on, json_object('list', e.list, 'objection',
      {_OBJECTION}, 'reason', NEW.reason, 'status', 'filed'), 'suspended', json('true'))
    FROM entries e WHERE e.entry_id = NEW.entry_id;
END;
CREATE TRIGGER IF NOT EXISTS feed_objection_resolved AFTER UPDATE ON objections
WHEN OLD.resolved_on IS NULL AND NEW.resolved_on IS NOT NULL BEGIN
  {_INSERT} SELECT
    CASE WHEN {_REMOVED_BY_OBJECTION} THEN {_K[ChangeKind.ENTRY_REMOVED]}
         ELSE {_K[ChangeKind.ENTRY_CHANGED]} END,
    e.subject_id, NULL, NEW.entry_id, NULL, NEW.resolved_on,
    json_object('list', e.list, 'objection', {_OBJECTION}, 'resolved_on', NEW.resolved_on,
      'status', CASE WHEN NEW.upheld = 1 THEN 'upheld' ELSE 'rejected' END),
      'suspended', json('false'),
      'removed_on', CASE WHEN {_REMOVED_BY_OBJECTION} THEN NEW.resolved_on END,
      'removal_reason', CASE WHEN {_REMOVED_BY_OBJECTION} THEN 'revoked_on_objection' END)
    FROM entries e WHERE e.entry_id = NEW.entry_id;
END;
"""


def statements(script: str) -> tuple[str, ...]:
    """The statements of ``script`` one by one (a trigger's body keeps its
    semicolons), for an upgrade transaction that must not ``executescript``.

    >>> statements("CREATE TABLE t(a); CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;")
    ('CREATE TABLE t(a);', 'CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;')
    """
    out: list[str] = []
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    return tuple(out)


FEED_STATEMENTS = statements(FEED_SCHEMA)


#: a first relations batch at least this large, into an empty relations
#: table, has its events written set-based at the end of the load
BULK_RELATIONS = 10_000
#: ... and the feed's indexes rebuilt then, when the feed is this small
REBUILD_BELOW = 1_000_000


class BulkFeed:
    """Relation events of a large load into an empty store, set-based.

    On an empty relations table every relation of the load is new, so
    instead of a trigger per row (and random inserts into the feed's
    indexes) the load's ``relation_added`` events are written by one
    ``INSERT … SELECT`` when it finishes — in the same transaction — and the
    indexes are rebuilt once. Smaller or later loads keep the triggers,
    which fire only for rows that changed.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.checked = False
        self.deferred = False
        self.rebuild = False

    def before(self, relations: int) -> None:
        """Call before each batch is written, with its number of relations."""
        if not relations or self.checked:
            return
        self.checked = True
        if relations < BULK_RELATIONS:
            return
        if self.conn.execute("SELECT 1 FROM relations LIMIT 1").fetchone() is not None:
            return
        self.conn.execute("DROP TRIGGER IF EXISTS feed_relation_added")
        self.deferred = True
        if mark(self.conn) < REBUILD_BELOW:
            self.conn.execute("DROP INDEX IF EXISTS changes_by_subject")
            self.conn.execute("DROP INDEX IF EXISTS changes_by_related")
            self.rebuild = True

    def finish(self) -> None:
        """Write the deferred events and restore the trigger and indexes."""
        if self.deferred:
            detail = _RELATION_DETAIL.replace("NEW.", "r.")
            self.conn.execute(
                f"{_INSERT} SELECT {_K[ChangeKind.RELATION_ADDED]}, r.target_uscc, r.source_id, "
                f"NULL, NULL, NULL, {detail} FROM relations r ORDER BY r.target_uscc, r.source_id"
            )
            self.conn.execute(RELATION_ADDED_TRIGGER)
            self.deferred = False
        if self.rebuild:
            for statement in CHANGES_INDEXES:
                self.conn.execute(statement)
            self.rebuild = False


def mark(conn: sqlite3.Connection) -> int:
    """The last seq before a transaction's writes (call right after BEGIN);
    -1 while the store has no feed yet (the transaction that creates it)."""
    try:
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return -1
    return int(row[0])


def append(conn: sqlite3.Connection, events: Iterable[NewEvent]) -> None:
    """Append events computed outside the store (flags, verdicts)."""
    conn.executemany(
        f"{_INSERT} VALUES (?,?,?,?,?,?,?)",
        (
            (
                KIND_CODES[e.kind],
                e.subject_id,
                e.related_id,
                e.entry_id,
                e.flag,
                e.as_of.isoformat() if e.as_of else None,
                json.dumps(e.detail, ensure_ascii=False) if e.detail is not None else None,
            )
            for e in events
        ),
    )


def close_tx(conn: sqlite3.Connection, before: int) -> None:
    """Record the transaction's seq range and time, if it wrote events
    (call just before COMMIT, with :func:`mark`'s value)."""
    last = mark(conn)
    if before >= 0 and last > before:
        conn.execute(
            "INSERT INTO change_tx(first_seq, last_seq, recorded_at) VALUES (?,?,?)",
            (before + 1, last, datetime.now(UTC).isoformat(timespec="microseconds")),
        )


def _ids(ids: Iterable[str]) -> str:
    return json.dumps(list(dict.fromkeys(ids)), ensure_ascii=False)


def read_changes(
    conn: sqlite3.Connection,
    after_seq: int,
    limit: int,
    subject_ids: Iterable[str] | None,
    watchlist: str | None,
    upto_seq: int | None,
) -> list[ChangeEvent]:
    """Events after ``after_seq`` by seq (see ``ChangeFeed.changes``)."""
    where = ["c.seq > ?"]
    args: list[object] = [after_seq]
    if upto_seq is not None:
        where.append("c.seq <= ?")
        args.append(upto_seq)
    if subject_ids is not None:
        where.append(
            "(c.subject_id IN (SELECT value FROM json_each(?)) "
            "OR c.related_id IN (SELECT value FROM json_each(?)))"
        )
        ids = _ids(subject_ids)
        args += [ids, ids]
    if watchlist is not None:
        watched = "SELECT subject_id FROM watched WHERE watchlist = ?"
        where.append(f"(c.subject_id IN ({watched}) OR c.related_id IN ({watched}))")
        args += [watchlist, watchlist]
    rows = conn.execute(
        "SELECT c.seq, c.kind, c.subject_id, c.related_id, c.entry_id, c.flag, c.as_of, c.detail "
        f"FROM changes c WHERE {' AND '.join(where)} ORDER BY c.seq LIMIT ?",
        [*args, limit],
    ).fetchall()
    if not rows:
        return []
    txs = conn.execute(
        "SELECT tx, first_seq, last_seq, recorded_at FROM change_tx "
        "WHERE last_seq >= ? AND first_seq <= ? ORDER BY last_seq",
        (rows[0][0], rows[-1][0]),
    ).fetchall()
    lasts = [t[2] for t in txs]
    out: list[ChangeEvent] = []
    for seq, kind, subject, related, entry, flag, as_of, detail in rows:
        tx = txs[bisect.bisect_left(lasts, seq)]
        out.append(
            ChangeEvent(
                seq=seq,
                tx=tx[0],
                recorded_at=datetime.fromisoformat(tx[3]),
                as_of=date.fromisoformat(as_of) if as_of else None,
                subject_id=subject,
                related_id=related,
                kind=KINDS_BY_CODE[kind],
                entry_id=entry,
                flag=flag,
                detail=json.loads(detail) if detail else None,
            )
        )
    return out


def seq_before(conn: sqlite3.Connection, when: datetime) -> int:
    """The last seq of the transactions recorded before ``when``."""
    row = conn.execute(
        "SELECT MAX(last_seq) FROM change_tx WHERE recorded_at < ?",
        (when.astimezone(UTC).isoformat(timespec="microseconds"),),
    ).fetchone()
    return int(row[0] or 0)
