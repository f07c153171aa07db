"""Offline relationship maps (issue 8): self-contained, complete, coloured, fast."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from builders import GraphBuilder
from credit_graph import AS_OF, synthetic_network
from jsonschema import Draft202012Validator
from schemas import load_schema

from credgraph.i18n import using
from credgraph.store import GraphStore
from queries.explain import explain
from queries.network import ego_network
from viz.layout import box_size, overlapping_pairs
from viz.maps import build_network, render_map, script_json
from viz.style import PALETTE, Category

SCHEMA = load_schema("network")


def vis_data(html: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The nodes (by id) and edges the page hands to vis-network."""
    found = re.findall(r"new vis\.DataSet\((.*?)\);\n", html)
    assert len(found) == 2
    nodes, edges = (json.loads(x) for x in found)
    return {n["id"]: n for n in nodes}, edges


def small_network() -> dict[str, Any]:
    net = synthetic_network(60)
    net["nodes"][5]["name"] = "</script><script>alert(1)</script>"
    return net


def test_the_map_references_no_url_at_all() -> None:
    html = render_map(synthetic_network(60))
    assert not re.search(r"https?://|//cdn|\bcdn\.", html, re.IGNORECASE)
    assert not re.search(r"<(link|script)[^>]*\b(src|href)=", html, re.IGNORECASE)
    assert "bootstrap" not in html.lower()
    assert "vis.Network(" in html and len(html) > 400_000  # vis-network inlined


def test_every_node_and_relation_is_drawn() -> None:
    net = synthetic_network(60)
    assert not list(Draft202012Validator(SCHEMA).iter_errors(net))
    nodes, edges = vis_data(render_map(net))
    assert {n["id"] for n in net["nodes"]} <= set(nodes)
    drawn = {(e["from"], e["to"]) for e in edges}
    assert {(e["source"], e["target"]) for e in net["edges"]} <= drawn


def test_nodes_are_coloured_by_their_most_serious_flag(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    net = ego_network(store, g["A"], AS_OF, depth=3, include_ended=True)
    nodes, _ = vis_data(render_map(net))
    expected = {
        "A": Category.SEVERE,
        "张三": Category.RESPONSIBLE,
        "B": Category.RELATED,
        "C": Category.RELATED,
        "W": Category.WATCH,
        "G": Category.RED_LIST,
        "王五": Category.PERSON,
    }
    for name, category in expected.items():
        node = nodes[g[name]]
        assert node["category"] == category.value, name
        assert node["color"]["background"] == PALETTE[category].background, name
    assert nodes[g["A"]]["shape"] == "box" and nodes[g["张三"]]["shape"] == "ellipse"
    assert nodes[g["A"]]["borderWidth"] > nodes[g["B"]]["borderWidth"]  # the centre stands out


def test_ended_relations_are_dashed_and_labelled_by_role_and_share(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    net = ego_network(store, g["A"], AS_OF, depth=1, include_ended=True)
    _, edges = vis_data(render_map(net))  # zh-CN by default
    by_pair = {(e["from"], e["to"]): e for e in edges}
    ended = by_pair[(g["李四"], g["A"])]
    assert ended["dashes"] is True and ended["label"] == "董事"
    stake = by_pair[(g["A"], g["C"])]
    assert stake["dashes"] is False and stake["label"] == "股东 60%"
    assert by_pair[(g["张三"], g["A"])]["label"] == "法定代表人"
    with using("en"):
        _, edges = vis_data(render_map(net))
    by_pair = {(e["from"], e["to"]): e for e in edges}
    assert by_pair[(g["李四"], g["A"])]["label"] == "director"
    assert by_pair[(g["A"], g["C"])]["label"] == "shareholder 60%"
    assert by_pair[(g["张三"], g["A"])]["label"] == "legal representative"


def test_tooltips_name_the_id_and_every_flag_with_rule_and_entry(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    net = ego_network(store, g["A"], AS_OF)
    nodes, _ = vis_data(render_map(net))
    tip = nodes[g["张三"]]["title"]
    assert tip.startswith("张三\n自然人 · 证件号码 " + g["张三"])
    assert "责任人 — 严重失信主体名单 条目 E1（规则 P1；" in tip
    with using("en"):
        nodes, _ = vis_data(render_map(net))
    tip = nodes[g["张三"]]["title"]
    assert tip.startswith("张三\nperson · person id " + g["张三"])
    assert "responsible person — serious dishonesty list entry E1 (rule P1;" in tip
    assert f"USCC {g['A']}" in nodes[g["A"]]["title"]
    # an explained network (the API's and the CLI's) shows the sentence
    explained = explain(store, net.model_dump(mode="json"), "zh")
    nodes, _ = vis_data(render_map(explained))
    assert (
        "张三是A有限公司（严重失信主体名单，2024-03-01 列入）的法定代表人"
        in nodes[g["张三"]]["title"]
    )


def test_super_nodes_collapse_to_and_n_more() -> None:
    net = synthetic_network(120)
    nodes, edges = vis_data(render_map(net))
    supers = [n for n in net["nodes"] if n["hidden_neighbours"]]
    assert supers
    for node in supers:
        more = nodes[f"more:{node['id']}"]
        assert more["label"] == "另有 5 个" and more["parent"] == node["id"]
        assert (node["id"], more["id"]) in {(e["from"], e["to"]) for e in edges}


def test_chinese_names_render_and_markup_in_names_stays_text(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    html = render_map(small_network(), out)
    assert out.read_text("utf-8") == html
    assert '<meta charset="utf-8">' in html and "WenQuanYi Micro Hei" in html
    assert "深圳市中心科技有限公司" in html and "张伟3" in html
    assert "<script>alert(1)" not in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in html


def test_a_thousand_node_map_is_built_in_under_a_second() -> None:
    net = synthetic_network(1000)
    render_map(net)  # warm the inlined-asset cache
    start = time.perf_counter()
    html = render_map(net)
    elapsed = time.perf_counter() - start
    print(f"render_map, 1,000 nodes: {elapsed:.3f} s")  # the BENCHMARKS.md figure (pytest -s)
    nodes, _ = vis_data(html)
    assert len([n for n in nodes if not n.startswith("more:")]) == 1000
    assert elapsed < 1.0, f"{elapsed:.3f} s"
    # large maps: dots with short labels, a precomputed layout, physics frozen after
    assert all("x" in n and "y" in n for n in nodes.values())
    assert "setOptions({physics: false})" in html


def test_the_graph_model_is_pyvis_s_without_importing_pyvis() -> None:
    """MapModel draws what pyvis's Network would, dict for dict and key for
    key, for maps with "and N more" nodes, ended relations and an evidence
    path; a map process never imports pyvis (nor its IPython and networkx)."""
    from pyvis.network import Network

    net = synthetic_network(40)
    net["nodes"][1]["hidden_neighbours"] = 7  # a super-node
    net["edges"][0]["ended"] = True
    net["edges"][0]["end_on"] = "2024-01-01"
    evidence = [net["edges"][1]["source"], net["edges"][1]["target"]]
    for size_net in (net, synthetic_network(10), synthetic_network(400)):
        ours = build_network(size_net, evidence)
        theirs = build_network(size_net, evidence, model=Network)
        assert script_json(ours.nodes) == script_json(theirs.nodes)
        assert script_json(ours.edges) == script_json(theirs.edges)
        assert ours.options == theirs.options and ours.directed
    assert any(n["id"].startswith("more:") for n in build_network(net).nodes)
    code = "import viz.maps, sys; print('pyvis' in sys.modules, 'networkx' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_an_edge_to_a_node_not_on_the_map_is_refused() -> None:
    net = build_network(synthetic_network(10))
    with pytest.raises(ValueError, match="non existent node"):
        net.add_edge("P0", "nowhere")


def test_the_explorer_uses_the_same_colours() -> None:
    app_js = (Path(__file__).parents[2] / "viz" / "static" / "js" / "core.js").read_text("utf-8")
    for category, swatch in PALETTE.items():
        assert (
            f'{category.value}: {{background: "{swatch.background}", border: "{swatch.border}"'
            in app_js
        )


def drawn_boxes(html: str) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    nodes, _ = vis_data(html)
    pos = {i: (float(n["x"]), float(n["y"])) for i, n in nodes.items()}
    sizes = {
        i: box_size(n.get("label", ""), float(n["font"]["size"]), n["shape"])
        for i, n in nodes.items()
    }
    return pos, sizes


def test_maps_up_to_300_nodes_come_laid_out_without_overlap() -> None:
    for size in (40, 300):
        html = render_map(synthetic_network(size))
        pos, sizes = drawn_boxes(html)
        assert len(pos) >= size
        assert overlapping_pairs(pos, sizes) == [], size
        options = json.loads(re.search(r"var options = (\{.*?\});\n", html).group(1))
        assert options["physics"]["enabled"] is False  # drawn as laid out, nothing moves


def test_large_maps_name_their_top_nodes_only() -> None:
    net = synthetic_network(478)
    nodes, _ = vis_data(render_map(net))
    labelled = [i for i, n in nodes.items() if n.get("label") and not i.startswith("more:")]
    assert len(labelled) == 40
    assert net["center"] in labelled
    flagged = [str(n["id"]) for n in net["nodes"] if n["flags"]]
    assert set(flagged[:20]) <= set(labelled)  # flagged nodes rank before the rest


def test_the_evidence_path_of_the_centre_is_highlighted(
    loaded: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = loaded
    net = ego_network(store, g["B"], AS_OF, depth=2)
    nodes, edges = vis_data(render_map(net))
    on_path = {i for i, n in nodes.items() if n.get("evidence")}
    assert on_path == {g["A"], g["张三"], g["B"]}
    lit = {(e["from"], e["to"]) for e in edges if e.get("evidence")}
    assert lit == {(g["张三"], g["A"]), (g["张三"], g["B"])}
    assert all(e["color"] == "#d500f9" for e in edges if e.get("evidence"))
