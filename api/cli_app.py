"""The typer application, shared options and output helpers of the CLI.

Command modules (``api/cmd_*.py``) register on :data:`app`; JSON goes to
stdout, messages and progress to stderr (DESIGN §5).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from credgraph.settings import Settings
from credgraph.store import NEO4J_SCHEMES, GraphStore, StoreError, open_store
from queries.errors import QueryError

app = typer.Typer(
    name="credgraph",
    help="Graph-based credit relationship explorer: who stands behind a dishonest firm.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="CREDGRAPH_STORE",
        help="Embedded store file (default ./credgraph.db) or a neo4j:// / bolt:// URI.",
        show_default=False,
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Evaluation day (ISO date); default today in Asia/Shanghai."),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", help="table for people, json for machines.")
]


@app.callback()
def _global_options(
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            envvar="CREDGRAPH_POLICY",
            help="Propagation and measures policy YAML (default: the shipped policy).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Options for every command; the policy is validated before any work."""
    from credgraph.policy import PolicyError, use_policy_file

    if policy is not None:
        try:
            use_policy_file(policy)
        except PolicyError as exc:
            raise fail(str(exc)) from None


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def store_from(location: str | None, *, create: bool = False) -> Iterator[GraphStore]:
    """Open the store for one command; a one-line error (exit 2) when it
    cannot be opened or a query refuses the request (``QueryError``). Only
    ``create`` commands (load, demo) may start a new embedded store:
    elsewhere a mistyped path must not look like an empty store that answers
    "no flags"."""
    where = location or Settings().store
    if not create and not where.startswith(NEO4J_SCHEMES) and not Path(where).is_file():
        raise fail(f"no store at {where}: load data first (credgraph load DIR --store {where})")
    try:
        store = open_store(where)
    except (StoreError, sqlite3.Error, OSError) as exc:
        raise fail(f"cannot open store {where}: {exc}") from None
    try:
        yield store
    except QueryError as exc:  # unknown/invalid ids, bad options: one line, exit 2
        raise fail(str(exc)) from None
    except (StoreError, sqlite3.OperationalError) as exc:
        raise fail(f"store {where}: {exc}") from None
    finally:
        store.close()


def parse_as_of(value: str | None, option: str = "--as-of") -> date:
    """An evaluation day (default today in Asia/Shanghai), 1900–2199 like the API."""
    from credgraph.policy import today

    if value is None:
        return today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    if not date(1900, 1, 1) <= day <= date(2199, 12, 31):
        raise fail(f"{option} {value} is outside 1900-01-01 … 2199-12-31")
    return day


def check_parent(path: Path, option: str) -> None:
    """Refuse an output path whose folder does not exist, before any work."""
    if not path.parent.is_dir():
        raise fail(f"{option} {path}: folder {path.parent} does not exist")


def to_jsonable(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_jsonable(r) for r in result]
    return result


def emit_json(result: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2) + "\n")


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    out.print(table)
