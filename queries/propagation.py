"""Propagation of serious dishonesty (DESIGN §3): rules L0, P1, P2, P3.

Flags are derived per list entry, so every answer is computed by one
function, :func:`compute_flags`, over a set of entries:

* ``propagate`` runs it over every entry and materialises the result;
* ``flags_for_subjects`` runs it over the entries that can reach the given
  subjects (found by bounded expansion), unless materialised flags for the
  same as_of and store generation exist;
* ``refresh_after_load`` re-runs it over the entries a batch can affect.

So results never depend on whether ``propagate`` ran.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from credgraph.model import (
    ROLE_PREFERENCE,
    Batch,
    FlagKind,
    ListEntry,
    NodeKind,
    Objection,
    Relation,
    Role,
    Rule,
)
from credgraph.model import Flag as Flag
from credgraph.policy import Policy, default_policy
from credgraph.store import Direction, GraphStore

log = logging.getLogger(__name__)

NAMED_RESPONSIBLE = "named_responsible"
BRANCH_OF = "branch_of"
PARENT_OF = "parent_of"
_RELATION_RANK = {r.value: i for i, r in enumerate(ROLE_PREFERENCE)} | {
    PARENT_OF: len(ROLE_PREFERENCE),
    NAMED_RESPONSIBLE: len(ROLE_PREFERENCE) + 1,
}


# -- entry lifecycle -----------------------------------------------------------
def suspended(objections: Iterable[Objection], as_of: date) -> bool:
    """An objection filed on or before as_of and not resolved by as_of
    suspends the entry's effects while it is verified (003:L32)."""
    return any(
        o.filed_on <= as_of and (o.resolved_on is None or o.resolved_on > as_of) for o in objections
    )


def entry_active(entry: ListEntry, objections: Iterable[Objection], as_of: date) -> bool:
    """DESIGN §3: decided, not removed, not expired, not suspended on as_of.

    An upheld objection already shows as ``removed_on`` (the store applies it).
    """
    return (
        entry.decided_on <= as_of
        and (entry.removed_on is None or entry.removed_on > as_of)
        and (entry.valid_until is None or entry.valid_until >= as_of)
        and not suspended(objections, as_of)
    )


def active_entries(store: GraphStore, entries: list[ListEntry], as_of: date) -> list[ListEntry]:
    by_entry: dict[str, list[Objection]] = defaultdict(list)
    if entries:
        for o in store.objections(e.entry_id for e in entries):
            by_entry[o.entry_id].append(o)
    return [e for e in entries if entry_active(e, by_entry[e.entry_id], as_of)]


# -- flag assembly -------------------------------------------------------------
@dataclass(order=True)
class _Path:
    length: int
    rank: tuple[int, ...]
    nodes: tuple[str, ...]
    relations: tuple[str, ...] = field(compare=False)
    rule: Rule = field(compare=False)


def _path(nodes: Iterable[str], relations: Iterable[str], rule: Rule) -> _Path:
    n, r = tuple(nodes), tuple(relations)
    return _Path(len(n), tuple(_RELATION_RANK.get(x, 99) for x in r), n, r, rule)


def best_relation(names: Iterable[str]) -> str:
    """The reported role of a hop: legal_representative, then executive,
    then actual_controller, then shareholder (DESIGN §3)."""
    return min(names, key=lambda x: (_RELATION_RANK.get(x, 99), x))


class _Collector:
    def __init__(self) -> None:
        self.paths: dict[tuple[str, FlagKind, str], list[_Path]] = defaultdict(list)
        self.meta: dict[tuple[str, FlagKind, str], tuple[NodeKind, ListEntry]] = {}

    def add(
        self, subject: str, kind: NodeKind, flag: FlagKind, entry: ListEntry, path: _Path
    ) -> None:
        key = (subject, flag, entry.entry_id)
        self.paths[key].append(path)
        self.meta[key] = (kind, entry)

    def flags(self, policy: Policy) -> list[Flag]:
        citations = {
            Rule.L0: policy.rules.L0.citation,
            Rule.P2: policy.rules.P2.citation,
            Rule.P3: policy.rules.P3.citation,
        }
        out: list[Flag] = []
        for key in sorted(self.paths):
            paths = self.paths[key]
            # one path per node sequence, reported with its preferred relations
            distinct: dict[tuple[str, ...], _Path] = {}
            for p in sorted(paths):
                distinct.setdefault(p.nodes, p)
            best = min(distinct.values())
            kind, entry = self.meta[key]
            citation = (
                policy.p1_citation(entry.list) if best.rule is Rule.P1 else citations[best.rule]
            )
            out.append(
                Flag(
                    subject_id=key[0],
                    subject_type=kind,
                    flag=key[1],
                    list=entry.list,
                    entry_id=entry.entry_id,
                    rule=best.rule,
                    citation=citation,
                    path=list(best.nodes),
                    relations=list(best.relations),
                    other_paths=len(distinct) - 1,
                )
            )
        return out


def _holdings(rels: Iterable[Relation]) -> dict[tuple[str, str], float]:
    """Summed active share_pct per (holder, firm): several rows add up."""
    total: dict[tuple[str, str], float] = defaultdict(float)
    for r in rels:
        if r.role is Role.SHAREHOLDER and r.share_pct:
            total[(r.source_id, r.target_uscc)] += r.share_pct
    return total


def _p1_roles(policy: Policy, entries: Iterable[ListEntry]) -> set[Role]:
    return {s.role for e in entries for s in policy.p1_specs(e.list)}


def compute_flags(
    store: GraphStore, entries: list[ListEntry], as_of: date, policy: Policy | None = None
) -> list[Flag]:
    """All flags that ``entries`` produce on ``as_of`` (inactive ones give none).

    >>> # see tests/queries/test_propagation.py for five-node scenarios
    """
    policy = policy or default_policy()
    active = active_entries(store, entries, as_of)
    found = _Collector()

    # L0: an active entry flags its subject
    for e in active:
        found.add(
            e.subject_id, e.subject_type, FlagKind.LISTED, e, _path([e.subject_id], [], Rule.L0)
        )

    severe = [e for e in active if policy.is_severe(e.list)]
    severe_firms = [e for e in severe if e.subject_type is NodeKind.ENTERPRISE]

    # P1: persons responsible on the decision day (003:L24)
    p1_rels: dict[str, list[Relation]] = defaultdict(list)
    for r in store.expand(
        {e.subject_id for e in severe_firms}, Direction.IN, _p1_roles(policy, severe_firms)
    ):
        if r.source_type is NodeKind.PERSON:
            p1_rels[r.target_uscc].append(r)
    # person -> [(entry, path prefix nodes, prefix relations)] for P2
    sources: dict[str, list[tuple[ListEntry, tuple[str, ...], tuple[str, ...]]]] = defaultdict(list)
    for e in severe_firms:
        specs = policy.p1_specs(e.list)
        roles_of: dict[str, set[str]] = defaultdict(set)
        for r in p1_rels[e.subject_id]:
            if r.active_on(e.decided_on) and any(s.matches(r) for s in specs):
                roles_of[r.source_id].add(r.role.value)
        if policy.rules.P1.named_responsible:
            for pid in e.responsible_person_ids:
                roles_of[pid].add(NAMED_RESPONSIBLE)
        for pid, names in roles_of.items():
            rel = best_relation(names)
            found.add(
                pid,
                NodeKind.PERSON,
                FlagKind.RESPONSIBLE_PERSON,
                e,
                _path([e.subject_id, pid], [rel], Rule.P1),
            )
            sources[pid].append((e, (e.subject_id, pid), (rel,)))
    for e in severe:
        if e.subject_type is NodeKind.PERSON:
            sources[e.subject_id].append((e, (e.subject_id,), ()))

    # P2: firms where those persons hold a post or control on as_of
    p2_specs = policy.rules.P2.roles
    person_rels = store.expand(sources, Direction.OUT, {s.role for s in p2_specs}, as_of)
    held = _holdings(person_rels)
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in person_rels:
        for spec in p2_specs:
            if not spec.matches(r):
                continue
            minimum = policy.min_share(spec)
            if minimum is not None and held[(r.source_id, r.target_uscc)] < minimum:
                continue
            links[(r.source_id, r.target_uscc)].add(r.role.value)
    for (pid, firm), names in links.items():
        rel = best_relation(names)
        for e, nodes, rels in sources[pid]:
            if firm != e.subject_id:
                found.add(
                    firm,
                    NodeKind.ENTERPRISE,
                    FlagKind.RELATED_ENTERPRISE,
                    e,
                    _path([*nodes, firm], [*rels, rel], Rule.P2),
                )

    # P3: controlled firms, branches and parent of a listed firm, on as_of
    p3 = policy.rules.P3
    by_firm: dict[str, list[ListEntry]] = defaultdict(list)
    for e in severe_firms:
        by_firm[e.subject_id].append(e)
    if by_firm and (p3.control_holdings or p3.branches or p3.parent):
        related: list[tuple[str, str, str]] = []  # (listed, related firm, relation)
        out_rels = store.expand(by_firm, Direction.OUT, {Role.SHAREHOLDER, Role.BRANCH_OF}, as_of)
        if p3.control_holdings:
            related += [
                (holder, firm, Role.SHAREHOLDER.value)
                for (holder, firm), pct in _holdings(out_rels).items()
                if pct >= policy.control_threshold_pct
            ]
        if p3.parent:
            related += [
                (r.source_id, r.target_uscc, PARENT_OF)
                for r in out_rels
                if r.role is Role.BRANCH_OF
            ]
        if p3.branches:
            related += [
                (r.target_uscc, r.source_id, BRANCH_OF)
                for r in store.expand(by_firm, Direction.IN, {Role.BRANCH_OF}, as_of)
            ]
        for listed, firm, rel in related:
            if firm == listed:  # never related to itself (a self-held row)
                continue
            for e in by_firm[listed]:
                found.add(
                    firm,
                    NodeKind.ENTERPRISE,
                    FlagKind.RELATED_ENTERPRISE,
                    e,
                    _path([listed, firm], [rel], Rule.P3),
                )
    return found.flags(policy)


# -- entry points --------------------------------------------------------------
def propagate(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """Compute every flag on as_of and materialise them in the store."""
    from queries.changes import flag_changes

    policy = policy or default_policy()
    generation = store.generation()
    flags = compute_flags(store, store.entries(), as_of, policy)
    store.save_flags(
        as_of,
        generation,
        [f.model_dump(mode="json") for f in flags],
        policy_key=policy.key(),
        events=flag_changes(store, flags, as_of, policy),
    )
    return flags


def candidate_entries(
    store: GraphStore, subject_ids: Collection[str], as_of: date, policy: Policy | None = None
) -> list[ListEntry]:
    """Every entry that could flag one of ``subject_ids`` on as_of (a superset)."""
    policy = policy or default_policy()
    kinds = store.existing_ids(subject_ids)
    persons = [s for s, k in kinds.items() if k is NodeKind.PERSON]
    firms = [s for s, k in kinds.items() if k is NodeKind.ENTERPRISE]
    severe = policy.severe_lists
    p1_roles = {s.role for kind in severe for s in policy.p1_specs(kind)}
    found: dict[str, ListEntry] = {}

    def take(entries: Iterable[ListEntry]) -> None:
        for e in entries:
            found.setdefault(e.entry_id, e)

    take(store.entries(subject_ids=kinds))
    # P1 reaches persons from firms where they ever held a responsible role
    heads = set(persons)
    if firms:
        # P2 reaches firms from persons with a post in them on as_of
        p2_roles = {s.role for s in policy.rules.P2.roles}
        for r in store.expand(firms, Direction.IN, p2_roles, as_of):
            if r.source_type is NodeKind.PERSON:
                heads.add(r.source_id)
        take(store.entries(subject_ids=heads - set(persons), lists=severe))
        # P3 reaches firms from holders, branches and parents
        near = {
            r.source_id
            for r in store.expand(firms, Direction.IN, {Role.SHAREHOLDER, Role.BRANCH_OF}, as_of)
            if r.source_type is NodeKind.ENTERPRISE
        }
        near |= {r.target_uscc for r in store.expand(firms, Direction.OUT, {Role.BRANCH_OF}, as_of)}
        take(store.entries(subject_ids=near, lists=severe))
    if heads:
        employers = {r.target_uscc for r in store.expand(heads, Direction.OUT, p1_roles)}
        take(store.entries(subject_ids=employers, lists=severe))
        take(store.entries(responsible_person_ids=heads, lists=severe))
    return sorted(found.values(), key=lambda e: e.entry_id)


def materialised_valid(store: GraphStore, as_of: date, policy: Policy | None = None) -> bool:
    """Materialised flags answer for (as_of, policy) only when they were
    computed for that day, under that policy, on the store as it is now."""
    state = store.flags_state()
    return (
        state is not None
        and state == (as_of, store.generation())
        and store.flags_policy_key() == (policy or default_policy()).key()
    )


def flags_for_subjects(
    store: GraphStore, subject_ids: Collection[str], as_of: date, policy: Policy | None = None
) -> list[Flag]:
    """Flags of the given subjects on as_of, sorted by (subject, flag, entry)."""
    wanted = set(subject_ids)
    if not wanted:
        return []
    if materialised_valid(store, as_of, policy):
        stored = store.stored_flags(subject_ids=wanted)
        if stored is not None:
            return [Flag.model_validate(f) for f in stored.flags]
    entries = candidate_entries(store, wanted, as_of, policy)
    return [f for f in compute_flags(store, entries, as_of, policy) if f.subject_id in wanted]


def all_flags(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """Every flag on as_of (materialised ones when valid)."""
    if materialised_valid(store, as_of, policy):
        stored = store.stored_flags()
        if stored is not None:
            return [Flag.model_validate(f) for f in stored.flags]
    return compute_flags(store, store.entries(), as_of, policy)


def affected_entries(store: GraphStore, batch: Batch) -> set[str]:
    """Entries whose flags a batch can change (incremental propagation)."""
    touched = {x for r in batch.relations for x in (r.source_id, r.target_uscc)}
    return affected_by(store, touched, {e.entry_id for e in batch.entries})


def affected_by(store: GraphStore, touched_ids: Collection[str], entry_ids: set[str]) -> set[str]:
    """Entries whose flags can change when relations at ``touched_ids``
    changed and entries ``entry_ids`` were written: entries on those ids,
    naming them, or for which they were responsible persons."""
    ids = set(entry_ids)
    if touched_ids:
        ids |= {e.entry_id for e in store.entries(subject_ids=touched_ids)}
        ids |= {e.entry_id for e in store.entries(responsible_person_ids=touched_ids)}
        stored = store.stored_flags(subject_ids=touched_ids)
        if stored is not None:
            ids |= {f["entry_id"] for f in stored.flags if f["flag"] == FlagKind.RESPONSIBLE_PERSON}
    return ids


def refresh_entries(
    store: GraphStore, entry_ids: Collection[str], generation_before: int
) -> int | None:
    """Re-propagate ``entry_ids`` into valid materialised flags; returns the
    number of flags written, or None when there was nothing valid to update."""
    state = store.flags_state()
    policy = default_policy()
    if state is None or state[1] != generation_before or store.flags_policy_key() != policy.key():
        return None
    as_of = state[0]
    generation = store.generation()
    if generation == generation_before:
        return 0
    from queries.changes import flag_changes

    entries = store.entries(entry_ids=entry_ids) if entry_ids else []
    flags = compute_flags(store, entries, as_of, policy)
    store.save_flags(
        as_of,
        generation,
        [f.model_dump(mode="json") for f in flags],
        replace_entries=entry_ids,
        policy_key=policy.key(),
        events=flag_changes(store, flags, as_of, policy, entry_ids),
    )
    return len(flags)


def refresh_after_load(store: GraphStore, batch: Batch, generation_before: int) -> int | None:
    """Incremental propagation after a load (see :func:`refresh_entries`)."""
    state = store.flags_state()
    if state is None or state[1] != generation_before:
        return None
    return refresh_entries(store, affected_entries(store, batch), generation_before)


def refresh_after_change(
    store: GraphStore,
    touched_ids: Collection[str] | None,
    entry_ids: Collection[str],
    generation_before: int,
) -> int | None:
    """Incremental propagation after a load: only the entries affected by
    relations at ``touched_ids`` and by the written ``entry_ids``; a full
    re-propagation when ``touched_ids`` is None (too many to track). None
    when no valid materialised flags existed."""
    state = store.flags_state()
    if state is None or state[1] != generation_before:
        return None
    if touched_ids is None:
        return len(propagate(store, state[0]))
    affected = affected_by(store, touched_ids, set(entry_ids))
    return refresh_entries(store, affected, generation_before)
