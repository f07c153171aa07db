"""The naive baseline of ``credgraph bench`` (issue 9): networkx over the CSVs.

The same data folder is read with pandas into one ``networkx.MultiDiGraph``
(relation source → target, keyed by the relation identity of DESIGN §2), and
each query is written the obvious networkx way, without the store:

* propagation — for every active list entry, walk the subject's predecessors
  and successors and apply L0, P1, P2, P3 (DESIGN §3) edge by edge;
* ego network — ``nx.ego_graph`` of radius 2 on the undirected view of the
  relations active on as_of, truncated to ``limit`` nodes;
* paths — ``nx.all_shortest_paths`` on that view, kept when within max_depth;
* screening — bounded shortest paths (``cutoff=depth``) between every pair of
  bidders, plus each bidder's flags from the baseline propagation.

Its answers are checked against ours (same flags, same shortest-path lengths)
so the ratio compares equal work. The propagation here is, on purpose, an
independent reading of DESIGN §3 — not built on ``queries.propagation`` and
sharing none of its code — so that it is a yardstick for both speed and
correctness; do not refactor it onto the engine's rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations, islice
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from credgraph.model import ListKind
from credgraph.policy import Policy, RoleSpec, default_policy

FlagKey = tuple[str, str, str]  # (subject_id, flag, entry_id)

RELATION_COLUMNS = ("source_id", "target_uscc", "role", "title", "share_pct", "start_on", "end_on")
ENTRY_COLUMNS = (
    "entry_id",
    "subject_id",
    "list",
    "decided_on",
    "valid_until",
    "removed_on",
    "responsible_person_ids",
)
_FILES = ("enterprises.csv", "persons.csv", "relations.csv", "list_entries.csv")


@dataclass
class BaselineGraph:
    """The whole data folder as networkx data, and the evaluation day."""

    graph: nx.MultiDiGraph
    entries: list[dict[str, Any]]
    as_of: date
    #: undirected view of the relations active on as_of (filtered on access)
    active: nx.MultiGraph


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.exists():
        return pd.DataFrame()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column in ("uscc", "person_id", "source_id", "target_uscc", "subject_id"):
        if column in frame:
            frame[column] = frame[column].str.strip().str.upper()
    return frame


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple[str, ...]]:
    if frame.empty:
        return iter(())
    return zip(*(frame[c].astype(str).tolist() for c in columns), strict=True)


def _active_on(data: dict[str, Any], day: date) -> bool:
    start, end = data["start_on"], data["end_on"]
    return (start is None or start <= day) and (end is None or day <= end)


def build_graph(folder: Path, as_of: date) -> BaselineGraph:
    """Read the CSVs of ``folder`` into a :class:`BaselineGraph`."""
    graph = nx.MultiDiGraph()
    frames = {name: _read(folder, name) for name in _FILES}
    graph.add_nodes_from(frames["enterprises.csv"].get("uscc", []), kind="enterprise")
    graph.add_nodes_from(frames["persons.csv"].get("person_id", []), kind="person")
    relations = _rows(frames["relations.csv"], RELATION_COLUMNS)
    for source, target, role, title, share_pct, start_on, end_on in relations:
        graph.add_edge(
            source,
            target,
            key=(role, title, start_on),  # the relation identity (DESIGN §2)
            role=role,
            title=title or None,
            share_pct=float(share_pct) if share_pct else None,
            start_on=_day(start_on),
            end_on=_day(end_on),
        )
    entries = [
        {
            "entry_id": entry_id.strip(),
            "subject_id": subject_id,
            "list": kind,
            "decided_on": date.fromisoformat(decided_on),
            "valid_until": _day(valid_until),
            "removed_on": _day(removed_on),
            "responsible_person_ids": [p.strip().upper() for p in named.split(";") if p.strip()],
        }
        for entry_id, subject_id, kind, decided_on, valid_until, removed_on, named in _rows(
            frames["list_entries.csv"], ENTRY_COLUMNS
        )
    ]

    def active_edge(u: Hashable, v: Hashable, key: Hashable) -> bool:
        return _active_on(graph.edges[u, v, key], as_of)

    view = nx.subgraph_view(graph, filter_edge=active_edge)
    return BaselineGraph(graph, entries, as_of, view.to_undirected(as_view=True))


# -- propagation ---------------------------------------------------------------
def _matches(spec: RoleSpec, data: dict[str, Any]) -> bool:
    if data["role"] != spec.role.value:
        return False
    titles = {t.value for t in spec.titles} if spec.titles is not None else None
    if titles is not None and data["title"] not in titles:
        return False
    return data["title"] is None or data["title"] not in {t.value for t in spec.exclude_titles}


def _entry_active(entry: dict[str, Any], day: date) -> bool:
    # the CSVs carry no objections, so no entry is suspended
    return (
        entry["decided_on"] <= day
        and (entry["removed_on"] is None or entry["removed_on"] > day)
        and (entry["valid_until"] is None or entry["valid_until"] >= day)
    )


def _held(graph: nx.MultiDiGraph, holder: str, firm: str, day: date) -> float:
    return sum(
        d["share_pct"] or 0.0
        for d in graph[holder][firm].values()
        if d["role"] == "shareholder" and _active_on(d, day)
    )


def propagate(bg: BaselineGraph, policy: Policy) -> set[FlagKey]:
    """Every flag on as_of as ``(subject_id, flag, entry_id)``, computed edge by edge."""
    graph, day = bg.graph, bg.as_of
    severe = {k.value for k in policy.severe_lists}
    flags: set[FlagKey] = set()
    for entry in bg.entries:
        if not _entry_active(entry, day):
            continue
        subject, entry_id = entry["subject_id"], entry["entry_id"]
        flags.add((subject, "listed", entry_id))
        if entry["list"] not in severe:
            continue
        if graph.nodes[subject]["kind"] == "person":
            sources = {subject}
        else:
            specs = policy.p1_specs(ListKind(entry["list"]))
            sources = set()
            for person in graph.predecessors(subject):
                if graph.nodes[person]["kind"] != "person":
                    continue
                for data in graph[person][subject].values():
                    if _active_on(data, entry["decided_on"]) and any(
                        _matches(s, data) for s in specs
                    ):
                        sources.add(person)
            if policy.rules.P1.named_responsible:
                sources.update(entry["responsible_person_ids"])
            for person in sources:
                flags.add((person, "responsible_person", entry_id))
            for firm in _p3_related(bg, subject, policy):
                if firm != subject:
                    flags.add((firm, "related_enterprise", entry_id))
        for person in sources:
            for firm in graph.successors(person):
                if firm == subject:
                    continue
                for data in graph[person][firm].values():
                    if not _active_on(data, day):
                        continue
                    for spec in policy.rules.P2.roles:
                        minimum = policy.min_share(spec)
                        if _matches(spec, data) and (
                            minimum is None or _held(graph, person, firm, day) >= minimum
                        ):
                            flags.add((firm, "related_enterprise", entry_id))
    return flags


def _p3_related(bg: BaselineGraph, firm: str, policy: Policy) -> Iterator[str]:
    graph, day, p3 = bg.graph, bg.as_of, policy.rules.P3
    for other in graph.successors(firm):
        for data in graph[firm][other].values():
            if not _active_on(data, day):
                continue
            if data["role"] == "branch_of" and p3.parent:
                yield other
            if (
                data["role"] == "shareholder"
                and p3.control_holdings
                and _held(graph, firm, other, day) >= policy.control_threshold_pct
            ):
                yield other
    if p3.branches:
        for other in graph.predecessors(firm):
            if any(
                d["role"] == "branch_of" and _active_on(d, day) for d in graph[other][firm].values()
            ):
                yield other


# -- bounded queries -----------------------------------------------------------
def ego_network(bg: BaselineGraph, center: str, radius: int = 2, limit: int = 300) -> nx.Graph:
    """``nx.ego_graph`` of the active relations, truncated to ``limit`` nodes."""
    ego = nx.ego_graph(bg.active, center, radius=radius)
    return ego.subgraph(list(islice(ego.nodes, limit))).copy()


def shortest_paths(
    bg: BaselineGraph, source: str, target: str, max_depth: int = 6, limit: int = 5
) -> list[list[str]]:
    """Up to ``limit`` shortest paths of at most ``max_depth`` hops (none beyond)."""
    try:
        paths = list(islice(nx.all_shortest_paths(bg.active, source, target), limit))
    except nx.NetworkXNoPath:
        return []
    return [p for p in paths if len(p) - 1 <= max_depth]


def screening(
    bg: BaselineGraph, bidders: Sequence[str], flags: set[FlagKey], depth: int = 4
) -> dict[str, Any]:
    """Flags of each bidder and every pair of bidders linked within ``depth`` hops."""
    flagged: dict[str, list[FlagKey]] = defaultdict(list)
    wanted = set(bidders)
    for key in flags:
        if key[0] in wanted:
            flagged[key[0]].append(key)
    reach = {
        b: nx.single_source_shortest_path(bg.active, b, cutoff=depth)
        for b in bidders
        if b in bg.active
    }
    links = [
        (a, b, reach[a][b]) for a, b in combinations(bidders, 2) if a in reach and b in reach[a]
    ]
    return {"flags": {b: flagged.get(b, []) for b in bidders}, "links": links}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.baseline FOLDER [--as-of D]``: the networkx script
    that ``credgraph bench`` races against ``credgraph propagate`` — read the
    CSVs, build the graph, propagate, write ``{"flags": N}`` on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    flags = propagate(build_graph(args.folder, args.as_of), default_policy())
    sys.stdout.write(json.dumps({"flags": len(flags)}) + "\n")


if __name__ == "__main__":
    main()
