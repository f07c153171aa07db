"""The reject report is checked before any work and is never lost after a
commit (issue 16 finding 9)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from builders import make_uscc
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import EmbeddedStore

BAD = make_uscc(2)[:-1] + "I"  # I is not in the USCC alphabet


def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        f"uscc,name\n{make_uscc(1)},甲公司\n{BAD},坏公司\n", "utf-8"
    )
    return folder


def test_rejects_pointing_at_a_folder_is_refused_before_loading(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(
        app,
        ["--lang", "en", "load", str(data(tmp_path)), "--store", str(db),
         "--rejects", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2 and "is a folder" in result.output
    assert "Traceback" not in result.output and not db.exists()


def test_reject_report_that_cannot_be_written_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(rejects: object, path: Path) -> None:
        path.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("cli.data.write_rejects", disk_full)
    db = tmp_path / "s.db"
    rejects = tmp_path / "r.csv"
    result = CliRunner().invoke(
        app,
        [
            "--lang",
            "en",
            "load",
            str(data(tmp_path)),
            "--store",
            str(db),
            "--rejects",
            str(rejects),
        ],
    )
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert "nothing loaded" in result.output
    assert EmbeddedStore(db).counts()["enterprises"] == 0
    assert list(tmp_path.glob("*r.csv*")) == []  # neither the report nor its temporary file


def test_committed_load_has_its_report_and_no_temporary_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    rejects = tmp_path / "r.csv"
    rejects.write_text("an old report\n")
    result = CliRunner().invoke(
        app, ["load", str(data(tmp_path)), "--store", str(db), "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    assert EmbeddedStore(db).counts()["enterprises"] == 1
    assert BAD in rejects.read_text("utf-8")
    assert sorted(p.name for p in tmp_path.glob("*r.csv*")) == ["r.csv"]
