"""Ego networks (DESIGN §8 ``network``): as-of and ended relations, super-node
caps with ``hidden_neighbours``, flags on nodes, networkx and GraphML.

Upper case = firm, lower case = person; results are compared with names.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import GraphBuilder, make_uscc
from jsonschema import Draft202012Validator
from schemas import load_schema
from typer.testing import CliRunner

import queries.network as network_module
from cli.main import app
from credgraph.store import Direction, EmbeddedStore, GraphStore
from queries.errors import InvalidRequest, UnknownEntity
from queries.network import NetworkResult, ego_network, to_networkx

SCHEMA = load_schema("network")
VALIDATOR = Draft202012Validator(SCHEMA)
AS_OF = date(2025, 6, 1)


def shape(g: GraphBuilder, result: NetworkResult) -> dict[str, Any]:
    """Nodes as (name, hidden) and edges as "src role dst[ ended]"; checks the schema."""
    VALIDATOR.validate(result.model_dump(mode="json"))
    return {
        "nodes": [(g.name_of(n.id), n.hidden_neighbours) for n in result.nodes],
        "edges": [
            f"{g.name_of(e.source)} {e.role.value} {g.name_of(e.target)}"
            + (" ended" if e.ended else "")
            for e in result.edges
        ],
    }


def person_graph() -> GraphBuilder:
    """p represents A, directs B, holds 30 % of C; ended at D; joins E later."""
    g = GraphBuilder()
    for firm in "ABCDEF":
        g.firm(firm)
    g.person("p")
    g.person("q")
    g.rel("p", "A", "legal_representative")
    g.rel("p", "B", "executive", title="director")
    g.rel("p", "C", "shareholder", pct=30)
    g.rel("p", "D", "legal_representative", start="2018-01-01", end="2024-12-31")
    g.rel("p", "E", "executive", title="manager", start="2026-01-01")
    g.rel("A", "B", "shareholder", pct=60)
    g.rel("q", "A", "executive", title="supervisor")
    g.rel("A", "F", "shareholder", pct=100)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    return g


@pytest.fixture
def people(store: GraphStore) -> GraphBuilder:
    g = person_graph()
    store.upsert(g.batch)
    return g


def test_depth_one_active_relations(store: GraphStore, people: GraphBuilder) -> None:
    g = people
    assert shape(g, ego_network(store, g["p"], AS_OF)) == {
        "nodes": [("p", 0), ("A", 0), ("B", 0), ("C", 0)],
        # A's holding in B links two shown nodes: drawn too
        "edges": [
            "p legal_representative A",
            "p executive B",
            "p shareholder C",
            "A shareholder B",
        ],
    }


def test_include_ended_adds_ended_relations_never_future_ones(
    store: GraphStore, people: GraphBuilder
) -> None:
    g = people
    result = ego_network(store, g["p"], AS_OF, include_ended=True)
    assert shape(g, result) == {
        "nodes": [("p", 0), ("A", 0), ("B", 0), ("C", 0), ("D", 0)],
        "edges": [
            "p legal_representative A",
            "p executive B",
            "p shareholder C",
            "p legal_representative D ended",
            "A shareholder B",
        ],
    }
    ended = next(e for e in result.edges if e.ended)
    assert (ended.start_on, ended.end_on) == (date(2018, 1, 1), date(2024, 12, 31))
    # on 2026-02-01 E is active
    later = shape(g, ego_network(store, g["p"], date(2026, 2, 1)))
    assert later["nodes"] == [("p", 0), ("A", 0), ("B", 0), ("E", 0), ("C", 0)]


def test_depth_two(store: GraphStore, people: GraphBuilder) -> None:
    g = people
    assert shape(g, ego_network(store, g["p"], AS_OF, depth=2)) == {
        "nodes": [("p", 0), ("A", 0), ("B", 0), ("C", 0), ("q", 0), ("F", 0)],
        "edges": [
            "p legal_representative A",
            "p executive B",
            "p shareholder C",
            "q executive A",
            "A shareholder B",
            "A shareholder F",
        ],
    }


def test_flags_on_nodes(store: GraphStore, people: GraphBuilder) -> None:
    g = people
    result = ego_network(store, g["p"], AS_OF)
    flags = {
        g.name_of(n.id): sorted((f.flag.value, f.rule.value, f.entry_id) for f in n.flags)
        for n in result.nodes
    }
    assert flags == {
        "p": [("responsible_person", "P1", "E1")],
        "A": [("listed", "L0", "E1")],
        "B": [("related_enterprise", "P3", "E1")],  # A holds 60 % of B (and p directs it)
        "C": [],  # 30 % is below the control threshold
    }
    assert result.model_dump(mode="json")["nodes"][1]["flags"][0]["path"] == [g["A"]]


def hub_graph() -> GraphBuilder:
    """p represents H; H has eight shareholders s1..s8 holding 10..80 %."""
    g = GraphBuilder()
    g.firm("H")
    g.person("p")
    g.rel("p", "H", "legal_representative")
    for i in range(1, 9):
        g.person(f"s{i}")
        g.rel(f"s{i}", "H", "shareholder", pct=10 * i)
    return g


def test_super_node_cap_counts_hidden_neighbours(store: GraphStore) -> None:
    g = hub_graph()
    store.upsert(g.batch)
    # H shows p (already on the map, counts toward the cap) and its two largest holders
    assert shape(g, ego_network(store, g["p"], AS_OF, depth=2, limit=3)) == {
        "nodes": [("p", 0), ("H", 6), ("s8", 0), ("s7", 0)],
        "edges": ["p legal_representative H", "s7 shareholder H", "s8 shareholder H"],
    }
    # seen from H, the cap applies to the center too
    assert shape(g, ego_network(store, g["H"], AS_OF, limit=4))["nodes"] == [
        ("H", 5), ("p", 0), ("s8", 0), ("s7", 0), ("s6", 0),
    ]  # fmt: skip


def test_total_node_cap(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    g = hub_graph()
    store.upsert(g.batch)
    monkeypatch.setattr(network_module, "MAX_NODES", 5)
    assert shape(g, ego_network(store, g["p"], AS_OF, depth=2))["nodes"] == [
        ("p", 0), ("H", 5), ("s8", 0), ("s7", 0), ("s6", 0),
    ]  # fmt: skip


def test_depth_and_limit_bounds(store: GraphStore) -> None:
    g = GraphBuilder()
    for i in range(6):
        g.firm(f"F{i}")
    for i in range(5):
        g.rel(f"F{i}", f"F{i + 1}", "shareholder", pct=60)
    store.upsert(g.batch)
    assert [n for n, _ in shape(g, ego_network(store, g["F0"], AS_OF, depth=9))["nodes"]] == [
        "F0", "F1", "F2", "F3",
    ]  # fmt: skip
    with pytest.raises(InvalidRequest):
        ego_network(store, g["F0"], AS_OF, depth=0)
    with pytest.raises(InvalidRequest):
        ego_network(store, g["F0"], AS_OF, limit=0)
    with pytest.raises(UnknownEntity):
        ego_network(store, make_uscc(999), AS_OF)


class Recording:
    """A store proxy recording every ``expand`` call."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.calls: list[tuple[int, Direction]] = []

    def expand(self, ids: Any, direction: Direction, roles: Any = None, as_of: Any = None) -> Any:
        ids = list(ids)
        self.calls.append((len(ids), direction))
        return self.store.expand(ids, direction, roles, as_of)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_one_expand_per_level(store: GraphStore, people: GraphBuilder) -> None:
    rec = Recording(store)
    ego_network(rec, people["p"], AS_OF, depth=2)
    network_calls = [c for c in rec.calls if c[1] is Direction.BOTH]
    assert network_calls == [(1, Direction.BOTH), (3, Direction.BOTH), (2, Direction.BOTH)]


def test_to_networkx_and_graphml(store: GraphStore, people: GraphBuilder, tmp_path: Path) -> None:
    g = people
    graph = to_networkx(ego_network(store, g["p"], AS_OF, include_ended=True))
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 5
    assert graph.nodes[g["A"]] == {
        "type": "enterprise",
        "name": "A有限公司",
        "flags": "listed",
        "entry_ids": "E1",
        "hidden_neighbours": 0,
    }
    assert graph.edges[g["p"], g["D"], "legal_representative||2018-01-01"] == {
        "role": "legal_representative",
        "start_on": "2018-01-01",
        "end_on": "2024-12-31",
        "ended": True,
    }
    assert graph.edges[g["A"], g["B"], "shareholder||"]["share_pct"] == 60
    path = tmp_path / "p.graphml"
    nx.write_graphml(graph, path)
    back = nx.read_graphml(path)
    assert back.nodes[g["p"]]["flags"] == "responsible_person"


def test_cli_network(tmp_path: Path) -> None:
    g = person_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    runner = CliRunner()
    args = ["network", g["p"], "--store", str(db), "--as-of", "2025-06-01"]
    res = runner.invoke(app, [*args, "--format", "json", "--include-ended", "--depth", "2"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    VALIDATOR.validate(body)
    assert len(body["nodes"]) == 7
    html = tmp_path / "map.html"
    res = runner.invoke(app, [*args, "--html", str(html)])
    assert res.exit_code == 0, res.output
    assert html.read_text("utf-8").lstrip().lower().startswith("<!doctype html")
    assert "A有限公司" in res.stdout
    res = runner.invoke(app, ["--lang", "en", "network", "X!", "--store", str(db)])
    assert res.exit_code == 2 and "not a USCC" in res.stderr


def test_cli_html_without_viz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = person_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    monkeypatch.setitem(sys.modules, "viz.maps", None)  # as if viz were not installed
    res = CliRunner().invoke(app, ["network", g["p"], "--store", str(db), "--html", "m.html"])
    assert res.exit_code == 2 and "viz.maps" in res.stderr
