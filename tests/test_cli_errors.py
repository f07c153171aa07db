"""Bad CLI input: one line on stderr, exit 2, never a traceback, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import GraphBuilder
from typer.testing import CliRunner

from cli.main import app
from credgraph.i18n import default_lang
from credgraph.store import EmbeddedStore


def run(*args: str, lang: str = "en") -> tuple[int, str]:
    """Exit code and output of ``credgraph --lang LANG ARGS`` (English: the
    messages these tests quote; Chinese is the default, see test_error_language)."""
    result = CliRunner().invoke(app, ["--lang", lang, *args])
    return result.exit_code, result.output


def small_store(tmp_path: Path) -> tuple[GraphBuilder, str]:
    g = GraphBuilder()
    g.firm("A")
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    db = tmp_path / "s.db"
    EmbeddedStore(db).upsert(g.batch)
    return g, str(db)


def test_a_missing_store_is_refused_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    code, out = run("flags", "--store", str(typo), "--format", "json")
    assert code == 2 and "no store at" in out and "Traceback" not in out
    assert not typo.exists()


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all " * 100)
    code, out = run("flags", "--store", str(junk))
    assert code == 2 and "not a credgraph store" in out and "Traceback" not in out


def test_as_of_must_be_a_real_day_in_range(tmp_path: Path) -> None:
    g, db = small_store(tmp_path)
    code, out = run(
        "measures", g["A"], "--scenario", "green_channel", "--store", db, "--as-of", "0001-01-01"
    )
    assert code == 2 and "outside 1900-01-01" in out
    code, out = run("flags", "--store", db, "--as-of", "2025-02-30")
    assert code == 2 and "not an ISO date" in out
    code, out = run("objection", "file", "E1", "--reason", "paid", "--on", "soon", "--store", db)
    assert code == 2 and "--on 'soon'" in out


def test_output_folders_are_checked_before_any_work(tmp_path: Path) -> None:
    g, db = small_store(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "enterprises.csv").write_text("uscc,name\nBAD,坏公司\n", "utf-8")
    before = EmbeddedStore(db).counts()
    code, out = run("load", str(data), "--store", db, "--rejects", str(tmp_path / "no" / "r.csv"))
    assert code == 2 and "does not exist" in out
    assert EmbeddedStore(db).counts() == before
    code, out = run("network", g["A"], "--store", db, "--html", str(tmp_path / "no" / "m.html"))
    assert code == 2 and "does not exist" in out


def test_objection_refusals_are_one_line(tmp_path: Path) -> None:
    _, db = small_store(tmp_path)
    code, out = run("objection", "resolve", "999", "--upheld", "--store", db)
    assert (code, out.strip()) == (2, "error: no objection 999")
    code, out = run("objection", "file", "NOPE", "--reason", "paid", "--store", db)
    assert (code, out.strip()) == (2, "error: unknown list entry 'NOPE'")
    code, out = run(
        "objection", "file", "E1", "--reason", "paid", "--on", "2024-02-01", "--store", db
    )
    assert code == 0
    code, out = run("objection", "file", "E1", "--reason", "again", "--store", db)
    assert code == 2 and out.strip().startswith("error: entry E1 already has open objection")


def test_error_language_chinese_by_default_english_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line, exit 2, in the language in force: zh by default (错误：…),
    English with --lang en or CREDGRAPH_LANG=en — today's English words."""
    _, db = small_store(tmp_path)
    cases = [
        (("flags", "--subject", "123", "--store", db), "未知主体 123", "unknown subject 123"),
        (("objection", "resolve", "999", "--upheld", "--store", db),
         "未找到异议 999", "no objection 999"),
        (("flags", "--store", db, "--as-of", "2025-02-30"),
         "--as-of '2025-02-30' 不是 ISO 日期（YYYY-MM-DD）",
         "--as-of '2025-02-30' is not an ISO date (YYYY-MM-DD)"),
        (("report", "91110000600037341X", "--store", db),
         "'91110000600037341X'：统一社会信用代码校验码错误",
         "'91110000600037341X': USCC check digit is wrong"),
        (("flags", "--store", str(tmp_path / "typo.db")),
         f"{tmp_path / 'typo.db'} 处没有数据库：请先导入数据"
         f"（credgraph load DIR --store {tmp_path / 'typo.db'}）",
         f"no store at {tmp_path / 'typo.db'}: load data first"
         f" (credgraph load DIR --store {tmp_path / 'typo.db'})"),
    ]  # fmt: skip
    for args, zh, en in cases:
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
        assert (result.exit_code, result.output) == (2, f"错误：{zh}\n"), args
        assert run(*args) == (2, f"error: {en}\n"), args
    monkeypatch.setenv("CREDGRAPH_LANG", "en")
    default_lang.cache_clear()
    try:
        result = CliRunner().invoke(app, ["flags", "--subject", "123", "--store", db])
        assert (result.exit_code, result.output) == (2, "error: unknown subject 123\n")
        assert run("flags", "--subject", "123", "--store", db, lang="zh") == (
            2,
            "错误：未知主体 123\n",
        )
    finally:
        monkeypatch.delenv("CREDGRAPH_LANG")
        default_lang.cache_clear()
