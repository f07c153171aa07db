"""The store contract of a full propagation's reads and writes, on both
backends (the ``store`` fixture): relations and entries as plain columns
(``relation_rows``, ``entry_rows``) and the difference ``save_flags`` returns.
"""

from __future__ import annotations

from datetime import date

import pytest
from test_contract import Graph, flag, graph, loaded, start

from credgraph.store import Direction, FlagDiff, GraphStore
from credgraph.store.shared import entry_row, relation_row

__all__ = ["graph", "loaded", "start"]  # the contract suite's fixtures, used here


@pytest.mark.parametrize("direction", list(Direction))
def test_relation_rows_are_expand_as_columns(
    loaded: GraphStore, graph: Graph, direction: Direction
) -> None:
    for ids in ([graph.a.uscc], [graph.p1.person_id, graph.b.uscc], [graph.a.uscc, graph.b.uscc]):
        rows = loaded.relation_rows(ids, direction)
        assert rows == [relation_row(r) for r in loaded.expand(ids, direction)]
    assert loaded.relation_rows([], direction) == []
    assert loaded.relation_rows(["nobody"], direction) == []


def test_relation_rows_columns(loaded: GraphStore, graph: Graph) -> None:
    a, b, p1, p3 = graph.a.uscc, graph.b.uscc, graph.p1.person_id, graph.p3.person_id
    assert loaded.relation_rows([p1], Direction.OUT) == [
        (p1, "person", a, "legal_representative", "", "2020-01-01", None, None),
        (p1, "person", b, "executive", "chairman", "2019-01-01", None, "2021-12-31"),
    ]
    assert loaded.relation_rows([p3], Direction.OUT) == [
        (p3, "person", a, "executive", "supervisor", "", None, "2023-06-30"),
    ]
    assert loaded.relation_rows([a], Direction.OUT) == [
        (a, "enterprise", b, "shareholder", "", "2018-06-01", 70.5, None),
    ]


def test_entry_rows_are_entries_as_columns(loaded: GraphStore, graph: Graph) -> None:
    a, p1, p3 = graph.a.uscc, graph.p1.person_id, graph.p3.person_id
    rows = loaded.entry_rows()
    assert rows == [entry_row(e) for e in loaded.entries()]
    assert [r[0] for r in rows] == ["E1", "E2", "E3", "E4"]
    assert rows[0] == ("E1", a, "enterprise", "serious_dishonesty", "2023-03-01", None, None, p1)
    assert rows[2][5:] == (None, "2022-01-01", f"{p3};{p1}")
    # an upheld objection removes the entry as entries() says
    objection = loaded.file_objection("E4", "wrong", date(2024, 1, 1))
    loaded.resolve_objection(objection.objection_id, True, date(2024, 2, 1))
    after = loaded.entry_rows()
    assert after[3] == ("E4", a, "enterprise", "red", "2020-01-01", None, "2024-02-01", "")
    assert after == [entry_row(e) for e in loaded.entries()]


def test_save_flags_returns_the_difference(loaded: GraphStore, graph: Graph) -> None:
    a, b, p1 = graph.a.uscc, graph.b.uscc, graph.p1.person_id
    first = [flag(a, "listed", "E1"), flag(p1, "listed", "E1"), flag(b, "listed", "E3")]
    diff = loaded.save_flags(date(2024, 5, 1), 1, first)
    assert diff == FlagDiff(sorted((f.subject_id, "listed", f.entry_id) for f in first), [])
    # one kept as it was, one kept with another path, one removed, one added
    moved = flag(p1, "listed", "E1", path=[a, p1], relations=["legal_representative"])
    second = [flag(a, "listed", "E1"), moved, flag(a, "listed", "E4")]
    diff = loaded.save_flags(date(2024, 5, 2), 1, second)
    assert diff == FlagDiff([(a, "listed", "E4")], [(b, "listed", "E3")])
    stored = loaded.stored_flags()
    assert stored is not None and stored.as_of == date(2024, 5, 2)
    assert stored.flags == sorted(second, key=lambda f: (f.subject_id, f.flag, f.entry_id))
    # the same flags again: nothing added or removed, the state moves on
    assert loaded.save_flags(date(2024, 5, 3), 2, second) == FlagDiff([], [])
    assert loaded.flags_state() == (date(2024, 5, 3), 2)
    # some entries' flags: the difference within them
    diff = loaded.save_flags(date(2024, 5, 3), 2, [], replace_entries=["E4"])
    assert diff == FlagDiff([], [(a, "listed", "E4")])
    stored = loaded.stored_flags()
    assert stored is not None and [f.entry_id for f in stored.flags] == ["E1", "E1"]
