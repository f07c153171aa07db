"""The change feed on Neo4j: the same events as the embedded store's triggers.

Neo4j has no triggers, so a write computes its events itself, inside its own
transaction: the statements that merge relations and entries
(``cypher.loads``) return the rows they wrote with the properties those
replaced, and :func:`relation_events` / :func:`entry_events` turn them into
events (rows equal to what is stored are not written, so an identical reload
records nothing); objections and ``save_flags`` append theirs. :class:`FeedWriter` numbers them: the
``change_seq`` counter node is locked by the first reservation until the
transaction ends, so the events of one transaction get consecutive seqs and
``recorded_at`` (server time at that reservation) grows with ``seq``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from neo4j import ManagedTransaction, Transaction

from credgraph.store.feed import ChangeEvent, ChangeKind, NewEvent
from credgraph.store.neo4j.cypher import feed as cypher

_Tx = ManagedTransaction | Transaction

_ENTRY_FIELDS = (
    "subject_id",
    "list",
    "category",
    "reason",
    "authority",
    "case_no",
    "decided_on",
    "valid_until",
    "removed_on",
    "removal_reason",
    "responsible",
)


class FeedWriter:
    """Appends the events of one transaction with consecutive seqs."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx
        self.number: int | None = None
        self.recorded_us = 0

    def append(self, events: Sequence[NewEvent]) -> None:
        if not events:
            return
        if self.number is None:
            record = self.tx.run(cypher.RESERVE_TX).single(strict=True)
            self.number, self.recorded_us = int(record["tx"]), int(record["recorded_us"])
        rows = [
            {
                "kind": e.kind.value,
                "subject_id": e.subject_id,
                "related_id": e.related_id,
                "entry_id": e.entry_id,
                "flag": e.flag,
                "as_of": e.as_of.isoformat() if e.as_of else None,
                "detail": None if e.detail is None else json.dumps(e.detail, ensure_ascii=False),
            }
            for e in events
        ]
        for start in range(0, len(rows), 5000):
            self.tx.run(
                cypher.APPEND_EVENTS,
                {
                    "rows": rows[start : start + 5000],
                    "tx": self.number,
                    "recorded_us": self.recorded_us,
                },
            ).consume()


# -- what a write changes ------------------------------------------------------
def _entry_values(p: Mapping[str, Any]) -> dict[str, Any]:
    """The compared fields of an entry's stored properties (or of a row's)."""
    values = {f: p.get(f) for f in _ENTRY_FIELDS}
    values["responsible"] = ";".join(p.get("responsible_person_ids") or ())
    return values


def entry_event(
    old: Mapping[str, Any] | None, new: dict[str, Any], entry_id: str
) -> NewEvent | None:
    """The event of writing entry values ``new`` over ``old`` (None: absent)."""
    subject = str(new["subject_id"])
    if old is None:
        detail = {
            k: new[k]
            for k in (
                "list",
                "category",
                "decided_on",
                "valid_until",
                "removed_on",
                "removal_reason",
                "authority",
            )
        }
        return NewEvent(
            kind=ChangeKind.ENTRY_ADDED, subject_id=subject, entry_id=entry_id, detail=detail
        )
    changed = {f: [old[f], new[f]] for f in _ENTRY_FIELDS if old[f] != new[f]}
    if not changed:
        return None
    if old["removed_on"] is None and new["removed_on"] is not None:
        return NewEvent(
            kind=ChangeKind.ENTRY_REMOVED,
            subject_id=subject,
            entry_id=entry_id,
            detail={
                "list": new["list"],
                "removed_on": new["removed_on"],
                "removal_reason": new["removal_reason"],
            },
        )
    return NewEvent(
        kind=ChangeKind.ENTRY_CHANGED,
        subject_id=subject,
        entry_id=entry_id,
        detail={"list": new["list"], "changed": changed},
    )


def entry_events(
    rows: Sequence[Mapping[str, Any]], was: Mapping[str, Mapping[str, Any] | None]
) -> list[NewEvent]:
    """The events of writing entry ``rows`` (``loading.Rows.entries``, those
    that differ from the store) over the properties they replace (``was``
    by entry id, None: new)."""
    events = []
    for row in rows:
        old = was.get(row["entry_id"])
        event = entry_event(
            None if old is None else _entry_values(old),
            _entry_values(row["props"]),
            row["entry_id"],
        )
        if event is not None:
            events.append(event)
    return events


def relation_event(
    old: Mapping[str, Any] | None, row: Mapping[str, Any], role: str
) -> NewEvent | None:
    """The event of writing relation ``row`` (``records.relation_row``) over
    the properties it replaces (None: absent)."""
    props = row["props"]
    detail = {
        "source_id": row["source_id"],
        "role": role,
        "title": props.get("title") or None,
        "start_on": props.get("start_on") or None,
        "end_on": props.get("end_on"),
        "share_pct": props.get("share_pct"),
    }
    base = {"subject_id": row["target_uscc"], "related_id": row["source_id"]}
    if old is None:
        return NewEvent(kind=ChangeKind.RELATION_ADDED, detail=detail, **base)
    changed = {
        f: [old.get(f), detail[f]] for f in ("share_pct", "end_on") if old.get(f) != detail[f]
    }
    if not changed:
        return None
    if detail["end_on"] is not None and old.get("end_on") != detail["end_on"]:
        return NewEvent(kind=ChangeKind.RELATION_ENDED, detail=detail, **base)
    return NewEvent(kind=ChangeKind.RELATION_ADDED, detail={**detail, "changed": changed}, **base)


def relation_events(
    role: str, rows: Sequence[Mapping[str, Any]], dirty: Iterable[Mapping[str, Any]]
) -> list[NewEvent]:
    """The events of a relations merge: ``dirty`` is what the ``MERGE_*``
    statement returns (``{i, was}`` per row written, in row order)."""
    by_i = {row["i"]: row for row in rows}
    events = []
    for d in dirty:
        event = relation_event(d["was"], by_i[d["i"]], role)
        if event is not None:
            events.append(event)
    return events


def objection_event(tx: _Tx, objection: Mapping[str, Any], resolved: bool) -> NewEvent | None:
    """The event of filing (``resolved`` False) or resolving an objection."""
    record = tx.run(
        cypher.OBJECTION_ENTRY,
        {
            "entry_id": objection["entry_id"],
            "objection_id": objection["objection_id"],
            "resolved_on": objection.get("resolved_on") or "",
        },
    ).single()
    if record is None or record["subject_id"] is None:
        return None
    head = {"objection_id": objection["objection_id"], "filed_on": objection["filed_on"]}
    base = {"subject_id": record["subject_id"], "entry_id": objection["entry_id"]}
    if not resolved:
        return NewEvent(
            kind=ChangeKind.ENTRY_CHANGED,
            as_of=date.fromisoformat(objection["filed_on"]),
            detail={
                "list": record["list"],
                "objection": {**head, "reason": objection["reason"], "status": "filed"},
                "suspended": True,
            },
            **base,
        )
    resolved_on = str(objection["resolved_on"])
    removes = (
        bool(objection.get("upheld"))
        and (record["removed_on"] is None or record["removed_on"] > resolved_on)
        and int(record["upheld_before"]) == 0
    )
    return NewEvent(
        kind=ChangeKind.ENTRY_REMOVED if removes else ChangeKind.ENTRY_CHANGED,
        as_of=date.fromisoformat(resolved_on),
        detail={
            "list": record["list"],
            "objection": {
                **head,
                "resolved_on": resolved_on,
                "status": "upheld" if objection.get("upheld") else "rejected",
            },
            "suspended": False,
            "removed_on": resolved_on if removes else None,
            "removal_reason": "revoked_on_objection" if removes else None,
        },
        **base,
    )


# -- reading -------------------------------------------------------------------
def change_event(p: Mapping[str, Any]) -> ChangeEvent:
    return ChangeEvent(
        seq=int(p["seq"]),
        tx=int(p["tx"]),
        recorded_at=datetime(1970, 1, 1, tzinfo=UTC)
        + timedelta(microseconds=int(p["recorded_us"])),
        as_of=date.fromisoformat(p["as_of"]) if p.get("as_of") else None,
        subject_id=p["subject_id"],
        related_id=p.get("related_id"),
        kind=ChangeKind(p["kind"]),
        entry_id=p.get("entry_id"),
        flag=p.get("flag"),
        detail=json.loads(p["detail"]) if p.get("detail") else None,
    )


def changes_params(
    after_seq: int,
    limit: int,
    subject_ids: Iterable[str] | None,
    watchlist: str | None,
    upto_seq: int | None,
) -> dict[str, Any]:
    return {
        "after": after_seq,
        "limit": limit,
        "ids": None if subject_ids is None else list(dict.fromkeys(subject_ids)),
        "watchlist": watchlist,
        "upto": upto_seq,
    }


def micros(when: datetime) -> int:
    """``when`` as microseconds since the epoch (how ``recorded_at`` is kept)."""
    delta = when.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
