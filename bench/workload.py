"""The queries ``credgraph bench`` times on a store, and the random items it
times them on: the same items for the embedded store, the naive baseline and
a Neo4j server, so that the figures (and the answers) compare item by item."""

from __future__ import annotations

import gc
import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from bench.baseline import FlagKey
from bench.common import BenchConfig, CpuMeter, Progress, budgeted, stats, timed
from bench.steps import linked_pairs
from credgraph.model import Flag
from credgraph.policy import default_policy
from credgraph.store import GraphStore
from graph_loader.sample import DEFAULT_AS_OF
from queries.adjacency import full_flags
from queries.materialise import propagate
from queries.network import ego_network
from queries.paths import find_paths
from queries.screening import screen_bidders


@dataclass
class Workload:
    """The random subjects of one run, the same for every backend and the baseline."""

    subjects: list[str]
    rounds: list[list[str]]
    pairs: list[tuple[str, str]]
    random_pairs: int


@dataclass
class Timings:
    """Per-item milliseconds of our queries, for the ratios, and a digest of
    each answer, to check that two backends answered alike."""

    ego: list[float]
    screening: list[float]
    paths: list[float]
    path_lengths: list[int | None]
    answers: dict[str, list[str]]


def make_workload(
    store: GraphStore,
    config: BenchConfig,
    firms: list[str],
    everyone: list[str],
    rng: random.Random,
) -> Workload:
    k = min(config.screening_bidders, len(firms))
    random_pairs = config.path_pairs - config.path_pairs // 2
    pairs = [(a, b) for a, b in (rng.sample(everyone, 2) for _ in range(random_pairs))]
    pairs += linked_pairs(store, everyone, config.path_pairs // 2, DEFAULT_AS_OF, rng)
    return Workload(
        subjects=rng.sample(everyone, min(config.ego_runs, len(everyone))),
        rounds=[rng.sample(firms, k) for _ in range(config.screening_runs)],
        pairs=pairs,
        random_pairs=random_pairs,
    )


def digest(answer: BaseModel) -> str:
    """A short fingerprint of a query's whole JSON answer."""
    return hashlib.sha256(answer.model_dump_json().encode("utf-8")).hexdigest()[:16]


def our_queries(
    store: GraphStore,
    work: Workload,
    config: BenchConfig,
    say: Progress,
    server_pid: int | None = None,
) -> tuple[dict[str, Any], Timings]:
    """Ego networks, screenings and shortest paths on ``store``: per-item
    times, and the CPU seconds of each section (this process's and, with
    ``server_pid``, the server's)."""
    as_of, unbounded = DEFAULT_AS_OF, float("inf")
    say(f"ego networks ({len(work.subjects)})")
    meter = CpuMeter(server_pid)
    ego_ms, egos, _ = budgeted(
        work.subjects,
        unbounded,
        lambda s: ego_network(store, s, as_of, depth=config.ego_depth, limit=config.ego_limit),
    )
    ego_cpu = meter.figures()
    say(f"screenings ({len(work.rounds)})")
    meter.start()
    scr_ms, screened, _ = budgeted(
        work.rounds,
        unbounded,
        lambda b: screen_bidders(store, b, "public_bidding", as_of, config.screening_depth),
    )
    scr_cpu = meter.figures()
    say(f"shortest paths ({len(work.pairs)} pairs)")
    meter.start()
    path_ms, found, _ = budgeted(
        work.pairs,
        unbounded,
        lambda p: find_paths(store, p[0], p[1], as_of, max_depth=config.path_max_depth),
    )
    path_cpu = meter.figures()
    lengths = [len(r.paths[0].nodes) - 1 if r.paths else None for r in found]
    metrics = {
        "ego_network": stats(ego_ms)
        | ego_cpu
        | {
            "depth": config.ego_depth,
            "limit": config.ego_limit,
            "mean_nodes": round(sum(len(e.nodes) for e in egos) / max(len(egos), 1), 1),
            "max_nodes": max((len(e.nodes) for e in egos), default=0),
        },
        "screening": stats(scr_ms)
        | scr_cpu
        | {
            "bidders": len(work.rounds[0]) if work.rounds else 0,
            "depth": config.screening_depth,
            "mean_links": round(sum(len(r.links) for r in screened) / max(len(screened), 1), 1),
        },
        "paths": stats(path_ms)
        | path_cpu
        | {
            "pairs": len(work.pairs),
            "linked_pairs": len(work.pairs) - work.random_pairs,
            "max_depth": config.path_max_depth,
            "found": sum(x is not None for x in lengths),
        },
    }
    answers = {
        "ego_network": [digest(e) for e in egos],
        "screening": [digest(r) for r in screened],
        "paths": [digest(r) for r in found],
    }
    return metrics, Timings(ego_ms, scr_ms, path_ms, lengths, answers)


def full_propagation(
    store: GraphStore, as_of: date, server_pid: int | None = None
) -> tuple[dict[str, Any], set[FlagKey]]:
    """Full propagation in this process: the first run (cold caches) and a
    second one (nothing changed); the CPU seconds of each."""
    default_policy()  # parsed once per process: not part of propagation
    meter = CpuMeter(server_pid)
    seconds, flags = timed(lambda: propagate(store, as_of))
    cpu = meter.figures()
    started = time.process_time()
    again, _ = timed(lambda: propagate(store, as_of))
    again_cpu = time.process_time() - started
    keys = flag_keys(flags)
    return {
        "seconds": round(seconds, 3),
        "second_run_s": round(again, 3),
        "second_run_cpu_s": round(again_cpu, 3),
        "flags": len(flags),
        "by_rule": dict(sorted(Counter(f.rule.value for f in flags).items())),
    } | cpu, keys


def flag_keys(flags: list[Flag]) -> set[FlagKey]:
    """The flags' keys, as the baseline gives its own: (subject, flag, entry)."""
    return {(f.subject_id, f.flag.value, f.entry_id) for f in flags}


def computed_propagation(
    open_fresh: Callable[[], GraphStore], as_of: date, runs: int = 3
) -> tuple[dict[str, Any], set[FlagKey]]:
    """Every flag with its evidence path computed in this process and
    nothing written (``queries.adjacency.full_flags``, what ``propagate``
    computes before it saves): cold on ``runs`` store objects opened for it
    (each reads its entries and relations from the store, as the first run
    of a process), then ``runs`` times warm on the last one (its adjacency
    cached for the generation). Best and median wall seconds, with the CPU
    seconds of the best, of each; whether every run gave the same flags."""
    default_policy()  # parsed once per process: not part of propagation
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    first: list[Flag] | None = None
    same = True

    def measure(store: GraphStore, into: list[tuple[float, float]]) -> None:
        nonlocal first, same
        meter = CpuMeter()
        seconds, flags = timed(lambda: full_flags(store, as_of))
        into.append((seconds, float(meter.figures()["cpu_s"] or 0.0)))
        if first is None:
            first = flags
        else:  # each run's flags compared, then let go (50 MB at 1 M)
            same = same and flags == first

    n = max(runs, 1)
    for run in range(n):
        store = open_fresh()
        try:
            measure(store, cold)
            for _ in range(n if run == n - 1 else 0):
                measure(store, warm)
        finally:
            store.close()
        gc.collect()  # the store objects let go, outside the timings
    assert first is not None
    keys = flag_keys(first)
    return _best("cold", cold) | _best("warm", warm) | {
        "runs": n,
        "flags": len(first),
        "same_every_run": same,
    }, keys


def _best(name: str, runs: list[tuple[float, float]]) -> dict[str, float]:
    """``NAME_s`` (best wall), ``NAME_median_s``, ``NAME_cpu_s`` (of the best)."""
    ordered = sorted(runs)
    return {
        f"{name}_s": round(ordered[0][0], 4),
        f"{name}_median_s": round(ordered[len(ordered) // 2][0], 4),
        f"{name}_cpu_s": round(ordered[0][1], 3),
    }
