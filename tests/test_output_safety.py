"""No output ever replaces the store or an input (issue 16, finding 1).

Each command that writes a file is pointed at the store itself, at its WAL
and shared-memory files and at its input: it must refuse with one line and
exit 2, before any work, and the store must answer exactly as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from builders import GraphBuilder
from typer.testing import CliRunner

from cli.main import app
from credgraph.model import NodeKind
from credgraph.store import EmbeddedStore


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--lang", "en", *args])  # the English messages quoted
    return result.exit_code, result.output


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    path = tmp_path / "s.db"
    store = EmbeddedStore(path)
    store.upsert(g.batch)
    store.close()
    return path


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "enterprises.csv").write_text("uscc,name\nBAD,坏公司\n", "utf-8")
    return data


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_load_rejects_cannot_be_the_store(tmp_path: Path, db: Path, suffix: str) -> None:
    before = digest(db)
    target = f"{db}{suffix}"
    code, out = run("load", str(data_folder(tmp_path)), "--store", str(db), "--rejects", target)
    assert code == 2 and "is the store" in out and "Traceback" not in out
    assert digest(db) == before
    assert EmbeddedStore(db).counts()["enterprises"] == 2


def test_load_rejects_cannot_be_an_input(tmp_path: Path, db: Path) -> None:
    data = data_folder(tmp_path)
    source = data / "enterprises.csv"
    text = source.read_text("utf-8")
    code, out = run("load", str(data), "--store", str(db), "--rejects", str(source))
    assert code == 2 and "input" in out
    assert source.read_text("utf-8") == text


def test_load_rejects_cannot_be_a_folder(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    before = EmbeddedStore(db).counts()
    code, out = run(
        "load", str(data_folder(tmp_path)), "--store", str(db), "--rejects", str(folder)
    )
    assert code == 2 and "is a folder" in out and "Traceback" not in out
    assert EmbeddedStore(db).counts() == before


@pytest.mark.parametrize("fmt", ["graphml", "ftm"])
def test_exports_cannot_overwrite_the_store(db: Path, fmt: str) -> None:
    before = digest(db)
    code, out = run("export", fmt, str(db), "--store", str(db))
    assert code == 2 and "is the store" in out
    assert digest(db) == before


def test_default_store_is_protected_too(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDGRAPH_STORE", str(db))
    before = digest(db)
    code, out = run("export", "graphml", str(db))
    assert code == 2 and "is the store" in out
    assert digest(db) == before


def test_network_map_cannot_overwrite_the_store(db: Path) -> None:
    store = EmbeddedStore(db)
    uscc = next(store.iter_nodes(NodeKind.ENTERPRISE)).id
    store.close()
    before = digest(db)
    code, out = run("network", uscc, "--store", str(db), "--html", str(db))
    assert code == 2 and "is the store" in out
    assert digest(db) == before


def test_exchange_report_cannot_overwrite_the_store(tmp_path: Path, db: Path) -> None:
    upstream = tmp_path / "upstream.csv"
    upstream.write_text("entry_id,subject_id,list,decided_on\n", "utf-8")
    before = digest(db)
    code, out = run("exchange", "compare", str(upstream), "--report", str(db), "--store", str(db))
    assert code == 2 and "is the store" in out
    assert digest(db) == before
    code, out = run(
        "exchange", "compare", str(upstream), "--report", str(upstream), "--store", str(db)
    )
    assert code == 2 and "input" in out


def test_inspection_plan_cannot_overwrite_the_store(tmp_path: Path, db: Path) -> None:
    inspectors = tmp_path / "inspectors.csv"
    inspectors.write_text("name\n张三\n李四\n", "utf-8")
    before = digest(db)
    for option in ("--out", "--conflicts"):
        args = ["inspection-plan", "--population", "all", "--inspectors", str(inspectors)]
        args += ["--seed", "1", "--store", str(db)]
        args += ["--out", str(db) if option == "--out" else str(tmp_path / "plan.csv")]
        if option == "--conflicts":
            args += ["--conflicts", f"{db}-wal"]
        code, out = run(*args)
        assert code == 2 and "is the store" in out, out
    code, out = run(
        "inspection-plan", "--population", "all", "--inspectors", str(inspectors),
        "--seed", "1", "--store", str(db), "--out", str(inspectors),
    )  # fmt: skip
    assert code == 2 and "input" in out
    assert digest(db) == before


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not sqlite"])
def test_an_empty_or_foreign_store_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(content)
    for args in (
        ["flags", "--store", str(path)],
        ["load", str(data_folder(tmp_path)), "--store", str(path)],
        ["serve", "--store", str(path)],
    ):
        code, out = run(*args)
        assert code == 2 and "refusing to use it" in out, (args, out)
        assert path.read_bytes() == content


def test_serve_refuses_a_mistyped_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    code, out = run("serve", "--store", str(typo))
    assert code == 2 and "no store at" in out
    assert not typo.exists()
