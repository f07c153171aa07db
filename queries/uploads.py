"""Rows of a small uploaded CSV or XLSX table (bidder files, watchlist
imports), read without trusting the file.

A CSV is decoded as UTF-8 (with or without BOM) or GB18030. An XLSX is a zip
of XML: before it is parsed, its uncompressed size must stay under
:data:`MAX_INFLATED_BYTES` and its first sheet's declared dimension under
``max_rows`` rows and :data:`MAX_COLUMNS` columns; rows are then streamed
(openpyxl read-only mode), at most :data:`MAX_COLUMNS` cells each, and
counted — blank ones included — as they come, since the declared dimension
may be missing or lie. Every problem is an :class:`InvalidRequest` naming
``what`` the file was meant to be.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from credgraph.i18n import N_
from queries.errors import InvalidRequest

#: an uploaded workbook may inflate to at most this many bytes
MAX_INFLATED_BYTES = 64 * 1024 * 1024
#: cells read per row (an upload's columns are a handful)
MAX_COLUMNS = 64


def is_xlsx(data: bytes, filename: str = "") -> bool:
    """Whether ``data`` is a workbook (zip magic or an .xlsx/.xlsm name)."""
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def table_rows(
    data: bytes, filename: str, what: str, max_rows: int
) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every row of the file (XLSX: the first sheet),
    blank rows included, at most ``max_rows`` + 1 (the header) of them.

    >>> list(table_rows("uscc,name\\n1,甲\\n".encode("gb18030"), "b.csv", "bidder file", 5))
    [(1, ['uscc', 'name']), (2, ['1', '甲'])]
    """
    rows = _xlsx_rows(data, what, max_rows) if is_xlsx(data, filename) else _csv_rows(data, what)
    for count, row in enumerate(rows, start=1):
        if count > max_rows + 1:
            raise InvalidRequest(
                N_("the {what} has more than {max:,} rows", what=what, max=max_rows)
            )
        yield row


def _decode(data: bytes, what: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidRequest(N_("the {what} is neither UTF-8 nor GB18030 text", what=what))


def _csv_rows(data: bytes, what: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(_decode(data, what), newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InvalidRequest(
            N_("the {what} is not a readable CSV ({error})", what=what, error=exc)
        ) from None


def _check_zip(data: bytes, what: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidRequest(
            N_("the {what} is not a readable XLSX workbook ({error})", what=what, error=exc)
        ) from None
    if inflated > MAX_INFLATED_BYTES:
        raise InvalidRequest(
            N_(
                "the {what} inflates to {size:,} bytes (at most {max:,})",
                what=what,
                size=inflated,
                max=MAX_INFLATED_BYTES,
            )
        )


def _xlsx_rows(data: bytes, what: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    _check_zip(data, what)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InvalidRequest(
            N_("the {what} is not a readable XLSX workbook ({error})", what=what, error=exc)
        ) from None
    try:
        sheet = book.worksheets[0]
        rows, columns = sheet.max_row or 0, sheet.max_column or 0
        if rows > max_rows + 1:
            raise InvalidRequest(
                N_(
                    "the {what} declares {rows:,} rows (at most {max:,})",
                    what=what,
                    rows=rows,
                    max=max_rows,
                )
            )
        if columns > MAX_COLUMNS:
            raise InvalidRequest(
                N_(
                    "the {what} declares {columns:,} columns (at most {max})",
                    what=what,
                    columns=columns,
                    max=MAX_COLUMNS,
                )
            )
        # no declared dimension: read up to MAX_COLUMNS, drop the padding
        cells = sheet.iter_rows(values_only=True, max_col=columns or MAX_COLUMNS)
        for number, row in enumerate(cells, start=1):
            values = ["" if v is None else str(v) for v in row]
            while not columns and values and not values[-1]:
                values.pop()
            yield number, values
    finally:
        book.close()
