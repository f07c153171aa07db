"""``python -m bench.feed`` (the change feed's cost) on a tiny sample: the
baseline really runs without the feed, the measured run with it, and the
Markdown rows come out. No time is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.feed import markdown
from graph_loader.sample import generate_sample


def test_bench_feed_measures_with_and_without_the_feed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate_sample(data, 300, seed=3)
    done = subprocess.run(
        [sys.executable, "-m", "bench.feed", str(data), "--work", str(tmp_path / "work"),
         "--runs", "3", "--repeats", "1", "--rounds", "1", "--markdown"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[0])
    base, feed = result["baseline"], result["feed"]
    assert base["load_events"] == base["propagate1_events"] == base["propagate2_events"] == 0
    assert feed["load_events"] > 0 and feed["propagate1_events"] >= feed["flags"] > 0
    assert base["flags"] == feed["flags"]  # the same work, with and without the feed
    assert feed["propagate2_runs"] == base["propagate2_runs"] == 2
    assert feed["load_cpu"] > 0 and base["load_cpu"] > 0
    assert feed["feed_propagate1_cpu"] > 0 and base["feed_propagate1_cpu"] == 0
    api = result["api"]
    assert api["watchlist_poll"]["events"] == 0  # nothing after the latest cursor
    assert api["subject"]["events"] > 0
    assert "\n".join(lines[1:]) == markdown(result)
    assert "| load (" in lines[3]
