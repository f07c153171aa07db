"""Shared options and output helpers of the CLI command modules.

JSON goes to stdout, messages and progress to stderr (DESIGN §5).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
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

from credgraph.i18n import N_, Message, code_label, gettext, message_text
from credgraph.store import (
    NEO4J_SCHEMES,
    GraphStore,
    StoreBusy,
    StoreError,
    open_store,
    store_files,
)
from queries.errors import QueryError

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


def fail(message: object, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr, in the language in force (``--lang``),
    and return the exit to raise. ``message``: an :func:`~credgraph.i18n.N_`
    message or an exception carrying one (translated now), or any text."""
    label = gettext("error:")
    space = "" if label.endswith("：") else " "  # 错误：… / error: …
    text = escape(message_text(message))
    err.print(f"[red]{escape(label)}[/red]{space}{text}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def store_from(
    location: str | None, *, write: bool = False, create: bool = False, new: bool = False
) -> Iterator[GraphStore]:
    """Open the store for one command; a one-line error (exit 2) when it
    cannot be opened or a query refuses the request (``QueryError``).

    Commands that only read open it read-only: they never wait for a load
    (or anything else) writing it, and work on a read-only file. ``write``
    commands wait for another writer with a progress line on stderr, then
    give up (exit 2). Only ``create`` commands (load, demo) may start a new
    embedded store: elsewhere a mistyped path must not look like an empty
    store that answers "no flags". ``new`` (load): a store that does not
    exist yet is built by the load in a scratch file (``EmbeddedStore``)."""
    where = store_location(location)
    if not where.startswith(NEO4J_SCHEMES):
        check_embedded_store(Path(where), create=create)

    def waiting(seconds: float) -> None:
        err.print(
            N_(
                "waiting for another process writing {store} ({seconds:.0f} s) …",
                store=where,
                seconds=seconds,
            ).text(),
            highlight=False,
            soft_wrap=True,
        )

    try:
        store = open_store(where, read_only=not (write or create), on_wait=waiting, new=new)
    except StoreBusy as exc:
        raise fail(exc) from None
    except (StoreError, sqlite3.Error, OSError) as exc:
        raise fail(N_("cannot open store {store}: {error}", store=where, error=exc)) from None
    try:
        yield store
    except QueryError as exc:  # unknown/invalid ids, bad options: one line, exit 2
        raise fail(exc) from None
    except StoreBusy as exc:
        raise fail(exc) from None
    except (StoreError, sqlite3.OperationalError) as exc:
        raise fail(N_("store {store}: {error}", store=where, error=exc)) from None
    finally:
        store.close()


SQLITE_HEADER = b"SQLite format 3\x00"


def check_embedded_store(path: Path, *, create: bool) -> None:
    """A store path must be an SQLite file; only ``create`` commands (load,
    demo) may name one that does not exist yet. A 0-byte or foreign file is
    refused: opening it would turn it into an empty store."""
    if path.is_dir():
        raise fail(N_("store {store} is a folder, not a store file", store=path))
    if not path.exists():
        if create:
            return
        raise fail(
            N_(
                "no store at {store}: load data first (credgraph load DIR --store {store})",
                store=path,
            )
        )
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise fail(
            N_("cannot read store {store}: {error}", store=path, error=exc.strerror)
        ) from None
    if header != SQLITE_HEADER:
        what = N_("empty (0 bytes)") if not header else N_("not a credgraph store (not SQLite)")
        raise fail(N_("store {store} is {what}: refusing to use it", store=path, what=what))


def parse_as_of(value: str | None, option: str = "--as-of") -> date:
    """An evaluation day (default today in Asia/Shanghai), 1900–2199 like the API."""
    from credgraph.policy import today

    if value is None:
        return today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail(
            N_("{option} {value!r} is not an ISO date (YYYY-MM-DD)", option=option, value=value)
        ) from None
    if not date(1900, 1, 1) <= day <= date(2199, 12, 31):
        raise fail(
            N_("{option} {value} is outside 1900-01-01 … 2199-12-31", option=option, value=value)
        )
    return day


def store_location(location: str | None) -> str:
    """The store a command works on: ``--store`` or the settings' default."""
    if location:
        return location
    from credgraph.settings import Settings  # pydantic-settings: slow to import, rarely needed

    return Settings().store


def _protected(store: str | None, inputs: Sequence[Path]) -> list[tuple[Path, Message]]:
    """Files and folders no output may replace: the store with its audit
    log and their WAL and shared-memory files, and the inputs of the command."""
    guarded: list[tuple[Path, Message]] = []
    where = store_location(store)
    if not where.startswith(NEO4J_SCHEMES):
        base = Path(where).expanduser().resolve()
        guarded += [(Path(f), N_("the store {store}", store=where)) for f in store_files(base)]
    guarded += [(Path(i).expanduser().resolve(), N_("the input {path}", path=i)) for i in inputs]
    return guarded


def check_output(
    path: Path,
    option: str,
    *,
    store: str | None,
    inputs: Sequence[Path] = (),
    folder: bool = False,
) -> None:
    """Refuse, before any work, an output path that would destroy data: the
    store (or its ``-wal``/``-shm``), an input file or a file inside an input
    folder; a file path that is a folder; a folder that does not exist."""
    target = path.expanduser().resolve()
    for guarded, what in _protected(store, inputs):
        if target == guarded:
            raise fail(
                N_(
                    "{option} {path} is {what}: choose another output path",
                    option=option,
                    path=path,
                    what=what,
                )
            )
        if guarded.is_dir() and guarded in target.parents:
            raise fail(
                N_(
                    "{option} {path} is inside {what}: choose another output path",
                    option=option,
                    path=path,
                    what=what,
                )
            )
    if not folder and target.is_dir():
        raise fail(N_("{option} {path} is a folder, not a file", option=option, path=path))
    if not target.parent.is_dir():
        raise fail(
            N_(
                "{option} {path}: folder {folder} does not exist",
                option=option,
                path=path,
                folder=path.parent,
            )
        )


#: Column names of the CLI's tables, translated by :func:`emit_table` (DESIGN §12).
COLUMNS = (
    N_("subject"), N_("flag"), N_("list"), N_("entry"), N_("rule"), N_("path"),
    N_("relations"), N_("other"), N_("citation"), N_("explanation"), N_("hops"),
    N_("owner"), N_("name"), N_("type"), N_("pct"), N_("ubo"), N_("chains"), N_("firm"),
    N_("id"), N_("flags"), N_("more"), N_("source"), N_("role"), N_("target"), N_("title"),
    N_("share %"), N_("from"), N_("to"), N_("ended"), N_("field"), N_("value"), N_("status"),
    N_("decided"), N_("valid until"), N_("removed"), N_("reason"), N_("objections"),
    N_("roles"), N_("scenario"), N_("verdict"), N_("measures"), N_("bidder"), N_("reasons"),
    N_("kind"), N_("evidence"), N_("detail"), N_("code"), N_("description"), N_("level"),
    N_("population"), N_("ratio"), N_("drawn"), N_("matter"), N_("made"), N_("promised by"),
    N_("fulfilled"), N_("proposal"), N_("days overdue"), N_("due"), N_("task"), N_("event"),
    N_("late"), N_("label"),
    N_("identity"), N_("list entries"), N_("owners"), N_("holdings"), N_("edges"),
    N_("bidders"), N_("links"), N_("commitments"), N_("delta"),
)  # fmt: skip


def names_of(store: GraphStore, ids: Iterable[str]) -> dict[str, str]:
    """The names of the nodes among ``ids``, by id (for tables)."""
    return {node_id: node.name for node_id, node in store.nodes(set(ids)).items()}


def evidence_line(path: Sequence[str], relations: Sequence[str], names: dict[str, str]) -> str:
    """A path with the relation of each hop between its nodes, by name, the
    relations named in the language in force: ``A ─法定代表人─ 张三 ─高管─ B``."""
    parts = [names.get(path[0], path[0])] if path else []
    for node, rel in zip(path[1:], relations, strict=False):
        parts.append(f"─{code_label(rel)}─ {names.get(node, node)}")
    return " ".join(parts)


def codes(values: Iterable[object]) -> str:
    """Codes (relations, flags…) named in the language in force, comma-separated."""
    return ", ".join(code_label(v) for v in values)


def measure_label(code: str) -> str:
    """A measure's short name from the policy's words, in the language in force."""
    from credgraph.i18n import current_lang
    from credgraph.policy import default_policy

    words = default_policy().explanations.measures.get(code)
    return words.label.text(current_lang()) if words else code


def to_jsonable(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_jsonable(r) for r in result]
    return result


def explained(store: GraphStore, result: Any) -> Any:
    """The JSON data of ``result`` with labels and explanations in the
    language in force (``--lang``); codes stay as they are."""
    from queries.explain import explain

    return explain(store, to_jsonable(result))


def emit_json(result: Any, store: GraphStore | None = None) -> None:
    """``result`` as JSON on stdout; with ``store``, explained (DESIGN §12)."""
    data = explained(store, result) if store is not None else to_jsonable(result)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table in the language in force: column names and code cells
    (``reject``, ``dishonest_debtor``…) translated, everything else as is."""
    table = Table(title=gettext(title), show_lines=False)
    for col in columns:
        table.add_column(gettext(col), overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else escape(code_label(v)) for v in row))
    out.print(table)
