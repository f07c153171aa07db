"""Bidder screening (DESIGN §6): a verdict per bidder and the links between bidders.

Each bidder's verdict comes from the measures policy (:mod:`queries.measures`);
the links between every pair of known bidders are found by one bounded walk
up the ownership and control relations of all bidders together:

* ``shared_person`` — one person holds roles active on as_of in both;
* ``ownership`` — one holds shares in the other directly or through a chain
  of at most ``depth`` shareholder relations; ``pct`` is the effective
  percentage (products along a chain, summed over parallel chains);
* ``common_controller`` — a third party controls both (a holding at or above
  the control threshold, or a declared actual controller), directly or
  through chains of such control of at most ``depth`` hops on each side;
* ``shared_contact`` — the same normalised phone, email or address.

The walk makes one ``store.expand`` call per hop for all bidders, never
follows a chain back into itself, does not expand hubs (nodes with more than
:data:`HUB_LIMIT` relations) and keeps at most :data:`MAX_CHAINS` ownership
chains per hop; links whose search was bounded say so in ``detail``.

>>> # screen_bidders(store, [A, B], as_of=date(2026, 1, 1)).links
>>> # [Link(a=A, b=B, kind="shared_person", path=[A, person, B], ...)]
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel

from credgraph.ids import InvalidIdentifier, normalise_id, validate_uscc
from credgraph.model import Flag, NodeId, NodeKind, Relation, Role, Scenario
from credgraph.policy import Policy, default_policy, today
from credgraph.store import Direction, GraphStore
from queries.errors import InvalidRequest
from queries.measures import Reason, evaluate_measures, parse_scenario
from queries.propagation import best_relation, flags_for_subjects

log = logging.getLogger(__name__)

MIN_BIDDERS, MAX_BIDDERS = 2, 50
DEFAULT_DEPTH, MAX_DEPTH = 4, 8
#: Nodes above a bidder with more holders than this are reached but not expanded.
HUB_LIMIT = 500
#: Ownership chains kept per hop over all bidders (the strongest ones).
MAX_CHAINS = 5_000
CONTROL_ROLES = frozenset({Role.SHAREHOLDER, Role.ACTUAL_CONTROLLER})
CONTACT_KINDS = ("phone", "email", "address")


class BidderVerdict(StrEnum):
    REJECT = "reject"
    REVIEW = "review"
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    UNKNOWN = "unknown"
    INVALID = "invalid"


class LinkKind(StrEnum):
    SHARED_PERSON = "shared_person"
    OWNERSHIP = "ownership"
    COMMON_CONTROLLER = "common_controller"
    SHARED_CONTACT = "shared_contact"


_KIND_ORDER = {k: i for i, k in enumerate(LinkKind)}


class Bidder(BaseModel):
    uscc: str
    verdict: BidderVerdict
    reasons: list[Reason]


class Link(BaseModel):
    """A link between bidders ``a`` and ``b`` with its evidence path (one
    relation per hop). For ``ownership`` ``a`` is the owner and the path
    runs from owner to owned; otherwise ``a`` comes first among the bidders."""

    a: str
    b: str
    kind: LinkKind
    path: list[NodeId]
    relations: list[str]
    pct: float | None = None
    detail: str | None = None


class ScreeningResult(BaseModel):
    """The screening JSON of DESIGN §6."""

    scenario: Scenario
    as_of: date
    bidders: list[Bidder]
    links: list[Link]


# -- the bounded upward walk ---------------------------------------------------
Chain = tuple[str, ...]  # node ids from a bidder upward


@dataclass
class _Walk:
    """What the walk above the bidders found."""

    #: summed active share_pct per (holder, firm)
    held: dict[tuple[str, str], float] = field(default_factory=dict)
    #: (owned bidder, owning bidder) -> [(effective share 0..1, chain)]
    owners: dict[tuple[str, str], list[tuple[float, Chain]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: bidder -> controller -> (chain, relation per hop): the shortest control chain
    control: dict[str, dict[str, tuple[Chain, tuple[str, ...]]]] = field(default_factory=dict)
    #: bidder -> why its search was bounded
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _note(walk: _Walk, bidders: Iterable[str], text: str) -> None:
    for b in sorted(set(bidders)):
        if text not in walk.notes[b]:
            walk.notes[b].append(text)


def _drop_hubs(
    walk: _Walk, rels: list[Relation], ends: dict[str, set[str]], bidders: set[str]
) -> list[Relation]:
    """The relations without those of hubs (more than HUB_LIMIT holders);
    the bidders whose chains reached a hub get a note."""
    count: dict[str, int] = defaultdict(int)
    for r in rels:
        count[r.target_uscc] += 1
    hubs = {t for t, n in count.items() if n > HUB_LIMIT and t not in bidders}
    for hub in sorted(hubs):
        log.info("screening: hub %s (%d holders) not expanded", hub, count[hub])
        _note(walk, ends.get(hub, ()), f"hub {hub} ({count[hub]} holders) not expanded")
    return [r for r in rels if r.target_uscc not in hubs]


def _walk_up(
    store: GraphStore,
    bidders: Sequence[str],
    first: list[Relation],
    as_of: date,
    depth: int,
    threshold: float,
) -> _Walk:
    """Walk up shareholder and actual_controller relations active on as_of,
    level by level for all bidders at once, at most ``depth`` hops."""
    walk = _Walk()
    bidder_set = set(bidders)
    own_level: list[tuple[str, Chain, float]] = [(b, (b,), 1.0) for b in bidders]
    ctrl_level: list[tuple[str, Chain, tuple[str, ...]]] = [(b, (b,), ()) for b in bidders]
    walk.control = {b: {b: ((b,), ())} for b in bidders}
    rels = [r for r in first if r.role in CONTROL_ROLES]
    for hop in range(1, depth + 1):
        if hop > 1:
            ends: dict[str, set[str]] = defaultdict(set)
            for b, chain, _ in own_level:
                ends[chain[-1]].add(b)
            for b, chain, _ in ctrl_level:
                ends[chain[-1]].add(b)
            if not ends:
                break
            rels = store.expand(sorted(ends), Direction.IN, CONTROL_ROLES, as_of)
            rels = _drop_hubs(walk, rels, ends, bidder_set)
        holders: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        declared: dict[str, set[str]] = defaultdict(set)
        firms: set[str] = set()
        for r in rels:
            if r.source_type is NodeKind.ENTERPRISE:
                firms.add(r.source_id)
            if r.role is Role.SHAREHOLDER and r.share_pct:
                holders[r.target_uscc][r.source_id] += r.share_pct  # several rows add up
            elif r.role is Role.ACTUAL_CONTROLLER:
                declared[r.target_uscc].add(r.source_id)
        controllers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for firm, by_holder in holders.items():
            for holder, pct in by_holder.items():
                walk.held[(holder, firm)] = pct
                if pct >= threshold:  # DESIGN §3 control threshold
                    controllers[firm][holder].add(Role.SHAREHOLDER.value)
        for firm, sources in declared.items():
            for source in sources:
                controllers[firm][source].add(Role.ACTUAL_CONTROLLER.value)

        next_own: list[tuple[str, Chain, float]] = []
        for b, chain, share in own_level:
            for holder, pct in sorted(holders.get(chain[-1], {}).items()):
                if holder in chain:
                    continue  # a cycle (`credgraph ownership` reports it): never looped on
                longer, product = (*chain, holder), share * pct / 100
                if holder in bidder_set:
                    walk.owners[(b, holder)].append((product, longer))
                if holder in firms:
                    next_own.append((b, longer, product))
        if len(next_own) > MAX_CHAINS and hop < depth:
            next_own.sort(key=lambda c: -c[2])
            _note(
                walk,
                (b for b, _, _ in next_own[MAX_CHAINS:]),
                f"only the {MAX_CHAINS} strongest ownership chains followed beyond hop {hop}",
            )
            next_own = next_own[:MAX_CHAINS]
        own_level = next_own

        next_ctrl: list[tuple[str, Chain, tuple[str, ...]]] = []
        for b, chain, names in ctrl_level:
            for holder, roles in sorted(controllers.get(chain[-1], {}).items()):
                if holder in walk.control[b]:
                    continue  # reached already by a chain as short: cycles never looped on
                found = ((*chain, holder), (*names, best_relation(roles)))
                walk.control[b][holder] = found
                if holder in firms:
                    next_ctrl.append((b, *found))
        ctrl_level = next_ctrl
    return walk


# -- links ---------------------------------------------------------------------
def _bounded(walk: _Walk, *bidders: str) -> str | None:
    notes = [n for b in bidders for n in walk.notes.get(b, [])]
    return "search bounded: " + "; ".join(dict.fromkeys(notes)) if notes else None


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def _shared_person_links(
    known: Sequence[str], first: list[Relation], names: dict[str, str]
) -> list[Link]:
    roles: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in first:
        if r.source_type is NodeKind.PERSON:
            roles[r.source_id][r.target_uscc].add(r.role.value)
    links = []
    for person in sorted(roles):
        firms = [b for b in known if b in roles[person]]
        for i, a in enumerate(firms):
            for b in firms[i + 1 :]:
                links.append(
                    Link(
                        a=a,
                        b=b,
                        kind=LinkKind.SHARED_PERSON,
                        path=[a, person, b],
                        relations=[
                            best_relation(roles[person][a]),
                            best_relation(roles[person][b]),
                        ],
                        detail=names.get(person),
                    )
                )
    return links


def _ownership_links(walk: _Walk) -> list[Link]:
    links = []
    for (owned, owner), chains in sorted(walk.owners.items()):
        total = sum(share for share, _ in chains)
        _, strongest = min(chains, key=lambda c: (-c[0], len(c[1]), c[1]))
        path = list(reversed(strongest))  # owner first
        hops = " × ".join(f"{walk.held[(u, d)]:.2f} %" for u, d in pairwise(path))
        more = f"{len(chains)} chains, strongest {hops}" if len(chains) > 1 else hops
        links.append(
            Link(
                a=owner,
                b=owned,
                kind=LinkKind.OWNERSHIP,
                path=path,
                relations=[Role.SHAREHOLDER.value] * (len(path) - 1),
                pct=round(total * 100, 2),
                detail=_join(more, _bounded(walk, owned)),
            )
        )
    return links


def _common_controller_links(
    known: Sequence[str], walk: _Walk, names: dict[str, str]
) -> list[Link]:
    """One link per pair: the common controller with the shortest simple
    path (ties by path), the others (e.g. controllers above it) named in
    ``detail``."""
    links = []
    for i, a in enumerate(known):
        for b in known[i + 1 :]:
            candidates = []
            for controller in (walk.control[a].keys() & walk.control[b].keys()) - {a, b}:
                up, up_rel = walk.control[a][controller]
                down, down_rel = walk.control[b][controller]
                path = [*up, *reversed(down[:-1])]
                relations = [*up_rel, *reversed(down_rel)]
                # a path through a node twice names a controller above a nearer one
                simple = len(set(path)) == len(path)
                candidates.append((not simple, len(path), path, relations, controller))
            candidates.sort()
            if not candidates or candidates[0][0]:
                continue
            _, _, path, relations, controller = candidates[0]
            label = f"controller {controller}" + (
                f" ({names[controller]})" if controller in names else ""
            )
            others = sorted(candidates[1:], key=lambda c: (c[1], c[4]))
            extra = f"also controlled by {', '.join(c[4] for c in others)}" if others else None
            links.append(
                Link(
                    a=a,
                    b=b,
                    kind=LinkKind.COMMON_CONTROLLER,
                    path=path,
                    relations=relations,
                    detail=_join(label, extra, _bounded(walk, a, b)),
                )
            )
    return links


def _shared_contact_links(known: Sequence[str], contacts: dict[str, dict[str, str]]) -> list[Link]:
    links = []
    for kind in CONTACT_KINDS:
        groups: dict[str, list[str]] = defaultdict(list)
        for bidder in known:
            value = contacts.get(bidder, {}).get(kind)
            if value:
                groups[value].append(bidder)
        for value, firms in groups.items():
            for i, a in enumerate(firms):
                for b in firms[i + 1 :]:
                    links.append(
                        Link(
                            a=a,
                            b=b,
                            kind=LinkKind.SHARED_CONTACT,
                            path=[a, b],
                            relations=[kind],
                            detail=f"{kind} {value}",
                        )
                    )
    return links


# -- entry point ---------------------------------------------------------------
def _normalise_bidders(bidders: Sequence[str]) -> dict[str, str | None]:
    """Bidder id -> None when it is a valid USCC, else the reason it is not
    (input order kept, duplicates after normalisation dropped)."""
    out: dict[str, str | None] = {}
    for raw in bidders:
        try:
            out.setdefault(validate_uscc(raw), None)
        except InvalidIdentifier as exc:
            out.setdefault(normalise_id(raw), exc.reason)
    return out


def screen_bidders(
    store: GraphStore,
    bidders: Sequence[str],
    scenario: Scenario | str = Scenario.PUBLIC_BIDDING,
    as_of: date | None = None,
    depth: int = DEFAULT_DEPTH,
    policy: Policy | None = None,
) -> ScreeningResult:
    """Screen 2–50 bidders on as_of (default today in Asia/Shanghai): the
    verdict of each bidder with its reasons, and every link between two
    known bidders with its evidence path (DESIGN §6).

    Raises :class:`InvalidRequest` for fewer than 2 or more than 50 distinct
    bidders, a depth outside 1..8, or a scenario that is not a screening one.
    Unknown and malformed bidders are answered (``unknown`` / ``invalid``).
    """
    if isinstance(bidders, str):
        raise InvalidRequest("bidders must be a list of USCCs, not one string")
    chosen = parse_scenario(scenario)
    if chosen is Scenario.GREEN_CHANNEL:
        raise InvalidRequest("green_channel is not a screening scenario: use measures")
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidRequest(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    checked = _normalise_bidders(bidders)
    if not MIN_BIDDERS <= len(checked) <= MAX_BIDDERS:
        raise InvalidRequest(
            f"screening needs {MIN_BIDDERS} to {MAX_BIDDERS} distinct bidders, got {len(checked)}"
        )
    day = as_of or today()
    rules = policy or default_policy()
    valid = [b for b, problem in checked.items() if problem is None]
    kinds = store.existing_ids(valid)
    known = [b for b in valid if kinds.get(b) is NodeKind.ENTERPRISE]

    flags_of: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags_for_subjects(store, known, day, policy):
        flags_of[flag.subject_id].append(flag)
    results = []
    for uscc, problem in checked.items():
        if problem is not None:
            results.append(
                Bidder(
                    uscc=uscc,
                    verdict=BidderVerdict.INVALID,
                    reasons=[Reason(code="invalid", detail=problem)],
                )
            )
        elif kinds.get(uscc) is not NodeKind.ENTERPRISE:  # a person's id is no bidder
            results.append(
                Bidder(
                    uscc=uscc,
                    verdict=BidderVerdict.UNKNOWN,
                    reasons=[
                        Reason(code="unknown", detail="no enterprise with this USCC in the store")
                    ],
                )
            )
        else:
            measured = evaluate_measures(
                store, uscc, NodeKind.ENTERPRISE, chosen, day, policy, flags=flags_of[uscc]
            )
            results.append(
                Bidder(uscc=uscc, verdict=BidderVerdict(measured.verdict), reasons=measured.reasons)
            )

    links: list[Link] = []
    if len(known) >= 2:
        first = store.expand(known, Direction.IN, None, day)
        walk = _walk_up(store, known, first, day, depth, rules.control_threshold_pct)
        people = {r.source_id for r in first if r.source_type is NodeKind.PERSON}
        tops = {c for b in known for c in walk.control[b]} - set(known)
        names = {i: n.name for i, n in store.nodes(people | tops).items()}
        links = [
            *_shared_person_links(known, first, names),
            *_ownership_links(walk),
            *_common_controller_links(known, walk, names),
            *_shared_contact_links(known, store.contacts(known)),
        ]
        position = {b: i for i, b in enumerate(known)}
        links.sort(
            key=lambda x: (
                sorted((position[x.a], position[x.b])),
                _KIND_ORDER[x.kind],
                x.path,
            )
        )
    return ScreeningResult(scenario=chosen, as_of=day, bidders=results, links=links)
