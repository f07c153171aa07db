"""The change feed (DESIGN §10): flag and verdict events, and reading the feed.

Entry, relation and objection events are detected by the store in the
transaction that writes them. Flag events are the difference between the
materialised flags a ``propagate`` (or an incremental refresh) replaces and
the ones it writes, so the store derives them as it writes the flags, in
the same transaction (``save_flags(feed=flag_feed(…))``; the embedded store
set-based, in SQL): date-driven changes — an entry expiring between two
evaluation days — come out of the same difference. A subject whose
public_bidding verdict (DESIGN §4) differs between its flags before and
after gets a ``verdict_changed`` event.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import FlagKind, ListKind, Scenario
from credgraph.policy import Policy, default_policy
from credgraph.store.feed import ChangeEvent, FlagFeed, MonitorStore
from queries.errors import InvalidRequest
from queries.measures import flag_condition, flags_verdict

#: the scenario whose verdict the feed follows (DESIGN §10)
VERDICT_SCENARIO = Scenario.PUBLIC_BIDDING
MAX_PAGE = 1000
_TZ = ZoneInfo("Asia/Shanghai")


def flag_feed(as_of: date, policy: Policy | None = None) -> FlagFeed:
    """What a ``save_flags`` on ``as_of`` records (:class:`FlagFeed`): the
    flag events, and the public_bidding verdict as a table of the policy's
    measure conditions — each condition one bit, each mask the verdict that
    flags with those conditions give (:func:`flags_verdict`)."""
    policy = policy or default_policy()
    bits: dict[str, int] = {}
    conditions: dict[tuple[str, str], int] = {}
    sample: dict[int, tuple[FlagKind, ListKind]] = {}
    for kind in FlagKind:
        for listed in ListKind:
            condition = flag_condition(kind, listed, policy)
            if condition is not None:
                bit = bits.setdefault(condition, 1 << len(bits))
                conditions[(kind.value, listed.value)] = bit
                sample.setdefault(bit, (kind, listed))
    verdicts = [
        flags_verdict((p for b, p in sample.items() if mask & b), VERDICT_SCENARIO, policy).value
        for mask in range(1 << len(bits))
    ]
    return FlagFeed(
        as_of=as_of, scenario=VERDICT_SCENARIO.value, conditions=conditions, verdicts=verdicts
    )


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
        raise InvalidRequest(N_("not a changes cursor: {cursor!r}", cursor=cursor)) from None
    prefix, _, number = text.partition(":")
    if prefix != "seq" or not number.isdigit() or len(number) > 18:
        raise InvalidRequest(N_("not a changes cursor: {cursor!r}", cursor=cursor))
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
            raise InvalidRequest(N_("--since {value}: seq too large", value=value))
        return int(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            N_("--since {value!r}: a seq number or a YYYY-MM-DD day", value=value)
        ) from None
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
        raise InvalidRequest(N_("limit must be between 1 and {max}", max=MAX_PAGE))
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
