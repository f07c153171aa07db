"""The printable credit report (issue 8, item 3)."""

from __future__ import annotations

import re

from builders import GraphBuilder
from credit_graph import AS_OF

from credgraph.store import GraphStore
from queries.explain import explain
from queries.report import credit_report
from viz.report import render_report_html


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.DOTALL)
    assert found, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_report_of_a_listed_firm(loaded: tuple[GraphStore, GraphBuilder]) -> None:
    store, g = loaded
    html = render_report_html(credit_report(store, g["A"], AS_OF), lang="en")
    assert "<title>Credit report — A有限公司 — 2025-06-01</title>" in html
    history = section(html, "list-history")
    assert "E1 serious dishonesty list tax evasion 2024-03-01 — — active" in history
    assert "E0 abnormal operation list — 2019-01-01 — 2020-01-01 (repaired) removed" in history
    assert "listed serious dishonesty list E1 L0 003:L24" in section(html, "flags")
    measures = section(html, "measures")
    assert "public bidding reject listed · serious dishonesty list · E1" in measures
    assert "green channel not eligible" in measures
    ownership = section(html, "ownership")
    assert f"王五 {g['王五']} person 10.0 王五 → A有限公司" in ownership
    related = section(html, "related")
    assert f"张三 {g['张三']} person holds legal representative responsible person" in related
    assert f"C有限公司 {g['C']} enterprise is shareholder 60% related enterprise" in related


def test_report_of_a_person_has_the_evidence_path_by_name(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    body = credit_report(store, g["张三"], AS_OF).model_dump(mode="json")
    html = render_report_html(body, lang="en")
    flags = section(html, "flags")
    assert "responsible person serious dishonesty list E1 P1" in flags
    assert f"A有限公司 ({g['A']}) —legal representative→ 张三" in flags
    assert 'id="ownership"' not in html  # persons have no ownership section
    assert "appointment reject" in section(html, "measures")
    # in Chinese (the default), explained: the sentence, the terms, the quoted clause
    html = render_report_html(explain(store, body))
    assert '<html lang="zh-CN">' in html and "<title>信用报告 — 张三 — 2025-06-01</title>" in html
    flags = section(html, "flags")
    assert "责任人 张三是A有限公司（严重失信主体名单，2024-03-01 列入）的法定代表人" in flags
    assert "—法定代表人→ 张三" in flags
    assert "任职 否决" in section(html, "measures")
    assert "003:L24 “企事業單位、社會組織嚴重失信信息同步記入" in section(html, "clauses")
    assert 'title="企事業單位' in html  # the citation's tooltip


def test_a_raised_level_beside_green_channel_eligibility_says_why(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded  # B is related to A (its chairman 张三 is A's legal representative)
    body = explain(store, credit_report(store, g["B"], AS_OF).model_dump(mode="json"))
    assert body["level"]["level"] == "C"
    green = next(m for m in body["measures"] if m["scenario"] == "green_channel")
    assert green["verdict"] == "eligible"
    assert "绿色通道只看主体自身近 3 年内的负面记录" in body["level"]["note"]
    html = render_report_html(body)
    assert "B有限公司为 C 级，是因为它与严重失信主体存在关联" in section(html, "level")
    assert "所以仍符合绿色通道条件" in section(html, "measures")
    # a firm without a relation gets no such note
    plain = explain(store, credit_report(store, g["G"], AS_OF).model_dump(mode="json"))
    assert "note" not in plain["level"]


def test_report_is_printable_and_self_contained(loaded: tuple[GraphStore, GraphBuilder]) -> None:
    store, g = loaded
    html = render_report_html(credit_report(store, g["A"], AS_OF))
    assert "@media print" in html and "@page" in html
    assert not re.search(r"https?://|<script|<link", html, re.IGNORECASE)
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert svg and "张三" in svg.group(0) and "C有限公司" in svg.group(0)
    assert "#e53935" in svg.group(0)  # the listed subject in red
