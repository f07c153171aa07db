"""Equity penetration (DESIGN §8 ``ownership``): chains multiply, parallel
chains add up, circles are reported and never looped on, and the actual
controller is declared or found along the majority chain.

Upper case = firm, lower case = person; results are compared with names.
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

from cli.main import app
from credgraph.store import EmbeddedStore, GraphStore
from queries.errors import InvalidIdentifierError, InvalidRequest, UnknownEntity
from queries.ownership import OwnershipResult, ownership

SCHEMA = load_schema("ownership")
VALIDATOR = Draft202012Validator(SCHEMA)
AS_OF = date(2025, 6, 1)


def run(store: GraphStore, g: GraphBuilder, target: str, day: date = AS_OF, **kw: Any) -> Any:
    """The result with names for ids, after checking the schema."""
    result: OwnershipResult = ownership(store, g[target], day, **kw)
    body = result.model_dump(mode="json")
    VALIDATOR.validate(body)

    def names(ids: list[str]) -> str:
        return " ".join(g.name_of(i) for i in ids)

    ac = result.actual_controller
    return {
        "owners": [(g.name_of(o.id), o.type.value, o.pct, [names(p) for p in o.paths])
                   for o in result.owners],
        "ubos": [(g.name_of(u.person_id), u.pct) for u in result.ubos],
        "controller": (g.name_of(ac.id), ac.basis, names(ac.path)) if ac else None,
        "cycles": [names(c) for c in result.cycles],
        "holdings": [(g.name_of(h.uscc), h.pct, [names(p) for p in h.paths])
                     for h in result.holdings],
    }  # fmt: skip


def test_chains_multiply_and_parallel_chains_add_up(store: GraphStore) -> None:
    g = GraphBuilder()
    for firm in "TABUV":
        g.firm(firm)
    g.person("p")
    g.person("q")
    g.rel("p", "A", "shareholder", pct=60)
    g.rel("A", "T", "shareholder", pct=50)
    g.rel("p", "T", "shareholder", pct=10)
    g.rel("q", "B", "shareholder", pct=100)
    g.rel("B", "T", "shareholder", pct=40)
    g.rel("T", "U", "shareholder", pct=80)
    g.rel("U", "V", "shareholder", pct=60)
    g.rel("T", "V", "shareholder", pct=10)
    store.upsert(g.batch)
    assert run(store, g, "T") == {
        "owners": [
            ("A", "enterprise", 50.0, ["A T"]),
            ("p", "person", 40.0, ["p T", "p A T"]),
            ("q", "person", 40.0, ["q B T"]),
            ("B", "enterprise", 40.0, ["B T"]),
        ],
        "ubos": [("p", 40.0), ("q", 40.0)],
        # A holds exactly 50 %: no holder with strictly more, so no controller
        "controller": None,
        "cycles": [],
        "holdings": [
            ("U", 80.0, ["T U"]),
            ("V", 58.0, ["T V", "T U V"]),
        ],
    }


def test_ubo_threshold_and_two_decimals(store: GraphStore) -> None:
    g = GraphBuilder()
    for firm in "TAB":
        g.firm(firm)
    g.person("p")
    g.person("q")
    g.rel("p", "A", "shareholder", pct=50)
    g.rel("A", "T", "shareholder", pct=49.99)
    g.rel("q", "B", "shareholder", pct=33.333)
    g.rel("B", "T", "shareholder", pct=50.01)
    store.upsert(g.batch)
    out = run(store, g, "T")
    assert out["owners"] == [
        ("B", "enterprise", 50.01, ["B T"]),
        ("A", "enterprise", 49.99, ["A T"]),
        ("p", "person", 25.0, ["p A T"]),  # 24.995 rounds to 25.00: a UBO
        ("q", "person", 16.67, ["q B T"]),
    ]
    assert out["ubos"] == [("p", 25.0)]
    assert out["controller"] == ("B", "majority_chain", "B T")


def test_several_active_rows_add_up_and_ended_rows_do_not(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("T")
    g.person("p")
    g.rel("p", "T", "shareholder", pct=20, start="2020-01-01")
    g.rel("p", "T", "shareholder", pct=10, start="2023-01-01")
    g.rel("p", "T", "shareholder", pct=30, start="2019-01-01", end="2021-12-31")
    store.upsert(g.batch)
    assert run(store, g, "T")["ubos"] == [("p", 30.0)]
    assert run(store, g, "T", date(2022, 6, 1))["owners"] == [("p", "person", 20.0, ["p T"])]
    assert run(store, g, "T", date(2022, 6, 1))["ubos"] == []
    assert run(store, g, "T", date(2021, 6, 1))["ubos"] == [("p", 50.0)]
    assert run(store, g, "T", date(2018, 6, 1))["owners"] == []


def majority_graph() -> GraphBuilder:
    """p 60 % of A, A 70 % of B, B 51 % of T (x holds the other 49 %)."""
    g = GraphBuilder()
    for firm in "TAB":
        g.firm(firm)
    for person in "pxd":
        g.person(person)
    g.rel("p", "A", "shareholder", pct=60)
    g.rel("A", "B", "shareholder", pct=70)
    g.rel("B", "T", "shareholder", pct=51)
    g.rel("x", "T", "shareholder", pct=49)
    return g


def test_majority_chain_is_followed_to_the_top(store: GraphStore) -> None:
    g = majority_graph()
    store.upsert(g.batch)
    out = run(store, g, "T")
    assert out["controller"] == ("p", "majority_chain", "p A B T")
    assert out["owners"][:2] == [
        ("B", "enterprise", 51.0, ["B T"]),
        ("x", "person", 49.0, ["x T"]),
    ]
    assert ("p", "person", 21.42, ["p A B T"]) in out["owners"]
    assert out["ubos"] == [("x", 49.0)]


def test_majority_chain_stops_at_fifty_percent(store: GraphStore) -> None:
    g = GraphBuilder()
    for firm in "TMN":
        g.firm(firm)
    g.person("p")
    g.person("q")
    g.rel("M", "T", "shareholder", pct=51)
    g.rel("p", "M", "shareholder", pct=50)  # exactly half: not a majority
    g.rel("q", "M", "shareholder", pct=50)
    store.upsert(g.batch)
    assert run(store, g, "T")["controller"] == ("M", "majority_chain", "M T")


def test_declared_controller_beats_majority_chain(store: GraphStore) -> None:
    g = majority_graph()
    g.rel("d", "T", "actual_controller", start="2024-01-01")
    store.upsert(g.batch)
    assert run(store, g, "T")["controller"] == ("d", "declared", "d T")
    # before the declaration is active, the majority chain answers
    assert run(store, g, "T", date(2023, 6, 1))["controller"] == (
        "p", "majority_chain", "p A B T",
    )  # fmt: skip


def test_declared_controller_ended_is_ignored(store: GraphStore) -> None:
    g = majority_graph()
    g.rel("d", "T", "actual_controller", end="2024-12-31")
    store.upsert(g.batch)
    assert run(store, g, "T")["controller"] == ("p", "majority_chain", "p A B T")


def cycle_graph() -> GraphBuilder:
    """A → B → C → A (60, 55, 40 %) with p holding 60 % of A; T held by A."""
    g = GraphBuilder()
    for firm in "ABCT":
        g.firm(firm)
    g.person("p")
    g.rel("A", "B", "shareholder", pct=60)
    g.rel("B", "C", "shareholder", pct=55)
    g.rel("C", "A", "shareholder", pct=40)
    g.rel("p", "A", "shareholder", pct=60)
    g.rel("A", "T", "shareholder", pct=100)
    return g


def test_cycles_reported_with_finite_pct(store: GraphStore) -> None:
    g = cycle_graph()
    store.upsert(g.batch)
    out = run(store, g, "C")
    assert out == {
        "owners": [
            ("B", "enterprise", 55.0, ["B C"]),
            ("A", "enterprise", 33.0, ["A B C"]),
            ("p", "person", 19.8, ["p A B C"]),
        ],
        "ubos": [],
        "controller": ("p", "majority_chain", "p A B C"),
        # the queried firm first, in holding direction, closed
        "cycles": ["C A B C"],
        "holdings": [
            ("A", 40.0, ["C A"]),
            ("T", 40.0, ["C A T"]),
            ("B", 24.0, ["C A B"]),
        ],
    }
    # a firm outside the circle sees it from the smallest id
    below = run(store, g, "T")
    assert below["cycles"] == ["A B C A"]
    assert below["owners"] == [
        ("A", "enterprise", 100.0, ["A T"]),
        ("p", "person", 60.0, ["p A T"]),
        ("C", "enterprise", 40.0, ["C A T"]),
        ("B", "enterprise", 22.0, ["B C A T"]),
    ]


def test_majority_circle_stops_where_it_closes(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.rel("A", "B", "shareholder", pct=60)
    g.rel("B", "A", "shareholder", pct=60)
    store.upsert(g.batch)
    out = run(store, g, "A")
    assert out["controller"] == ("B", "majority_chain", "B A")
    assert out["cycles"] == ["A B A"]
    assert out["owners"] == [("B", "enterprise", 60.0, ["B A"])]
    assert out["holdings"] == [("B", 60.0, ["A B"])]


def test_max_depth_bounds_the_chains(store: GraphStore) -> None:
    g = GraphBuilder()
    for i in range(5):
        g.firm(f"F{i}")
    for i in range(4):
        g.rel(f"F{i + 1}", f"F{i}", "shareholder", pct=100)
    store.upsert(g.batch)
    assert [o[0] for o in run(store, g, "F0", max_depth=2)["owners"]] == ["F1", "F2"]
    assert run(store, g, "F0")["controller"] == ("F4", "majority_chain", "F4 F3 F2 F1 F0")
    assert run(store, g, "F0", max_depth=2)["controller"] == ("F2", "majority_chain", "F2 F1 F0")
    with pytest.raises(InvalidRequest):
        ownership(store, g["F0"], AS_OF, max_depth=0)


def test_refuses_persons_unknown_and_invalid(store: GraphStore) -> None:
    g = GraphBuilder()
    g.person("p")
    store.upsert(g.batch)
    with pytest.raises(InvalidRequest):
        ownership(store, g["p"], AS_OF)
    with pytest.raises(UnknownEntity):
        ownership(store, make_uscc(999), AS_OF)
    with pytest.raises(InvalidIdentifierError):
        ownership(store, "91441900000000999Z", AS_OF)


def test_cli_ownership(tmp_path: Path) -> None:
    g = cycle_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    runner = CliRunner()
    args = ["ownership", g["C"], "--store", str(db), "--as-of", "2025-06-01"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    VALIDATOR.validate(body)
    assert body["actual_controller"] == {
        "id": g["p"], "basis": "majority_chain", "path": [g["p"], g["A"], g["B"], g["C"]],
    }  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "循环持股" in res.stdout and "多数持股链" in res.stdout
    res = runner.invoke(app, ["--lang", "en", *args])
    assert res.exit_code == 0 and "circular ownership" in res.stdout
    assert "majority chain" in res.stdout and "循环" not in res.stdout
    res = runner.invoke(app, ["--lang", "en", "ownership", g["p"], "--store", str(db)])
    assert res.exit_code == 2 and "is a person" in res.stderr
