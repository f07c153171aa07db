"""``credgraph bench`` (issue 9): measure credgraph at scale against its goals.

:func:`run_bench` generates (or reuses) a sample of N enterprises under
``OUT/data-N-S/``, loads it into a fresh embedded store in a subprocess (wall
time and that process's peak RSS), then times, in this process, full and
incremental propagation, ego networks, bidder screening, shortest paths and a
1,000-node map, and finally a bounded HTTP load run against ``credgraph serve``
in a subprocess. Propagation, ego networks, screening and paths also run
against the naive networkx baseline (:mod:`bench.baseline`) on the same
subjects, so the ratio baseline / ours stands beside each figure: absolute
times on a shared machine are noisy, ratios less so.

Subjects, bidders and pairs come from one ``random.Random(seed)``. Results go
to ``OUT/bench-N.json`` (all figures, the machine, the goals met); the CLI
(:mod:`api.cmd_bench`) renders the table and the BENCHMARKS.md rows.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import os
import platform
import random
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil
from pathlib import Path
from typing import Any, TypeVar

import httpx
import networkx as nx

from api.keys import add_key
from bench import baseline
from credgraph.model import Batch, Category, ListEntry, ListKind, NodeKind, Role
from credgraph.outputs import atomic_write
from credgraph.policy import default_policy
from credgraph.store import Direction, GraphStore, open_store, store_files
from graph_loader.sample import DEFAULT_AS_OF, generate_sample
from queries.materialise import Change, propagate, refresh
from queries.network import ego_network
from queries.paths import find_paths
from queries.screening import screen_bidders

T = TypeVar("T")
Progress = Callable[[str], None]

BENCH_VERSION = 1
MIB = 1024 * 1024
MAP_NODES = 1_000


class BenchError(RuntimeError):
    """A step of the benchmark could not run (load failed, server did not start)."""


@dataclass(frozen=True)
class BenchConfig:
    """What to measure; the defaults are those of issue 9."""

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


# -- small helpers -------------------------------------------------------------
def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(ceil(q / 100 * len(ordered)) - 1, 0)]


def _stats(ms: Sequence[float]) -> dict[str, Any]:
    if not ms:
        return {"runs": 0}
    return {
        "runs": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
    }


def _ratio(base_ms: Sequence[float], ours_ms: Sequence[float]) -> float | None:
    """Median baseline / median ours over the items both ran (a prefix)."""
    n = min(len(base_ms), len(ours_ms))
    if n == 0:
        return None
    ours = percentile(ours_ms[:n], 50)
    return round(percentile(base_ms[:n], 50) / ours, 2) if ours > 0 else None


def _rss_now() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _mib(value: float | None) -> float | None:
    return None if value is None else round(value / MIB, 1)


def _first_column(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        return [row[0].strip().upper() for row in rows if row]


def machine_info() -> dict[str, Any]:
    """Cores, RAM, CPU, Python, SQLite and library versions, load average."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit: str | None = None
    dirty: bool | None = None
    try:
        git = ["git", "-C", str(Path(__file__).parent)]
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                [*git, "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "networkx": nx.__version__,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "uncommitted_changes": dirty,
    }


# -- steps ---------------------------------------------------------------------
def sample_folder(out: Path, enterprises: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached sample folder ``out/data-N-S``, generated when not complete."""
    folder = out / f"data-{enterprises}-{seed}"
    marker = folder / ".complete.json"
    if marker.exists():
        info: dict[str, Any] = json.loads(marker.read_text("utf-8"))
        return folder, info | {"reused": True}
    seconds, summary = _timed(lambda: generate_sample(folder, enterprises, seed))
    info = {"folder": str(folder), "generate_s": round(seconds, 2), "rows": asdict(summary)}
    marker.write_text(json.dumps(info), "utf-8")
    return folder, info | {"reused": False}


def measure_load(folder: Path, store_path: Path, log_path: Path) -> dict[str, Any]:
    """``credgraph load`` in a subprocess: wall time and its own peak RSS."""
    for file in store_files(store_path):
        Path(file).unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "cli.main", "load", str(folder), "--store", str(store_path)]
    cmd += ["--rejects", str(log_path.with_suffix(".rejects.csv"))]
    with log_path.open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            # wait4: the rusage of this child alone (RUSAGE_CHILDREN mixes all children)
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log_path.read_text("utf-8", errors="replace")[-2000:]
        raise BenchError(f"credgraph load exited with {proc.returncode}:\n{tail}")
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mib": round(usage.ru_maxrss * 1024 / MIB, 1),  # ru_maxrss is KiB on Linux
        "store_mib": _mib(
            sum(p.stat().st_size for p in store_path.parent.glob(store_path.name + "*"))
        ),
    }


def incremental(store: GraphStore, firm: str, as_of: date, seed: int) -> dict[str, Any]:
    """One new severe entry on ``firm`` naming its legal representative:
    upsert, then :func:`refresh` as a load of it would."""
    heads = store.expand([firm], Direction.IN, {Role.LEGAL_REPRESENTATIVE}, as_of)
    entry = ListEntry(
        entry_id=f"BENCH-{seed}-000001",
        subject_id=firm,
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind.SERIOUS_DISHONESTY,
        category=Category.TAX_EVASION,
        reason="credgraph bench: incremental propagation",
        decided_on=as_of - timedelta(days=30),
        responsible_person_ids=tuple(sorted({r.source_id for r in heads})),
    )
    before = store.generation()
    upsert_s, _ = _timed(lambda: store.upsert(Batch(entries=[entry])))
    refresh_s, update = _timed(lambda: refresh(store, Change.of((), [entry.entry_id]), before))
    stored = store.stored_flags(entry_ids=[entry.entry_id])
    return {
        "seconds": round(refresh_s, 4),
        "upsert_seconds": round(upsert_s, 4),
        "entry_id": entry.entry_id,
        "subject_id": firm,
        "flags_written": None if update is None else len(update.flags),
        "flags_of_entry": len(stored.flags) if stored else 0,
    }


def linked_pairs(
    store: GraphStore, ids: Sequence[str], count: int, as_of: date, rng: random.Random
) -> list[tuple[str, str]]:
    """Pairs 2–6 active hops apart, by random walks (random pairs are mostly
    unconnected within 6 hops in sparse data, so they alone test only misses)."""
    pairs: list[tuple[str, str]] = []
    for _ in range(count * 3):
        if len(pairs) == count:
            break
        start = current = rng.choice(ids)
        seen = {start}
        for _ in range(rng.randint(2, 6)):
            rels = store.expand([current], Direction.BOTH, as_of=as_of)
            nxt = sorted({x for r in rels for x in (r.source_id, r.target_uscc)} - seen)
            if not nxt:
                break
            current = rng.choice(nxt)
            seen.add(current)
        if current != start:
            pairs.append((start, current))
    return pairs


def synthetic_network(size: int, as_of: date) -> dict[str, Any]:
    """A DESIGN §8 network of ``size`` nodes: a person at the centre, the firms
    it heads, their officers and shareholders (for the map when no real ego
    network is that large)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def node(node_id: str, kind: str) -> None:
        nodes.append(
            {"id": node_id, "type": kind, "name": f"节点{len(nodes)}", "flags": []}
            | {"hidden_neighbours": 0}
        )

    def edge(source: str, target: str, role: str, pct: float | None = None) -> None:
        edges.append(
            {"source": source, "target": target, "role": role, "title": None}
            | {"share_pct": pct, "start_on": "2020-01-01", "end_on": None, "ended": False}
        )

    node("P0", "person")
    firms = max(size // 30, 1)
    for f in range(firms):
        node(f"E{f}", "enterprise")
        edge("P0", f"E{f}", "legal_representative")
    i = 0
    while len(nodes) < size:
        holder, firm = f"H{i}", f"E{i % firms}"
        node(holder, "person" if i % 4 else "enterprise")
        edge(holder, firm, "shareholder", 10.0)
        i += 1
    return {"center": "P0", "as_of": as_of.isoformat(), "nodes": nodes, "edges": edges}


def measure_map(store: GraphStore, center: str, as_of: date, html: Path) -> dict[str, Any]:
    """Render a 1,000-node map: the busiest person's ego network when it is
    that large, else a synthetic one."""
    try:
        from viz.maps import render_map
    except ImportError as exc:
        return {"skipped": f"viz.maps.render_map unavailable ({exc})"}
    ego = ego_network(store, center, as_of, depth=3, limit=MAP_NODES)
    network: Any = ego
    source = f"ego network of {center} (depth 3)"
    if len(ego.nodes) < MAP_NODES:
        network = synthetic_network(MAP_NODES, as_of)
        source = "synthetic"
    data = network.model_dump(mode="json") if not isinstance(network, dict) else network
    seconds, page = _timed(lambda: render_map(network, html))
    return {
        "seconds": round(seconds, 3),
        "nodes": len(data["nodes"]),
        "edges": len(data["edges"]),
        "source": source,
        "bytes": len(page.encode("utf-8")),
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen[bytes], base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"credgraph serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"credgraph serve did not answer /health within {timeout:.0f} s")


def api_load(
    store_path: Path,
    ids: Sequence[str],
    out: Path,
    seconds: float,
    clients: int,
    seed: int,
) -> dict[str, Any]:
    """``credgraph serve`` in a subprocess; ``clients`` threads GET
    ``/entities/{id}`` on random ids for ``seconds``; the server is stopped after."""
    keys = out / "bench-keys.toml"
    keys.unlink(missing_ok=True)
    key = add_key(keys, "bench", "public")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "cli.main", "serve", "--store", str(store_path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    # no request budget: the run measures the server, not the key's rate limit
    env = os.environ | {"CREDGRAPH_KEYS_FILE": str(keys), "CREDGRAPH_RATE_LIMITS": "{}"}
    with (out / "serve.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_healthy(proc, base, 120.0)
            return _drive(base, key, ids, seconds, clients, seed)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _drive(
    base: str, key: str, ids: Sequence[str], seconds: float, clients: int, seed: int
) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    window = [0.0, 0.0]  # start, end of the measured run

    def open_window() -> None:  # run once, by the last thread to reach the barrier
        window[0] = time.perf_counter()
        window[1] = window[0] + seconds

    ready = threading.Barrier(clients + 1, action=open_window)

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10.0) as http:
            for _ in range(5):  # warm-up: connection and first-request costs
                with contextlib.suppress(httpx.HTTPError):
                    http.get(f"/entities/{rng.choice(ids)}")
            ready.wait()
            while time.perf_counter() < window[1]:
                began = time.perf_counter()
                try:
                    ok = http.get(f"/entities/{rng.choice(ids)}").status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[n].append((time.perf_counter() - began) * 1000)
                errors[n] += not ok

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait(timeout=120)
    for t in threads:
        t.join(seconds + 30)
    began = window[0]
    elapsed = time.perf_counter() - began
    every = [x for per in latencies for x in per]
    return {
        "seconds": round(elapsed, 2),
        "clients": clients,
        "requests": len(every),
        "req_per_s": round(len(every) / elapsed, 1) if elapsed else 0.0,
        "errors": sum(errors),
        "endpoint": "GET /entities/{id}",
    } | {k: v for k, v in _stats(every).items() if k != "runs"}


def _budgeted(
    items: Iterable[T], budget_s: float, fn: Callable[[T], Any]
) -> tuple[list[float], list[Any], bool]:
    """Run ``fn`` over ``items`` until ``budget_s`` is spent: (ms, results, cut short)."""
    ms: list[float] = []
    results: list[Any] = []
    spent = 0.0
    for item in items:
        if spent > budget_s:
            return ms, results, True
        began = time.perf_counter()
        value = fn(item)
        seconds = time.perf_counter() - began
        spent += seconds
        ms.append(seconds * 1000)
        results.append(value)
    return ms, results, False


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
    ego_ms, egos, _ = _budgeted(
        work.subjects,
        unbounded,
        lambda s: ego_network(store, s, as_of, depth=config.ego_depth, limit=config.ego_limit),
    )
    say(f"screenings ({len(work.rounds)})")
    scr_ms, screened, _ = _budgeted(
        work.rounds,
        unbounded,
        lambda b: screen_bidders(store, b, "public_bidding", as_of, config.screening_depth),
    )
    say(f"shortest paths ({len(work.pairs)} pairs)")
    path_ms, found, _ = _budgeted(
        work.pairs,
        unbounded,
        lambda p: find_paths(store, p[0], p[1], as_of, max_depth=config.path_max_depth),
    )
    lengths = [len(r.paths[0].nodes) - 1 if r.paths else None for r in found]
    metrics = {
        "ego_network": _stats(ego_ms)
        | {
            "depth": config.ego_depth,
            "limit": config.ego_limit,
            "mean_nodes": round(sum(len(e.nodes) for e in egos) / max(len(egos), 1), 1),
            "max_nodes": max((len(e.nodes) for e in egos), default=0),
        },
        "screening": _stats(scr_ms)
        | {
            "bidders": len(work.rounds[0]) if work.rounds else 0,
            "depth": config.screening_depth,
            "mean_links": round(sum(len(r.links) for r in screened) / max(len(screened), 1), 1),
        },
        "paths": _stats(path_ms)
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
    ego_ms, egos, ego_cut = _budgeted(
        work.subjects,
        budget,
        lambda s: baseline.ego_network(bg, s, config.ego_depth, config.ego_limit),
    )
    scr_ms, _, scr_cut = _budgeted(
        work.rounds, budget, lambda b: baseline.screening(bg, b, flags, config.screening_depth)
    )
    path_ms, paths, path_cut = _budgeted(
        work.pairs,
        budget,
        lambda p: baseline.shortest_paths(bg, p[0], p[1], config.path_max_depth),
    )
    lengths = [len(p[0]) - 1 if p else None for p in paths]
    metrics = {
        "ego_network": _stats(ego_ms)
        | {
            "budget_exhausted": ego_cut,
            "mean_nodes": round(sum(len(e) for e in egos) / max(len(egos), 1), 1),
        },
        "screening": _stats(scr_ms) | {"budget_exhausted": scr_cut},
        "paths": _stats(path_ms)
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
        "ego_network_p50": _ratio(ego_ms, ours.ego),
        "screening_p50": _ratio(scr_ms, ours.screening),
        "paths_p50": _ratio(path_ms, ours.paths),
    }
    return metrics, ratios


def run_bench(config: BenchConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Measure everything of issue 9 and write ``OUT/bench-N.json``.

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
    firms = _first_column(folder / "enterprises.csv")
    everyone = firms + _first_column(folder / "persons.csv")
    with (folder / "list_entries.csv").open(encoding="utf-8-sig", newline="") as handle:
        listed = {row["subject_id"].strip().upper() for row in csv.DictReader(handle)}
    busiest = Counter(_first_column(folder / "relations.csv")).most_common(1)[0][0]

    metrics: dict[str, Any] = {}
    result["metrics"] = metrics
    store_path = out / f"store-{n}-{seed}.db"
    say("load (credgraph load in a subprocess)")
    metrics["load"] = measure_load(folder, store_path, out / f"load-{n}.log")

    store = open_store(str(store_path))
    try:
        say("full propagation")
        default_policy()  # parsed once per process: not part of propagation
        seconds, flags = _timed(lambda: propagate(store, as_of))
        ours_flags = {(f.subject_id, f.flag.value, f.entry_id) for f in flags}
        metrics["propagation_full"] = {
            "seconds": round(seconds, 3),
            "flags": len(flags),
            "by_rule": dict(sorted(Counter(f.rule.value for f in flags).items())),
        }
        del flags
        bg: baseline.BaselineGraph | None = None
        base_flags: set[baseline.FlagKey] = set()
        if not config.skip_baseline:
            say("baseline: networkx graph from the CSVs, propagation")
            bg, base_flags, result["baseline"] = _baseline_propagation(folder, ours_flags)
            prop = result["baseline"]["propagation_full"]["seconds"]
            build = result["baseline"]["build"]["seconds"]
            result["ratios"] = {
                "propagation_full": round(prop / seconds, 2),
                "propagation_full_with_build": round((build + prop) / seconds, 2),
            }

        say("incremental propagation after one new severe entry")
        fresh = [f for f in firms if f not in listed] or firms
        metrics["propagation_incremental"] = incremental(store, rng.choice(fresh), as_of, seed)
        work = _workload(store, config, firms, everyone, rng)
        queried, timings = _our_queries(store, work, config, say)
        metrics.update(queried)
        say("map of 1,000 nodes")
        metrics["map"] = measure_map(store, busiest, as_of, out / f"map-{n}.html")
        if bg is not None:
            say("baseline: ego networks, screenings, paths")
            queried, ratios = _baseline_queries(bg, base_flags, work, timings, config)
            result["baseline"].update(queried)
            result["ratios"].update(ratios)
            del bg
            gc.collect()
    finally:
        store.close()

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
    result["machine"]["bench_peak_rss_mib"] = _mib(peak)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    with atomic_write(out / f"bench-{n}.json") as result_file:
        result_file.write(text + "\n")
    return result


def _baseline_propagation(
    folder: Path, ours: set[baseline.FlagKey]
) -> tuple[baseline.BaselineGraph, set[baseline.FlagKey], dict[str, Any]]:
    rss = _rss_now()
    build_s, bg = _timed(lambda: baseline.build_graph(folder, DEFAULT_AS_OF))
    grown = _rss_now()
    prop_s, flags = _timed(lambda: baseline.propagate(bg, default_policy()))
    report = {
        "build": {
            "seconds": round(build_s, 3),
            "graph_rss_mib": _mib(grown - rss) if rss is not None and grown else None,
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


# -- goals and the table -------------------------------------------------------
GOALS: dict[str, str] = {
    "load": "≤ 60 s, ≤ 4 GiB RSS",
    "propagation_full": "≤ 5 s",
    "propagation_vs_baseline": "≥ 10× baseline",
    "propagation_incremental": "≤ 50 ms",
    "ego_network": "p95 ≤ 20 ms",
    "screening": "p95 ≤ 100 ms",
    "paths": "p95 ≤ 50 ms, max ≤ 1 s",
    "map": "≤ 1 s",
    "api": "≥ 500 req/s, p99 ≤ 100 ms, no errors",
}


def _met(name: str, result: dict[str, Any]) -> bool | None:
    m: dict[str, Any] = result["metrics"].get(name, {})
    if "skipped" in m:
        return None
    match name:
        case "load":
            return bool(m["seconds"] <= 60 and m["peak_rss_mib"] <= 4096)
        case "propagation_full":
            return bool(m["seconds"] <= 5)
        case "propagation_vs_baseline":
            ratio = result.get("ratios", {}).get("propagation_full")
            return None if ratio is None else bool(ratio >= 10)
        case "propagation_incremental":
            return bool(m["seconds"] <= 0.05)
        case "ego_network":
            return bool(m["p95_ms"] <= 20)
        case "screening":
            return bool(m["p95_ms"] <= 100)
        case "paths":
            return bool(m["p95_ms"] <= 50 and m["max_ms"] <= 1000)
        case "map":
            return bool(m["seconds"] <= 1)
        case "api":
            return bool(m["req_per_s"] >= 500 and m["p99_ms"] <= 100 and m["errors"] == 0)
    raise KeyError(name)


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue 9 with whether this run met it (None: not measured)."""
    return [{"metric": k, "goal": g, "met": _met(k, result)} for k, g in GOALS.items()]
