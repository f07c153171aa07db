"""Upstream list comparison and feedback report (004:L60, 003:L30)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import GraphBuilder, make_rid, make_uscc
from typer.testing import CliRunner

from credgraph.store import EmbeddedStore, GraphStore
from graph_loader.exchange import read_upstream
from graph_loader.sources import UnusableInput
from queries.supervision import compare_upstream, write_feedback

HEADER = "entry_id,subject_id,list,authority,reason,decided_on,valid_until,responsible_person_ids"
COURT = "东莞市中级人民法院"
TAX = "东莞市税务局"
SAMR = "东莞市市场监督管理局"


def _store_graph(store: GraphStore) -> GraphBuilder:
    g = GraphBuilder()
    for name in "ABCD":
        g.firm(name)
    g.person("p")
    g.person("q")
    e1 = g.entry("E1", "A", "serious_dishonesty", "2024-03-01", responsible=("p",))
    e2 = g.entry("E2", "A", "abnormal_operation", "2024-05-01")
    e3 = g.entry("E3", "B", "serious_dishonesty", "2024-04-01")
    e4 = g.entry("E4", "C", "serious_dishonesty", "2024-04-01")
    e5 = g.entry(
        "E5",
        "B",
        "serious_dishonesty",
        "2023-01-01",
        removed="2024-01-01",
        removal_reason="repaired",
    )
    for e, authority, reason in (
        (e1, TAX, "偷税"),
        (e2, SAMR, None),
        (e3, TAX, "偷税"),
        (e4, TAX, "偷税"),
        (e5, TAX, None),
    ):
        g.batch.entries[g.batch.entries.index(e)] = e.model_copy(
            update={"authority": authority, "reason": reason}
        )
    store.upsert(g.batch)
    return g


def _upstream(g: GraphBuilder, path: Path) -> Path:
    stranger = make_uscc(990)
    rows = [
        HEADER,
        # E1: reason and validity changed, q added as responsible
        f"E1,{g['A']},serious_dishonesty,{TAX},偷税漏税,2024-03-01,2027-02-28,{g['p']};{g['q']}",
        # N1: new for A; N2: new for B (so B is covered and E3 counts as removed)
        f"N1,{g['A']},dishonest_debtor,{COURT},拒不履行,2024-06-01,,",
        f"N2,{g['B']},serious_dishonesty,{TAX},虚开发票,2024-07-01,,",
        # E4 exactly as stored: unchanged (C is covered; nothing removed there)
        f"E4,{g['C']},serious_dishonesty,{TAX},偷税,2024-04-01,,",
        # unmatched: subject and responsible person unknown to the store
        f"U1,{stranger},serious_dishonesty,{TAX},,2024-08-01,,",
        f"U2,{g['D']},serious_dishonesty,{TAX},,2024-08-01,,{make_rid(777)}",
        # rejects: unknown list, and a second N1 with other values
        f"X1,{g['D']},blacklist,{TAX},,2024-08-01,,",
        f"N1,{g['A']},dishonest_debtor,{COURT},另一个,2024-06-01,,",
        # an exact repeat is ignored
        f"N2,{g['B']},serious_dishonesty,{TAX},虚开发票,2024-07-01,,",
    ]
    path.write_text("\n".join(rows) + "\n", "utf-8-sig")
    return path


def test_compare_new_changed_removed_unmatched(store: GraphStore, tmp_path: Path) -> None:
    g = _store_graph(store)
    upstream = read_upstream(store, _upstream(g, tmp_path / "省级下发名单_2024-08.csv"))
    assert [e.entry_id for e in upstream.entries] == ["E1", "N1", "N2", "E4", "U1", "U2"]
    assert upstream.lines["U1"] == 6
    assert upstream.duplicates == 1
    assert [(r.line, r.column) for r in upstream.rejects] == [(8, "list"), (9, "entry_id")]

    before = store.generation()
    delta = compare_upstream(
        store, upstream.entries, source=upstream.file, lines=upstream.lines, rejected_rows=2
    )
    assert store.generation() == before  # read-only
    assert delta.upstream_entries == 6
    assert [(d.entry_id, d.line) for d in delta.new] == [("N1", 3), ("N2", 4)]
    (changed,) = delta.changed
    assert changed.entry_id == "E1"
    assert [(c.field, c.store, c.upstream) for c in changed.changes] == [
        ("reason", "偷税", "偷税漏税"),
        ("valid_until", "", "2027-02-28"),
        ("responsible_person_ids", g["p"], ";".join(sorted([g["p"], g["q"]]))),
    ]
    assert delta.unchanged == 1
    # E3: B is covered, same list and authority, not upstream any more → removed.
    # E2 (other list/authority), E4 (listed), E5 (already ended) are not.
    assert [d.entry_id for d in delta.removed] == ["E3"]
    assert [(u.subject_id, u.role, u.entry_ids, u.lines) for u in delta.unmatched] == [
        (make_rid(777), "responsible_person", ["U2"], [7]),
        (make_uscc(990), "subject", ["U1"], [6]),
    ]
    assert delta.rejected_rows == 2

    report = tmp_path / "feedback.csv"
    n = write_feedback(
        delta, report, [(r.line, r.column, r.value, r.reason) for r in upstream.rejects]
    )
    rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert n == len(rows) == 2 + 3 + 1 + 2 + 2
    assert [r["status"] for r in rows] == [
        "new",
        "new",
        "changed",
        "changed",
        "changed",
        "removed",
        "unmatched",
        "unmatched",
        "rejected",
        "rejected",
    ]
    assert rows[2]["field"] == "reason" and rows[2]["upstream_value"] == "偷税漏税"
    assert rows[5]["entry_id"] == "E3" and rows[5]["line"] == ""
    assert rows[8]["line"] == "8" and "unknown list" in rows[8]["note"]


def test_upheld_objection_shows_as_a_difference(store: GraphStore, tmp_path: Path) -> None:
    from datetime import date

    g = _store_graph(store)
    objection = store.file_objection("E4", "wrong firm", date(2024, 5, 1))
    store.resolve_objection(objection.objection_id, True, date(2024, 6, 1))
    path = tmp_path / "up.csv"
    path.write_text(f"{HEADER}\nE4,{g['C']},serious_dishonesty,{TAX},偷税,2024-04-01,,\n", "utf-8")
    upstream = read_upstream(store, path)
    delta = compare_upstream(store, upstream.entries)
    assert [(c.field, c.store, c.upstream) for c in delta.changed[0].changes] == [
        ("removed_on", "2024-06-01", ""),
        ("removal_reason", "revoked_on_objection", ""),
    ]


def test_upstream_folder_and_unusable_input(store: GraphStore, tmp_path: Path) -> None:
    g = _store_graph(store)
    folder = tmp_path / "upstream"
    folder.mkdir()
    _upstream(g, folder / "list_entries.csv")
    assert len(read_upstream(store, folder).entries) == 6
    with pytest.raises(UnusableInput):
        read_upstream(store, tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("entry_id,subject_id\nE1,x\n", "utf-8")
    with pytest.raises(UnusableInput, match="missing required column"):
        read_upstream(store, bad)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "cli.db")
    yield store
    store.close()


def test_cli_exchange_compare(embedded: EmbeddedStore, tmp_path: Path) -> None:
    from cli.main import app

    g = _store_graph(embedded)
    upstream = _upstream(g, tmp_path / "national.csv")
    report = tmp_path / "feedback.csv"
    args = ["exchange", "compare", str(upstream), "--report", str(report), "--store", embedded.path]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [d["entry_id"] for d in body["new"]] == ["N1", "N2"]
    assert [d["entry_id"] for d in body["removed"]] == ["E3"]
    assert report.exists()
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "移出 1" in table.stdout and "上游名单中没有" in table.stdout
    english = CliRunner().invoke(app, ["--lang", "en", *args])
    assert "1 removed" in english.stdout and "not upstream" in english.stdout
    missing = CliRunner().invoke(
        app, ["exchange", "compare", str(tmp_path / "no.csv"), "--store", embedded.path]
    )
    assert missing.exit_code == 2
