"""An entity's history (DESIGN §10): a dated timeline, oldest first.

From the data, whatever its age: the subject's list decisions, removals
(with their reason, an upheld objection included), expiries and
objections; its roles started and ended; and the flags it gained and lost,
found by evaluating the rules of DESIGN §3 on every day something relevant
changed (an entry's dates, a relation of the subject). From the change
feed, once it follows the subject: flags gained and lost as ``propagate``
saw them (dated by its as_of), public_bidding verdict changes and
corrections of entries. Data answers for the time before the feed's first
flag event of the subject, the feed after it; a flag the feed reports that
the data already showed is not repeated.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel

from credgraph.model import Flag, ListEntry, NodeId, NodeKind, Objection, Relation
from credgraph.policy import Policy, default_policy
from credgraph.store import Direction, GraphStore
from credgraph.store.feed import ChangeEvent, ChangeKind
from queries.propagation import candidate_entries, compute_flags
from queries.subjects import resolve_subject

#: days on which flags are evaluated from the data, the latest kept
MAX_EVALUATIONS = 120
#: relations shown, the latest first kept
MAX_RELATIONS = 500
FEED_EVENTS = 5000


class HistoryKind(StrEnum):
    LISTED = "listed"
    REMOVED = "removed"
    EXPIRED = "expired"
    OBJECTION_FILED = "objection_filed"
    OBJECTION_RESOLVED = "objection_resolved"
    ROLE_STARTED = "role_started"
    ROLE_ENDED = "role_ended"
    FLAG_GAINED = "flag_gained"
    FLAG_LOST = "flag_lost"
    VERDICT_CHANGED = "verdict_changed"
    ENTRY_CHANGED = "entry_changed"


_ORDER = {k: i for i, k in enumerate(HistoryKind)}


class HistoryItem(BaseModel):
    """One dated fact. ``on`` None: a role whose start is not known."""

    on: date | None
    kind: HistoryKind
    source: Literal["data", "feed"]
    entry_id: str | None = None
    list: str | None = None
    reason: str | None = None
    objection_id: int | None = None
    upheld: bool | None = None
    role: str | None = None
    title: str | None = None
    share_pct: float | None = None
    direction: Literal["in", "out"] | None = None
    other_id: NodeId | None = None
    other_name: str | None = None
    flag: str | None = None
    rule: str | None = None
    path: builtins.list[NodeId] | None = None
    seq: int | None = None
    recorded_at: datetime | None = None
    detail: dict[str, Any] | None = None


class EntityHistory(BaseModel):
    subject_id: NodeId
    subject_type: NodeKind
    name: str
    until: date
    #: as_of of the feed's first flag event of the subject (data before it)
    monitored_since: date | None
    items: list[HistoryItem]


# -- list entries and objections ---------------------------------------------
def _entry_items(
    entries: list[ListEntry], objections: list[Objection], until: date
) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    for e in entries:
        base: dict[str, Any] = {"source": "data", "entry_id": e.entry_id, "list": e.list.value}
        items.append(HistoryItem(on=e.decided_on, kind=HistoryKind.LISTED, reason=e.reason, **base))
        if e.removed_on is not None:
            reason = e.removal_reason.value if e.removal_reason else None
            items.append(
                HistoryItem(on=e.removed_on, kind=HistoryKind.REMOVED, reason=reason, **base)
            )
        elif e.valid_until is not None:
            items.append(
                HistoryItem(on=e.valid_until + timedelta(days=1), kind=HistoryKind.EXPIRED, **base)
            )
    lists = {e.entry_id: e.list.value for e in entries}
    for o in objections:
        base = {
            "source": "data",
            "entry_id": o.entry_id,
            "list": lists.get(o.entry_id),
            "objection_id": o.objection_id,
        }
        items.append(
            HistoryItem(on=o.filed_on, kind=HistoryKind.OBJECTION_FILED, reason=o.reason, **base)
        )
        if o.resolved_on is not None:
            items.append(
                HistoryItem(
                    on=o.resolved_on, kind=HistoryKind.OBJECTION_RESOLVED, upheld=o.upheld, **base
                )
            )
    return [i for i in items if i.on is None or i.on <= until]


def _relation_items(
    sid: str, relations: list[Relation], names: dict[str, str], until: date
) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    for r in relations:
        outgoing = r.source_id == sid
        other = r.target_uscc if outgoing else r.source_id
        base: dict[str, Any] = {
            "source": "data",
            "role": r.role.value,
            "title": r.title.value if r.title else None,
            "share_pct": r.share_pct,
            "direction": "out" if outgoing else "in",
            "other_id": other,
            "other_name": names.get(other),
        }
        items.append(HistoryItem(on=r.start_on, kind=HistoryKind.ROLE_STARTED, **base))
        if r.end_on is not None:
            items.append(HistoryItem(on=r.end_on, kind=HistoryKind.ROLE_ENDED, **base))
    return [i for i in items if i.on is None or i.on <= until]


# -- flags from the data -------------------------------------------------------
def _key(f: Flag) -> tuple[str, str]:
    return (f.flag.value, f.entry_id)


def _flag_item(f: Flag, day: date, gained: bool) -> HistoryItem:
    return HistoryItem(
        on=day,
        kind=HistoryKind.FLAG_GAINED if gained else HistoryKind.FLAG_LOST,
        source="data",
        entry_id=f.entry_id,
        list=f.list.value,
        flag=f.flag.value,
        rule=f.rule.value,
        path=list(f.path),
    )


def _evaluation_days(
    entries: list[ListEntry], objections: list[Objection], relations: list[Relation], until: date
) -> list[date]:
    days: set[date] = set()
    for e in entries:
        days.add(e.decided_on)
        if e.removed_on:
            days.add(e.removed_on)
        if e.valid_until:
            days.add(e.valid_until + timedelta(days=1))
    for o in objections:
        days.add(o.filed_on)
        if o.resolved_on:
            days.add(o.resolved_on)
    for r in relations:
        if r.start_on:
            days.add(r.start_on)
        if r.end_on:
            days.add(r.end_on + timedelta(days=1))
    return sorted(d for d in days if d <= until)[-MAX_EVALUATIONS:]


def data_flags(
    store: GraphStore, sid: str, relations: list[Relation], until: date, policy: Policy
) -> list[HistoryItem]:
    """Flags gained and lost by ``sid`` according to the data, on each day
    an entry or a relation of the subject changed state."""
    reach = {r.start_on or until for r in relations} | {until}
    found: dict[str, ListEntry] = {}
    for day in sorted(reach)[-MAX_EVALUATIONS:]:
        for e in candidate_entries(store, [sid], min(day, until), policy):
            found.setdefault(e.entry_id, e)
    candidates = [found[k] for k in sorted(found)]
    if not candidates:
        return []
    objections = store.objections([e.entry_id for e in candidates])
    items: list[HistoryItem] = []
    held: dict[tuple[str, str], Flag] = {}
    for day in _evaluation_days(candidates, objections, relations, until):
        now = {
            _key(f): f for f in compute_flags(store, candidates, day, policy) if f.subject_id == sid
        }
        items += [_flag_item(held[k], day, False) for k in sorted(held.keys() - now.keys())]
        items += [_flag_item(now[k], day, True) for k in sorted(now.keys() - held.keys())]
        held = now
    return items


# -- the feed ------------------------------------------------------------------
def _feed_day(e: ChangeEvent) -> date:
    return e.as_of or e.recorded_at.date()


def feed_items(
    events: list[ChangeEvent], sid: str, data_items: list[HistoryItem], since: date | None
) -> list[HistoryItem]:
    """Feed events of the subject as timeline items; flag events that the
    data already shows (the same flag gained before, or lost) are dropped."""
    held: set[tuple[str, str]] = set()
    for item in sorted(data_items, key=lambda i: i.on or date.min):
        if since is not None and item.on is not None and item.on >= since:
            break
        key = (item.flag or "", item.entry_id or "")
        (held.add if item.kind is HistoryKind.FLAG_GAINED else held.discard)(key)
    items: list[HistoryItem] = []
    for e in events:
        if e.subject_id != sid:
            continue
        detail = e.detail or {}
        base: dict[str, Any] = {
            "on": _feed_day(e),
            "source": "feed",
            "seq": e.seq,
            "recorded_at": e.recorded_at,
            "entry_id": e.entry_id,
        }
        if e.kind in (ChangeKind.FLAG_ADDED, ChangeKind.FLAG_REMOVED):
            key = (e.flag or "", e.entry_id or "")
            gained = e.kind is ChangeKind.FLAG_ADDED
            if (key in held) == gained:
                continue
            (held.add if gained else held.discard)(key)
            items.append(
                HistoryItem(
                    kind=HistoryKind.FLAG_GAINED if gained else HistoryKind.FLAG_LOST,
                    flag=e.flag,
                    list=detail.get("list"),
                    rule=detail.get("rule"),
                    path=detail.get("path"),
                    **base,
                )
            )
        elif e.kind is ChangeKind.VERDICT_CHANGED:
            items.append(HistoryItem(kind=HistoryKind.VERDICT_CHANGED, detail=detail, **base))
        elif e.kind is ChangeKind.ENTRY_CHANGED and "changed" in detail:
            items.append(
                HistoryItem(
                    kind=HistoryKind.ENTRY_CHANGED,
                    list=detail.get("list"),
                    detail=detail["changed"],
                    **base,
                )
            )
    return items


def entity_history(
    store: GraphStore, subject_id: str, until: date, policy: Policy | None = None
) -> EntityHistory:
    """The dated timeline of an enterprise or person up to ``until``.

    Raises :class:`UnknownEntity` or :class:`InvalidIdentifierError`.
    """
    policy = policy or default_policy()
    sid, kind = resolve_subject(store, subject_id)
    entries = store.entries(subject_ids=[sid])
    objections = store.objections([e.entry_id for e in entries]) if entries else []
    relations = sorted(
        store.expand([sid], Direction.BOTH),
        key=lambda r: r.end_on or r.start_on or date.min,
    )[-MAX_RELATIONS:]
    others = {r.target_uscc if r.source_id == sid else r.source_id for r in relations}
    nodes = store.nodes([sid, *others])
    names = {k: v.name for k, v in nodes.items()}
    events = store.changes(0, FEED_EVENTS, subject_ids=[sid])
    flag_days = [
        _feed_day(e)
        for e in events
        if e.subject_id == sid and e.kind in (ChangeKind.FLAG_ADDED, ChangeKind.FLAG_REMOVED)
    ]
    since = min(flag_days) if flag_days else None
    from_data = data_flags(store, sid, relations, until, policy)
    kept = [i for i in from_data if since is None or (i.on is not None and i.on < since)]
    items = (
        _entry_items(entries, objections, until)
        + _relation_items(sid, relations, names, until)
        + kept
        + [i for i in feed_items(events, sid, from_data, since) if i.on is None or i.on <= until]
    )
    items.sort(key=lambda i: (i.on or date.min, i.seq or 0, _ORDER[i.kind]))
    return EntityHistory(
        subject_id=sid,
        subject_type=kind,
        name=names.get(sid, sid),
        until=until,
        monitored_since=since,
        items=items,
    )
