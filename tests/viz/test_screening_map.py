"""The screening link map: no two boxes overlap, whatever the links."""

from __future__ import annotations

from itertools import combinations

from builders import make_rid, make_uscc
from hypothesis import given, settings
from hypothesis import strategies as st

from viz.screening_map import layout, render_svg

VERDICTS = ["reject", "review", "pass"]
NAME_CHARS = "公司甲乙丙丁ABC有限"


@st.composite
def screenings(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    n = draw(st.integers(2, 50))
    bidders = [
        {"uscc": make_uscc(i), "name": draw(st.text(NAME_CHARS, min_size=1, max_size=30)),
         "verdict": draw(st.sampled_from(VERDICTS))}
        for i in range(n)
    ]  # fmt: skip
    links = []
    for _ in range(draw(st.integers(0, 40))):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        middle = draw(st.lists(st.integers(1, 30), max_size=5, unique=True))
        ids = [make_uscc(a), *(make_rid(m) if m % 2 else make_uscc(1000 + m) for m in middle),
               make_uscc(b)]  # fmt: skip
        links.append({
            "a": ids[0], "b": ids[-1], "path": ids, "relations": ["shareholder"] * (len(ids) - 1),
            "names": [f"节点{i}" * draw(st.integers(1, 4)) for i in ids],
            "rule": draw(st.sampled_from(["same_principal", "control", "indicator"])),
        })  # fmt: skip
    return bidders, links


@settings(max_examples=60, deadline=None)
@given(screenings())
def test_no_two_nodes_overlap(data: tuple[list[dict], list[dict]]) -> None:  # type: ignore[type-arg]
    bidders, links = data
    link_map = layout(bidders, links)
    boxes = list(link_map.boxes.values())
    for one, other in combinations(boxes, 2):
        assert not one.overlaps(other, gap=0), (one, other)
    linked = {x["a"] for x in links} | {x["b"] for x in links}
    assert {b.id for b in boxes if b.kind == "bidder"} == linked
    assert link_map.unlinked == len(bidders) - len(linked)


def test_svg_is_escaped_and_coloured_by_verdict_and_rule() -> None:
    a, b, p = make_uscc(1), make_uscc(2), make_rid(3)
    bidders = [{"uscc": a, "name": "<b>甲</b>", "verdict": "reject"},
               {"uscc": b, "name": "乙公司", "verdict": "review"}]  # fmt: skip
    links = [{"a": a, "b": b, "path": [a, p, b], "names": ["<b>甲</b>", "李某", "乙公司"],
              "relations": ["legal_representative"] * 2, "rule": "same_principal"}]  # fmt: skip
    svg = str(render_svg(layout(bidders, links, {"legal_representative": "法定代表人"})))
    assert "&lt;b&gt;甲&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'data-verdict="reject"' in svg and 'data-kind="person"' in svg
    assert 'data-rule="same_principal"' in svg and "法定代表人" in svg
