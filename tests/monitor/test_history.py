"""Entity history (DESIGN §10): data for the past, the feed once it follows."""

from __future__ import annotations

from datetime import date

import pytest
from builders import GraphBuilder, make_uscc
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import GraphStore
from queries.errors import UnknownEntity
from queries.history import EntityHistory, entity_history
from queries.materialise import propagate
from queries.objections import file_objection, resolve_objection

UNTIL = date(2025, 12, 31)


def world(store: GraphStore) -> GraphBuilder:
    """wang represents A (since 2020) and B (2020 – 2025-03-31); A is listed
    twice: E2 (watch list, repaired) and E1 (severe, objection rejected,
    valid until 2025-06-30)."""
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.person("wang")
    g.rel("wang", "A", "legal_representative", start="2020-01-01")
    g.rel("wang", "B", "legal_representative", start="2020-01-01", end="2025-03-31")
    g.entry("E2", "A", "abnormal_operation", "2023-05-01", removed="2023-09-01",
            removal_reason="repaired")  # fmt: skip
    g.entry("E1", "A", "serious_dishonesty", "2024-01-10", valid_until="2025-06-30")
    store.upsert(g.batch)
    objection = file_objection(store, "E1", "not us", date(2024, 2, 1))
    resolve_objection(store, objection.objection_id, False, date(2024, 2, 20))
    return g


def rows(history: EntityHistory) -> list[tuple[str, str, str, str]]:
    return [
        (str(i.on), i.kind.value, i.source, i.flag or i.entry_id or i.role or "")
        for i in history.items
    ]


def test_history_from_the_data_alone(store: GraphStore) -> None:
    g = world(store)
    history = entity_history(store, g["B"], UNTIL)
    assert history.monitored_since is None
    assert rows(history) == [
        ("2020-01-01", "role_started", "data", "legal_representative"),
        ("2024-01-10", "flag_gained", "data", "related_enterprise"),
        ("2024-02-01", "flag_lost", "data", "related_enterprise"),  # suspended by the objection
        ("2024-02-20", "flag_gained", "data", "related_enterprise"),
        ("2025-03-31", "role_ended", "data", "legal_representative"),
        ("2025-04-01", "flag_lost", "data", "related_enterprise"),
    ]
    gained = history.items[1]
    assert gained.path == [g["A"], g["wang"], g["B"]] and gained.rule == "P2"
    assert history.items[0].other_id == g["wang"] and history.items[0].direction == "in"
    assert history.items[0].other_name == "wang"


def test_history_joins_data_and_feed(store: GraphStore) -> None:
    g = world(store)
    propagate(store, date(2025, 6, 1))
    propagate(store, date(2025, 7, 1))
    history = entity_history(store, g["A"], UNTIL)
    assert history.monitored_since == date(2025, 6, 1)
    assert rows(history) == [
        ("2020-01-01", "role_started", "data", "legal_representative"),
        ("2023-05-01", "listed", "data", "E2"),
        ("2023-05-01", "flag_gained", "data", "listed"),
        ("2023-09-01", "removed", "data", "E2"),
        ("2023-09-01", "flag_lost", "data", "listed"),
        ("2024-01-10", "listed", "data", "E1"),
        ("2024-01-10", "flag_gained", "data", "listed"),
        ("2024-02-01", "objection_filed", "data", "E1"),
        ("2024-02-01", "flag_lost", "data", "listed"),
        ("2024-02-20", "objection_resolved", "data", "E1"),
        ("2024-02-20", "flag_gained", "data", "listed"),
        # the first propagate saw the flag the data already shows: not repeated
        ("2025-06-01", "verdict_changed", "feed", ""),
        ("2025-07-01", "expired", "data", "E1"),
        ("2025-07-01", "flag_lost", "feed", "listed"),
        ("2025-07-01", "verdict_changed", "feed", ""),
    ]
    by_kind = [(str(i.on), i.kind.value, i.source) for i in history.items]
    assert ("2025-06-01", "flag_gained", "feed") not in by_kind
    assert ("2025-07-01", "flag_lost", "feed") in by_kind
    assert ("2025-07-01", "flag_lost", "data") not in by_kind
    verdicts = [i.detail for i in history.items if i.kind.value == "verdict_changed"]
    assert verdicts == [
        {"scenario": "public_bidding", "from": "pass", "to": "reject"},
        {"scenario": "public_bidding", "from": "reject", "to": "pass"},
    ]
    removed = next(i for i in history.items if i.kind.value == "removed")
    assert removed.reason == "repaired"
    resolved = next(i for i in history.items if i.kind.value == "objection_resolved")
    assert resolved.upheld is False
    # until bounds the timeline
    early = entity_history(store, g["A"], date(2024, 1, 31))
    assert [i.on for i in early.items][-1] == date(2024, 1, 10)


def test_history_cli_and_unknown_ids(store: GraphStore) -> None:
    g = world(store)
    where = str(getattr(store, "path", None) or store.uri)  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        app, ["history", g["B"], "--as-of", "2025-12-31", "--store", where, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"flag_gained"' in result.output
    with pytest.raises(UnknownEntity):
        entity_history(store, make_uscc(999), UNTIL)


def test_report_has_the_timeline(store: GraphStore) -> None:
    from queries.report import credit_report
    from viz.report import render_report_html

    g = world(store)
    report = credit_report(store, g["B"], UNTIL)
    assert [i.kind.value for i in report.history] == [
        "role_started", "flag_gained", "flag_lost", "flag_gained", "role_ended", "flag_lost",
    ]  # fmt: skip
    html = render_report_html(report)
    timeline = html[html.index('<section id="timeline">') : html.index('<section id="flags">')]
    assert timeline.count('class="tl-flag_gained"') == 2
    assert timeline.count('class="tl-flag_lost"') == 2
    assert "2025-03-31" in timeline and "wang" in timeline
