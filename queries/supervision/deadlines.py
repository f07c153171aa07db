"""List-exchange deadlines on the Chinese working-day calendar (DESIGN §9).

Duties (``policy.supervision.deadlines``, shipped values):

* ``push`` — red and black lists of a month pushed by the 10th of the next
  month, the 10th included (``003:L30`` "每月10日前");
* ``national`` — red and black lists reportable to the national platform
  within 10 working days of the decision (``004:L60``);
* ``publicity`` — administrative decisions published within 7 working days,
  the decision day not counted (``003:L36``);
* ``feedback`` — the implementing department reports a measure it applied
  within 10 working days of applying it (``003:L30``).

"Within N working days of day X" = by the N-th working day after X (X itself
never counted), so the due day is itself a working day. Working days come
from ``chinese_calendar`` (State Council holidays and the adjusted working
weekends). For a year it has no data for, weekdays count as working days
and a warning is logged once per year; such deadlines say
``calendar="weekends_only"``. The push day is a plain calendar date
(``calendar="calendar_days"``), not moved off a holiday.

Completion is not graph data: a task log (CSV ``entry_id,task,event_on,
done_on``) says when a duty was done, and for ``feedback`` when the measure
was applied (``event_on``; one row per application, ``done_on`` empty while
the feedback is outstanding). A duty with no log row is open, or overdue
once its due day has passed.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import chinese_calendar
from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import ListEntry, ListKind, NodeId
from credgraph.policy import DeadlineRule, Policy, default_policy
from credgraph.store import GraphStore
from queries.errors import InvalidRequest

log = logging.getLogger(__name__)

Status = Literal["open", "overdue", "done", "late"]
Calendar = Literal["chinese_calendar", "weekends_only", "calendar_days"]


# -- working days ----------------------------------------------------------------
@cache
def calendar_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` has the holidays of ``year``; logs a
    warning (once per year) when it does not."""
    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        log.warning(
            "chinese_calendar has no holiday data for %d: counting Monday-Friday as "
            "working days (update the chinesecalendar package)",
            year,
        )
        return False
    return True


def is_workday(day: date) -> bool:
    """A working day: per ``chinese_calendar`` (holidays off, adjusted
    weekends on), or Monday to Friday beyond its published years.

    >>> is_workday(date(2024, 10, 1)), is_workday(date(2024, 9, 29))
    (False, True)
    """
    if calendar_covers(day.year):
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            pass  # a day outside the package's data in a covered year: weekdays
    return day.weekday() < 5


def add_working_days(day: date, n: int) -> tuple[date, Calendar]:
    """The ``n``-th working day after ``day`` (``day`` not counted), and
    which calendar decided it.

    >>> add_working_days(date(2024, 6, 17), 7)
    (datetime.date(2024, 6, 26), 'chinese_calendar')
    """
    calendar: Calendar = "chinese_calendar"
    current = day
    left = n
    while left > 0:
        current += timedelta(days=1)
        if not calendar_covers(current.year):
            calendar = "weekends_only"
        if is_workday(current):
            left -= 1
    return current, calendar


def day_of_next_month(day: date, dom: int) -> date:
    """Day ``dom`` of the month after ``day``'s.

    >>> day_of_next_month(date(2024, 12, 15), 10)
    datetime.date(2025, 1, 10)
    """
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, dom)


# -- deadlines -------------------------------------------------------------------
class Deadline(BaseModel):
    """One list-exchange duty of one entry, with its state on ``as_of``."""

    entry_id: str
    subject_id: NodeId
    list: ListKind
    task: str
    description: str
    event: Literal["decided_on", "measure_applied"]
    event_on: date
    due: date
    rule: str
    citation: str
    calendar: Calendar
    done_on: date | None = None
    status: Status = "open"
    #: calendar days past due (on as_of, or when done late)
    days_late: int = 0


@dataclass(frozen=True)
class TaskRecord:
    """A row of the task log: ``done_on`` for a duty; for ``feedback`` also
    the day the measure was applied (``event_on``)."""

    entry_id: str
    task: str
    event_on: date | None = None
    done_on: date | None = None


def _due(rule: DeadlineRule, event_on: date) -> tuple[date, str, Calendar]:
    if rule.day_of_next_month is not None:
        due = day_of_next_month(event_on, rule.day_of_next_month)
        return due, f"day {rule.day_of_next_month} of the next month", "calendar_days"
    days = rule.working_days or 0
    due, calendar = add_working_days(event_on, days)
    return due, f"{days} working days", calendar


def due_dates(
    entry: ListEntry, applied_on: Iterable[date] = (), policy: Policy | None = None
) -> list[Deadline]:
    """Every duty of ``entry``: those counted from the decision, and one
    ``feedback`` duty per day a measure was applied (``applied_on``)."""
    rules = policy or default_policy()
    out: list[Deadline] = []
    for task, rule in rules.supervision.deadlines.items():
        if rule.lists is not None and entry.list not in rule.lists:
            continue
        events = [entry.decided_on] if rule.after == "decided_on" else sorted(set(applied_on))
        for event_on in events:
            due, text, calendar = _due(rule, event_on)
            out.append(
                Deadline(
                    entry_id=entry.entry_id,
                    subject_id=entry.subject_id,
                    list=entry.list,
                    task=task,
                    description=rule.description,
                    event=rule.after,
                    event_on=event_on,
                    due=due,
                    rule=text,
                    citation=rule.citation,
                    calendar=calendar,
                )
            )
    return out


def _status(d: Deadline, done_on: date | None, as_of: date) -> Deadline:
    if done_on is not None and done_on <= as_of:
        late = max(0, (done_on - d.due).days)
        status: Status = "late" if late else "done"
        return d.model_copy(update={"done_on": done_on, "status": status, "days_late": late})
    late = max(0, (as_of - d.due).days)
    return d.model_copy(update={"status": "overdue" if late else "open", "days_late": late})


def deadlines(
    store: GraphStore,
    as_of: date,
    log_rows: Sequence[TaskRecord] = (),
    since: date | None = None,
    policy: Policy | None = None,
) -> list[Deadline]:
    """Every duty of the entries decided by ``as_of`` (and on or after
    ``since``), with its status on ``as_of``: open, overdue, done, late."""
    rules = policy or default_policy()
    tasks = rules.supervision.deadlines
    applied: dict[str, list[TaskRecord]] = {}
    done: dict[tuple[str, str, date | None], date] = {}
    for row in log_rows:
        rule = tasks.get(row.task)
        if rule is None:
            log.warning("task log: unknown task %r for entry %s", row.task, row.entry_id)
            continue
        if rule.after == "measure_applied":
            if row.event_on is None:
                log.warning("task log: %s of entry %s needs event_on", row.task, row.entry_id)
                continue
            if row.event_on <= as_of:
                applied.setdefault(row.entry_id, []).append(row)
        if row.done_on is not None:
            key = (row.entry_id, row.task, row.event_on if rule.after != "decided_on" else None)
            done[key] = min(row.done_on, done.get(key, row.done_on))
    out: list[Deadline] = []
    for entry in store.entries():
        if entry.decided_on > as_of or (since is not None and entry.decided_on < since):
            continue
        days = [r.event_on for r in applied.get(entry.entry_id, []) if r.event_on is not None]
        for d in due_dates(entry, days, rules):
            key = (d.entry_id, d.task, d.event_on if d.event != "decided_on" else None)
            out.append(_status(d, done.get(key), as_of))
    return sorted(out, key=lambda d: (d.due, d.entry_id, d.task, d.event_on))


def overdue(
    store: GraphStore,
    as_of: date,
    log_rows: Sequence[TaskRecord] = (),
    since: date | None = None,
    policy: Policy | None = None,
) -> list[Deadline]:
    """The duties past their due day and not done by ``as_of``."""
    return [d for d in deadlines(store, as_of, log_rows, since, policy) if d.status == "overdue"]


def read_task_log(path: Path) -> list[TaskRecord]:
    """A task log CSV: ``entry_id,task[,event_on][,done_on]`` (ISO dates)."""
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            N_("{path}: cannot read the task log ({error})", path=path, error=exc)
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"entry_id", "task"} <= header:
        raise InvalidRequest(N_("{path}: a task log needs entry_id and task columns", path=path))
    out: list[TaskRecord] = []
    for line, row in enumerate(reader, start=2):
        values: Mapping[str, str] = {
            k.strip().lower(): (v or "").strip() for k, v in row.items() if k
        }
        days: dict[str, date | None] = {}
        for column in ("event_on", "done_on"):
            raw = values.get(column, "")
            try:
                days[column] = date.fromisoformat(raw) if raw else None
            except ValueError:
                raise InvalidRequest(
                    N_(
                        "{path}:{line}: {column} {value!r} is not an ISO date",
                        path=path,
                        line=line,
                        column=column,
                        value=raw,
                    )
                ) from None
        if values.get("entry_id") and values.get("task"):
            out.append(TaskRecord(values["entry_id"], values["task"], **days))
    return out
