"""Reading an upstream list file for comparison (``004:L60``; DESIGN §2 columns).

An upstream file has the columns of ``list_entries.csv``: a CSV of any name,
a data folder holding ``list_entries.csv``, or a workbook with a
``list_entries`` sheet. Rows go through the loader's own validation
(:func:`graph_loader.rows.parse_entry`) with one difference: ids the store
does not know are not rejects here but kept (with a kind guessed from the
id) so the comparison can report them as *unmatched subjects*. Nothing is
written to the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from credgraph.ids import guess_kind, normalise_id
from credgraph.model import ListEntry, NodeKind
from credgraph.store import GraphStore
from graph_loader.load import Reject
from graph_loader.rows import parse_entry
from graph_loader.sources import Chunk, Source, UnusableInput, csv_source, open_sources

log = logging.getLogger(__name__)

TABLE = "list_entries"


@dataclass
class UpstreamList:
    """Valid upstream entries, the line of each, and the rejected rows."""

    file: str
    entries: list[ListEntry] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    duplicates: int = 0


def upstream_source(path: Path) -> Source:
    """The ``list_entries`` table of ``path`` (a CSV of any name, a folder
    or a workbook); :class:`UnusableInput` when there is none."""
    if path.is_file() and path.suffix.lower() == ".csv":
        return csv_source(TABLE, path)
    for source in open_sources(path):
        if source.name == TABLE:
            return source
    raise UnusableInput(f"{path}: no {TABLE} table (list_entries.csv or sheet)")


def _placeholder(ref: str) -> NodeKind | None:
    """The kind an id not in the store would have: a valid USCC is an
    enterprise, a resident id or a passport-like number a person."""
    kind = guess_kind(ref)
    if kind is None and len(ref) != 18:
        return NodeKind.PERSON
    return kind


def _kinds(store: GraphStore, chunk: Chunk) -> dict[str, NodeKind]:
    refs: set[str] = set()
    for row in chunk.rows:
        for col in ("subject_id", "responsible_person_ids"):
            refs.update(r for r in (normalise_id(p) for p in row.get(col, "").split(";")) if r)
    kinds = store.existing_ids(refs)
    for ref in refs - set(kinds):
        kind = _placeholder(ref)
        if kind is not None:
            kinds[ref] = kind
    return kinds


def read_upstream(store: GraphStore, path: Path) -> UpstreamList:
    """Parse an upstream list file against the store's ids (read-only).

    Raises :class:`UnusableInput` when the file cannot be read at all.
    """
    source = upstream_source(path)
    out = UpstreamList(file=source.file)
    seen: dict[str, tuple[int, int]] = {}  # entry_id -> (hash, line)
    for chunk in source.chunks():
        kinds = _kinds(store, chunk)
        out.rejects += [Reject(source.file, *problem) for problem in chunk.problems]
        for row, line in zip(chunk.rows, chunk.lines, strict=True):
            if not any(row.values()):
                continue
            entry, problems = parse_entry(row, kinds)
            if entry is None:
                out.rejects += [Reject(source.file, line, c, v, r) for c, v, r in problems]
                continue
            digest = hash(tuple(entry.__dict__.values()))
            first = seen.get(entry.entry_id)
            if first is None:
                seen[entry.entry_id] = (digest, line)
                out.entries.append(entry)
                out.lines[entry.entry_id] = line
            elif first[0] == digest:
                out.duplicates += 1
            else:
                reason = f"same entry_id as line {first[1]} with different values"
                out.rejects.append(Reject(source.file, line, "entry_id", entry.entry_id, reason))
    log.debug(
        "%s: %d upstream entries, %d rejects", source.file, len(out.entries), len(out.rejects)
    )
    return out
