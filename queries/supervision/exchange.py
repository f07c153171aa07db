"""Comparing an upstream list with the store (``004:L60``, ``003:L30``).

"由国家和省下发的红黑名单,部门要及时比对并将结果反馈" (004:L60): lists
from higher levels are compared with local data and the result fed back.
The upstream file is read and validated by ``graph_loader.exchange`` (queries
may not import the loader, DESIGN §1); this module compares the parsed
entries with the store:

* **new** — upstream entry ids the store does not have (subject known);
* **changed** — same entry id, some field differs (one change per field);
* **removed** — store entries that the upstream file no longer lists, *for
  what the file is authoritative on*: the entry's subject appears in the
  file, the file carries that (list, authority) pair, and the store entry
  has not ended already (no removed_on). A file of one court's debtors says
  nothing about a market regulator's abnormal-operation entry for the same
  firm, and a monthly file that does not mention a subject says nothing
  about it;
* **unmatched** — upstream subject (or named responsible person) ids the
  store does not know; their entries are not compared.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from credgraph.model import ListEntry, ListKind, NodeId
from credgraph.outputs import write_spreadsheet_csv
from credgraph.store import GraphStore

#: fields compared between the store and upstream, in report order
COMPARED = tuple(f for f in ListEntry.model_fields if f not in ("entry_id", "subject_type"))


class FieldChange(BaseModel):
    field: str
    store: str
    upstream: str


class DeltaEntry(BaseModel):
    entry_id: str
    subject_id: NodeId
    list: ListKind
    authority: str | None = None
    decided_on: date
    #: physical line in the upstream file (None for store-only entries)
    line: int | None = None
    changes: builtins.list[FieldChange] = []


class UnmatchedSubject(BaseModel):
    subject_id: NodeId
    role: Literal["subject", "responsible_person"]
    entry_ids: list[str]
    #: line of each entry in the upstream file (None when not known)
    lines: list[int | None]


class ListDelta(BaseModel):
    source: str
    upstream_entries: int
    unchanged: int
    new: list[DeltaEntry]
    changed: list[DeltaEntry]
    removed: list[DeltaEntry]
    unmatched: list[UnmatchedSubject]
    rejected_rows: int = 0
    citation: str = "004:L60; 003:L30"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(sorted(str(v) for v in value))
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def field_changes(stored: ListEntry, upstream: ListEntry) -> list[FieldChange]:
    """Field-level differences (responsible persons compared as sets)."""
    out: list[FieldChange] = []
    for name in COMPARED:
        old, new = _text(getattr(stored, name)), _text(getattr(upstream, name))
        if old != new:
            out.append(FieldChange(field=name, store=old, upstream=new))
    return out


def _delta(e: ListEntry, line: int | None, changes: list[FieldChange] | None = None) -> DeltaEntry:
    return DeltaEntry(
        entry_id=e.entry_id,
        subject_id=e.subject_id,
        list=e.list,
        authority=e.authority,
        decided_on=e.decided_on,
        line=line,
        changes=changes or [],
    )


def compare_upstream(
    store: GraphStore,
    upstream: Sequence[ListEntry],
    *,
    source: str = "",
    lines: Mapping[str, int] | None = None,
    rejected_rows: int = 0,
) -> ListDelta:
    """Compare parsed upstream entries with the store (see the module doc).

    ``lines`` maps entry ids to their line in the upstream file.
    """
    lines = lines or {}
    ids = {e.subject_id for e in upstream} | {p for e in upstream for p in e.responsible_person_ids}
    known = store.existing_ids(ids)
    unmatched: dict[tuple[str, str], UnmatchedSubject] = {}
    matched: list[ListEntry] = []
    for e in upstream:
        missing = [("subject", e.subject_id)] if e.subject_id not in known else []
        missing += [("responsible_person", p) for p in e.responsible_person_ids if p not in known]
        for role, sid in missing:
            item = unmatched.setdefault(
                (sid, role),
                UnmatchedSubject(subject_id=sid, role=role, entry_ids=[], lines=[]),
            )
            item.entry_ids.append(e.entry_id)
            item.lines.append(lines.get(e.entry_id))
        if not missing:
            matched.append(e)

    stored = {s.entry_id: s for s in store.entries(entry_ids=[e.entry_id for e in matched])}
    new: list[DeltaEntry] = []
    changed: list[DeltaEntry] = []
    unchanged = 0
    for e in matched:
        old = stored.get(e.entry_id)
        if old is None:
            new.append(_delta(e, lines.get(e.entry_id)))
        elif changes := field_changes(old, e):
            changed.append(_delta(e, lines.get(e.entry_id), changes))
        else:
            unchanged += 1

    # removed: only where the file is authoritative (module doc)
    subjects = {e.subject_id for e in upstream if e.subject_id in known}
    scopes = {(e.list, e.authority) for e in upstream}
    upstream_ids = {e.entry_id for e in upstream}
    local = store.entries(subject_ids=subjects) if subjects else []
    removed = [
        _delta(s, None)
        for s in local
        if s.entry_id not in upstream_ids
        and (s.list, s.authority) in scopes
        and s.removed_on is None
    ]
    return ListDelta(
        source=source,
        upstream_entries=len(upstream),
        unchanged=unchanged,
        new=new,
        changed=changed,
        removed=removed,
        unmatched=sorted(unmatched.values(), key=lambda u: (u.role, u.subject_id)),
        rejected_rows=rejected_rows,
    )


FEEDBACK_COLUMNS = (
    "status",
    "entry_id",
    "subject_id",
    "list",
    "authority",
    "field",
    "store_value",
    "upstream_value",
    "line",
    "note",
)


def write_feedback(
    delta: ListDelta,
    path: Path,
    rejects: Sequence[tuple[int, str, str, str]] = (),
) -> int:
    """The feedback report (004:L60) as CSV: one row per new / removed entry,
    per changed field, per unmatched id and per rejected cell
    (``rejects`` = ``(line, column, value, reason)``). Returns the row count."""
    rows: list[tuple[object, ...]] = []

    def add(status: str, d: DeltaEntry, field: str, old: str, new: str, note: str) -> None:
        line = d.line if d.line is not None else ""
        authority = d.authority or ""
        rows.append(
            (status, d.entry_id, d.subject_id, d.list.value, authority, field, old, new, line, note)
        )

    for d in delta.new:
        add("new", d, "", "", "", "not in the local store")
    for d in delta.changed:
        for c in d.changes:
            add("changed", d, c.field, c.store, c.upstream, "")
    for d in delta.removed:
        add("removed", d, "", "", "", "in the local store for this subject, list and authority")
    for u in delta.unmatched:
        for entry_id, line in zip(u.entry_ids, u.lines, strict=True):
            rows.append(
                (
                    "unmatched",
                    entry_id,
                    u.subject_id,
                    "",
                    "",
                    u.role,
                    "",
                    "",
                    line or "",
                    f"{u.role} id not in the local store",
                )
            )
    for line, column, value, reason in rejects:
        rows.append(("rejected", "", "", "", "", column, "", value, line, reason))
    write_spreadsheet_csv(path, FEEDBACK_COLUMNS, rows)  # formula-safe: values are upstream's
    return len(rows)
