"""Shortest evidence paths (DESIGN §8 ``paths``): order, as-of, depth, hubs.

Upper case = firm, lower case = person. Paths are written with names, hops
separated by spaces, and every result validates against the shared schema.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import GraphBuilder, make_uscc
from jsonschema import Draft202012Validator
from schemas import load_schema
from typer.testing import CliRunner

import queries.paths as paths_module
from cli.main import app
from credgraph.store import Direction, EmbeddedStore, GraphStore
from queries.errors import InvalidIdentifierError, InvalidRequest, UnknownEntity
from queries.paths import PathsResult, find_paths

SCHEMA = load_schema("paths")
VALIDATOR = Draft202012Validator(SCHEMA)
AS_OF = date(2025, 6, 1)


def named(g: GraphBuilder, result: PathsResult) -> list[tuple[str, str]]:
    """Paths as ("A p B", "legal_representative executive") rows; checks the schema."""
    VALIDATOR.validate(result.model_dump(mode="json"))
    return [(" ".join(g.name_of(n) for n in p.nodes), " ".join(p.relations)) for p in result.paths]


def evidence_graph() -> GraphBuilder:
    """A and B linked through p, q, X and (via C) p again; r's roles ended."""
    g = GraphBuilder()
    for firm in "ABCX":
        g.firm(firm)
    for person in "pqrs":
        g.person(person)
    g.rel("p", "A", "legal_representative")
    g.rel("p", "B", "executive", title="director")
    g.rel("q", "A", "executive", title="manager")
    g.rel("q", "B", "shareholder", pct=10)
    g.rel("A", "X", "shareholder", pct=60)
    g.rel("X", "B", "shareholder", pct=40)
    g.rel("p", "C", "legal_representative")
    g.rel("C", "B", "branch_of")
    # r represented both until the end of 2024: not a path on AS_OF
    g.rel("r", "A", "legal_representative", end="2024-12-31")
    g.rel("r", "B", "legal_representative", end="2024-12-31")
    # s joins B only after AS_OF
    g.rel("s", "A", "legal_representative")
    g.rel("s", "B", "legal_representative", start="2025-07-01")
    return g


@pytest.fixture
def evidence(store: GraphStore) -> GraphBuilder:
    g = evidence_graph()
    store.upsert(g.batch)
    return g


def test_shortest_first_then_strongest_roles(store: GraphStore, evidence: GraphBuilder) -> None:
    g = evidence
    result = find_paths(store, g["A"], g["B"], AS_OF, limit=10)
    assert named(g, result) == [
        ("A p B", "legal_representative executive"),
        ("A q B", "executive shareholder"),
        ("A X B", "shareholder shareholder"),
        ("A p C B", "legal_representative legal_representative branch_of"),
    ]
    assert result.model_dump(mode="json")["from"] == g["A"]
    assert result.model_dump(mode="json")["to"] == g["B"]
    assert result.max_depth == 6


def test_limit_keeps_the_best(store: GraphStore, evidence: GraphBuilder) -> None:
    g = evidence
    assert named(g, find_paths(store, g["A"], g["B"], AS_OF, limit=2)) == [
        ("A p B", "legal_representative executive"),
        ("A q B", "executive shareholder"),
    ]


def test_ended_relations_count_only_while_active(store: GraphStore, evidence: GraphBuilder) -> None:
    g = evidence
    # on 2024-06-01 r still represents A and B: the strongest two-hop path
    assert named(g, find_paths(store, g["A"], g["B"], date(2024, 6, 1), limit=2)) == [
        ("A r B", "legal_representative legal_representative"),
        ("A p B", "legal_representative executive"),
    ]
    # after s joins B (2025-07-01) s links them too
    assert named(g, find_paths(store, g["A"], g["B"], date(2025, 7, 1), limit=1)) == [
        ("A s B", "legal_representative legal_representative"),
    ]


def test_direction_is_ignored_and_role_preferred(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.person("p")
    # p holds A and represents it: the hop is reported as legal_representative
    g.rel("p", "A", "shareholder", pct=70)
    g.rel("p", "A", "legal_representative")
    g.rel("p", "B", "actual_controller")
    store.upsert(g.batch)
    assert named(g, find_paths(store, g["B"], g["A"], AS_OF)) == [
        ("B p A", "actual_controller legal_representative"),
    ]


def test_max_depth_bounds_the_paths(store: GraphStore, evidence: GraphBuilder) -> None:
    g = evidence
    assert named(g, find_paths(store, g["A"], g["B"], AS_OF, max_depth=1)) == []
    assert named(g, find_paths(store, g["A"], g["C"], AS_OF, max_depth=2, limit=10)) == [
        ("A p C", "legal_representative legal_representative"),
    ]
    assert named(g, find_paths(store, g["A"], g["C"], AS_OF, max_depth=3, limit=10)) == [
        ("A p C", "legal_representative legal_representative"),
        ("A p B C", "legal_representative executive branch_of"),
        ("A q B C", "executive shareholder branch_of"),
        ("A X B C", "shareholder shareholder branch_of"),
    ]


def chain(store: GraphStore, n: int) -> GraphBuilder:
    g = GraphBuilder()
    for i in range(n + 1):
        g.firm(f"F{i}")
    for i in range(n):
        g.rel(f"F{i}", f"F{i + 1}", "shareholder", pct=51)
    g.firm("Z")  # unconnected
    store.upsert(g.batch)
    return g


def test_no_path_within_k_is_an_answer(store: GraphStore) -> None:
    g = chain(store, 7)
    assert named(g, find_paths(store, g["F0"], g["F7"], AS_OF)) == []
    assert named(g, find_paths(store, g["F0"], g["F7"], AS_OF, max_depth=7)) == [
        ("F0 F1 F2 F3 F4 F5 F6 F7", " ".join(["shareholder"] * 7)),
    ]
    assert named(g, find_paths(store, g["F0"], g["Z"], AS_OF)) == []


def test_bounds_are_validated_and_capped(store: GraphStore) -> None:
    g = chain(store, 2)
    assert find_paths(store, g["F0"], g["F2"], AS_OF, max_depth=99).max_depth == 10
    with pytest.raises(InvalidRequest):
        find_paths(store, g["F0"], g["F2"], AS_OF, max_depth=0)
    with pytest.raises(InvalidRequest):
        find_paths(store, g["F0"], g["F2"], AS_OF, limit=0)
    assert named(g, find_paths(store, g["F1"], g["F1"], AS_OF)) == [("F1", "")]


def test_ids_are_normalised_unknown_and_invalid_refused(store: GraphStore) -> None:
    g = chain(store, 1)
    result = find_paths(store, f" {g['F0'].lower()} ", g["F1"], AS_OF)
    assert named(g, result) == [("F0 F1", "shareholder")]
    with pytest.raises(UnknownEntity):
        find_paths(store, g["F0"], make_uscc(999), AS_OF)
    with pytest.raises(InvalidIdentifierError):
        find_paths(store, g["F0"], g["F1"][:-1] + ("0" if g["F1"][-1] != "0" else "1"), AS_OF)
    with pytest.raises(InvalidIdentifierError):
        find_paths(store, "not an id!", g["F1"], AS_OF)


def hub_graph(store: GraphStore) -> GraphBuilder:
    """A holds H; H holds K and five others; K holds B. H is a hub at cap 3."""
    g = GraphBuilder()
    for firm in ["A", "H", "K", "B", "L1", "L2", "L3", "L4", "L5"]:
        g.firm(firm)
    g.rel("A", "H", "shareholder", pct=30)
    g.rel("H", "K", "shareholder", pct=30)
    g.rel("K", "B", "shareholder", pct=30)
    for i in range(1, 6):
        g.rel("H", f"L{i}", "shareholder", pct=30)
    store.upsert(g.batch)
    return g


def test_hubs_are_not_expanded(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    g = hub_graph(store)
    expected = [("A H K B", "shareholder shareholder shareholder")]
    assert named(g, find_paths(store, g["A"], g["B"], AS_OF, max_depth=3)) == expected
    monkeypatch.setattr(paths_module, "HUB_DEGREE", 3)
    # reaching K through H would need H expanded: not within three levels
    assert named(g, find_paths(store, g["A"], g["B"], AS_OF, max_depth=3)) == []
    # one more level: B's side reaches H from K, and the sides meet at the hub
    assert named(g, find_paths(store, g["A"], g["B"], AS_OF, max_depth=4)) == expected
    # a hub is still an endpoint
    assert named(g, find_paths(store, g["H"], g["B"], AS_OF)) == [
        ("H K B", "shareholder shareholder")
    ]


class Recording:
    """A store proxy recording every ``expand`` call."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.calls: list[tuple[list[str], Direction, date | None]] = []

    def expand(self, ids: Any, direction: Direction, roles: Any = None, as_of: Any = None) -> Any:
        ids = list(ids)
        self.calls.append((ids, direction, as_of))
        return self.store.expand(ids, direction, roles, as_of)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_one_expand_per_level_bidirectional(store: GraphStore) -> None:
    g = chain(store, 6)
    rec = Recording(store)
    result = find_paths(rec, g["F0"], g["F6"], AS_OF)
    assert len(result.paths) == 1
    # six levels in all, alternating sides: each side expands three times
    assert [len(ids) for ids, _, _ in rec.calls] == [1] * 6
    assert {(d, a) for _, d, a in rec.calls} == {(Direction.BOTH, AS_OF)}
    firsts = [g.name_of(ids[0]) for ids, _, _ in rec.calls]
    assert firsts == ["F0", "F6", "F1", "F5", "F2", "F4"]


def test_cli_paths(tmp_path: Path) -> None:
    g = evidence_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    runner = CliRunner()
    args = ["paths", g["A"], g["B"], "--store", str(db), "--as-of", "2025-06-01"]
    res = runner.invoke(app, [*args, "--format", "json", "--limit", "2"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    VALIDATOR.validate(body)
    assert [len(p["nodes"]) for p in body["paths"]] == [3, 3]
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "A有限公司" in res.stdout
    res = runner.invoke(app, ["--lang", "en", *args[:2], make_uscc(999), *args[3:]])
    assert res.exit_code == 2 and "no enterprise or person" in res.stderr
    res = runner.invoke(app, [*args, "--max-depth", "1"])
    assert res.exit_code == 0 and "1 步以内没有路径" in res.stderr
    res = runner.invoke(app, ["--lang", "en", *args, "--max-depth", "1"])
    assert res.exit_code == 0 and "no path within 1" in res.stderr
