"""Neo4j backend: the ``GraphStore`` primitives on Neo4j 5 (server, cluster, Aura).

Same semantics as the embedded store, checked by the same contract suite
(``tests/store/test_contract.py``, run on a live Neo4j by ``make test``),
with these differences, all about writes:

- ``upsert`` is one managed write transaction (retried by the driver on
  transient errors, all or nothing). ``bulk()`` (a load) keeps its batches
  in a spill file while the block runs (nothing is written if the block
  fails or aborts, so ``--strict`` loads nothing) and then commits them in
  bounded transactions of ``loading.CHUNK`` rows: a load of any size fits
  the server's default transaction memory. Readers see the graph before the
  load until its first transaction commits, then the load growing; a crash
  during those commits leaves the part committed so far, and running the
  same load again converges to the graph of a clean load. Reads inside a
  ``bulk()`` block see the store as it was before the block.
- Rows equal to what is stored are not written (no rewrite, no lock, no
  generation bump); every transaction that changes something bumps the
  generation, so materialised flags never answer for a half-loaded graph.
- Flags are saved in versioned runs (``flags``): only changed flags are
  written, in bounded transactions; readers see the previous run until the
  new one is complete.
- Audit ids come from the writer's clock (``AuditClock``): increasing, not
  consecutive, and no shared counter node for every API request.
- A relation or an entry whose nodes are not in the store cannot be written
  (a relationship needs both ends): the batch fails with ``StoreError``.

Dates are ISO strings, so ``as_of`` comparisons are those of the embedded
store. An upheld objection is applied when entries are read, so a reload of
the source data never undoes it (DESIGN §3, ``003:L32``). Reads go through
``execute_query`` (routed to readers in a cluster) and writes through
sessions sharing its bookmark manager, so a read sees the writes made before.
"""

from __future__ import annotations

import heapq
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from neo4j import (
    READ_ACCESS,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Record,
    RoutingControl,
)
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from credgraph.model import (
    AuditRecord,
    Batch,
    Commitment,
    Flag,
    ListEntry,
    ListKind,
    Node,
    NodeKind,
    Objection,
    Relation,
    Role,
)
from credgraph.store.base import (
    BulkWriter,
    Direction,
    EntryRow,
    FlagDiff,
    RelationRow,
    SearchField,
    StoredFlags,
    StoreError,
    UnknownCommitment,
    UnknownObjection,
)
from credgraph.store.feed import FlagFeed
from credgraph.store.neo4j import feed, loading, records
from credgraph.store.neo4j.cypher import feed as feed_cypher
from credgraph.store.neo4j.cypher import flags as flag_cypher
from credgraph.store.neo4j.cypher import ledger, loads, reads, schema
from credgraph.store.neo4j.cypher import monitor as monitor_cypher
from credgraph.store.neo4j.flags import save_flags as save_flag_run
from credgraph.store.neo4j.monitor import Neo4jMonitor
from credgraph.store.neo4j.search import search_ids
from credgraph.store.shared import contacts_of, entry_row, in_order, iso, relation_row, unique

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds to connect, and to wait for a connection from the pool.
TIMEOUT = 10.0


def describe(exc: Exception, user: str) -> str:
    """A one-line reason for a driver error (no traceback, no blank lines).

    >>> describe(AuthError("The client is unauthorized due to authentication failure."), "neo4j")
    "Neo4j refused the credentials of user 'neo4j'"
    """
    if isinstance(exc, AuthError):
        return f"Neo4j refused the credentials of user {user!r}"
    text = " ".join(str(exc).split())
    if isinstance(exc, ServiceUnavailable):
        reason = re.findall(r"\(reason ([^()]*(?:\([^()]*\))?[^()]*)\)", text)
        return f"Neo4j is not reachable: {reason[-1] if reason else text}"
    return text or type(exc).__name__


class AuditClock:
    """Audit ids from the clock: milliseconds << 11 plus a little randomness,
    strictly increasing in a process and below 2**53 (exact in JSON). Writers
    in other processes may interleave; a clash retries with a later id."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            now = (time.time_ns() // 1_000_000) << 11
            self._last = max(self._last + 1, now + random.randrange(1024))
            return self._last


class Neo4jStore(Neo4jMonitor):
    """A :class:`~credgraph.store.base.GraphStore` on a Neo4j 5 database.

    Creates its constraints, indexes and counters on start-up (idempotent).
    Raises :class:`StoreError` with a one-line reason when the server cannot
    be reached in ``timeout`` seconds or refuses the credentials.
    """

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        timeout: float = TIMEOUT,
    ) -> None:
        self.uri = uri
        self.user = user
        self.database = database
        self._audit_clock = AuditClock()
        try:
            self._driver = GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=timeout,
                connection_acquisition_timeout=timeout,
                # the Cypher is linted (tests/store/test_cypher_lint.py); a
                # server notice such as "property key not in the database
                # yet" on an empty store is no news to a user
                notifications_min_severity=NotificationMinimumSeverity.OFF,
            )
            self._driver.verify_connectivity()
            for statement in (*schema.SCHEMA, *feed_cypher.SCHEMA, *monitor_cypher.SCHEMA):
                self._driver.execute_query(statement, database_=database)
            self._driver.execute_query(schema.AWAIT_INDEXES, database_=database)
            self._driver.execute_query(schema.INIT_META, database_=database)
        except (Neo4jError, DriverError, ValueError, OSError) as exc:
            if hasattr(self, "_driver"):
                self._driver.close()
            raise StoreError(describe(exc, user)) from None
        log.debug("opened Neo4j store %s (database %s)", uri, database)

    # -- plumbing --------------------------------------------------------------
    def _read(self, query: str, **params: Any) -> list[Record]:
        try:
            records_: list[Record] = self._driver.execute_query(
                query, params, routing_=RoutingControl.READ, database_=self.database
            ).records
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j read failed: {describe(exc, self.user)}") from None
        return records_

    def _write(self, work: Callable[[ManagedTransaction], _T]) -> _T:
        """Run ``work`` in one managed write transaction (all or nothing,
        retried by the driver on transient errors)."""
        try:
            with self._driver.session(
                database=self.database,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            ) as session:
                return session.execute_write(work)
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j write failed: {describe(exc, self.user)}") from None

    def _stream(self, query: str) -> Iterator[Record]:
        """Records of a large read, fetched lazily."""
        try:
            with self._driver.session(
                database=self.database,
                default_access_mode=READ_ACCESS,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            ) as session:
                yield from session.run(query)
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j read failed: {describe(exc, self.user)}") from None

    def close(self) -> None:
        self._driver.close()

    def server_agent(self) -> str:
        """What the server calls itself, e.g. ``Neo4j/5.26.30`` (``credgraph
        bench``). Not part of ``GraphStore``."""
        try:
            return str(self._driver.get_server_info().agent)
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j read failed: {describe(exc, self.user)}") from None

    def wipe(self) -> None:
        """Delete everything in the database in bounded transactions (tests,
        ``credgraph bench --neo4j-wipe``), then make the counters again. The
        generation is kept and moved on: a cache of any store object (e.g.
        ``queries.adjacency``, by generation) never sees an old one again.
        Not part of ``GraphStore``."""
        while self._write(lambda tx: tx.run(schema.WIPE).single(strict=True)["deleted"]):
            pass
        self._write(lambda tx: tx.run(schema.WIPED).consume())
        self._driver.execute_query(schema.INIT_META, database_=self.database)

    # -- writes ----------------------------------------------------------------
    def upsert(self, batch: Batch) -> None:
        if len(batch):
            rows = loading.batch_rows(batch)
            self._write(lambda tx: loading.write_all(tx, rows))

    @contextmanager
    def bulk(self) -> Iterator[BulkWriter]:
        """A load: batches spilled while the block runs, committed in bounded
        transactions when it ends (see the module docstring); nothing is
        written when the block raises or :meth:`BulkWriter.abort` was called."""
        writer = loading.SpillWriter()
        try:
            yield writer
            if not writer.aborted:
                loading.replay(writer, self._write)
        finally:
            writer.close()

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection:
        def work(tx: ManagedTransaction) -> Objection:
            record = tx.run(
                ledger.FILE_OBJECTION,
                {"entry_id": entry_id, "reason": reason, "filed_on": filed_on.isoformat()},
            ).single(strict=True)
            tx.run(loads.BUMP_GENERATION).consume()
            event = feed.objection_event(tx, record["objection"], resolved=False)
            feed.FeedWriter(tx).append([event] if event else [])
            return records.objection(record["objection"])

        return self._write(work)

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        def work(tx: ManagedTransaction) -> Objection:
            record = tx.run(
                ledger.RESOLVE_OBJECTION,
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
            tx.run(loads.BUMP_GENERATION).consume()
            event = feed.objection_event(tx, record["objection"], resolved=True)
            feed.FeedWriter(tx).append([event] if event else [])
            return records.objection(record["objection"])

        return self._write(work)

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[Flag],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        feed: FlagFeed | None = None,
    ) -> FlagDiff:
        return save_flag_run(
            self._write, self._read, as_of, generation, flags, replace_entries, policy_key, feed
        )

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
        for attempt in range(5):
            try:
                with self._driver.session(database=self.database) as session:
                    session.execute_write(
                        lambda tx: tx.run(
                            ledger.APPEND_AUDIT, {**params, "audit_id": self._audit_clock.next_id()}
                        ).consume()
                    )
                return
            except ConstraintError:  # another process took the same id: take a later one
                log.debug("audit id clash, attempt %d", attempt + 1)
            except (Neo4jError, DriverError) as exc:
                raise StoreError(f"Neo4j write failed: {describe(exc, self.user)}") from None
        raise StoreError("Neo4j write failed: no free audit id after 5 attempts")

    # -- credit commitments (002:L15) -----------------------------------------
    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        def work(tx: ManagedTransaction) -> Commitment:  # not graph data: no generation bump
            record = tx.run(
                ledger.ADD_COMMITMENT,
                {
                    "subject_id": subject_id,
                    "matter": matter,
                    "promised_by": promised_by.isoformat(),
                    "made_on": made_on.isoformat(),
                },
            ).single(strict=True)
            return records.commitment(record["commitment"])

        return self._write(work)

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        def work(tx: ManagedTransaction) -> Commitment:
            record = tx.run(
                ledger.FULFIL_COMMITMENT,
                {"commitment_id": commitment_id, "fulfilled_on": fulfilled_on.isoformat()},
            ).single()
            if record is None:
                raise UnknownCommitment(commitment_id)
            if not record["was_open"]:
                raise ValueError(f"commitment {commitment_id} is already fulfilled")
            return records.commitment(record["commitment"])

        return self._write(work)

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        if subject_ids is None:
            found = self._read(ledger.COMMITMENTS_ALL)
        else:
            ids = unique(subject_ids)
            if not ids:
                return []
            found = self._read(ledger.COMMITMENTS_BY_SUBJECT, subject_ids=ids)
        return [records.commitment(r["commitment"]) for r in found]

    def generation(self) -> int:
        return int(self._read(reads.GENERATION)[0]["value"])

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        id_list = unique(ids)
        if not id_list:
            return {}
        out: dict[str, Node] = {}
        for record in self._read(reads.NODES, ids=id_list):
            node = records.node(record["kind"], record["props"])
            out[node.id] = node
        return out

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        id_list = unique(ids)
        if not id_list:
            return {}
        return {r["id"]: NodeKind(r["kind"]) for r in self._read(reads.EXISTING_IDS, ids=id_list)}

    def expand(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        params = self._expand_params(ids, roles, as_of)
        if not params["ids"]:
            return []
        # ordered as the embedded store's indexes return them
        sides: list[tuple[str, Callable[[Relation], tuple[str, ...]]]] = []
        if direction in (Direction.OUT, Direction.BOTH):
            sides.append((reads.EXPAND_OUT, records.by_source))
        if direction in (Direction.IN, Direction.BOTH):
            sides.append((reads.EXPAND_IN, records.by_target))
        seen: set[tuple[str, ...]] = set()
        out: list[Relation] = []
        for query, order in sides:
            for relation in sorted(
                (records.relation(r) for r in self._read(query, **params)), key=order
            ):
                key = (relation.source_type.value, *relation.identity)
                if key not in seen:
                    seen.add(key)
                    out.append(relation)
        return out

    def neighbour_ids(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> set[str]:
        params = self._expand_params(ids, roles, as_of)
        if not params["ids"]:
            return set()
        queries = {
            Direction.OUT: [reads.NEIGHBOURS_OUT],
            Direction.IN: [reads.NEIGHBOURS_IN],
            Direction.BOTH: [reads.NEIGHBOURS_OUT, reads.NEIGHBOURS_IN],
        }[direction]
        return {r["id"] for query in queries for r in self._read(query, **params)}

    def expand_between(
        self,
        sources: Iterable[str],
        targets: Iterable[str],
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        params = self._expand_params(sources, roles, as_of) | {"targets": unique(targets)}
        if not params["ids"] or not params["targets"]:
            return []
        found = (records.relation(r) for r in self._read(reads.EXPAND_BETWEEN, **params))
        return sorted(found, key=records.by_source)

    @staticmethod
    def _expand_params(
        ids: Iterable[str], roles: Collection[Role] | None, as_of: date | None
    ) -> dict[str, Any]:
        return {
            "ids": unique(ids),
            "types": None if roles is None else [role.value.upper() for role in roles],
            "as_of": iso(as_of),
        }

    def relation_rows(self, ids: Iterable[str], direction: Direction) -> list[RelationRow]:
        return [relation_row(r) for r in self.expand(ids, direction)]

    def entry_rows(self) -> list[EntryRow]:
        return [entry_row(e) for e in self.entries()]

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
            query = reads.ENTRIES_BY_ID
        elif params["subject_ids"] is not None:
            query = reads.ENTRIES_BY_SUBJECT
        elif params["responsible_person_ids"] is not None:
            query = reads.ENTRIES_BY_RESPONSIBLE
        elif params["lists"] is not None:
            query = reads.ENTRIES_BY_LIST
        else:
            query = reads.ENTRIES_ALL
        return [records.entry(record) for record in self._read(query, **params)]

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]:
        if entry_ids is None:
            found = self._read(ledger.OBJECTIONS_ALL)
        else:
            id_list = unique(entry_ids)
            if not id_list:
                return []
            found = self._read(ledger.OBJECTIONS_BY_ENTRY, entry_ids=id_list)
        return [records.objection(r["objection"]) for r in found]

    def objection(self, objection_id: int) -> Objection:
        found = self._read(ledger.OBJECTION, objection_id=objection_id)
        if not found:
            raise UnknownObjection(objection_id)
        return records.objection(found[0]["objection"])

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        if limit <= 0:
            return []
        ids = search_ids(self._read, query, limit, offset, field, start)
        return in_order(self.nodes(ids), ids)

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        return contacts_of(self.nodes(ids).values())

    def contact_usage(self, kind: str, values: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(values))
        if not wanted:
            return {}
        records = self._read(reads.CONTACT_USAGE[kind], values=wanted)
        return {r["value"]: int(r["n"]) for r in records if r["n"]}

    def counts(self) -> dict[str, int]:
        record = self._read(reads.COUNTS)[0]
        return {key: int(record[key]) for key in record.keys()}  # noqa: SIM118 - Record

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]:
        query = reads.ITER_ENTERPRISES if kind is NodeKind.ENTERPRISE else reads.ITER_PERSONS
        for record in self._stream(query):
            yield records.node(kind.value, record["props"])

    def iter_relations(self) -> Iterator[Relation]:
        # two id-ordered streams (enterprise and person sources) merged
        streams = (
            self._stream(reads.ITER_ENTERPRISE_RELATIONS),
            self._stream(reads.ITER_PERSON_RELATIONS),
        )
        for record in heapq.merge(*streams, key=records.stream_order):
            yield records.relation(record)

    def flags_policy_key(self) -> str:
        found = self._read(flag_cypher.FLAGS_POLICY)
        return str(found[0]["policy_key"]) if found else ""

    def flags_state(self) -> tuple[date, int] | None:
        found = self._read(flag_cypher.FLAGS_STATE)
        if not found:
            return None
        return date.fromisoformat(found[0]["as_of"]), int(found[0]["generation"])

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        """The state and the flags of the visible run, read in one statement."""
        params = {
            "subject_ids": None if subject_ids is None else unique(subject_ids),
            "entry_ids": None if entry_ids is None else unique(entry_ids),
        }
        if params["subject_ids"] is not None:
            query = flag_cypher.STORED_FLAGS_BY_SUBJECT
        elif params["entry_ids"] is not None:
            query = flag_cypher.STORED_FLAGS_BY_ENTRY
            del params["subject_ids"]
        else:
            query = flag_cypher.STORED_FLAGS_ALL
            del params["subject_ids"]
        found = self._read(query, **params)
        if not found:
            return None
        return StoredFlags(
            as_of=date.fromisoformat(found[0]["as_of"]),
            generation=int(found[0]["generation"]),
            flags=[Flag.model_validate_json(r["data"]) for r in found if r["data"] is not None],
        )

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        found = self._read(ledger.AUDIT, after_id=after_id, limit=limit)
        return [records.audit_record(r["record"]) for r in found]
