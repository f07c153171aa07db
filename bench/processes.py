"""Figures of ``credgraph bench`` taken as whole processes (issue 17): what
someone at a prompt waits for, imports and store opening included.

* start-up: ``credgraph --help`` and ``credgraph flags --subject X``;
* propagation: ``credgraph propagate`` against the networkx script over the
  same CSVs (``python -m bench.baseline FOLDER``), process against process;
* the map of a hub: ``credgraph network HUB --depth 2 --limit 1000 --html F``.

Each command runs ``runs`` times in a fresh interpreter (``sys.executable
-m cli.main``, as the console script does); the best and the median wall
times are kept, the best being the steadier figure on a shared machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import BenchError

CLI = [sys.executable, "-m", "cli.main"]


def run_process(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of ``cmd``; :class:`BenchError` when it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout)[-1500:]
        raise BenchError(f"{' '.join(cmd[2:])} exited with {done.returncode}:\n{tail}")
    return seconds, done.stdout


def time_process(cmd: list[str], runs: int) -> dict[str, Any]:
    """``runs`` fresh runs of ``cmd``: best and median wall seconds."""
    seconds = [run_process(cmd)[0] for _ in range(runs)]
    return {
        "runs": runs,
        "best_s": round(min(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
    }


def startup(store: Path, subject: str, runs: int) -> dict[str, Any]:
    """``credgraph --help`` and ``credgraph flags --subject X --store S``."""
    flags = [*CLI, "flags", "--subject", subject, "--store", str(store), "--format", "json"]
    return {
        "help": time_process([*CLI, "--help"], runs),
        "flags": time_process(flags, runs) | {"subject": subject},
    }


def propagation(
    store: Path, folder: Path, as_of: date, runs: int, with_baseline: bool
) -> dict[str, Any]:
    """``credgraph propagate`` on the loaded store and, unless skipped, the
    networkx script computing the same flags from the CSVs."""
    day = as_of.isoformat()
    ours = time_process([*CLI, "propagate", "--store", str(store), "--as-of", day], runs)
    result: dict[str, Any] = {"credgraph": ours}
    if with_baseline:
        script = [sys.executable, "-m", "bench.baseline", str(folder), "--as-of", day]
        seconds, printed = run_process(script)
        result["networkx"] = {"runs": 1, "best_s": round(seconds, 3)}
        result["networkx"] |= {"flags": json.loads(printed)["flags"]}
        result["ratio"] = round(seconds / ours["best_s"], 2)
    return result


def hub_map(store: Path, hub: str, as_of: date, html: Path, runs: int) -> dict[str, Any]:
    """The ego map of ``hub`` (depth 2, at most 1,000 nodes) as a process."""
    cmd = [*CLI, "network", hub, "--depth", "2", "--limit", "1000", "--store", str(store)]
    cmd += ["--as-of", as_of.isoformat(), "--html", str(html), "--format", "json"]
    timing = time_process(cmd, runs)
    _, printed = run_process(cmd)
    network = json.loads(printed)
    return timing | {
        "center": hub,
        "nodes": len(network["nodes"]),
        "edges": len(network["edges"]),
        "bytes": html.stat().st_size,
    }
