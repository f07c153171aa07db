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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import baseline, feed, hubs, processes
from bench.common import (
    BenchConfig,
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
from bench.neo4j_bench import EmbeddedRun, neo4j_figures, neo4j_target, prepare
from bench.steps import MAP_NODES, api_load, incremental, measure_load, measure_map, sample_folder
from bench.workload import (
    Timings,
    Workload,
    computed_propagation,
    full_propagation,
    make_workload,
    our_queries,
)
from credgraph.outputs import atomic_write
from credgraph.policy import default_policy
from credgraph.store import GraphStore, open_store
from graph_loader.sample import DEFAULT_AS_OF

__all__ = ["GOALS", "MAP_NODES", "BenchConfig", "BenchError", "goals", "run_bench"]

BENCH_VERSION = 2


# -- the run -------------------------------------------------------------------
def _baseline_queries(
    bg: baseline.BaselineGraph,
    flags: set[baseline.FlagKey],
    work: Workload,
    ours: Timings,
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
    ``baseline`` and ``ratios`` (absent with ``skip_baseline``), ``goals``,
    and with ``config.neo4j`` the same figures on that Neo4j (``neo4j``,
    :mod:`bench.neo4j_bench`).
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
    location = config.neo4j
    target = neo4j_target(location) if location else None
    neo4j_info: dict[str, Any] = {}
    if location and target:  # before anything is measured: it answers and it is empty
        say(f"Neo4j at {target.uri}: empty?")
        neo4j_info = prepare(target, location, config.neo4j_wipe)
    say(f"sample of {n:,} enterprises (seed {seed})")
    folder, result["sample"] = sample_folder(out, n, seed)
    if config.feed_only:
        result["feed"] = _feed_figures(folder, config, say)
        return _finish(result, out, started)
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
        embedded = _in_process(
            store, store_path, folder, found, firms, everyone, config, rng, result, say
        )
    finally:
        store.close()
    embedded.store_path = store_path
    metrics.update(
        _process_figures(store_path, folder, found.group, rng.choice(firms), config, say)
    )
    if "ratios" in result and "ratio" in metrics["propagation_process"]:
        result["ratios"]["propagation_process"] = metrics["propagation_process"]["ratio"]
    # a public key: firms by USCC (persons reach it only as refs, DESIGN §7)
    embedded.api_ids = rng.sample(firms, min(10_000, len(firms)))
    if config.skip_api:
        metrics["api"] = {"skipped": "--skip-api"}
    else:
        say(f"API load run ({config.api_clients} clients, {config.api_seconds:g} s)")
        metrics["api"] = api_load(
            store_path, embedded.api_ids, out, config.api_seconds, config.api_clients, seed
        )
    if target is not None:
        result["neo4j"] = neo4j_figures(target, neo4j_info, embedded, config, as_of, say)
    if config.feed:  # last: on Neo4j it loads (and wipes) the database again
        result["feed"] = _feed_figures(folder, config, say)
    result["goals"] = goals(result)
    return _finish(result, out, started)


def _feed_figures(folder: Path, config: BenchConfig, say: Progress) -> dict[str, Any]:
    """The change feed's cost (:mod:`bench.feed`) on the embedded store and,
    with ``config.neo4j``, on that Neo4j (its database is wiped per load)."""
    say(f"change feed: load and propagate with and without it ({config.feed_rounds} rounds)")
    rounds = config.feed_rounds
    figures = {"embedded": feed.measure(folder, config.out / "feed", rounds=rounds)}
    if config.neo4j:
        say("change feed on Neo4j")
        figures["neo4j"] = feed.measure(
            folder, config.out / "feed", rounds=rounds, neo4j=config.neo4j
        ) | {"location": config.neo4j}
    return figures


def _finish(result: dict[str, Any], out: Path, started: float) -> dict[str, Any]:
    """Close the result and write ``OUT/bench-N.json``."""
    n = result["enterprises"]
    result.setdefault("goals", [])
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
    store_path: Path,
    folder: Path,
    found: hubs.Hubs,
    firms: list[str],
    everyone: list[str],
    config: BenchConfig,
    rng: random.Random,
    result: dict[str, Any],
    say: Progress,
) -> EmbeddedRun:
    """Every figure taken in this process, on the open store; the items and
    answers a Neo4j run reuses."""
    metrics, as_of = result["metrics"], DEFAULT_AS_OF
    say("full propagation")
    metrics["propagation_full"], ours_flags = full_propagation(store, as_of)
    say("full propagation computed, nothing written (cold and warm)")
    computed, computed_flags = computed_propagation(
        lambda: open_store(str(store_path)), as_of, config.process_runs
    )
    metrics["propagation_computed"] = computed | {
        "same_as_materialised": computed_flags == ours_flags
    }
    bg: baseline.BaselineGraph | None = None
    base_flags: set[baseline.FlagKey] = set()
    if not config.skip_baseline:
        say("baseline: networkx graph from the CSVs, propagation")
        bg, base_flags, result["baseline"] = _baseline_propagation(folder, ours_flags)
        base = result["baseline"]["propagation_full"]
        base["computed_match"] = base_flags == computed_flags
        prop, build = base["seconds"], result["baseline"]["build"]["seconds"]
        seconds = metrics["propagation_full"]["seconds"]
        result["ratios"] = {
            "propagation_full": round(prop / seconds, 2),
            "propagation_full_with_build": round((build + prop) / seconds, 2),
            "propagation_computed": _per(prop, computed["cold_s"]),
            "propagation_computed_warm": _per(prop, computed["warm_s"]),
        }
    say("incremental propagation after one new severe entry")
    listed = _listed(folder)
    fresh = [f for f in firms if f not in listed] or firms
    firm = rng.choice(fresh)
    metrics["propagation_incremental"] = incremental(store, firm, as_of, config.seed)
    work = make_workload(store, config, firms, everyone, rng)
    queried, timings = our_queries(store, work, config, say)
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
    return EmbeddedRun(Path(), folder, work, timings, ours_flags, firm, [])


def _per(base_s: float, ours_s: float) -> float | None:
    """Baseline seconds per ours (None when ours rounded to nothing)."""
    return round(base_s / ours_s, 2) if ours_s > 0 else None


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
