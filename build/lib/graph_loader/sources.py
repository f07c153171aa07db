"""Reading a data folder (CSV files or one XLSX workbook) with pandas.

Tables are read in chunks so memory stays bounded at millions of rows; each
row comes with the physical line number of its first character (header =
line 1, quoted multi-line fields counted) so rejects point at the exact line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

TABLES = ("enterprises", "persons", "relations", "list_entries")
CHUNK_ROWS = 100_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprises": (
        "uscc",
        "name",
        "kind",
        "status",
        "established_on",
        "registered_capital",
        "region",
        "industry",
        "address",
        "phone",
        "email",
    ),
    "persons": ("person_id", "id_type", "name", "phone", "address"),
    "relations": (
        "source_id",
        "target_uscc",
        "role",
        "title",
        "share_pct",
        "start_on",
        "end_on",
    ),
    "list_entries": (
        "entry_id",
        "subject_id",
        "list",
        "category",
        "reason",
        "authority",
        "case_no",
        "decided_on",
        "valid_until",
        "removed_on",
        "removal_reason",
        "responsible_person_ids",
    ),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprises": ("uscc", "name"),
    "persons": ("person_id", "name"),
    "relations": ("source_id", "target_uscc", "role"),
    "list_entries": ("entry_id", "subject_id", "list", "decided_on"),
}


class UnusableInput(Exception):
    """The input cannot be loaded at all (exit code 2): one line, no traceback."""


@dataclass
class Chunk:
    """Rows of one table: ``rows[i][col]`` is a stripped string ('' = empty)."""

    rows: list[dict[str, str]]
    lines: list[int]


@dataclass
class Source:
    """One table of the input, read lazily chunk by chunk."""

    name: str
    file: str
    path: Path
    sheet: str | None = None
    size: int = 0

    def chunks(self) -> Iterator[Chunk]:
        if self.sheet is None:
            yield from _csv_chunks(self)
        else:
            frame = _read_sheet(self.path, self.sheet)
            yield _to_chunk(self, frame, 2, count_newlines=False)[0]


def _check_columns(source: Source, columns: list[str]) -> list[str]:
    missing = [c for c in REQUIRED[source.name] if c not in columns]
    if missing:
        raise UnusableInput(
            f"{source.file}: missing required column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(COLUMNS[source.name])}"
        )
    extra = [c for c in columns if c not in COLUMNS[source.name]]
    if extra:
        log.warning("%s: ignoring unknown column(s) %s", source.file, ", ".join(extra))
    return [c for c in columns if c in COLUMNS[source.name]]


def _to_chunk(
    source: Source, frame: pd.DataFrame, first_line: int, count_newlines: bool
) -> tuple[Chunk, int]:
    frame.columns = [str(c).strip().lower().lstrip("\ufeff") for c in frame.columns]
    known = _check_columns(source, list(frame.columns))
    frame = frame[known].fillna("").astype(str)
    raw = [frame[c].tolist() for c in known]
    values = [[v.strip() for v in col] for col in raw]
    line = first_line
    extra: list[int] | None = None
    if count_newlines:
        # a quoted field may span lines: the next row starts that much later
        # (one C-level scan per column tells whether any value holds one)
        for col in raw:
            if "\n" in "\x00".join(col):
                counts = [v.count("\n") for v in col]
                extra = (
                    counts if extra is None else [a + b for a, b in zip(extra, counts, strict=True)]
                )
    if extra is None:
        lines = list(range(first_line, first_line + len(frame)))
        line = first_line + len(frame)
    else:
        lines = []
        for n in extra:
            lines.append(line)
            line += 1 + n
    rows = [dict(zip(known, row, strict=True)) for row in zip(*values, strict=True)]
    return Chunk(rows, lines), line


def _csv_chunks(source: Source) -> Iterator[Chunk]:
    try:
        reader = pd.read_csv(
            source.path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skip_blank_lines=False,
            chunksize=CHUNK_ROWS,
        )
        line = 2
        with reader:
            for frame in reader:
                chunk, line = _to_chunk(source, frame, line, count_newlines=True)
                yield chunk
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{source.file}: not UTF-8 text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise UnusableInput(f"{source.file}: empty file (a header row is required)") from None
    except pd.errors.ParserError as exc:
        raise UnusableInput(f"{source.file}: not a readable CSV ({str(exc).strip()})") from None


def _read_sheet(book: Path, sheet: str) -> pd.DataFrame:
    try:
        return pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnusableInput(f"{book}: not a readable XLSX workbook ({exc})") from None


def _csv_source(name: str, path: Path) -> Source:
    try:
        header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise UnusableInput(f"{path.name}: empty file (a header row is required)") from None
    source = Source(name, path.name, path, size=path.stat().st_size)
    _check_columns(source, [str(c).strip().lower().lstrip("\ufeff") for c in header.columns])
    return source


def open_sources(path: Path) -> list[Source]:
    """Tables of a data folder, an XLSX workbook, or a single CSV file, in
    load order (enterprises, persons, relations, list_entries)."""
    if not path.exists():
        raise UnusableInput(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _workbook_sources(path)
        if path.stem in TABLES and path.suffix.lower() == ".csv":
            return [_csv_source(path.stem, path)]
        raise UnusableInput(
            f"{path}: expected a data folder, an .xlsx workbook or one of "
            f"{', '.join(t + '.csv' for t in TABLES)}"
        )
    sources = [
        _csv_source(name, path / f"{name}.csv")
        for name in TABLES
        if (path / f"{name}.csv").exists()
    ]
    if not sources:
        books = sorted(path.glob("*.xlsx"))
        if len(books) == 1:
            return _workbook_sources(books[0])
        raise UnusableInput(
            f"{path}: no {', '.join(t + '.csv' for t in TABLES)} and no single .xlsx workbook"
        )
    return sources


def _workbook_sources(book: Path) -> list[Source]:
    try:
        names = pd.ExcelFile(book).sheet_names
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnusableInput(f"{book}: not a readable XLSX workbook ({exc})") from None
    sources = [
        Source(name, f"{book.name}:{name}", book, sheet=name) for name in TABLES if name in names
    ]
    if not sources:
        raise UnusableInput(f"{book}: no sheet named {', '.join(TABLES)}")
    for source in sources:
        frame = _read_sheet(book, source.name)
        _check_columns(source, [str(c).strip().lower() for c in frame.columns])
        source.size = len(frame)
    return sources
