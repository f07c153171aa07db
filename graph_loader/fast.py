"""Column-wise validation of a whole chunk: the fast path of a load.

A chunk's rows are turned into columns and every rule of
:mod:`graph_loader.rows` is checked on whole columns at once — check digits
with numpy, enums and dates on the set of distinct values, required values
with one membership test. Rows that pass every check become *plain rows*
(:data:`credgraph.model.PLAIN_FIELDS` order, no model objects); a row that
fails anything, or that the fast path cannot judge, is handed to the
row-by-row parser, which words the rejects exactly as before. The fast path
only ever says "valid" for rows the row parser would accept unchanged.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from itertools import repeat
from typing import Any

import numpy as np

from credgraph.ids import birth_place_known
from credgraph.model import (
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    NodeKind,
    Role,
    Title,
)
from graph_loader import bycolumn
from graph_loader.rows import _iso_day, _members

Plain = tuple[Any, ...]
Array = np.ndarray[Any, Any]
Columns = dict[str, list[str]]

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_RID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
#: code point → USCC alphabet value (-1: not allowed)
_USCC_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i


def _codes(values: Sequence[str]) -> np.ndarray[Any, Any] | None:
    """18 code points per value (None unless every value has 18 ASCII characters)."""
    if not values:
        return np.zeros((0, 18), dtype=np.int64)
    if set(map(len, values)) != {18} or not "".join(values).isascii():
        return None
    return np.array(values, dtype="U18").view(np.uint32).reshape(-1, 18).astype(np.int64)


def uscc_ok(values: list[str]) -> np.ndarray[Any, Any]:
    """Per value: a compact USCC (8 digits, alphabet, right check digit)."""
    codes = _codes(values)
    if codes is None:
        return np.array([_uscc_ok_one(v) for v in values], dtype=bool)
    numbers = _USCC_VALUE[codes]
    digits_first = (numbers[:, :8] >= 0) & (numbers[:, :8] <= 9)
    allowed = (numbers >= 0).all(axis=1) & digits_first.all(axis=1)
    check = (31 - (numbers[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    ok: np.ndarray[Any, Any] = allowed & (check == numbers[:, 17])
    return ok


def _uscc_ok_one(value: str) -> bool:
    return len(value) == 18 and value.isascii() and bool(uscc_ok([value])[0])


def resident_ok(values: list[str]) -> np.ndarray[Any, Any]:
    """Per value: an 18-digit resident id with a right check digit, a real
    birth date and a known birth place (as :func:`validate_resident_id`)."""
    codes = _codes(values)
    if codes is None:
        return np.array([_resident_ok_one(v) for v in values], dtype=bool)
    digits = codes - ord("0")
    body_ok = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1)
    check = (12 - (digits[:, :17] * _RID_WEIGHTS).sum(axis=1) % 11) % 11
    last = np.where(codes[:, 17] == ord("X"), 10, digits[:, 17])
    ok: np.ndarray[Any, Any] = body_ok & (check == last)
    rows = np.flatnonzero(ok)
    if rows.size:
        number = digits[rows, :14] @ _TENS  # region, year, month, day as one
        region, year = number // 10**8, number // 10**4 % 10**4
        good = _real_days(year, number // 100 % 100, number % 100)
        # stdnum's region lookup once per distinct (region, birth year)
        pairs, which = np.unique(region * 10**4 + year, return_inverse=True)
        known = np.array(
            [birth_place_known(f"{p // 10**4:06d}", f"{p % 10**4:04d}") for p in pairs.tolist()],
            dtype=bool,
        )
        ok[rows[~(good & known[which.reshape(-1)])]] = False
    return ok


#: powers of ten that turn the first 14 digits of a resident id into a number
_TENS = np.array([10**i for i in range(13, -1, -1)], dtype=np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _real_days(year: Array, month: Array, day: Array) -> Array:
    """Per element: a day of the calendar (as ``datetime.date`` accepts it)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok: Array = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    return ok


def _resident_ok_one(value: str) -> bool:
    return len(value) == 18 and value.isascii() and bool(resident_ok([value])[0])


class _Chunk:
    """Columns of one chunk and the rows found wanting so far."""

    def __init__(self, columns: Columns, size: int) -> None:
        self.columns = columns
        self.size = size
        self.bad: set[int] = set()

    def raw(self, name: str) -> list[str]:
        return self.columns.get(name) or [""] * self.size

    def mark(self, values: list[Any], wrong: Callable[[Any], bool]) -> None:
        self.bad.update(i for i, v in enumerate(values) if wrong(v))

    def mark_failed(self, ok: np.ndarray[Any, Any]) -> None:
        """The rows where a whole-column check (a boolean array) failed."""
        self.bad.update(np.flatnonzero(~ok).tolist())

    def required(self, name: str) -> list[str]:
        values = self.raw(name)
        if "" in values:
            self.mark(values, lambda v: not v)
        return values

    def optional(self, name: str) -> list[str | None]:
        return [v or None for v in self.raw(name)]

    def enum(self, name: str, kind: type[StrEnum], default: StrEnum | None) -> list[str | None]:
        values = self.raw(name)
        members = _members(kind)
        table: dict[str, str | None] = {}
        wrong = set()
        for value in set(values):
            member = members.get(value.lower()) if value else default
            if value and member is None:
                wrong.add(value)
            table[value] = member.value if member is not None else None
        if wrong:
            self.mark(values, wrong.__contains__)
        return list(map(table.__getitem__, values))

    def day(self, name: str) -> list[str | None]:
        values = self.raw(name)
        table: dict[str, str | None] = {}
        wrong = set()
        for value in set(values):
            parsed = _iso_day(value) if value else None
            if value and parsed is None:
                wrong.add(value)
            table[value] = parsed.isoformat() if parsed else None
        if wrong:
            self.mark(values, wrong.__contains__)
        return list(map(table.__getitem__, values))

    def number(self, name: str, low: float, high: float, low_open: bool) -> list[float | None]:
        """Numbers in range (``low`` excluded with ``low_open``); anything
        else — thousands separators included — goes to the row parser.
        Each distinct value is parsed once."""
        values = self.raw(name)
        table: dict[str, float | None] = {"": None}
        wrong = set()
        for value in set(values) - {""}:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not (low < number <= high if low_open else low <= number <= high):
                wrong.add(value)
            table[value] = number
        if wrong:
            self.mark(values, wrong.__contains__)
        return list(map(table.__getitem__, values))


def enterprises(columns: Columns, size: int) -> tuple[list[list[Any]], set[int]]:
    """Value columns in PLAIN_FIELDS order (phone/email/address norms are
    added by the caller) and the rows for the row parser."""
    c = _Chunk(columns, size)
    uscc = bycolumn.upper(c.raw("uscc"))
    c.mark_failed(uscc_ok(uscc))
    name = c.required("name")
    kind = c.enum("kind", EnterpriseKind, EnterpriseKind.COMPANY)
    status = c.enum("status", EnterpriseStatus, None)
    established = c.day("established_on")
    capital = c.number("registered_capital", 0.0, sys.float_info.max, low_open=False)
    values: list[list[Any]] = [uscc, name, kind, status, established, capital]
    values += [c.optional(n) for n in ("region", "industry", "address", "phone", "email")]
    return values, c.bad


def persons(columns: Columns, size: int) -> tuple[list[list[Any]], set[int]]:
    c = _Chunk(columns, size)
    id_type = c.enum("id_type", IdType, IdType.RESIDENT_ID)
    pid = bycolumn.upper(c.raw("person_id"))
    resident_value = IdType.RESIDENT_ID.value
    resident = [i for i, t in enumerate(id_type) if t == resident_value]
    if len(resident) == size:
        c.mark_failed(resident_ok(pid))
    else:  # passports and others are rare: the row parser checks them
        residents = set(resident)
        c.bad.update(i for i in range(size) if i not in residents)
        ok = resident_ok([pid[i] for i in resident]).tolist()
        c.bad.update(i for i, good in zip(resident, ok, strict=True) if not good)
    name = c.required("name")
    values: list[list[Any]] = [pid, id_type, name, c.optional("phone"), c.optional("address")]
    return values, c.bad


_PERSON_ONLY = {Role.LEGAL_REPRESENTATIVE.value, Role.EXECUTIVE.value}
_HOLDERS = {Role.SHAREHOLDER.value, Role.ACTUAL_CONTROLLER.value}
# enum values read once: ``.value`` is a Python-level property, and the
# checks below run for millions of rows
_BRANCH_OF, _EXECUTIVE, _SHAREHOLDER = (
    Role.BRANCH_OF.value,
    Role.EXECUTIVE.value,
    Role.SHAREHOLDER.value,
)
_KIND_VALUE: dict[NodeKind | None, str | None] = {kind: kind.value for kind in NodeKind}


def relations(
    columns: Columns, size: int, kinds: dict[str, NodeKind]
) -> tuple[list[list[Any]], set[int]]:
    c = _Chunk(columns, size)
    source = bycolumn.upper(c.raw("source_id"))
    target = bycolumn.upper(c.raw("target_uscc"))
    source_kind = list(map(kinds.get, source))
    target_kind = list(map(kinds.get, target))
    role = c.enum("role", Role, None)
    title = c.enum("title", Title, None)
    share = c.number("share_pct", 0.0, 100.0, low_open=True)
    start, end = c.day("start_on"), c.day("end_on")
    # the rules on role, title, share and kinds, once per distinct combination
    shareless = list(map(operator.is_, share, repeat(None)))
    kinds_and_roles = (source_kind, target_kind, role, title, shareless)
    wrong = {sig for sig in set(zip(*kinds_and_roles, strict=True)) if not _relation_ok(*sig)}
    if wrong:
        rows = enumerate(zip(*kinds_and_roles, strict=True))
        c.bad.update(i for i, sig in rows if sig in wrong)
    same = list(map(operator.eq, source, target))
    if True in same:
        c.bad.update(i for i, s in enumerate(same) if s)
    if end.count(None) != size:  # ISO days compare as strings
        days = enumerate(zip(start, end, strict=True))
        c.bad.update(i for i, (st, en) in days if st is not None and en is not None and en < st)
    kind_values = list(map(_KIND_VALUE.get, source_kind))
    values: list[list[Any]] = [source, kind_values, target, role, title, share, start, end]
    return values, c.bad


def _relation_ok(
    source: NodeKind | None,
    target: NodeKind | None,
    role: str | None,
    title: str | None,
    shareless: bool,
) -> bool:
    """The rules of :func:`graph_loader.rows.parse_relation` that depend on
    the kinds, role, title and whether a share is given."""
    return not (
        source is None
        or role is None
        or target is not NodeKind.ENTERPRISE
        or (source is NodeKind.ENTERPRISE and role in _PERSON_ONLY)
        or (source is NodeKind.PERSON and role == _BRANCH_OF)
        or (title is not None and role != _EXECUTIVE)
        or (not shareless and role not in _HOLDERS)
        or (shareless and role == _SHAREHOLDER)
    )
