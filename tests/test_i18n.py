"""Language (DESIGN §12): catalogs complete and compiled, clauses quoted from
the seeds, explanations in Chinese by default and English on request."""

from __future__ import annotations

import gettext
import pickle
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from builders import GraphBuilder
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from credgraph.i18n import (
    LOCALE_DIR,
    N_,
    TERMS,
    message_text,
    negotiate,
    parse_lang,
    term,
    using,
)
from credgraph.model import EnterpriseKind
from credgraph.policy import default_policy, load_policy
from credgraph.store import EmbeddedStore, GraphStore
from queries.explain import explain
from queries.propagation import flags_for_subjects

ROOT = Path(__file__).parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "credgraph.po"
#: pinyin glosses the seed 003 carries after some characters, e.g. 號(hào)
GLOSS = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]+\)")
DAY = date(2027, 1, 15)


def test_every_extracted_message_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "credgraph.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "T_:1c,2", "-k", "gettext", "--no-location", "-o", str(pot),
         "credgraph", "queries", "cli", "viz", "api"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    wanted = {(m.context, m.id) for m in read_po(pot.open("rb")) if m.id}
    catalog = read_po(PO.open("rb"))
    done = {(m.context, m.id) for m in catalog if m.id and m.string}
    assert len(wanted) > 150
    assert sorted(wanted - done, key=str) == []


def test_the_committed_mo_is_the_compiled_po() -> None:
    catalog = read_po(PO.open("rb"))
    compiled = gettext.translation("credgraph", LOCALE_DIR, languages=["zh_CN"])
    for m in catalog:
        if m.id and m.string:
            got = compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id)
            assert got == m.string, (m.context, m.id)


def test_official_chinese_terms_for_lists() -> None:
    official = "严重失信主体名单 失信被执行人 严重违法失信名单 经营异常名录 重点关注名单 红名单"
    assert [term("list", k, "zh") for k in TERMS["list"]] == official.split()
    assert term("verdict", "reject", "en") == "reject" and term("list", "nope", "zh") == "nope"


def test_the_explorer_catalog_uses_the_same_terms() -> None:
    text = (ROOT / "viz" / "static" / "js" / "messages.js").read_text("utf-8")
    pairs = re.findall(r'"(\w+)\.(\w+)": \{zh: "([^"]*)", en: "([^"]*)"\}', text)
    shared = [(k, c, zh) for k, c, zh, _ in pairs if k in TERMS and c in TERMS[k]]
    assert len(shared) > 20
    for kind, code, zh in shared:
        assert zh == term(kind, code, "zh"), (kind, code)


def test_languages_from_options_and_headers() -> None:
    assert parse_lang("zh-CN") == "zh" and parse_lang("en_GB") == "en" and parse_lang("fr") is None
    assert negotiate("en-US,en;q=0.9,zh;q=0.8") == "en"
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.1") == "zh"
    assert negotiate("fr;q=1, zh;q=0.5, en;q=0.4") == "zh"
    assert negotiate("de") is None and negotiate(None) is None


def seed_line(citation: str) -> str:
    doc, line = citation.split(":L")
    (path,) = SEEDS.glob(f"{doc}_*.txt")
    return GLOSS.sub("", path.read_text("utf-8").split("\n")[int(line) - 1])


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents (shared/seeds) are not here")
def test_every_quoted_clause_is_in_its_seed_line() -> None:
    clauses = default_policy().clauses
    assert len(clauses) >= 20
    for citation, quote in clauses.items():
        line = seed_line(citation)
        for part in quote.split("…"):
            assert part and part in line, (citation, part)


def test_every_citation_the_policy_uses_has_its_clause() -> None:
    data = yaml.safe_load((ROOT / "credgraph" / "policy.yaml").read_text("utf-8"))
    used: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "citation" and isinstance(child, str):
                    used.update(p.strip() for p in child.split(";"))
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(data)
    policy = default_policy()
    assert used and [c for c in sorted(used) if not policy.quotes(c)[0][1]] == []


def example_graph(tmp_path: Path) -> tuple[GraphStore, GraphBuilder]:
    """The issue's example: 董波, legal representative of a dishonest debtor,
    also a director of a kindergarten."""
    g = GraphBuilder()
    for key, name in (("迅豪", "深圳市迅豪塑胶制品有限公司"), ("腾美", "佛山市顺德区腾美幼儿园")):
        g.firm(key, kind=EnterpriseKind.OTHER if key == "腾美" else EnterpriseKind.COMPANY)
        g.batch.enterprises[-1] = g.batch.enterprises[-1].model_copy(update={"name": name})
    g.person("董波")
    g.rel("董波", "迅豪", "legal_representative", start="2020-01-01")
    g.rel("董波", "腾美", "executive", title="director", start="2021-01-01")
    g.entry("D1", "迅豪", "dishonest_debtor", "2026-10-28",
            authority="深圳市中级人民法院")  # fmt: skip
    store = EmbeddedStore(tmp_path / "store.db")
    store.upsert(g.batch)
    return store, g


def kindergarten_flag(store: GraphStore, g: GraphBuilder, lang: str) -> dict[str, object]:
    flags = [f.model_dump(mode="json") for f in flags_for_subjects(store, [g["腾美"]], DAY)]
    (flag,) = explain(store, flags, lang)  # type: ignore[arg-type]
    return flag  # type: ignore[no-any-return]


def test_a_related_enterprise_is_explained_in_one_sentence(tmp_path: Path) -> None:
    store, g = example_graph(tmp_path)
    zh = kindergarten_flag(store, g, "zh")
    assert zh["flag"] == "related_enterprise" and zh["rule"] == "P2"  # codes stay
    assert zh["label"] == "关联企业（失信被执行人）"
    assert zh["explanation"] == (
        "董波是深圳市迅豪塑胶制品有限公司（失信被执行人，2026-10-28 列入）的法定代表人，"
        "同时任佛山市顺德区腾美幼儿园的董事。"
    )
    assert (
        zh["clauses"][0]["citation"] == "001:L709"
        and "依法予以限制或者禁入" in zh["clauses"][0]["text"]
    )
    en = kindergarten_flag(store, g, "en")
    assert en["explanation"] == (
        "董波 is the legal representative of 深圳市迅豪塑胶制品有限公司 (dishonest judgment "
        "debtors, listed 2026-10-28) and also the director of 佛山市顺德区腾美幼儿园."
    )
    listed = explain(store, [f.model_dump(mode="json") for f in flags_for_subjects(
        store, [g["迅豪"]], DAY)], "zh")  # fmt: skip
    assert listed[0]["explanation"] == (
        "深圳市迅豪塑胶制品有限公司由深圳市中级人民法院于 2026-10-28 列入失信被执行人（条目 D1）。"
    )
    store.close()


def test_a_policy_change_changes_the_words(tmp_path: Path) -> None:
    store, g = example_graph(tmp_path)
    data = yaml.safe_load((ROOT / "credgraph" / "policy.yaml").read_text("utf-8"))
    data["explanations"]["flags"]["P2"]["zh"] = "{subject}经{person}与{source}关联。"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    policy = load_policy(path)
    assert policy.key() == default_policy().key()  # words change no flag
    flags = [f.model_dump(mode="json") for f in flags_for_subjects(store, [g["腾美"]], DAY)]
    explain(store, flags, "zh", policy)
    assert (
        flags[0]["explanation"] == "佛山市顺德区腾美幼儿园经董波与深圳市迅豪塑胶制品有限公司关联。"
    )
    store.close()


def test_the_cli_speaks_chinese_by_default_and_english_on_request(tmp_path: Path) -> None:
    store, g = example_graph(tmp_path)
    store.close()
    args = ["flags", "--subject", g["腾美"], "--as-of", DAY.isoformat(),
            "--store", str(tmp_path / "store.db")]  # fmt: skip
    runner = CliRunner()
    zh = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert zh.exit_code == 0, zh.output
    assert "关联企业" in zh.output and "说明" in zh.output and "同时任" in zh.output
    en = runner.invoke(app, ["--lang", "en", *args], env={"COLUMNS": "400"})
    assert en.exit_code == 0, en.output
    assert "related enterprise" in en.output and "explanation" in en.output
    assert "关联企业" not in en.output and "说明" not in en.output
    bad = runner.invoke(app, ["--lang", "fr", *args])
    assert bad.exit_code == 2 and bad.output == "错误：--lang 'fr'：请选择 zh 或 en\n"
    with using("en"):
        assert term("flag", "listed") == "listed"


def test_every_translation_keeps_the_placeholders_of_its_msgid() -> None:
    """A translation naming another placeholder would fail when shown: an error
    message must never become an error itself."""
    field = re.compile(r"\{[^{}]*\}")
    catalog = read_po(PO.open("rb"))
    with_fields = [m for m in catalog if m.id and field.search(str(m.id))]
    assert len(with_fields) > 100
    for m in with_fields:
        assert sorted(field.findall(str(m.id))) == sorted(field.findall(str(m.string))), m.id


@given(subject=st.text(max_size=30), wait=st.floats(0, 1e6, allow_nan=False))
def test_messages_are_english_text_and_translated_when_shown(subject: str, wait: float) -> None:
    message = N_("unknown subject {subject}", subject=subject)
    assert message == f"unknown subject {subject}" and message.text("en") == message
    assert message.text("zh") == f"未知主体 {subject}"
    budget = N_("key {name} is over its request budget; retry in {wait:.1f} s", name="k", wait=wait)
    assert budget.text("zh") == f"密钥 k 的请求次数已超出限额，请 {wait:.1f} 秒后重试"
    nested = N_("the {what} is neither UTF-8 nor GB18030 text", what=N_("bidder file"))
    assert nested == "the bidder file is neither UTF-8 nor GB18030 text"
    assert nested.text("zh") == "投标人文件既不是 UTF-8 也不是 GB18030 编码的文本"
    with using("zh"):
        assert message_text(ValueError(message)) == message.text("zh")
        assert message_text(ValueError("plain")) == "plain"
    assert pickle.loads(pickle.dumps(message)).text("zh") == message.text("zh")
