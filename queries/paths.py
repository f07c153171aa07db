"""Shortest evidence paths between two entities (DESIGN §8 ``paths``).

Relations are traversed in both directions over roles active on ``as_of``.
The search is a bidirectional breadth-first search on store expansions (one
``expand`` call per level for the whole frontier of one side), always
growing the smaller side; networkx then enumerates the shortest simple paths
on the bounded subgraph collected so far (Yen's algorithm).

Bounds, so that one query never hangs: ``max_depth`` is capped at
:data:`MAX_DEPTH` and ``limit`` at :data:`MAX_LIMIT`; nodes with more than
:data:`HUB_DEGREE` relations are not expanded (they can still be endpoints,
and a path through a hub is found when both sides reach it); a side whose
frontier grows beyond :data:`MAX_FRONTIER` nodes, or a search that has
fetched :data:`MAX_RELATIONS` relations, stops growing. A bounded search
logs a warning; its answer lists the paths found within the bounds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from credgraph.i18n import N_
from credgraph.model import ROLE_PREFERENCE, NodeId, Relation
from credgraph.store import Direction, GraphStore
from queries.errors import InvalidRequest
from queries.subjects import resolve_subject

log = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_LIMIT = 50
HUB_DEGREE = 1_000
MAX_FRONTIER = 20_000
MAX_RELATIONS = 200_000

_RANK = {role: i for i, role in enumerate(ROLE_PREFERENCE)}


class EvidencePath(BaseModel):
    """One path: ``nodes`` from ``from`` to ``to`` and the role of each hop."""

    nodes: list[NodeId]
    relations: list[str]


class PathsResult(BaseModel):
    """DESIGN §8 ``paths``: shortest first."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_id: NodeId = Field(alias="from")
    to_id: NodeId = Field(alias="to")
    max_depth: int
    paths: list[EvidencePath]


def check_bound(name: str, value: int, cap: int) -> int:
    """``value`` capped at ``cap``; :class:`InvalidRequest` when below 1."""
    if value < 1:
        raise InvalidRequest(N_("{name} must be at least 1, got {value}", name=name, value=value))
    return min(value, cap)


class _Search:
    """The subgraph collected by a bidirectional search, with side depths."""

    def __init__(self, store: GraphStore, ends: tuple[str, str], as_of: date) -> None:
        self.store = store
        self.as_of = as_of
        self.ends = set(ends)
        self.depth: tuple[dict[str, int], dict[str, int]] = ({ends[0]: 0}, {ends[1]: 0})
        self.frontier: tuple[set[str], set[str]] = ({ends[0]}, {ends[1]})
        self.levels = [0, 0]
        self.roles: dict[tuple[str, str], int] = {}
        self.fetched = 0
        self.bounded = False
        #: a side that skipped a hub is not exhausted when its frontier empties
        self.clipped = [False, False]

    def grow(self, side: int) -> None:
        """Expand the frontier of ``side`` by one level (one store call)."""
        frontier = self.frontier[side]
        rels = self.store.expand(sorted(frontier), Direction.BOTH, as_of=self.as_of)
        self.fetched += len(rels)
        by_node: dict[str, list[Relation]] = defaultdict(list)
        for r in rels:
            for end in (r.source_id, r.target_uscc):
                if end in frontier:
                    by_node[end].append(r)
        level = self.levels[side] + 1
        seen = self.depth[side]
        nxt: set[str] = set()
        for node in sorted(by_node):
            node_rels = by_node[node]
            if len(node_rels) > HUB_DEGREE and node not in self.ends:
                self.bounded = self.clipped[side] = True
                continue
            for r in node_rels:
                other = r.target_uscc if r.source_id == node else r.source_id
                if other == node:
                    continue
                key = (min(node, other), max(node, other))
                rank = _RANK[r.role]
                if rank < self.roles.get(key, len(_RANK)):
                    self.roles[key] = rank
                if other not in seen:
                    seen[other] = level
                    nxt.add(other)
        self.levels[side] = level
        self.frontier[side].clear()
        self.frontier[side].update(nxt)

    def met(self) -> bool:
        a, b = self.depth
        return any(n in b for n in a) if len(a) <= len(b) else any(n in a for n in b)

    def paths(self, source: str, target: str, length: int, limit: int) -> list[EvidencePath]:
        """Up to ``limit`` simple paths of at most ``length`` hops, best first."""
        import networkx as nx  # here: 0.2 s to import, for the commands that draw paths only

        graph = nx.Graph()
        for (u, v), rank in sorted(self.roles.items()):
            # ties in hop count go to the strongest roles (DESIGN §3 preference)
            graph.add_edge(u, v, rank=rank, weight=1 + rank / 100)
        if source not in graph or target not in graph:
            return []
        from_s = nx.single_source_shortest_path_length(graph, source, cutoff=length)
        from_t = nx.single_source_shortest_path_length(graph, target, cutoff=length)
        keep = [n for n in from_s if n in from_t and from_s[n] + from_t[n] <= length]
        if target not in keep:
            return []
        sub = graph.subgraph(sorted(keep))
        found: list[tuple[int, int, tuple[int, ...], list[str]]] = []
        for nodes in nx.shortest_simple_paths(sub, source, target, "weight"):
            if len(nodes) - 1 > length:
                break
            ranks = tuple(sub.edges[u, v]["rank"] for u, v in pairwise(nodes))
            found.append((len(nodes), sum(ranks), ranks, nodes))
            if len(found) == limit:
                break
        return [
            EvidencePath(nodes=nodes, relations=[ROLE_PREFERENCE[i].value for i in ranks])
            for _, _, ranks, nodes in sorted(found)
        ]


def find_paths(
    store: GraphStore,
    source: str,
    target: str,
    as_of: date,
    max_depth: int = 6,
    limit: int = 5,
) -> PathsResult:
    """The shortest evidence paths between two entities on ``as_of``.

    Returns a :class:`PathsResult`: up to ``limit`` simple paths of at most
    ``max_depth`` hops (capped at :data:`MAX_DEPTH`), shortest first, then
    next-shortest; ties go to paths whose hops carry the preferred roles
    (legal_representative > executive > actual_controller > shareholder >
    branch_of), then to ids. Each hop's relation is the preferred role among
    the active relations linking the pair, in either direction. No path
    within ``max_depth`` is an answer with ``paths == []``.

    Raises :class:`UnknownEntity` or :class:`InvalidIdentifierError` for
    either id, :class:`InvalidRequest` for ``max_depth`` or ``limit`` < 1.

    For example, with A --legal_representative-- P --shareholder-- B,
    ``find_paths(store, A, B, day).paths[0].nodes == [A, P, B]``.
    """
    s, _ = resolve_subject(store, source)
    t, _ = resolve_subject(store, target)
    depth = check_bound("max_depth", max_depth, MAX_DEPTH)
    limit = check_bound("limit", limit, MAX_LIMIT)
    if s == t:
        return PathsResult(
            from_id=s, to_id=t, max_depth=depth, paths=[EvidencePath(nodes=[s], relations=[])]
        )
    search = _Search(store, (s, t), as_of)
    found: list[EvidencePath] = []
    while sum(search.levels) < depth:
        if any(not search.frontier[i] and not search.clipped[i] for i in (0, 1)):
            # one side's component is exhausted: every path is already collected
            found = search.paths(s, t, depth, limit)
            break
        sides = [i for i in (0, 1) if search.frontier[i]]
        side = min(sides, key=lambda i: (len(search.frontier[i]), search.levels[i]), default=None)
        if side is None or len(search.frontier[side]) > MAX_FRONTIER:
            search.bounded = True
            break
        if search.fetched > MAX_RELATIONS:
            search.bounded = True
            break
        search.grow(side)
        if search.met():
            found = search.paths(s, t, sum(search.levels), limit)
            if len(found) >= limit:
                break
    if search.bounded:
        log.warning("paths %s-%s: search bounded by hub or frontier caps", s, t)
    return PathsResult(from_id=s, to_id=t, max_depth=depth, paths=found)
