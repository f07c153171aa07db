"""Graded "double random, one public" inspection plans (002:L21).

Draws are reproducible for a seed, sized ceil(ratio × count) per level, and
never give a firm an inspector linked to it in the graph.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest
from builders import GraphBuilder, make_rid, make_uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from credgraph.model import Batch, Enterprise, NodeKind, Person, Relation, Role
from credgraph.store import EmbeddedStore, GraphStore
from queries.errors import InvalidRequest
from queries.supervision import Inspector, inspection_plan, parse_ratios
from queries.supervision.plan import conflicts_for, sample_size
from queries.supervision.population import population_from_file, resolve_population

AS_OF = date(2025, 6, 1)
LR = "legal_representative"
RATIOS = {"A": 0.1, "B": 0.5, "C": 0.25, "D": 0.6}


def _population(g: GraphBuilder) -> dict[str, list[str]]:
    """5 D, 8 C, 20 A and 7 B firms."""
    levels: dict[str, list[str]] = {"D": [], "C": [], "A": [], "B": []}
    for i in range(5):
        levels["D"].append(g.firm(f"D{i}", region="东莞市"))
        g.entry(f"ED{i}", f"D{i}", "serious_dishonesty", "2024-03-01")
    for i in range(8):
        levels["C"].append(g.firm(f"C{i}", region="东莞市"))
        g.entry(f"EC{i}", f"C{i}", "key_attention", "2025-01-01")
    for i in range(20):
        levels["A"].append(g.firm(f"A{i}", region="深圳市" if i % 2 else "东莞市"))
    for i in range(7):
        levels["B"].append(g.firm(f"B{i}", region="东莞市"))
        g.entry(f"EB{i}", f"B{i}", "abnormal_operation", "2023-01-01", removed="2024-01-01")
    return levels


@pytest.fixture
def graph(store: GraphStore) -> tuple[GraphStore, GraphBuilder, dict[str, list[str]]]:
    g = GraphBuilder()
    levels = _population(g)
    store.upsert(g.batch)
    return store, g, levels


INSPECTORS = [Inspector(name=f"检查员{i}") for i in range(6)]


def _all(levels: dict[str, list[str]]) -> list[str]:
    return [u for firms in levels.values() for u in firms]


def test_sample_size_is_ceil_on_the_written_ratio() -> None:
    assert sample_size(0.1, 30) == 3  # not 4 from 0.1 * 30 = 3.0000000000000004
    assert sample_size(0.05, 7) == 1
    assert sample_size(0.02, 1) == 1
    assert sample_size(0.0, 50) == 0
    assert sample_size(1.0, 5) == 5
    assert sample_size(0.5, 0) == 0


def test_exact_counts_per_level_for_a_seed(graph: tuple) -> None:
    store, _, levels = graph
    plan = inspection_plan(store, _all(levels), INSPECTORS, RATIOS, 7, AS_OF)
    summary = {s.level: (s.population, s.drawn, s.ratio) for s in plan.summary}
    assert summary == {
        "D": (5, 3, 0.6),  # ceil(3.0)
        "C": (8, 2, 0.25),  # ceil(2.0)
        "A": (20, 2, 0.1),  # ceil(2.0)
        "B": (7, 4, 0.5),  # ceil(3.5)
    }
    assert [s.level for s in plan.summary] == ["D", "C", "A", "B"]
    drawn: dict[str, list[str]] = {}
    for i in plan.inspections:
        drawn.setdefault(i.level, []).append(i.uscc)
        assert i.uscc in levels[i.level]
        assert len(i.inspectors) == 2 and len(set(i.inspectors)) == 2
        assert i.shortfall == 0
    assert {k: len(v) for k, v in drawn.items()} == {"D": 3, "C": 2, "A": 2, "B": 4}
    # workload is balanced: 11 firms × 2 inspectors over 6 inspectors
    load = [sum(n in i.inspectors for i in plan.inspections) for n in (x.name for x in INSPECTORS)]
    assert max(load) - min(load) <= 1


def test_reproducible_for_a_seed_and_order_free(graph: tuple) -> None:
    store, _, levels = graph
    firms = _all(levels)
    first = inspection_plan(store, firms, INSPECTORS, RATIOS, 42, AS_OF)
    again = inspection_plan(
        store, list(reversed(firms)), list(reversed(INSPECTORS)), RATIOS, 42, AS_OF
    )
    assert first == again
    others = [inspection_plan(store, firms, INSPECTORS, RATIOS, s, AS_OF) for s in (1, 2, 3)]
    assert any(
        [i.uscc for i in o.inspections] != [i.uscc for i in first.inspections] for o in others
    )


def test_default_ratios_and_skipped_ids(graph: tuple) -> None:
    store, g, levels = graph
    person = g.person("p")
    store.upsert(g.batch)
    population = [*_all(levels), "not-a-uscc", make_uscc(990), person]
    plan = inspection_plan(store, population, INSPECTORS, None, 1, AS_OF)
    assert {s.level: s.drawn for s in plan.summary} == {"D": 1, "C": 1, "A": 1, "B": 1}
    assert plan.ratios == {"D": 0.2, "C": 0.1, "A": 0.02, "B": 0.05}
    assert [s.id for s in plan.skipped] == ["NOT-A-USCC", make_uscc(990), person]
    assert [s.reason for s in plan.skipped][1:] == [
        "not in the store",
        "a person, not an enterprise",
    ]
    assert plan.skipped[0].reason.startswith("invalid USCC: ")


def test_inspectors_must_be_distinct(graph: tuple) -> None:
    store, _, levels = graph
    twice = [Inspector(name="甲"), Inspector(name="甲")]
    with pytest.raises(InvalidRequest, match="unique"):
        inspection_plan(store, _all(levels), twice, None, 1, AS_OF)
    one_person = [
        Inspector(name="甲", person_id=make_rid(5)),
        Inspector(name="乙", person_id=make_rid(5)),
    ]
    with pytest.raises(InvalidRequest, match="several inspectors"):
        inspection_plan(store, _all(levels), one_person, None, 1, AS_OF)


def test_parse_ratios() -> None:
    assert parse_ratios("A=0.02,B=0.05,C=0.10,D=0.20") == {"D": 0.2, "C": 0.1, "A": 0.02, "B": 0.05}
    assert parse_ratios("D=1") == {"D": 1.0, "C": 0.1, "A": 0.02, "B": 0.05}
    for bad in ("E=0.1", "A=x", "A=1.5", "A"):
        with pytest.raises(InvalidRequest):
            parse_ratios(bad)


def _conflict_graph() -> GraphBuilder:
    """F ← p (LR); F ← q (shareholder) → G ← r (executive); G ← s → H ← t (depth 4)."""
    g = GraphBuilder()
    g.firm("F")
    g.firm("G")
    g.firm("H")
    g.person("p")
    g.person("q")
    g.person("r")
    g.person("s")
    g.person("t")
    g.person("old")
    g.person("gone")
    g.person("王伟")
    g.rel("p", "F", LR)
    g.rel("q", "F", "shareholder", pct=30)
    g.rel("q", "G", "shareholder", pct=10)
    g.rel("r", "G", "executive", title="manager")
    g.rel("s", "G", "shareholder", pct=5)
    g.rel("s", "H", "shareholder", pct=5)
    g.rel("t", "H", LR)
    g.rel("old", "F", "executive", title="director", start="2015-01-01", end="2024-01-01")
    g.rel("gone", "F", "executive", title="director", start="2010-01-01", end="2019-01-01")
    g.rel("王伟", "G", "executive", title="supervisor")
    return g


def test_conflicts_with_evidence_paths(store: GraphStore) -> None:
    g = _conflict_graph()
    store.upsert(g.batch)
    staff = [
        Inspector(name="P", person_id=g["p"]),
        Inspector(name="R", person_id=g["r"]),
        Inspector(name="T", person_id=g["t"]),
        Inspector(name="OLD", person_id=g["old"]),
        Inspector(name="GONE", person_id=g["gone"]),
        Inspector(name="王伟"),  # no person_id: matched by name
        Inspector(name="李娜"),  # nobody of that name
        Inspector(name="X", person_id=make_rid(700)),  # not in the graph
    ]
    found = conflicts_for(store, [g["F"]], staff, AS_OF)[g["F"]]
    assert sorted(found) == ["OLD", "P", "R", "王伟"]
    p = found["P"]
    assert (p.kind, p.basis, p.path, p.relations) == (
        "role_in_firm",
        "person_id",
        [g["F"], g["p"]],
        [LR],
    )
    r = found["R"]
    assert (r.kind, r.path, r.relations) == (
        "role_in_related_firm",
        [g["F"], g["q"], g["G"], g["r"]],
        ["shareholder", "shareholder", "executive"],
    )
    assert found["王伟"].basis == "same_name"
    assert found["王伟"].path == [g["F"], g["q"], g["G"], g["王伟"]]
    # ended 2024-01-01: within 3 years of as_of, still a conflict; 2019: not any more
    assert found["OLD"].kind == "role_in_firm"


def test_plan_never_assigns_a_conflicted_inspector(store: GraphStore, tmp_path: Path) -> None:
    g = _conflict_graph()
    store.upsert(g.batch)
    staff = [
        Inspector(name="P", person_id=g["p"]),
        Inspector(name="R", person_id=g["r"]),
        Inspector(name="T", person_id=g["t"]),
    ]
    plan = inspection_plan(store, [g["F"]], staff, {"A": 1.0}, 3, AS_OF, per_firm=2)
    (firm,) = plan.inspections
    assert firm.inspectors == ["T"]
    assert firm.shortfall == 1
    assert firm.conflicts_avoided == 2
    assert [(c.inspector, c.kind) for c in plan.conflicts] == [
        ("P", "role_in_firm"),
        ("R", "role_in_related_firm"),
    ]


def test_population_from_file_and_filter(graph: tuple, tmp_path: Path) -> None:
    store, _, levels = graph
    lines = tmp_path / "pop.txt"
    lines.write_text(f"# firms\n{levels['A'][0].lower()}\n\n{levels['D'][0]}\n", "utf-8")
    assert population_from_file(lines) == [levels["A"][0], levels["D"][0]]
    table = tmp_path / "pop.csv"
    table.write_text(f"name,uscc\nx,{levels['A'][1]}\ny,{levels['B'][0]}\n", "utf-8-sig")
    assert resolve_population(store, str(table)) == [levels["A"][1], levels["B"][0]]
    assert len(resolve_population(store, "all")) == 40
    assert len(resolve_population(store, "region=东莞市")) == 30
    assert len(resolve_population(store, "region=深圳,kind=company")) == 10
    for bad in ("colour=red", "nonsense"):
        with pytest.raises(InvalidRequest):
            resolve_population(store, bad)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "cli.db")
    yield store
    store.close()


def test_cli_inspection_plan(embedded: EmbeddedStore, tmp_path: Path) -> None:
    from cli.main import app

    g = _conflict_graph()
    _population(g)
    embedded.upsert(g.batch)
    inspectors = tmp_path / "inspectors.csv"
    inspectors.write_text(f"name,person_id,unit\nP,{g['p']},市场监管\n甲,,\n乙,,\n丙,,\n", "utf-8")
    out = tmp_path / "plan.csv"
    args = [
        "inspection-plan",
        "--population",
        "region=东莞市",
        "--inspectors",
        str(inspectors),
        "--ratios",
        "A=0.02,B=0.05,C=0.10,D=0.20",
        "--seed",
        "5",
        "--out",
        str(out),
        "--store",
        embedded.path,
        "--as-of",
        "2025-06-01",
    ]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert {s["level"]: s["drawn"] for s in plan["summary"]} == {"D": 1, "C": 1, "A": 1, "B": 1}
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["uscc"] for r in rows] == [i["uscc"] for i in plan["inspections"]]
    assert set(rows[0]) >= {"uscc", "name", "level", "inspectors"}
    assert (tmp_path / "plan.conflicts.csv").exists()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0
    assert "合计" in again.stdout and "已写入 4 项检查任务" in again.stderr
    assert list(csv.DictReader(out.open(encoding="utf-8-sig"))) == rows


# -- property: no conflicted inspector is ever assigned ---------------------------
ROLES = ["legal_representative", "executive", "shareholder", "actual_controller"]
ENDS = [None, date(2024, 6, 1), date(2019, 1, 1)]  # open, recently ended, long ended


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Batch, list[Inspector]]:
    """Random small graphs; persons named 人0..人2 (namesakes on purpose);
    inspectors that are persons of the graph, names only, or outsiders."""
    firms = [make_uscc(i + 1) for i in range(draw(st.integers(2, 8)))]
    persons = [make_rid(100 + j) for j in range(draw(st.integers(1, 8)))]
    batch = Batch(
        enterprises=[Enterprise(uscc=u, name=f"F{i}") for i, u in enumerate(firms)],
        persons=[Person(person_id=p, name=f"人{j % 3}") for j, p in enumerate(persons)],
    )
    for _ in range(draw(st.integers(0, 14))):
        target = draw(st.sampled_from(firms))
        if draw(st.booleans()):
            source, kind, role = (
                draw(st.sampled_from(persons)),
                NodeKind.PERSON,
                draw(st.sampled_from(ROLES)),
            )
        else:
            source, kind, role = draw(st.sampled_from(firms)), NodeKind.ENTERPRISE, "shareholder"
            if source == target:
                continue
        batch.relations.append(
            Relation(
                source_id=source,
                source_type=kind,
                target_uscc=target,
                role=Role(role),
                share_pct=10.0 if role == "shareholder" else None,
                start_on=date(2018, 1, 1),
                end_on=draw(st.sampled_from(ENDS)),
            )
        )
    # one relation per identity, the last one winning, as in the store
    batch.relations = list({r.identity: r for r in batch.relations}.values())
    inspectors: dict[str, Inspector] = {}
    for i in range(draw(st.integers(1, 6))):
        kind_of = draw(st.sampled_from(["person", "name", "outsider"]))
        if kind_of == "person":
            inspectors[f"I{i}"] = Inspector(name=f"I{i}", person_id=draw(st.sampled_from(persons)))
        elif kind_of == "name":
            name = f"人{draw(st.integers(0, 3))}"
            inspectors[name] = Inspector(name=name)
        else:
            inspectors[f"I{i}"] = Inspector(name=f"I{i}", person_id=make_rid(900 + i))
    # one inspector per person, as inspection_plan requires
    by_person = {i.person_id or i.name: i for i in inspectors.values()}
    return batch, list(by_person.values())


def _oracle(batch: Batch, inspector: Inspector, firm: str) -> bool:
    """Conflict by brute force: a matching person within 3 hops (depth 2 + 1)
    over relations started by as_of and not ended more than 3 years before."""
    graph = nx.Graph()
    graph.add_nodes_from(e.uscc for e in batch.enterprises)
    graph.add_nodes_from(p.person_id for p in batch.persons)
    for r in batch.relations:
        if r.end_on is None or r.end_on >= date(2022, 6, 1):
            graph.add_edge(r.source_id, r.target_uscc)
    if inspector.person_id:
        people = [inspector.person_id] if inspector.person_id in graph else []
    else:
        people = [p.person_id for p in batch.persons if p.name == inspector.name]
    return any(
        nx.has_path(graph, firm, p) and nx.shortest_path_length(graph, firm, p) <= 3 for p in people
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), seed=st.integers(0, 10_000), per_firm=st.integers(1, 3))
def test_property_no_conflicted_inspector_is_assigned(
    world: tuple[Batch, list[Inspector]], seed: int, per_firm: int
) -> None:
    batch, staff = world
    firms = [e.uscc for e in batch.enterprises]
    every = dict.fromkeys("ABCD", 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "p.db")
        try:
            store.upsert(batch)
            plan = inspection_plan(store, firms, staff, every, seed, AS_OF, per_firm=per_firm)
        finally:
            store.close()
    by_name = {i.name: i for i in staff}
    assert sorted(i.uscc for i in plan.inspections) == sorted(firms)
    for item in plan.inspections:
        for name in item.inspectors:
            assert not _oracle(batch, by_name[name], item.uscc), (item.uscc, name)
        conflicted = {c.inspector for c in plan.conflicts if c.uscc == item.uscc}
        assert conflicted == {n for n, i in by_name.items() if _oracle(batch, i, item.uscc)}
        assert len(item.inspectors) + item.shortfall == per_firm
        assert item.shortfall == max(0, per_firm - (len(staff) - len(conflicted)))
    edges = {frozenset((r.source_id, r.target_uscc)) for r in batch.relations}
    for c in plan.conflicts:
        assert c.path[0] == c.uscc and len(c.path) <= 4
        assert all(frozenset(pair) in edges for pair in pairwise(c.path))
