"""``credgraph bench --neo4j`` on a tiny sample against the run's live Neo4j:
every Neo4j figure present and sane beside the embedded one, the same
answers on both stores, the Markdown table, and the refusals. No timing
thresholds: only shapes, counts and equalities."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stores import JAVA_MISSING, SKIP_REASON, Server
from typer.testing import CliRunner

from bench.common import BenchConfig, BenchError
from bench.neo4j_bench import neo4j_target, prepare
from bench.run import run_bench
from cli.bench import NEO4J_COLUMNS, markdown, neo4j_rows
from cli.main import app

N = 300
EGO, SCREENINGS, PAIRS = 6, 3, 8
SECTIONS = ("ego_network", "screening", "paths")


@pytest.fixture(scope="module")
def location(neo4j_server: Server) -> Iterator[str]:
    """Where ``--neo4j`` points: the server's state folder, as ``make
    neo4j-up`` leaves it (URI, auth and the server's pid), else its URI with
    the credentials in the environment."""
    if JAVA_MISSING:
        pytest.skip(SKIP_REASON)
    if neo4j_server.state is not None:
        yield str(neo4j_server.state)
        return
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CREDGRAPH_NEO4J_USER", neo4j_server.user)
        env.setenv("CREDGRAPH_NEO4J_PASSWORD", neo4j_server.password)
        yield neo4j_server.uri


@pytest.fixture(scope="module")
def bench(location: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    config = BenchConfig(
        enterprises=N,
        out=tmp_path_factory.mktemp("bench-neo4j"),
        skip_baseline=True,
        ego_runs=EGO,
        screening_runs=SCREENINGS,
        path_pairs=PAIRS,
        api_seconds=1.0,
        api_clients=2,
        process_runs=1,
        hub_runs=1,
        neo4j=location,
        neo4j_wipe=True,  # the run's server: other tests leave their graphs behind
    )
    return run_bench(config)


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_loads_the_sample(bench: dict[str, Any], neo4j_server: Server) -> None:
    n, rows = bench["neo4j"], bench["sample"]["rows"]
    assert n["uri"] == neo4j_server.uri and n["database"] == "neo4j"
    assert n["server"].startswith("Neo4j/5.")
    assert n["counts"]["enterprises"] == rows["enterprises"] == N
    assert n["counts"]["persons"] == rows["persons"]
    assert n["counts"]["relations"] == rows["relations"]
    assert n["counts"]["entries"] == rows["list_entries"]
    load = n["load"]
    assert load["seconds"] > 0 and load["cpu_s"] > 0 and load["peak_rss_mib"] > 10
    assert "store_mib" not in load  # no file to measure
    if n["server_pid_known"]:  # the server worked for the load, and we saw it
        assert load["server_cpu_s"] > 0


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_answers_as_the_embedded_store(bench: dict[str, Any]) -> None:
    e, n = bench["metrics"], bench["neo4j"]
    assert n["same_answers"] == {
        "propagation_full": True,
        "propagation_computed": True,
        "ego_network": True,
        "screening": True,
        "paths": True,
    }
    assert n["propagation_full"]["flags"] == e["propagation_full"]["flags"] > 0
    assert n["propagation_full"]["by_rule"] == e["propagation_full"]["by_rule"]
    assert n["propagation_full"]["second_run_s"] > 0
    computed = n["propagation_computed"]
    assert computed["flags"] == e["propagation_computed"]["flags"] == e["propagation_full"]["flags"]
    assert computed["same_every_run"] and 0 < computed["cold_s"] <= computed["cold_median_s"]
    inc, ours = n["propagation_incremental"], e["propagation_incremental"]
    assert (inc["subject_id"], inc["entry_id"]) == (ours["subject_id"], ours["entry_id"])
    assert inc["flags_written"] == inc["flags_of_entry"] == ours["flags_written"] >= 2
    for name, runs in zip(SECTIONS, (EGO, SCREENINGS, PAIRS), strict=True):
        m = n[name]
        assert m["runs"] == runs
        assert 0 < m["p50_ms"] <= m["p95_ms"] <= m["p99_ms"] <= m["max_ms"]
        assert m["cpu_s"] >= 0 and e[name]["cpu_s"] >= 0
        if n["server_pid_known"]:
            assert m["server_cpu_s"] >= 0
    assert n["ego_network"]["mean_nodes"] == e["ego_network"]["mean_nodes"]
    assert n["screening"]["mean_links"] == e["screening"]["mean_links"]
    assert n["paths"]["found"] == e["paths"]["found"] >= PAIRS // 2


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_api_and_admin_import(bench: dict[str, Any]) -> None:
    n, rows = bench["neo4j"], bench["sample"]["rows"]
    api = n["api"]
    assert api["endpoint"] == "GET /entities/{id}"
    assert api["requests"] > 0 and api["errors"] == 0
    assert 0 < api["p50_ms"] <= api["p99_ms"] <= api["max_ms"]
    imp = n["admin_import"]
    assert imp["export_s"] > 0 and imp["import_s"] > 0 and imp["import_cpu_s"] > 0
    assert imp["import_reported"]  # neo4j-admin printed IMPORT DONE in …
    graph_nodes = rows["enterprises"] + rows["persons"] + rows["list_entries"]
    # + the incremental entry, the flags and the counters
    assert imp["nodes"] > graph_nodes + n["propagation_full"]["flags"]
    assert imp["relationships"] > rows["relations"]
    assert imp["export_rows"] >= imp["nodes"]


@pytest.mark.neo4j
@pytest.mark.slow
def test_json_and_markdown_hold_the_neo4j_table(bench: dict[str, Any], location: str) -> None:
    out = Path(bench["sample"]["folder"]).parent
    assert json.loads((out / f"bench-{N}.json").read_text("utf-8")) == bench
    fragment = markdown(bench)
    assert f"--seed 42 --skip-baseline --neo4j {location}`" in fragment
    assert f"#### Neo4j beside the embedded store ({bench['neo4j']['server']}" in fragment
    assert "| " + " | ".join(NEO4J_COLUMNS) + " |" in fragment
    rows = neo4j_rows(bench)
    assert len(rows) == 10 and all(len(row) == len(NEO4J_COLUMNS) for row in rows)
    assert rows[-1][2] == "all the same"
    assert all(row[0] and row[2] for row in rows)


@pytest.mark.neo4j
@pytest.mark.slow
def test_a_database_holding_data_is_refused(bench: dict[str, Any], location: str) -> None:
    target = neo4j_target(location)
    assert bench["neo4j"]["counts"]["enterprises"] == N  # the bench's graph is still there
    with pytest.raises(BenchError, match=r"is not empty \(300 enterprises.*--neo4j-wipe"):
        prepare(target, location, wipe=False)


def test_the_cli_refuses_a_location_that_is_no_neo4j(tmp_path: Path) -> None:
    args = ["bench", "--enterprises", "10", "--out", str(tmp_path), "--neo4j", str(tmp_path)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert "neither a Neo4j URI" in res.stderr and "Traceback" not in res.output
    assert not list(tmp_path.iterdir())  # refused before anything was generated


def test_a_state_folder_gives_uri_credentials_and_pid(tmp_path: Path) -> None:
    (tmp_path / "uri").write_text("bolt://127.0.0.1:7999\n", "utf-8")
    (tmp_path / "auth").write_text("reader:pa:ss\n", "utf-8")
    (tmp_path / "pid").write_text("999999999\n", "utf-8")  # no such process
    target = neo4j_target(str(tmp_path))
    assert (target.uri, target.user, target.password) == (
        "bolt://127.0.0.1:7999",
        "reader",
        "pa:ss",
    )
    assert target.server_pid is None
    assert target.env()["CREDGRAPH_NEO4J_PASSWORD"] == "pa:ss"
