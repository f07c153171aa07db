"""Workflows shared by the CLI, the API and the benchmark (queries/workflows.py)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from builders import GraphBuilder, make_uscc

from credgraph.model import Batch, ListEntry, ListKind, NodeKind
from credgraph.store import GraphStore
from queries.materialise import propagate
from queries.propagation import all_flags, compute_flags, materialised_valid
from queries.workflows import (
    compare_upstream_file,
    load_and_refresh,
    prepare_demo,
    write_and_refresh,
)

AS_OF = date(2025, 6, 1)


def graph() -> GraphBuilder:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", "legal_representative", start="2020-01-01")
    g.rel("p", "B", "executive", title="general_manager")
    return g


def assert_current(store: GraphStore) -> None:
    """Materialised flags are valid and equal to a fresh computation."""
    assert materialised_valid(store, AS_OF)
    stored = store.stored_flags()
    assert stored is not None
    assert stored.flags == compute_flags(store, store.entries(), AS_OF)


def test_write_and_refresh_keeps_materialised_flags_current(store: GraphStore) -> None:
    g = graph()
    store.upsert(g.batch)
    assert propagate(store, AS_OF) == []
    entry = ListEntry(
        entry_id="E1",
        subject_id=g["A"],
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind.SERIOUS_DISHONESTY,
        decided_on=date(2025, 1, 1),
    )
    update = write_and_refresh(store, Batch(entries=[entry]))
    assert update is not None and len(update.flags) == 3  # A, p and B
    assert_current(store)
    assert {f.subject_id for f in all_flags(store, AS_OF)} == {g["A"], g["p"], g["B"]}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_load_and_refresh_keeps_materialised_flags_current(
    make_store: Callable[[], GraphStore], tmp_path: Path
) -> None:
    store = make_store()
    g = graph()
    store.upsert(g.batch)
    propagate(store, AS_OF)
    folder = tmp_path / "later"
    folder.mkdir()
    write_csv(
        folder / "list_entries.csv",
        ["entry_id", "subject_id", "list", "decided_on"],
        [["E9", g["B"], "serious_dishonesty", "2025-01-01"]],
    )
    report = load_and_refresh(store, folder)
    assert report.loaded == {"list_entries": 1} and not report.rejects
    assert_current(store)
    assert {(f.subject_id, f.entry_id) for f in all_flags(store, AS_OF)} >= {(g["B"], "E9")}


def test_load_and_refresh_strict_refusal_loads_nothing(store: GraphStore, tmp_path: Path) -> None:
    store.upsert(graph().batch)
    propagate(store, AS_OF)
    folder = tmp_path / "bad"
    folder.mkdir()
    write_csv(folder / "enterprises.csv", ["uscc", "name"], [["not-a-uscc", "坏公司"]])
    report = load_and_refresh(store, folder, strict=True)
    assert report.refused
    assert store.counts()["enterprises"] == 2
    assert_current(store)


def test_compare_upstream_file_reports_new_entries_and_rejects(
    store: GraphStore, tmp_path: Path
) -> None:
    g = graph()
    store.upsert(g.batch)
    upstream = tmp_path / "upstream.csv"
    write_csv(
        upstream,
        ["entry_id", "subject_id", "list", "decided_on"],
        [
            ["U1", g["A"], "serious_dishonesty", "2025-01-01"],
            ["U2", g["B"], "serious_dishonesty", "not a day"],
            ["U3", make_uscc(990), "red", "2025-01-01"],
        ],
    )
    compared = compare_upstream_file(store, upstream)
    assert [d.entry_id for d in compared.delta.new] == ["U1"]
    assert [u.subject_id for u in compared.delta.unmatched] == [make_uscc(990)]
    assert [r.line for r in compared.upstream.rejects] == [3]
    feedback = tmp_path / "feedback.csv"
    rows = compared.write_feedback(feedback)
    with feedback.open(encoding="utf-8") as fh:
        statuses = [row[0] for row in csv.reader(fh)][1:]
    assert rows == len(statuses) and {"new", "unmatched"} <= set(statuses)
    assert store.entries() == []  # nothing written


@pytest.mark.slow
def test_prepare_demo_generates_once_loads_and_propagates(
    store: GraphStore, tmp_path: Path
) -> None:
    told: list[bool] = []
    data = tmp_path / "demo"
    first = prepare_demo(
        store, data, enterprises=30, seed=1, as_of=AS_OF, on_generate=lambda: told.append(True)
    )
    assert first.generated and told == [True]
    assert first.report.loaded["enterprises"] == 30 and not first.report.rejects
    assert first.flags == len(all_flags(store, AS_OF)) > 0
    assert_current(store)
    again = prepare_demo(store, data, enterprises=30, seed=1, as_of=AS_OF)
    assert not again.generated and told == [True]
    assert again.flags == first.flags
