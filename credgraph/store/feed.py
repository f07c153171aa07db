"""Monitoring in the store (DESIGN §10): the change feed, watchlists and
webhooks, as protocols every backend implements.

The **change feed** is append-only. A backend writes the events of a
change in the same transaction as the change itself — a load's entry and
relation events with the load, flag and verdict events with the flags they
describe (the ``events`` of ``save_flags``) — so a crash never
leaves one without the other. ``seq`` is strictly increasing and the events
of one transaction have consecutive seqs (no gaps: readers of a cursor never
skip an event that commits later with a smaller seq, because writes are
serialised).

Watchlists and webhooks are monitoring state, not graph data: writing them
leaves the graph's generation alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

#: Ids per watchlist (DESIGN §10).
MAX_WATCHLIST_IDS = 100_000


class ChangeKind(StrEnum):
    ENTRY_ADDED = "entry_added"
    ENTRY_CHANGED = "entry_changed"
    ENTRY_REMOVED = "entry_removed"
    FLAG_ADDED = "flag_added"
    FLAG_REMOVED = "flag_removed"
    RELATION_ADDED = "relation_added"
    RELATION_ENDED = "relation_ended"
    VERDICT_CHANGED = "verdict_changed"


#: The kinds of the events ``save_flags`` records.
FLAG_EVENT_KINDS = (ChangeKind.FLAG_ADDED, ChangeKind.FLAG_REMOVED, ChangeKind.VERDICT_CHANGED)

#: Small codes of the kinds in the embedded store (stable: never renumber).
KIND_CODES: dict[ChangeKind, int] = {k: i + 1 for i, k in enumerate(ChangeKind)}
KINDS_BY_CODE: dict[int, ChangeKind] = {v: k for k, v in KIND_CODES.items()}


#: The compared fields of a list entry (``entry_changed``'s ``changed``):
#: the columns of ``list_entries.csv`` but its id, ``responsible_person_ids``
#: compared as the stored ``responsible`` (ids joined by ``;``).
ENTRY_FIELDS = (
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

#: (subject_id, flag, entry_id): one materialised flag per key (DESIGN §3)
FlagKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event to append (``seq`` and ``recorded_at`` come from the store).

    ``related_id`` is the other end of a relation (its source); watchlists
    match an event on ``subject_id`` or ``related_id``. A plain dataclass:
    a first ``propagate`` makes one per flag, built from checked values.
    """

    kind: ChangeKind
    subject_id: str
    related_id: str | None = None
    entry_id: str | None = None
    flag: str | None = None
    as_of: date | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagFeed:
    """What ``save_flags`` records in the feed, derived by the store from the
    flags it replaces and writes, in the same transaction: ``flag_removed``
    then ``flag_added`` events by key (detail: list, rule, path, relations),
    then ``verdict_changed`` by subject for the subjects of those events
    whose ``scenario`` verdict (all their stored flags) differs before and
    after, all with ``as_of``.

    The verdict is a table (the policy's, ``queries.changes.flag_feed``): a
    flag ``(flag, list)`` sets the bits ``conditions`` gives it (none when
    absent), and the verdict of a subject is ``verdicts[mask]`` for the
    union of its flags' bits — so a backend computes it in its own query
    language as well as in Python (:func:`flag_events`).
    """

    as_of: date
    scenario: str
    conditions: Mapping[tuple[str, str], int]
    verdicts: Sequence[str]

    def verdict(self, pairs: Iterable[tuple[str, str]]) -> str:
        """The verdict of a subject whose flags are ``(flag, list)`` pairs."""
        mask = 0
        for pair in pairs:
            mask |= self.conditions.get(pair, 0)
        return self.verdicts[mask]

    def detail(self, data: str) -> dict[str, Any]:
        """A flag event's detail from the flag's stored JSON."""
        flag = json.loads(data)
        return {k: flag[k] for k in ("list", "rule", "path", "relations")}


def flag_events(
    feed: FlagFeed,
    old: Mapping[FlagKey, str],
    new: Mapping[FlagKey, str],
    kept: Iterable[tuple[FlagKey, str]] = (),
) -> list[NewEvent]:
    """The events (:class:`FlagFeed`) of replacing the stored flags ``old``
    with ``new`` (flags as their stored JSON, by key); ``kept``: the other
    stored flags of the same subjects, which the save leaves alone."""
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    events = [
        NewEvent(
            kind=kind,
            subject_id=key[0],
            entry_id=key[2],
            flag=key[1],
            as_of=feed.as_of,
            detail=feed.detail(flags[key]),
        )
        for kind, keys, flags in (
            (ChangeKind.FLAG_REMOVED, removed, old),
            (ChangeKind.FLAG_ADDED, added, new),
        )
        for key in keys
    ]
    subjects = {k[0] for k in (*removed, *added)}
    # a flag that kept its key but not its list (an entry reloaded with
    # another list) may change the verdict without a flag event
    subjects |= {
        k[0]
        for k in old.keys() & new.keys()
        if old[k] != new[k] and json.loads(old[k])["list"] != json.loads(new[k])["list"]
    }
    before: dict[str, list[tuple[str, str]]] = {s: [] for s in subjects}
    after: dict[str, list[tuple[str, str]]] = {s: [] for s in subjects}
    for held, flags in ((before, (*kept, *old.items())), (after, (*kept, *new.items()))):
        for key, data in flags:
            if key[0] in subjects:
                held[key[0]].append((key[1], json.loads(data)["list"]))
    for subject in sorted(subjects):
        was, now = feed.verdict(before[subject]), feed.verdict(after[subject])
        if was != now:
            events.append(
                NewEvent(
                    kind=ChangeKind.VERDICT_CHANGED,
                    subject_id=subject,
                    as_of=feed.as_of,
                    detail={"scenario": feed.scenario, "from": was, "to": now},
                )
            )
    return events


class ChangeEvent(BaseModel):
    """One event of the feed (``changes.schema.json``); ``tx`` numbers the
    transaction that wrote it (its events have consecutive seqs)."""

    seq: int
    tx: int
    recorded_at: datetime
    as_of: date | None = None
    subject_id: str
    related_id: str | None = None
    kind: ChangeKind
    entry_id: str | None = None
    flag: str | None = None
    detail: dict[str, Any] | None = None


class Watchlist(BaseModel):
    name: str
    owner: str
    created_at: datetime
    size: int


class Webhook(BaseModel):
    """A webhook as shown to people: the secret only as a fingerprint."""

    name: str
    url: str
    watchlist: str
    owner: str
    secret_fingerprint: str
    created_at: datetime
    #: last seq delivered (or skipped: no watched subject) to the receiver
    cursor: int
    failures: int = 0
    next_attempt_at: datetime | None = None
    #: the batch in flight: sent again, byte for byte, until a 2xx
    pending_delivery: str | None = None
    pending_last_seq: int | None = None


class PendingDelivery(BaseModel):
    delivery_id: str
    first_seq: int
    last_seq: int
    events: int
    body: bytes


class DeliveryAttempt(BaseModel):
    """One POST to a webhook: what was sent and what came back."""

    attempt_id: int
    webhook: str
    delivery_id: str
    first_seq: int
    last_seq: int
    events: int
    attempted_at: datetime
    status: int | None = None
    error: str | None = None
    ok: bool
    duration_ms: int


class UnknownWatchlist(KeyError):
    pass


class UnknownWebhook(KeyError):
    pass


class NameTaken(ValueError):
    """A watchlist or webhook of that name exists already."""


def fingerprint(secret: str) -> str:
    """What ``webhook list`` shows of a secret: the start of its SHA-256.

    >>> fingerprint("s3cret")
    'sha256:1ec1c26b50d5'
    """
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def holder_gone(holder: str) -> bool:
    """True when ``holder`` (``host:pid:token``) names a process of this host
    that no longer runs: a killed deliverer's lease holds nothing."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@runtime_checkable
class ChangeFeed(Protocol):
    """Reading the append-only change feed."""

    def changes(
        self,
        after_seq: int = 0,
        limit: int = 1000,
        *,
        subject_ids: Iterable[str] | None = None,
        watchlist: str | None = None,
        upto_seq: int | None = None,
    ) -> list[ChangeEvent]:
        """Events with ``after_seq < seq (<= upto_seq)``, by seq, at most
        ``limit``; only those whose subject_id or related_id is one of
        ``subject_ids`` / in ``watchlist`` when given."""

    def last_seq(self) -> int:
        """The largest committed seq (0 when the feed is empty)."""

    def seq_before(self, when: datetime) -> int:
        """The largest seq recorded before ``when`` (0 if none): events
        recorded at or after ``when`` are those after it."""


@runtime_checkable
class Watchlists(Protocol):
    """Named sets of subject ids, owned by the API key that made them."""

    def create_watchlist(self, name: str, owner: str) -> Watchlist:
        """:class:`NameTaken` when ``name`` exists (whoever owns it)."""

    def delete_watchlist(self, name: str) -> None:
        """Drops the list and the webhooks on it; :class:`UnknownWatchlist`."""

    def watch(self, name: str, ids: Sequence[str]) -> int:
        """Adds ids (already known to be stored); returns how many were new.
        ``ValueError`` when the list would exceed :data:`MAX_WATCHLIST_IDS`."""

    def unwatch(self, name: str, ids: Sequence[str]) -> int:
        """Removes ids; returns how many were on the list."""

    def watchlists(self, owner: str | None = None) -> list[Watchlist]:
        """Every watchlist (of ``owner``), by name."""

    def watchlist(self, name: str) -> Watchlist:
        """:class:`UnknownWatchlist` when absent."""

    def watched_ids(self, name: str, limit: int | None = None, offset: int = 0) -> list[str]:
        """The ids of a watchlist, sorted."""


@runtime_checkable
class Webhooks(Protocol):
    """Webhooks on watchlists, their delivery state and log."""

    def add_webhook(self, name: str, url: str, watchlist: str, secret: str, owner: str) -> Webhook:
        """Starts after the current last seq (only later events are sent)."""

    def remove_webhook(self, name: str) -> None: ...

    def webhooks(self) -> list[Webhook]: ...

    def webhook(self, name: str) -> Webhook:
        """:class:`UnknownWebhook` when absent."""

    def webhook_secret(self, name: str) -> str: ...

    def claim_webhook(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Takes the delivery lease of a webhook (one deliverer at a time)
        unless another holder's lease runs past ``now``; a holder string
        ``host:pid:…`` whose process is gone on this host holds nothing."""

    def release_webhook(self, name: str, holder: str) -> None: ...

    def pending_delivery(self, name: str) -> PendingDelivery | None: ...

    def set_pending(self, name: str, pending: PendingDelivery) -> None:
        """Persists the batch about to be sent, before it is sent."""

    def skip_to(self, name: str, seq: int) -> None:
        """Moves the cursor over events nobody watches (no pending batch)."""

    def record_attempt(self, attempt: DeliveryAttempt, next_attempt_at: datetime | None) -> None:
        """Logs an attempt; on success the cursor moves to its last seq and
        the pending batch is cleared, on failure ``failures`` grows and the
        next attempt waits until ``next_attempt_at``."""

    def delivery_log(self, name: str, limit: int = 50) -> list[DeliveryAttempt]:
        """The latest attempts of a webhook, newest first."""


@runtime_checkable
class MonitorStore(ChangeFeed, Watchlists, Webhooks, Protocol):
    """Everything monitoring needs from a store."""
