"""Hub figures of ``credgraph bench`` (issue 17.5): the sample's heavy tails
(:mod:`graph_loader.sample.tails`) are where lookups get slow, so the bench
finds the biggest hubs in the CSVs and times the queries that touch them:

* the group parent with the most relations, the person who is legal
  representative of the most firms, the address shared by the most firms;
* the ego network of the biggest hub (depth 2, 1,000 nodes) in this
  process (the map as a process is in :mod:`bench.processes`);
* screening of bidders linked through a hub (members of the group, firms of
  the nominee) and of bidders sharing the mass-registration address, wall
  and CPU time, with the flags materialised and computed live.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import budgeted, percentile, stats
from credgraph.ids import normalise_address
from credgraph.store import GraphStore
from queries.network import ego_network
from queries.screening import screen_bidders

HUB_MAP_NODES = 1_000


@dataclass
class Hubs:
    """The biggest hubs of a sample and some of their members."""

    group: str  # the firm with the most relations
    group_degree: int
    group_members: list[str] = field(default_factory=list)  # firms it holds or heads
    nominee: str = ""  # the person legal representative of the most firms
    nominee_firms: list[str] = field(default_factory=list)
    address: str = ""  # the normalised address shared by the most firms
    address_firms: list[str] = field(default_factory=list)


def _rows(path: Path, *columns: str) -> Iterator[list[str]]:
    """The given columns of a CSV, row by row (csv.reader: a few seconds per
    million rows, where DictReader takes three times as long)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        at = [header.index(c) for c in columns]
        for row in rows:
            yield [row[k] for k in at]


def find_hubs(folder: Path) -> Hubs:
    """Pick the biggest hubs from the CSVs (two passes over each file, so
    that only counters are held at 1 M)."""
    relations, enterprises = folder / "relations.csv", folder / "enterprises.csv"
    rel_columns = ("source_id", "target_uscc", "role", "end_on")
    degree: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    for source, target, role, end_on in _rows(relations, *rel_columns):
        degree[target] += 1
        if source[:1].isdigit() and len(source) == 18:
            degree[source] += 1
        if role == "legal_representative" and not end_on:
            heads[source] += 1
    addresses = Counter(normalise_address(a) for (a,) in _rows(enterprises, "address"))
    del addresses[None]
    ((group, group_degree),) = degree.most_common(1)
    nominee = heads.most_common(1)[0][0] if heads else ""
    address = addresses.most_common(1)[0][0] if addresses else ""
    del degree, heads, addresses
    members: set[str] = set()
    nominee_firms: set[str] = set()
    for source, target, role, end_on in _rows(relations, *rel_columns):
        if source == group:
            members.add(target)
        elif target == group and role == "branch_of":
            members.add(source)
        if source == nominee and role == "legal_representative" and not end_on:
            nominee_firms.add(target)
    at_address = [
        uscc
        for uscc, text in _rows(enterprises, "uscc", "address")
        if address and normalise_address(text) == address
    ]
    return Hubs(
        group=group,
        group_degree=group_degree,
        group_members=sorted(members - {group}),
        nominee=nominee,
        nominee_firms=sorted(nominee_firms),
        address=address or "",
        address_firms=sorted(at_address),
    )


def describe(hubs: Hubs) -> dict[str, Any]:
    return {
        "group": hubs.group,
        "group_relations": hubs.group_degree,
        "group_members": len(hubs.group_members),
        "nominee": hubs.nominee,
        "nominee_firms": len(hubs.nominee_firms),
        "address_firms": len(hubs.address_firms),
    }


def hub_ego(store: GraphStore, hub: str, as_of: date, runs: int) -> dict[str, Any]:
    """The ego network of ``hub``, depth 2, at most 1,000 nodes, in process."""
    ms, nets, _ = budgeted(
        range(runs), float("inf"), lambda _: ego_network(store, hub, as_of, 2, HUB_MAP_NODES)
    )
    return stats(ms) | {"center": hub, "nodes": len(nets[-1].nodes) if nets else 0}


def _rounds(members: Sequence[str], runs: int, size: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    k = min(size, len(members))
    return [rng.sample(list(members), k) for _ in range(runs)] if k >= 2 else []


def _screenings(
    store: GraphStore, rounds: list[list[str]], as_of: date, depth: int, budget_s: float
) -> dict[str, Any]:
    """Wall and CPU time of each screening round until ``budget_s`` is spent;
    only the number of links of each answer is kept (holding every answer
    would make the collector, not the screening, the slow part)."""
    wall: list[float] = []
    cpu: list[float] = []
    links = 0
    for bidders in rounds:
        if sum(wall) > budget_s * 1000:
            break
        began, began_cpu = time.perf_counter(), time.process_time()
        links += len(screen_bidders(store, bidders, "public_bidding", as_of, depth).links)
        cpu.append((time.process_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began) * 1000)
    out = stats(wall) | {"budget_exhausted": len(wall) < len(rounds)}
    if cpu:
        out |= {
            "cpu_p50_ms": round(percentile(cpu, 50), 3),
            "cpu_p95_ms": round(percentile(cpu, 95), 3),
            "links_per_round": round(links / len(cpu), 1),
        }
    return out


def hub_screening(
    store: GraphStore,
    hubs: Hubs,
    as_of: date,
    runs: int,
    bidders: int,
    depth: int,
    budget_s: float,
    seed: int,
) -> dict[str, Any]:
    """Screening rounds of ``bidders`` drawn from a hub's members: the
    group's firms, the nominee's firms, the firms at the mass address —
    on ``as_of`` (the materialised flags answer), and under ``live`` the
    same rounds a day later, when the flags of the bidders are computed
    from the entries (as between a change and the next propagation)."""
    out: dict[str, Any] = {}
    live: dict[str, Any] = {}
    members = {
        "group": hubs.group_members,
        "nominee": hubs.nominee_firms,
        "mass_address": hubs.address_firms,
    }
    for name, firms in members.items():
        rounds = _rounds(firms, runs, bidders, seed)
        size = {"bidders": min(bidders, len(firms))}
        out[name] = _screenings(store, rounds, as_of, depth, budget_s) | size
        later = as_of + timedelta(days=1)
        live[name] = _screenings(store, rounds, later, depth, budget_s) | size
    out["p95_ms"] = _worst(out)
    out["live"] = live | {"p95_ms": _worst(live)}
    return out


def _worst(by_hub: dict[str, Any]) -> float | None:
    every = [m["p95_ms"] for m in by_hub.values() if m.get("runs")]
    return max(every) if every else None
