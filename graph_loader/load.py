"""Validated, idempotent loading of a data folder into a store (DESIGN §2).

Bad rows never stop a load: each problem goes to the reject report and the
good rows load in one all-or-nothing batch. ``strict`` loads nothing when any
row is bad.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credgraph.ids import normalise_id
from credgraph.model import Batch, NodeKind
from credgraph.store import GraphStore
from graph_loader.rows import (
    Problem,
    parse_enterprise,
    parse_entry,
    parse_person,
    parse_relation,
)
from graph_loader.sources import Table, read_folder

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

REJECT_COLUMNS = ("file", "line", "column", "value", "reason")


@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    column: str
    value: str
    reason: str


@dataclass
class LoadReport:
    """What a load did: rows read and loaded per table, rejects, the batch."""

    read: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    refused: bool = False
    generation_before: int = 0
    batch: Batch = field(default_factory=Batch)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "rejects": len(self.rejects),
            "refused": self.refused,
        }


def write_rejects(rejects: list[Reject], path: Path) -> None:
    """The reject report: ``file,line,column,value,reason`` (UTF-8)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(REJECT_COLUMNS)
        for r in rejects:
            writer.writerow((r.file, r.line, r.column, r.value, r.reason))


def _identity(table: str, record: Any) -> tuple[Any, ...]:
    if table == "enterprises":
        return (record.uscc,)
    if table == "persons":
        return (record.person_id,)
    if table == "relations":
        return tuple(record.identity)
    return (record.entry_id,)


class _Collector:
    """Keeps the first row of each identity; exact repeats are ignored and a
    repeat with other values is a reject (DESIGN §2)."""

    def __init__(self, table: Table, report: LoadReport) -> None:
        self.table = table
        self.report = report
        self.records: dict[tuple[Any, ...], tuple[Any, int]] = {}
        self.duplicates = 0

    def reject(self, index: int, problems: list[Problem]) -> None:
        line = self.table.lines[index]
        self.report.rejects.extend(
            Reject(self.table.file, line, col, value, reason) for col, value, reason in problems
        )

    def add(self, index: int, record: Any) -> None:
        key = _identity(self.table.name, record)
        seen = self.records.get(key)
        if seen is None:
            self.records[key] = (record, self.table.lines[index])
        elif seen[0] == record:
            self.duplicates += 1
        else:
            self.reject(
                index,
                [
                    (
                        self.table.columns[0],
                        self.table.rows[index].get(self.table.columns[0], ""),
                        f"same identity as line {seen[1]} with different values",
                    )
                ],
            )

    def values(self) -> list[Any]:
        return [record for record, _ in self.records.values()]


def _is_blank(row: dict[str, str]) -> bool:
    return not any(row.values())


def load_folder(
    store: GraphStore,
    path: Path,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate and load a data folder; see :class:`LoadReport`.

    Raises :class:`graph_loader.sources.UnusableInput` when nothing can be
    read (missing files, missing required columns).
    """
    tables = {t.name: t for t in read_folder(path)}
    return load_tables(store, tables, strict=strict, progress=progress)


def load_tables(
    store: GraphStore,
    tables: dict[str, Table],
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    report = LoadReport()
    collected: dict[str, _Collector] = {}

    def each(name: str) -> _Collector:
        table = tables[name]
        collector = _Collector(table, report)
        collected[name] = collector
        report.read[name] = sum(1 for r in table.rows if not _is_blank(r))
        return collector

    kinds: dict[str, NodeKind] = {}
    for name, parse, kind in (
        ("enterprises", parse_enterprise, NodeKind.ENTERPRISE),
        ("persons", parse_person, NodeKind.PERSON),
    ):
        if name not in tables:
            continue
        collector = each(name)
        for i, row in enumerate(tables[name].rows):
            if _is_blank(row):
                continue
            record, problems = parse(row)
            if record is None:
                collector.reject(i, problems)
            else:
                collector.add(i, record)
            _tick(progress, name, i, len(tables[name].rows))
        for record in collector.values():
            previous = kinds.setdefault(record.id, kind)
            if previous is not kind:
                log.warning("id %s is both an enterprise and a person", record.id)

    # references to ids not in this load must already be in the store
    referenced: set[str] = set()
    for name, columns in (
        ("relations", ("source_id", "target_uscc")),
        ("list_entries", ("subject_id", "responsible_person_ids")),
    ):
        if name in tables:
            for row in tables[name].rows:
                for col in columns:
                    for part in row.get(col, "").split(";"):
                        pid = normalise_id(part)
                        if pid and pid not in kinds:
                            referenced.add(pid)
    if referenced:
        for node_id, node_kind in store.existing_ids(referenced).items():
            kinds.setdefault(node_id, node_kind)

    for name, parse_ref in (("relations", parse_relation), ("list_entries", parse_entry)):
        if name not in tables:
            continue
        collector = each(name)
        rows = tables[name].rows
        for i, row in enumerate(rows):
            if _is_blank(row):
                continue
            ref_record, problems = parse_ref(row, kinds)
            if ref_record is None:
                collector.reject(i, problems)
            else:
                collector.add(i, ref_record)
            _tick(progress, name, i, len(rows))

    report.rejects.sort(key=lambda r: (r.file, r.line))
    report.duplicates = {n: c.duplicates for n, c in collected.items()}
    if strict and report.rejects:
        report.refused = True
        report.loaded = {n: 0 for n in collected}
        return report

    batch = Batch.model_construct(
        enterprises=collected["enterprises"].values() if "enterprises" in collected else [],
        persons=collected["persons"].values() if "persons" in collected else [],
        relations=collected["relations"].values() if "relations" in collected else [],
        entries=collected["list_entries"].values() if "list_entries" in collected else [],
    )
    if progress:
        progress("writing", 0, len(batch))
    report.generation_before = store.generation()
    store.upsert(batch)
    if progress:
        progress("writing", len(batch), len(batch))
    report.batch = batch
    report.loaded = {n: len(c.records) for n, c in collected.items()}
    return report


def _tick(progress: Progress | None, name: str, i: int, total: int) -> None:
    if progress is not None and (i % 5000 == 0 or i == total - 1):
        progress(name, i + 1, total)
