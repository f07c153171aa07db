"""List-exchange deadlines on the Chinese working-day calendar (DESIGN §9,
RULES-DETAIL §10 scenarios 14–17; 003:L30, 003:L36, 004:L60)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from builders import GraphBuilder
from typer.testing import CliRunner

from credgraph.model import ListEntry, ListKind, NodeKind
from credgraph.store import EmbeddedStore, GraphStore
from queries.errors import InvalidRequest
from queries.supervision import (
    TaskRecord,
    add_working_days,
    deadlines,
    due_dates,
    is_workday,
    overdue,
    read_task_log,
)
from queries.supervision.deadlines import calendar_covers, day_of_next_month

D = date.fromisoformat


def _entry(kind: str, decided: str, entry_id: str = "E1") -> ListEntry:
    return ListEntry(
        entry_id=entry_id,
        subject_id="91441900000000001W",
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind(kind),
        decided_on=D(decided),
    )


def _due(entry: ListEntry, applied: tuple[date, ...] = ()) -> dict[str, date]:
    return {d.task: d.due for d in due_dates(entry, applied)}


# -- RULES-DETAIL §10 scenarios 14-17 (checked against the real calendar:
# -- no holiday falls in any of these windows, so the seeds' dates hold) ---------
def test_scenario_14_double_publicity_seven_working_days() -> None:
    # decided Mon 2024-06-17 → Wed 2024-06-26, the decision day not counted (003:L36)
    assert _due(_entry("serious_illegal", "2024-06-17"))["publicity"] == D("2024-06-26")


def test_scenario_15_monthly_push_by_the_tenth_inclusive() -> None:
    deadline = _due(_entry("serious_dishonesty", "2024-03-15"))["push"]
    assert deadline == D("2024-04-10")  # 003:L30
    assert day_of_next_month(D("2024-12-31"), 10) == D("2025-01-10")
    assert day_of_next_month(D("2024-01-31"), 10) == D("2024-02-10")


def test_scenario_16_feedback_ten_working_days_after_the_measure() -> None:
    entry = _entry("serious_dishonesty", "2024-06-01")
    (feedback,) = [d for d in due_dates(entry, (D("2024-07-01"),)) if d.task == "feedback"]
    assert (feedback.event, feedback.event_on, feedback.due) == (
        "measure_applied",
        D("2024-07-01"),
        D("2024-07-15"),
    )
    assert feedback.citation == "003:L30"


def test_scenario_17_national_platform_ten_working_days() -> None:
    assert _due(_entry("serious_dishonesty", "2024-11-04"))["national"] == D("2024-11-18")


# -- national holidays ------------------------------------------------------------
def test_national_day_golden_week_2024_with_adjusted_working_days() -> None:
    # holidays 2024-10-01..07; Sun 2024-09-29 and Sat 2024-10-12 are working days
    assert is_workday(D("2024-09-29")) and is_workday(D("2024-10-12"))
    assert not any(is_workday(D(f"2024-10-0{i}")) for i in range(1, 8))
    due = _due(_entry("serious_dishonesty", "2024-09-27"))
    # 09-29, 09-30, 10-08, 10-09, 10-10, 10-11, 10-12 (the working Saturday)
    assert due["publicity"] == D("2024-10-12")
    # … then 10-14, 10-15, 10-16
    assert due["national"] == D("2024-10-16")
    assert due["push"] == D("2024-10-10")
    # weekends only would have said 2024-10-08 and 2024-10-11
    assert add_working_days(D("2024-09-30"), 1) == (D("2024-10-08"), "chinese_calendar")


def test_spring_festival_2025() -> None:
    # holidays 2025-01-28..02-04; Sun 2025-01-26 and Sat 2025-02-08 are working days
    due = _due(_entry("serious_illegal", "2025-01-24"))
    # 01-26, 01-27, 02-05, 02-06, 02-07, 02-08, 02-10
    assert due["publicity"] == D("2025-02-10")
    assert _due(_entry("red", "2025-01-24"))["national"] == D("2025-02-13")


def test_which_lists_have_which_duties() -> None:
    assert set(_due(_entry("red", "2024-06-17"))) == {"push", "national"}
    assert set(_due(_entry("dishonest_debtor", "2024-06-17"))) == {"push", "national"}
    assert set(_due(_entry("serious_dishonesty", "2024-06-17"))) == {
        "push",
        "national",
        "publicity",
    }
    assert set(_due(_entry("key_attention", "2024-06-17"))) == {"publicity"}
    assert set(_due(_entry("key_attention", "2024-06-17"), (D("2024-07-01"),))) == {
        "publicity",
        "feedback",
    }


def test_beyond_the_calendar_falls_back_to_weekends_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar_covers.cache_clear()
    with caplog.at_level(logging.WARNING, logger="queries.supervision.deadlines"):
        # Wed 2099-12-30 + 3: Thu 31, Fri 2100-01-01 (no holiday data), Mon 2100-01-04
        assert add_working_days(D("2099-12-30"), 3) == (D("2100-01-04"), "weekends_only")
        assert is_workday(D("2099-06-01"))  # a Monday
        assert not is_workday(D("2099-06-06"))  # a Saturday
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "chinese_calendar has no holiday data for 2099: counting Monday-Friday as working "
        "days (update the chinesecalendar package)",
        "chinese_calendar has no holiday data for 2100: counting Monday-Friday as working "
        "days (update the chinesecalendar package)",
    ]  # once per year
    entry = _entry("serious_illegal", "2099-12-30")
    (publicity,) = [d for d in due_dates(entry) if d.task == "publicity"]
    assert (publicity.due, publicity.calendar) == (D("2100-01-08"), "weekends_only")
    assert calendar_covers(2024)


# -- overdue ----------------------------------------------------------------------
@pytest.fixture
def listed(store: GraphStore) -> GraphStore:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.entry("E1", "A", "serious_dishonesty", "2024-09-27")
    g.entry("E2", "B", "key_attention", "2024-10-08")
    g.entry("E3", "B", "red", "2023-01-05")
    store.upsert(g.batch)
    return store


def test_overdue_with_and_without_a_task_log(listed: GraphStore) -> None:
    as_of = D("2024-10-15")
    states = {(d.entry_id, d.task): (d.due, d.status) for d in deadlines(listed, as_of)}
    assert states == {
        ("E1", "push"): (D("2024-10-10"), "overdue"),
        ("E1", "publicity"): (D("2024-10-12"), "overdue"),
        ("E1", "national"): (D("2024-10-16"), "open"),
        ("E2", "publicity"): (D("2024-10-16"), "open"),  # Sat 10-12 works
        ("E3", "push"): (D("2023-02-10"), "overdue"),
        ("E3", "national"): (D("2023-01-19"), "overdue"),
    }
    log = [
        TaskRecord("E1", "push", done_on=D("2024-10-09")),
        TaskRecord("E1", "publicity", done_on=D("2024-10-14")),  # two days late
        TaskRecord("E2", "feedback", event_on=D("2024-10-09")),  # applied, not reported
        TaskRecord("E2", "feedback", event_on=D("2024-10-10"), done_on=D("2024-10-11")),
        TaskRecord("E1", "national", done_on=D("2024-10-20")),  # after as_of: not yet done
    ]
    found = {
        (d.entry_id, d.task, d.event_on): d for d in deadlines(listed, as_of, log, D("2024-01-01"))
    }
    assert {k: (v.status, v.days_late) for k, v in found.items()} == {
        ("E1", "push", D("2024-09-27")): ("done", 0),
        ("E1", "publicity", D("2024-09-27")): ("late", 2),
        ("E1", "national", D("2024-09-27")): ("open", 0),
        ("E2", "publicity", D("2024-10-08")): ("open", 0),
        ("E2", "feedback", D("2024-10-09")): ("open", 0),
        ("E2", "feedback", D("2024-10-10")): ("done", 0),
    }
    # 10-10, 10-11, 10-12 (working Saturday), 10-14 … 10-18, 10-21, 10-22
    assert found[("E2", "feedback", D("2024-10-09"))].due == D("2024-10-22")
    late = overdue(listed, D("2024-10-24"), log, D("2024-01-01"))
    assert [(d.entry_id, d.task, d.days_late) for d in late] == [
        ("E2", "publicity", 8),
        ("E2", "feedback", 2),
    ]  # E1 national was done on 10-20: late, not overdue


def test_read_task_log(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "entry_id,task,event_on,done_on\nE1,push,,2024-10-09\nE2,feedback,2024-10-09,\n"
    )
    assert read_task_log(path) == [
        TaskRecord("E1", "push", None, D("2024-10-09")),
        TaskRecord("E2", "feedback", D("2024-10-09"), None),
    ]
    path.write_text("entry_id,task,done_on\nE1,push,9 Oct\n")
    with pytest.raises(InvalidRequest, match="not an ISO date"):
        read_task_log(path)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "cli.db")
    yield store
    store.close()


def test_cli_exchange_deadlines(embedded: EmbeddedStore, tmp_path: Path) -> None:
    from cli.main import app

    g = GraphBuilder()
    g.firm("A")
    g.entry("E1", "A", "serious_dishonesty", "2024-09-27")
    embedded.upsert(g.batch)
    log = tmp_path / "log.csv"
    log.write_text("entry_id,task,done_on\nE1,push,2024-10-09\n", "utf-8")
    args = ["exchange", "deadlines", "--as-of", "2024-10-15", "--store", embedded.path]
    result = CliRunner().invoke(app, [*args, "--log", str(log), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(d["task"], d["due"]) for d in json.loads(result.stdout)] == [
        ("publicity", "2024-10-12")
    ]
    every = CliRunner().invoke(app, [*args, "--all", "--format", "json"])
    assert {d["task"]: d["status"] for d in json.loads(every.stdout)} == {
        "push": "overdue",
        "publicity": "overdue",
        "national": "open",
    }
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "2024-10-15 已逾期的工作事项" in table.stdout
    assert "已逾期" in table.stdout and "认定于" in table.stdout, table.stdout
    english = CliRunner().invoke(app, ["--lang", "en", *args])
    assert "overdue duties on 2024-10-15" in english.stdout and "overdue" in english.stdout
