"""Neo4j backend: the ``GraphStore`` primitives on Neo4j 5 (server, cluster, Aura).

Same semantics as the embedded store, checked by the same contract suite
(``tests/store/test_contract.py`` with ``CREDGRAPH_NEO4J_URI`` set):

- ``upsert`` is one managed write transaction (retried by the driver on
  transient errors, all or nothing) sending ``UNWIND $rows`` batches of
  ``CHUNK`` rows; the generation is bumped in the same transaction when a
  row changed anything, so reloading the same data keeps materialised flags.
- Dates are ISO strings, so ``as_of`` comparisons are those of the embedded
  store. An upheld objection is applied when entries are read, so a reload
  of the source data never undoes it (DESIGN §3, ``003:L32``).
- ``bulk()`` is one explicit transaction for a load of many batches; reads
  made inside the block run in it and so see its writes. It is not retried
  (a load cannot be replayed): a transient failure raises ``StoreError``.
- Unlike the embedded store, a relation or an entry whose nodes are not in
  the store cannot be written (a relationship needs both ends): the batch
  fails with ``StoreError``. The loader never sends such rows (DESIGN §2).

Reads go through ``execute_query`` (routed to readers in a cluster) and
writes through sessions sharing its bookmark manager, so a read sees the
writes made before it.
"""

from __future__ import annotations

import heapq
import logging
import string
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from neo4j import (
    READ_ACCESS,
    GraphDatabase,
    ManagedTransaction,
    Record,
    RoutingControl,
    Transaction,
)
from neo4j.exceptions import DriverError, Neo4jError

from credgraph.model import (
    AuditRecord,
    Batch,
    Category,
    Commitment,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    Flag,
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
from credgraph.store.base import (
    BulkWriter,
    Direction,
    SearchField,
    StoredFlags,
    StoreError,
    UnknownCommitment,
    UnknownObjection,
)
from credgraph.store.feed import NewEvent
from credgraph.store.neo4j import cypher, feed
from credgraph.store.neo4j.monitor import SCHEMA as MONITOR_SCHEMA
from credgraph.store.neo4j.monitor import Neo4jMonitor
from credgraph.store.shared import contacts_of, d, in_order, iso, merge_lookups, unique
from credgraph.text import fold, name_keys, pinyin_readings

log = logging.getLogger(__name__)

#: Rows per ``UNWIND $rows`` statement.
CHUNK = 5000

SEARCH_FIELDS = {
    SearchField.NAME: cypher.SEARCH_NAME_KEYS,
    SearchField.PINYIN: cypher.SEARCH_PINYIN,
    SearchField.INITIALS: cypher.SEARCH_INITIALS,
}
MERGE_RELATIONS = {
    Role.LEGAL_REPRESENTATIVE: cypher.MERGE_LEGAL_REPRESENTATIVE,
    Role.EXECUTIVE: cypher.MERGE_EXECUTIVE,
    Role.SHAREHOLDER: cypher.MERGE_SHAREHOLDER,
    Role.ACTUAL_CONTROLLER: cypher.MERGE_ACTUAL_CONTROLLER,
    Role.BRANCH_OF: cypher.MERGE_BRANCH_OF,
}

# SQLite's LIKE folds ASCII letters only: so does the name search here.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_T = TypeVar("_T")
_Tx = ManagedTransaction | Transaction


def ascii_fold(text: str) -> str:
    """``text`` with ASCII letters lower-cased (the plain search's name key).

    >>> ascii_fold("ACME 科技 Ltd")
    'acme 科技 ltd'
    """
    return text.translate(_ASCII_LOWER)


def search_keys(name: str) -> dict[str, str]:
    """The search properties of a node named ``name`` (see ``cypher``).

    >>> search_keys("北京 ACME")["search_initials"]
    '^ b j a c m e '
    """
    keys = name_keys(name)
    return {
        "name_fold": ascii_fold(name),
        "search_name": "^" + keys.folded,
        "search_pinyin": "^ " + keys.pinyin + " ",
        "search_initials": "^ " + keys.initials + " ",
    }


def search_needles(query: str, field: SearchField, start: bool) -> list[str]:
    """What a search key must contain to match ``query`` on ``field`` (any
    one of them): the meaning of ``SearchField``, on the keys above.

    >>> search_needles("Xian", SearchField.PINYIN, start=True)
    ['^ xian ', '^ xi an ']
    >>> search_needles("huash", SearchField.PINYIN, start=False)
    [' hua sh', ' hu a sh']
    """
    text = fold(query)
    if not text:
        return []
    mark = "^" if start else ""
    if field is SearchField.NAME:
        return [mark + text]
    if field is SearchField.PINYIN:
        found = pinyin_readings(text)
        end = "" if found.partial else " "  # a partial reading's last syllable is a prefix
        return [f"{mark} " + " ".join(reading) + end for reading in found.readings]
    if field is SearchField.INITIALS and text.isascii() and text.isalnum():
        return [f"{mark} " + " ".join(text) + " "]
    return []


class Neo4jStore(Neo4jMonitor):
    """A :class:`~credgraph.store.base.GraphStore` on a Neo4j 5 database.

    Creates its constraints, indexes and counters on start-up (idempotent).
    Raises :class:`StoreError` when the server cannot be reached or refuses
    the credentials.
    """

    def __init__(
        self, uri: str, user: str = "neo4j", password: str = "", database: str = "neo4j"
    ) -> None:
        self.uri = uri
        self.database = database
        self._local = threading.local()
        self._driver = GraphDatabase.driver(uri, auth=(user, password))
        try:
            self._driver.verify_connectivity()
            for statement in (*cypher.SCHEMA, *MONITOR_SCHEMA):
                self._driver.execute_query(statement, database_=database)
            self._driver.execute_query(cypher.INIT_META, database_=database)
        except (Neo4jError, DriverError) as exc:
            self._driver.close()
            raise StoreError(f"cannot open the Neo4j store at {uri}: {exc}") from exc
        log.debug("opened Neo4j store %s (database %s)", uri, database)

    # -- plumbing --------------------------------------------------------------
    def _bulk_tx(self) -> Transaction | None:
        """The transaction of this thread's open ``bulk()`` block, if any."""
        tx: Transaction | None = getattr(self._local, "tx", None)
        return tx

    def _read(self, query: str, **params: Any) -> list[Record]:
        try:
            tx = self._bulk_tx()
            if tx is not None:  # a read inside bulk() sees the block's writes
                return list(tx.run(query, params))
            records: list[Record] = self._driver.execute_query(
                query, params, routing_=RoutingControl.READ, database_=self.database
            ).records
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc
        return records

    def _write(self, work: Callable[[ManagedTransaction], _T]) -> _T:
        """Run ``work`` in one managed write transaction (all or nothing)."""
        try:
            with self._driver.session(
                database=self.database,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            ) as session:
                return session.execute_write(work)
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def _stream(self, query: str) -> Iterator[Record]:
        """Records of a large read, fetched lazily."""
        tx = self._bulk_tx()
        if tx is not None:
            yield from tx.run(query)
            return
        with self._driver.session(
            database=self.database,
            default_access_mode=READ_ACCESS,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        ) as session:
            yield from session.run(query)

    def close(self) -> None:
        self._driver.close()

    def wipe(self) -> None:
        """Delete everything in the database (tests), then make the counters
        again. Not part of ``GraphStore``."""
        self._driver.execute_query(cypher.WIPE, database_=self.database)
        self._driver.execute_query(cypher.INIT_META, database_=self.database)

    # -- writes ----------------------------------------------------------------
    def upsert(self, batch: Batch) -> None:
        if not len(batch):
            return

        def work(tx: ManagedTransaction) -> None:
            events = feed.batch_events(tx, batch)
            if _write_batch(tx, batch):
                tx.run(cypher.BUMP_GENERATION).consume()
            feed.FeedWriter(tx).append(events)

        self._write(work)

    @contextmanager
    def bulk(self) -> Iterator[BulkWriter]:
        """One explicit transaction for many upserts: committed when the block
        ends, rolled back on an exception or :meth:`BulkWriter.abort`. Not
        retried (a load cannot be replayed): a transient failure raises."""
        if self._bulk_tx() is not None:
            raise StoreError("bulk() blocks do not nest")
        try:
            with self._driver.session(
                database=self.database,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            ) as session:
                tx = session.begin_transaction()
                writer = _Neo4jBulk(tx)
                self._local.tx = tx
                try:
                    yield writer
                    if writer.aborted:
                        tx.rollback()
                    else:
                        if writer.changed:
                            tx.run(cypher.BUMP_GENERATION).consume()
                        tx.commit()
                finally:
                    self._local.tx = None
                    tx.close()  # rolls back unless committed
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection:
        def work(tx: ManagedTransaction) -> Objection:
            record = tx.run(
                cypher.FILE_OBJECTION,
                {"entry_id": entry_id, "reason": reason, "filed_on": filed_on.isoformat()},
            ).single(strict=True)
            tx.run(cypher.BUMP_GENERATION).consume()
            event = feed.objection_event(tx, record["objection"], resolved=False)
            feed.FeedWriter(tx).append([event] if event else [])
            return _objection(record["objection"])

        return self._write(work)

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        def work(tx: ManagedTransaction) -> Objection:
            record = tx.run(
                cypher.RESOLVE_OBJECTION,
                {
                    "objection_id": objection_id,
                    "upheld": upheld,
                    "resolved_on": resolved_on.isoformat(),
                },
            ).single()
            if record is None:
                raise UnknownObjection(objection_id)
            if not record["was_open"]:
                raise ValueError(f"objection {objection_id} is already resolved")
            tx.run(cypher.BUMP_GENERATION).consume()
            event = feed.objection_event(tx, record["objection"], resolved=True)
            feed.FeedWriter(tx).append([event] if event else [])
            return _objection(record["objection"])

        return self._write(work)

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[Flag],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        events: Sequence[NewEvent] = (),
    ) -> None:
        # one flag per (subject_id, flag, entry_id): the last one wins
        rows = list({(f.subject_id, f.flag, f.entry_id): _flag_row(f) for f in flags}.values())

        def work(tx: ManagedTransaction) -> None:
            if replace_entries is None:
                tx.run(cypher.DELETE_ALL_FLAGS).consume()
            else:
                for ids in _chunks(unique(replace_entries)):
                    tx.run(cypher.DELETE_ENTRY_FLAGS, {"entry_ids": ids}).consume()
            for chunk in _chunks(rows):
                tx.run(cypher.MERGE_FLAGS, {"rows": chunk}).consume()
            tx.run(
                cypher.SAVE_FLAGS_STATE,
                {"as_of": as_of.isoformat(), "generation": generation, "policy_key": policy_key},
            ).consume()
            feed.FeedWriter(tx).append(events)

        self._write(work)

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None:
        params = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "who": who,
            "role": role,
            "endpoint": endpoint,
            "subject_ids": list(subject_ids) or None,
            "as_of": iso(as_of),
        }
        self._write(lambda tx: tx.run(cypher.APPEND_AUDIT, params).consume())

    # -- reads -----------------------------------------------------------------
    # -- credit commitments (002:L15) -----------------------------------------
    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        def work(tx: ManagedTransaction) -> Commitment:  # not graph data: no generation bump
            record = tx.run(
                cypher.ADD_COMMITMENT,
                {
                    "subject_id": subject_id,
                    "matter": matter,
                    "promised_by": promised_by.isoformat(),
                    "made_on": made_on.isoformat(),
                },
            ).single(strict=True)
            return _commitment(record["commitment"])

        return self._write(work)

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        def work(tx: ManagedTransaction) -> Commitment:
            record = tx.run(
                cypher.FULFIL_COMMITMENT,
                {"commitment_id": commitment_id, "fulfilled_on": fulfilled_on.isoformat()},
            ).single()
            if record is None:
                raise UnknownCommitment(commitment_id)
            if not record["was_open"]:
                raise ValueError(f"commitment {commitment_id} is already fulfilled")
            return _commitment(record["commitment"])

        return self._write(work)

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        if subject_ids is None:
            records = self._read(cypher.COMMITMENTS_ALL)
        else:
            ids = unique(subject_ids)
            if not ids:
                return []
            records = self._read(cypher.COMMITMENTS_BY_SUBJECT, subject_ids=ids)
        return [_commitment(r["commitment"]) for r in records]

    def generation(self) -> int:
        return int(self._read(cypher.GENERATION)[0]["value"])

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        id_list = unique(ids)
        if not id_list:
            return {}
        out: dict[str, Node] = {}
        for record in self._read(cypher.NODES, ids=id_list):
            node = _node(record["kind"], record["props"])
            out[node.id] = node
        return out

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        id_list = unique(ids)
        if not id_list:
            return {}
        return {r["id"]: NodeKind(r["kind"]) for r in self._read(cypher.EXISTING_IDS, ids=id_list)}

    def expand(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        id_list = unique(ids)
        if not id_list:
            return []
        params = {
            "ids": id_list,
            "types": None if roles is None else [role.value.upper() for role in roles],
            "as_of": iso(as_of),
        }
        # the order GraphStore.expand promises
        sides: list[tuple[str, Callable[[Relation], tuple[str, ...]]]] = []
        if direction in (Direction.OUT, Direction.BOTH):
            sides.append((cypher.EXPAND_OUT, _by_source))
        if direction in (Direction.IN, Direction.BOTH):
            sides.append((cypher.EXPAND_IN, _by_target))
        seen: set[tuple[str, ...]] = set()
        out: list[Relation] = []
        for query, order in sides:
            for relation in sorted((_relation(r) for r in self._read(query, **params)), key=order):
                key = (relation.source_type.value, *relation.identity)
                if key not in seen:
                    seen.add(key)
                    out.append(relation)
        return out

    def entries(
        self,
        *,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
        responsible_person_ids: Iterable[str] | None = None,
        lists: Collection[ListKind] | None = None,
    ) -> list[ListEntry]:
        params: dict[str, list[str] | None] = {
            "entry_ids": None if entry_ids is None else unique(entry_ids),
            "subject_ids": None if subject_ids is None else unique(subject_ids),
            "responsible_person_ids": (
                None if responsible_person_ids is None else unique(responsible_person_ids)
            ),
            "lists": None if lists is None else [kind.value for kind in lists],
        }
        if any(value == [] for value in params.values()):
            return []
        # anchor on the most selective filter given, so an index drives the read
        if params["entry_ids"] is not None:
            query = cypher.ENTRIES_BY_ID
        elif params["subject_ids"] is not None:
            query = cypher.ENTRIES_BY_SUBJECT
        elif params["responsible_person_ids"] is not None:
            query = cypher.ENTRIES_BY_RESPONSIBLE
        elif params["lists"] is not None:
            query = cypher.ENTRIES_BY_LIST
        else:
            query = cypher.ENTRIES_ALL
        return [_entry(record) for record in self._read(query, **params)]

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]:
        if entry_ids is None:
            records = self._read(cypher.OBJECTIONS_ALL)
        else:
            id_list = unique(entry_ids)
            if not id_list:
                return []
            records = self._read(cypher.OBJECTIONS_BY_ENTRY, entry_ids=id_list)
        return [_objection(r["objection"]) for r in records]

    def objection(self, objection_id: int) -> Objection:
        records = self._read(cypher.OBJECTION, objection_id=objection_id)
        if not records:
            raise UnknownObjection(objection_id)
        return _objection(records[0]["objection"])

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        window = limit + offset  # each statement returns the first ``window`` hits
        if limit <= 0:
            return []
        ids: list[str] = []
        if field is None:
            q = query.strip()
            if not q:
                return []

            def lookup(statement: str, **params: str) -> Callable[[int], Iterable[str]]:
                return lambda n: (r["id"] for r in self._read(statement, **params, limit=n))

            by_id, by_name = {"prefix": q.upper()}, {"needle": ascii_fold(q)}
            ids = merge_lookups(
                [
                    lookup(cypher.SEARCH_ENTERPRISE_IDS, **by_id),
                    lookup(cypher.SEARCH_PERSON_IDS, **by_id),
                    lookup(cypher.SEARCH_ENTERPRISE_NAMES, **by_name),
                    lookup(cypher.SEARCH_PERSON_NAMES, **by_name),
                ],
                window,
            )
        elif field is SearchField.ID:
            prefix = query.strip().upper()
            if not prefix:
                return []
            for statement in (cypher.SEARCH_ENTERPRISE_IDS, cypher.SEARCH_PERSON_IDS):
                ids.extend(r["id"] for r in self._read(statement, prefix=prefix, limit=window))
        else:
            # hits in the order the nodes were first written (GraphStore.search)
            docs: dict[str, int] = {}
            for needle in search_needles(query, field, start):
                for r in self._read(SEARCH_FIELDS[field], needle=needle, limit=window):
                    docs[r["id"]] = r["doc"]
            ids = sorted(docs, key=lambda i: (docs[i] is None, docs[i] or 0, i))
        ids = ids[offset:window]
        return in_order(self.nodes(ids), ids)

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        return contacts_of(self.nodes(ids).values())

    def counts(self) -> dict[str, int]:
        record = self._read(cypher.COUNTS)[0]
        return {key: int(record[key]) for key in record.keys()}  # noqa: SIM118 - Record

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]:
        query = cypher.ITER_ENTERPRISES if kind is NodeKind.ENTERPRISE else cypher.ITER_PERSONS
        for record in self._stream(query):
            yield _node(kind.value, record["props"])

    def iter_relations(self) -> Iterator[Relation]:
        # two id-ordered streams (enterprise and person sources) merged
        streams = (
            self._stream(cypher.ITER_ENTERPRISE_RELATIONS),
            self._stream(cypher.ITER_PERSON_RELATIONS),
        )
        for record in heapq.merge(*streams, key=_stream_order):
            yield _relation(record)

    def flags_policy_key(self) -> str:
        records = self._read(cypher.FLAGS_POLICY)
        return str(records[0]["policy_key"]) if records else ""

    def flags_state(self) -> tuple[date, int] | None:
        records = self._read(cypher.FLAGS_STATE)
        if not records:
            return None
        return date.fromisoformat(records[0]["as_of"]), int(records[0]["generation"])

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        state = self.flags_state()
        if state is None:
            return None
        params = {
            "subject_ids": None if subject_ids is None else unique(subject_ids),
            "entry_ids": None if entry_ids is None else unique(entry_ids),
        }
        flags: list[Flag] = []
        if [] not in params.values():
            if params["subject_ids"] is not None:
                query = cypher.STORED_FLAGS_BY_SUBJECT
            elif params["entry_ids"] is not None:
                query = cypher.STORED_FLAGS_BY_ENTRY
            else:
                query = cypher.STORED_FLAGS_ALL
            flags = [Flag.model_validate_json(r["data"]) for r in self._read(query, **params)]
        return StoredFlags(as_of=state[0], generation=state[1], flags=flags)

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        return [
            _audit(r["record"]) for r in self._read(cypher.AUDIT, after_id=after_id, limit=limit)
        ]


# -- the upsert transaction ------------------------------------------------------
class _Neo4jBulk:
    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.changed = 0
        self.aborted = False
        self.feed = feed.FeedWriter(tx)

    def upsert(self, batch: Batch) -> None:
        events = feed.batch_events(self.tx, batch)
        self.changed += _write_batch(self.tx, batch)
        self.feed.append(events)

    def abort(self) -> None:
        self.aborted = True


def _write_batch(tx: _Tx, batch: Batch) -> int:
    """All statements of one batch; how many rows changed something. Rows are
    converted kind by kind inside the transaction, so a bad record anywhere
    rolls back everything before it."""
    changed = 0
    enterprises: dict[str, dict[str, Any]] = {
        e.uscc: {"uscc": e.uscc, "props": _enterprise_props(e)} for e in batch.enterprises
    }
    persons: dict[str, dict[str, Any]] = {
        p.person_id: {"person_id": p.person_id, "props": _person_props(p)} for p in batch.persons
    }
    if enterprises or persons:
        # load-order numbers for the nodes first written here (docs in ``cypher``)
        count = len(enterprises) + len(persons)
        first = int(tx.run(cypher.RESERVE_DOCS, {"count": count}).single(strict=True)["first"])
        for n, row in enumerate([*enterprises.values(), *persons.values()]):
            row["doc"] = first + n
    changed += _merge(tx, cypher.MERGE_ENTERPRISES, list(enterprises.values()))
    changed += _merge(tx, cypher.MERGE_PERSONS, list(persons.values()))

    by_role: dict[Role, dict[tuple[str, ...], dict[str, Any]]] = {}
    for r in batch.relations:
        by_role.setdefault(r.role, {})[r.identity] = _relation_row(r)
    for role, relations in by_role.items():
        rows = [{**row, "i": i} for i, row in enumerate(relations.values())]
        for chunk in _chunks(rows):
            record = tx.run(MERGE_RELATIONS[role], {"rows": chunk}).single(strict=True)
            changed += int(record["changed"])
            written = set(record["written"])
            missing = [row for row in chunk if row["i"] not in written]
            if missing:
                row = missing[0]
                raise StoreError(
                    f"{len(missing)} {role.value} relation(s) refer to nodes not in the store, "
                    f"e.g. {row['source_id']} -> {row['target_uscc']}"
                )

    entries = {e.entry_id: e for e in batch.entries}
    entry_rows = [{"entry_id": k, "props": _entry_props(e)} for k, e in entries.items()]
    changed += _merge(tx, cypher.MERGE_ENTRIES, entry_rows)
    subject_rows = [
        {"entry_id": k, "subject_id": e.subject_id, "subject_type": e.subject_type.value}
        for k, e in entries.items()
    ]
    for chunk in _chunks(subject_rows):
        record = tx.run(cypher.LINK_ENTRY_SUBJECTS, {"rows": chunk}).single(strict=True)
        unlinked = {row["entry_id"] for row in chunk} - set(record["linked"])
        if unlinked:
            raise StoreError(f"list entries whose subject is not in the store: {sorted(unlinked)}")
    named_rows = [
        {"entry_id": k, "person_ids": list(dict.fromkeys(e.responsible_person_ids))}
        for k, e in entries.items()
    ]
    for chunk in _chunks(named_rows):
        record = tx.run(cypher.LINK_NAMED_RESPONSIBLE, {"rows": chunk}).single(strict=True)
        wanted = {(row["entry_id"], p) for row in chunk for p in row["person_ids"]}
        unknown = wanted - {(e, p) for e, p in record["linked"]}
        if unknown:
            raise StoreError(f"responsible persons not in the store: {sorted(unknown)}")
    for ids in _chunks(list(entries)):
        tx.run(cypher.LINK_OBJECTIONS, {"entry_ids": ids}).consume()
    return changed


def _merge(tx: _Tx, query: str, rows: list[dict[str, Any]]) -> int:
    """Run an upsert statement over ``rows``; how many rows changed something."""
    changed = 0
    for chunk in _chunks(rows):
        changed += int(tx.run(query, {"rows": chunk}).single(strict=True)["changed"])
    return changed


def _chunks(rows: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


# -- records to properties ------------------------------------------------------------
# Neo4j has no null property: an absent field is an absent property. Empty
# lists are not stored either (their element type would be unknown).
def _props(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}


def _enterprise_props(e: Enterprise) -> dict[str, Any]:
    return _props(
        {
            "uscc": e.uscc,
            "name": e.name,
            **search_keys(e.name),
            "kind": e.kind.value,
            "status": e.status.value if e.status else None,
            "established_on": iso(e.established_on),
            "registered_capital": e.registered_capital,
            "region": e.region,
            "industry": e.industry,
            "address": e.address,
            "phone": e.phone,
            "email": e.email,
            "phone_norm": e.phone_norm,
            "email_norm": e.email_norm,
            "address_norm": e.address_norm,
        }
    )


def _person_props(p: Person) -> dict[str, Any]:
    return _props(
        {
            "person_id": p.person_id,
            "id_type": p.id_type.value,
            "name": p.name,
            **search_keys(p.name),
            "phone": p.phone,
            "address": p.address,
            "phone_norm": p.phone_norm,
            "address_norm": p.address_norm,
        }
    )


def _relation_row(r: Relation) -> dict[str, Any]:
    source_id, target_uscc, _, title, start_on = r.identity
    return {
        "source_id": source_id,
        "source_type": r.source_type.value,
        "target_uscc": target_uscc,
        "props": _props(
            {
                "title": title,
                "start_on": start_on,
                "share_pct": r.share_pct,
                "end_on": iso(r.end_on),
            }
        ),
    }


def _entry_props(e: ListEntry) -> dict[str, Any]:
    return _props(
        {
            "entry_id": e.entry_id,
            "subject_id": e.subject_id,
            "subject_type": e.subject_type.value,
            "list": e.list.value,
            "category": e.category.value if e.category else None,
            "reason": e.reason,
            "authority": e.authority,
            "case_no": e.case_no,
            "decided_on": e.decided_on.isoformat(),
            "valid_until": iso(e.valid_until),
            "removed_on": iso(e.removed_on),
            "removal_reason": e.removal_reason.value if e.removal_reason else None,
            "responsible_person_ids": list(e.responsible_person_ids),
        }
    )


def _flag_row(flag: Flag) -> dict[str, Any]:
    return {
        "subject_id": flag.subject_id,
        "flag": flag.flag.value,
        "entry_id": flag.entry_id,
        "data": flag.model_dump_json(),
        "subject_type": flag.subject_type.value,
        "list": flag.list.value,
        "rule": flag.rule.value,
    }


# -- properties to records ------------------------------------------------------------
def _node(kind: str, p: Mapping[str, Any]) -> Node:
    if kind == NodeKind.ENTERPRISE.value:
        return Enterprise.model_construct(
            uscc=p["uscc"],
            name=p["name"],
            kind=EnterpriseKind(p["kind"]),
            status=EnterpriseStatus(p["status"]) if p.get("status") else None,
            established_on=d(p.get("established_on")),
            registered_capital=p.get("registered_capital"),
            region=p.get("region"),
            industry=p.get("industry"),
            address=p.get("address"),
            phone=p.get("phone"),
            email=p.get("email"),
            phone_norm=p.get("phone_norm"),
            email_norm=p.get("email_norm"),
            address_norm=p.get("address_norm"),
        )
    return Person.model_construct(
        person_id=p["person_id"],
        id_type=IdType(p["id_type"]),
        name=p["name"],
        phone=p.get("phone"),
        address=p.get("address"),
        phone_norm=p.get("phone_norm"),
        address_norm=p.get("address_norm"),
    )


def _relation(r: Record) -> Relation:
    return Relation.model_construct(
        source_id=r["source_id"],
        source_type=NodeKind(r["source_type"]),
        target_uscc=r["target_uscc"],
        role=Role(r["rel_type"].lower()),
        title=Title(r["title"]) if r["title"] else None,
        start_on=d(r["start_on"]),
        share_pct=r["share_pct"],
        end_on=d(r["end_on"]),
    )


def _entry(r: Record) -> ListEntry:
    p = r["props"]
    return ListEntry.model_construct(
        entry_id=p["entry_id"],
        subject_id=p["subject_id"],
        subject_type=NodeKind(p["subject_type"]),
        list=ListKind(p["list"]),
        category=Category(p["category"]) if p.get("category") else None,
        reason=p.get("reason"),
        authority=p.get("authority"),
        case_no=p.get("case_no"),
        decided_on=date.fromisoformat(p["decided_on"]),
        valid_until=d(p.get("valid_until")),
        removed_on=d(r["removed_on"]),
        removal_reason=RemovalReason(r["removal_reason"]) if r["removal_reason"] else None,
        responsible_person_ids=tuple(p.get("responsible_person_ids") or ()),
    )


def _objection(p: Mapping[str, Any]) -> Objection:
    return Objection.model_construct(
        objection_id=int(p["objection_id"]),
        entry_id=p["entry_id"],
        reason=p["reason"],
        filed_on=date.fromisoformat(p["filed_on"]),
        resolved_on=d(p.get("resolved_on")),
        upheld=p.get("upheld"),
    )


def _audit(p: Mapping[str, Any]) -> AuditRecord:
    return AuditRecord(
        audit_id=int(p["audit_id"]),
        at=datetime.fromisoformat(p["at"]),
        who=p["who"],
        role=p["role"],
        endpoint=p["endpoint"],
        subject_ids=list(p.get("subject_ids") or []),
        as_of=d(p.get("as_of")),
    )


def _stream_order(r: Record) -> tuple[str, ...]:
    return (r["source_id"], r["target_uscc"], r["rel_type"], r["title"], r["start_on"])


def _by_source(r: Relation) -> tuple[str, ...]:
    return r.identity


def _by_target(r: Relation) -> tuple[str, ...]:
    source_id, target_uscc, *rest = r.identity
    return (target_uscc, source_id, *rest)


def _commitment(p: Mapping[str, Any]) -> Commitment:
    return Commitment(
        commitment_id=int(p["commitment_id"]),
        subject_id=p["subject_id"],
        matter=p["matter"],
        promised_by=date.fromisoformat(p["promised_by"]),
        made_on=date.fromisoformat(p["made_on"]),
        fulfilled_on=d(p.get("fulfilled_on")),
    )
