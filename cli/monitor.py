"""CLI: monitoring — ``watch``, ``changes``, ``webhook``, ``deliver`` (DESIGN §10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import (
    AsOfOpt,
    FormatOpt,
    OutputFormat,
    StoreOpt,
    emit_json,
    emit_table,
    err,
    fail,
    parse_as_of,
    store_from,
)
from credgraph.i18n import N_
from credgraph.ids import normalise_id
from credgraph.store.feed import MAX_WATCHLIST_IDS, ChangeEvent
from queries import watchlists
from queries.changes import ChangesPage, read_changes, since_seq
from queries.history import HistoryItem

app = typer.Typer()
CLI_OWNER = "cli"

OwnerOpt = Annotated[
    str,
    typer.Option("--owner", help="API key name that owns a new list (the CLI acts as 'cli')."),
]

watch_app = typer.Typer(help="Watchlists: named sets of subjects to follow.")
app.add_typer(watch_app, name="watch")
webhook_app = typer.Typer(help="Webhooks: signed POSTs of a watchlist's changes.")
app.add_typer(webhook_app, name="webhook")


def _print_report(report: watchlists.WatchReport, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        emit_json(report)
        return
    for s in report.skipped:
        err.print(f"[yellow]line {s.line}:[/yellow] {s.value} skipped: {s.reason}", highlight=False)
    err.print(
        f"{report.watchlist}: {report.added:,} added, {report.already:,} already there, "
        f"{len(report.skipped):,} skipped, {report.removed:,} removed; {report.size:,} ids"
    )


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="Watchlist name (made if missing).")],
    ids: Annotated[list[str], typer.Argument(help="USCCs or person ids.")],
    owner: OwnerOpt = CLI_OWNER,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Add subjects to a watchlist; unknown ids are reported and skipped."""
    with store_from(store, write=True) as db:
        report = watchlists.add_ids(db, name, enumerate(ids, start=1), owner, admin=True)
    _print_report(report, fmt)


@watch_app.command("import")
def watch_import(
    name: Annotated[str, typer.Argument(help="Watchlist name (made if missing).")],
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with a column id or uscc.")],
    owner: OwnerOpt = CLI_OWNER,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Add the ids of a CSV/XLSX file; unknown ids are reported per line and skipped."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(N_("cannot read {path}: {error}", path=file, error=exc.strerror)) from None
    with store_from(store, write=True) as db:
        rows = watchlists.read_ids(data, file.name)
        report = watchlists.add_ids(db, name, rows, owner, admin=True)
    _print_report(report, fmt)


@watch_app.command("list")
def watch_list(
    name: Annotated[str | None, typer.Argument(help="Show this list's ids.")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Every watchlist, or the ids of one."""
    with store_from(store) as db:
        if name is None:
            lists = watchlists.listing(db, None)
            if fmt is OutputFormat.JSON:
                emit_json(lists)
                return
            emit_table(
                "watchlists",
                ["name", "owner", "ids", "created"],
                [(w.name, w.owner, f"{w.size:,}", w.created_at.isoformat()) for w in lists],
            )
            return
        view = watchlists.view(db, name, None, limit=MAX_WATCHLIST_IDS)
    if fmt is OutputFormat.JSON:
        emit_json(view)
        return
    err.print(f"{view.name} (owner {view.owner}): {view.size:,} ids")
    for subject in view.ids:
        typer.echo(subject)


@watch_app.command("remove")
def watch_remove(
    name: Annotated[str, typer.Argument(help="Watchlist name.")],
    ids: Annotated[
        list[str] | None, typer.Argument(help="Ids to remove; none: the whole list.")
    ] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Remove ids from a watchlist, or the list itself (and its webhooks)."""
    with store_from(store, write=True) as db:
        report = watchlists.remove(db, name, ids or None, None)
    _print_report(report, fmt)


# -- the change feed -----------------------------------------------------------
def _summary(e: ChangeEvent) -> str:
    d: dict[str, Any] = e.detail or {}
    if e.kind.value.startswith("flag_"):
        return f"{d.get('rule')} {' → '.join(d.get('path', []))}"
    if e.kind.value == "verdict_changed":
        return f"{d.get('from')} → {d.get('to')}"
    if e.kind.value.startswith("relation_"):
        return f"{d.get('role')} of {d.get('source_id')}" + (
            f" until {d['end_on']}" if d.get("end_on") else ""
        )
    parts = [str(d.get("list", ""))]
    if d.get("removal_reason"):
        parts.append(f"removed {d.get('removed_on')} ({d['removal_reason']})")
    if isinstance(d.get("objection"), dict):
        parts.append(f"objection {d['objection'].get('status')}")
    if isinstance(d.get("changed"), dict):
        parts.append("changed " + ", ".join(d["changed"]))
    return "; ".join(p for p in parts if p)


@app.command("changes")
def changes_cmd(
    watchlist: Annotated[str | None, typer.Option("--watchlist", help="Only its subjects.")] = None,
    subject: Annotated[list[str] | None, typer.Option("--subject", help="Only this id.")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="After this seq, or recorded from this day (YYYY-MM-DD)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many events.")] = 1000,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """The change feed: what changed, when, and why (rule and path for flags)."""
    ids = [normalise_id(s) for s in subject] if subject else None
    with store_from(store) as db:
        if watchlist is not None:
            watchlists.visible(db, watchlist, None)
        after = since_seq(db, since)
        events: list[ChangeEvent] = []
        page = read_changes(
            db, after_seq=after, watchlist=watchlist, subject_ids=ids, limit=min(limit, 1000)
        )
        events += page.events
        while page.has_more and len(events) < limit:
            page = read_changes(
                db,
                after_seq=events[-1].seq,
                watchlist=watchlist,
                subject_ids=ids,
                limit=min(limit - len(events), 1000),
            )
            events += page.events
    result = ChangesPage(events=events, next_cursor=page.next_cursor, has_more=page.has_more)
    if fmt is OutputFormat.JSON:
        emit_json(result)
        return
    emit_table(
        "changes",
        ["seq", "recorded", "as_of", "kind", "subject", "entry", "flag", "detail"],
        [
            (
                e.seq,
                e.recorded_at.isoformat(timespec="seconds"),
                e.as_of,
                e.kind.value,
                e.subject_id,
                e.entry_id,
                e.flag,
                _summary(e),
            )
            for e in events
        ],
    )
    if result.has_more:
        err.print(f"more changes follow: --since {events[-1].seq}")


# -- webhooks ------------------------------------------------------------------
@webhook_app.command("add")
def webhook_add(
    name: Annotated[str, typer.Argument(help="Webhook name.")],
    url: Annotated[str, typer.Argument(help="http(s) URL that receives the POSTs.")],
    watchlist: Annotated[str, typer.Option("--watchlist", help="Whose changes to send.")],
    secret_file: Annotated[
        Path, typer.Option("--secret-file", help="File holding the signing secret (one line).")
    ],
    owner: OwnerOpt = CLI_OWNER,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Send a watchlist's changes from now on, signed with the secret."""
    from queries.webhooks import add_webhook

    with store_from(store, write=True) as db:
        hook = add_webhook(db, name, url, watchlist, secret_file, owner)
    if fmt is OutputFormat.JSON:
        emit_json(hook)
    else:
        err.print(
            f"webhook {hook.name} → {hook.url} for {hook.watchlist} "
            f"(secret {hook.secret_fingerprint}); events after seq {hook.cursor}"
        )


@webhook_app.command("list")
def webhook_list(store: StoreOpt = None, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Webhooks with their state (secrets shown only as a fingerprint)."""
    with store_from(store) as db:
        hooks = db.webhooks()
    if fmt is OutputFormat.JSON:
        emit_json(hooks)
        return
    emit_table(
        "webhooks",
        ["name", "url", "watchlist", "secret", "delivered to", "failures", "next attempt"],
        [
            (
                h.name,
                h.url,
                h.watchlist,
                h.secret_fingerprint,
                h.cursor,
                h.failures,
                h.next_attempt_at.isoformat(timespec="seconds") if h.next_attempt_at else "",
            )
            for h in hooks
        ],
    )


@webhook_app.command("remove")
def webhook_remove(
    name: Annotated[str, typer.Argument(help="Webhook name.")], store: StoreOpt = None
) -> None:
    """Stop sending to a webhook (its log goes too)."""
    from queries.webhooks import remove_webhook

    with store_from(store, write=True) as db:
        remove_webhook(db, name)
    err.print(f"webhook {name} removed")


@webhook_app.command("log")
def webhook_log(
    name: Annotated[str, typer.Argument(help="Webhook name.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Delivery attempts, newest first: status, error, events, duration."""
    from queries.webhooks import delivery_log

    with store_from(store) as db:
        attempts = delivery_log(db, name, limit)
    if fmt is OutputFormat.JSON:
        emit_json(attempts)
        return
    emit_table(
        f"deliveries of {name}",
        ["at", "delivery", "seqs", "events", "status", "ms", "error"],
        [
            (
                a.attempted_at.isoformat(timespec="seconds"),
                a.delivery_id,
                f"{a.first_seq}–{a.last_seq}",
                a.events,
                a.status if a.status is not None else "",
                a.duration_ms,
                a.error or "ok",
            )
            for a in attempts
        ],
    )


@app.command("deliver")
def deliver_cmd(
    retry_now: Annotated[
        bool, typer.Option("--retry-now", help="Ignore the backoff of failed webhooks.")
    ] = False,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Send what is due to every webhook once and exit (for cron); exit 1 when
    a delivery failed (it is retried later, nothing is lost)."""
    from queries.webhooks import deliver_due

    with store_from(store, write=True) as db:
        outcomes = deliver_due(db, retry_now=retry_now)
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps([o.__dict__ for o in outcomes], ensure_ascii=False, indent=2))
    else:
        for o in outcomes:
            state = o.skipped or (f"{o.failed} failed" if o.failed else "ok")
            err.print(f"{o.webhook}: {o.sent} batch(es), {o.events} event(s) sent; {state}")
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)


# -- history -------------------------------------------------------------------
def history_row(item: HistoryItem) -> tuple[str, ...]:
    """A timeline item as table cells: day, what, details, source."""
    what = item.kind.value
    parts: list[str] = []
    if item.list:
        parts.append(item.list)
    if item.entry_id:
        parts.append(item.entry_id)
    if item.role:
        arrow = "→" if item.direction == "out" else "←"
        parts.append(f"{item.role} {arrow} {item.other_name or ''} {item.other_id}")
    if item.flag:
        parts.append(f"{item.flag} ({item.rule}) {' → '.join(item.path or [])}")
    if item.reason:
        parts.append(item.reason)
    if item.upheld is not None:
        parts.append("upheld" if item.upheld else "rejected")
    if item.kind.value == "verdict_changed" and item.detail:
        parts.append(f"{item.detail.get('from')} → {item.detail.get('to')}")
    if item.kind.value == "entry_changed" and item.detail:
        parts.append("changed " + ", ".join(item.detail))
    source = item.source if item.seq is None else f"feed #{item.seq}"
    return (str(item.on or "?"), what, "; ".join(parts), source)


@app.command("history")
def history_cmd(
    subject: Annotated[str, typer.Argument(help="USCC or person id.")],
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """The dated timeline of an entity: listings, removals, objections, roles,
    flags gained and lost, verdict changes (oldest first)."""
    from queries.history import entity_history

    day = parse_as_of(as_of)
    with store_from(store) as db:
        result = entity_history(db, subject, day)
    if fmt is OutputFormat.JSON:
        emit_json(result)
        return
    emit_table(
        f"history of {result.name} {result.subject_id} until {result.until}",
        ["on", "what", "details", "source"],
        [history_row(i) for i in result.items],
    )
