"""Lookups during a load (issue 16.2): a real ``credgraph load`` runs in
another process into the store the API serves, while lookups, searches and
``/health`` keep coming. None may fail (no 5xx, no "database is locked") and
every lookup is still audited. Latencies are measured and printed, not
asserted (the test machine is shared)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_api_http import served

from api.app import create_app
from api.keys import add_key
from credgraph.settings import Settings
from credgraph.store import EmbeddedStore
from graph_loader import load_folder
from graph_loader.sample import generate_sample

pytestmark = pytest.mark.slow


def _firms(folder: Path, n: int) -> list[str]:
    lines = (folder / "enterprises.csv").read_text("utf-8").splitlines()[1 : n + 1]
    return [line.split(",")[0] for line in lines]


def test_lookups_answer_while_a_load_runs(tmp_path: Path) -> None:
    served_data, more = tmp_path / "first", tmp_path / "more"
    generate_sample(served_data, enterprises=300, seed=1)
    generate_sample(more, enterprises=3000, seed=2)
    db = tmp_path / "s.db"
    store = EmbeddedStore(db)
    load_folder(store, served_data)
    store.close()
    firms = _firms(served_data, 50)
    keys = tmp_path / "keys.toml"
    key = add_key(keys, "reader", "admin")
    app = create_app(str(db), keys_file=keys, settings=Settings(rate_limits={}))

    with served(app) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        headers = {"X-API-Key": key}
        load = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "load", str(more), "--store", str(db)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        statuses: list[int] = []
        latencies: dict[str, list[float]] = {"health": [], "entity": [], "search": []}
        during = 0
        i = 0
        while load.poll() is None or i < 30:
            running = load.poll() is None
            for kind, url in (
                ("health", "/health"),
                ("entity", f"/entities/{firms[i % len(firms)]}/flags"),
                ("search", "/search?q=%E6%9C%89%E9%99%90"),
            ):
                started = time.perf_counter()
                r = client.get(url, headers=headers, timeout=120)
                latencies[kind].append(time.perf_counter() - started)
                statuses.append(r.status_code)
            during += running
            i += 1
        _, err = load.communicate()
        assert load.returncode == 0, err.decode()

        assert during >= 3, "the load finished before the lookups could overlap it"
        assert all(s == 200 for s in statuses), sorted(set(statuses))
        audited, after = 0, 0
        while after is not None:
            page = client.get("/audit", params={"limit": 1000, "after": after}, headers=headers)
            records = page.json()["records"]
            audited += sum(r["endpoint"] == "GET /entities/{id}/flags" for r in records)
            after = page.json()["next_after"]
        assert audited == i  # nothing lost while the load held the write lock

    for kind, values in latencies.items():
        print(
            f"{kind}: {len(values)} requests, {during} rounds during the load, "
            f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
        )
