"""Helpers of ``credgraph bench``: timing, percentiles, memory, the machine."""

from __future__ import annotations

import csv
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from math import ceil
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Progress = Callable[[str], None]

MIB = 1024 * 1024


class BenchError(RuntimeError):
    """A step of the benchmark could not run (load failed, server did not start)."""


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
    #: also measure this Neo4j (URI, or the state folder of ``make neo4j-up``)
    neo4j: str | None = None
    #: empty that Neo4j database first (the bench refuses one holding data)
    neo4j_wipe: bool = False


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(ceil(q / 100 * len(ordered)) - 1, 0)]


def stats(ms: Sequence[float]) -> dict[str, Any]:
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


def ratio(base_ms: Sequence[float], ours_ms: Sequence[float]) -> float | None:
    """Median baseline / median ours over the items both ran (a prefix)."""
    n = min(len(base_ms), len(ours_ms))
    if n == 0:
        return None
    ours = percentile(ours_ms[:n], 50)
    return round(percentile(base_ms[:n], 50) / ours, 2) if ours > 0 else None


def rss_now() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def mib(value: float | None) -> float | None:
    return None if value is None else round(value / MIB, 1)


def first_column(path: Path) -> list[str]:
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
        "networkx": version("networkx"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "uncommitted_changes": dirty,
    }


def budgeted(
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


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) that process ``pid`` has used so far, from
    ``/proc``; None when it cannot be read (not local, gone, not Linux)."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after the command name
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class CpuMeter:
    """CPU seconds spent between :meth:`start` and :meth:`figures`: this
    process's, and a server process's when its pid is known (a local Neo4j):
    steadier than wall times on a shared machine."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = server_pid
        self.start()

    def start(self) -> None:
        self._ours = time.process_time()
        self._server = process_cpu(self.server_pid)

    def figures(self) -> dict[str, float | None]:
        ours: dict[str, float | None] = {"cpu_s": round(time.process_time() - self._ours, 3)}
        if self.server_pid is None:
            return ours
        now = process_cpu(self.server_pid)
        spent = None if now is None or self._server is None else round(now - self._server, 2)
        return ours | {"server_cpu_s": spent}
