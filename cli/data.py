"""CLI: ``sample`` and ``load``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cli.common import (
    FormatOpt,
    OutputFormat,
    StoreOpt,
    check_output,
    emit_json,
    err,
    fail,
    store_from,
)
from graph_loader import UnusableInput, write_rejects
from queries.workflows import load_and_refresh

app = typer.Typer()

log = logging.getLogger(__name__)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed:>10,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSVs into.")],
    enterprises: Annotated[int, typer.Option("--enterprises", min=1)] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
) -> None:
    """Write a realistic synthetic data folder (zh_CN names, valid ids)."""
    from graph_loader.sample import generate_sample

    with _progress() as bar:
        task = bar.add_task("sample", total=enterprises)

        def tick(done: int) -> None:
            bar.update(task, completed=min(done, enterprises))

        summary = generate_sample(out, enterprises=enterprises, seed=seed, progress=tick)
    err.print(f"wrote {out}: {summary}")


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="Data folder, XLSX workbook or one CSV file.")],
    store: StoreOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Load nothing if any row is bad.")
    ] = False,
    rejects: Annotated[Path, typer.Option("--rejects", help="Reject report CSV.")] = Path(
        "rejects.csv"
    ),
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Validate and load a data folder (exit 0 loaded, 1 strict refusal, 2 unusable)."""
    check_output(rejects, "--rejects", store=store, inputs=[path])
    with store_from(store, create=True) as db, _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def tick(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        try:
            report = load_and_refresh(db, path, strict=strict, progress=tick)
        except UnusableInput as exc:
            raise fail(str(exc)) from None
    if report.rejects:
        write_rejects(report.rejects, rejects)
        err.print(f"[yellow]{len(report.rejects)} rejected value(s)[/yellow] → {rejects}")
    for name, n in report.read.items():
        err.print(f"{name:<14} read {n:>9,}  loaded {report.loaded.get(name, 0):>9,}")
    if report.refused:
        err.print("[red]--strict: nothing loaded because some rows are bad[/red]")
        raise typer.Exit(1)
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
