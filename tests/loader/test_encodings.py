"""CSV encodings: UTF-8 (BOM or not), UTF-16 with BOM and GB18030 are
detected, others named with --encoding; undecodable text is one line with
the line number (issue 16 finding 6)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from builders import make_rid, make_uscc
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import EmbeddedStore
from graph_loader import UnusableInput, load_folder

NAMES = ["东莞市华盛电子有限公司", "广州市荔湾区䶮记食品店", "深圳市𠀾科技有限公司"]


def folder_in(tmp_path: Path, raw: bytes, name: str = "enterprises") -> Path:
    folder = tmp_path / "d"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.csv").write_bytes(raw)
    return folder


def text() -> str:
    rows = [f"{make_uscc(i + 1)},{n},东莞市南城区" for i, n in enumerate(NAMES)]
    return "\r\n".join(["uscc,name,address", *rows]) + "\r\n"


def loaded_names(store: EmbeddedStore) -> list[str]:
    nodes = store.nodes([make_uscc(i + 1) for i in range(len(NAMES))])
    return [nodes[make_uscc(i + 1)].name for i in range(len(NAMES))]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(text().encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + text().encode("utf-8"), id="utf-8-bom"),
        pytest.param(text().encode("utf-16"), id="utf-16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + text().encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(text().encode("gb18030"), id="gb18030"),
    ],
)
def test_accepted_encodings_are_detected(tmp_path: Path, raw: bytes) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, folder_in(tmp_path, raw))
    assert report.rejects == [] and report.loaded["enterprises"] == 3
    assert loaded_names(store) == NAMES


def test_gbk_export_with_line_numbers_in_rejects(tmp_path: Path) -> None:
    rows = [f"{make_rid(1)},张三", "110101199003070000,李四", f"{make_rid(2)},王五"]
    raw = "\n".join(["person_id,name", *rows]).encode("gbk")
    report = load_folder(EmbeddedStore(tmp_path / "s.db"), folder_in(tmp_path, raw, "persons"))
    assert [(r.line, r.column) for r in report.rejects] == [(3, "person_id")]
    assert report.loaded["persons"] == 2


def test_named_encoding_is_used(tmp_path: Path) -> None:
    names = ["臺北市信義區公司", "高雄市鹽埕區商行", "新竹市東區企業社"]
    rows = [f"{make_uscc(i + 1)},{n}" for i, n in enumerate(names)]
    folder = folder_in(tmp_path, "\n".join(["uscc,name", *rows]).encode("big5"))
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, folder, encoding="big5")
    assert loaded_names(store) == names


def test_undecodable_file_names_the_first_bad_line(tmp_path: Path) -> None:
    raw = text().encode("utf-8").replace("广州".encode(), b"\xff\xfe\xff")
    folder = folder_in(tmp_path, raw)
    with pytest.raises(UnusableInput, match=r"enterprises\.csv: line 3 is not valid text"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), folder)
    result = CliRunner().invoke(app, ["load", str(folder), "--store", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "line 3" in result.output


def test_bad_byte_deep_in_a_gb18030_file_is_found_at_its_line(tmp_path: Path) -> None:
    rows = [f"{make_uscc(i)},公司{i}" for i in range(1, 3000)]
    raw = "\n".join(["uscc,name", *rows]).encode("gb18030")
    at = raw.index("公司2500".encode("gb18030"))
    raw = raw[:at] + b"\x80" + raw[at:]
    with pytest.raises(UnusableInput, match="line 2501 "):
        load_folder(EmbeddedStore(tmp_path / "s.db"), folder_in(tmp_path, raw))


def test_wrong_named_encoding_and_unknown_encoding(tmp_path: Path) -> None:
    folder = folder_in(tmp_path, text().encode("gb18030"))
    with pytest.raises(UnusableInput, match=r"line 2 is not valid text.*--encoding utf-8"):
        load_folder(EmbeddedStore(tmp_path / "s.db"), folder, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["load", str(folder), "--store", str(tmp_path / "c.db"), "--encoding", "klingon"],
    )
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.output
    assert (
        not (tmp_path / "c.db").exists()
        or EmbeddedStore(tmp_path / "c.db").counts()["enterprises"] == 0
    )
