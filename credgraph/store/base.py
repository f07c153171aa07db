"""The store protocols: the primitives every query is written against.

A store is four things, each its own protocol so that a function asks only
for what it uses:

- :class:`Graph`: the graph data (enterprises, persons, relations, list
  entries and the objections that suspend or revoke them), batch upserts,
  one-hop expansion, search and the generation counter;
- :class:`FlagCache`: materialised flags of one ``propagate`` run;
- :class:`AuditLog`: who asked the API about which ids;
- :class:`CommitmentBook`: credit commitments (002:L15);
- :class:`~credgraph.store.feed.MonitorStore`: the change feed, watchlists
  and webhooks (``credgraph.store.feed``).

:class:`GraphStore` is all five: what ``open_store`` returns and what a
backend implements. Queries never branch on the backend (DESIGN §1). Where
a query depends on the order of what a primitive returns, the order is
promised here, so that no backend imitates another; the semantics are the
contract checked by ``tests/store/test_contract.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel

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
from credgraph.store.feed import FlagFeed, MonitorStore


class SearchField(StrEnum):
    """What :meth:`Graph.search` matches ``query`` against.

    ``id``: the node id starts with the upper-cased query (``start`` ignored).
    ``name``: the folded name (``credgraph.text.fold``) contains the folded
    query. ``pinyin``: the name's syllables contain a run of syllables that
    is one of ``credgraph.text.pinyin_readings(query)`` (its last syllable
    only a prefix when the readings are ``partial``). ``initials``: the
    name's pinyin initials contain the query.
    """

    ID = "id"
    NAME = "name"
    PINYIN = "pinyin"
    INITIALS = "initials"


class Direction(StrEnum):
    """Which end of a relation the expanded ids sit on."""

    OUT = "out"  # ids are sources: what do they hold / where do they work
    IN = "in"  # ids are targets: who holds a role in these enterprises
    BOTH = "both"


class StoreError(RuntimeError):
    """A store could not be opened or written."""


class UnknownObjection(KeyError):
    pass


class UnknownCommitment(KeyError):
    pass


class StoredFlags(BaseModel):
    """Materialised flags of one ``propagate`` run."""

    as_of: date
    generation: int
    flags: list[Flag]


#: a list entry as plain columns (``Graph.entry_rows``): entry_id, subject_id,
#: subject_type, list, decided_on, valid_until, removed_on (dates ISO, None
#: when empty), responsible_person_ids joined by ";"
EntryRow = tuple[str, str, str, str, str, str | None, str | None, str]
#: a relation as plain columns (``Graph.relation_rows``): source_id,
#: source_type, target_uscc, role, title ("" if none), start_on (ISO, "" if
#: none), share_pct, end_on (ISO or None)
RelationRow = tuple[str, str, str, str, str, str, float | None, str | None]


class FlagDiff(NamedTuple):
    """What a ``save_flags`` changed, by (subject_id, flag, entry_id), each
    sorted: keys stored now and not before, and the reverse (within the
    flags it replaced)."""

    added: list[tuple[str, str, str]]
    removed: list[tuple[str, str, str]]


class BulkWriter(Protocol):
    """The writes of one load (see :meth:`Graph.bulk`)."""

    def upsert(self, batch: Batch) -> None: ...

    def abort(self) -> None:
        """Write nothing of this block when it ends (embedded: roll the
        transaction back; Neo4j: drop the spilled batches)."""


@runtime_checkable
class PlainWriter(Protocol):
    """A bulk writer that also takes plain rows (:data:`credgraph.model.PLAIN`):
    the fast path of a load, without a record object per row. Rows are
    unique by identity within one bulk block; each is upserted by identity
    like :meth:`BulkWriter.upsert` would."""

    def write_plain(self, table: str, rows: list[tuple[Any, ...]], prepared: Any = None) -> None:
        """``prepared``: what the backend's own preparation of the rows (made
        ahead by the caller: the embedded store's ``prepare``) returned beside
        them; the rows are then as it returned them."""


@runtime_checkable
class Graph(Protocol):
    """The graph: records, one-hop expansion, search. Every write is all or
    nothing (a Neo4j load: each of its bounded transactions, see
    :meth:`bulk`) and changes :meth:`generation` when it changes a row."""

    # -- writes -------------------------------------------------------------
    def upsert(self, batch: Batch) -> None:
        """Write one batch in one transaction (all or nothing). Upserts by
        identity: enterprise uscc, person person_id, relation identity
        (source_id, target_uscc, role, title, start_on), entry entry_id."""

    def bulk(self) -> AbstractContextManager[BulkWriter]:
        """A load of many batches, written when the block ends: nothing is
        written when the block raises or ``abort()`` was called, and readers
        outside the block never wait for it. What a reader sees differs by
        backend:

        - embedded: the block is the store's one write transaction, committed
          when the block ends. Reads inside the block (on this store) see its
          writes; readers outside see the store as it was until the commit,
          then the whole load at once.
        - Neo4j: the batches are spilled to a temporary file while the block
          runs and committed when it ends, unit by unit, in bounded
          transactions (``loading.CHUNK`` rows of one kind, nodes first).
          Reads inside the block see the store as it was before the block
          (none of its batches is written yet); readers outside see that
          until the first unit commits, then the load growing unit by unit
          (a new firm may be there before its relations). A crash during
          those commits leaves the units committed so far; running the same
          load again converges to the graph of a clean load."""

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection: ...

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        """Resolve; an upheld objection removes the entry with reason
        ``revoked_on_objection`` as of ``resolved_on`` (DESIGN §3)."""

    # -- reads --------------------------------------------------------------
    def generation(self) -> int:
        """A counter that changes on every write that can change a result."""

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        """Enterprises and persons by id; unknown ids are absent."""

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        """The subset of ``ids`` present in the store, with their kind."""

    def expand(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        """Relations touching ``ids`` on the given side, optionally only
        those with a role in ``roles`` and active on ``as_of`` (None = all,
        ended ones included). One call per hop, whatever the number of ids.

        Order: ``OUT`` by (source_id, target_uscc, role, title, start_on);
        ``IN`` by (target_uscc, source_id, role, title, start_on); ``BOTH``
        the ``OUT`` relations, then the ``IN`` ones not already listed."""

    def neighbour_ids(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> set[str]:
        """The ids at the other end of the relations ``expand(ids,
        direction, roles, as_of)`` returns, without building the relations
        (a nominee's thousand firms, a group's thousands of subsidiaries)."""

    def expand_between(
        self,
        sources: Iterable[str],
        targets: Iterable[str],
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        """``expand(sources, Direction.OUT, roles, as_of)`` restricted to the
        relations into ``targets``, in the same order; only those rows are
        read, however many relations the sources have."""

    def relation_rows(self, ids: Iterable[str], direction: Direction) -> list[RelationRow]:
        """``expand(ids, direction)`` as plain columns (:data:`RelationRow`),
        every role and day, in the same order, without building records:
        what a full propagation reads around its tens of thousands of
        entries."""

    def entry_rows(self) -> list[EntryRow]:
        """Every entry as plain columns (:data:`EntryRow`), by entry_id, as
        ``entries()`` gives them (an upheld objection's removal included)."""

    def entries(
        self,
        *,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
        responsible_person_ids: Iterable[str] | None = None,
        lists: Collection[ListKind] | None = None,
    ) -> list[ListEntry]:
        """List entries matching every given filter (None = no filter),
        by entry_id; ``responsible_person_ids`` matches entries naming any
        of them."""

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]:
        """Objections (to the given entries; None = all), by objection_id."""

    def objection(self, objection_id: int) -> Objection:
        """One objection; :class:`UnknownObjection` when absent."""

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        """Nodes matching ``query`` in a stable order, skipping ``offset``.

        ``field`` None: ids starting with ``query`` (enterprises, then
        persons, by id), then names containing it (ASCII case folded;
        enterprises, then persons, by id). ``field`` ID: enterprises, then
        persons, by id. Otherwise one indexed field (see
        :class:`SearchField`), the keys being those of
        ``credgraph.text.name_keys``, hits in the order the
        nodes were first written (a batch's enterprises, then its persons,
        in batch order; a rename keeps the place); ``start`` anchors the
        match at the start of the name (a prefix instead of a substring).
        """

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Normalised contacts (phone/email/address) of nodes by id."""

    def contact_usage(self, kind: str, values: Iterable[str]) -> dict[str, int]:
        """How many enterprises have each normalised ``kind`` value (``phone``,
        ``email`` or ``address``); values no enterprise has are absent. An
        indexed count per value, never a scan of the enterprises (DESIGN §6
        mass-registration contacts)."""

    def counts(self) -> dict[str, int]:
        """Rows per kind: enterprises, persons, relations, entries,
        objections, flags."""

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]:
        """Every node of ``kind``, by id."""

    def iter_relations(self) -> Iterator[Relation]:
        """Every relation, by (source_id, target_uscc, role, title, start_on)."""

    def close(self) -> None: ...


@runtime_checkable
class FlagCache(Protocol):
    """Materialised flags: a cache of ``propagate``, valid while the
    generation and the policy they were computed with are current. Writing
    it leaves :meth:`Graph.generation` as it is."""

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[Flag],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        feed: FlagFeed | None = None,
    ) -> FlagDiff:
        """Materialise flags for one as_of. With ``replace_entries`` None all
        stored flags are replaced; otherwise only the flags of those entries
        (incremental propagation; the flags given are theirs). One flag per
        (subject_id, flag, entry_id): the last one given wins. Records
        ``as_of``, ``generation`` and ``policy_key`` (which policy computed
        them), and with ``feed`` appends the flag and verdict changes it
        describes to the change feed, in the same transaction. Returns the
        keys it added and removed (:class:`FlagDiff`), read in that
        transaction."""

    def flags_state(self) -> tuple[date, int] | None:
        """``(as_of, generation)`` of the materialised flags, if any."""

    def flags_policy_key(self) -> str:
        """The ``policy_key`` the materialised flags were saved with ('' if none)."""

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        """Materialised flags (filtered by subject and entry), ordered by
        (subject_id, flag, entry_id); None when nothing was materialised."""


@runtime_checkable
class AuditLog(Protocol):
    """Who asked the API about which ids. Appending never waits for a
    write of the graph (a load) and leaves :meth:`Graph.generation` alone."""

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None: ...

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        """Records after ``after_id``, by audit_id (1, 2, … in append order)."""


@runtime_checkable
class CommitmentBook(Protocol):
    """Credit commitments (002:L15). Not graph data: writing them leaves
    :meth:`Graph.generation` (and materialised flags) as they are."""

    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        """Record a commitment in one transaction; ids are 1, 2, … in
        creation order."""

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        """Record the fulfilment day; :class:`UnknownCommitment` when absent,
        ``ValueError`` when already fulfilled."""

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        """Commitments (of the given subjects; None = all), by commitment_id."""


# The change feed (DESIGN §10) joins here as its own protocol, and
# ``GraphStore`` below gains it as a fifth base.


@runtime_checkable
class GraphStore(Graph, FlagCache, AuditLog, CommitmentBook, MonitorStore, Protocol):
    """A whole credgraph store: what ``open_store`` returns and what a
    backend implements. Functions that need less ask for less."""
