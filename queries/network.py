"""The ego network of an entity (DESIGN §8 ``network``), as JSON or networkx.

Breadth-first, one ``expand`` call per level. Each expanded node brings at
most ``limit`` neighbours into the map (its strongest relations first); the
rest are counted in its ``hidden_neighbours`` ("and N more" super-node
collapse). The edges are every fetched relation between two shown nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel

from credgraph.model import (
    ROLE_PREFERENCE,
    Enterprise,
    Flag,
    NodeId,
    NodeKind,
    Relation,
    Role,
    Title,
)
from credgraph.store import Direction, GraphStore
from queries.paths import check_bound
from queries.propagation import flags_for_subjects
from queries.subjects import resolve_subject

if TYPE_CHECKING:
    import networkx as nx

MAX_DEPTH = 3
MAX_NODES = 1_000

_RANK = {role: i for i, role in enumerate(ROLE_PREFERENCE)}


class NetworkNode(BaseModel):
    """A node; ``hidden_neighbours`` counts neighbours left out by the caps."""

    id: NodeId
    type: NodeKind
    name: str
    flags: list[Flag]
    hidden_neighbours: int


class NetworkEdge(BaseModel):
    """A relation: ``source`` holds ``role`` in ``target``; ``ended`` before as_of."""

    source: NodeId
    target: NodeId
    role: Role
    title: Title | None
    share_pct: float | None
    start_on: date | None
    end_on: date | None
    ended: bool


class NetworkResult(BaseModel):
    """DESIGN §8 ``network``: nodes (center first, then by distance) and edges."""

    center: NodeId
    as_of: date
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]


def _fetch(store: GraphStore, ids: list[str], as_of: date, include_ended: bool) -> list[Relation]:
    if not include_ended:
        return store.expand(ids, Direction.BOTH, as_of=as_of)
    # ended relations too, but never ones that have not started by as_of
    rels = store.expand(ids, Direction.BOTH)
    return [r for r in rels if r.start_on is None or r.start_on <= as_of]


def _priority(as_of: date, other: str, rels: list[Relation]) -> tuple[bool, int, float, str]:
    """Active before ended, then the preferred role, the larger stake, the id."""
    return (
        not any(r.active_on(as_of) for r in rels),
        min(_RANK[r.role] for r in rels),
        -max(r.share_pct or 0.0 for r in rels),
        other,
    )


def _neighbours(
    nodes: Iterable[str], rels: Iterable[Relation]
) -> dict[str, dict[str, list[Relation]]]:
    """For each of ``nodes``: its neighbours and the relations linking them."""
    wanted = set(nodes)
    found: dict[str, dict[str, list[Relation]]] = {n: defaultdict(list) for n in wanted}
    for r in rels:
        if r.source_id == r.target_uscc:
            continue
        if r.source_id in wanted:
            found[r.source_id][r.target_uscc].append(r)
        if r.target_uscc in wanted:
            found[r.target_uscc][r.source_id].append(r)
    return found


def ego_network(
    store: GraphStore,
    center: str,
    as_of: date,
    depth: int = 1,
    limit: int = 50,
    include_ended: bool = False,
) -> NetworkResult:
    """The entities within ``depth`` relations (capped at :data:`MAX_DEPTH`)
    of ``center`` on ``as_of``.

    Returns a :class:`NetworkResult`. Relations are those active on as_of,
    plus (``include_ended``) those ended before it. Every node within
    ``depth - 1`` hops is expanded and brings in at most ``limit`` neighbours
    (neighbours already on the map count toward the cap and are always
    drawn); the whole map stops at :data:`MAX_NODES` nodes. A node's
    ``hidden_neighbours`` counts its neighbours left off the map by these
    caps (0 for the outermost nodes, which are not expanded). Nodes carry
    their flags on as_of (DESIGN §3).

    Raises :class:`UnknownEntity` / :class:`InvalidIdentifierError` for the
    center and :class:`InvalidRequest` for ``depth`` or ``limit`` < 1.

    For example, when P is the legal representative of A and B,
    ``ego_network(store, P, day)`` has nodes P, A, B and edges P→A, P→B.
    """
    root, _ = resolve_subject(store, center)
    depth = check_bound("depth", depth, MAX_DEPTH)
    limit = check_bound("limit", limit, MAX_NODES)
    shown: dict[str, None] = {root: None}  # insertion-ordered: center, then by distance
    pool: dict[tuple[str, ...], Relation] = {}
    around: dict[str, dict[str, list[Relation]]] = {}
    frontier = [root]
    for level in range(depth + 1):
        rels = _fetch(store, frontier, as_of, include_ended)
        pool.update((r.identity, r) for r in rels)
        if level == depth:
            break  # the outermost nodes are fetched only for edges among shown nodes
        nxt: list[str] = []
        around.update(_neighbours(frontier, rels))
        for node in frontier:
            known = sum(1 for other in around[node] if other in shown)
            fresh = sorted(
                (_priority(as_of, o, rs) for o, rs in around[node].items() if o not in shown)
            )
            room = min(max(limit - known, 0), MAX_NODES - len(shown))
            for *_, other in fresh[:room]:
                shown[other] = None
                nxt.append(other)
        frontier = nxt
        if not frontier:
            break
    return _assemble(store, root, as_of, shown, pool.values(), around)


def _assemble(
    store: GraphStore,
    root: str,
    as_of: date,
    shown: dict[str, None],
    rels: Iterable[Relation],
    around: dict[str, dict[str, list[Relation]]],
) -> NetworkResult:
    ids = list(shown)
    records = store.nodes(ids)
    flags: dict[str, list[Flag]] = defaultdict(list)
    for f in flags_for_subjects(store, ids, as_of):
        flags[f.subject_id].append(f)
    nodes = [
        NetworkNode(
            id=i,
            type=NodeKind.ENTERPRISE if isinstance(records[i], Enterprise) else NodeKind.PERSON,
            name=records[i].name,
            flags=flags[i],
            hidden_neighbours=sum(1 for o in around.get(i, {}) if o not in shown),
        )
        for i in ids
    ]
    edges = [
        NetworkEdge(
            source=r.source_id,
            target=r.target_uscc,
            role=r.role,
            title=r.title,
            share_pct=r.share_pct,
            start_on=r.start_on,
            end_on=r.end_on,
            ended=r.end_on is not None and r.end_on < as_of,
        )
        for r in sorted(rels, key=lambda r: r.identity)
        if r.source_id in shown and r.target_uscc in shown
    ]
    return NetworkResult(center=root, as_of=as_of, nodes=nodes, edges=edges)


def to_networkx(result: NetworkResult) -> nx.MultiDiGraph:
    """The network as a ``networkx.MultiDiGraph`` (relation source → target).

    Attributes are GraphML-safe scalars: nodes carry ``type``, ``name``,
    ``flags`` (the distinct flag kinds, comma-separated), ``entry_ids``
    (comma-separated) and ``hidden_neighbours``; edges carry ``role`` and,
    when known, ``title``, ``share_pct``, ``start_on``, ``end_on``, plus
    ``ended``. Edge keys are ``role|title|start_on``.

    For example: ``nx.write_graphml(to_networkx(ego_network(store, P, day)), "p.graphml")``.
    """
    import networkx as nx  # only here: 0.2 s to import, and no other query needs it

    graph = nx.MultiDiGraph(center=result.center, as_of=result.as_of.isoformat())
    for n in result.nodes:
        graph.add_node(
            n.id,
            type=n.type.value,
            name=n.name,
            flags=",".join(sorted({f.flag.value for f in n.flags})),
            entry_ids=",".join(sorted({f.entry_id for f in n.flags})),
            hidden_neighbours=n.hidden_neighbours,
        )
    for e in result.edges:
        attrs: dict[str, str | float | bool] = {"role": e.role.value, "ended": e.ended}
        if e.title is not None:
            attrs["title"] = e.title.value
        if e.share_pct is not None:
            attrs["share_pct"] = e.share_pct
        if e.start_on is not None:
            attrs["start_on"] = e.start_on.isoformat()
        if e.end_on is not None:
            attrs["end_on"] = e.end_on.isoformat()
        key = f"{e.role.value}|{e.title.value if e.title else ''}|{e.start_on or ''}"
        graph.add_edge(e.source, e.target, key=key, **attrs)
    return graph
