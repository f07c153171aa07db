"""The ``GraphStore`` protocol: the primitives every query is written against.

Queries never branch on the backend (DESIGN §1). A backend may answer a
primitive natively, but the semantics here are the contract checked by
``tests/store/test_contract.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from credgraph.model import Batch, ListEntry, ListKind, Node, NodeKind, Objection, Relation, Role
from credgraph.store.feed import MonitorStore, NewEvent


class SearchField(StrEnum):
    """What :meth:`GraphStore.search` matches ``query`` against.

    ``id``: the node id starts with the upper-cased query (``start`` ignored).
    ``name``: the folded name (``search_index.fold``) contains the folded
    query. ``pinyin``: the name's syllables contain a run of syllables that
    is one of ``search_index.pinyin_readings(query)`` (its last syllable
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


class Commitment(BaseModel):
    """A written credit commitment of a subject and its fulfilment (002:L15)."""

    commitment_id: int
    subject_id: str
    matter: str
    promised_by: date
    made_on: date
    fulfilled_on: date | None = None


class AuditRecord(BaseModel):
    audit_id: int
    at: datetime
    who: str
    role: str
    endpoint: str
    subject_ids: list[str]
    as_of: date | None = None


class StoredFlags(BaseModel):
    """Materialised flags of one ``propagate`` run."""

    as_of: date
    generation: int
    flags: list[dict[str, Any]]


class BulkWriter(Protocol):
    """Writes inside one open transaction (see :meth:`GraphStore.bulk`)."""

    def upsert(self, batch: Batch) -> None: ...

    def abort(self) -> None:
        """Roll the whole transaction back when the block ends."""


@runtime_checkable
class GraphStore(MonitorStore, Protocol):
    """Primitives of a credgraph store. All writes are all-or-nothing.
    Monitoring (change feed, watchlists, webhooks): ``credgraph.store.feed``."""

    # -- writes -------------------------------------------------------------
    def upsert(self, batch: Batch) -> None:
        """Write one batch in one transaction (all or nothing). Upserts by
        identity: enterprise uscc, person person_id, relation identity
        (source_id, target_uscc, role, title, start_on), entry entry_id."""

    def bulk(self) -> AbstractContextManager[BulkWriter]:
        """One all-or-nothing transaction for a load of many batches: it
        commits when the block ends and rolls back on an exception or when
        ``abort()`` was called. Reads inside the block see its writes."""

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection: ...

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        """Resolve; an upheld objection removes the entry with reason
        ``revoked_on_objection`` as of ``resolved_on`` (DESIGN §3)."""

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[dict[str, Any]],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        events: Sequence[NewEvent] = (),
    ) -> None:
        """Materialise flags for one as_of. With ``replace_entries`` None all
        stored flags are replaced; otherwise only the flags of those entries
        (incremental propagation). Records ``as_of``, ``generation`` and
        ``policy_key`` (which policy computed them), and appends ``events``
        (the flag changes, ``queries.changes``) in the same transaction."""

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None: ...

    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        """Record a credit commitment (002:L15) in one transaction; ids are
        1, 2, … in creation order. Commitments are not graph data: writing
        them leaves :meth:`generation` (and materialised flags) as they are."""

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        """Record the fulfilment day; :class:`UnknownCommitment` when absent,
        ``ValueError`` when already fulfilled. Leaves :meth:`generation`."""

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
        ended ones included). One call per hop, whatever the number of ids."""

    def entries(
        self,
        *,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
        responsible_person_ids: Iterable[str] | None = None,
        lists: Collection[ListKind] | None = None,
    ) -> list[ListEntry]:
        """List entries matching every given filter (None = no filter);
        ``responsible_person_ids`` matches entries naming any of them."""

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]: ...

    def objection(self, objection_id: int) -> Objection: ...

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        """Commitments (of the given subjects; None = all), by commitment_id."""

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        """Nodes matching ``query`` in a stable order, skipping ``offset``.

        ``field`` None: ids starting with ``query`` (enterprises, then persons,
        by id), then names containing it (ASCII case folded). Otherwise one
        indexed field (see :class:`SearchField`), the keys being those of
        ``credgraph.store.search_index.name_keys``; ``start`` anchors the
        match at the start of the name (a prefix instead of a substring).
        """

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Normalised contacts (phone/email/address) of nodes by id."""

    def counts(self) -> dict[str, int]: ...

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]: ...

    def iter_relations(self) -> Iterator[Relation]: ...

    def flags_state(self) -> tuple[date, int] | None:
        """``(as_of, generation)`` of the materialised flags, if any."""

    def flags_policy_key(self) -> str:
        """The ``policy_key`` the materialised flags were saved with ('' if none)."""

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        """Materialised flags (filtered by subject or entry), or None."""

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]: ...

    def close(self) -> None: ...
