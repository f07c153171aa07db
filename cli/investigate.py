"""CLI: ``paths``, ``ownership``, ``network`` and ``report`` (DESIGN §5, §8)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    AsOfOpt,
    FormatOpt,
    OutputFormat,
    StoreOpt,
    check_output,
    codes,
    emit_json,
    emit_table,
    err,
    explained,
    fail,
    measure_label,
    names_of,
    out,
    parse_as_of,
    store_from,
)
from credgraph.i18n import N_, gettext, term
from queries.network import NetworkResult, ego_network
from queries.paths import PathsResult, find_paths

if TYPE_CHECKING:  # each command imports its own query (start-up of the others)
    from queries.ownership import OwnershipResult
    from queries.report import CreditReport, OwnershipSummary, PartyRole

app = typer.Typer()


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    HTML = "html"


def _viz(module: str, feature: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise fail(
            N_(
                "{feature} needs the {module} module, which is not installed",
                feature=feature,
                module=module,
            )
        ) from None


def _line(text: str) -> None:
    out.print(text, markup=False)


def _chain(ids: Iterable[str], names: dict[str, str]) -> str:
    return " → ".join(f"{names.get(i, i)} ({i})" for i in ids)


@app.command("paths")
def paths_cmd(
    source: Annotated[str, typer.Argument(help="USCC or person id at one end.")],
    target: Annotated[str, typer.Argument(help="USCC or person id at the other end.")],
    max_depth: Annotated[int, typer.Option("--max-depth", help="Longest path (≤ 10).")] = 6,
    limit: Annotated[int, typer.Option("--limit", help="How many paths (≤ 50).")] = 5,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Shortest evidence paths between two entities over roles active on as_of."""
    day = parse_as_of(as_of)
    with store_from(store) as db:
        result: PathsResult = find_paths(db, source, target, day, max_depth=max_depth, limit=limit)
        names = names_of(db, [n for p in result.paths for n in p.nodes])
    if fmt is OutputFormat.JSON:
        emit_json(result)
        return
    if not result.paths:
        err.print(gettext("no path within {n} hops on {day}").format(n=result.max_depth, day=day))
        return
    emit_table(
        gettext("paths {a} → {b} on {day}").format(a=result.from_id, b=result.to_id, day=day),
        ["#", "hops", "path", "relations"],
        [
            (i, len(p.relations), _chain(p.nodes, names), codes(p.relations))
            for i, p in enumerate(result.paths, 1)
        ],
    )


@app.command("ownership")
def ownership_cmd(
    uscc: Annotated[str, typer.Argument(help="The enterprise.")],
    max_depth: Annotated[int, typer.Option("--max-depth", help="Longest chain (≤ 10).")] = 10,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Owners (penetrated), UBOs, actual controller, circles and holdings."""
    from queries.ownership import ownership

    day = parse_as_of(as_of)
    with store_from(store) as db:
        result: OwnershipResult = ownership(db, uscc, day, max_depth=max_depth)
        names = names_of(
            db,
            [result.uscc]
            + [o.id for o in result.owners]
            + [h.uscc for h in result.holdings]
            + (result.actual_controller.path if result.actual_controller else []),
        )
    if fmt is OutputFormat.JSON:
        emit_json(result)
        return
    _print_ownership(result, names)


def _print_ownership(result: OwnershipResult, names: dict[str, str]) -> None:
    _line(
        gettext("{name} ({id}) on {day}").format(
            name=names.get(result.uscc, ""), id=result.uscc, day=result.as_of
        )
    )
    emit_table(
        "owners",
        ["owner", "name", "type", "pct", "ubo", "chains"],
        [
            (
                o.id,
                names.get(o.id, ""),
                o.type.value,
                f"{o.pct:.2f}",
                gettext("yes") if any(u.person_id == o.id for u in result.ubos) else "",
                "\n".join(" → ".join(p) for p in o.paths),
            )
            for o in result.owners
        ],
    )
    ac = result.actual_controller
    who = gettext("none")
    if ac:
        who = gettext("{who} ({basis}) via {path}").format(
            who=_chain(ac.path[:1], names), basis=term("basis", ac.basis), path=" → ".join(ac.path)
        )
    _line(gettext("actual controller: {who}").format(who=who))
    for cycle in result.cycles:
        _line(gettext("circular ownership: {cycle}").format(cycle=" → ".join(cycle)))
    emit_table(
        "holdings",
        ["firm", "name", "pct", "chains"],
        [
            (
                h.uscc,
                names.get(h.uscc, ""),
                f"{h.pct:.2f}",
                "\n".join(" → ".join(p) for p in h.paths),
            )
            for h in result.holdings
        ],
    )


@app.command("network")
def network_cmd(
    center: Annotated[str, typer.Argument(help="USCC or person id at the center.")],
    depth: Annotated[int, typer.Option("--depth", help="Hops from the center (≤ 3).")] = 1,
    limit: Annotated[int, typer.Option("--limit", help="Neighbours shown per node.")] = 50,
    include_ended: Annotated[
        bool, typer.Option("--include-ended", help="Also relations ended before as_of.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML map.")
    ] = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """The ego network with flags; super-nodes collapse into "and N more"."""
    day = parse_as_of(as_of)
    maps = _viz("viz.maps", "--html") if html is not None else None
    if html is not None:
        check_output(html, "--html", store=store)
    with store_from(store) as db:
        result: NetworkResult = ego_network(db, center, day, depth, limit, include_ended)
        words = explained(db, result)
    if maps is not None:
        maps.render_map(words, html)
        err.print(f"map written to {html}")
    if fmt is OutputFormat.JSON:
        emit_json(words)
        return
    emit_table(
        gettext("network of {id} on {day}: nodes").format(id=result.center, day=day),
        ["id", "type", "name", "flags", "more"],
        [
            (
                n.id,
                n.type.value,
                n.name,
                ", ".join(sorted({f"{term('flag', f.flag)} ({f.entry_id})" for f in n.flags})),
                n.hidden_neighbours or "",
            )
            for n in result.nodes
        ],
    )
    emit_table(
        "edges",
        ["source", "role", "target", "title", "share %", "from", "to", "ended"],
        [
            (
                e.source,
                e.role.value,
                e.target,
                e.title,
                e.share_pct,
                e.start_on,
                e.end_on,
                gettext("ended") if e.ended else "",
            )
            for e in result.edges
        ],
    )


@app.command("report")
def report_cmd(
    subject: Annotated[str, typer.Argument(help="USCC or person id.")],
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table, json, or html (to stdout).")
    ] = ReportFormat.TABLE,
) -> None:
    """Credit report: identity, entries, flags, related parties, ownership, measures."""
    from queries.report import credit_report

    day = parse_as_of(as_of)
    reports = _viz("viz.report", "--format html") if fmt is ReportFormat.HTML else None
    with store_from(store) as db:
        report: CreditReport = credit_report(db, subject, day)
        words = explained(db, report) if fmt is not ReportFormat.TABLE else None
    if reports is not None:
        sys.stdout.write(str(reports.render_report_html(words)))
        return
    if fmt is ReportFormat.JSON:
        emit_json(words)
        return
    _print_report(report)


def _print_report(report: CreditReport) -> None:
    identity = report.model_dump(mode="json", include={"identity"})["identity"]
    name = identity.get("name", "")
    _line(
        gettext("credit report: {name} ({id}, {type}) on {day}").format(
            name=name,
            id=report.subject_id,
            type=term("type", report.subject_type),
            day=report.as_of,
        )
    )
    emit_table(
        "identity",
        ["field", "value"],
        [
            (term("field", k), term("kind", v) if k == "kind" else v)
            for k, v in identity.items()
            if v is not None
        ],
    )
    emit_table(
        "list entries",
        ["entry", "list", "status", "decided", "valid until", "removed", "reason", "objections"],
        [
            (
                e.entry_id,
                e.list.value,
                e.status.value,
                e.decided_on,
                e.valid_until,
                e.removed_on,
                e.reason,
                len(e.objections) or "",
            )
            for e in report.entries
        ],
    )
    emit_table(
        "flags",
        ["flag", "list", "entry", "rule", "path", "relations", "citation"],
        [
            (
                f.flag.value,
                f.list.value,
                f.entry_id,
                f.rule.value,
                " → ".join(f.path),
                codes(f.relations),
                f.citation,
            )
            for f in report.flags
        ],
    )
    emit_table(
        gettext("related parties ({n})").format(n=report.related_parties_total),
        ["id", "name", "roles", "flags"],
        [(p.id, p.name, _roles(p.roles), codes(p.flags)) for p in report.related_parties],
    )
    if report.ownership is not None:
        _print_report_ownership(report.ownership)
    emit_table(
        "measures",
        ["scenario", "verdict", "measures"],
        [
            (
                m.scenario.value,
                m.verdict.value,
                "; ".join(f"{measure_label(a.code)} ({a.citation})" for a in m.measures),
            )
            for m in report.measures
        ],
    )


def _print_report_ownership(own: OwnershipSummary) -> None:
    emit_table(
        gettext("top owners ({n})").format(n=own.owners_total),
        ["owner", "type", "pct"],
        [(o.id, o.type.value, f"{o.pct:.2f}") for o in own.owners],
    )
    ubos = ", ".join(f"{u.person_id} {u.pct:.2f}%" for u in own.ubos) or gettext("none")
    ac = own.actual_controller
    _line(gettext("UBOs: {ubos}").format(ubos=ubos))
    who = f"{ac.id} ({term('basis', ac.basis)})" if ac else gettext("none")
    _line(gettext("actual controller: {who}").format(who=who))


def _roles(roles: Iterable[PartyRole]) -> str:
    parts = []
    for r in roles:
        label = term("role", r.role) + (f"/{term('title', r.title)}" if r.title else "")
        label += f" {r.share_pct:g}%" if r.share_pct else ""
        text = gettext("{role} in subject") if r.direction == "in" else gettext("subject is {role}")
        parts.append(text.format(role=label))
    return ", ".join(parts)
