"""A malformed CSV line is one reject; the rest of the file still loads
(issue 16 findings 5 and 12)."""

from __future__ import annotations

import csv
import logging
import sys
from pathlib import Path

import pytest
from builders import make_uscc
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import EmbeddedStore
from graph_loader import UnusableInput, load_folder

HEADER = (
    "uscc,name,kind,status,established_on,registered_capital,region,industry,address,phone,email"
)


def firm_line(n: int, address: str = "广东省东莞市南城区1号") -> str:
    return f"{make_uscc(n)},公司{n},company,active,2020-01-01,100,441900,C,{address},,"


def write_lines(folder: Path, lines: list[str], name: str = "enterprises") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def rejects_of(report: object) -> list[tuple[str, int, str, str]]:
    return [(r.file, r.line, r.column, r.reason) for r in report.rejects]  # type: ignore[attr-defined]


def test_unquoted_comma_in_one_address_is_one_reject_and_the_rest_loads(tmp_path: Path) -> None:
    lines = [HEADER] + [firm_line(n) for n in range(1, 2001)]
    lines[1501] = firm_line(1501, "东莞市南城区, 鸿福路1号")  # line 1502: 12 fields
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, write_lines(tmp_path / "d", lines))
    assert rejects_of(report) == [("enterprises.csv", 1502, "", "12 fields, header has 11")]
    assert "鸿福路1号" in report.rejects[0].value
    assert report.loaded["enterprises"] == 1999 and store.counts()["enterprises"] == 1999


def test_missing_field_is_a_reject(tmp_path: Path) -> None:
    lines = [HEADER, firm_line(1), firm_line(2).rsplit(",", 1)[0], firm_line(3)]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    assert rejects_of(report) == [("enterprises.csv", 3, "", "10 fields, header has 11")]
    assert report.loaded["enterprises"] == 2


def test_unterminated_quote_is_reported_where_it_starts_and_later_lines_load(
    tmp_path: Path,
) -> None:
    lines = [HEADER] + [firm_line(n) for n in range(1, 11)]
    lines[4] = firm_line(4, '"东莞市南城区')  # line 5 opens a quote that never closes
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    [reject] = report.rejects
    assert (reject.line, reject.column) == (5, "")
    assert "never closed" in reject.reason and "end of the file" in reject.reason
    assert report.loaded["enterprises"] == 9


def test_unterminated_quote_in_a_big_file_costs_one_line(tmp_path: Path) -> None:
    # the quote would swallow 5,000 lines (more than the csv field limit)
    lines = [HEADER] + [firm_line(n) for n in range(1, 5002)]
    lines[2] = firm_line(2, '"东莞市')
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    [reject] = report.rejects
    assert reject.line == 3 and "not closed within" in reject.reason
    assert report.loaded["enterprises"] == 5000


def test_quoted_multiline_fields_keep_their_line_numbers_after_a_broken_line(
    tmp_path: Path,
) -> None:
    lines = [
        HEADER,
        firm_line(1, '"东莞市\n南城区"'),  # lines 2-3
        firm_line(2, '"甲"乙'),  # line 4: text after a closing quote
        firm_line(3),  # line 5
        f"{make_uscc(4)[:-1]}Z,坏,,,,,,,,,",  # line 6: a bad USCC (row-level reject)
    ]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    assert [(r.line, r.column) for r in report.rejects] == [(4, ""), (6, "uscc")]
    assert "closing quote" in report.rejects[0].reason
    assert report.loaded["enterprises"] == 2


def test_cli_loads_the_good_lines_and_writes_the_reject(tmp_path: Path) -> None:
    lines = [HEADER, firm_line(1), firm_line(2, "a, b"), firm_line(3)]
    data = write_lines(tmp_path / "d", lines)
    rejects = tmp_path / "r.csv"
    result = CliRunner().invoke(
        app, ["load", str(data), "--store", str(tmp_path / "s.db"), "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    with rejects.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["line"], r["reason"]) for r in rows] == [("3", "12 fields, header has 11")]
    assert EmbeddedStore(tmp_path / "s.db").counts()["enterprises"] == 2


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_character_in_a_field_is_a_reject(tmp_path: Path, char: str) -> None:
    lines = [HEADER, firm_line(1), firm_line(2).replace("公司2", f"公{char}司2"), firm_line(3)]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    [reject] = report.rejects
    assert (reject.line, reject.column) == (3, "name")
    assert f"U+{ord(char):04X}" in reject.reason
    assert char not in reject.value and f"\\u{ord(char):04x}" in reject.value
    assert report.loaded["enterprises"] == 2


def test_tabs_and_quoted_newlines_are_not_control_rejects(tmp_path: Path) -> None:
    lines = [HEADER, firm_line(1, '"东莞市\t南城区\r\n鸿福路"')]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    assert report.rejects == [] and report.loaded["enterprises"] == 1


def test_duplicate_header_name_refuses_the_file(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "d", ["uscc,name,address,name", f"{make_uscc(1)},甲,东莞,乙"])
    with pytest.raises(UnusableInput, match=r"column 'name' appears more than once.*2, 4"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), data)
    result = CliRunner().invoke(app, ["load", str(data), "--store", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_column_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = write_lines(tmp_path / "d", ["uscc,name,colour", f"{make_uscc(1)},甲,blue"])
    with caplog.at_level(logging.WARNING):
        report = load_folder(EmbeddedStore(tmp_path / "s.db"), data)
    assert report.rejects == []
    assert [r.getMessage() for r in caplog.records].count(
        "enterprises.csv: ignoring unknown column(s) colour"
    ) == 1


def test_files_joined_with_their_byte_order_marks_are_reported_as_such(tmp_path: Path) -> None:
    first = "\ufeff" + "\n".join([HEADER, firm_line(1)]) + "\n"
    second = "\ufeff" + "\n".join([HEADER, firm_line(2)]) + "\n"
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(first + second + f"\ufeff{firm_line(3)}\n", "utf-8")
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), folder)
    assert [(r.line, r.column) for r in report.rejects] == [(3, ""), (5, "uscc")]
    assert "second header row" in report.rejects[0].reason
    assert "byte-order mark" in report.rejects[1].reason
    assert all("18 characters" not in r.reason for r in report.rejects)
    assert report.loaded["enterprises"] == 2


def test_field_over_the_length_limit_is_a_reject(tmp_path: Path) -> None:
    long_name = "长" * 70_000
    lines = [HEADER, firm_line(1), firm_line(2).replace("公司2", long_name), firm_line(3)]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    [reject] = report.rejects
    assert (reject.line, reject.column) == (3, "name")
    assert "70,000 characters" in reject.reason and len(reject.value) <= 200
    assert report.loaded["enterprises"] == 2


def test_huge_line_is_a_reject_without_reading_it_whole(tmp_path: Path) -> None:
    huge = firm_line(2).replace("公司2", "x" * 3_000_000)  # one 3 MB physical line
    lines = [HEADER, firm_line(1), huge, firm_line(3)]
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), write_lines(tmp_path / "d", lines))
    [reject] = report.rejects
    assert reject.line == 3 and "longer than" in reject.reason
    assert report.loaded["enterprises"] == 2


def test_a_library_raising_the_csv_field_limit_changes_nothing(tmp_path: Path) -> None:
    # followthemoney sets csv.field_size_limit(sys.maxsize) when imported
    previous = csv.field_size_limit(sys.maxsize)
    try:
        test_unterminated_quote_in_a_big_file_costs_one_line(tmp_path)
        assert csv.field_size_limit() == sys.maxsize
    finally:
        csv.field_size_limit(previous)
