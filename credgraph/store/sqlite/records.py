"""Rows of the embedded store read back as ``credgraph.model`` records.

Values were validated when written, so records are built with
``Record.trusted`` (no validation on the hot path of expansions).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from credgraph.model import (
    Category,
    Commitment,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    ListEntry,
    ListKind,
    NodeKind,
    Objection,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)
from credgraph.store.shared import d, unique

R = TypeVar("R", Relation, ListEntry)

# An upheld objection removes the entry as of its resolution day, whatever a
# later reload of the source says (DESIGN §3, 003:L32).
_REVOKED = "u.resolved_on IS NOT NULL AND (e.removed_on IS NULL OR u.resolved_on < e.removed_on)"
#: the removal day of an entry (``ENTRY_FROM``'s e), an upheld objection's included
REMOVED_ON = f"CASE WHEN {_REVOKED} THEN u.resolved_on ELSE e.removed_on END"
ENTRY_COLUMNS = f"""
e.entry_id, e.subject_id, e.subject_type, e.list, e.category, e.reason, e.authority,
e.case_no, e.decided_on, e.valid_until, {REMOVED_ON},
CASE WHEN {_REVOKED} THEN 'revoked_on_objection' ELSE e.removal_reason END,
e.responsible
"""
ENTRY_FROM = """
FROM entries e LEFT JOIN (
  SELECT entry_id, MIN(resolved_on) AS resolved_on FROM objections WHERE upheld = 1
  GROUP BY entry_id) u ON u.entry_id = e.entry_id
"""


RELATION_COLUMNS = "source_id, source_type, target_uscc, role, title, start_on, share_pct, end_on"

_ROLES = {r.value: r for r in Role}
_TITLES = {t.value: t for t in Title}
_KINDS = {k.value: k for k in NodeKind}
_LISTS = {k.value: k for k in ListKind}
_CATEGORIES = {c.value: c for c in Category}
_REMOVALS = {r.value: r for r in RemovalReason}


def ids_param(ids: Iterable[str]) -> str:
    """A set of ids as one JSON parameter (read with ``json_each``)."""
    return json.dumps(unique(ids), ensure_ascii=False)


def enterprise_record(row: sqlite3.Row | tuple[Any, ...]) -> Enterprise:
    return Enterprise.trusted(
        uscc=row[0],
        name=row[1],
        kind=EnterpriseKind(row[2]),
        status=EnterpriseStatus(row[3]) if row[3] else None,
        established_on=d(row[4]),
        registered_capital=row[5],
        region=row[6],
        industry=row[7],
        address=row[8],
        phone=row[9],
        email=row[10],
        phone_norm=row[11],
        email_norm=row[12],
        address_norm=row[13],
    )


def person_record(row: sqlite3.Row | tuple[Any, ...]) -> Person:
    return Person.trusted(
        person_id=row[0],
        id_type=IdType(row[1]),
        name=row[2],
        phone=row[3],
        address=row[4],
        phone_norm=row[5],
        address_norm=row[6],
    )


_SET = object.__setattr__
_DAY = date.fromisoformat


def _record(cls: type[R], fields: dict[str, Any]) -> R:
    """``cls.trusted(**fields)`` without the keyword round trip: the records
    of a full propagation's expansions number in the hundreds of thousands."""
    obj = cls.__new__(cls)
    _SET(obj, "__dict__", fields)
    _SET(obj, "__pydantic_fields_set__", set(fields))
    _SET(obj, "__pydantic_extra__", None)
    _SET(obj, "__pydantic_private__", None)
    return obj


def relation_record(row: tuple[Any, ...]) -> Relation:
    source_id, kind, target, role, title, start_on, share_pct, end_on = row
    return _record(
        Relation,
        {
            "source_id": source_id,
            "source_type": _KINDS[kind],
            "target_uscc": target,
            "role": _ROLES[role],
            "title": _TITLES[title] if title else None,
            "share_pct": share_pct,
            "start_on": _DAY(start_on) if start_on else None,
            "end_on": _DAY(end_on) if end_on else None,
        },
    )


def entry_record(row: tuple[Any, ...]) -> ListEntry:
    return _record(
        ListEntry,
        {
            "entry_id": row[0],
            "subject_id": row[1],
            "subject_type": _KINDS[row[2]],
            "list": _LISTS[row[3]],
            "category": _CATEGORIES[row[4]] if row[4] else None,
            "reason": row[5],
            "authority": row[6],
            "case_no": row[7],
            "decided_on": _DAY(row[8]),
            "valid_until": _DAY(row[9]) if row[9] else None,
            "removed_on": _DAY(row[10]) if row[10] else None,
            "removal_reason": _REMOVALS[row[11]] if row[11] else None,
            "responsible_person_ids": tuple(p for p in row[12].split(";") if p),
        },
    )


def commitment_record(row: tuple[Any, ...]) -> Commitment:
    return Commitment(
        commitment_id=row[0],
        subject_id=row[1],
        matter=row[2],
        promised_by=date.fromisoformat(row[3]),
        made_on=date.fromisoformat(row[4]),
        fulfilled_on=d(row[5]),
    )


def objection_record(row: tuple[Any, ...]) -> Objection:
    return Objection.trusted(
        objection_id=row[0],
        entry_id=row[1],
        reason=row[2],
        filed_on=date.fromisoformat(row[3]),
        resolved_on=d(row[4]),
        upheld=None if row[5] is None else bool(row[5]),
    )
