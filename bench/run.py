"""``credgraph bench`` (issues 9 and 17): measure credgraph at scale against its goals.

:func:`run_bench` generates (or reuses) a sample of N enterprises under
``OUT/data-N-S/``, loads it into a fresh embedded store in a subprocess (wall
time and that process's peak RSS), then times, in this process, full and
incremental propagation, ego networks, bidder screening, shortest paths, a
1,000-node map and the hubs of the sample's heavy tails (:mod:`bench.hubs`);
as whole processes (:mod:`bench.processes`), the CLI start-up, ``credgraph
propagate`` against the networkx script, and the map of the biggest hub;
finally a bounded HTTP load run against ``credgraph serve``. Propagation,
ego networks, screening and paths also run against the naive networkx
baseline (:mod:`bench.baseline`) on the same subjects, so the ratio baseline
/ ours stands beside each figure: absolute times on a shared machine are
noisy, ratios less so.

Subjects, bidders and pairs come from one ``random.Random(seed)``. Results go
to ``OUT/bench-N.json`` (all figures, the machine, the goals met); the CLI
(:mod:`cli.bench`) renders the table and the BENCHMARKS.md rows.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import baseline, hubs, processes
from bench.common import (
    BenchError,
    Progress,
    budgeted,
    first_column,
    machine_info,
    mib,
    ratio,
    rss_now,
    stats,
    timed,
)
from bench.goals import GOALS, goals
from bench.steps import (
    MAP_NODES,
    api_load,
    incremental,
    linked_pairs,
    measure_load,
    measure_map,
    sample_folder,
)
from credgraph.outputs import atomic_write
from credgraph.policy import default_policy
from credgraph.store import GraphStore, open_store
from graph_loader.sample import DEFAULT_AS_OF
from queries.materialise import propagate
from queries.network import ego_network
from queries.paths import find_paths
from queries.screening import screen_bidders

__all__ = ["GOALS", "MAP_NODES", "BenchConfig", "BenchError", "goals", "run_bench"]

BENCH_VERSION = 2


@dataclass(frozen=True)
class BenchConfig:
    """What to measure; the defaults are those of issues 9 and 17."""

    enterprises: int
    seed: int = 42
    out: Path = Path("bench-results")
    skip_api: bool = False
    skip_baseline: bool = False
    ego_runs: int = 200
    ego_depth: int = 2
    ego_limit: int = 300
    screening_runs: int = 50
    screening_bidders: int = 20
    screening_depth: int = 4
    path_pairs: int = 200
    path_max_depth: int = 6
    api_seconds: float = 10.0
    api_clients: int = 8
    #: wall-clock budget of each baseline section; the rest of its items are skipped
    baseline_budget_s: float = 60.0
    #: fresh processes per process figure (start-up, propagate, hub map)
    process_runs: int = 3
    hub_runs: int = 20


# -- the run -------------------------------------------------------------------
@dataclass
class _Workload:
    """The random subjects of one run, the same for ours and the baseline."""

    subjects: list[str]
    rounds: list[list[str]]
    pairs: list[tuple[str, str]]
    random_pairs: int


@dataclass
class _Timings:
    """Per-item milliseconds of our queries, for the ratios."""

    ego: list[float]
    screening: list[float]
    paths: list[float]
    path_lengths: list[int | None]


def _workload(
    store: GraphStore,
    config: BenchConfig,
    firms: list[str],
    everyone: list[str],
    rng: random.Random,
) -> _Workload:
    k = min(config.screening_bidders, len(firms))
    random_pairs = config.path_pairs - config.path_pairs // 2
    pairs = [(a, b) for a, b in (rng.sample(everyone, 2) for _ in range(random_pairs))]
    pairs += linked_pairs(store, everyone, config.path_pairs // 2, DEFAULT_AS_OF, rng)
    return _Workload(
        subjects=rng.sample(everyone, min(config.ego_runs, len(everyone))),
        rounds=[rng.sample(firms, k) for _ in range(config.screening_runs)],
        pairs=pairs,
        random_pairs=random_pairs,
    )


def _our_queries(
    store: GraphStore, work: _Workload, config: BenchConfig, say: Progress
) -> tuple[dict[str, Any], _Timings]:
    as_of, unbounded = DEFAULT_AS_OF, float("inf")
    say(f"ego networks ({len(work.subjects)})")
    ego_ms, egos, _ = budgeted(
        work.subjects,
        unbounded,
        lambda s: ego_network(store, s, as_of, depth=config.ego_depth, limit=config.ego_limit),
    )
    say(f"screenings ({len(work.rounds)})")
    scr_ms, screened, _ = budgeted(
        work.rounds,
        unbounded,
        lambda b: screen_bidders(store, b, "public_bidding", as_of, config.screening_depth),
    )
    say(f"shortest paths ({len(work.pairs)} pairs)")
    path_ms, found, _ = budgeted(
        work.pairs,
        unbounded,
        lambda p: find_paths(store, p[0], p[1], as_of, max_depth=config.path_max_depth),
    )
    lengths = [len(r.paths[0].nodes) - 1 if r.paths else None for r in found]
    metrics = {
        "ego_network": stats(ego_ms)
        | {
            "depth": config.ego_depth,
            "limit": config.ego_limit,
            "mean_nodes": round(sum(len(e.nodes) for e in egos) / max(len(egos), 1), 1),
            "max_nodes": max((len(e.nodes) for e in egos), default=0),
        },
        "screening": stats(scr_ms)
        | {
            "bidders": len(work.rounds[0]) if work.rounds else 0,
            "depth": config.screening_depth,
            "mean_links": round(sum(len(r.links) for r in screened) / max(len(screened), 1), 1),
        },
        "paths": stats(path_ms)
        | {
            "pairs": len(work.pairs),
            "linked_pairs": len(work.pairs) - work.random_pairs,
            "max_depth": config.path_max_depth,
            "found": sum(x is not None for x in lengths),
        },
    }
    return metrics, _Timings(ego_ms, scr_ms, path_ms, lengths)


def _baseline_queries(
    bg: baseline.BaselineGraph,
    flags: set[baseline.FlagKey],
    work: _Workload,
    ours: _Timings,
    config: BenchConfig,
) -> tuple[dict[str, Any], dict[str, float | None]]:
    budget = config.baseline_budget_s
    ego_ms, egos, ego_cut = budgeted(
        work.subjects,
        budget,
        lambda s: baseline.ego_network(bg, s, config.ego_depth, config.ego_limit),
    )
    scr_ms, _, scr_cut = budgeted(
        work.rounds, budget, lambda b: baseline.screening(bg, b, flags, config.screening_depth)
    )
    path_ms, paths, path_cut = budgeted(
        work.pairs,
        budget,
        lambda p: baseline.shortest_paths(bg, p[0], p[1], config.path_max_depth),
    )
    lengths = [len(p[0]) - 1 if p else None for p in paths]
    metrics = {
        "ego_network": stats(ego_ms)
        | {
            "budget_exhausted": ego_cut,
            "mean_nodes": round(sum(len(e) for e in egos) / max(len(egos), 1), 1),
        },
        "screening": stats(scr_ms) | {"budget_exhausted": scr_cut},
        "paths": stats(path_ms)
        | {
            "budget_exhausted": path_cut,
            "found": sum(x is not None for x in lengths),
            # ours within max_depth vs networkx's exact shortest length, pair by pair
            "length_mismatches": sum(
                a != b for a, b in zip(ours.path_lengths, lengths, strict=False)
            ),
        },
    }
    ratios = {
        "ego_network_p50": ratio(ego_ms, ours.ego),
        "screening_p50": ratio(scr_ms, ours.screening),
        "paths_p50": ratio(path_ms, ours.paths),
    }
    return metrics, ratios


def _propagation(store: GraphStore, as_of: date) -> tuple[dict[str, Any], set[baseline.FlagKey]]:
    """Full propagation in this process: the first run (cold caches) and a
    second one."""
    default_policy()  # parsed once per process: not part of propagation
    seconds, flags = timed(lambda: propagate(store, as_of))
    again, _ = timed(lambda: propagate(store, as_of))
    keys = {(f.subject_id, f.flag.value, f.entry_id) for f in flags}
    return {
        "seconds": round(seconds, 3),
        "second_run_s": round(again, 3),
        "flags": len(flags),
        "by_rule": dict(sorted(Counter(f.rule.value for f in flags).items())),
    }, keys


def _hub_figures(
    store: GraphStore, found: hubs.Hubs, config: BenchConfig, say: Progress
) -> dict[str, Any]:
    as_of = DEFAULT_AS_OF
    say(f"hubs: ego network of {found.group} ({found.group_degree:,} relations)")
    figures: dict[str, Any] = {"hubs": hubs.describe(found)}
    figures["hub_ego"] = hubs.hub_ego(store, found.group, as_of, config.hub_runs)
    say("hubs: screening bidders linked through hubs")
    figures["hub_screening"] = hubs.hub_screening(
        store,
        found,
        as_of,
        config.hub_runs,
        config.screening_bidders,
        config.screening_depth,
        config.baseline_budget_s,
        config.seed,
    )
    return figures


def _process_figures(
    store_path: Path, folder: Path, hub: str, subject: str, config: BenchConfig, say: Progress
) -> dict[str, Any]:
    runs, n = config.process_runs, config.enterprises
    say(f"processes: CLI start-up ({runs} runs each)")
    figures: dict[str, Any] = {"startup": processes.startup(store_path, subject, runs)}
    say("processes: credgraph propagate against the networkx script")
    figures["propagation_process"] = processes.propagation(
        store_path, folder, DEFAULT_AS_OF, runs, not config.skip_baseline
    )
    say("processes: map of the biggest hub")
    html = config.out / f"hub-map-{n}.html"
    figures["hub_map"] = processes.hub_map(store_path, hub, DEFAULT_AS_OF, html, runs)
    return figures


def _listed(folder: Path) -> set[str]:
    with (folder / "list_entries.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["subject_id"].strip().upper() for row in csv.DictReader(handle)}


def run_bench(config: BenchConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Measure everything of issues 9 and 17 and write ``OUT/bench-N.json``.

    Returns that JSON document: ``machine``, ``sample``, ``metrics`` (ours),
    ``baseline`` and ``ratios`` (absent with ``skip_baseline``) and ``goals``.
    """
    say = progress or (lambda _: None)
    n, seed, out, as_of = config.enterprises, config.seed, config.out, DEFAULT_AS_OF
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "bench_version": BENCH_VERSION,
        "enterprises": n,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
    }
    say(f"sample of {n:,} enterprises (seed {seed})")
    folder, result["sample"] = sample_folder(out, n, seed)
    firms = first_column(folder / "enterprises.csv")
    everyone = firms + first_column(folder / "persons.csv")
    say("hubs of the sample")
    found = hubs.find_hubs(folder)
    metrics: dict[str, Any] = {}
    result["metrics"] = metrics
    store_path = out / f"store-{n}-{seed}.db"
    say("load (credgraph load in a subprocess)")
    metrics["load"] = measure_load(folder, store_path, out / f"load-{n}.log")
    store = open_store(str(store_path))
    try:
        _in_process(store, folder, found, firms, everyone, config, rng, result, say)
    finally:
        store.close()
    metrics.update(
        _process_figures(store_path, folder, found.group, rng.choice(firms), config, say)
    )
    if "ratios" in result and "ratio" in metrics["propagation_process"]:
        result["ratios"]["propagation_process"] = metrics["propagation_process"]["ratio"]
    if config.skip_api:
        metrics["api"] = {"skipped": "--skip-api"}
    else:
        say(f"API load run ({config.api_clients} clients, {config.api_seconds:g} s)")
        # a public key: firms by USCC (persons reach it only as refs, DESIGN §7)
        ids = rng.sample(firms, min(10_000, len(firms)))
        metrics["api"] = api_load(
            store_path, ids, out, config.api_seconds, config.api_clients, seed
        )
    result["goals"] = goals(result)
    result["duration_s"] = round(time.perf_counter() - started, 1)
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    result["machine"]["bench_peak_rss_mib"] = mib(peak)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    with atomic_write(out / f"bench-{n}.json") as result_file:
        result_file.write(text + "\n")
    return result


def _in_process(
    store: GraphStore,
    folder: Path,
    found: hubs.Hubs,
    firms: list[str],
    everyone: list[str],
    config: BenchConfig,
    rng: random.Random,
    result: dict[str, Any],
    say: Progress,
) -> None:
    """Every figure taken in this process, on the open store."""
    metrics, as_of = result["metrics"], DEFAULT_AS_OF
    say("full propagation")
    metrics["propagation_full"], ours_flags = _propagation(store, as_of)
    bg: baseline.BaselineGraph | None = None
    base_flags: set[baseline.FlagKey] = set()
    if not config.skip_baseline:
        say("baseline: networkx graph from the CSVs, propagation")
        bg, base_flags, result["baseline"] = _baseline_propagation(folder, ours_flags)
        prop = result["baseline"]["propagation_full"]["seconds"]
        build = result["baseline"]["build"]["seconds"]
        seconds = metrics["propagation_full"]["seconds"]
        result["ratios"] = {
            "propagation_full": round(prop / seconds, 2),
            "propagation_full_with_build": round((build + prop) / seconds, 2),
        }
    say("incremental propagation after one new severe entry")
    listed = _listed(folder)
    fresh = [f for f in firms if f not in listed] or firms
    metrics["propagation_incremental"] = incremental(store, rng.choice(fresh), as_of, config.seed)
    work = _workload(store, config, firms, everyone, rng)
    queried, timings = _our_queries(store, work, config, say)
    metrics.update(queried)
    say("map of 1,000 nodes")
    metrics["map"] = measure_map(
        store, found.group, as_of, config.out / f"map-{config.enterprises}.html"
    )
    metrics.update(_hub_figures(store, found, config, say))
    if bg is not None:
        say("baseline: ego networks, screenings, paths")
        queried, ratios = _baseline_queries(bg, base_flags, work, timings, config)
        result["baseline"].update(queried)
        result["ratios"].update(ratios)
        del bg
        gc.collect()


def _baseline_propagation(
    folder: Path, ours: set[baseline.FlagKey]
) -> tuple[baseline.BaselineGraph, set[baseline.FlagKey], dict[str, Any]]:
    rss = rss_now()
    build_s, bg = timed(lambda: baseline.build_graph(folder, DEFAULT_AS_OF))
    grown = rss_now()
    prop_s, flags = timed(lambda: baseline.propagate(bg, default_policy()))
    report = {
        "build": {
            "seconds": round(build_s, 3),
            "graph_rss_mib": mib(grown - rss) if rss is not None and grown else None,
            "nodes": bg.graph.number_of_nodes(),
            "edges": bg.graph.number_of_edges(),
        },
        "propagation_full": {
            "seconds": round(prop_s, 4),
            "flags": len(flags),
            "flags_match": flags == ours,
            "only_ours": len(ours - flags),
            "only_baseline": len(flags - ours),
        },
    }
    return bg, flags, report
