"""Embedded store: one SQLite file in WAL mode, no server.

Every ``upsert`` is one transaction, so a crash mid-batch leaves the file as
it was before the batch. Sets of ids travel as one JSON parameter
(``json_each``), so a hop is one statement whatever the number of ids.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from credgraph.model import (
    Batch,
    Category,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    ListEntry,
    ListKind,
    Node,
    NodeKind,
    Objection,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)
from credgraph.store import sqlite_feed
from credgraph.store.base import (
    AuditRecord,
    BulkWriter,
    Commitment,
    Direction,
    SearchField,
    StoredFlags,
    UnknownCommitment,
    UnknownObjection,
)
from credgraph.store.feed import NewEvent
from credgraph.store.sqlite_monitor import MONITOR_SCHEMA, EmbeddedMonitor
from credgraph.store.sqlite_search import (
    SEARCH_SCHEMA,
    ensure_index,
    index_names,
    search_ids,
    search_index_current,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enterprises(
    uscc TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT,
    established_on TEXT, registered_capital REAL, region TEXT, industry TEXT,
    address TEXT, phone TEXT, email TEXT, phone_norm TEXT, email_norm TEXT, address_norm TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS persons(
    person_id TEXT PRIMARY KEY, id_type TEXT NOT NULL, name TEXT NOT NULL,
    phone TEXT, address TEXT, phone_norm TEXT, address_norm TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relations(
    source_id TEXT NOT NULL, source_type TEXT NOT NULL, target_uscc TEXT NOT NULL,
    role TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', start_on TEXT NOT NULL DEFAULT '',
    share_pct REAL, end_on TEXT,
    PRIMARY KEY(source_id, target_uscc, role, title, start_on)
) WITHOUT ROWID;
{relations_by_target};
CREATE TABLE IF NOT EXISTS entries(
    entry_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, subject_type TEXT NOT NULL,
    list TEXT NOT NULL, category TEXT, reason TEXT, authority TEXT, case_no TEXT,
    decided_on TEXT NOT NULL, valid_until TEXT, removed_on TEXT, removal_reason TEXT,
    responsible TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_subject ON entries(subject_id);
CREATE INDEX IF NOT EXISTS entries_by_list ON entries(list);
CREATE TABLE IF NOT EXISTS entry_responsible(
    person_id TEXT NOT NULL, entry_id TEXT NOT NULL, PRIMARY KEY(person_id, entry_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objections(
    objection_id INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL,
    reason TEXT NOT NULL, filed_on TEXT NOT NULL, resolved_on TEXT, upheld INTEGER
);
CREATE INDEX IF NOT EXISTS objections_by_entry ON objections(entry_id);
CREATE TABLE IF NOT EXISTS flags(
    subject_id TEXT NOT NULL, flag TEXT NOT NULL, entry_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY(subject_id, flag, entry_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS flags_by_entry ON flags(entry_id);
CREATE TABLE IF NOT EXISTS audit(
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,
    role TEXT NOT NULL, endpoint TEXT NOT NULL, subject_ids TEXT NOT NULL, as_of TEXT
);
CREATE TABLE IF NOT EXISTS commitments(
    commitment_id INTEGER PRIMARY KEY AUTOINCREMENT, subject_id TEXT NOT NULL,
    matter TEXT NOT NULL, promised_by TEXT NOT NULL, made_on TEXT NOT NULL, fulfilled_on TEXT
);
CREATE INDEX IF NOT EXISTS commitments_by_subject ON commitments(subject_id);
"""

#: page cache (negative = KiB): 256 MiB for queries, 1 GiB during a bulk load
CACHE_KIB = -262_144
BULK_CACHE_KIB = -1_048_576

#: covering index for expansions towards sources (who holds a role in X)
RELATIONS_BY_TARGET = """CREATE INDEX IF NOT EXISTS relations_by_target ON relations(
    target_uscc, source_id, role, title, start_on, share_pct, end_on, source_type)"""
SCHEMA = SCHEMA.replace("{relations_by_target}", RELATIONS_BY_TARGET)

UPSERT_ENTERPRISE = """
INSERT INTO enterprises VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(uscc) DO UPDATE SET name=excluded.name, kind=excluded.kind, status=excluded.status,
 established_on=excluded.established_on, registered_capital=excluded.registered_capital,
 region=excluded.region, industry=excluded.industry, address=excluded.address,
 phone=excluded.phone, email=excluded.email, phone_norm=excluded.phone_norm,
 email_norm=excluded.email_norm, address_norm=excluded.address_norm
WHERE (name, kind, status, established_on, registered_capital, region, industry, address, phone,
 email, phone_norm, email_norm, address_norm) IS NOT (excluded.name, excluded.kind,
 excluded.status, excluded.established_on, excluded.registered_capital, excluded.region,
 excluded.industry, excluded.address, excluded.phone, excluded.email, excluded.phone_norm,
 excluded.email_norm, excluded.address_norm)
"""
UPSERT_PERSON = """
INSERT INTO persons VALUES (?,?,?,?,?,?,?)
ON CONFLICT(person_id) DO UPDATE SET id_type=excluded.id_type, name=excluded.name,
 phone=excluded.phone, address=excluded.address, phone_norm=excluded.phone_norm,
 address_norm=excluded.address_norm
WHERE (id_type, name, phone, address, phone_norm, address_norm) IS NOT (excluded.id_type,
 excluded.name, excluded.phone, excluded.address, excluded.phone_norm, excluded.address_norm)
"""
UPSERT_RELATION = """
INSERT INTO relations VALUES (?,?,?,?,?,?,?,?)
ON CONFLICT(source_id, target_uscc, role, title, start_on) DO UPDATE SET
 share_pct=excluded.share_pct, end_on=excluded.end_on, source_type=excluded.source_type
WHERE (share_pct, end_on, source_type) IS NOT (excluded.share_pct, excluded.end_on,
 excluded.source_type)
"""
UPSERT_ENTRY = """
INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(entry_id) DO UPDATE SET subject_id=excluded.subject_id,
 subject_type=excluded.subject_type, list=excluded.list, category=excluded.category,
 reason=excluded.reason, authority=excluded.authority, case_no=excluded.case_no,
 decided_on=excluded.decided_on, valid_until=excluded.valid_until,
 removed_on=excluded.removed_on, removal_reason=excluded.removal_reason,
 responsible=excluded.responsible
WHERE (subject_id, subject_type, list, category, reason, authority, case_no, decided_on,
 valid_until, removed_on, removal_reason, responsible) IS NOT (excluded.subject_id,
 excluded.subject_type, excluded.list, excluded.category, excluded.reason, excluded.authority,
 excluded.case_no, excluded.decided_on, excluded.valid_until, excluded.removed_on,
 excluded.removal_reason, excluded.responsible)
"""

# An upheld objection removes the entry as of its resolution day, whatever a
# later reload of the source says (DESIGN §3, 003:L32).
ENTRY_COLUMNS = """
e.entry_id, e.subject_id, e.subject_type, e.list, e.category, e.reason, e.authority,
e.case_no, e.decided_on, e.valid_until,
CASE WHEN u.resolved_on IS NOT NULL AND (e.removed_on IS NULL OR u.resolved_on < e.removed_on)
     THEN u.resolved_on ELSE e.removed_on END,
CASE WHEN u.resolved_on IS NOT NULL AND (e.removed_on IS NULL OR u.resolved_on < e.removed_on)
     THEN 'revoked_on_objection' ELSE e.removal_reason END,
e.responsible
"""
ENTRY_FROM = """
FROM entries e LEFT JOIN (
  SELECT entry_id, MIN(resolved_on) AS resolved_on FROM objections WHERE upheld = 1
  GROUP BY entry_id) u ON u.entry_id = e.entry_id
"""

_ROLES = {r.value: r for r in Role}
_TITLES = {t.value: t for t in Title}
_KINDS = {k.value: k for k in NodeKind}
_LISTS = {k.value: k for k in ListKind}
_CATEGORIES = {c.value: c for c in Category}
_REMOVALS = {r.value: r for r in RemovalReason}


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _ids_param(ids: Iterable[str]) -> str:
    return json.dumps(list(dict.fromkeys(ids)), ensure_ascii=False)


class EmbeddedStore(EmbeddedMonitor):
    """The default :class:`~credgraph.store.base.GraphStore`: a SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        conn = self._conn()
        with conn:
            conn.executescript(SCHEMA + SEARCH_SCHEMA + sqlite_feed.FEED_SCHEMA + MONITOR_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        self._ensure_search_index()

    def _ensure_search_index(self) -> None:
        """Index the names of a store written before the search index existed
        (no generation bump: no query result changes)."""
        conn = self._conn()
        if search_index_current(conn):
            return
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                ensure_index(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- connection ----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute(f"PRAGMA cache_size={CACHE_KIB}")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA foreign_keys=OFF")
            self._local.conn = conn
        return conn

    def _write(self) -> _WriteTx:
        return _WriteTx(self)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writes --------------------------------------------------------------
    def upsert(self, batch: Batch) -> None:
        if not len(batch):
            return
        with self.bulk() as writer:
            writer.upsert(batch)

    @contextmanager
    def bulk(self) -> Iterator[BulkWriter]:
        """One transaction for many upserts: committed when the block ends,
        rolled back on an exception or :meth:`BulkWriter.abort`."""
        conn = self._conn()
        # a bigger page cache while millions of rows go in (B-tree inserts
        # in key order of the CSV, not of the index, touch pages at random)
        conn.execute(f"PRAGMA cache_size={BULK_CACHE_KIB}")
        try:
            with self._write() as conn:
                writer = _SqliteBulk(conn)
                yield writer
                if writer.aborted:
                    raise _Abort
                writer.finish()
        finally:
            conn.execute(f"PRAGMA cache_size={CACHE_KIB}")

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO objections(entry_id, reason, filed_on) VALUES (?,?,?)",
                (entry_id, reason, filed_on.isoformat()),
            )
            objection_id = int(cur.lastrowid or 0)
        return self.objection(objection_id)

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE objections SET resolved_on = ?, upheld = ? "
                "WHERE objection_id = ? AND resolved_on IS NULL",
                (resolved_on.isoformat(), int(upheld), objection_id),
            )
            if cur.rowcount == 0:
                self.objection(objection_id)  # raises UnknownObjection if absent
                raise ValueError(f"objection {objection_id} is already resolved")
        return self.objection(objection_id)

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[dict[str, Any]],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        events: Sequence[NewEvent] = (),
    ) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                feed_mark = sqlite_feed.mark(conn)
                if replace_entries is None:
                    conn.execute("DELETE FROM flags")
                else:
                    conn.execute(
                        "DELETE FROM flags WHERE entry_id IN (SELECT value FROM json_each(?))",
                        (_ids_param(replace_entries),),
                    )
                conn.executemany(
                    "INSERT OR REPLACE INTO flags VALUES (?,?,?,?)",
                    (
                        (
                            f["subject_id"],
                            f["flag"],
                            f["entry_id"],
                            json.dumps(f, ensure_ascii=False),
                        )
                        for f in flags
                    ),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES "
                    "('flags_as_of', ?), ('flags_generation', ?), ('flags_policy', ?)",
                    (as_of.isoformat(), str(generation), policy_key),
                )
                sqlite_feed.append(conn, events)
                sqlite_feed.close_tx(conn, feed_mark)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute(
                "INSERT INTO audit(at, who, role, endpoint, subject_ids, as_of) "
                "VALUES (?,?,?,?,?,?)",
                (
                    datetime.now(UTC).isoformat(timespec="milliseconds"),
                    who,
                    role,
                    endpoint,
                    json.dumps(list(subject_ids)),
                    _iso(as_of),
                ),
            )

    @contextmanager
    def _side_write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` … ``COMMIT`` transaction, rolled back on
        any exception, that leaves the generation alone (commitments)."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        with self._side_write() as conn:
            cur = conn.execute(
                "INSERT INTO commitments(subject_id, matter, promised_by, made_on) "
                "VALUES (?,?,?,?)",
                (subject_id, matter, promised_by.isoformat(), made_on.isoformat()),
            )
            commitment_id = int(cur.lastrowid or 0)
        return self._commitment(commitment_id)

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        with self._side_write() as conn:
            cur = conn.execute(
                "UPDATE commitments SET fulfilled_on = ? "
                "WHERE commitment_id = ? AND fulfilled_on IS NULL",
                (fulfilled_on.isoformat(), commitment_id),
            )
            if cur.rowcount == 0:
                self._commitment(commitment_id)  # raises UnknownCommitment if absent
                raise ValueError(f"commitment {commitment_id} is already fulfilled")
        return self._commitment(commitment_id)

    # -- reads ---------------------------------------------------------------
    def generation(self) -> int:
        row = self._conn().execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0])

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        param = _ids_param(ids)
        conn = self._conn()
        out: dict[str, Node] = {}
        for row in conn.execute(
            "SELECT * FROM enterprises WHERE uscc IN (SELECT value FROM json_each(?))", (param,)
        ):
            out[row[0]] = _enterprise(row)
        for row in conn.execute(
            "SELECT * FROM persons WHERE person_id IN (SELECT value FROM json_each(?))", (param,)
        ):
            out[row[0]] = _person(row)
        return out

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        param = _ids_param(ids)
        conn = self._conn()
        out = {
            r[0]: NodeKind.ENTERPRISE
            for r in conn.execute(
                "SELECT uscc FROM enterprises WHERE uscc IN (SELECT value FROM json_each(?))",
                (param,),
            )
        }
        out.update(
            (r[0], NodeKind.PERSON)
            for r in conn.execute(
                "SELECT person_id FROM persons WHERE person_id IN (SELECT value FROM json_each(?))",
                (param,),
            )
        )
        return out

    def expand(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        param = _ids_param(ids)
        if param == "[]":
            return []
        cols = "source_id, source_type, target_uscc, role, title, start_on, share_pct, end_on"
        where = []
        args: list[Any] = []
        if roles is not None:
            where.append("role IN (SELECT value FROM json_each(?))")
            args.append(json.dumps([r.value for r in roles]))
        if as_of is not None:
            day = as_of.isoformat()
            where.append("start_on <= ? AND (end_on IS NULL OR end_on >= ?)")
            args += [day, day]
        extra = "".join(f" AND {w}" for w in where)
        conn = self._conn()
        sides = {
            Direction.OUT: ["source_id"],
            Direction.IN: ["target_uscc"],
            Direction.BOTH: ["source_id", "target_uscc"],
        }[direction]
        seen: set[tuple[str, ...]] = set()
        out: list[Relation] = []
        for side in sides:
            sql = (
                f"SELECT {cols} FROM relations WHERE {side} IN "
                f"(SELECT value FROM json_each(?)){extra}"
            )
            for row in conn.execute(sql, (param, *args)):
                key = row[:6]
                if key in seen:
                    continue
                seen.add(key)
                out.append(_relation(row))
        return out

    def entries(
        self,
        *,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
        responsible_person_ids: Iterable[str] | None = None,
        lists: Collection[ListKind] | None = None,
    ) -> list[ListEntry]:
        where: list[str] = []
        args: list[Any] = []
        if subject_ids is not None:
            where.append("e.subject_id IN (SELECT value FROM json_each(?))")
            args.append(_ids_param(subject_ids))
        if entry_ids is not None:
            where.append("e.entry_id IN (SELECT value FROM json_each(?))")
            args.append(_ids_param(entry_ids))
        if responsible_person_ids is not None:
            where.append(
                "e.entry_id IN (SELECT entry_id FROM entry_responsible WHERE person_id IN "
                "(SELECT value FROM json_each(?)))"
            )
            args.append(_ids_param(responsible_person_ids))
        if lists is not None:
            where.append("e.list IN (SELECT value FROM json_each(?))")
            args.append(json.dumps([k.value for k in lists]))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        sql = f"SELECT {ENTRY_COLUMNS} {ENTRY_FROM}{clause} ORDER BY e.entry_id"
        return [_entry(row) for row in self._conn().execute(sql, args)]

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]:
        conn = self._conn()
        if entry_ids is None:
            rows = conn.execute("SELECT * FROM objections ORDER BY objection_id")
        else:
            rows = conn.execute(
                "SELECT * FROM objections WHERE entry_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY objection_id",
                (_ids_param(entry_ids),),
            )
        return [_objection(r) for r in rows]

    def objection(self, objection_id: int) -> Objection:
        row = (
            self._conn()
            .execute("SELECT * FROM objections WHERE objection_id = ?", (objection_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownObjection(objection_id)
        return _objection(row)

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        conn = self._conn()
        if subject_ids is None:
            rows = conn.execute("SELECT * FROM commitments ORDER BY commitment_id")
        else:
            rows = conn.execute(
                "SELECT * FROM commitments WHERE subject_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY commitment_id",
                (_ids_param(subject_ids),),
            )
        return [_commitment(r) for r in rows]

    def _commitment(self, commitment_id: int) -> Commitment:
        row = (
            self._conn()
            .execute("SELECT * FROM commitments WHERE commitment_id = ?", (commitment_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownCommitment(commitment_id)
        return _commitment(row)

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        if field is not None:
            hits = search_ids(self._conn(), query, field, start, limit, offset)
            nodes = self.nodes(hits)
            return [nodes[i] for i in hits if i in nodes]
        q = query.strip()
        if not q or limit <= 0:
            return []
        limit += offset
        upper = q.upper()
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conn = self._conn()
        ids: list[str] = []
        for sql, arg in (
            ("SELECT uscc FROM enterprises WHERE uscc >= ? AND uscc < ? LIMIT ?", None),
            ("SELECT person_id FROM persons WHERE person_id >= ? AND person_id < ? LIMIT ?", None),
            ("SELECT uscc FROM enterprises WHERE name LIKE ? ESCAPE '\\' LIMIT ?", like),
            ("SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\' LIMIT ?", like),
        ):
            if len(ids) >= limit:
                break
            params: tuple[Any, ...] = (
                (upper, upper + "\uffff", limit) if arg is None else (arg, limit)
            )
            ids.extend(r[0] for r in conn.execute(sql, params) if r[0] not in ids)
        ids = ids[offset:limit]
        found = self.nodes(ids)
        return [found[i] for i in ids if i in found]

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for node_id, node in self.nodes(ids).items():
            pairs = (
                {"phone": node.phone_norm, "email": node.email_norm, "address": node.address_norm}
                if isinstance(node, Enterprise)
                else {"phone": node.phone_norm, "address": node.address_norm}
            )
            out[node_id] = {k: v for k, v in pairs.items() if v}
        return out

    def counts(self) -> dict[str, int]:
        conn = self._conn()
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("enterprises", "persons", "relations", "entries", "objections", "flags")
        }

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]:
        conn = self._conn()
        if kind is NodeKind.ENTERPRISE:
            for row in conn.execute("SELECT * FROM enterprises ORDER BY uscc"):
                yield _enterprise(row)
        else:
            for row in conn.execute("SELECT * FROM persons ORDER BY person_id"):
                yield _person(row)

    def iter_relations(self) -> Iterator[Relation]:
        for row in self._conn().execute(
            "SELECT source_id, source_type, target_uscc, role, title, start_on, share_pct, end_on "
            "FROM relations ORDER BY source_id, target_uscc, role, title, start_on"
        ):
            yield _relation(row)

    def flags_state(self) -> tuple[date, int] | None:
        meta = dict(
            self._conn()
            .execute("SELECT key, value FROM meta WHERE key IN ('flags_as_of', 'flags_generation')")
            .fetchall()
        )
        if "flags_as_of" not in meta:
            return None
        return date.fromisoformat(meta["flags_as_of"]), int(meta["flags_generation"])

    def flags_policy_key(self) -> str:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'flags_policy'").fetchone()
        return str(row[0]) if row else ""

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        state = self.flags_state()
        if state is None:
            return None
        where: list[str] = []
        args: list[str] = []
        if subject_ids is not None:
            where.append("subject_id IN (SELECT value FROM json_each(?))")
            args.append(_ids_param(subject_ids))
        if entry_ids is not None:
            where.append("entry_id IN (SELECT value FROM json_each(?))")
            args.append(_ids_param(entry_ids))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._conn().execute(
            f"SELECT data FROM flags{clause} ORDER BY subject_id, flag, entry_id", args
        )
        return StoredFlags(
            as_of=state[0], generation=state[1], flags=[json.loads(r[0]) for r in rows]
        )

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        rows = self._conn().execute(
            "SELECT * FROM audit WHERE audit_id > ? ORDER BY audit_id LIMIT ?", (after_id, limit)
        )
        return [
            AuditRecord(
                audit_id=r[0],
                at=datetime.fromisoformat(r[1]),
                who=r[2],
                role=r[3],
                endpoint=r[4],
                subject_ids=json.loads(r[5]),
                as_of=_d(r[6]),
            )
            for r in rows
        ]


def _write_batch(conn: sqlite3.Connection, batch: Batch) -> None:
    index_names(conn, batch)  # before the upserts: it compares with the stored names
    conn.executemany(
        UPSERT_ENTERPRISE,
        (
            (
                e.uscc,
                e.name,
                e.kind.value,
                e.status.value if e.status else None,
                _iso(e.established_on),
                e.registered_capital,
                e.region,
                e.industry,
                e.address,
                e.phone,
                e.email,
                e.phone_norm,
                e.email_norm,
                e.address_norm,
            )
            for e in batch.enterprises
        ),
    )
    conn.executemany(
        UPSERT_PERSON,
        (
            (
                p.person_id,
                p.id_type.value,
                p.name,
                p.phone,
                p.address,
                p.phone_norm,
                p.address_norm,
            )
            for p in batch.persons
        ),
    )
    conn.executemany(
        UPSERT_RELATION,
        (
            (
                r.source_id,
                r.source_type.value,
                r.target_uscc,
                r.role.value,
                r.title.value if r.title else "",
                _iso(r.start_on) or "",
                r.share_pct,
                _iso(r.end_on),
            )
            for r in batch.relations
        ),
    )
    if batch.entries:
        conn.executemany(
            UPSERT_ENTRY,
            (
                (
                    e.entry_id,
                    e.subject_id,
                    e.subject_type.value,
                    e.list.value,
                    e.category.value if e.category else None,
                    e.reason,
                    e.authority,
                    e.case_no,
                    e.decided_on.isoformat(),
                    _iso(e.valid_until),
                    _iso(e.removed_on),
                    e.removal_reason.value if e.removal_reason else None,
                    ";".join(e.responsible_person_ids),
                )
                for e in batch.entries
            ),
        )
        conn.executemany(
            "DELETE FROM entry_responsible WHERE entry_id = ? AND person_id NOT IN "
            "(SELECT value FROM json_each(?))",
            ((e.entry_id, json.dumps(e.responsible_person_ids)) for e in batch.entries),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO entry_responsible VALUES (?, ?)",
            ((p, e.entry_id) for e in batch.entries for p in e.responsible_person_ids),
        )


class _Abort(Exception):
    """Raised inside a bulk transaction to roll it back quietly."""


class _SqliteBulk:
    """Writes of one bulk transaction. Loading relations into an empty table
    drops the target index and builds it once at the end, inside the same
    transaction: one sorted build instead of millions of random inserts."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.aborted = False
        self.index_dropped = False
        self.relations_seen = False
        self.feed = sqlite_feed.BulkFeed(conn)

    def upsert(self, batch: Batch) -> None:
        self.feed.before(len(batch.relations))
        if batch.relations and not self.relations_seen:
            self.relations_seen = True
            if self.conn.execute("SELECT 1 FROM relations LIMIT 1").fetchone() is None:
                self.conn.execute("DROP INDEX IF EXISTS relations_by_target")
                self.index_dropped = True
        _write_batch(self.conn, batch)

    def finish(self) -> None:
        self.feed.finish()
        if self.index_dropped:
            self.conn.execute(RELATIONS_BY_TARGET)
            self.index_dropped = False

    def abort(self) -> None:
        self.aborted = True


class _WriteTx:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception; bumps
    the generation counter inside the same transaction when a row changed."""

    changes_before = 0
    feed_mark = 0

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.conn = store._conn()

    def __enter__(self) -> sqlite3.Connection:
        self.store._write_lock.acquire()
        self.conn.execute("BEGIN IMMEDIATE")
        self.changes_before = self.conn.total_changes
        self.feed_mark = sqlite_feed.mark(self.conn)
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        try:
            if exc_type is None:
                sqlite_feed.close_tx(self.conn, self.feed_mark)
                if self.conn.total_changes == self.changes_before:
                    # nothing changed (e.g. a reload of the same data): keep the
                    # generation, so materialised flags stay valid
                    self.conn.execute("COMMIT")
                    return False
                self.conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
                self.conn.execute("COMMIT")
            else:
                self.conn.execute("ROLLBACK")
        finally:
            self.store._write_lock.release()
        return exc_type is _Abort


def _enterprise(row: sqlite3.Row | tuple[Any, ...]) -> Enterprise:
    return Enterprise.trusted(
        uscc=row[0],
        name=row[1],
        kind=EnterpriseKind(row[2]),
        status=EnterpriseStatus(row[3]) if row[3] else None,
        established_on=_d(row[4]),
        registered_capital=row[5],
        region=row[6],
        industry=row[7],
        address=row[8],
        phone=row[9],
        email=row[10],
        phone_norm=row[11],
        email_norm=row[12],
        address_norm=row[13],
    )


def _person(row: sqlite3.Row | tuple[Any, ...]) -> Person:
    return Person.trusted(
        person_id=row[0],
        id_type=IdType(row[1]),
        name=row[2],
        phone=row[3],
        address=row[4],
        phone_norm=row[5],
        address_norm=row[6],
    )


def _relation(row: tuple[Any, ...]) -> Relation:
    return Relation.trusted(
        source_id=row[0],
        source_type=_KINDS[row[1]],
        target_uscc=row[2],
        role=_ROLES[row[3]],
        title=_TITLES[row[4]] if row[4] else None,
        start_on=_d(row[5]),
        share_pct=row[6],
        end_on=_d(row[7]),
    )


def _entry(row: tuple[Any, ...]) -> ListEntry:
    return ListEntry.trusted(
        entry_id=row[0],
        subject_id=row[1],
        subject_type=_KINDS[row[2]],
        list=_LISTS[row[3]],
        category=_CATEGORIES[row[4]] if row[4] else None,
        reason=row[5],
        authority=row[6],
        case_no=row[7],
        decided_on=date.fromisoformat(row[8]),
        valid_until=_d(row[9]),
        removed_on=_d(row[10]),
        removal_reason=_REMOVALS[row[11]] if row[11] else None,
        responsible_person_ids=tuple(p for p in row[12].split(";") if p),
    )


def _commitment(row: tuple[Any, ...]) -> Commitment:
    return Commitment(
        commitment_id=row[0],
        subject_id=row[1],
        matter=row[2],
        promised_by=date.fromisoformat(row[3]),
        made_on=date.fromisoformat(row[4]),
        fulfilled_on=_d(row[5]),
    )


def _objection(row: tuple[Any, ...]) -> Objection:
    return Objection.trusted(
        objection_id=row[0],
        entry_id=row[1],
        reason=row[2],
        filed_on=date.fromisoformat(row[3]),
        resolved_on=_d(row[4]),
        upheld=None if row[5] is None else bool(row[5]),
    )
