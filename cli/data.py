"""CLI: ``sample`` and ``load``."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
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
from credgraph.i18n import N_
from graph_loader import LoadReport, UnusableInput, write_rejects
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


class _StagedRejects:
    """The reject report, written inside the load's transaction to a
    temporary file beside its target and moved into place once the load
    has committed: a report that cannot be written stops the load (nothing
    loaded), and a committed load always has its report."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temp: Path | None = None
        self.report: LoadReport | None = None

    def __call__(self, report: LoadReport) -> None:
        self.report = report
        if not report.rejects:
            return
        try:
            fd, name = tempfile.mkstemp(
                prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
            )
            os.close(fd)
            self.temp = Path(name)
            write_rejects(report.rejects, self.temp)
        except OSError as exc:
            raise fail(
                N_(
                    "--rejects {path}: cannot write ({error}); nothing loaded",
                    path=self.target,
                    error=exc.strerror,
                )
            ) from None

    def settle(self) -> None:
        """Once the load has ended (committed or refused by --strict) the
        report takes its place, even when a later step fails; a load that
        did not end leaves no report."""
        if self.report is not None and self.report.ended and self.temp is not None:
            self.temp.replace(self.target)
            self.temp = None
        self.discard()

    def discard(self) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


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
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Encoding of the CSV files (default: detect UTF-8, UTF-16 with BOM, GB18030).",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Validate and load a data folder (exit 0 loaded, 1 strict refusal, 2 unusable)."""
    check_output(rejects, "--rejects", store=store, inputs=[path])
    staged = _StagedRejects(rejects)
    with store_from(store, create=True, new=True) as db, _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def tick(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        try:
            report = load_and_refresh(
                db, path, strict=strict, progress=tick, encoding=encoding, before_commit=staged
            )
        except UnusableInput as exc:
            staged.discard()
            raise fail(exc) from None
        except BaseException:
            staged.settle()
            raise
        staged.settle()
    if report.rejects:
        err.print(f"[yellow]{len(report.rejects)} rejected value(s)[/yellow] → {rejects}")
    for name, n in report.read.items():
        err.print(f"{name:<14} read {n:>9,}  loaded {report.loaded.get(name, 0):>9,}")
    if report.refused:
        text = N_("--strict: nothing loaded because some rows are bad").text()
        err.print(f"[red]{escape(text)}[/red]")
        raise typer.Exit(1)
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
