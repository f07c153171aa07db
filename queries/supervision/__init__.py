"""Credit supervision: levels, graded inspection plans, commitments and list
exchange (RULES.md §6–§7, DESIGN §9; policy in ``policy.yaml`` ``supervision``).

* :func:`credit_level` / :func:`credit_levels` — A/B/C/D with reasons (002:L20, 002:L21)
* :func:`inspection_plan` — "double random, one public" with conflict checks (002:L21)
* :func:`overdue_commitments` / :func:`confirmable_entry` — broken commitments (002:L15)
* :func:`compare_upstream` — upstream list delta and feedback (004:L60)
* :func:`due_dates` / :func:`overdue` — exchange deadlines on working days (003:L30,
  003:L36, 004:L60)
"""

from queries.supervision.commitments import (
    CommitmentError,
    CommitmentProposal,
    confirmable_entry,
    fulfil,
    overdue_commitments,
    record_commitment,
)
from queries.supervision.deadlines import (
    Deadline,
    TaskRecord,
    add_working_days,
    deadlines,
    due_dates,
    is_workday,
    overdue,
    read_task_log,
)
from queries.supervision.exchange import ListDelta, compare_upstream, write_feedback
from queries.supervision.levels import CreditLevel, credit_level, credit_levels
from queries.supervision.plan import (
    AvoidedConflict,
    InspectionPlan,
    Inspector,
    conflicts_for,
    inspection_plan,
    parse_ratios,
    write_conflicts_csv,
    write_plan_csv,
)
from queries.supervision.population import inspectors_from_file, resolve_population

__all__ = [
    "AvoidedConflict",
    "CommitmentError",
    "CommitmentProposal",
    "CreditLevel",
    "Deadline",
    "InspectionPlan",
    "Inspector",
    "ListDelta",
    "TaskRecord",
    "add_working_days",
    "compare_upstream",
    "confirmable_entry",
    "conflicts_for",
    "credit_level",
    "credit_levels",
    "deadlines",
    "due_dates",
    "fulfil",
    "inspection_plan",
    "inspectors_from_file",
    "is_workday",
    "overdue",
    "overdue_commitments",
    "parse_ratios",
    "read_task_log",
    "record_commitment",
    "resolve_population",
    "write_conflicts_csv",
    "write_feedback",
    "write_plan_csv",
]
