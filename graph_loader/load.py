"""Validated, idempotent loading of a data folder into a store (DESIGN §2).

Tables stream through in chunks inside ONE store transaction: memory stays
bounded, a crash anywhere leaves the store as it was, and ``strict`` rolls
everything back when any row is bad. Bad rows never stop a load: each
problem goes to the reject report and the good rows load.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credgraph.ids import normalise_id
from credgraph.model import Batch, NodeKind
from credgraph.outputs import write_spreadsheet_csv
from credgraph.store import GraphStore
from graph_loader.rows import (
    Problem,
    parse_enterprise,
    parse_entry,
    parse_person,
    parse_relation,
)
from graph_loader.sources import Chunk, Source, open_sources

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


#: the fields that make up a record's identity (DESIGN §2), read from the
#: validated record (normalised ids, enums, dates) without conversions
IDENTITY = {
    "enterprises": ("uscc",),
    "persons": ("person_id",),
    "relations": ("source_id", "target_uscc", "role", "title", "start_on"),
    "list_entries": ("entry_id",),
}


_DIGEST_MASK = (1 << 64) - 1
_LINE_MASK = (1 << 32) - 1


class _Table:
    """Per-table state: identities seen in this load (first row wins; exact
    repeats are ignored, a repeat with other values is a reject)."""

    def __init__(self, source: Source, report: LoadReport) -> None:
        self.source = source
        self.report = report
        self.seen: dict[str, int] = {}  # identity -> value digest << 32 | line
        self.loaded = 0
        self.duplicates = 0
        self.read = 0

    def reject(self, line: int, problems: list[Problem]) -> None:
        self.report.rejects.extend(
            Reject(self.source.file, line, col, value, reason) for col, value, reason in problems
        )

    def keep(self, record: Any, line: int, row: dict[str, str]) -> bool:
        values = record.__dict__
        # compact bookkeeping (millions of relations): the identity as one
        # string, and the row's value digest and line packed in one int
        key = "\x1f".join([str(values[c] or "") for c in IDENTITY[self.source.name]])
        digest = hash(tuple(values.values())) & _DIGEST_MASK
        seen = self.seen.get(key)
        if seen is None:
            self.seen[key] = digest << 32 | line
            self.loaded += 1
            return True
        if seen >> 32 == digest:
            self.duplicates += 1
        else:
            first = next(iter(row))
            self.reject(
                line,
                [
                    (
                        first,
                        row[first],
                        f"same identity as line {seen & _LINE_MASK} with different values",
                    )
                ],
            )
        return False


def load_folder(
    store: GraphStore,
    path: Path,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate and load a data folder, workbook or single CSV.

    Raises :class:`graph_loader.sources.UnusableInput` when nothing can be
    read (missing files, missing required columns, unreadable file).
    """
    return load_sources(store, open_sources(path), strict=strict, progress=progress)


def load_sources(
    store: GraphStore,
    sources: list[Source],
    *,
    strict: bool = False,
    progress: Progress | None = None,
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
        _load(store, sources, strict, progress, report, kinds, tables)
    finally:
        if gc_was_enabled:
            gc.enable()
    return report


def _load(
    store: GraphStore,
    sources: list[Source],
    strict: bool,
    progress: Progress | None,
    report: LoadReport,
    kinds: dict[str, NodeKind],
    tables: list[_Table],
) -> None:
    with store.bulk() as writer:
        for source in sources:
            table = _Table(source, report)
            tables.append(table)
            done = 0
            for chunk in source.chunks():
                batch = _parse_chunk(store, table, chunk, kinds, report)
                writer.upsert(batch)
                done += len(chunk.rows)
                if progress is not None:
                    progress(source.name, done, max(done, _estimate(source, done)))
        report.rejects.sort(key=lambda r: (r.file, r.line))
        report.read = {t.source.name: t.read for t in tables}
        report.duplicates = {t.source.name: t.duplicates for t in tables}
        report.loaded = {t.source.name: t.loaded for t in tables}
        if strict and report.rejects:
            report.refused = True
            report.loaded = {t.source.name: 0 for t in tables}
            writer.abort()


def _estimate(source: Source, done: int) -> int:
    """Rows expected in a CSV, from its size (for the progress bar)."""
    return max(done, source.size // 60) if source.sheet is None else source.size


def _parse_chunk(
    store: GraphStore,
    table: _Table,
    chunk: Chunk,
    kinds: dict[str, NodeKind],
    report: LoadReport,
) -> Batch:
    name = table.source.name
    records: list[Any] = []
    if name in ("relations", "list_entries"):
        _resolve_references(store, name, chunk, kinds)
    for row, line in zip(chunk.rows, chunk.lines, strict=True):
        if not any(row.values()):
            continue  # blank line
        table.read += 1
        record: Any
        if name == "enterprises":
            record, problems = parse_enterprise(row)
        elif name == "persons":
            record, problems = parse_person(row)
        elif name == "relations":
            record, problems = parse_relation(row, kinds)
        else:
            record, problems = parse_entry(row, kinds)
        if record is None:
            table.reject(line, problems)
        elif table.keep(record, line, row):
            records.append(record)
    if name == "enterprises":
        kinds.update((r.uscc, NodeKind.ENTERPRISE) for r in records)
        return Batch.model_construct(enterprises=records, persons=[], relations=[], entries=[])
    if name == "persons":
        for r in records:
            if kinds.setdefault(r.person_id, NodeKind.PERSON) is not NodeKind.PERSON:
                log.warning("id %s is both an enterprise and a person", r.person_id)
        return Batch.model_construct(enterprises=[], persons=records, relations=[], entries=[])
    if name == "relations":
        if report.touched_ids is not None:
            report.touched_ids.update(x for r in records for x in (r.source_id, r.target_uscc))
            if len(report.touched_ids) > TRACK_LIMIT:
                report.touched_ids = None
        return Batch.model_construct(enterprises=[], persons=[], relations=records, entries=[])
    report.entry_ids.update(r.entry_id for r in records)
    return Batch.model_construct(enterprises=[], persons=[], relations=[], entries=records)


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
    for row in chunk.rows:
        for col in columns:
            for part in row.get(col, "").split(";"):
                ref = normalise_id(part)
                if ref and ref not in kinds:
                    wanted.add(ref)
    if wanted:
        for node_id, kind in store.existing_ids(wanted).items():
            kinds.setdefault(node_id, kind)
