"""Row validation: one source row → a record, or rejects naming the column.

Each ``parse_*`` returns ``(record, problems)`` where problems are
``(column, value, reason)``; references to other ids are checked later by
the loader, which knows the whole load and the store.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from typing import TypeVar

from credgraph.ids import (
    InvalidIdentifier,
    normalise_address,
    normalise_email,
    normalise_id,
    normalise_phone,
    validate_person_id,
    validate_uscc,
)
from credgraph.model import (
    Category,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)

Problem = tuple[str, str, str]
E = TypeVar("E", bound=StrEnum)


@cache
def _members(kind: type[StrEnum]) -> dict[str, StrEnum]:
    return {m.value: m for m in kind}


@lru_cache(maxsize=65536)
def _iso_day(value: str) -> date | None:
    """An ISO day (a time part is ignored); cached: data repeats dates a lot."""
    try:
        return date.fromisoformat(value[:10] if len(value) > 10 and value[10] in "T " else value)
    except ValueError:
        return None


class RowErrors:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, column: str, value: str, reason: str) -> None:
        self.problems.append((column, value, reason))

    def required(self, row: dict[str, str], column: str) -> str:
        value = row.get(column, "")
        if not value:
            self.add(column, value, f"{column} is required")
        return value

    def enum(self, row: dict[str, str], column: str, kind: type[E], default: E | None) -> E | None:
        value = row.get(column, "")
        if not value:
            return default
        member = _members(kind).get(value.lower())
        if member is None:
            allowed = ", ".join(m.value for m in kind)
            self.add(column, value, f"unknown {column} {value!r}; expected one of: {allowed}")
            return default
        return member  # type: ignore[return-value]

    def day(self, row: dict[str, str], column: str) -> date | None:
        value = row.get(column, "")
        if not value:
            return None
        parsed = _iso_day(value)
        if parsed is None:
            self.add(column, value, f"{column} is not an ISO date (YYYY-MM-DD)")
        return parsed

    def number(self, row: dict[str, str], column: str) -> float | None:
        value = row.get(column, "")
        if not value:
            return None
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            self.add(column, value, f"{column} is not a number")
            return None
        if not math.isfinite(number):
            self.add(column, value, f"{column} is not a finite number")
            return None
        return number

    def uscc(self, row: dict[str, str], column: str) -> str:
        value = self.required(row, column)
        if not value:
            return ""
        try:
            return validate_uscc(value)
        except InvalidIdentifier as exc:
            self.add(column, value, exc.reason)
            return ""


def opt(row: dict[str, str], column: str) -> str | None:
    return row.get(column) or None


def parse_enterprise(row: dict[str, str]) -> tuple[Enterprise | None, list[Problem]]:
    err = RowErrors()
    uscc = err.uscc(row, "uscc")
    name = err.required(row, "name")
    kind = err.enum(row, "kind", EnterpriseKind, None) or EnterpriseKind.COMPANY
    status = err.enum(row, "status", EnterpriseStatus, None)
    established = err.day(row, "established_on")
    capital = err.number(row, "registered_capital")
    if capital is not None and capital < 0:
        err.add("registered_capital", row["registered_capital"], "registered_capital is negative")
    if err.problems:
        return None, err.problems
    address, phone, email = opt(row, "address"), opt(row, "phone"), opt(row, "email")
    return (
        Enterprise.trusted(
            uscc=uscc,
            name=name,
            kind=kind,
            status=status,
            established_on=established,
            registered_capital=capital,
            region=opt(row, "region"),
            industry=opt(row, "industry"),
            address=address,
            phone=phone,
            email=email,
            phone_norm=normalise_phone(phone),
            email_norm=normalise_email(email),
            address_norm=normalise_address(address),
        ),
        [],
    )


def parse_person(row: dict[str, str]) -> tuple[Person | None, list[Problem]]:
    err = RowErrors()
    id_type = err.enum(row, "id_type", IdType, IdType.RESIDENT_ID) or IdType.RESIDENT_ID
    raw = err.required(row, "person_id")
    person_id = ""
    if raw and not err.problems:  # a bad id_type says nothing about the number
        try:
            person_id = validate_person_id(raw, id_type)
        except InvalidIdentifier as exc:
            err.add("person_id", raw, exc.reason)
    name = err.required(row, "name")
    if err.problems:
        return None, err.problems
    phone, address = opt(row, "phone"), opt(row, "address")
    return (
        Person.trusted(
            person_id=person_id,
            id_type=id_type,
            name=name,
            phone=phone,
            address=address,
            phone_norm=normalise_phone(phone),
            address_norm=normalise_address(address),
        ),
        [],
    )


_ROLE_BY_VALUE = {r.value: r for r in Role}
_TITLE_BY_VALUE = {t.value: t for t in Title}


def _good_relation(row: dict[str, str], kinds: dict[str, NodeKind]) -> Relation | None:
    """The fast path of :func:`parse_relation` for a row that is valid as it
    stands (the vast majority); None sends the row down the full path, which
    finds and words every problem."""
    source = row["source_id"].upper()
    target = row["target_uscc"].upper()
    source_kind = kinds.get(source)
    role = _ROLE_BY_VALUE.get(row["role"])
    if (
        source_kind is None
        or role is None
        or source == target
        or kinds.get(target) is not NodeKind.ENTERPRISE
    ):
        return None
    if source_kind is NodeKind.ENTERPRISE:
        if role is Role.LEGAL_REPRESENTATIVE or role is Role.EXECUTIVE:
            return None
    elif role is Role.BRANCH_OF:
        return None
    title = None
    raw = row.get("title")
    if raw:
        title = _TITLE_BY_VALUE.get(raw)
        if title is None or role is not Role.EXECUTIVE:
            return None
    share = None
    raw = row.get("share_pct")
    if raw:
        if role is not Role.SHAREHOLDER and role is not Role.ACTUAL_CONTROLLER:
            return None
        try:
            share = float(raw)
        except ValueError:
            return None
        if not 0 < share <= 100:
            return None
    elif role is Role.SHAREHOLDER:
        return None
    start = end = None
    raw = row.get("start_on")
    if raw and (start := _iso_day(raw)) is None:
        return None
    raw = row.get("end_on")
    if raw and ((end := _iso_day(raw)) is None or (start is not None and end < start)):
        return None
    return Relation.trusted(
        source_id=source,
        source_type=source_kind,
        target_uscc=target,
        role=role,
        title=title,
        share_pct=share,
        start_on=start,
        end_on=end,
    )


def parse_relation(
    row: dict[str, str], kinds: dict[str, NodeKind]
) -> tuple[Relation | None, list[Problem]]:
    """``kinds`` maps every id known to this load or the store to its kind."""
    fast = _good_relation(row, kinds)
    if fast is not None:
        return fast, []
    err = RowErrors()
    source = normalise_id(err.required(row, "source_id"))
    target = normalise_id(err.required(row, "target_uscc"))
    role = err.enum(row, "role", Role, None)
    if not row.get("role"):
        err.required(row, "role")
    title = err.enum(row, "title", Title, None)
    share = err.number(row, "share_pct")
    start, end = err.day(row, "start_on"), err.day(row, "end_on")
    source_kind = kinds.get(source) if source else None
    if source and source_kind is None:
        err.add("source_id", row["source_id"], _unknown_reason(source, "person or enterprise"))
    if target and kinds.get(target) is not NodeKind.ENTERPRISE:
        err.add("target_uscc", row["target_uscc"], _unknown_reason(target, "enterprise"))
    if source and source == target:
        err.add("target_uscc", row["target_uscc"], "an enterprise cannot hold a role in itself")
    if role in (Role.LEGAL_REPRESENTATIVE, Role.EXECUTIVE) and source_kind is NodeKind.ENTERPRISE:
        err.add("source_id", row["source_id"], f"{role.value} must be a natural person")
    if role is Role.BRANCH_OF and source_kind is NodeKind.PERSON:
        err.add("source_id", row["source_id"], "branch_of links a branch enterprise to its parent")
    if title is not None and role is not None and role is not Role.EXECUTIVE:
        err.add("title", row["title"], "title applies to role executive only")
    if role is Role.SHAREHOLDER and not row.get("share_pct"):
        err.add("share_pct", row.get("share_pct", ""), "share_pct is required for a shareholder")
    if share is not None:
        if role not in (Role.SHAREHOLDER, Role.ACTUAL_CONTROLLER, None):
            err.add("share_pct", row["share_pct"], "share_pct applies to shareholders only")
        elif not 0 < share <= 100:
            err.add("share_pct", row["share_pct"], "share_pct must be > 0 and ≤ 100 (percent)")
    if start and end and end < start:
        err.add("end_on", row["end_on"], "end_on is before start_on")
    if err.problems or role is None or source_kind is None:
        return None, err.problems
    return (
        Relation.trusted(
            source_id=source,
            source_type=source_kind,
            target_uscc=target,
            role=role,
            title=title,
            share_pct=share,
            start_on=start,
            end_on=end,
        ),
        [],
    )


def parse_entry(
    row: dict[str, str], kinds: dict[str, NodeKind]
) -> tuple[ListEntry | None, list[Problem]]:
    err = RowErrors()
    entry_id = err.required(row, "entry_id")
    subject = normalise_id(err.required(row, "subject_id"))
    kind = err.enum(row, "list", ListKind, None)
    if kind is None and not row.get("list"):
        err.required(row, "list")
    category = err.enum(row, "category", Category, None)
    decided = err.day(row, "decided_on")
    if decided is None and not row.get("decided_on"):
        err.required(row, "decided_on")
    valid_until = err.day(row, "valid_until")
    removed = err.day(row, "removed_on")
    removal_reason = err.enum(row, "removal_reason", RemovalReason, None)
    subject_kind = kinds.get(subject) if subject else None
    if subject and subject_kind is None:
        err.add("subject_id", row["subject_id"], _unknown_reason(subject, "person or enterprise"))
    if decided and valid_until and valid_until < decided:
        err.add("valid_until", row["valid_until"], "valid_until is before decided_on")
    if decided and removed and removed < decided:
        err.add("removed_on", row["removed_on"], "removed_on is before decided_on")
    if removal_reason is not None and removed is None and not row.get("removed_on"):
        err.add("removal_reason", row["removal_reason"], "removal_reason needs removed_on")
    responsible: list[str] = []
    for part in row.get("responsible_person_ids", "").split(";"):
        pid = normalise_id(part)
        if not pid:
            continue
        if kinds.get(pid) is not NodeKind.PERSON:
            err.add("responsible_person_ids", part.strip(), _unknown_reason(pid, "person"))
        elif pid not in responsible:
            responsible.append(pid)
    if err.problems or kind is None or decided is None or subject_kind is None:
        return None, err.problems
    return (
        ListEntry.trusted(
            entry_id=entry_id,
            subject_id=subject,
            subject_type=subject_kind,
            list=kind,
            category=category,
            reason=opt(row, "reason"),
            authority=opt(row, "authority"),
            case_no=opt(row, "case_no"),
            decided_on=decided,
            valid_until=valid_until,
            removed_on=removed,
            removal_reason=removal_reason,
            responsible_person_ids=tuple(responsible),
        ),
        [],
    )


def _unknown_reason(value: str, what: str) -> str:
    from credgraph.ids import guess_kind, validate_resident_id

    if guess_kind(value) is None:
        problems = []
        for check in (validate_uscc, validate_resident_id):
            try:
                check(value)
            except InvalidIdentifier as exc:
                problems.append(exc.reason)
        return (
            f"unknown {what} {value!r}: not in this load nor in the store, and not a valid "
            f"USCC or resident id ({'; '.join(problems)})"
        )
    return f"unknown {what} {value!r}: not in this load nor in the store"
