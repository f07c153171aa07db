"""CLI: ``screen`` (bidder screening, DESIGN §6) and ``measures`` (DESIGN §4, §8)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.common import (
    AsOfOpt,
    FormatOpt,
    OutputFormat,
    StoreOpt,
    check_output,
    emit_json,
    emit_table,
    err,
    evidence_line,
    fail,
    names_of,
    out,
    parse_as_of,
    store_from,
)
from credgraph.i18n import N_, code_label, current_lang, gettext, parse_lang, set_lang, term
from credgraph.model import Scenario
from credgraph.outputs import atomic_write
from credgraph.policy import Policy, default_policy
from credgraph.store import GraphStore
from queries.errors import InvalidRequest
from queries.measures import MeasuresResult, Reason, check_measures
from queries.screening import (
    DEFAULT_DEPTH,
    MAX_DEPTH,
    BidderInput,
    FileScreening,
    LotResult,
    ScreeningResult,
    screen_bidders,
    screen_lots,
)

app = typer.Typer()


def _reason_line(reason: Reason, names: dict[str, str]) -> str:
    """One reason, codes named in the language in force: code, list, entry,
    rule, evidence path, detail, citation, then the explanation."""
    fields = (code_label(reason.code), term("list", reason.list), reason.entry_id)
    parts = [" ".join(f for f in fields if f)]
    if reason.rule:
        parts.append(code_label(reason.rule))
    if len(reason.path) > 1:
        parts.append(evidence_line(reason.path, reason.relations, names))
    parts += [p for p in (reason.detail, reason.citation) if p]
    explanation = getattr(reason, "explanation", None)
    return " · ".join(parts) + (f"\n  {explanation}" if explanation else "")


def print_screening(result: ScreeningResult, names: dict[str, str]) -> None:
    heading = escape(gettext("Screening"))
    out.print(
        f"[bold]{heading}[/bold] "
        + gettext("{scenario} on {day}: {bidders} bidders, {links} links").format(
            scenario=term("scenario", result.scenario),
            day=result.as_of,
            bidders=len(result.bidders),
            links=len(result.links),
        ),
        highlight=False,
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
        ["kind", "rule", "pct", "evidence", "explanation"],
        [
            (
                link.kind.value,
                link.rule.value if link.rule else None,
                f"{link.pct:.2f}" if link.pct is not None else None,
                evidence_line(link.path, link.relations, names),
                link.explanation or link.detail,
            )
            for link in result.links
        ],
    )


def print_measures(result: MeasuresResult, names: dict[str, str]) -> None:
    """The verdict, its reasons and the measures, in the language in force
    (a measure's name and sentence from the policy's ``explanations``)."""
    subject = names.get(result.subject_id, "")
    out.print(
        f"[bold]{result.subject_id}[/bold] {escape(subject)} — "
        + gettext("{scenario} on {day}").format(
            scenario=term("scenario", result.scenario), day=result.as_of
        )
        + gettext(": ")
        + f"[bold]{escape(term('verdict', result.verdict))}[/bold]",
        highlight=False,
    )
    emit_table(
        "reasons",
        ["code", "entry", "evidence", "citation"],
        [
            (
                " ".join(x for x in (code_label(r.code), term("list", r.list)) if x),
                " ".join(x for x in (r.entry_id, code_label(r.rule or "")) if x),
                " · ".join(x for x in (evidence_line(r.path, r.relations, names), r.detail) if x),
                r.citation,
            )
            for r in result.reasons
        ],
    )
    words = default_policy().explanations.measures
    lang = current_lang()
    emit_table(
        "measures",
        ["label", "description", "citation"],
        [
            (
                words[m.code].label.text(lang) if m.code in words else m.code,
                words[m.code].text.text(lang) if m.code in words else m.description,
                m.citation,
            )
            for m in result.measures
        ],
    )


LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of explanations and reports: zh or en (default: the global --lang).",
        show_default=False,
    ),
]
OUT_SUFFIXES = (".xlsx", ".csv", ".html")


def _read_file(path: Path) -> list[BidderInput]:
    from queries.screening_files import read_bidders

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(
            N_("--file {path}: cannot read ({error})", path=path, error=exc.strerror)
        ) from None
    try:
        return read_bidders(data, path.name)
    except InvalidRequest as exc:
        raise fail(N_("--file {path}: {error}", path=path, error=exc)) from None


def _write_out(
    result: FileScreening, out_path: Path, db: GraphStore, policy: Policy, lang: str
) -> list[Path]:
    """Write the screening; the paths written (CSV: bidders and links)."""
    from queries import screening_files as files

    suffix = out_path.suffix.lower()
    if suffix == ".xlsx":
        files.write_xlsx(result, out_path)
        return [out_path]
    if suffix == ".csv":
        links_path = out_path.with_name(f"{out_path.stem}-links.csv")
        for path, rows in (
            (out_path, files.bidder_rows(result)),
            (links_path, files.link_rows(result)),
        ):
            files.write_csv_file(rows, path)
        return [out_path, links_path]
    from viz.screening_report import render_screening_html

    html = render_screening_html(
        result, policy=policy, generation=db.generation(), generated_at=datetime.now(), lang=lang
    )
    with atomic_write(out_path) as fh:
        fh.write(html)
    return [out_path]


@app.command("screen")
def screen_cmd(
    bidders: Annotated[
        list[str] | None, typer.Argument(help="Bidder USCCs (2 to 50), or use --file.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV or XLSX of bidders: column uscc, optional name and lot (each lot "
            "screened on its own, up to 50 bidders per lot).",
        ),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the result: .xlsx (sheets bidders and links), .csv (and "
            "NAME-links.csv) or .html (printable report with the link map).",
        ),
    ] = None,
    scenario: Annotated[
        Scenario, typer.Option("--scenario", help="Scenario of the measures policy.")
    ] = Scenario.PUBLIC_BIDDING,
    depth: Annotated[
        int, typer.Option("--depth", help=f"Ownership/control chain depth (max {MAX_DEPTH}).")
    ] = DEFAULT_DEPTH,
    lang: LangOpt = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Screen bidders: a verdict per bidder and the links between them (DESIGN §6)."""
    if lang is not None:  # first: the errors below are in this language too
        chosen = parse_lang(lang)
        if chosen is None:
            raise fail(N_("--lang {value!r}: choose zh or en", value=lang))
        set_lang(chosen)
    lang = current_lang()
    if (file is None) == (not bidders):
        raise fail(N_("give bidder USCCs or --file FILE (not both)"))
    if out_path is not None:
        check_output(out_path, "--out", store=store, inputs=[file] if file else [])
        if out_path.suffix.lower() not in OUT_SUFFIXES:
            raise fail(N_("--out {path}: the name must end in .xlsx, .csv or .html", path=out_path))
    day = parse_as_of(as_of)
    rows = _read_file(file) if file is not None else None
    with store_from(store) as db:
        policy = default_policy()
        if rows is not None:
            result = screen_lots(db, rows, scenario, day, depth, lang=lang)
        else:
            single = screen_bidders(db, bidders or [], scenario, day, depth, lang=lang)
            result = FileScreening(
                scenario=single.scenario, as_of=single.as_of, lots=[LotResult(**dict(single))]
            )
        if out_path is not None:
            written = _write_out(result, out_path, db, policy, lang)
            err.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)
        if fmt is OutputFormat.JSON:
            emit_json(
                result
                if rows is not None
                else result.lots[0].model_dump(mode="json", exclude={"lot"}),
                db,
            )
            return
        for lot in result.lots:
            if lot.lot is not None:
                lot_word = gettext("Lot")
                out.print(f"[bold]{escape(lot_word)} {escape(lot.lot)}[/bold]")
            ids = [b.uscc for b in lot.bidders] + [n for x in lot.links for n in x.path]
            ids += [n for b in lot.bidders for r in b.reasons for n in r.path]
            print_screening(lot, names_of(db, ids))


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
            emit_json(result, db)
            return
        ids = [result.subject_id, *(n for r in result.reasons for n in r.path)]
        print_measures(result, names_of(db, ids))
