"""Bidder files in, screening spreadsheets out (DESIGN §6).

In: a CSV (UTF-8 with or without BOM, or GB18030) or XLSX sheet with a
header row and one bidder per row: column ``uscc`` (or 统一社会信用代码),
optional ``name`` (名称) and ``lot`` (标段). A row without a USCC or with a
malformed one becomes an ``invalid`` bidder with its line; blank rows are
skipped.

Out: one row per bidder (lot, uscc, name, verdict code, reasons in words,
line) and one row per link (sheet ``links``; for CSV a second file), every
text cell formula-escaped by ``credgraph.outputs.spreadsheet_cell`` (a text
starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``), and
files written atomically.
The bidder sheet has the input columns, so it can be screened again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from credgraph.i18n import N_
from credgraph.ids import InvalidIdentifier, normalise_id, validate_uscc
from credgraph.outputs import atomic_write, spreadsheet_cell
from queries.errors import InvalidRequest
from queries.screening import BidderInput
from queries.screening_model import FileScreening, Link
from queries.uploads import table_rows

#: at most this many rows in one bidder file
MAX_ROWS = 10_000
#: header aliases (folded: stripped, lower-case) -> column
COLUMNS = {
    "uscc": "uscc",
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "name": "name",
    "名称": "name",
    "企业名称": "name",
    "投标人": "name",
    "lot": "lot",
    "标段": "lot",
    "标段号": "lot",
    "包号": "lot",
}
BIDDER_COLUMNS = ("lot", "uscc", "name", "verdict", "reasons", "line")
LINK_COLUMNS = (
    "lot", "a", "a_name", "b", "b_name", "kind", "rule", "pct", "count", "evidence",
    "explanation",
)  # fmt: skip
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- in ------------------------------------------------------------------------
def read_bidders(data: bytes, filename: str = "") -> list[BidderInput]:
    """The bidders of a CSV or XLSX file (XLSX: the first sheet), in file order.

    Raises :class:`InvalidRequest` when the file is unreadable, has no
    ``uscc`` column or more than :data:`MAX_ROWS` rows.
    """
    rows = table_rows(data, filename, N_("bidder file"), MAX_ROWS)
    header: dict[str, int] | None = None
    out: list[BidderInput] = []
    for line, cells in rows:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if header is None:
            header = {}
            for i, cell in enumerate(cells):
                column = COLUMNS.get(cell.lstrip("\ufeff").strip().lower())
                if column is not None:
                    header.setdefault(column, i)
            if "uscc" not in header:
                raise InvalidRequest(
                    N_("the bidder file needs a header row with a column uscc (统一社会信用代码)")
                )
            continue
        out.append(_row(line, cells, header))
    if header is None:
        raise InvalidRequest(N_("the bidder file is empty (a header row with uscc is required)"))
    return out


def _row(line: int, cells: list[str], header: dict[str, int]) -> BidderInput:
    def cell(column: str) -> str | None:
        i = header.get(column)
        return cells[i] if i is not None and i < len(cells) and cells[i] else None

    raw, name, lot = cell("uscc"), cell("name"), cell("lot")
    if raw is None:
        return BidderInput("", f"line {line}: no uscc", line, name, lot)
    try:
        return BidderInput(validate_uscc(raw), None, line, name, lot)
    except InvalidIdentifier as exc:
        return BidderInput(normalise_id(raw), f"line {line}: {exc.reason}", line, name, lot)


# -- out -----------------------------------------------------------------------
def evidence(link: Link) -> str:
    """The link's path by name with the relation of each hop."""
    names = link.names or link.path
    parts = [names[0]] if names else []
    for name, rel in zip(names[1:], link.relations, strict=False):
        parts.append(f"—{rel}— {name}")
    return " ".join(parts)


def bidder_rows(result: FileScreening) -> list[list[Any]]:
    rows: list[list[Any]] = [list(BIDDER_COLUMNS)]
    for lot in result.lots:
        for b in lot.bidders:
            reasons = "\n".join(r.explanation or r.detail or r.code for r in b.reasons)
            rows.append([lot.lot, b.uscc, b.name, b.verdict.value, reasons, b.line])
    return [[spreadsheet_cell(v) for v in row] for row in rows]


def link_rows(result: FileScreening) -> list[list[Any]]:
    rows: list[list[Any]] = [list(LINK_COLUMNS)]
    for lot in result.lots:
        for x in lot.links:
            names = x.names or x.path
            rows.append(
                [
                    lot.lot, x.a, names[0], x.b, names[-1], x.kind.value,
                    x.rule.value if x.rule else None, x.pct, x.count, evidence(x), x.explanation,
                ]
            )  # fmt: skip
    return [[spreadsheet_cell(v) for v in row] for row in rows]


def write_xlsx(result: FileScreening, out: IO[bytes] | Path) -> None:
    """The screening as a workbook: sheets ``bidders`` and ``links``."""
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheets = [(book.active, "bidders", bidder_rows(result)), (None, "links", link_rows(result))]
    for sheet, title, rows in sheets:
        ws = sheet if sheet is not None else book.create_sheet()
        ws.title = title
        for row in rows:
            ws.append([_xlsx_text(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for number, column in enumerate(ws.columns, start=1):
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[get_column_letter(number)].width = min(max(width, 8) + 2, 80)
            for c in column[1:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    if isinstance(out, Path):
        with atomic_write(out, "wb") as fh:
            book.save(fh)
    else:
        book.save(out)


def _xlsx_text(value: Any) -> Any:
    """Control characters XLSX cannot hold are dropped (never a failed write)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def write_csv(rows: Sequence[Sequence[Any]], out: IO[str]) -> None:
    """Rows as CSV (the caller opens ``out`` with ``newline=""``; UTF-8 with
    a BOM opens correctly in Excel)."""
    writer = csv.writer(out)
    writer.writerows([["" if v is None else v for v in row] for row in rows])


def xlsx_bytes(result: FileScreening) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(result, buffer)
    return buffer.getvalue()


def write_csv_file(rows: Sequence[Sequence[Any]], path: Path) -> None:
    """Rows as a UTF-8 CSV with a BOM (Excel reads Chinese right), atomically."""
    with atomic_write(path, encoding="utf-8", newline="") as fh:
        fh.write(csv_text(rows))


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer)
    return "\ufeff" + buffer.getvalue()
