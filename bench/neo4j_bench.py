"""``credgraph bench --neo4j``: the embedded store's figures taken again on
a Neo4j server in the same run (issue 14), on the same sample and the same
items, so that the two stand side by side:

* load: ``credgraph load --store URI`` in a subprocess (the driver, bounded
  transactions), and the other way in: ``credgraph export neo4j-import`` of
  the embedded store then ``neo4j-admin database import full`` (Neo4j's own
  importer from the Maven artifacts of ``neo4j/pom.xml``) into a fresh
  database folder;
* full and incremental propagation, ego networks, screenings and shortest
  paths, in this process through the ``GraphStore`` protocol: the same
  subjects, bidders and pairs as the embedded run, and a check that every
  answer is the embedded store's;
* ``GET /entities/{id}`` against ``credgraph serve --store URI``.

Besides wall times: this process's CPU seconds and, for a local server whose
pid is known (the state folder of ``make neo4j-up``), the server's: on a
shared machine they are the steadier figures.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.baseline import FlagKey
from bench.common import BenchConfig, BenchError, CpuMeter, Progress, mib, process_cpu, timed
from bench.steps import api_load, incremental, measure_load, run_measured
from bench.workload import (
    Timings,
    Workload,
    computed_propagation,
    full_propagation,
    our_queries,
)
from credgraph.settings import Settings
from credgraph.store import NEO4J_SCHEMES, StoreError, open_store
from credgraph.store.neo4j import Neo4jStore
from credgraph.store.neo4j.admin_import import export_neo4j_import

#: ``neo4j/`` of a source checkout: ``ctl.sh`` and ``neo4j-admin``
LAUNCHER = Path(__file__).resolve().parents[1] / "neo4j"

#: what the bench compares, to count a database as holding data
GRAPH_COUNTS = ("enterprises", "persons", "relations", "entries")


@dataclass(frozen=True)
class Neo4jTarget:
    """A Neo4j server to measure: where, as whom, and its pid when local."""

    uri: str
    user: str
    password: str
    database: str
    timeout: float
    server_pid: int | None = None

    def env(self) -> dict[str, str]:
        """The settings a ``credgraph`` subprocess needs to reach it."""
        return {
            "CREDGRAPH_NEO4J_USER": self.user,
            "CREDGRAPH_NEO4J_PASSWORD": self.password,
            "CREDGRAPH_NEO4J_DATABASE": self.database,
        }

    def open(self) -> Neo4jStore:
        try:
            return Neo4jStore(
                self.uri,
                user=self.user,
                password=self.password,
                database=self.database,
                timeout=self.timeout,
            )
        except StoreError as exc:
            raise BenchError(f"cannot open Neo4j {self.uri}: {exc}") from None


def neo4j_target(location: str) -> Neo4jTarget:
    """``location``: a Neo4j URI (credentials from ``CREDGRAPH_NEO4J_USER`` /
    ``_PASSWORD``), or the state folder of ``make neo4j-up`` (``.neo4j``: its
    ``uri``, ``auth`` = ``user:password`` and the server's ``pid``)."""
    settings = Settings()
    user, password = settings.neo4j_user, settings.neo4j_password
    database, timeout = settings.neo4j_database, settings.neo4j_timeout
    if location.startswith(NEO4J_SCHEMES):
        return Neo4jTarget(location, user, password, database, timeout)
    folder = Path(location)
    if not (folder / "uri").is_file():
        raise BenchError(
            f"--neo4j {location}: neither a Neo4j URI (neo4j://…, bolt://…) nor a folder "
            "holding a uri file (make neo4j-up writes .neo4j/uri)"
        )
    uri = (folder / "uri").read_text("utf-8").strip()
    if (folder / "auth").is_file():
        user, _, password = (folder / "auth").read_text("utf-8").strip().partition(":")
    return Neo4jTarget(uri, user, password, database, timeout, _server_pid(folder / "pid"))


def _server_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text("utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if process_cpu(pid) is not None else None


def prepare(target: Neo4jTarget, location: str, wipe: bool) -> dict[str, Any]:
    """Check, before anything is measured, that the server answers and its
    database is empty (``wipe``: empty it); what the server is."""
    store = target.open()
    try:
        counts = store.counts()
        if any(counts[k] for k in GRAPH_COUNTS):
            if not wipe:
                held = ", ".join(f"{counts[k]:,} {k}" for k in GRAPH_COUNTS)
                raise BenchError(
                    f"Neo4j {target.uri} (database {target.database}) is not empty ({held}): "
                    "the bench loads into an empty database (make neo4j-up starts one; "
                    "--neo4j-wipe empties this one first)"
                )
            store.wipe()
        agent = store.server_agent()
    finally:
        store.close()
    return {"location": location, "uri": target.uri, "database": target.database, "server": agent}


@dataclass
class EmbeddedRun:
    """What the Neo4j figures reuse of the embedded run: the same items, and
    the embedded answers to compare with."""

    store_path: Path
    folder: Path
    work: Workload
    timings: Timings
    flags: set[FlagKey]
    incremental_subject: str
    api_ids: list[str]


def neo4j_figures(
    target: Neo4jTarget,
    info: dict[str, Any],
    embedded: EmbeddedRun,
    config: BenchConfig,
    as_of: date,
    say: Progress,
) -> dict[str, Any]:
    """Every Neo4j figure (see the module docstring); ``info`` from :func:`prepare`."""
    n, out, pid = config.enterprises, config.out, target.server_pid
    result: dict[str, Any] = info | {"server_pid_known": pid is not None}
    say(f"Neo4j: load into {target.uri} (credgraph load in a subprocess)")
    meter = CpuMeter(pid)
    load = measure_load(embedded.folder, target.uri, out / f"load-neo4j-{n}.log", target.env())
    result["load"] = load | {"server_cpu_s": meter.figures().get("server_cpu_s")}
    store = target.open()
    try:
        result["counts"] = store.counts()
        say("Neo4j: full propagation")
        result["propagation_full"], flags = full_propagation(store, as_of, pid)
        say("Neo4j: full propagation computed, nothing written (cold and warm)")
        result["propagation_computed"], computed = computed_propagation(
            target.open, as_of, config.process_runs
        )
        say("Neo4j: incremental propagation after one new severe entry")
        result["propagation_incremental"] = incremental(
            store, embedded.incremental_subject, as_of, config.seed
        )
        queried, timings = our_queries(
            store, embedded.work, config, lambda step: say(f"Neo4j: {step}"), pid
        )
        result.update(queried)
    finally:
        store.close()
    result["same_answers"] = same_answers(embedded, flags, timings) | {
        "propagation_computed": computed == embedded.flags
    }
    if config.skip_api:
        result["api"] = {"skipped": "--skip-api"}
    else:
        say(f"Neo4j: API load run ({config.api_clients} clients, {config.api_seconds:g} s)")
        meter.start()
        api = api_load(
            target.uri,
            embedded.api_ids,
            out,
            config.api_seconds,
            config.api_clients,
            config.seed,
            target.env(),
        )
        result["api"] = api | {"server_cpu_s": meter.figures().get("server_cpu_s")}
    say("Neo4j: export neo4j-import, then neo4j-admin database import full")
    result["admin_import"] = admin_import(embedded.store_path, out, n)
    return result


def same_answers(embedded: EmbeddedRun, flags: set[FlagKey], neo4j: Timings) -> dict[str, bool]:
    """Whether Neo4j gave the embedded store's answers, item by item."""
    ours = embedded.timings.answers
    return {"propagation_full": flags == embedded.flags} | {
        name: neo4j.answers[name] == ours[name] for name in ours
    }


_DONE = re.compile(r"IMPORT DONE in ([^\n]+?)\.?\s*$", re.MULTILINE)
_IMPORTED = re.compile(r"^\s*(\d+) (nodes|relationships|properties)\s*$", re.MULTILINE)


def admin_import(store_path: Path, out: Path, n: int) -> dict[str, Any]:
    """``export_neo4j_import`` of the embedded store (in this process), then
    its ``import.sh`` with Neo4j's importer into a fresh ``NEO4J_HOME``
    (wall, CPU and peak RSS of the importer's process)."""
    tool = LAUNCHER / "neo4j-admin"
    if not tool.is_file():
        return {"skipped": f"{tool} not found (a source checkout has it)"}
    if shutil.which("java") is None or shutil.which("mvn") is None:
        return {"skipped": "java or mvn not found: neo4j-admin runs from Maven artifacts"}
    # built before the clock starts (Maven compiles the launcher when stale)
    run_measured("neo4j/ctl.sh build", [str(LAUNCHER / "ctl.sh"), "build"], out / "mvn.log")
    csv_dir, home = out / f"neo4j-import-{n}", out / f"neo4j-import-home-{n}"
    shutil.rmtree(csv_dir, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    (home / "conf").mkdir(parents=True)
    store = open_store(str(store_path), read_only=True)
    try:
        export_s, rows = timed(lambda: export_neo4j_import(store, csv_dir))
    finally:
        store.close()
    log = out / f"neo4j-import-{n}.log"
    env = {"NEO4J_HOME": str(home.resolve()), "NEO4J_ADMIN": str(tool)}
    seconds, usage = run_measured(
        "neo4j-admin database import full",
        [str((csv_dir / "import.sh").resolve()), "neo4j"],
        log,
        os.environ | env,
        cwd=csv_dir,
    )
    text = log.read_text("utf-8", errors="replace")
    done = _DONE.search(text)
    imported = {kind: int(count) for count, kind in _IMPORTED.findall(text)}
    return {
        "export_s": round(export_s, 2),
        "export_rows": sum(rows.values()),
        "export_mib": mib(sum(f.stat().st_size for f in csv_dir.iterdir())),
        "import_s": round(seconds, 2),
        "import_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "import_peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "import_reported": done.group(1).strip() if done else None,
    } | imported
