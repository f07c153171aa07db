"""Bidder files in, spreadsheets and a printable report out (DESIGN §6):
``credgraph screen --file F --out R.xlsx|R.csv|R.html``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from builders import GraphBuilder, make_uscc
from jsonschema import Draft202012Validator
from schemas import load_schema
from typer.testing import CliRunner

from cli.main import app
from credgraph.outputs import spreadsheet_cell
from credgraph.store import EmbeddedStore
from queries.errors import InvalidRequest
from queries.screening_files import read_bidders

AS_OF = date(2025, 6, 1)
VALIDATOR = Draft202012Validator(load_schema("screening"))
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, GraphBuilder]:
    """Lot 1: A and B share their legal representative 李某; lot 2: D and E
    share a phone; C has no link."""
    g = GraphBuilder()
    for name in "ABC":
        g.firm(name)
    g.firm("D", phone_norm="13800138000")
    g.firm("E", phone_norm="13800138000")
    g.person("李某")
    g.rel("李某", "A", "legal_representative")
    g.rel("李某", "B", "legal_representative")
    path = tmp_path / "c.db"
    store = EmbeddedStore(path)
    store.upsert(g.batch)
    store.close()
    return path, g


def cli(db_path: Path, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["screen", *args, "--store", str(db_path), "--as-of", "2025-06-01"])
    return res.exit_code, res.stdout, res.stderr


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_file_to_xlsx_round_trip(tmp_path: Path, db: tuple[Path, GraphBuilder]) -> None:
    db_path, g = db
    missing = make_uscc(999)
    bidders = write_csv(
        tmp_path / "bidders.csv",
        [
            ["uscc", "name", "lot"],
            [g["A"], "甲公司", "1"],
            [g["B"].lower(), "", "1"],
            [missing, '=HYPERLINK("http://x")', "1"],
            ["", "无代码公司", "1"],
            [],
            [g["D"], "", "2"],
            [g["E"], "", "2"],
            [g["C"], "", "2"],
            ["91-BAD", "@SUM(A1)", "2"],
        ],
    )
    out = tmp_path / "result.xlsx"
    code, _, stderr = cli(db_path, "--file", str(bidders), "--out", str(out))
    assert code == 0, stderr
    assert f"wrote {out}" in stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["bidders", "links"]
    rows = [[c.value for c in row] for row in book["bidders"].iter_rows()]
    assert rows[0] == ["lot", "uscc", "name", "verdict", "reasons", "line"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("1", g["A"], "A有限公司", "reject", 2),
        ("1", g["B"], "B有限公司", "reject", 3),
        ("1", missing, '\'=HYPERLINK("http://x")', "unknown", 4),  # formula escaped
        ("1", None, "无代码公司", "invalid", 5),
        ("2", g["D"], "D有限公司", "review", 7),
        ("2", g["E"], "E有限公司", "review", 8),
        ("2", g["C"], "C有限公司", "pass", 9),
        ("2", "91-BAD", "'@SUM(A1)", "invalid", 10),
    ]
    assert "法定代表人均为李某" in rows[1][4] and "相关投标均无效" in rows[1][4]
    assert rows[4][4] == "“”不是有效的统一社会信用代码：line 5: no uscc。"
    links = [[c.value for c in row] for row in book["links"].iter_rows()]
    assert links[0] == ["lot", "a", "a_name", "b", "b_name", "kind", "rule", "pct", "count",
                        "evidence", "explanation"]  # fmt: skip
    assert [r[:7] + r[8:10] for r in links[1:]] == [
        ["1", g["A"], "A有限公司", g["B"], "B有限公司", "shared_person", "same_principal", None,
         "A有限公司 —legal_representative— 李某 —legal_representative— B有限公司"],
        ["2", g["D"], "D有限公司", g["E"], "E有限公司", "shared_contact", "indicator", 2,
         "D有限公司 —phone— E有限公司"],
    ]  # fmt: skip
    # no cell of either sheet is a formula
    for sheet in book:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)
    # the bidder sheet is itself a bidder file
    again = read_bidders(out.read_bytes(), out.name)
    assert [(b.uscc, b.lot) for b in again][:2] == [(g["A"], "1"), (g["B"], "1")]


def test_file_json_has_one_schema_valid_result_per_lot(
    tmp_path: Path, db: tuple[Path, GraphBuilder]
) -> None:
    db_path, g = db
    bidders = write_csv(tmp_path / "b.csv", [["uscc"], [g["A"]], [g["B"]], [g["C"]]])
    code, stdout, stderr = cli(db_path, "--file", str(bidders), "--format", "json")
    assert code == 0, stderr
    data = json.loads(stdout)
    assert [lot["lot"] for lot in data["lots"]] == [None]
    assert not list(VALIDATOR.iter_errors(data["lots"][0]))
    assert [b["verdict"] for b in data["lots"][0]["bidders"]] == ["reject", "reject", "pass"]


def test_xlsx_in_with_chinese_headers_csv_and_html_out(
    tmp_path: Path, db: tuple[Path, GraphBuilder]
) -> None:
    db_path, g = db
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["统一社会信用代码", "名称", "标段"],
        [g["A"], "", "一标段"],
        [g["B"], "", "一标段"],
    ):
        sheet.append(row)
    source = tmp_path / "投标人.xlsx"
    book.save(source)
    out = tmp_path / "r.csv"
    assert cli(db_path, "--file", str(source), "--out", str(out))[0] == 0
    text = out.read_text("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][:4] == ["一标段", g["A"], "A有限公司", "reject"]
    links = list(csv.reader(io.StringIO((tmp_path / "r-links.csv").read_text("utf-8-sig"))))
    assert [r[6] for r in links] == ["rule", "same_principal"]

    html_path = tmp_path / "r.html"
    code, _, stderr = cli(db_path, "--file", str(source), "--out", str(html_path))
    assert code == 0, stderr
    html = html_path.read_text("utf-8")
    assert "投标人关联关系筛查报告" in html and "招标投标" in html and "2025-06-01" in html
    assert "数据版本" in html and "<svg" in html and "<script" not in html
    assert "单位负责人为同一人或者存在控股、管理关系的不同单位" in html  # the clause, quoted
    assert "标段 一标段" in html
    assert "否决" in html and "单位负责人为同一人" in html  # glossary words
    english = tmp_path / "en.html"
    assert cli(db_path, "--file", str(source), "--out", str(english), "--lang", "en")[0] == 0
    text_en = english.read_text("utf-8")
    assert "Bidder link screening report" in text_en and "same principal" in text_en
    assert "否决" not in text_en and "筛查报告" not in text_en
    # the global --lang (before the command) gives the same English report
    everywhere = tmp_path / "global.html"
    res = runner.invoke(
        app,
        ["--lang", "en", "screen", "--file", str(source), "--out", str(everywhere),
         "--store", str(db_path), "--as-of", "2025-06-01"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Bidder link screening report" in everywhere.read_text("utf-8")


def test_bad_files_and_outputs_are_one_line_errors(
    tmp_path: Path, db: tuple[Path, GraphBuilder]
) -> None:
    db_path, g = db
    no_column = write_csv(tmp_path / "x.csv", [["code"], [g["A"]]])
    code, _, stderr = cli(db_path, "--lang", "en", "--file", str(no_column))
    assert code == 2 and "needs a header row with a column uscc" in stderr
    big = write_csv(tmp_path / "big.csv", [["uscc"], *([make_uscc(n)] for n in range(100, 151))])
    code, _, stderr = cli(db_path, "--lang", "en", "--file", str(big))
    assert code == 2 and "the file has 51 distinct bidders: at most 50 per lot" in stderr
    ok = write_csv(tmp_path / "ok.csv", [["uscc"], [g["A"]], [g["B"]]])
    for out, message in (
        (tmp_path / "r.pdf", "must end in .xlsx, .csv or .html"),
        (db_path, "is the store"),
        (tmp_path / "ok.csv", "is the input"),
        (tmp_path / "no" / "r.xlsx", "does not exist"),
    ):
        code, _, stderr = cli(db_path, "--lang", "en", "--file", str(ok), "--out", str(out))
        assert code == 2 and message in stderr, (out, stderr)
    code, _, stderr = cli(db_path, "--lang", "en", g["A"], "--file", str(ok))
    assert code == 2 and "not both" in stderr
    assert cli(db_path, "--lang", "en", "--file", str(tmp_path / "none.csv"))[0] == 2


def test_read_bidders_encodings_blank_rows_and_limits() -> None:
    text = "uscc,名称\r\n" + make_uscc(1) + ",甲\r\n,,\r\n" + "x1,乙\r\n"
    rows = read_bidders(text.encode("gb18030"), "b.csv")
    assert [(b.uscc, b.problem, b.line, b.name) for b in rows] == [
        (make_uscc(1), None, 2, "甲"),
        ("X1", "line 4: USCC must have 18 characters", 4, "乙"),
    ]
    with pytest.raises(InvalidRequest, match="empty"):
        read_bidders(b"", "b.csv")
    with pytest.raises(InvalidRequest, match="not a readable XLSX"):
        read_bidders(b"PK\x03\x04broken", "b.xlsx")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-2", "-2"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("李某", "李某"), (-2.5, -2.5), (None, None)],
)  # fmt: skip
def test_spreadsheet_cells_are_formula_safe(value: object, escaped: object) -> None:
    assert spreadsheet_cell(value) == escaped
