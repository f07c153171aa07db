"""CLI: ``propagate``, ``flags`` and ``objection`` (DESIGN §3, §5)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from cli.common import (
    AsOfOpt,
    FormatOpt,
    OutputFormat,
    StoreOpt,
    emit_json,
    emit_table,
    err,
    explained,
    fail,
    parse_as_of,
    store_from,
)
from credgraph.i18n import N_, gettext
from credgraph.ids import normalise_id
from credgraph.model import Flag
from credgraph.policy import today
from credgraph.store import GraphStore
from queries.propagation import all_flags, flags_for_subjects

app = typer.Typer()


@app.command("propagate")
def propagate_cmd(store: StoreOpt = None, as_of: AsOfOpt = None) -> None:
    """Materialise flags for as_of (queries give the same answer without it)."""
    from queries.materialise import propagate  # the change feed's imports: not for reads

    day = parse_as_of(as_of)
    with store_from(store, write=True) as db:
        flags = propagate(db, day)
    by_rule = Counter(f.rule.value for f in flags)
    err.print(
        f"{len(flags):,} flags on {day}: "
        + ", ".join(f"{rule} {by_rule.get(rule, 0):,}" for rule in ("L0", "P1", "P2", "P3"))
    )


#: flags explained with a sentence each (beyond, a whole-store listing stays terse)
EXPLAIN_AT_MOST = 5000


def print_flags(
    flags: list[Flag], fmt: OutputFormat, title: str, store: GraphStore | None = None
) -> None:
    """Flags as JSON or a table; with ``store`` (and not too many), each with
    its label and explanation in the language in force."""
    data = [f.model_dump(mode="json") for f in flags]
    if store is not None and len(flags) <= EXPLAIN_AT_MOST:
        data = explained(store, data)
    if fmt is OutputFormat.JSON:
        emit_json(data)
        return
    emit_table(
        title,
        ["subject", "flag", "list", "entry", "rule", "path", "relations", "other", "citation"]
        + (["explanation"] if data and "explanation" in data[0] else []),
        [
            (
                f["subject_id"],
                f["flag"],
                f["list"],
                f["entry_id"],
                f["rule"],
                " → ".join(f["path"]),
                ", ".join(f["relations"]),
                f["other_paths"],
                f["citation"],
                *([f["explanation"]] if "explanation" in f else []),
            )
            for f in data
        ],
    )


@app.command("flags")
def flags_cmd(
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only this USCC or person id.")
    ] = None,
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """List flags with their evidence paths (DESIGN §3)."""
    day = parse_as_of(as_of)
    with store_from(store) as db:
        if subject is None:
            flags = all_flags(db, day)
        else:
            sid = normalise_id(subject)
            if not db.existing_ids([sid]):
                raise fail(N_("unknown subject {subject}", subject=sid), 2)
            flags = flags_for_subjects(db, [sid], day)
        print_flags(flags, fmt, gettext("flags on {day}").format(day=day), db)


objection_app = typer.Typer(help="File and resolve objections to list entries (003:L32).")
app.add_typer(objection_app, name="objection")


@objection_app.command("file")
def objection_file(
    entry_id: Annotated[str, typer.Argument(help="The contested list entry.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is contested.")],
    on: Annotated[str | None, typer.Option("--on", help="Filing day (default today).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Suspend an entry's effects while it is verified."""
    day = parse_as_of(on, "--on") if on else today()
    with store_from(store, write=True) as db:
        from queries import objections as objection_ops

        objection = objection_ops.file_objection(db, entry_id, reason, day)
    if fmt is OutputFormat.JSON:
        emit_json(objection)
    else:
        err.print(f"objection {objection.objection_id} filed on {day} against {entry_id}")
        typer.echo(objection.objection_id)


@objection_app.command("resolve")
def objection_resolve(
    objection_id: Annotated[int, typer.Argument(help="Objection number.")],
    upheld: Annotated[
        bool,
        typer.Option(
            "--upheld/--rejected",
            help="--upheld: the objector is right (entry revoked); --rejected: entry stands.",
        ),
    ],
    on: Annotated[str | None, typer.Option("--on", help="Resolution day (default today).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Resolve an objection."""
    day = parse_as_of(on, "--on") if on else today()
    with store_from(store, write=True) as db:
        from queries import objections as objection_ops

        objection = objection_ops.resolve_objection(db, objection_id, upheld, day)
    if fmt is OutputFormat.JSON:
        emit_json(objection)
    else:
        outcome = "upheld: entry revoked" if upheld else "rejected: entry stands"
        err.print(f"objection {objection_id} {outcome} on {day}")
