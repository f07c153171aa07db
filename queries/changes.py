"""The change feed (DESIGN §10): flag and verdict events, and reading the feed.

Entry, relation and objection events are detected by the store in the
transaction that writes them. Flag events are the difference between the
materialised flags a ``propagate`` (or an incremental refresh) replaces and
the ones it writes, so they are written with them, in the same transaction
(``save_flags(events=…)``): date-driven changes — an entry expiring between
two evaluation days — come out of the same difference. A subject whose
public_bidding verdict (DESIGN §4) differs between its flags before and
after gets a ``verdict_changed`` event.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from credgraph.model import Flag, FlagKind, ListKind, Scenario
from credgraph.policy import Policy, default_policy
from credgraph.store import GraphStore
from credgraph.store.feed import ChangeEvent, ChangeKind, MonitorStore, NewEvent
from queries.errors import InvalidRequest
from queries.measures import Verdict, flags_verdict

#: the scenario whose verdict the feed follows (DESIGN §10)
VERDICT_SCENARIO = Scenario.PUBLIC_BIDDING
MAX_PAGE = 1000
_TZ = ZoneInfo("Asia/Shanghai")

_Key = tuple[str, str, str]  # (subject_id, flag, entry_id)


def _flag(value: Flag | Mapping[str, Any]) -> Flag:
    return value if isinstance(value, Flag) else Flag.model_validate(value)


def _detail(f: Flag) -> dict[str, Any]:
    return {
        "list": f.list.value,
        "rule": f.rule.value,
        "path": list(f.path),
        "relations": list(f.relations),
    }


def _key(f: Flag) -> _Key:
    return (f.subject_id, f.flag.value, f.entry_id)


def _verdicts(
    flags: Iterable[Flag], subjects: Collection[str], policy: Policy
) -> dict[str, Verdict]:
    held: dict[str, list[tuple[FlagKind, ListKind]]] = defaultdict(list)
    for f in flags:
        if f.subject_id in subjects:
            held[f.subject_id].append((f.flag, f.list))
    return {s: flags_verdict(held.get(s, ()), VERDICT_SCENARIO, policy) for s in subjects}


def flag_changes(
    store: GraphStore,
    old_flags: Iterable[Flag | Mapping[str, Any]],
    new_flags: Sequence[Flag],
    as_of: date,
    policy: Policy | None = None,
    replace_entries: Collection[str] | None = None,
) -> list[NewEvent]:
    """The events of replacing the stored flags ``old_flags`` (all of them,
    or those of ``replace_entries``) with ``new_flags``: flags removed,
    flags added, then verdicts changed, each by subject."""
    policy = policy or default_policy()
    scope = None if replace_entries is None else set(replace_entries)
    old = {_key(f): f for f in map(_flag, old_flags)}
    new = {_key(f): f for f in new_flags}
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    if not removed and not added:
        return []
    events = [
        NewEvent(
            kind=ChangeKind.FLAG_REMOVED,
            subject_id=k[0],
            entry_id=k[2],
            flag=k[1],
            as_of=as_of,
            detail=_detail(old[k]),
        )
        for k in removed
    ]
    events += [
        NewEvent(
            kind=ChangeKind.FLAG_ADDED,
            subject_id=k[0],
            entry_id=k[2],
            flag=k[1],
            as_of=as_of,
            detail=_detail(new[k]),
        )
        for k in added
    ]
    subjects = {k[0] for k in (*removed, *added)}
    if scope is None:
        before_flags: Iterable[Flag] = old.values()
        after_flags: Iterable[Flag] = new.values()
    else:
        held = store.stored_flags(subject_ids=subjects)
        before_list = [_flag(f) for f in (held.flags if held else [])]
        before_flags = before_list
        after_flags = [f for f in before_list if f.entry_id not in scope] + list(new.values())
    before = _verdicts(before_flags, subjects, policy)
    after = _verdicts(after_flags, subjects, policy)
    events += [
        NewEvent(
            kind=ChangeKind.VERDICT_CHANGED,
            subject_id=s,
            as_of=as_of,
            detail={"scenario": VERDICT_SCENARIO.value, "from": before[s], "to": after[s]},
        )
        for s in sorted(subjects)
        if before[s] != after[s]
    ]
    return events


# -- reading -------------------------------------------------------------------
class ChangesPage(BaseModel):
    """``changes.schema.json``: events by seq; ``next_cursor`` continues the
    feed (also after the last page: poll with it for later events)."""

    events: list[ChangeEvent]
    next_cursor: str | None
    has_more: bool


def encode_cursor(seq: int) -> str:
    """An opaque cursor for the position after ``seq``.

    >>> encode_cursor(42)
    'c2VxOjQy'
    """
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The seq a cursor stands after; :class:`InvalidRequest` when garbled."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(f"not a changes cursor: {cursor!r}") from None
    prefix, _, number = text.partition(":")
    if prefix != "seq" or not number.isdigit() or len(number) > 18:
        raise InvalidRequest(f"not a changes cursor: {cursor!r}")
    return int(number)


def since_seq(store: MonitorStore, since: str | None) -> int:
    """``--since``: a seq (events after it) or an ISO day (events recorded
    from that day on, Asia/Shanghai); 0 when None.

    Raises :class:`InvalidRequest` for anything else.
    """
    if since is None or not since.strip():
        return 0
    value = since.strip()
    if value.isdigit():
        if len(value) > 18:
            raise InvalidRequest(f"--since {value}: seq too large")
        return int(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"--since {value!r}: a seq number or a YYYY-MM-DD day") from None
    return store.seq_before(datetime.combine(day, time(0), tzinfo=_TZ))


def read_changes(
    store: MonitorStore,
    *,
    after_seq: int = 0,
    watchlist: str | None = None,
    subject_ids: Iterable[str] | None = None,
    limit: int = MAX_PAGE,
) -> ChangesPage:
    """One page of the feed after ``after_seq`` (see ``ChangeFeed.changes``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
    # a snapshot of the end first: a page never reaches past it, so the
    # cursor after an empty filtered scan can safely move up to it
    last = store.last_seq()
    events = store.changes(
        after_seq, limit + 1, subject_ids=subject_ids, watchlist=watchlist, upto_seq=last
    )
    more = len(events) > limit
    events = events[:limit]
    position = events[-1].seq if more else max(last, after_seq)
    return ChangesPage(events=events, next_cursor=encode_cursor(position), has_more=more)
