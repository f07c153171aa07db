"""Steps of ``credgraph bench``: the sample, the load, incremental
propagation, the map and the HTTP load run."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from api.keys import add_key
from bench.common import MIB, BenchError, mib, stats, timed
from credgraph.model import Batch, Category, ListEntry, ListKind, NodeKind, Role
from credgraph.store import Direction, GraphStore, store_files
from graph_loader.sample import generate_sample
from queries.materialise import Change, refresh
from queries.network import ego_network

MAP_NODES = 1_000


def sample_folder(out: Path, enterprises: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached sample folder ``out/data-N-S``, generated when not complete."""
    folder = out / f"data-{enterprises}-{seed}"
    marker = folder / ".complete.json"
    if marker.exists():
        info: dict[str, Any] = json.loads(marker.read_text("utf-8"))
        return folder, info | {"reused": True}
    seconds, summary = timed(lambda: generate_sample(folder, enterprises, seed))
    info = {"folder": str(folder), "generate_s": round(seconds, 2), "rows": asdict(summary)}
    marker.write_text(json.dumps(info), "utf-8")
    return folder, info | {"reused": False}


def run_measured(
    what: str,
    cmd: list[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[float, Any]:
    """Run ``cmd`` (``what``, for errors) with its output in ``log_path``:
    wall seconds and the rusage of that process (its descendants waited for
    included); :class:`BenchError` with the log's tail when it fails."""
    with log_path.open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
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
        raise BenchError(f"{what} exited with {proc.returncode}:\n{tail}")
    return seconds, usage


def measure_load(
    folder: Path, store: Path | str, log_path: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """``credgraph load`` in a subprocess: wall time, its CPU seconds and its
    own peak RSS. ``store`` is a fresh embedded store file (removed first) or
    a Neo4j URI (``env`` then holds its credentials)."""
    if isinstance(store, Path):
        for file in store_files(store):
            Path(file).unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "cli.main", "load", str(folder), "--store", str(store)]
    cmd += ["--rejects", str(log_path.with_suffix(".rejects.csv"))]
    environ = None if env is None else os.environ | env
    seconds, usage = run_measured("credgraph load", cmd, log_path, environ)
    figures = {
        "seconds": round(seconds, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss * 1024 / MIB, 1),  # ru_maxrss is KiB on Linux
    }
    if isinstance(store, Path):
        files = store.parent.glob(store.name + "*")
        figures["store_mib"] = mib(sum(p.stat().st_size for p in files))
    return figures


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
    upsert_s, _ = timed(lambda: store.upsert(Batch(entries=[entry])))
    refresh_s, update = timed(lambda: refresh(store, Change.of((), [entry.entry_id]), before))
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
    seconds, page = timed(lambda: render_map(network, html))
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
    store: Path | str,
    ids: Sequence[str],
    out: Path,
    seconds: float,
    clients: int,
    seed: int,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``credgraph serve --store STORE`` in a subprocess (``env``: more
    settings, e.g. Neo4j credentials); ``clients`` threads GET
    ``/entities/{id}`` on random ids for ``seconds``; the server is stopped after."""
    keys = out / "bench-keys.toml"
    keys.unlink(missing_ok=True)
    key = add_key(keys, "bench", "public")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "cli.main", "serve", "--store", str(store)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    # no request budget: the run measures the server, not the key's rate limit
    settings = {"CREDGRAPH_KEYS_FILE": str(keys), "CREDGRAPH_RATE_LIMITS": "{}"} | (env or {})
    environ = os.environ | settings
    log_name = "serve.log" if isinstance(store, Path) else "serve-neo4j.log"
    with (out / log_name).open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=environ)
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
    } | {k: v for k, v in stats(every).items() if k != "runs"}
