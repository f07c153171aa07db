"""CLI: ``export neo4j-import`` / ``export graphml`` / ``export ftm`` (DESIGN §5).

``graph_loader.export`` (and followthemoney with it) is imported inside the
commands so that every other command starts without loading the FtM model.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsOfOpt, StoreOpt, check_output, err, fail, parse_as_of, store_from
from credgraph.i18n import N_
from queries.propagation import active_entries, all_flags

app = typer.Typer()

export_app = typer.Typer(
    help="Interchange: neo4j-admin import CSVs, GraphML (Gephi), FollowTheMoney.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

FileArg = Annotated[
    Path, typer.Argument(help="Output file (replaced; written 0600).", dir_okay=False)
]


@export_app.command("neo4j-import")
def neo4j_import_cmd(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder for the CSVs and import.sh (created).", file_okay=False)
    ],
    store: StoreOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the files of an earlier export in a non-empty DIR."),
    ] = False,
) -> None:
    """CSVs for `neo4j-admin database import full`, plus import.sh (whole store).

    The files carry full person ids and are written 0600.
    """
    from credgraph.store.neo4j.admin_import import export_neo4j_import

    check_output(out_dir, "DIR", store=store, folder=True)
    check_export_folder(out_dir, force=force)
    started = time.perf_counter()
    with store_from(store) as db, err.status("writing neo4j-admin import files…"):
        counts = export_neo4j_import(db, out_dir)
    err.print(
        f"{counts['enterprises.csv']:,} enterprises, {counts['persons.csv']:,} persons, "
        f"{counts['list_entries.csv']:,} list entries: {sum(counts.values()):,} rows in "
        f"{len(counts)} files in {out_dir} ({time.perf_counter() - started:.1f} s). "
        "With Neo4j stopped, run:"
    )
    err.print(f"  {shlex.quote(str(out_dir / 'import.sh'))} neo4j", highlight=False)


def check_export_folder(out_dir: Path, *, force: bool) -> None:
    """Refuse, before any work, a non-empty DIR without ``--force``, and
    always a folder holding data to load (its ``enterprises.csv`` would be
    replaced by the export's): only an earlier export may be overwritten."""
    from graph_loader.sources import TABLES

    if not out_dir.exists():
        return
    present = {p.name for p in out_dir.iterdir()}
    if not present:
        return
    data = sorted(
        n for n in present if n.endswith((".xlsx", ".xlsm")) or n in {f"{t}.csv" for t in TABLES}
    )
    if data and "import.sh" not in present:
        raise fail(
            N_(
                "DIR {folder} holds data to load ({files}): export into a folder of its own",
                folder=out_dir,
                files=", ".join(data[:3]),
            )
        )
    if not force:
        raise fail(
            N_(
                "DIR {folder} is not empty ({count} files): choose an empty folder, "
                "or --force to replace an earlier export",
                folder=out_dir,
                count=len(present),
            )
        )


@export_app.command("graphml")
def graphml_cmd(file: FileArg, store: StoreOpt = None, as_of: AsOfOpt = None) -> None:
    """GraphML of the enterprise/person graph (Gephi, networkx).

    With --as-of only the relations active that day; node flags are those of
    as_of (default today).
    """
    from graph_loader.export.graphml import export_graphml

    check_output(file, "FILE", store=store)
    day = parse_as_of(as_of) if as_of else None
    flags_day = day or parse_as_of(None)
    with store_from(store) as db, err.status("writing GraphML…"):
        counts = export_graphml(db, file, day, all_flags(db, flags_day), flags_day)
    err.print(f"{counts['nodes']:,} nodes and {counts['edges']:,} edges written to {file}")


@export_app.command("ftm")
def ftm_cmd(file: FileArg, store: StoreOpt = None, as_of: AsOfOpt = None) -> None:
    """FollowTheMoney entities, one JSON object a line.

    With --as-of only the relations active and the entries in force that day;
    otherwise the whole history.
    """
    from graph_loader.export.ftm import export_ftm

    check_output(file, "FILE", store=store)
    day = parse_as_of(as_of) if as_of else None
    with store_from(store) as db, err.status("writing FollowTheMoney entities…"):
        entries = active_entries(db, db.entries(), day) if day else None
        counts = export_ftm(db, file, day, entries)
    summary = ", ".join(f"{schema} {n:,}" for schema, n in sorted(counts.items()))
    err.print(f"{sum(counts.values()):,} entities written to {file}: {summary or 'none'}")
