"""CLI: ``bench`` (issues 9 and 17) — the benchmark table, its JSON and its Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench import feed
from bench.run import GOALS, MAP_NODES, BenchConfig, BenchError, run_bench
from cli.common import err, fail, out
from credgraph.outputs import atomic_write

app = typer.Typer()

COLUMNS = ("measurement", "credgraph", "naive baseline", "baseline / ours", "goal", "met")


def _dist(m: dict[str, Any], with_max: bool = False) -> str:
    if not m.get("runs"):
        return "—"
    text = f"p50 {m['p50_ms']:.1f} / p95 {m['p95_ms']:.1f}"
    text += f" / max {m['max_ms']:.0f} ms" if with_max else " ms"
    if m.get("budget_exhausted"):
        text += f" ({m['runs']} runs in budget)"
    return text


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}×"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def _with_cpu(seconds: float | None) -> str:
    """ ", CPU …" after a wall time, when the CPU seconds were measured."""
    return "" if seconds is None else f", CPU {_s(seconds)}"


def _api(m: dict[str, Any]) -> str:
    if "skipped" in m:
        return str(m["skipped"])
    return (
        f"{m['req_per_s']:,.0f} req/s, p50 {m['p50_ms']:.1f} / p99 {m['p99_ms']:.1f} ms, "
        f"{m['errors']} errors ({m['clients']} clients, {m['seconds']:.0f} s)"
    )


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    """One row per measurement: the columns of :data:`COLUMNS`."""
    m, b, r = result["metrics"], result.get("baseline", {}), result.get("ratios", {})
    met = {g["metric"]: g["met"] for g in result["goals"]}
    load, full, inc, paths, mp = (
        m["load"],
        m["propagation_full"],
        m["propagation_incremental"],
        m["paths"],
        m["map"],
    )
    build, base_prop = b.get("build"), b.get("propagation_full")
    rows = {
        "load": (
            "load (`credgraph load`, subprocess)",
            f"{load['seconds']:.1f} s, peak RSS {load['peak_rss_mib']:,.0f} MiB",
            f"graph build {_s(build['seconds'])}, +{build['graph_rss_mib'] or 0:,.0f} MiB"
            if build
            else "—",
            "—",
        ),
        "propagation_full": (
            "full propagation (materialised), in process",
            f"{_s(full['seconds'])}{_with_cpu(full.get('cpu_s'))} (second run "
            f"{_s(full['second_run_s'])}{_with_cpu(full.get('second_run_cpu_s'))}), "
            f"{full['flags']:,} flags",
            f"{_s(base_prop['seconds'])}, {base_prop['flags']:,} flags"
            f" ({'same' if base_prop['flags_match'] else 'DIFFERENT'})"
            if base_prop
            else "—",
            _x(r.get("propagation_full")),
        ),
        "propagation_computed": _computed_row(m.get("propagation_computed", {}), base_prop, r),
        "propagation_vs_baseline": (
            "full propagation, baseline / ours",
            "—",
            f"incl. its graph build: {_s(build['seconds'] + base_prop['seconds'])}"
            if build and base_prop
            else "—",
            f"{_x(r.get('propagation_full'))} "
            f"({_x(r.get('propagation_full_with_build'))} with build)"
            if r
            else "—",
        ),
        "propagation_incremental": (
            "incremental propagation, 1 new severe entry",
            f"{inc['seconds'] * 1000:.1f} ms (+ upsert {inc['upsert_seconds'] * 1000:.1f} ms)",
            "—",
            "—",
        ),
        "ego_network": (
            f"ego network depth {m['ego_network']['depth']}, limit {m['ego_network']['limit']}",
            _dist(m["ego_network"]),
            _dist(b.get("ego_network", {})),
            _x(r.get("ego_network_p50")),
        ),
        "screening": (
            f"screening {m['screening']['bidders']} bidders, depth {m['screening']['depth']}",
            _dist(m["screening"]),
            _dist(b.get("screening", {})),
            _x(r.get("screening_p50")),
        ),
        "paths": (
            f"shortest paths ≤ {paths['max_depth']} hops ({paths['found']}/{paths['pairs']} found)",
            _dist(paths, with_max=True),
            _dist(b.get("paths", {}), with_max=True),
            _x(r.get("paths_p50")),
        ),
        "map": (
            f"map HTML, {mp.get('nodes', MAP_NODES):,} nodes",
            str(mp["skipped"]) if "skipped" in mp else f"{_s(mp['seconds'])} ({mp['source']})",
            "—",
            "—",
        ),
        "api": ("API `GET /entities/{id}`", _api(m["api"]), "—", "—"),
    }
    rows |= _issue17_rows(result)
    verdict = {True: "yes", False: "**no**", None: "—"}
    return [[*rows[name], GOALS[name], verdict[met[name]]] for name in GOALS]


def _computed_row(
    c: dict[str, Any], base: dict[str, Any] | None, r: dict[str, Any]
) -> tuple[str, str, str, str]:
    """Full propagation computed with its paths, nothing written: cold (a
    fresh store object) and warm, beside the baseline's query."""
    name = "full propagation (computed, with paths), in process"
    if "cold_s" not in c:
        return name, "—", "—", "—"
    ours = (
        f"cold {_s(c['cold_s'])} (CPU {_s(c['cold_cpu_s'])}, median {_s(c['cold_median_s'])}), "
        f"warm {_s(c['warm_s'])} (CPU {_s(c['warm_cpu_s'])}, median {_s(c['warm_median_s'])}), "
        f"best of {c['runs']}, {c['flags']:,} flags"
    )
    theirs = "—"
    if base:
        same = "same" if base.get("computed_match") else "DIFFERENT"
        theirs = f"{_s(base['seconds'])}, {base['flags']:,} flags ({same})"
    ratios = (
        f"{_x(r.get('propagation_computed'))} cold, {_x(r.get('propagation_computed_warm'))} warm"
    )
    return name, ours, theirs, ratios if r else "—"


def _hub_cpu(m: dict[str, Any]) -> str:
    return f" (CPU p95 {m['cpu_p95_ms']:.1f} ms)" if "cpu_p95_ms" in m else ""


def _best(m: dict[str, Any]) -> str:
    return f"{_s(m['best_s'])} (median {_s(m['median_s'])}, {m['runs']} runs)"


def _issue17_rows(result: dict[str, Any]) -> dict[str, tuple[str, str, str, str]]:
    """Rows of issue 17: processes and hubs."""
    m = result["metrics"]
    proc, start, hub_map = m["propagation_process"], m["startup"], m["hub_map"]
    hubs, screening = m["hubs"], m["hub_screening"]
    base = proc.get("networkx")
    screened = [
        f"{name} {_dist(screening[name])}{_hub_cpu(screening[name])}"
        for name in ("group", "nominee", "mass_address")
        if screening.get(name, {}).get("runs")
    ]
    live = screening.get("live", {})
    screened += [
        f"flags computed live: {name} {_dist(live[name])}{_hub_cpu(live[name])}"
        for name in ("group", "nominee", "mass_address")
        if live.get(name, {}).get("runs")
    ]
    return {
        "propagation_process": (
            "`credgraph propagate` process vs networkx script process",
            _best(proc["credgraph"]),
            f"{_s(base['best_s'])}, {base['flags']:,} flags" if base else "—",
            _x(proc.get("ratio")),
        ),
        "startup": (
            "CLI start-up (process)",
            f"`--help` {_best(start['help'])}; `flags --subject` {_best(start['flags'])}",
            "—",
            "—",
        ),
        "hub_map": (
            f"map of the biggest hub ({hubs['group_relations']:,} relations), depth 2, "
            f"{hub_map['nodes']:,} nodes",
            f"{_best(hub_map)}; in process {_dist(m['hub_ego'])}",
            "—",
            "—",
        ),
        "hub_screening": (
            f"screening {result['metrics']['screening']['bidders']} bidders of a hub "
            f"(group {hubs['group_members']:,}, nominee {hubs['nominee_firms']:,}, "
            f"address {hubs['address_firms']:,} firms)",
            "; ".join(screened) or "—",
            "—",
            "—",
        ),
    }


def feed_markdown(result: dict[str, Any]) -> list[str]:
    """The change feed's rows (``--feed``, ``--feed-only``) per backend."""
    lines: list[str] = []
    for backend, figures in result.get("feed", {}).items():
        load = figures["loadavg_start"][0], figures["loadavg_end"][0]
        lines += [
            "",
            f"Change feed on the {backend} store (load average {load[0]} at start, "
            f"{load[1]} at end):",
            "",
            feed.markdown(figures),
        ]
    return lines


def markdown(result: dict[str, Any]) -> str:
    """The BENCHMARKS.md fragment: a heading, the command, the machine, the table."""
    mc = result["machine"]
    if "metrics" not in result:  # --feed-only
        n, seed = result["enterprises"], result["seed"]
        on = result["feed"].get("neo4j", {})
        neo4j = f" --neo4j {on['location']}" if on else ""
        return (
            "\n".join(
                [
                    f"### change feed, {n:,} enterprises (seed {seed})",
                    "",
                    f"`credgraph bench --enterprises {n} --seed {seed} --feed-only{neo4j}` on "
                    f"{mc['usable_cores']} cores, Python {mc['python']}, SQLite {mc['sqlite']}.",
                    *feed_markdown(result),
                ]
            )
            + "\n"
        )
    n, seed = result["enterprises"], result["seed"]
    commit = (mc.get("commit") or "?") + (
        " + local changes" if mc.get("uncommitted_changes") else ""
    )
    flags = "" if "baseline" in result else " --skip-baseline"
    flags += " --skip-api" if "skipped" in result["metrics"]["api"] else ""
    flags += f" --neo4j {result['neo4j']['location']}" if "neo4j" in result else ""
    lines = [
        f"### {n:,} enterprises (seed {seed}, commit {commit})",
        "",
        f"`credgraph bench --enterprises {n} --seed {seed}{flags}` on {mc['usable_cores']} cores, "
        f"{mc['ram_gib']} GiB RAM ({mc.get('cpu') or 'CPU unknown'}), Python {mc['python']}, "
        f"SQLite {mc['sqlite']}, networkx {mc['networkx']}; load average "
        f"{mc['loadavg_start'][0]} at start; the run took {result['duration_s']:.0f} s.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += [_md_row(row) for row in table_rows(result)]
    if "neo4j" in result:
        lines += ["", *neo4j_markdown(result)]
    lines += feed_markdown(result)
    return "\n".join(lines) + "\n"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


# -- Neo4j beside the embedded store (--neo4j) -----------------------------------
NEO4J_COLUMNS = ("measurement", "embedded", "Neo4j", "Neo4j / embedded")


def _cpu(m: dict[str, Any]) -> str:
    """CPU seconds of a section: ours, and the server's when measured."""
    text = f"CPU {m['cpu_s']:.2f} s" if m.get("cpu_s") is not None else ""
    if m.get("server_cpu_s") is not None:
        text += f" + server {m['server_cpu_s']:.2f} s"
    return text


def _load(m: dict[str, Any]) -> str:
    server = m.get("server_cpu_s")
    return (
        f"{m['seconds']:.1f} s, CPU {m['cpu_s']:.1f} s"
        + (f" + server {server:.1f} s" if server is not None else "")
        + f", peak RSS {m['peak_rss_mib']:,.0f} MiB"
    )


def _slower(neo4j: float | None, embedded: float | None) -> str:
    return "—" if not neo4j or not embedded else f"{neo4j / embedded:.3g}×"


def _query_row(name: str, label: str, e: dict[str, Any], n: dict[str, Any]) -> list[str]:
    with_max = name == "paths"
    return [
        label,
        f"{_dist(e[name], with_max)}; {_cpu(e[name])}",
        f"{_dist(n[name], with_max)}; {_cpu(n[name])}",
        _slower(n[name].get("p50_ms"), e[name].get("p50_ms")),
    ]


def _cold_warm(c: dict[str, Any]) -> str:
    if "cold_s" not in c:
        return "—"
    return (
        f"{_s(c['cold_s'])} / {_s(c['warm_s'])} (CPU {_s(c['cold_cpu_s'])} / "
        f"{_s(c['warm_cpu_s'])}, best of {c['runs']}), {c['flags']:,} flags"
    )


def neo4j_rows(result: dict[str, Any]) -> list[list[str]]:
    """The embedded store's figures beside the same ones on Neo4j."""
    e, n = result["metrics"], result["neo4j"]
    el, nl, imp = e["load"], n["load"], n["admin_import"]
    ef, nf = e["propagation_full"], n["propagation_full"]
    ei, ni = e["propagation_incremental"], n["propagation_incremental"]
    rows = [
        [
            "load (`credgraph load`, subprocess; Neo4j: driver, bounded transactions)",
            _load(el),
            _load(nl),
            _slower(nl["seconds"], el["seconds"]),
        ],
        [
            "load via `export neo4j-import` + `neo4j-admin database import full`",
            "—",
            str(imp["skipped"])
            if "skipped" in imp
            else f"export {_s(imp['export_s'])} + import {_s(imp['import_s'])} "
            f"(CPU {imp['import_cpu_s']:.1f} s, peak RSS {imp['import_peak_rss_mib']:,.0f} MiB): "
            f"{imp.get('nodes', 0):,} nodes, {imp.get('relationships', 0):,} relationships",
            _slower(imp.get("export_s", 0) + imp.get("import_s", 0), el["seconds"]),
        ],
        [
            "full propagation, in process",
            f"{_s(ef['seconds'])} (second run {_s(ef['second_run_s'])}), {_cpu(ef)}, "
            f"{ef['flags']:,} flags",
            f"{_s(nf['seconds'])} (second run {_s(nf['second_run_s'])}), {_cpu(nf)}, "
            f"{nf['flags']:,} flags",
            _slower(nf["seconds"], ef["seconds"]),
        ],
        [
            "full propagation computed (with paths), in process: cold / warm",
            _cold_warm(e.get("propagation_computed", {})),
            _cold_warm(n.get("propagation_computed", {})),
            _slower(
                n.get("propagation_computed", {}).get("cold_s"),
                e.get("propagation_computed", {}).get("cold_s"),
            ),
        ],
        [
            "incremental propagation, 1 new severe entry",
            f"{ei['seconds'] * 1000:.1f} ms (+ upsert {ei['upsert_seconds'] * 1000:.1f} ms)",
            f"{ni['seconds'] * 1000:.1f} ms (+ upsert {ni['upsert_seconds'] * 1000:.1f} ms)",
            _slower(ni["seconds"], ei["seconds"]),
        ],
        _query_row("ego_network", "ego network depth 2, limit 300", e, n),
        _query_row("screening", "screening 20 bidders, depth 4", e, n),
        _query_row("paths", f"shortest paths ≤ 6 hops ({n['paths']['found']} found)", e, n),
        [
            "API `GET /entities/{id}`",
            _api(e["api"]),
            _api(n["api"]),
            _slower(n["api"].get("p50_ms"), e["api"].get("p50_ms")) + " (p50)",
        ],
    ]
    different = [name for name, same in n["same_answers"].items() if not same]
    rows.append(
        [
            "same answers (flags; ego networks, screenings, paths item by item)",
            "—",
            "all the same" if not different else "**different**: " + ", ".join(different),
            "—",
        ]
    )
    return rows


def neo4j_markdown(result: dict[str, Any]) -> list[str]:
    n = result["neo4j"]
    counts = n["counts"]
    return [
        f"#### Neo4j beside the embedded store ({n['server']}, same run)",
        "",
        f"`--neo4j` {n['uri']} (database {n['database']}): {counts['enterprises']:,} "
        f"enterprises, {counts['persons']:,} persons, {counts['relations']:,} relations, "
        f"{counts['entries']:,} entries loaded. CPU: this process's"
        + (", + server: the Neo4j process's" if n["server_pid_known"] else "")
        + ". Neo4j / embedded: wall-time (or p50) ratio.",
        "",
        "| " + " | ".join(NEO4J_COLUMNS) + " |",
        "|" + "---|" * len(NEO4J_COLUMNS),
        *(_md_row(row) for row in neo4j_rows(result)),
    ]


def print_table(result: dict[str, Any], stderr: bool = False) -> None:
    console = err if stderr else out
    if "feed" in result:
        console.print("\n".join(feed_markdown(result)), markup=False, highlight=False)
    if "metrics" not in result:  # --feed-only
        return
    table = Table(title=f"credgraph bench — {result['enterprises']:,} enterprises")
    for col in COLUMNS:
        table.add_column(col, overflow="fold")
    for row in table_rows(result):
        table.add_row(*(escape(c.replace("**", "")) for c in row))
    if not console.is_terminal:  # redirected: wide enough that rows stay one line
        console = Console(file=console.file, width=200, highlight=False)
    console.print(table)
    if "neo4j" in result:
        both = Table(title=f"embedded and Neo4j ({result['neo4j']['server']})")
        for col in NEO4J_COLUMNS:
            both.add_column(col, overflow="fold")
        for row in neo4j_rows(result):
            both.add_row(*(escape(c.replace("**", "")) for c in row))
        console.print(both)


@app.command()
def bench(
    enterprises: Annotated[int, typer.Option("--enterprises", min=10, help="Sample size N.")],
    seed: Annotated[int, typer.Option("--seed")] = 42,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Results, cached samples (data-N-S/) and the store.")
    ] = Path("bench-results"),
    skip_api: Annotated[bool, typer.Option("--skip-api", help="No HTTP load run.")] = False,
    skip_baseline: Annotated[
        bool, typer.Option("--skip-baseline", help="No networkx baseline.")
    ] = False,
    markdown_out: Annotated[
        bool,
        typer.Option(
            "--markdown", help="Markdown rows for BENCHMARKS.md on stdout (table: stderr)."
        ),
    ] = False,
    ego_runs: Annotated[int, typer.Option("--ego-runs", min=1)] = 200,
    screening_runs: Annotated[int, typer.Option("--screening-runs", min=1)] = 50,
    path_pairs: Annotated[int, typer.Option("--path-pairs", min=2)] = 200,
    api_seconds: Annotated[float, typer.Option("--api-seconds", min=0.5)] = 10.0,
    api_clients: Annotated[int, typer.Option("--api-clients", min=1)] = 8,
    baseline_budget: Annotated[
        float, typer.Option("--baseline-budget", help="Seconds per baseline query section.")
    ] = 60.0,
    process_runs: Annotated[
        int, typer.Option("--process-runs", min=1, help="Fresh processes per process figure.")
    ] = 3,
    hub_runs: Annotated[int, typer.Option("--hub-runs", min=1)] = 20,
    neo4j: Annotated[
        str | None,
        typer.Option(
            "--neo4j",
            help="Also measure this Neo4j, beside the embedded store: its URI (credentials "
            "from CREDGRAPH_NEO4J_USER/_PASSWORD) or the folder of make neo4j-up (.neo4j). "
            "Its database must be empty.",
        ),
    ] = None,
    neo4j_wipe: Annotated[
        bool, typer.Option("--neo4j-wipe", help="Empty that Neo4j database first.")
    ] = False,
    with_feed: Annotated[
        bool,
        typer.Option(
            "--feed",
            help="Also measure the change feed's cost: load and propagate with and without "
            "it (fresh processes, alternately), GET /changes latency; with --neo4j on both.",
        ),
    ] = False,
    feed_only: Annotated[
        bool, typer.Option("--feed-only", help="Measure only the change feed's cost.")
    ] = False,
    feed_rounds: Annotated[
        int, typer.Option("--feed-rounds", min=1, help="Rounds (loads) per side of --feed.")
    ] = 3,
) -> None:
    """Measure load, propagation, queries, maps, hubs, start-up and API at N
    enterprises against the goals of issues 9 and 17, beside a naive networkx
    baseline."""
    config = BenchConfig(
        enterprises=enterprises,
        seed=seed,
        out=out_dir,
        skip_api=skip_api,
        skip_baseline=skip_baseline,
        ego_runs=ego_runs,
        screening_runs=screening_runs,
        path_pairs=path_pairs,
        api_seconds=api_seconds,
        api_clients=api_clients,
        baseline_budget_s=baseline_budget,
        process_runs=process_runs,
        hub_runs=hub_runs,
        neo4j=neo4j,
        neo4j_wipe=neo4j_wipe,
        feed=with_feed,
        feed_only=feed_only,
        feed_rounds=feed_rounds,
    )
    try:
        result = run_bench(config, progress=lambda step: err.print(f"[dim]bench:[/dim] {step}"))
    except BenchError as exc:
        raise fail(exc, 1) from None
    fragment = markdown(result)
    with atomic_write(out_dir / f"bench-{enterprises}.md") as md:
        md.write(fragment)
    print_table(result, stderr=markdown_out)
    if markdown_out:
        out.print(fragment, markup=False, highlight=False)
    err.print(f"results: {out_dir / f'bench-{enterprises}.json'} and bench-{enterprises}.md")
