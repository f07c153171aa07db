"""Validated, idempotent loading of a data folder into a store (DESIGN §2).

Tables stream through in chunks inside ONE store transaction: memory stays
bounded, a crash anywhere leaves the store as it was, and ``strict`` rolls
everything back when any row is bad. Bad rows never stop a load: each
problem goes to the reject report and the good rows load.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from credgraph.ids import normalise_id
from credgraph.model import PLAIN, Batch, NodeKind, from_plain, to_plain
from credgraph.outputs import write_spreadsheet_csv
from credgraph.store import GraphStore
from credgraph.store.base import BulkWriter, PlainWriter
from credgraph.text import remember_name_keys
from graph_loader import bycolumn, fast
from graph_loader.fast import Plain
from graph_loader.identity import Identities
from graph_loader.pipeline import produced_elsewhere

if TYPE_CHECKING:
    from credgraph.store.sqlite.searchbuild import SearchBuild
from graph_loader.rows import (
    Problem,
    parse_enterprise,
    parse_entry,
    parse_person,
    parse_relation,
)
from graph_loader.sources import Chunk, Source, close_sources, open_sources

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

REJECT_COLUMNS = ("file", "line", "column", "value", "reason")
#: above this many relations a load re-propagates in full instead of
#: tracking the touched ids for incremental propagation
TRACK_LIMIT = 200_000


@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    column: str
    value: str
    reason: str


@dataclass
class LoadReport:
    """What a load did: rows read and loaded per table, rejects, and what it
    touched (for incremental propagation)."""

    read: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    refused: bool = False
    #: the load's transaction has ended: committed, or rolled back by strict
    ended: bool = False
    generation_before: int = 0
    #: ids at either end of a loaded relation; None when too many to track
    touched_ids: set[str] | None = field(default_factory=set)
    entry_ids: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "rejects": len(self.rejects),
            "refused": self.refused,
        }


def write_rejects(rejects: list[Reject], path: Path) -> None:
    """The reject report: ``file,line,column,value,reason`` (UTF-8), written
    atomically and formula-safe: people open it in a spreadsheet, and a
    rejected value is whatever the input held (``=HYPERLINK(…)`` included)."""
    rows = ((r.file, r.line, r.column, r.value, r.reason) for r in rejects)
    write_spreadsheet_csv(path, REJECT_COLUMNS, rows, bom=False)


#: the fields that make up a record's identity (DESIGN §2): their positions
#: in the plain row (normalised ids, enum values, ISO dates)
IDENTITY = {
    "enterprises": (0,),
    "persons": (0,),
    "relations": (0, 2, 3, 4, 6),  # source_id, target_uscc, role, title, start_on
    "list_entries": (0,),
}


class _Table:
    """Per-table state: identities seen in this load (first row wins; exact
    repeats are ignored, a repeat with other values is a reject)."""

    def __init__(self, source: Source, report: LoadReport) -> None:
        self.source = source
        self.report = report
        self.identities = Identities(IDENTITY[source.name])
        self.loaded = 0
        self.duplicates = 0
        self.read = 0

    def reject(self, line: int, problems: list[Problem]) -> None:
        self.report.rejects.extend(
            Reject(self.source.file, line, col, value, reason) for col, value, reason in problems
        )

    def keep(self, rows: list[Plain | None], chunk: Chunk, complete: bool = False) -> list[Plain]:
        """The rows of a chunk not seen before in this load (in line order);
        ``complete``: no row is None."""
        if complete:
            valid: list[int] | range = range(len(rows))
            plain: list[Plain] = rows  # type: ignore[assignment]
            lines = chunk.lines
        else:
            valid = [i for i, row in enumerate(rows) if row is not None]
            plain = [rows[i] for i in valid]  # type: ignore[misc]
            lines = [chunk.lines[i] for i in valid]
        result = self.identities.sort_out(plain, lines)
        if result is None:  # the usual case: all new
            self.loaded += len(plain)
            return plain
        column = next(iter(chunk.columns))
        for i, first in result.conflicts:
            reason = f"same identity as line {first} with different values"
            self.reject(lines[i], [(column, chunk.columns[column][valid[i]], reason)])
        self.duplicates += result.duplicates
        self.loaded += len(result.kept)
        return [plain[i] for i in result.kept]


def load_folder(
    store: GraphStore,
    path: Path,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    encoding: str | None = None,
    before_commit: Callable[[LoadReport], None] | None = None,
) -> LoadReport:
    """Validate and load a data folder, workbook or single CSV.

    ``encoding`` names the CSV files' encoding (default: detected). The
    ``before_commit`` hook sees the finished report inside the load's
    transaction: if it raises, nothing is loaded (the CLI writes the reject
    report there, so that rejects are never lost after a commit).

    Raises :class:`graph_loader.sources.UnusableInput` when nothing can be
    read (missing files, missing required columns, unreadable file).
    """
    sources = open_sources(path, encoding)
    try:
        return load_sources(
            store, sources, strict=strict, progress=progress, before_commit=before_commit
        )
    finally:
        close_sources(sources)


def load_sources(
    store: GraphStore,
    sources: list[Source],
    *,
    strict: bool = False,
    progress: Progress | None = None,
    before_commit: Callable[[LoadReport], None] | None = None,
) -> LoadReport:
    report = LoadReport(generation_before=store.generation())
    kinds: dict[str, NodeKind] = {}
    tables: list[_Table] = []
    # Millions of small, acyclic records: the cyclic GC would rescan the
    # growing heap over and over (it tripled load time); plain reference
    # counting frees everything here.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _load(store, sources, strict, progress, report, kinds, tables, before_commit)
        report.ended = True
    finally:
        if gc_was_enabled:
            gc.enable()
    return report


#: a load of CSV files this big parses in a second process (bytes)
PIPELINE_BYTES = 32 * 1024 * 1024

#: one parsed chunk: table, its new valid rows (plain rows, or as the store's
#: own preparation made them in the parsing side, which it returns beside
#: them), rows read so far
Parsed = tuple[str, list[Plain], Any, int]


def _load(
    store: GraphStore,
    sources: list[Source],
    strict: bool,
    progress: Progress | None,
    report: LoadReport,
    kinds: dict[str, NodeKind],
    tables: list[_Table],
    before_commit: Callable[[LoadReport], None] | None,
) -> None:
    by_name = {s.name: s for s in sources}
    with store.bulk() as writer:
        stream: Iterator[Parsed]
        if _worth_a_worker(store, sources):
            stream = _parsed_elsewhere(store, writer, sources, report, kinds, tables)
        else:
            stream = _parsed(store, sources, report, kinds, tables)
        for name, rows, prepared, done in stream:
            _write(writer, name, rows, prepared)
            if progress is not None:
                progress(name, done, max(done, _estimate(by_name[name], done)))
        report.rejects.sort(key=lambda r: (r.file, r.line))
        report.read = {t.source.name: t.read for t in tables}
        report.duplicates = {t.source.name: t.duplicates for t in tables}
        report.loaded = {t.source.name: t.loaded for t in tables}
        if strict and report.rejects:
            report.refused = True
            report.loaded = {t.source.name: 0 for t in tables}
            writer.abort()
        if before_commit is not None:
            before_commit(report)


def _parsed(
    store: GraphStore,
    sources: list[Source],
    report: LoadReport,
    kinds: dict[str, NodeKind],
    tables: list[_Table],
) -> Iterator[Parsed]:
    for source in sources:
        table = _Table(source, report)
        tables.append(table)
        done = 0
        for chunk in source.chunks():
            rows = _parse_chunk(store, table, chunk, kinds, report)
            done += len(chunk) + len(chunk.problems)
            yield source.name, rows, None, done


def _worth_a_worker(store: GraphStore, sources: list[Source]) -> bool:
    from credgraph.store.sqlite import EmbeddedStore

    return (
        isinstance(store, EmbeddedStore)
        and all(s.sheet is None for s in sources)
        and sum(s.size for s in sources) >= PIPELINE_BYTES
    )


def _parsed_elsewhere(
    store: GraphStore,
    writer: BulkWriter,
    sources: list[Source],
    report: LoadReport,
    kinds: dict[str, NodeKind],
    tables: list[_Table],
) -> Generator[Parsed, None, None]:
    """:func:`_parsed` in a child process (:mod:`graph_loader.pipeline`),
    which looks ids up in the store as committed before this load and also
    prepares the rows for the writer (:func:`credgraph.store.sqlite.bulk.prepare`:
    search keys of the names, key order, the tables' column order — Python
    work the writer would otherwise do). A store being built new
    (``newstore.py``) had no ids before this load, and its search index is
    built by a third process that this one feeds (``searchbuild.py``)."""
    path = str(getattr(store, "path"))  # noqa: B009 - an EmbeddedStore
    building = bool(getattr(store, "building", False))
    elsewhere = getattr(writer, "search_elsewhere", None)
    search: SearchBuild | None = elsewhere() if building and elsewhere is not None else None

    def produce() -> Iterator[Parsed]:
        reader = cast(GraphStore, _NoStore()) if building else EmbeddedStore(path, read_only=True)
        for name, rows, _, done in _parsed(reader, sources, report, kinds, tables):
            if search is not None and name in NAME_FIELD:
                names = list(map(itemgetter(NAME_FIELD[name]), rows))
                search.send(name == "persons", list(map(itemgetter(0), rows)), names)
            yield name, *prepare(name, rows, keys=search is None), done
        if search is not None:
            search.end()

    def final() -> tuple[Any, ...]:
        counts = [(t.read, t.loaded, t.duplicates) for t in tables]
        return report.rejects, report.touched_ids, report.entry_ids, counts

    from credgraph.store.sqlite import EmbeddedStore
    from credgraph.store.sqlite.bulk import NAME_FIELD, prepare

    started = None if search is None else search.forked
    rejects, touched, entries, counts = yield from produced_elsewhere(produce, final, started)
    report.rejects, report.touched_ids, report.entry_ids = rejects, touched, entries
    for source, (read, loaded, duplicates) in zip(sources, counts, strict=True):
        table = _Table(source, report)
        table.read, table.loaded, table.duplicates = read, loaded, duplicates
        tables.append(table)


class _NoStore:
    """What the parsing process looks ids up in while the store is being
    built new: it held no ids before this load."""

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        return {}


def _estimate(source: Source, done: int) -> int:
    """Rows expected in a CSV, from its size (for the progress bar)."""
    return max(done, source.size // 60 if source.sheet is None else source.size)


def _parse_chunk(
    store: GraphStore,
    table: _Table,
    chunk: Chunk,
    kinds: dict[str, NodeKind],
    report: LoadReport,
) -> list[Plain]:
    """The chunk's new valid rows as plain rows; everything else rejected."""
    name = table.source.name
    for line, column, value, reason in chunk.problems:
        table.read += 1
        table.reject(line, [(column, value, reason)])
    table.read += len(chunk)
    if name in ("relations", "list_entries"):
        _resolve_references(store, name, chunk, kinds)
    rows, slow = _fast_rows(name, chunk, kinds)
    complete = True
    for i in slow:
        record, problems = _parse_row(name, chunk.row(i), kinds)
        if record is None:
            table.reject(chunk.lines[i], problems)
            complete = False
        else:
            rows[i] = to_plain(record)
    kept = table.keep(rows, chunk, complete)
    if name in _NAME_AT:  # the search keys of the names, all at once
        remember_name_keys(map(itemgetter(_NAME_AT[name]), kept))
    if name == "enterprises":
        kinds.update(zip(map(itemgetter(0), kept), repeat(NodeKind.ENTERPRISE)))
    elif name == "persons":
        ids = list(map(itemgetter(0), kept))
        if kinds.keys().isdisjoint(ids):
            kinds.update(zip(ids, repeat(NodeKind.PERSON)))
        else:
            for person in ids:
                if kinds.setdefault(person, NodeKind.PERSON) is not NodeKind.PERSON:
                    log.warning("id %s is both an enterprise and a person", person)
    elif name == "relations":
        if report.touched_ids is not None:
            report.touched_ids.update(map(itemgetter(0), kept))
            report.touched_ids.update(map(itemgetter(2), kept))
            if len(report.touched_ids) > TRACK_LIMIT:
                report.touched_ids = None
    else:
        report.entry_ids.update(r[0] for r in kept)
    return kept


#: where the name is in a plain row
_NAME_AT = {"enterprises": 1, "persons": 2}


def _fast_rows(
    name: str, chunk: Chunk, kinds: dict[str, NodeKind]
) -> tuple[list[Plain | None], list[int]]:
    """Rows the column-wise checks accept (None elsewhere) and the indexes
    of the rows for the row-by-row parser."""
    size = len(chunk)
    raw = chunk.columns.get
    if name == "enterprises":
        values, bad = fast.enterprises(chunk.columns, size)
        values += [
            bycolumn.phones(raw("phone") or [""] * size),
            bycolumn.emails(raw("email") or [""] * size),
            bycolumn.addresses(raw("address") or [""] * size),
        ]
    elif name == "persons":
        values, bad = fast.persons(chunk.columns, size)
        values += [
            bycolumn.phones(raw("phone") or [""] * size),
            bycolumn.addresses(raw("address") or [""] * size),
        ]
    elif name == "relations":
        values, bad = fast.relations(chunk.columns, size, kinds)
    else:
        return [None] * size, list(range(size))
    rows: list[Plain | None] = list(zip(*values, strict=True))
    for i in bad:
        rows[i] = None
    return rows, sorted(bad)


def _parse_row(name: str, row: dict[str, str], kinds: dict[str, NodeKind]) -> tuple[Any, Any]:
    if name == "enterprises":
        return parse_enterprise(row)
    if name == "persons":
        return parse_person(row)
    if name == "relations":
        return parse_relation(row, kinds)
    return parse_entry(row, kinds)


def _write(writer: BulkWriter, name: str, rows: list[Plain], prepared: Any) -> None:
    """Plain rows into the store: directly where the writer takes them."""
    table = "entries" if name == "list_entries" else name
    if isinstance(writer, PlainWriter):
        writer.write_plain(table, rows, prepared)
        return
    records: list[Any] = [from_plain(table, r) for r in rows]
    parts: dict[str, Any] = {t: records if t == table else [] for t in PLAIN}
    writer.upsert(Batch.model_construct(**parts))


def _resolve_references(
    store: GraphStore, name: str, chunk: Chunk, kinds: dict[str, NodeKind]
) -> None:
    """Ids referenced by the chunk but not in this load must be in the store."""
    columns = (
        ("source_id", "target_uscc")
        if name == "relations"
        else ("subject_id", "responsible_person_ids")
    )
    wanted: set[str] = set()
    for col in columns:
        # not ``set - kinds.keys()``: a set minus a dict view iterates over
        # the whole dict (millions of ids) for every chunk; a set's
        # difference with a dict looks each of its own items up (in C)
        values = set(chunk.columns.get(col, ())).difference(kinds)
        if col == "responsible_person_ids":
            values = {p for v in values for p in v.split(";")}
        wanted.update(r for r in map(normalise_id, values) if r and r not in kinds)
    if wanted:
        for node_id, kind in store.existing_ids(wanted).items():
            kinds.setdefault(node_id, kind)
