"""What the change feed costs (DESIGN §10): ``credgraph bench --feed-only``
(or ``--feed`` beside the other figures), or ``python -m bench.feed DATA_DIR``.

Each figure is measured twice, with the feed and without it (the embedded
store: its triggers dropped, the set-based bulk path and the flag events
switched off; Neo4j: no events appended), in a fresh process per load:

* the load of DATA_DIR into an empty store (wall and CPU seconds, events);
* the first ``propagate`` (every flag is new: all recorded as added), then
  ``propagate`` 45 days later and back again, ``--repeats`` times each
  (only the date-driven differences are recorded; medians reported);
* ``GET /changes`` through the API (in-process ASGI client, embedded store):
  a watchlist of 1,000 firms read from before the second propagate, the same
  list polled with the latest cursor (nothing new), and one subject's changes.

The store phases run ``--rounds`` times, alternately without and with the
feed, and each figure is the median. CPU seconds are the steadier figure on
a shared machine; on a busy one even they differ by ±10 % between two runs
of the same work, so the run with the feed also clocks the feed's own work
directly (``feed_*_cpu``, ``feed_*_wall``: the set-based events at the end
of a load, and a propagate's flag and verdict events; on Neo4j the events'
statements, whose work is the server's, so their wall time; the triggers'
share of an embedded load, entries only, is not in it). Prints one JSON
document; ``--markdown`` prints the BENCHMARKS.md rows as well.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
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


def _without_feed(neo4j: bool) -> None:
    """Switch the feed's writers off in this process (the baseline)."""
    from queries import materialise

    setattr(materialise, "flag_feed", lambda *args, **kwargs: None)  # noqa: B010
    if neo4j:
        from credgraph.store.neo4j import feed as neo4j_feed

        setattr(neo4j_feed.FeedWriter, "append", lambda self, events: None)  # noqa: B010
    else:
        from credgraph.store.sqlite import feed as sqlite_feed

        setattr(sqlite_feed.BulkFeed, "before", lambda self, relations: None)  # noqa: B010


class FeedClock:
    """CPU and wall seconds this process spends in the feed's own writers."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def take(self) -> tuple[float, float]:
        """The seconds clocked since the last take."""
        spent = (self.cpu, self.wall)
        self.cpu = self.wall = 0.0
        return spent

    def watch(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def clocked(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - cpu
                self.wall += time.perf_counter() - wall

        setattr(owner, name, clocked)

    def install(self, neo4j: bool) -> FeedClock:
        if neo4j:
            from credgraph.store.neo4j import feed as neo4j_feed
            from credgraph.store.neo4j import flags as neo4j_flags

            self.watch(neo4j_feed.FeedWriter, "append")
            self.watch(neo4j_flags, "_events")
            return self
        from credgraph.store.sqlite import feed as sqlite_feed
        from credgraph.store.sqlite import flags

        self.watch(sqlite_feed.BulkFeed, "finish")
        self.watch(flags, "snapshot_flags")
        self.watch(flags, "append_flag_events")
        return self


def _timed(work: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = work()
    return result, time.perf_counter() - wall, _cpu() - cpu


def _open_empty(location: str) -> Any:
    """An empty store at ``location`` (a file, emptied; a Neo4j URI, wiped)."""
    from credgraph.store import open_store

    if location.startswith(("neo4j:", "neo4j+s:", "bolt:", "bolt+s:")):
        store = open_store(location)
        store.wipe()  # type: ignore[attr-defined]
        return store
    for suffix in ("", "-wal", "-shm", "-audit", "-audit-wal", "-audit-shm"):
        Path(f"{location}{suffix}").unlink(missing_ok=True)
    return open_store(location)


def phase_store(data: Path, location: str, feed: bool, repeats: int) -> dict[str, Any]:
    """Load and propagate into a fresh store, with or without the feed."""
    from graph_loader import load_folder
    from queries.materialise import propagate

    neo4j = not location.endswith(".db")
    store = _open_empty(location)
    if not feed:
        _without_feed(neo4j)
        if not neo4j:
            conn = store._conn()
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
                conn.execute(f"DROP TRIGGER {name}")
    clock = FeedClock().install(neo4j) if feed else FeedClock()
    out: dict[str, Any] = {"feed": feed}
    _, out["load_wall"], out["load_cpu"] = _timed(lambda: load_folder(store, data))
    out["load_events"] = store.last_seq()
    out["feed_load_cpu"], out["feed_load_wall"] = clock.take()
    flags, out["propagate1_wall"], out["propagate1_cpu"] = _timed(lambda: propagate(store, AS_OF))
    out["feed_propagate1_cpu"], out["feed_propagate1_wall"] = clock.take()
    out["flags"] = len(flags)
    out["propagate1_events"] = store.last_seq() - out["load_events"]
    out["before_propagate2"] = store.last_seq()
    runs: list[tuple[float, ...]] = []
    for day in [AS_OF + timedelta(days=45), AS_OF] * repeats:
        before = store.last_seq()
        _, wall, cpu = _timed(lambda day=day: propagate(store, day))
        runs.append((wall, cpu, store.last_seq() - before, *clock.take()))
    store.close()
    keys = (
        "propagate2_wall",
        "propagate2_cpu",
        "propagate2_events",
        "feed_propagate2_cpu",
        "feed_propagate2_wall",
    )
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


def _run(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.feed", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.feed {' '.join(args)}: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    data: Path,
    work: Path,
    *,
    rounds: int = 3,
    repeats: int = 5,
    runs: int = 50,
    neo4j: str | None = None,
) -> dict[str, Any]:
    """The feed's cost on the sample ``data`` (see the module): on the
    embedded store in ``work``, or on the Neo4j at ``neo4j`` (a URI, or the
    folder of ``neo4j/ctl.sh up``; its database is wiped for every load)."""
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    location = ""
    if neo4j is not None:
        from bench.neo4j_bench import neo4j_target

        target = neo4j_target(neo4j)
        location = target.uri
        env |= {"CREDGRAPH_NEO4J_USER": target.user, "CREDGRAPH_NEO4J_PASSWORD": target.password}
    common = [str(data), "--work", str(work), "--repeats", str(repeats)]
    common += ["--location", location] if location else []
    result: dict[str, Any] = {
        "backend": "neo4j" if neo4j else "embedded",
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    found: dict[str, list[dict[str, Any]]] = {"baseline": [], "feed": []}
    for _ in range(rounds):  # alternately: a busy spell of the machine hits both
        for side, on in (("baseline", "off"), ("feed", "on")):
            found[side].append(_run(*common, "--phase", "store", "--feed", on, env=env))
    result |= {side: _median(figures) for side, figures in found.items()}
    if neo4j is None:
        since = str(result["feed"]["before_propagate2"])
        api = ("--phase", "api", "--since", since, "--runs", str(runs))
        result["api"] = _run(*common, *api)
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
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
    """The BENCHMARKS.md rows of :func:`measure`'s result."""
    feed, base = result["feed"], result["baseline"]
    neo4j = result.get("backend") == "neo4j"
    rows = [
        f"| measurement ({result.get('backend', 'embedded')}, median of {feed['rounds']} rounds) "
        "| without the feed | with the feed | difference | the feed's own work |",
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
        clock = "wall" if neo4j else "cpu"
        own, whole = feed.get(f"feed_{key}_{clock}", 0.0), base[f"{key}_{clock}"]
        rows.append(
            f"| {label} | {_secs(base[key + '_wall'])} wall, {_secs(base[key + '_cpu'])} CPU "
            f"| {_secs(feed[key + '_wall'])} wall, {_secs(feed[key + '_cpu'])} CPU "
            f"| {_pct(feed[key + '_wall'], base[key + '_wall'])} wall, "
            f"{_pct(feed[key + '_cpu'], base[key + '_cpu'])} CPU "
            f"| {_secs(own)} {clock.upper() if clock == 'cpu' else clock} = "
            f"{100 * own / whole:.1f} % |"
        )
    if "api" in result:
        rows += ["", "| `GET /changes` | p50 | p95 | events |", "|---|---|---|---|"]
        for key, label in (
            ("watchlist_page", "watchlist of 1,000 firms, one page from before propagate 2"),
            ("watchlist_poll", "same watchlist, polled with the latest cursor"),
            ("subject", "one subject"),
        ):
            a = result["api"][key]
            rows.append(f"| {label} | {a['p50_ms']} ms | {a['p95_ms']} ms | {a['events']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--work", type=Path, default=Path("bench-results"))
    parser.add_argument("--neo4j", help="a Neo4j URI or the folder of neo4j/ctl.sh up")
    parser.add_argument("--phase", choices=("store", "api"))
    parser.add_argument("--location", help=argparse.SUPPRESS)  # a phase's Neo4j URI
    parser.add_argument("--feed", choices=("on", "off"), default="on")
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    location = args.location or str(args.work / f"feed-{args.feed}.db")
    if args.phase == "store":
        print(json.dumps(phase_store(args.data, location, args.feed == "on", args.repeats)))
        return
    if args.phase == "api":
        print(json.dumps(phase_api(Path(location), args.since, args.runs)))
        return
    result = measure(
        args.data,
        args.work,
        rounds=args.rounds,
        repeats=args.repeats,
        runs=args.runs,
        neo4j=args.neo4j,
    )
    print(json.dumps(result))
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
