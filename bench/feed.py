"""What the change feed costs (DESIGN §10): ``python -m bench.feed DATA_DIR``.

Each figure is measured twice on the embedded store, with the feed and
without it (its triggers dropped, the set-based bulk path and the flag
events switched off), in a fresh process per load:

* the load of DATA_DIR into an empty store (wall and CPU seconds, events);
* the first ``propagate`` (every flag is new: all recorded as added), then
  ``propagate`` 45 days later and back again, ``--repeats`` times each
  (only the date-driven differences are recorded; medians reported);
* ``GET /changes`` through the API (in-process ASGI client): a watchlist of
  1,000 firms read from before the second propagate, the same list polled
  with the latest cursor (nothing new), and one subject's changes.

The store phases run ``--rounds`` times, alternately without and with the
feed, and each figure is the median. CPU seconds are the steadier figure on
a shared machine; on a busy one even they differ by ±10 % between two runs
of the same work, so the run with the feed also clocks the feed's own work
directly (``feed_*_cpu``: the set-based events at the end of a load, and
computing and appending a propagate's flag events; the triggers' share of
a load, entries only, is not in it). Prints one JSON document;
``--markdown`` prints the BENCHMARKS.md rows as well.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 1, 1)


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (a big CSV
    load parses in a forked second process)."""
    return sum(
        used.ru_utime + used.ru_stime
        for used in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _without_feed() -> None:
    """Switch the feed's writers off in this process (the baseline)."""
    from credgraph.store.sqlite import feed as sqlite_feed
    from queries import materialise

    sqlite_feed.BulkFeed.before = lambda self, relations: None  # type: ignore[method-assign]
    materialise.flag_changes = lambda *args, **kwargs: []  # type: ignore[attr-defined]


class FeedClock:
    """CPU seconds this process spends in the feed's own writers."""

    def __init__(self) -> None:
        self.spent = 0.0

    def watch(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def clocked(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent += time.process_time() - started

        setattr(owner, name, clocked)

    def install(self) -> FeedClock:
        from credgraph.store.sqlite import feed as sqlite_feed
        from queries import materialise

        self.watch(sqlite_feed.BulkFeed, "finish")
        self.watch(sqlite_feed, "append")
        self.watch(materialise, "flag_changes")
        return self


def _timed(work: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = work()
    return result, time.perf_counter() - wall, _cpu() - cpu


def phase_store(data: Path, db: Path, feed: bool, repeats: int) -> dict[str, Any]:
    """Load and propagate into a fresh store, with or without the feed."""
    from credgraph.store import EmbeddedStore
    from graph_loader import load_folder
    from queries.materialise import propagate

    for suffix in ("", "-wal", "-shm", "-audit", "-audit-wal", "-audit-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = EmbeddedStore(db)
    if not feed:
        _without_feed()
        conn = store._conn()
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f"DROP TRIGGER {name}")
    clock = FeedClock().install() if feed else FeedClock()
    out: dict[str, Any] = {"feed": feed}
    _, out["load_wall"], out["load_cpu"] = _timed(lambda: load_folder(store, data))
    out["load_events"] = store.last_seq()
    out["feed_load_cpu"], clock.spent = clock.spent, 0.0
    flags, out["propagate1_wall"], out["propagate1_cpu"] = _timed(lambda: propagate(store, AS_OF))
    out["feed_propagate1_cpu"], clock.spent = clock.spent, 0.0
    out["flags"] = len(flags)
    out["propagate1_events"] = store.last_seq() - out["load_events"]
    out["before_propagate2"] = store.last_seq()
    runs: list[tuple[float, float, int, float]] = []
    for day in [AS_OF + timedelta(days=45), AS_OF] * repeats:
        before, clock.spent = store.last_seq(), 0.0
        _, wall, cpu = _timed(lambda day=day: propagate(store, day))
        runs.append((wall, cpu, store.last_seq() - before, clock.spent))
    store.close()
    keys = ("propagate2_wall", "propagate2_cpu", "propagate2_events", "feed_propagate2_cpu")
    for i, key in enumerate(keys):
        out[key] = statistics.median(r[i] for r in runs)
    out["propagate2_runs"] = len(runs)
    return out


def _latencies(get: Any, url: str, runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "events": len(response.json()["events"]),
    }


def phase_api(db: Path, since: int, runs: int) -> dict[str, Any]:
    """``GET /changes`` latencies on a loaded store with a 1,000-firm watchlist."""
    import tempfile

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.keys import add_key
    from credgraph.model import NodeKind
    from credgraph.store import EmbeddedStore

    store = EmbeddedStore(db)
    firms = [n.id for n in itertools.islice(store.iter_nodes(NodeKind.ENTERPRISE), 200_000)]
    chosen = random.Random(7).sample(firms, min(1000, len(firms)))
    if "bench" not in {w.name for w in store.watchlists()}:
        store.create_watchlist("bench", "bench")
        store.watch("bench", chosen)
    flagged = store.changes(since, 1, upto_seq=None)
    subject = flagged[0].subject_id if flagged else chosen[0]
    store.close()
    keys = Path(tempfile.mkdtemp()) / "keys.toml"
    key = add_key(keys, "bench", "admin")
    app = create_app(str(db), keys_file=keys)
    out: dict[str, Any] = {}
    with TestClient(app, headers={"X-API-Key": key}) as client:
        first = client.get(f"/changes?watchlist=bench&since={since}&limit=1000")
        cursor = first.json()["next_cursor"]
        out["watchlist_page"] = _latencies(
            client.get, f"/changes?watchlist=bench&since={since}&limit=1000", runs
        )
        out["watchlist_poll"] = _latencies(
            client.get, f"/changes?watchlist=bench&cursor={cursor}", runs
        )
        out["subject"] = _latencies(client.get, f"/changes?subject={subject}", runs)
    return out


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.feed", *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _secs(seconds: float) -> str:
    return (
        f"{seconds:.1f} s"
        if seconds >= 10
        else f"{seconds:.2f} s"
        if seconds >= 1
        else f"{1000 * seconds:.0f} ms"
    )


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over rounds; the last round's seq (its store is
    the one the API phase reads)."""
    kept = ("feed", "before_propagate2")
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k not in kept}
    out.update({k: runs[-1][k] for k in kept})
    out["rounds"] = len(runs)
    return out


def _pct(ours: float, base: float) -> str:
    return f"{100 * (ours - base) / base:+.1f} %" if base else "—"


def markdown(result: dict[str, Any]) -> str:
    feed, base = result["feed"], result["baseline"]
    rows = [
        f"| measurement (median of {feed['rounds']} rounds) | without the feed | with the feed "
        "| difference | the feed's own work |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("load", f"load ({feed['load_events']:,} events)"),
        ("propagate1", f"first propagate ({feed['propagate1_events']:,} events)"),
        (
            "propagate2",
            f"propagate 45 days later or back, median of {feed['propagate2_runs']} "
            f"({feed['propagate2_events']:,.0f} events)",
        ),
    ):
        own, base_cpu = feed[f"feed_{key}_cpu"], base[key + "_cpu"]
        rows.append(
            f"| {label} | {_secs(base[key + '_wall'])} wall, {_secs(base_cpu)} CPU "
            f"| {_secs(feed[key + '_wall'])} wall, {_secs(feed[key + '_cpu'])} CPU "
            f"| {_pct(feed[key + '_cpu'], base_cpu)} CPU "
            f"| {_secs(own)} CPU = {100 * own / base_cpu:.1f} % |"
        )
    api = result["api"]
    rows += ["", "| `GET /changes` | p50 | p95 | events |", "|---|---|---|---|"]
    for key, label in (
        ("watchlist_page", "watchlist of 1,000 firms, one page from before propagate 2"),
        ("watchlist_poll", "same watchlist, polled with the latest cursor"),
        ("subject", "one subject"),
    ):
        a = api[key]
        rows.append(f"| {label} | {a['p50_ms']} ms | {a['p95_ms']} ms | {a['events']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--work", type=Path, default=Path("bench-results"))
    parser.add_argument("--phase", choices=("store", "api"))
    parser.add_argument("--feed", choices=("on", "off"), default="on")
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    db = args.work / f"feed-{args.feed}.db"
    if args.phase == "store":
        print(json.dumps(phase_store(args.data, db, args.feed == "on", args.repeats)))
        return
    if args.phase == "api":
        print(json.dumps(phase_api(db, args.since, args.runs)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    common = [str(args.data), "--work", str(args.work)]
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "feed": []}
    for _ in range(args.rounds):  # alternately: a busy spell of the machine hits both
        for side, on in (("baseline", "off"), ("feed", "on")):
            store_args = ("--phase", "store", "--feed", on, "--repeats", str(args.repeats))
            runs[side].append(_run(*common, *store_args))
    result: dict[str, Any] = {side: _median(found) for side, found in runs.items()}
    since = str(result["feed"]["before_propagate2"])
    result["api"] = _run(*common, "--phase", "api", "--since", since, "--runs", str(args.runs))
    print(json.dumps(result))
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
