"""Hostile workbooks: declared dimensions, inflated XML and huge cells are
refused or rejected before they can fill memory (issue 16 finding 4)."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from builders import make_uscc
from openpyxl import Workbook
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import EmbeddedStore
from graph_loader import UnusableInput, load_folder


def book(path: Path, rows: list[list[object]], far_cell: bool = False) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "enterprises"
    for row in rows:
        ws.append(row)
    if far_cell:
        ws["XFD1048576"] = "x"
    wb.save(path)
    return path


def rewrite_sheet(path: Path, change: object) -> None:
    """Rewrite the first sheet's XML of a workbook with ``change(xml)``."""
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)  # type: ignore[operator]
            zf.writestr(info.filename, data)


GOOD = [["uscc", "name"], [make_uscc(1), "甲公司"], [make_uscc(2), "乙公司"]]


def test_declared_dimension_bomb_is_refused_in_one_line(tmp_path: Path) -> None:
    bomb = book(tmp_path / "bomb.xlsx", GOOD, far_cell=True)
    assert bomb.stat().st_size < 10_000
    with pytest.raises(UnusableInput, match=r"1,048,576 rows × 16,384 columns.*limit"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), bomb)
    result = CliRunner().invoke(app, ["load", str(bomb), "--store", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_far_cell_without_declared_dimension_is_never_materialised(tmp_path: Path) -> None:
    bomb = book(tmp_path / "bomb.xlsx", GOOD, far_cell=True)
    rewrite_sheet(bomb, lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, bomb)
    assert report.rejects == [] and store.counts()["enterprises"] == 2


def test_inflating_workbook_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = book(tmp_path / "zip.xlsx", GOOD)
    padding = b"<!--" + b" " * 3_000_000 + b"-->"
    rewrite_sheet(bomb, lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>"))
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv("CREDGRAPH_XLSX_MAX_BYTES", "1000000")
    with pytest.raises(UnusableInput, match=r"bytes once uncompressed, more than the limit"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), bomb)
    monkeypatch.delenv("CREDGRAPH_XLSX_MAX_BYTES")
    assert load_folder(EmbeddedStore(tmp_path / "t.db"), bomb).loaded["enterprises"] == 2


def test_huge_cell_is_a_reject_and_the_other_rows_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel cells hold at most 32,767 characters: the limit is lowered to test it
    monkeypatch.setenv("CREDGRAPH_MAX_FIELD_CHARS", "20000")
    rows = [*GOOD, [make_uscc(3), "长" * 30_000], [make_uscc(4), "丁公司"]]
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, book(tmp_path / "big.xlsx", rows))
    assert [(r.file, r.line, r.column) for r in report.rejects] == [
        ("big.xlsx:enterprises", 4, "name")
    ]
    assert "30,000 characters" in report.rejects[0].reason
    assert store.counts()["enterprises"] == 3


def test_not_a_workbook_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnusableInput, match="not a readable XLSX workbook"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), fake)


def test_cells_become_the_text_a_csv_would_hold(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["uscc", "name", "established_on", "registered_capital"],
        [make_uscc(1), "甲公司", datetime(2020, 3, 1), 500.0],
        [make_uscc(2), "乙公司", "2021-07-01", 12.5],
    ]
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, book(tmp_path / "b.xlsx", rows))
    assert report.rejects == []
    nodes = store.nodes([make_uscc(1), make_uscc(2)])
    first, second = nodes[make_uscc(1)], nodes[make_uscc(2)]
    assert str(first.established_on) == "2020-03-01"  # type: ignore[union-attr]
    assert first.registered_capital == 500  # type: ignore[union-attr]
    assert second.registered_capital == 12.5  # type: ignore[union-attr]
