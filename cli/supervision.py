"""CLI: credit supervision — ``level``, ``inspection-plan``, ``commitment …``,
``exchange …`` (RULES.md §6–§7, DESIGN §9)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
from credgraph.i18n import N_, code_label, current_lang, gettext, term
from credgraph.ids import normalise_id
from credgraph.policy import default_policy, today
from graph_loader.sources import UnusableInput
from queries.errors import QueryError
from queries.measures import Reason
from queries.supervision import (
    CommitmentProposal,
    CreditLevel,
    Deadline,
    InspectionPlan,
    ListDelta,
    credit_level,
    deadlines,
    fulfil,
    inspection_plan,
    inspectors_from_file,
    overdue_commitments,
    parse_ratios,
    read_task_log,
    record_commitment,
    resolve_population,
    write_conflicts_csv,
    write_plan_csv,
)
from queries.supervision.commitments import OverdueCommitments, parse_commitment_id
from queries.workflows import compare_upstream_file, confirm_proposal

app = typer.Typer()


def _day(value: str | None, option: str) -> date:
    if value is None:
        return today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            N_("{option} {value!r} is not an ISO date (YYYY-MM-DD)", option=option, value=value)
        ) from None


def _reason_row(r: Reason, names: dict[str, str]) -> tuple[str, str, str, str | None]:
    evidence = evidence_line(r.path, r.relations, names) if len(r.path) > 1 else ""
    return (
        " ".join(x for x in (code_label(r.code), term("list", r.list)) if x),
        " ".join(x for x in (r.entry_id, r.rule) if x),
        " · ".join(x for x in (evidence, r.detail) if x),
        r.citation,
    )


# -- level -----------------------------------------------------------------------
def print_level(result: CreditLevel, names: dict[str, str]) -> None:
    words = default_policy().explanations.levels.get(result.level)
    ratio = f"{result.sampling_ratio * 100:g}%"
    level = words.label.text(current_lang()).format(ratio=ratio) if words else result.level
    text = words.text.text(current_lang()).format(ratio=ratio) if words else result.description
    heading = gettext("credit level on {day}").format(day=result.as_of)
    out.print(
        f"[bold]{result.subject_id}[/bold] {escape(names.get(result.subject_id, ''))} — "
        f"{escape(heading)}{escape(gettext(': '))}[bold]{escape(level)}[/bold] · "
        f"{escape(text)} · {result.citation}",
        highlight=False,
    )
    emit_table(
        "reasons",
        ["code", "entry", "evidence", "citation"],
        [_reason_row(r, names) for r in result.reasons],
    )


@app.command("level")
def level_cmd(
    subject: Annotated[str, typer.Argument(help="USCC or person id.")],
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Credit level A/B/C/D of one subject, with its reasons (002:L20, 002:L21)."""
    day = parse_as_of(as_of)
    with store_from(store) as db:
        result = credit_level(db, subject, day)
        if fmt is OutputFormat.JSON:
            emit_json(result, db)
            return
        ids = [result.subject_id, *(n for r in result.reasons for n in r.path)]
        print_level(result, names_of(db, ids))


# -- inspection plan -------------------------------------------------------------
def print_plan_summary(plan: InspectionPlan) -> None:
    title = gettext("inspection plan on {day} (seed {seed}, {rounding}(ratio × population))")
    emit_table(
        title.format(day=plan.as_of, seed=plan.seed, rounding=plan.rounding),
        ["level", "population", "ratio", "drawn"],
        [(s.level, s.population, f"{s.ratio:g}", s.drawn) for s in plan.summary]
        + [
            (
                gettext("total"),
                sum(s.population for s in plan.summary),
                "",
                sum(s.drawn for s in plan.summary),
            )
        ],
    )


@app.command("inspection-plan")
def inspection_plan_cmd(
    population: Annotated[
        str,
        typer.Option(
            "--population",
            help="File (one USCC per line, or CSV with a uscc column) or filter: all, "
            "region=东莞市, industry=…, kind=…, status=… (comma = and).",
        ),
    ],
    inspectors: Annotated[
        Path, typer.Option("--inspectors", help="CSV with name and optional person_id columns.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same plan.")],
    out_file: Annotated[Path, typer.Option("--out", help="Plan CSV to write.")],
    ratios: Annotated[
        str | None,
        typer.Option(
            "--ratios", help="Sampling ratio per level, e.g. A=0.02,B=0.05,C=0.10,D=0.20."
        ),
    ] = None,
    per_firm: Annotated[
        int | None, typer.Option("--per-firm", help="Inspectors per firm (policy default 2).")
    ] = None,
    conflicts_file: Annotated[
        Path | None,
        typer.Option("--conflicts", help="Avoided-conflicts CSV (default OUT.conflicts.csv)."),
    ] = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Graded "double random, one public" inspection plan (002:L21)."""
    day = parse_as_of(as_of)
    conflicts_path = conflicts_file or out_file.with_suffix(".conflicts.csv")
    inputs = [inspectors] + ([Path(population)] if Path(population).exists() else [])
    check_output(out_file, "--out", store=store, inputs=inputs)
    check_output(conflicts_path, "--conflicts", store=store, inputs=[*inputs, out_file])
    with store_from(store) as db:
        chosen = parse_ratios(ratios or "")
        firms = resolve_population(db, population)
        staff = inspectors_from_file(inspectors)
        if not staff:
            raise fail(N_("{path}: no inspectors", path=inspectors))
        plan = inspection_plan(db, firms, staff, chosen, seed, day, per_firm)
    write_plan_csv(plan, out_file)
    write_conflicts_csv(plan, conflicts_path)
    short = sum(1 for i in plan.inspections if i.shortfall)
    wrote = gettext(
        "wrote {n} inspections to {out}, {conflicts} avoided conflicts to {conflicts_file}; "
        "{skipped} ids skipped"
    ).format(
        n=len(plan.inspections),
        out=out_file,
        conflicts=len(plan.conflicts),
        conflicts_file=conflicts_path,
        skipped=len(plan.skipped),
    )
    if short:
        wrote += gettext("; {n} firms short of inspectors").format(n=short)
    err.print(wrote, highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(plan)
    else:
        print_plan_summary(plan)


# -- commitments -----------------------------------------------------------------
commitment_app = typer.Typer(help="Credit commitments and their fulfilment (002:L15).")
app.add_typer(commitment_app, name="commitment")


@commitment_app.command("add")
def commitment_add(
    subject: Annotated[str, typer.Argument(help="USCC or person id that commits.")],
    matter: Annotated[str, typer.Option("--matter", help="What is promised.")],
    promised_by: Annotated[str, typer.Option("--promised-by", help="Deadline (ISO date).")],
    on: Annotated[str | None, typer.Option("--on", help="Day made (default today).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Record a credit commitment; prints its id."""
    by, made = _day(promised_by, "--promised-by"), _day(on, "--on")
    with store_from(store, write=True) as db:
        c = record_commitment(db, subject, matter, by, made)
    if fmt is OutputFormat.JSON:
        emit_json(c)
        return
    err.print(
        gettext("commitment {id} of {subject}: {matter} by {day}").format(
            id=c.commitment_id, subject=c.subject_id, matter=c.matter, day=c.promised_by
        ),
        highlight=False,
    )
    typer.echo(c.commitment_id)


@commitment_app.command("fulfil")
def commitment_fulfil(
    commitment_id: Annotated[str, typer.Argument(help="Commitment id (12 or CMT-12).")],
    on: Annotated[str | None, typer.Option("--on", help="Fulfilment day (default today).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Record that a commitment was fulfilled."""
    day = _day(on, "--on")
    with store_from(store, write=True) as db:
        c = fulfil(db, parse_commitment_id(commitment_id), day)
    if fmt is OutputFormat.JSON:
        emit_json(c)
    else:
        err.print(
            gettext("commitment {id} fulfilled on {day}").format(
                id=c.commitment_id, day=c.fulfilled_on
            ),
            highlight=False,
        )


@commitment_app.command("list")
def commitment_list(
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """List recorded commitments."""
    with store_from(store) as db:
        rows = db.commitments([normalise_id(subject)] if subject else None)
    if fmt is OutputFormat.JSON:
        emit_json(rows)
        return
    emit_table(
        "commitments",
        ["id", "subject", "matter", "made", "promised by", "fulfilled"],
        [
            (c.commitment_id, c.subject_id, c.matter, c.made_on, c.promised_by, c.fulfilled_on)
            for c in rows
        ],
    )


def print_proposals(proposals: Sequence[CommitmentProposal], day: date) -> None:
    title = gettext("proposed {n} key-attention entries on {day} (confirm with --confirm ID)")
    emit_table(
        title.format(n=len(proposals), day=day),
        ["proposal", "subject", "matter", "promised by", "days overdue", "list", "citation"],
        [
            (
                p.proposal_id,
                p.commitment.subject_id,
                p.commitment.matter,
                p.commitment.promised_by,
                p.days_overdue,
                p.entry.list.value,
                p.citation,
            )
            for p in proposals
        ],
    )


@commitment_app.command("overdue")
def commitment_overdue(
    confirm: Annotated[
        list[str] | None,
        typer.Option("--confirm", help="Write this proposal as a list entry (repeatable)."),
    ] = None,
    authority: Annotated[
        str | None, typer.Option("--authority", help="Authority recorded on confirmed entries.")
    ] = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Overdue commitments and the key-attention entries they propose; nothing
    is listed unless confirmed with --confirm."""
    day = parse_as_of(as_of)
    wanted = [x.strip() for item in confirm or [] for x in item.split(",") if x.strip()]
    with store_from(store, write=bool(wanted)) as db:
        confirmed = [confirm_proposal(db, x, day, authority) for x in wanted]
        proposals = overdue_commitments(db, day)
    for entry in confirmed:
        err.print(
            gettext("confirmed: {entry} {list} for {subject}").format(
                entry=entry.entry_id, list=term("list", entry.list), subject=entry.subject_id
            ),
            highlight=False,
        )
    if fmt is OutputFormat.JSON:
        emit_json(OverdueCommitments(as_of=day, confirmed=confirmed, proposals=proposals))
    else:
        print_proposals(proposals, day)


# -- list exchange ---------------------------------------------------------------
exchange_app = typer.Typer(help="List exchange: upstream comparison and deadlines (DESIGN §9).")
app.add_typer(exchange_app, name="exchange")


#: whose id an upstream entry names
SUBJECT_ROLES = {"subject": N_("listed subject"), "responsible_person": N_("responsible person")}


def print_delta(delta: ListDelta) -> None:
    summary = gettext(
        "{upstream} upstream entries — {new} new, {changed} changed, {unchanged} unchanged, "
        "{removed} removed, {unmatched} unmatched ids, {rejected} rejected rows"
    ).format(
        upstream=delta.upstream_entries,
        new=len(delta.new),
        changed=len(delta.changed),
        unchanged=delta.unchanged,
        removed=len(delta.removed),
        unmatched=len(delta.unmatched),
        rejected=delta.rejected_rows,
    )
    out.print(f"[bold]{escape(delta.source)}[/bold]{gettext(': ')}{summary} ({delta.citation})")
    line, changed = gettext("line {n}"), gettext("{field}: {store} → {upstream}")
    rows: list[tuple[str, str, str, str]] = []
    rows += [(gettext("new"), d.entry_id, d.subject_id, line.format(n=d.line)) for d in delta.new]
    rows += [
        (
            gettext("changed"),
            d.entry_id,
            d.subject_id,
            "; ".join(
                changed.format(field=c.field, store=repr(c.store), upstream=repr(c.upstream))
                for c in d.changes
            ),
        )
        for d in delta.changed
    ]
    rows += [
        (gettext("removed"), d.entry_id, d.subject_id, gettext("not upstream"))
        for d in delta.removed
    ]
    missing = gettext("{role} not in the store")
    rows += [
        (
            gettext("unmatched"),
            ", ".join(u.entry_ids),
            u.subject_id,
            missing.format(role=gettext(SUBJECT_ROLES.get(u.role, u.role))),
        )
        for u in delta.unmatched
    ]
    emit_table("delta", ["status", "entry", "subject", "detail"], rows)


@exchange_app.command("compare")
def exchange_compare(
    file: Annotated[
        Path, typer.Argument(help="Upstream list (list_entries columns): CSV, folder or XLSX.")
    ],
    report: Annotated[
        Path | None, typer.Option("--report", help="Feedback report CSV to write.")
    ] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Compare an upstream list with the store and write the feedback (004:L60)."""
    if report is not None:
        check_output(report, "--report", store=store, inputs=[file])
    with store_from(store) as db:
        try:
            compared = compare_upstream_file(db, file)
        except UnusableInput as exc:
            raise fail(exc) from None
    if report is not None:
        n = compared.write_feedback(report)
        err.print(f"wrote {n} feedback rows to {report}")
    if fmt is OutputFormat.JSON:
        emit_json(compared.delta)
    else:
        print_delta(compared.delta)


#: the duties of the list exchange (``supervision.deadlines`` in the policy)
TASKS = {
    "push": N_("monthly push"),
    "national": N_("national reporting"),
    "publicity": N_("publicity"),
    "feedback": N_("measure feedback"),
}
#: the event a duty's deadline counts from
EVENTS = {"decided_on": N_("decided on"), "measure_applied": N_("measure applied on")}
#: a duty's status on the day asked
DUTY_STATUS = {
    "open": N_("open"),
    "overdue": N_("overdue"),
    "done": N_("done"),
    "late": N_("done late"),
}


def _rule_words(d: Deadline) -> str:
    """The duty's time limit in the language in force (JSON keeps ``d.rule``)."""
    rule = default_policy().supervision.deadlines.get(d.task)
    if rule is None:
        return d.rule
    if rule.day_of_next_month is not None:
        return gettext("day {n} of the next month").format(n=rule.day_of_next_month)
    words = gettext("{n} working days").format(n=rule.working_days or 0)
    return words + (gettext(" (weekends only)") if d.calendar == "weekends_only" else "")


def print_deadlines(rows: Sequence[Deadline], title: str) -> None:
    emit_table(
        title,
        ["due", "status", "task", "entry", "list", "event", "rule", "late", "citation"],
        [
            (
                d.due,
                gettext(DUTY_STATUS.get(d.status, d.status)),
                gettext(TASKS.get(d.task, d.task)),
                d.entry_id,
                term("list", d.list),
                f"{gettext(EVENTS.get(d.event, d.event))} {d.event_on}",
                _rule_words(d),
                d.days_late or "",
                d.citation,
            )
            for d in rows
        ],
    )


@exchange_app.command("deadlines")
def exchange_deadlines(
    log_file: Annotated[
        Path | None,
        typer.Option("--log", help="Task log CSV: entry_id,task,event_on,done_on."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only entries decided on or after this day.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every duty with its status, not only overdue ones.")
    ] = False,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Due dates of pushes, national reporting, publicity and feedback; lists
    what is overdue (003:L30, 003:L36, 004:L60)."""
    day = parse_as_of(as_of)
    first = _day(since, "--since") if since else None
    try:
        log_rows = read_task_log(log_file) if log_file else []
    except QueryError as exc:
        raise fail(exc) from None
    with store_from(store) as db:
        rows = deadlines(db, day, log_rows, first)
    if not show_all:
        rows = [d for d in rows if d.status == "overdue"]
    if fmt is OutputFormat.JSON:
        emit_json(rows)
    else:
        title = gettext("duties on {day}") if show_all else gettext("overdue duties on {day}")
        print_deadlines(rows, title.format(day=day))
