"""Full propagation over plain rows, on an adjacency cached per store generation.

A full run (:func:`queries.materialise.materialise`, :func:`queries.propagation.all_flags`)
reads every entry and the relations around the subjects of the severe ones
(P1, P3) and around their persons (P2): tens of thousands of rows at 1 M
enterprises. Built as records, they cost more than the rules themselves.
Here they are read as plain columns (``Graph.entry_rows``,
``Graph.relation_rows``: every role and day, so that one read serves any
as_of and any policy) and kept per store while its generation stays the
same; the rules of DESIGN §3 run over strings (ISO days compare as dates)
and only the hits become :class:`~queries.propagation.Hit`, turned into
flags by the same ``_flags`` as :func:`~queries.propagation.compute_flags`.

:func:`~queries.propagation.compute_flags` stays the specification: the
properties in ``tests/queries/test_adjacency.py`` check that
:func:`full_flags` equals it on random graphs, before and after writes.
The cache never answers for another generation (it is read again when the
counter moved), nor for another store (one per store object, dropped with
it); objections are read on every run.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import chain
from typing import NamedTuple
from weakref import WeakKeyDictionary

from credgraph.model import Flag, FlagKind, ListKind, NodeKind, Objection, Role, Rule
from credgraph.policy import Policy, RoleSpec, default_policy
from credgraph.store import Direction, EntryRow, Graph, GraphStore, RelationRow
from queries.propagation import (
    BRANCH_OF,
    PARENT_OF,
    Hit,
    _flags,
    _p2_starts,
    best_relation,
    control_hits,
    listed,
    responsible_hits,
    suspended,
)

_KINDS = {k.value: k for k in NodeKind}
_LISTS = {k.value: k for k in ListKind}
_PERSON = NodeKind.PERSON.value
_SHAREHOLDER, _BRANCH = Role.SHAREHOLDER.value, Role.BRANCH_OF.value
#: a role spec over plain columns: role, titles (None: any), excluded titles
_Spec = tuple[str, frozenset[str] | None, frozenset[str]]


class Entry(NamedTuple):
    """A list entry as the rules of a full run read it (dates ISO)."""

    entry_id: str
    subject_id: str
    subject_type: NodeKind
    list: ListKind
    decided_on: str
    valid_until: str | None
    removed_on: str | None
    responsible: tuple[str, ...]

    @classmethod
    def of(cls, row: EntryRow) -> Entry:
        entry_id, subject, kind, listed_on, decided, until, removed, named = row
        ids = tuple(filter(None, named.split(";"))) if named else ()
        return cls(entry_id, subject, _KINDS[kind], _LISTS[listed_on], decided, until, removed, ids)


class Adjacency:
    """Every entry and the relations read so far around ids, by direction,
    as the store was at ``generation``."""

    def __init__(self, generation: int, entries: list[Entry]) -> None:
        self.generation = generation
        self.entries = entries
        self._rows: dict[Direction, dict[str, list[RelationRow]]] = {
            Direction.IN: {},
            Direction.OUT: {},
        }

    def around(
        self, store: Graph, ids: Collection[str], direction: Direction
    ) -> dict[str, list[RelationRow]]:
        """The relations of each of ``ids`` (OUT or IN), in ``expand``'s
        order; those not read yet in one ``relation_rows`` call. Each id's
        list is complete before it is published (readers in other threads)."""
        known = self._rows[direction]
        missing = [i for i in ids if i not in known]
        if missing:
            read: dict[str, list[RelationRow]] = {i: [] for i in missing}
            inward = direction is Direction.IN
            for row in store.relation_rows(missing, direction):
                read[row[2] if inward else row[0]].append(row)
            known.update(read)
        return known


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic GC paused: a full run makes a few hundred thousand records,
    tuples and flags, none in a cycle, and the collector's passes over them
    cost a third of the run (as in ``graph_loader.load``). Nested
    pauses are harmless."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _promote_young()
            gc.enable()


def _promote_young() -> None:
    """Move the young objects straight to the oldest generation, untouched.

    What a full run makes and keeps (the flags, four tracked objects each,
    and the cached adjacency: 450,000 objects at 1 M) would otherwise be
    traversed by the first young collection after the pause (0.2 s at 1 M,
    in the caller's time) and again by the next middle one; a full
    collection still sees them, as any long-lived object. ``gc.freeze``
    then ``gc.unfreeze`` does it by splicing lists; skipped when the
    process froze objects itself (unfreezing would undo that)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


_CACHE: WeakKeyDictionary[Graph, Adjacency] = WeakKeyDictionary()


def adjacency(store: Graph) -> Adjacency:
    """The store's adjacency for its current generation: the cached one,
    or a new one (every entry read) when the generation moved."""
    generation = store.generation()
    found = _CACHE.get(store)
    if found is None or found.generation != generation:
        found = Adjacency(generation, [Entry.of(row) for row in store.entry_rows()])
        _CACHE[store] = found
    return found


def _active(entries: Iterable[Entry], objections: list[Objection], as_of: date) -> list[Entry]:
    """``propagation.entry_active`` over plain rows."""
    day = as_of.isoformat()
    by_entry: dict[str, list[Objection]] = defaultdict(list)
    for o in objections:
        by_entry[o.entry_id].append(o)
    return [
        e
        for e in entries
        if e.decided_on <= day
        and (not e.removed_on or e.removed_on > day)
        and (not e.valid_until or e.valid_until >= day)
        and not (e.entry_id in by_entry and suspended(by_entry[e.entry_id], as_of))
    ]


def _spec(s: RoleSpec) -> _Spec:
    titles = None if s.titles is None else frozenset(t.value for t in s.titles)
    return s.role.value, titles, frozenset(t.value for t in s.exclude_titles)


def _on(start: str, end: str | None, day: str) -> bool:
    """``Relation.active_on`` over ISO cells ("" or None: open)."""
    return (not start or start <= day) and (not end or day <= end)


def responsible_persons(
    adj: Adjacency, store: Graph, firms: list[Entry], policy: Policy
) -> list[Hit]:
    """P1 (``propagation.responsible_persons``) over plain rows."""
    rows = adj.around(store, {e.subject_id for e in firms}, Direction.IN)
    specs_of = {kind: [_spec(s) for s in policy.p1_specs(kind)] for kind in {e.list for e in firms}}
    named = policy.rules.P1.named_responsible
    hits: list[Hit] = []
    for e in firms:
        specs, day = specs_of[e.list], e.decided_on
        roles_of: dict[str, set[str]] = defaultdict(set)
        for source, kind, _, role, title, start, _, end in rows[e.subject_id]:
            if kind != _PERSON or not _on(start, end, day):
                continue
            if any(role == r and (t is None or title in t) and title not in x for r, t, x in specs):
                roles_of[source].add(role)
        hits += responsible_hits(e, roles_of, e.responsible if named else ())
    return hits


def related_via_person(
    adj: Adjacency, store: Graph, starts: dict[str, list[Hit]], as_of: date, policy: Policy
) -> Iterator[Hit]:
    """P2 (``propagation.related_via_person``) over plain rows."""
    by_role: dict[str, list[tuple[_Spec, float | None]]] = defaultdict(list)
    for spec in policy.rules.P2.roles:
        by_role[spec.role.value].append((_spec(spec), policy.min_share(spec)))
    rows, day = adj.around(store, starts.keys(), Direction.OUT), as_of.isoformat()
    enterprise, related, p2 = NodeKind.ENTERPRISE, FlagKind.RELATED_ENTERPRISE, Rule.P2
    for pid, start_hits in starts.items():
        active = [r for r in rows[pid] if r[3] in by_role and _on(r[5], r[7], day)]
        held: dict[str, float] = defaultdict(float)  # summed share_pct per firm
        for r in active:
            if r[3] == _SHAREHOLDER and r[6]:
                held[r[2]] += r[6]
        links: dict[str, set[str]] = defaultdict(set)
        for _, _, firm, role, title, _, _, _ in active:
            for (_, titles, excluded), minimum in by_role[role]:
                if (titles is not None and title not in titles) or title in excluded:
                    continue
                if minimum is not None and held[firm] < minimum:
                    continue
                links[firm].add(role)
        for firm, names in links.items():
            rel = best_relation(names)
            for start in start_hits:
                e = start.entry
                if firm != e.subject_id:
                    nodes, relations = (*start.nodes, firm), (*start.relations, rel)
                    yield Hit(firm, enterprise, related, e, p2, nodes, relations)


def _controlled(
    adj: Adjacency, store: Graph, firms: Collection[str], day: str, policy: Policy
) -> list[tuple[str, str, str]]:
    """(listed firm, related firm, relation) of P3: holdings at or above the
    control threshold, parents, branches (as the rules allow them)."""
    p3, related = policy.rules.P3, []
    if p3.control_holdings or p3.parent:
        rows = adj.around(store, firms, Direction.OUT)
        for firm in firms:
            held: dict[str, float] = defaultdict(float)
            for source, _, target, role, _, start, share, end in rows[firm]:
                if not _on(start, end, day):
                    continue
                if role == _SHAREHOLDER and share:
                    held[target] += share
                elif role == _BRANCH and p3.parent:
                    related.append((source, target, PARENT_OF))
            if p3.control_holdings:
                threshold = policy.control_threshold_pct
                related += [(firm, t, _SHAREHOLDER) for t, pct in held.items() if pct >= threshold]
    if p3.branches:
        rows = adj.around(store, firms, Direction.IN)
        for firm in firms:
            related += [
                (firm, source, BRANCH_OF)
                for source, _, _, role, _, start, _, end in rows[firm]
                if role == _BRANCH and _on(start, end, day)
            ]
    return related


def related_via_control(
    adj: Adjacency, store: Graph, firm_entries: list[Entry], as_of: date, policy: Policy
) -> Iterator[Hit]:
    """P3 (``propagation.related_via_control``) over plain rows."""
    by_firm: dict[str, list[Entry]] = defaultdict(list)
    for e in firm_entries:
        by_firm[e.subject_id].append(e)
    yield from control_hits(_controlled(adj, store, by_firm, as_of.isoformat(), policy), by_firm)


def full_flags(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """Every flag on as_of: ``compute_flags(store, store.entries(), as_of,
    policy)``, the same list, over the cached adjacency."""
    policy = policy or default_policy()
    with no_gc():
        adj = adjacency(store)
        active = _active(adj.entries, store.objections(), as_of)
        severe = [e for e in active if policy.is_severe(e.list)]
        firms = [e for e in severe if e.subject_type is NodeKind.ENTERPRISE]
        p1 = responsible_persons(adj, store, firms, policy)
        hits = chain(
            listed(active),  # L0
            p1,  # P1
            related_via_person(adj, store, _p2_starts(p1, severe), as_of, policy),  # P2
            related_via_control(adj, store, firms, as_of, policy),  # P3
        )
        return _flags(hits, policy)
