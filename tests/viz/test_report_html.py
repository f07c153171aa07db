"""The printable credit report (issue 8, item 3)."""

from __future__ import annotations

import re

from builders import GraphBuilder
from credit_graph import AS_OF

from credgraph.store import GraphStore
from queries.report import credit_report
from viz.report import render_report_html


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.DOTALL)
    assert found, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_report_of_a_listed_firm(loaded: tuple[GraphStore, GraphBuilder]) -> None:
    store, g = loaded
    html = render_report_html(credit_report(store, g["A"], AS_OF))
    assert "<title>Credit report — A有限公司 — 2025-06-01</title>" in html
    history = section(html, "list-history")
    assert "E1 serious dishonesty tax evasion 2024-03-01 — — active" in history
    assert "E0 abnormal operation — 2019-01-01 — 2020-01-01 (repaired) removed" in history
    assert "listed serious dishonesty E1 L0 003:L24" in section(html, "flags")
    measures = section(html, "measures")
    assert "public bidding reject listed · serious dishonesty · E1" in measures
    assert "green channel not eligible" in measures
    ownership = section(html, "ownership")
    assert f"王五 {g['王五']} person 10.0 王五 → A有限公司" in ownership
    related = section(html, "related")
    assert f"张三 {g['张三']} person holds legal rep. responsible person" in related
    assert f"C有限公司 {g['C']} enterprise is shareholder 60% related enterprise" in related


def test_report_of_a_person_has_the_evidence_path_by_name(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    html = render_report_html(credit_report(store, g["张三"], AS_OF).model_dump(mode="json"))
    flags = section(html, "flags")
    assert "responsible person serious dishonesty E1 P1" in flags
    assert f"A有限公司 ({g['A']}) —legal representative→ 张三" in flags
    assert 'id="ownership"' not in html  # persons have no ownership section
    assert "appointment reject" in section(html, "measures")


def test_report_is_printable_and_self_contained(loaded: tuple[GraphStore, GraphBuilder]) -> None:
    store, g = loaded
    html = render_report_html(credit_report(store, g["A"], AS_OF))
    assert "@media print" in html and "@page" in html
    assert not re.search(r"https?://|<script|<link", html, re.IGNORECASE)
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert svg and "张三" in svg.group(0) and "C有限公司" in svg.group(0)
    assert "#e53935" in svg.group(0)  # the listed subject in red
