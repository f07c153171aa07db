"""CLI: ``screen`` (bidder screening, DESIGN §6) and ``measures`` (DESIGN §4, §8)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import (
    AsOfOpt,
    FormatOpt,
    OutputFormat,
    StoreOpt,
    emit_json,
    emit_table,
    evidence_line,
    names_of,
    out,
    parse_as_of,
    store_from,
)
from credgraph.model import Scenario
from queries.measures import MeasuresResult, Reason, check_measures
from queries.screening import DEFAULT_DEPTH, MAX_DEPTH, ScreeningResult, screen_bidders

app = typer.Typer()


def _reason_line(reason: Reason, names: dict[str, str]) -> str:
    """One reason: code, list, entry, rule, evidence path, detail, citation."""
    fields = (reason.code, reason.list.value if reason.list else None, reason.entry_id)
    parts = [" ".join(f for f in fields if f)]
    if reason.rule:
        parts.append(reason.rule)
    if len(reason.path) > 1:
        parts.append(evidence_line(reason.path, reason.relations, names))
    parts += [p for p in (reason.detail, reason.citation) if p]
    return " · ".join(parts)


def print_screening(result: ScreeningResult, names: dict[str, str]) -> None:
    out.print(
        f"[bold]Screening[/bold] {result.scenario.value} on {result.as_of}: "
        f"{len(result.bidders)} bidders, {len(result.links)} links"
    )
    emit_table(
        "bidders",
        ["bidder", "verdict", "reasons"],
        [
            (
                "\n".join(x for x in (b.uscc, names.get(b.uscc)) if x),
                b.verdict.value,
                "\n".join(_reason_line(r, names) for r in b.reasons) or "—",
            )
            for b in result.bidders
        ],
    )
    emit_table(
        "links",
        ["kind", "pct", "evidence", "detail"],
        [
            (
                link.kind.value,
                f"{link.pct:.2f}" if link.pct is not None else None,
                evidence_line(link.path, link.relations, names),
                link.detail,
            )
            for link in result.links
        ],
    )


def print_measures(result: MeasuresResult, names: dict[str, str]) -> None:
    subject = names.get(result.subject_id, "")
    out.print(
        f"[bold]{result.subject_id}[/bold] {subject} — {result.scenario.value} on "
        f"{result.as_of}: [bold]{result.verdict.value}[/bold]"
    )
    emit_table(
        "reasons",
        ["code", "entry", "evidence", "citation"],
        [
            (
                " ".join(x for x in (r.code, r.list.value if r.list else None) if x),
                " ".join(x for x in (r.entry_id, r.rule) if x),
                " · ".join(x for x in (evidence_line(r.path, r.relations, names), r.detail) if x),
                r.citation,
            )
            for r in result.reasons
        ],
    )
    emit_table(
        "measures",
        ["code", "description", "citation"],
        [(m.code, m.description, m.citation) for m in result.measures],
    )


@app.command("screen")
def screen_cmd(
    bidders: Annotated[list[str], typer.Argument(help="Bidder USCCs (2 to 50).")],
    scenario: Annotated[
        Scenario, typer.Option("--scenario", help="Scenario of the measures policy.")
    ] = Scenario.PUBLIC_BIDDING,
    depth: Annotated[
        int, typer.Option("--depth", help=f"Ownership/control chain depth (max {MAX_DEPTH}).")
    ] = DEFAULT_DEPTH,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Screen bidders: a verdict per bidder and the links between them (DESIGN §6)."""
    day = parse_as_of(as_of)
    with store_from(store) as db:
        result = screen_bidders(db, bidders, scenario, day, depth)
        if fmt is OutputFormat.JSON:
            emit_json(result)
            return
        ids = [b.uscc for b in result.bidders] + [n for x in result.links for n in x.path]
        ids += [n for b in result.bidders for r in b.reasons for n in r.path]
        print_screening(result, names_of(db, ids))


@app.command("measures")
def measures_cmd(
    subject: Annotated[str, typer.Argument(help="USCC or person id.")],
    scenario: Annotated[Scenario, typer.Option("--scenario", help="Scenario to check.")],
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Verdict, reasons and joint reward/punishment measures of one subject (DESIGN §4)."""
    day = parse_as_of(as_of)
    with store_from(store) as db:
        result = check_measures(db, subject, scenario, day)
        if fmt is OutputFormat.JSON:
            emit_json(result)
            return
        ids = [result.subject_id, *(n for r in result.reasons for n in r.path)]
        print_measures(result, names_of(db, ids))
