"""Equity penetration of one enterprise (DESIGN §8 ``ownership``).

Shareholder relations active on ``as_of`` are collected level by level (one
``expand`` call per level, upward for owners and downward for holdings);
percentages are then multiplied along every simple chain and summed over
parallel chains. A chain never visits a firm twice, so circular ownership
gives finite percentages; the circles themselves are reported in ``cycles``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice
from typing import Literal

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import NodeId, NodeKind, PersonId, Role
from credgraph.store import Direction, GraphStore
from queries.errors import InvalidRequest
from queries.paths import check_bound
from queries.subjects import resolve_subject

log = logging.getLogger(__name__)

MAX_DEPTH = 10
#: firms visited per direction; beyond this the penetration stops growing
MAX_NODES = 5_000
#: chains enumerated per direction; beyond this the sums are partial
MAX_CHAINS = 20_000
MAX_CYCLES = 100
#: DESIGN §8: the majority chain follows holders of strictly more than this
MAJORITY_PCT = 50.0
UBO_PCT = 25.0


class Owner(BaseModel):
    """An upstream holder: ``pct`` of the firm, ``paths`` from owner to firm."""

    id: NodeId
    type: NodeKind
    pct: float
    paths: list[list[NodeId]]


class Ubo(BaseModel):
    person_id: PersonId
    pct: float


class Controller(BaseModel):
    """The actual controller; ``path`` runs from the controller to the firm."""

    id: NodeId
    basis: Literal["declared", "majority_chain"]
    path: list[NodeId]


class Holding(BaseModel):
    """A downstream firm: ``pct`` held, ``paths`` from the firm queried to it."""

    uscc: str
    pct: float
    paths: list[list[NodeId]]


class OwnershipResult(BaseModel):
    """DESIGN §8 ``ownership``; percentages 0–100 with two decimals."""

    uscc: NodeId
    as_of: date
    owners: list[Owner]
    ubos: list[Ubo]
    actual_controller: Controller | None
    cycles: list[list[NodeId]]
    holdings: list[Holding]


class _Stakes:
    """Summed active stakes (several rows of one holder in one firm add up)."""

    def __init__(self) -> None:
        self.pct: dict[tuple[str, str], float] = defaultdict(float)
        self.rows: set[tuple[str, ...]] = set()
        self.kind: dict[str, NodeKind] = {}
        self.holders: dict[str, dict[str, float]] = defaultdict(dict)
        self.held: dict[str, dict[str, float]] = defaultdict(dict)

    def finish(self) -> None:
        for (holder, firm), pct in self.pct.items():
            self.holders[firm][holder] = min(pct, 100.0)
            self.held[holder][firm] = min(pct, 100.0)


def _collect(
    store: GraphStore, start: str, direction: Direction, as_of: date, depth: int, stakes: _Stakes
) -> None:
    """Add the shareholder relations within ``depth`` levels of ``start``."""
    seen = {start}
    frontier = [start]
    for _ in range(depth):
        if not frontier:
            return
        nxt: set[str] = set()
        for r in store.expand(frontier, direction, {Role.SHAREHOLDER}, as_of):
            if not r.share_pct:
                continue
            if r.identity not in stakes.rows:  # the other direction may have it already
                stakes.rows.add(r.identity)
                stakes.pct[(r.source_id, r.target_uscc)] += r.share_pct
            stakes.kind[r.source_id] = r.source_type
            stakes.kind.setdefault(r.target_uscc, NodeKind.ENTERPRISE)
            far = r.source_id if direction is Direction.IN else r.target_uscc
            if far not in seen and stakes.kind[far] is NodeKind.ENTERPRISE:
                seen.add(far)
                nxt.add(far)
        if len(seen) > MAX_NODES:
            log.warning("ownership of %s: stopped after %d firms (%s)", start, len(seen), direction)
            return
        frontier = sorted(nxt)


def _chains(
    start: str, step: dict[str, dict[str, float]], depth: int
) -> Iterator[tuple[str, tuple[str, ...], float]]:
    """Every simple chain from ``start`` along ``step`` within ``depth`` hops:
    ``(far end, chain from start, product of fractions)``."""
    stack: list[tuple[tuple[str, ...], float]] = [((start,), 1.0)]
    while stack:
        chain, share = stack.pop()
        if len(chain) > depth:
            continue
        for nxt, pct in sorted(step.get(chain[-1], {}).items(), reverse=True):
            if nxt in chain:
                continue  # circular ownership: reported in cycles, never looped on
            product = share * pct / 100
            yield nxt, (*chain, nxt), product
            stack.append(((*chain, nxt), product))


def _aggregate(
    start: str, step: dict[str, dict[str, float]], depth: int, upward: bool
) -> dict[str, tuple[float, list[list[str]]]]:
    total: dict[str, float] = defaultdict(float)
    paths: dict[str, list[list[str]]] = defaultdict(list)
    chains = _chains(start, step, depth)
    for far, chain, share in islice(chains, MAX_CHAINS):
        total[far] += share
        paths[far].append(list(reversed(chain)) if upward else list(chain))
    if next(chains, None) is not None:
        log.warning("ownership of %s: more than %d chains, sums are partial", start, MAX_CHAINS)
    return {far: (_pct(total[far]), sorted(paths[far], key=lambda p: (len(p), p))) for far in total}


def _pct(fraction: float) -> float:
    """Percent with two decimals, half up (24.995 → 25.0 despite float noise)."""
    exact = Decimal(f"{min(fraction * 100, 100.0):.9f}")
    return float(exact.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _cycles(uscc: str, stakes: _Stakes, depth: int) -> list[list[str]]:
    import networkx as nx  # here: 0.2 s to import, for ownership only

    graph = nx.DiGraph()
    graph.add_edges_from(sorted(stakes.pct))
    found: list[list[str]] = []
    for cycle in islice(nx.simple_cycles(graph, length_bound=depth), MAX_CYCLES):
        first = cycle.index(uscc) if uscc in cycle else cycle.index(min(cycle))
        ring = cycle[first:] + cycle[:first]
        found.append([*ring, ring[0]])
    return sorted(found, key=lambda c: (c[0] != uscc, len(c), c))


def _majority_chain(uscc: str, stakes: _Stakes, depth: int) -> Controller | None:
    chain = [uscc]
    for _ in range(depth):
        majority = [
            (p, h) for h, p in stakes.holders.get(chain[-1], {}).items() if p > MAJORITY_PCT
        ]
        if not majority:
            break
        holder = max(majority)[1]
        if holder in chain:
            break  # a circle of majorities: stop where it closes
        chain.append(holder)
    if len(chain) == 1:
        return None
    return Controller(id=chain[-1], basis="majority_chain", path=list(reversed(chain)))


def _declared(store: GraphStore, uscc: str, as_of: date) -> Controller | None:
    declared = store.expand([uscc], Direction.IN, {Role.ACTUAL_CONTROLLER}, as_of)
    if not declared:
        return None
    # several declared controllers: natural persons first, then by id
    first = min(declared, key=lambda r: (r.source_type is not NodeKind.PERSON, r.source_id))
    return Controller(id=first.source_id, basis="declared", path=[first.source_id, uscc])


def ownership(store: GraphStore, uscc: str, as_of: date, max_depth: int = 10) -> OwnershipResult:
    """Who owns ``uscc`` and what it owns on ``as_of``, through chains of at
    most ``max_depth`` (capped at :data:`MAX_DEPTH`) shareholdings.

    Returns an :class:`OwnershipResult`: ``owners`` (every upstream holder,
    by pct descending, with its chains), ``ubos`` (natural persons with
    pct ≥ 25), ``actual_controller`` (a declared actual_controller active on
    as_of, else the last holder of the majority chain, else None),
    ``cycles`` (circles of shareholdings, each closed: ``[A, B, C, A]`` means
    A holds B holds C holds A) and ``holdings`` (downstream firms).

    Raises :class:`UnknownEntity` / :class:`InvalidIdentifierError` for the
    id and :class:`InvalidRequest` for a person or ``max_depth`` < 1.

    For example, with P -60%-> A -50%-> T and P -10%-> T, the owners of T
    are P with 40 % (paths ``[P, T]`` and ``[P, A, T]``) and A with 50 %.
    """
    firm, kind = resolve_subject(store, uscc)
    if kind is not NodeKind.ENTERPRISE:
        raise InvalidRequest(N_("{id} is a person: ownership needs an enterprise USCC", id=firm))
    depth = check_bound("max_depth", max_depth, MAX_DEPTH)
    stakes = _Stakes()
    _collect(store, firm, Direction.IN, as_of, depth, stakes)
    _collect(store, firm, Direction.OUT, as_of, depth, stakes)
    stakes.finish()
    up = _aggregate(firm, stakes.holders, depth, upward=True)
    down = _aggregate(firm, stakes.held, depth, upward=False)
    owners = sorted(
        (Owner(id=o, type=stakes.kind[o], pct=pct, paths=paths) for o, (pct, paths) in up.items()),
        key=lambda o: (-o.pct, o.id),
    )
    return OwnershipResult(
        uscc=firm,
        as_of=as_of,
        owners=owners,
        ubos=[
            Ubo(person_id=o.id, pct=o.pct)
            for o in owners
            if o.type is NodeKind.PERSON and o.pct >= UBO_PCT
        ],
        actual_controller=_declared(store, firm, as_of) or _majority_chain(firm, stakes, depth),
        cycles=_cycles(firm, stakes, depth),
        holdings=sorted(
            (Holding(uscc=h, pct=pct, paths=paths) for h, (pct, paths) in down.items()),
            key=lambda h: (-h.pct, h.uscc),
        ),
    )
