"""Reading an XLSX workbook without trusting it.

A workbook is a zip of XML: a few kilobytes can declare a sheet of
16,384 × 1,048,576 cells or inflate to gigabytes. Before anything is parsed
the zip's uncompressed size is checked against
``Settings.xlsx_max_bytes``; each sheet's declared dimension against
``xlsx_max_rows`` / ``xlsx_max_columns``. Sheets are then streamed
(openpyxl read-only mode) row by row, each only once, cells beyond the
header's width never kept, rows counted against the limit as they come
(the declared dimension may be missing or lie).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from credgraph.settings import Settings
from graph_loader.csvfile import CHUNK_ROWS, RawChunk


class WorkbookProblem(Exception):
    """The workbook cannot be read within the limits (one line)."""


def check_zip(book: Path, settings: Settings) -> None:
    """Refuse a file that is not a zip or inflates beyond the limit."""
    try:
        with zipfile.ZipFile(book) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookProblem(f"{book.name}: not a readable XLSX workbook ({exc})") from None
    if total > settings.xlsx_max_bytes:
        raise WorkbookProblem(
            f"{book.name}: {total:,} bytes once uncompressed, more than the limit of "
            f"{settings.xlsx_max_bytes:,} (CREDGRAPH_XLSX_MAX_BYTES); save the tables as CSV"
        )


class Workbook:
    """An open read-only workbook; ``close()`` when done."""

    def __init__(self, book: Path, settings: Settings) -> None:
        from openpyxl import load_workbook

        check_zip(book, settings)
        self.book = book
        self.settings = settings
        try:
            self._wb = load_workbook(book, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise WorkbookProblem(f"{book.name}: not a readable XLSX workbook ({exc})") from None

    @property
    def sheet_names(self) -> list[str]:
        return list(self._wb.sheetnames)

    def close(self) -> None:
        self._wb.close()

    def _sheet(self, name: str) -> Any:
        ws = self._wb[name]
        rows, cols = ws.max_row or 0, ws.max_column or 0  # the declared dimension
        limits = self.settings
        if rows > limits.xlsx_max_rows or cols > limits.xlsx_max_columns:
            raise WorkbookProblem(
                f"{self.book.name}:{name}: declares {rows:,} rows × {cols:,} columns, more "
                f"than the limit of {limits.xlsx_max_rows:,} × {limits.xlsx_max_columns:,} "
                "(CREDGRAPH_XLSX_MAX_ROWS / CREDGRAPH_XLSX_MAX_COLUMNS)"
            )
        return ws

    def declared_rows(self, name: str) -> int:
        """Rows the sheet says it has (for progress; 0 when it does not say)."""
        return int(self._sheet(name).max_row or 0)

    def header(self, name: str) -> list[str]:
        """The first row of a sheet (at most ``xlsx_max_columns`` cells)."""
        ws = self._sheet(name)
        for row in ws.iter_rows(
            max_row=1, max_col=self.settings.xlsx_max_columns, values_only=True
        ):
            header = [cell_text(v) for v in row]
            while header and not header[-1]:
                header.pop()  # read-only rows are padded to max_col
            return header
        return []

    def chunks(self, name: str, width: int, size: int = CHUNK_ROWS) -> Iterator[RawChunk]:
        """The rows of a sheet after the header, ``width`` cells each, with
        their sheet row numbers; blank rows are skipped."""
        ws = self._sheet(name)
        chunk = RawChunk()
        limit = self.settings.xlsx_max_rows
        for number, row in enumerate(
            ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2
        ):
            if number > limit:
                raise WorkbookProblem(
                    f"{self.book.name}:{name}: more than {limit:,} rows (CREDGRAPH_XLSX_MAX_ROWS)"
                )
            fields = [cell_text(v) for v in row]
            if any(fields):
                chunk.rows.append(fields + [""] * (width - len(fields)))
                chunk.lines.append(number)
                if len(chunk.rows) >= size:
                    yield chunk
                    chunk = RawChunk()
        if chunk.rows:
            yield chunk


def cell_text(value: object) -> str:
    """A cell as the text a CSV would hold: dates ISO, whole numbers without
    ``.0``, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
