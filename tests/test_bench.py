"""``credgraph bench`` at tiny scale: every figure present and sane, and the
naive baseline agreeing with our answers. No timing thresholds: only shapes,
counts and equalities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.common import percentile
from bench.goals import GOALS, goals
from bench.run import BenchConfig, run_bench
from bench.steps import sample_folder
from cli.main import app

N = 1000
EGO, SCREENINGS, PAIRS = 12, 4, 24
STATS = ("runs", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(
        enterprises=N,
        seed=42,
        out=out,
        ego_runs=EGO,
        screening_runs=SCREENINGS,
        path_pairs=PAIRS,
        api_seconds=1.0,
        api_clients=2,
        process_runs=1,
        hub_runs=2,
    )
    return run_bench(config), out


def assert_distribution(m: dict[str, Any], runs: int) -> None:
    assert set(STATS) <= m.keys()
    assert m["runs"] == runs
    assert 0 < m["p50_ms"] <= m["p95_ms"] <= m["p99_ms"] <= m["max_ms"]
    assert 0 < m["mean_ms"] <= m["max_ms"]


def test_json_file_holds_the_returned_figures(bench: tuple[dict[str, Any], Path]) -> None:
    result, out = bench
    assert json.loads((out / f"bench-{N}.json").read_text("utf-8")) == result
    assert result["enterprises"] == N and result["seed"] == 42
    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["ram_gib"] > 0
    assert machine["python"].count(".") == 2 and machine["sqlite"].count(".") == 2
    assert result["sample"]["rows"]["enterprises"] == N
    assert (out / f"data-{N}-42" / "relations.csv").exists()


def test_every_metric_is_measured(bench: tuple[dict[str, Any], Path]) -> None:
    m = bench[0]["metrics"]
    assert set(m) == {
        "load",
        "propagation_full",
        "propagation_computed",
        "propagation_incremental",
        "ego_network",
        "screening",
        "paths",
        "map",
        "api",
        "propagation_process",
        "startup",
        "hubs",
        "hub_ego",
        "hub_map",
        "hub_screening",
    }
    assert m["load"]["seconds"] > 0 and m["load"]["peak_rss_mib"] > 10
    assert m["propagation_full"]["seconds"] > 0
    assert m["propagation_full"]["second_run_cpu_s"] > 0
    assert m["propagation_full"]["flags"] == sum(m["propagation_full"]["by_rule"].values())
    computed = m["propagation_computed"]
    assert computed["runs"] == 1  # process_runs
    for name in ("cold", "warm"):
        assert 0 < computed[f"{name}_s"] <= computed[f"{name}_median_s"]
        assert computed[f"{name}_cpu_s"] >= 0
    # the flags computed without writing are those propagate materialised
    assert computed["flags"] == m["propagation_full"]["flags"]
    assert computed["same_as_materialised"] and computed["same_every_run"]
    inc = m["propagation_incremental"]
    assert inc["seconds"] > 0 and inc["upsert_seconds"] > 0
    # the new entry flags at least its firm (L0) and its legal representative (P1)
    assert inc["flags_written"] == inc["flags_of_entry"] >= 2
    assert_distribution(m["ego_network"], EGO)
    assert m["ego_network"]["mean_nodes"] >= 1
    assert m["ego_network"]["max_nodes"] <= 1000
    assert_distribution(m["screening"], SCREENINGS)
    assert m["screening"]["bidders"] == 20 and m["screening"]["depth"] == 4
    assert_distribution(m["paths"], PAIRS)
    assert m["paths"]["linked_pairs"] == PAIRS // 2
    assert m["paths"]["found"] >= PAIRS // 2  # every linked pair is within 6 hops
    assert m["map"]["nodes"] == 1000 and m["map"]["bytes"] > 100_000
    assert m["map"]["seconds"] > 0
    api = m["api"]
    assert api["requests"] > 0 and api["errors"] == 0 and api["req_per_s"] > 0
    assert 0 < api["p50_ms"] <= api["p99_ms"] <= api["max_ms"]


def test_processes_and_hubs_are_measured(bench: tuple[dict[str, Any], Path]) -> None:
    m = bench[0]["metrics"]
    for timing in (m["startup"]["help"], m["startup"]["flags"], m["hub_map"]):
        assert timing["runs"] == 1 and 0 < timing["best_s"] <= timing["median_s"]
    proc = m["propagation_process"]
    assert proc["credgraph"]["best_s"] > 0
    # the networkx script found the same number of flags as we did
    assert proc["networkx"]["flags"] == m["propagation_full"]["flags"]
    assert proc["ratio"] == bench[0]["ratios"]["propagation_process"] > 0
    hubs = m["hubs"]
    assert hubs["group_relations"] >= hubs["group_members"] >= 2
    assert hubs["nominee_firms"] >= 2 and hubs["address_firms"] >= 2
    assert m["hub_map"]["center"] == hubs["group"] == m["hub_ego"]["center"]
    assert 1 < m["hub_map"]["nodes"] <= 1000 and m["hub_map"]["bytes"] > 10_000
    assert m["hub_ego"]["nodes"] == m["hub_map"]["nodes"]
    assert_distribution(m["hub_ego"], 2)
    for name in ("group", "nominee", "mass_address"):
        for measured in (m["hub_screening"][name], m["hub_screening"]["live"][name]):
            assert_distribution(measured, 2)
            assert 0 < measured["cpu_p50_ms"] <= measured["cpu_p95_ms"]
            assert measured["links_per_round"] >= 1  # the hub links every pair
    assert m["hub_screening"]["p95_ms"] == max(
        m["hub_screening"][n]["p95_ms"] for n in ("group", "nominee", "mass_address")
    )


def test_baseline_flags_are_ours(bench: tuple[dict[str, Any], Path]) -> None:
    result = bench[0]
    ours, base = result["metrics"]["propagation_full"], result["baseline"]["propagation_full"]
    assert set(ours["by_rule"]) == {"L0", "P1", "P2", "P3"}  # every rule is exercised
    assert base["flags"] == ours["flags"]
    assert base["flags_match"] and base["only_ours"] == base["only_baseline"] == 0
    assert base["computed_match"]


def test_baseline_shortest_paths_have_our_lengths(bench: tuple[dict[str, Any], Path]) -> None:
    result = bench[0]
    base = result["baseline"]
    assert_distribution(base["ego_network"], EGO)
    assert_distribution(base["screening"], SCREENINGS)
    assert_distribution(base["paths"], PAIRS)
    assert base["paths"]["length_mismatches"] == 0
    assert base["paths"]["found"] == result["metrics"]["paths"]["found"]
    assert base["ego_network"]["mean_nodes"] >= 1
    assert base["build"]["edges"] == result["sample"]["rows"]["relations"]
    assert set(result["ratios"]) == {
        "propagation_full",
        "propagation_full_with_build",
        "propagation_computed",
        "propagation_computed_warm",
        "propagation_process",
        "ego_network_p50",
        "screening_p50",
        "paths_p50",
    }
    assert all(r is not None and r > 0 for r in result["ratios"].values())


def test_every_goal_is_judged(bench: tuple[dict[str, Any], Path]) -> None:
    judged = {g["metric"]: g for g in bench[0]["goals"]}
    assert set(judged) == set(GOALS)
    assert all(isinstance(g["met"], bool) for g in judged.values())


def test_goals_follow_the_thresholds() -> None:
    def dist(p95: float, worst: float = 1.0) -> dict[str, float]:
        return {"p95_ms": p95, "max_ms": worst}

    def best(seconds: float) -> dict[str, float]:
        return {"best_s": seconds}

    result: dict[str, Any] = {
        "metrics": {
            "load": {"seconds": 44.0, "peak_rss_mib": 2561.0},
            "propagation_full": {"seconds": 1.0},
            "propagation_incremental": {"seconds": 0.051},
            "startup": {"help": best(0.3), "flags": best(0.51)},
            "ego_network": dist(20.0),
            "screening": dist(100.5),
            "paths": dist(10.0, 1000.5),
            "map": {"skipped": "viz.maps.render_map unavailable"},
            "hub_map": best(0.99),
            "hub_screening": {"p95_ms": None},
            "api": {"req_per_s": 500.0, "p99_ms": 99.0, "errors": 0},
        },
        "ratios": {"propagation_full": 0.99, "propagation_process": 10.0},
    }
    met = {g["metric"]: g["met"] for g in goals(result)}
    assert met == {
        "load": False,
        "propagation_full": True,
        "propagation_computed": None,
        "propagation_vs_baseline": False,
        "propagation_process": True,
        "propagation_incremental": False,
        "startup": False,
        "ego_network": True,
        "screening": False,
        "paths": False,
        "map": None,
        "hub_map": True,
        "hub_screening": None,
        "api": True,
    }
    result["metrics"]["load"]["peak_rss_mib"] = 2560.0
    result["metrics"]["startup"]["flags"] = best(0.5)
    result["metrics"]["hub_screening"] = {"p95_ms": 100.5}
    result["metrics"]["propagation_computed"] = {"cold_s": 1.01}
    del result["ratios"]
    met = {g["metric"]: g["met"] for g in goals(result)}
    assert met["load"] and met["startup"] and met["hub_screening"] is False
    assert met["propagation_computed"] is False
    assert met["propagation_vs_baseline"] is None and met["propagation_process"] is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(100, 0, -1)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


def test_sample_is_cached(tmp_path: Path) -> None:
    folder, first = sample_folder(tmp_path, 40, 5)
    stamp = (folder / "enterprises.csv").stat().st_mtime_ns
    again, second = sample_folder(tmp_path, 40, 5)
    assert again == folder == tmp_path / "data-40-5"
    assert (first["reused"], second["reused"]) == (False, True)
    assert (folder / "enterprises.csv").stat().st_mtime_ns == stamp


def test_cli_prints_markdown_and_skips(tmp_path: Path) -> None:
    args = ["bench", "--enterprises", "300", "--out", str(tmp_path), "--markdown"]
    args += ["--skip-api", "--skip-baseline", "--ego-runs", "3", "--screening-runs", "2"]
    args += ["--path-pairs", "4"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    fragment = (tmp_path / "bench-300.md").read_text("utf-8")
    assert fragment in res.stdout
    assert "`credgraph bench --enterprises 300 --seed 42 --skip-baseline --skip-api` on" in fragment
    assert "| measurement | credgraph | naive baseline | baseline / ours | goal | met |" in fragment
    assert all(goal in fragment for goal in GOALS.values())
    assert "| full propagation (computed, with paths), in process | cold " in fragment
    result = json.loads((tmp_path / "bench-300.json").read_text("utf-8"))
    assert "baseline" not in result and "ratios" not in result
    assert result["metrics"]["api"] == {"skipped": "--skip-api"}
    met = {g["metric"]: g["met"] for g in result["goals"]}
    assert met["api"] is None and met["propagation_vs_baseline"] is None
