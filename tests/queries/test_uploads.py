"""Uploaded bidder and watchlist files are read without trusting them:
workbook bombs and oversized tables are refused before they cost memory or
minutes, with one sentence naming the file."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from queries.errors import InvalidRequest
from queries.screening_files import read_bidders
from queries.uploads import MAX_INFLATED_BYTES, table_rows
from queries.watchlists import read_ids


def workbook(*cells: tuple[str, object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for ref, value in cells:
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_sheet_declaring_a_million_rows_is_refused_before_it_is_read() -> None:
    bomb = workbook(("A1", "uscc"), ("A1048576", "x"))
    assert len(bomb) < 20_000
    with pytest.raises(InvalidRequest, match="bidder file declares 1,048,576 rows"):
        read_bidders(bomb, "bomb.xlsx")
    with pytest.raises(InvalidRequest, match="watchlist file declares 1,048,576 rows"):
        read_ids(bomb, "bomb.xlsx")


def test_a_sheet_declaring_thousands_of_columns_is_refused() -> None:
    wide = workbook(("A1", "uscc"), ("XFD2", "x"))
    with pytest.raises(InvalidRequest, match="declares 16,384 columns"):
        read_bidders(wide, "wide.xlsx")


def test_a_zip_that_inflates_beyond_the_limit_is_refused_unparsed() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (MAX_INFLATED_BYTES + 1))
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(InvalidRequest, match="bidder file inflates to"):
        read_bidders(out.getvalue(), "bomb.xlsx")


def test_blank_rows_count_against_the_row_limit() -> None:
    data = b"uscc\n" + b",\n" * 20
    with pytest.raises(InvalidRequest, match="more than 10 rows"):
        list(table_rows(data, "b.csv", "bidder file", 10))
    assert len(list(table_rows(data, "b.csv", "bidder file", 20))) == 21


def test_a_workbook_within_the_limits_reads_like_its_csv() -> None:
    book = workbook(("A1", "uscc"), ("B1", "name"), ("A2", "91110000600037341L"), ("B2", "甲"))
    assert list(table_rows(book, "b.xlsx", "bidder file", 5)) == [
        (1, ["uscc", "name"]),
        (2, ["91110000600037341L", "甲"]),
    ]


@given(st.lists(st.lists(st.text("甲乙丙abc123 ", max_size=6), min_size=1, max_size=4), max_size=8))
def test_gb18030_and_utf8_files_give_the_same_rows(rows: list[list[str]]) -> None:
    text = "".join(",".join(f'"{c}"' for c in row) + "\n" for row in rows)
    utf8 = list(table_rows(text.encode("utf-8-sig"), "f.csv", "bidder file", 100))
    gb = list(table_rows(text.encode("gb18030"), "f.csv", "bidder file", 100))
    assert utf8 == gb
    assert [cells for _, cells in utf8] == rows
