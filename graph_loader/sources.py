"""Reading a data folder (CSV files or one XLSX workbook) with pandas.

Each table comes back as rows of strings with the physical line number of
each row (header = line 1) so rejects can point at the exact line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

TABLES = ("enterprises", "persons", "relations", "list_entries")

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
class Table:
    """One source table: ``rows[i][col]`` is a stripped string ('' = empty)."""

    name: str
    file: str
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    extra_columns: list[str]


def _frame_to_table(name: str, file: str, frame: pd.DataFrame, count_newlines: bool) -> Table:
    frame.columns = [str(c).strip().lower().lstrip("\ufeff") for c in frame.columns]
    columns = list(frame.columns)
    missing = [c for c in REQUIRED[name] if c not in columns]
    if missing:
        raise UnusableInput(
            f"{file}: missing required column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(COLUMNS[name])}"
        )
    extra = [c for c in columns if c not in COLUMNS[name]]
    if extra:
        log.warning("%s: ignoring unknown column(s) %s", file, ", ".join(extra))
    known = [c for c in columns if c in COLUMNS[name]]
    frame = frame[known].fillna("").astype(str)
    # A quoted field may span lines: count them so `line` stays the physical
    # line of the row's first character (header = line 1).
    extra_lines = [0] * len(frame)
    if count_newlines and len(frame):
        for c in known:
            counts = frame[c].str.count("\n").tolist()
            extra_lines = [a + int(b) for a, b in zip(extra_lines, counts, strict=True)]
    lines: list[int] = []
    line = 2
    for n in extra_lines:
        lines.append(line)
        line += 1 + int(n)
    records = frame.to_dict("records")
    rows = [{str(k): str(v).strip() for k, v in r.items()} for r in records]
    return Table(name, file, known, rows, lines, extra)


def read_folder(path: Path) -> list[Table]:
    """Tables of a data folder, an XLSX workbook, or a single CSV file."""
    if not path.exists():
        raise UnusableInput(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return read_workbook(path)
        if path.stem in TABLES and path.suffix.lower() == ".csv":
            return [read_csv(path.stem, path)]
        raise UnusableInput(
            f"{path}: expected a data folder, an .xlsx workbook or one of "
            f"{', '.join(t + '.csv' for t in TABLES)}"
        )
    tables = [
        read_csv(name, path / f"{name}.csv") for name in TABLES if (path / f"{name}.csv").exists()
    ]
    if not tables:
        books = sorted(path.glob("*.xlsx"))
        if len(books) == 1:
            return read_workbook(books[0])
        raise UnusableInput(
            f"{path}: no {', '.join(t + '.csv' for t in TABLES)} and no single .xlsx workbook"
        )
    return tables


def read_csv(name: str, file: Path) -> Table:
    try:
        frame = pd.read_csv(
            file, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False
        )
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{file}: not UTF-8 text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise UnusableInput(f"{file}: empty file (a header row is required)") from None
    except pd.errors.ParserError as exc:
        raise UnusableInput(f"{file}: not a readable CSV ({str(exc).strip()})") from None
    return _frame_to_table(name, file.name, frame, count_newlines=True)


def read_workbook(book: Path) -> list[Table]:
    try:
        sheets = pd.read_excel(book, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnusableInput(f"{book}: not a readable XLSX workbook ({exc})") from None
    tables = [
        _frame_to_table(name, f"{book.name}:{name}", sheets[name], count_newlines=False)
        for name in TABLES
        if name in sheets
    ]
    if not tables:
        raise UnusableInput(f"{book}: no sheet named {', '.join(TABLES)}")
    return tables
