"""The links between bidders (DESIGN §6), found by one bounded walk up the
ownership and control relations of all bidders together:

* ``shared_person`` — one person holds roles active on as_of in both;
* ``ownership`` — one holds shares in the other directly or through a chain
  of at most ``depth`` shareholder relations (``pct`` is the effective
  percentage: products along a chain, summed over parallel chains); or one
  controls the other through a declared actual controller or a branch
  relation, directly or through a chain (``pct`` None);
* ``common_controller`` — a third party controls both (a holding at or above
  the control threshold, a declared actual controller, or the parent of a
  branch), directly or through chains of such control of at most ``depth``
  hops on each side;
* ``shared_contact`` — the same normalised phone, email or address.

The walk makes one ``store.expand`` call per hop and direction for all
bidders, never follows a chain back into itself, does not expand hubs
(nodes with more than :data:`HUB_LIMIT` holders) and keeps at most
:data:`MAX_CHAINS` ownership chains per hop; links whose search was bounded
say so in ``detail``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from credgraph.model import NodeKind, Relation, Role
from credgraph.store import Direction, GraphStore
from queries.propagation import best_relation
from queries.screening_model import Link, LinkKind

log = logging.getLogger(__name__)

#: Nodes above a bidder with more holders than this are reached but not expanded.
HUB_LIMIT = 500
#: Ownership chains kept per hop over all bidders (the strongest ones).
MAX_CHAINS = 5_000
CONTROL_ROLES = frozenset({Role.SHAREHOLDER, Role.ACTUAL_CONTROLLER})
CONTACT_KINDS = ("phone", "email", "address")

Chain = tuple[str, ...]  # node ids from a bidder upward


@dataclass
class Walk:
    """What the walk above the bidders found."""

    #: summed active share_pct per (holder, firm)
    held: dict[tuple[str, str], float] = field(default_factory=dict)
    #: (owned bidder, owning bidder) -> [(effective share 0..1, chain)]
    owners: dict[tuple[str, str], list[tuple[float, Chain]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: bidder -> controller -> (chain, relation per hop): the shortest control chain
    control: dict[str, dict[str, tuple[Chain, tuple[str, ...]]]] = field(default_factory=dict)
    #: (bidder a, bidder b) -> the common controller their link names
    common: dict[tuple[str, str], str] = field(default_factory=dict)
    #: bidder -> why its search was bounded
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, bidders: Iterable[str], text: str) -> None:
        for b in sorted(set(bidders)):
            if text not in self.notes[b]:
                self.notes[b].append(text)

    def bounded(self, *bidders: str) -> str | None:
        notes = [n for b in bidders for n in self.notes.get(b, [])]
        return "search bounded: " + "; ".join(dict.fromkeys(notes)) if notes else None


@dataclass
class _Level:
    """The relations met at one hop, grouped by the firm they lead up from."""

    holders: dict[str, dict[str, float]]
    controllers: dict[str, dict[str, set[str]]]
    firms: set[str]


class _Walker:
    """Walk up shareholder and actual_controller relations (and from a
    branch to its parent) active on as_of, level by level for all bidders at
    once, at most ``depth`` hops."""

    def __init__(
        self,
        store: GraphStore,
        bidders: Sequence[str],
        as_of: date,
        depth: int,
        threshold: float,
    ) -> None:
        self.store, self.as_of, self.depth, self.threshold = store, as_of, depth, threshold
        self.bidders = set(bidders)
        self.walk = Walk(control={b: {b: ((b,), ())} for b in bidders})
        self.own: list[tuple[str, Chain, float]] = [(b, (b,), 1.0) for b in bidders]
        self.ctrl: list[tuple[str, Chain, tuple[str, ...]]] = [(b, (b,), ()) for b in bidders]

    def run(self, first: list[Relation]) -> Walk:
        for hop in range(1, self.depth + 1):
            ends: dict[str, set[str]] = defaultdict(set)
            for b, chain, _ in self.own:
                ends[chain[-1]].add(b)
            for b, chain, _ in self.ctrl:
                ends[chain[-1]].add(b)
            if not ends:
                break
            if hop == 1:
                up = [r for r in first if r.role in CONTROL_ROLES]
            else:
                up = self._drop_hubs(
                    self.store.expand(sorted(ends), Direction.IN, CONTROL_ROLES, self.as_of), ends
                )
            ctrl_ends = sorted({chain[-1] for _, chain, _ in self.ctrl})
            parents = self.store.expand(ctrl_ends, Direction.OUT, {Role.BRANCH_OF}, self.as_of)
            level = self._level(up, parents)
            self._step_ownership(level, hop)
            self._step_control(level)
        return self.walk

    def _drop_hubs(self, rels: list[Relation], ends: dict[str, set[str]]) -> list[Relation]:
        """The relations without those of hubs (more than HUB_LIMIT holders);
        the bidders whose chains reached a hub get a note."""
        count: dict[str, int] = defaultdict(int)
        for r in rels:
            count[r.target_uscc] += 1
        hubs = {t for t, n in count.items() if n > HUB_LIMIT and t not in self.bidders}
        for hub in sorted(hubs):
            log.info("screening: hub %s (%d holders) not expanded", hub, count[hub])
            self.walk.note(ends.get(hub, ()), f"hub {hub} ({count[hub]} holders) not expanded")
        return [r for r in rels if r.target_uscc not in hubs]

    def _level(self, up: list[Relation], parents: list[Relation]) -> _Level:
        holders: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        controllers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        firms: set[str] = set()
        for r in up:
            if r.source_type is NodeKind.ENTERPRISE:
                firms.add(r.source_id)
            if r.role is Role.SHAREHOLDER and r.share_pct:
                holders[r.target_uscc][r.source_id] += r.share_pct  # several rows add up
            elif r.role is Role.ACTUAL_CONTROLLER:
                controllers[r.target_uscc][r.source_id].add(Role.ACTUAL_CONTROLLER.value)
        for r in parents:  # a branch is managed by its parent (控股、管理关系)
            firms.add(r.target_uscc)
            controllers[r.source_id][r.target_uscc].add(Role.BRANCH_OF.value)
        for firm, by_holder in holders.items():
            for holder, pct in by_holder.items():
                self.walk.held[(holder, firm)] = pct
                if pct >= self.threshold:  # DESIGN §3 control threshold
                    controllers[firm][holder].add(Role.SHAREHOLDER.value)
        return _Level(holders, controllers, firms)

    def _step_ownership(self, level: _Level, hop: int) -> None:
        nxt: list[tuple[str, Chain, float]] = []
        for b, chain, share in self.own:
            for holder, pct in sorted(level.holders.get(chain[-1], {}).items()):
                if holder in chain:
                    continue  # a cycle (`credgraph ownership` reports it): never looped on
                longer, product = (*chain, holder), share * pct / 100
                if holder in self.bidders:
                    self.walk.owners[(b, holder)].append((product, longer))
                if holder in level.firms:
                    nxt.append((b, longer, product))
        if len(nxt) > MAX_CHAINS and hop < self.depth:
            nxt.sort(key=lambda c: -c[2])
            self.walk.note(
                (b for b, _, _ in nxt[MAX_CHAINS:]),
                f"only the {MAX_CHAINS} strongest ownership chains followed beyond hop {hop}",
            )
            nxt = nxt[:MAX_CHAINS]
        self.own = nxt

    def _step_control(self, level: _Level) -> None:
        nxt: list[tuple[str, Chain, tuple[str, ...]]] = []
        for b, chain, names in self.ctrl:
            for holder, roles in sorted(level.controllers.get(chain[-1], {}).items()):
                if holder in self.walk.control[b]:
                    continue  # reached already by a chain as short: cycles never looped on
                found = ((*chain, holder), (*names, best_relation(roles)))
                self.walk.control[b][holder] = found
                if holder in level.firms:
                    nxt.append((b, *found))
        self.ctrl = nxt


def walk_up(
    store: GraphStore,
    bidders: Sequence[str],
    first: list[Relation],
    as_of: date,
    depth: int,
    threshold: float,
) -> Walk:
    """The bounded walk above ``bidders``; ``first`` are the relations into
    the bidders active on as_of (any role), already fetched by the caller."""
    return _Walker(store, bidders, as_of, depth, threshold).run(first)


# -- links ---------------------------------------------------------------------
def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def shared_person_links(
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


def ownership_links(walk: Walk) -> list[Link]:
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
                detail=_join(more, walk.bounded(owned)),
            )
        )
    return links


def control_links(known: Sequence[str], walk: Walk) -> list[Link]:
    """A bidder controlling another through a declared actual controller or a
    branch relation, directly or through a chain (chains of shareholdings
    alone are ``ownership_links`` already)."""
    links = []
    for b in known:
        for a, (chain, relations) in walk.control[b].items():
            if a == b or a not in walk.control or set(relations) == {Role.SHAREHOLDER.value}:
                continue
            how = "branch" if relations == (Role.BRANCH_OF.value,) else "control"
            hops = "direct" if len(chain) == 2 else f"through {len(chain) - 2} intermediaries"
            links.append(
                Link(
                    a=a,
                    b=b,
                    kind=LinkKind.OWNERSHIP,
                    path=list(reversed(chain)),
                    relations=list(reversed(relations)),
                    detail=_join(f"{how}, {hops}", walk.bounded(b)),
                )
            )
    return links


def common_controller_links(known: Sequence[str], walk: Walk, names: dict[str, str]) -> list[Link]:
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
            walk.common[(a, b)] = controller
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
                    detail=_join(label, extra, walk.bounded(a, b)),
                )
            )
    return links


def shared_contact_links(known: Sequence[str], contacts: dict[str, dict[str, str]]) -> list[Link]:
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
