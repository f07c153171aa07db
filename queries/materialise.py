"""Materialised flags: full propagation and the one incremental refresh.

Flags are a cache of :func:`queries.propagation.compute_flags` for one
as_of, valid while the store's generation and the policy they were computed
with are current (:func:`queries.propagation.materialised_valid`):

* :func:`materialise` (and :func:`propagate`, its flags) computes every
  flag and replaces the stored ones;
* :func:`refresh` is the one entry point after a write — a load, an
  objection, a confirmed commitment: it recomputes only the entries the
  write can affect (:func:`affected_entries`) when the stored flags were
  valid just before it, and does nothing otherwise.

Both return a :class:`FlagUpdate`: the flags written and the difference to
the flags stored before (keys added and removed), for the change feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from credgraph.model import Batch, Flag, FlagKind
from credgraph.policy import Policy, default_policy
from credgraph.store import GraphStore
from queries.adjacency import full_flags, no_gc
from queries.changes import flag_feed
from queries.propagation import compute_flags

#: (subject_id, flag, entry_id): one flag per key (DESIGN §3)
FlagKey = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    """What a write touched: ids whose relations changed (None: too many to
    track, so everything) and the entries written or whose objections
    changed."""

    touched_ids: frozenset[str] | None = frozenset()
    entry_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, touched_ids: Iterable[str] | None, entry_ids: Iterable[str] = ()) -> Change:
        return cls(None if touched_ids is None else frozenset(touched_ids), frozenset(entry_ids))

    @classmethod
    def of_batch(cls, batch: Batch) -> Change:
        """The change a batch written with ``store.upsert`` can make."""
        return cls.of(
            (x for r in batch.relations for x in (r.source_id, r.target_uscc)),
            (e.entry_id for e in batch.entries),
        )


@dataclass(frozen=True)
class FlagUpdate:
    """What one materialisation wrote.

    ``flags``: the flags written (all of them for a full run, those of the
    recomputed entries otherwise); ``added``/``removed``: keys present now
    and not before, and the reverse, compared with the flags stored before
    (whatever their as_of); ``entry_ids``: the entries recomputed (None for
    a full run)."""

    as_of: date
    flags: list[Flag]
    added: list[FlagKey] = field(default_factory=list)
    removed: list[FlagKey] = field(default_factory=list)
    entry_ids: frozenset[str] | None = None


def _save(
    store: GraphStore,
    as_of: date,
    generation: int,
    flags: list[Flag],
    policy: Policy,
    entry_ids: frozenset[str] | None,
) -> FlagUpdate:
    """Store ``flags``; the store records the change-feed events of the
    difference in the same transaction and returns it (keys only)."""
    diff = store.save_flags(
        as_of,
        generation,
        flags,
        replace_entries=entry_ids,
        policy_key=policy.key(),
        feed=flag_feed(as_of, policy),
    )
    return FlagUpdate(as_of, flags, diff.added, diff.removed, entry_ids)


def materialise(store: GraphStore, as_of: date, policy: Policy | None = None) -> FlagUpdate:
    """Compute every flag on as_of and replace the stored flags with them."""
    policy = policy or default_policy()
    with no_gc():
        generation = store.generation()
        flags = full_flags(store, as_of, policy)
        return _save(store, as_of, generation, flags, policy, None)


def propagate(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """Compute every flag on as_of and materialise them (``credgraph propagate``)."""
    return materialise(store, as_of, policy).flags


def affected_entries(store: GraphStore, change: Change) -> set[str]:
    """Entries whose flags ``change`` can alter, given flags that were valid
    before it: the entries written, entries on the touched ids, naming
    them, or for which they were responsible persons (P2 starts there)."""
    ids = set(change.entry_ids)
    touched = change.touched_ids
    if touched:
        ids |= {e.entry_id for e in store.entries(subject_ids=touched)}
        ids |= {e.entry_id for e in store.entries(responsible_person_ids=touched)}
        stored = store.stored_flags(subject_ids=touched)
        if stored is not None:
            ids |= {f.entry_id for f in stored.flags if f.flag is FlagKind.RESPONSIBLE_PERSON}
    return ids


def refresh(
    store: GraphStore, change: Change, generation_before: int, policy: Policy | None = None
) -> FlagUpdate | None:
    """Bring materialised flags up to date after a write made at
    ``generation_before``: None when there were no flags valid for
    ``policy`` just before it (nothing to keep up to date); an empty update
    when the write changed nothing; a full :func:`materialise` when the
    change touched too much to track; else the affected entries only."""
    policy = policy or default_policy()
    state = store.flags_state()
    if state is None or state[1] != generation_before or store.flags_policy_key() != policy.key():
        return None
    as_of = state[0]
    if store.generation() == generation_before:
        return FlagUpdate(as_of, [], entry_ids=frozenset())
    if change.touched_ids is None:
        return materialise(store, as_of, policy)
    affected = frozenset(affected_entries(store, change))
    generation = store.generation()
    entries = store.entries(entry_ids=affected) if affected else []
    flags = compute_flags(store, entries, as_of, policy)
    return _save(store, as_of, generation, flags, policy, affected)
