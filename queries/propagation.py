"""Propagation of serious dishonesty: the rules of DESIGN §3, one function each.

=====  =========================  ==========================================
rule   function                   reaches
=====  =========================  ==========================================
L0     :func:`listed`             the subject of any active entry
P1     :func:`responsible_persons`  persons responsible on the decision day
P2     :func:`related_via_person`   firms of those persons (and of listed
                                  persons) on as_of
P3     :func:`related_via_control`  firms a listed firm controls, its
                                  branches, its parent
=====  =========================  ==========================================

:func:`compute_flags` chains the four over a set of entries; every answer
is computed by it, so results never depend on whether flags were
materialised (:mod:`queries.materialise` stores them and refreshes them
incrementally):

* :func:`all_flags` runs it over every entry;
* :func:`flags_for_subjects` runs it over :func:`candidate_entries`, the
  entries that can reach the given subjects.

**The forward rules are the specification.** :func:`candidate_entries` is
the same rules read backwards (each rule's ``*_reach`` function sits beside
it); it may find more entries than needed, never fewer, and is checked
against the forward rules by the properties in
``tests/queries/test_propagation_properties.py`` (``flags_for_subjects``
equals the subset of :func:`compute_flags` for every subject of random
graphs) and the busy-graph scenario of ``tests/queries/test_propagation.py``.
The bench's networkx baseline (:mod:`bench.baseline`) is a third,
deliberately independent reading, kept as the yardstick.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import chain
from operator import itemgetter
from typing import NamedTuple, Protocol

from pydantic import BaseModel

from credgraph.model import (
    ROLE_PREFERENCE,
    FlagKind,
    ListEntry,
    ListKind,
    NodeKind,
    Objection,
    Relation,
    Role,
    Rule,
)
from credgraph.model import Flag as Flag
from credgraph.policy import Policy, RoleSpec, default_policy
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


#: above this many entries their objections are read all at once (a full run)
_ALL_OBJECTIONS_FROM = 5000


def active_entries(store: GraphStore, entries: list[ListEntry], as_of: date) -> list[ListEntry]:
    by_entry: dict[str, list[Objection]] = defaultdict(list)
    if entries:
        wanted = None if len(entries) >= _ALL_OBJECTIONS_FROM else [e.entry_id for e in entries]
        for o in store.objections(wanted):
            by_entry[o.entry_id].append(o)
    return [e for e in entries if entry_active(e, by_entry.get(e.entry_id, ()), as_of)]


def best_relation(names: Collection[str]) -> str:
    """The reported role of a hop: legal_representative, then executive,
    then actual_controller, then shareholder (DESIGN §3)."""
    if len(names) == 1:
        return next(iter(names))
    return min(names, key=lambda x: (_RELATION_RANK.get(x, 99), x))


class EntryLike(Protocol):
    """What a hit keeps of its entry: a :class:`ListEntry`, or the plain
    row of a full run (:mod:`queries.adjacency`)."""

    @property
    def entry_id(self) -> str: ...
    @property
    def subject_id(self) -> str: ...
    @property
    def subject_type(self) -> NodeKind: ...
    @property
    def list(self) -> ListKind: ...


class Hit(NamedTuple):
    """One way a rule reaches a subject: the flag and its evidence path."""

    subject_id: str
    subject_type: NodeKind
    flag: FlagKind
    entry: EntryLike
    rule: Rule
    nodes: tuple[str, ...]  # from the entry's subject to the flagged subject
    relations: tuple[str, ...]  # one per hop


def _holdings(rels: Iterable[Relation]) -> dict[tuple[str, str], float]:
    """Summed active share_pct per (holder, firm): several rows add up."""
    total: dict[tuple[str, str], float] = defaultdict(float)
    for r in rels:
        if r.role is Role.SHAREHOLDER and r.share_pct:
            total[(r.source_id, r.target_uscc)] += r.share_pct
    return total


# -- L0 listed -----------------------------------------------------------------
def listed(active: Iterable[EntryLike]) -> Iterator[Hit]:
    """L0: any active entry flags its subject ``listed`` (003:L24, 003:L33)."""
    for e in active:
        yield Hit(e.subject_id, e.subject_type, FlagKind.LISTED, e, Rule.L0, (e.subject_id,), ())


# -- P1 responsible person -----------------------------------------------------
def responsible_persons(
    store: GraphStore, firm_entries: list[ListEntry], policy: Policy
) -> list[Hit]:
    """P1: an active severe entry on an enterprise flags ``responsible_person``
    the natural persons whose role in it was active **on decided_on** —
    legal_representative, executive titled chairman or general_manager,
    anyone in responsible_person_ids, for dishonest_debtor also a declared
    actual_controller (``policy.rules.P1``; 003:L24, 001:L709). The flag is
    kept while the entry is active, even if the person has left since."""
    roles = {s.role for e in firm_entries for s in policy.p1_specs(e.list)}
    by_firm: dict[str, list[Relation]] = defaultdict(list)
    for r in store.expand({e.subject_id for e in firm_entries}, Direction.IN, roles):
        if r.source_type is NodeKind.PERSON:
            by_firm[r.target_uscc].append(r)
    specs_of = {kind: policy.p1_specs(kind) for kind in {e.list for e in firm_entries}}
    hits: list[Hit] = []
    for e in firm_entries:
        specs = specs_of[e.list]
        roles_of: dict[str, set[str]] = defaultdict(set)
        for r in by_firm.get(e.subject_id, ()):
            if r.active_on(e.decided_on) and any(s.matches(r) for s in specs):
                roles_of[r.source_id].add(r.role.value)
        named = e.responsible_person_ids if policy.rules.P1.named_responsible else ()
        hits += responsible_hits(e, roles_of, named)
    return hits


def responsible_hits(
    e: EntryLike, roles_of: dict[str, set[str]], named: Iterable[str]
) -> Iterator[Hit]:
    """P1's hits of entry ``e``: each person with the roles found on its
    firm (``roles_of``) and each person the entry names (``named``, when the
    policy counts them), by the strongest relation."""
    for pid in named:
        roles_of[pid].add(NAMED_RESPONSIBLE)
    for pid, names in roles_of.items():
        nodes, rels = (e.subject_id, pid), (best_relation(names),)
        yield Hit(pid, NodeKind.PERSON, FlagKind.RESPONSIBLE_PERSON, e, Rule.P1, nodes, rels)


def _p1_reach(store: GraphStore, persons: set[str], policy: Policy) -> list[ListEntry]:
    """P1 backwards: severe entries on firms where ``persons`` ever held a
    P1 role (the decision day varies per entry), or naming them."""
    severe = policy.severe_lists
    roles = {s.role for kind in severe for s in policy.p1_specs(kind)}
    employers = store.neighbour_ids(persons, Direction.OUT, roles)
    return [
        *store.entries(subject_ids=employers, lists=severe),
        *store.entries(responsible_person_ids=persons, lists=severe),
    ]


# -- P2 related via person -----------------------------------------------------
def _p2_starts(p1: Iterable[Hit], severe: Iterable[EntryLike]) -> dict[str, list[Hit]]:
    """Where P2 starts: persons flagged by P1, and persons who are the
    subject of an active severe entry (a path of their own node alone)."""
    starts: dict[str, list[Hit]] = defaultdict(list)
    for hit in p1:
        starts[hit.subject_id].append(hit)
    for e in severe:
        if e.subject_type is NodeKind.PERSON:
            starts[e.subject_id].append(
                Hit(e.subject_id, NodeKind.PERSON, FlagKind.LISTED, e, Rule.L0, (e.subject_id,), ())
            )
    return starts


def related_via_person(
    store: GraphStore,
    starts: dict[str, list[Hit]],
    as_of: date,
    policy: Policy,
    targets: Collection[str] | None = None,
) -> Iterator[Hit]:
    """P2: from each start person to every enterprise other than the entry's
    subject where the person's role is active **on as_of** —
    legal_representative, executive (any title but supervisor),
    actual_controller, shareholder at or above the control threshold
    (``policy.rules.P2``; 001:L709, 000:L91): ``related_enterprise``.
    With ``targets``, only the hits on those enterprises."""
    by_role: dict[Role, list[tuple[RoleSpec, float | None]]] = defaultdict(list)
    for spec in policy.rules.P2.roles:
        by_role[spec.role].append((spec, policy.min_share(spec)))
    roles = set(by_role)
    if targets is None:
        rels = store.expand(starts, Direction.OUT, roles, as_of)
    else:  # a nominee's thousand firms are not read when a few are wanted
        rels = store.expand_between(starts, targets, roles, as_of)
    held = _holdings(rels)
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rels:
        for spec, minimum in by_role.get(r.role, ()):
            if not spec.matches(r):
                continue
            if minimum is not None and held[(r.source_id, r.target_uscc)] < minimum:
                continue
            links[(r.source_id, r.target_uscc)].add(r.role.value)
    enterprise, related, p2 = NodeKind.ENTERPRISE, FlagKind.RELATED_ENTERPRISE, Rule.P2
    for (pid, firm), names in links.items():
        rel = best_relation(names)
        for start in starts[pid]:
            e = start.entry
            if firm != e.subject_id:
                nodes, relations = (*start.nodes, firm), (*start.relations, rel)
                yield Hit(firm, enterprise, related, e, p2, nodes, relations)


def _p2_reach(store: GraphStore, firms: list[str], as_of: date, policy: Policy) -> set[str]:
    """P2 backwards: persons holding a P2 role in ``firms`` on as_of."""
    roles = {s.role for s in policy.rules.P2.roles}
    return {
        r.source_id
        for r in store.expand(firms, Direction.IN, roles, as_of)
        if r.source_type is NodeKind.PERSON
    }


# -- P3 related via control ----------------------------------------------------
def related_via_control(
    store: GraphStore,
    firm_entries: list[ListEntry],
    as_of: date,
    policy: Policy,
    targets: Collection[str] | None = None,
) -> Iterator[Hit]:
    """P3: an active severe entry on an enterprise flags
    ``related_enterprise`` the enterprises it holds directly at or above
    the control threshold, its branches, and its parent if it is a branch —
    relations active on as_of (``policy.rules.P3``; 000:L91, 001:L709).
    With ``targets``, only the hits on those enterprises."""
    p3 = policy.rules.P3
    by_firm: dict[str, list[ListEntry]] = defaultdict(list)
    for e in firm_entries:
        by_firm[e.subject_id].append(e)
    if not by_firm or not (p3.control_holdings or p3.branches or p3.parent):
        return
    related: list[tuple[str, str, str]] = []  # (listed, related firm, relation)
    up = {Role.SHAREHOLDER, Role.BRANCH_OF}
    if targets is None:
        out_rels = store.expand(by_firm, Direction.OUT, up, as_of)
    else:  # a listed group's thousands of subsidiaries are not read for a few
        out_rels = store.expand_between(by_firm, targets, up, as_of)
    if p3.control_holdings:
        related += [
            (holder, firm, Role.SHAREHOLDER.value)
            for (holder, firm), pct in _holdings(out_rels).items()
            if pct >= policy.control_threshold_pct
        ]
    if p3.parent:
        related += [
            (r.source_id, r.target_uscc, PARENT_OF) for r in out_rels if r.role is Role.BRANCH_OF
        ]
    if p3.branches:
        branches = (
            store.expand(by_firm, Direction.IN, {Role.BRANCH_OF}, as_of)
            if targets is None
            else store.expand_between(targets, by_firm, {Role.BRANCH_OF}, as_of)
        )
        related += [(r.target_uscc, r.source_id, BRANCH_OF) for r in branches]
    yield from control_hits(related, by_firm)


def control_hits(
    related: Iterable[tuple[str, str, str]], by_firm: Mapping[str, Sequence[EntryLike]]
) -> Iterator[Hit]:
    """P3's hits: for each (listed firm, related firm, relation), one per
    entry of the listed firm; a firm is never related to itself (a
    self-held row)."""
    for listed_firm, firm, rel in related:
        if firm == listed_firm:
            continue
        for e in by_firm[listed_firm]:
            yield Hit(
                firm,
                NodeKind.ENTERPRISE,
                FlagKind.RELATED_ENTERPRISE,
                e,
                Rule.P3,
                (listed_firm, firm),
                (rel,),
            )


def _p3_reach(store: GraphStore, firms: list[str], as_of: date) -> set[str]:
    """P3 backwards: firms that hold ``firms``, are their branches, or
    their parents, on as_of."""
    near = {
        r.source_id
        for r in store.expand(firms, Direction.IN, {Role.SHAREHOLDER, Role.BRANCH_OF}, as_of)
        if r.source_type is NodeKind.ENTERPRISE
    }
    return near | {
        r.target_uscc for r in store.expand(firms, Direction.OUT, {Role.BRANCH_OF}, as_of)
    }


# -- flags ---------------------------------------------------------------------
def _rank(relations: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(_RELATION_RANK.get(x, 99) for x in relations)


def _flags(hits: Iterable[Hit], policy: Policy) -> list[Flag]:
    """One flag per (subject_id, flag, entry_id), sorted by that key: the
    shortest path (then the preferred relations, then the node ids) is the
    evidence; ``other_paths`` counts the other distinct node sequences."""
    first: dict[tuple[str, FlagKind, str], Hit] = {}
    more: dict[tuple[str, FlagKind, str], dict[tuple[str, ...], Hit]] = {}
    for hit in hits:
        key = (hit.subject_id, hit.flag, hit.entry.entry_id)
        known = first.setdefault(key, hit)
        if known is hit:
            continue
        by_nodes = more.get(key)
        if by_nodes is None:
            by_nodes = more[key] = {known.nodes: known}
        same = by_nodes.get(hit.nodes)
        if same is None or _rank(hit.relations) < _rank(same.relations):
            by_nodes[hit.nodes] = hit
    citations = {
        Rule.L0: policy.rules.L0.citation,
        Rule.P2: policy.rules.P2.citation,
        Rule.P3: policy.rules.P3.citation,
    }
    p1_citations = {kind: policy.p1_citation(kind) for kind in policy.severe_lists}
    built: list[tuple[tuple[str, FlagKind, str], Flag]] = []
    # every field is set: one set for all (a flag is frozen, pydantic only
    # copies it), not a 700-byte set each — memory a full run otherwise fills
    every_field = set(Flag.model_fields)
    # built in the order of the hits, sorted after: in key order the hits,
    # entries and paths read are scattered in memory (0.05 s at 1 M)
    for key, best in first.items():
        others = 0
        by_nodes = more.get(key) if more else None
        if by_nodes is not None:
            best = by_nodes[min(by_nodes, key=lambda n: (len(n), _rank(by_nodes[n].relations), n))]
            others = len(by_nodes) - 1
        e = best.entry
        rule = best.rule
        fields = {
            "subject_id": best.subject_id,
            "subject_type": best.subject_type,
            "flag": best.flag,
            "list": e.list,
            "entry_id": e.entry_id,
            "rule": rule,
            "citation": p1_citations[e.list] if rule is Rule.P1 else citations[rule],
            "path": list(best.nodes),
            "relations": list(best.relations),
            "other_paths": others,
        }
        flag = _FLAG_NEW(Flag)
        _SET_DICT(flag, fields)
        _SET_FIELDS(flag, every_field)
        _SET_EXTRA(flag, None)
        _SET_PRIVATE(flag, None)
        built.append((key, flag))
    built.sort(key=_FIRST)
    return [flag for _, flag in built]


_FIRST = itemgetter(0)


# a flag is built as ``Flag.model_construct`` builds it, through the slot
# descriptors of ``BaseModel`` (a call each, no attribute lookup by name)
_FLAG_NEW = Flag.__new__
_SET_DICT = vars(BaseModel)["__dict__"].__set__
_SET_FIELDS = vars(BaseModel)["__pydantic_fields_set__"].__set__
_SET_EXTRA = vars(BaseModel)["__pydantic_extra__"].__set__
_SET_PRIVATE = vars(BaseModel)["__pydantic_private__"].__set__


def compute_flags(
    store: GraphStore,
    entries: list[ListEntry],
    as_of: date,
    policy: Policy | None = None,
    subjects: Collection[str] | None = None,
) -> list[Flag]:
    """All flags that ``entries`` produce on ``as_of`` (inactive ones give
    none), sorted by (subject_id, flag, entry_id): DESIGN §3, rule by rule;
    with ``subjects``, only the flags of those subjects (the same flags).
    Five-node scenarios of every rule are in tests/queries/test_propagation.py.
    """
    policy = policy or default_policy()
    active = active_entries(store, entries, as_of)
    severe = [e for e in active if policy.is_severe(e.list)]
    firms = [e for e in severe if e.subject_type is NodeKind.ENTERPRISE]
    p1 = responsible_persons(store, firms, policy)
    wanted = None if subjects is None else set(subjects)
    hits: Iterable[Hit] = chain(
        listed(active),  # L0
        p1,  # P1
        related_via_person(store, _p2_starts(p1, severe), as_of, policy, wanted),  # P2
        related_via_control(store, firms, as_of, policy, wanted),  # P3
    )
    if wanted is not None:
        hits = (h for h in hits if h.subject_id in wanted)
    return _flags(hits, policy)


def candidate_entries(
    store: GraphStore, subject_ids: Collection[str], as_of: date, policy: Policy | None = None
) -> list[ListEntry]:
    """Every entry that could flag one of ``subject_ids`` on as_of (a
    superset): the rules read backwards, by entry_id."""
    policy = policy or default_policy()
    kinds = store.existing_ids(subject_ids)
    persons = {s for s, k in kinds.items() if k is NodeKind.PERSON}
    firms = [s for s, k in kinds.items() if k is NodeKind.ENTERPRISE]
    severe = policy.severe_lists
    found = store.entries(subject_ids=kinds)  # L0, and P1/P2 from a subject's own entry
    heads = set(persons)  # persons from whom P2 reaches the firms, and P1 targets
    if firms:
        heads |= _p2_reach(store, firms, as_of, policy)
        found += store.entries(subject_ids=heads - persons, lists=severe)
        found += store.entries(subject_ids=_p3_reach(store, firms, as_of), lists=severe)
    if heads:
        found += _p1_reach(store, heads, policy)
    unique = {e.entry_id: e for e in found}
    return [unique[k] for k in sorted(unique)]


# -- answers -------------------------------------------------------------------
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
    return compute_flags(store, entries, as_of, policy, wanted)


def all_flags(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """Every flag on as_of (materialised ones when valid)."""
    if materialised_valid(store, as_of, policy):
        stored = store.stored_flags()
        if stored is not None:
            return [Flag.model_validate(f) for f in stored.flags]
    return compute_flags(store, store.entries(), as_of, policy)
