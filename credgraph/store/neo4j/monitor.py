"""Monitoring state on Neo4j: feed reads, watchlists, webhooks, delivery log.

A mixin of :class:`~credgraph.store.neo4j.backend.Neo4jStore` (it uses the
store's ``_read`` and ``_write``). Same semantics as
``credgraph.store.sqlite.monitor``, checked by the same tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from neo4j import ManagedTransaction, Record

from credgraph.store.feed import (
    MAX_WATCHLIST_IDS,
    ChangeEvent,
    DeliveryAttempt,
    NameTaken,
    PendingDelivery,
    UnknownWatchlist,
    UnknownWebhook,
    Watchlist,
    Webhook,
    fingerprint,
    holder_gone,
)
from credgraph.store.neo4j import feed

_T = TypeVar("_T")

CONSTRAINT_WATCHLIST_NAME = """
CREATE CONSTRAINT watchlist_name IF NOT EXISTS FOR (w:Watchlist) REQUIRE w.name IS UNIQUE
"""
CONSTRAINT_WATCHED_KEY = """
CREATE CONSTRAINT watched_key IF NOT EXISTS FOR (w:Watched) REQUIRE w.key IS UNIQUE
"""
INDEX_WATCHED_LIST = """
CREATE INDEX watched_list IF NOT EXISTS FOR (w:Watched) ON (w.watchlist)
"""
INDEX_WATCHED_SUBJECT = """
CREATE INDEX watched_subject IF NOT EXISTS FOR (w:Watched) ON (w.subject_id)
"""
CONSTRAINT_WEBHOOK_NAME = """
CREATE CONSTRAINT webhook_name IF NOT EXISTS FOR (h:Webhook) REQUIRE h.name IS UNIQUE
"""
INDEX_DELIVERY_WEBHOOK = """
CREATE INDEX delivery_webhook IF NOT EXISTS FOR (d:Delivery) ON (d.webhook)
"""
SCHEMA: Final = (
    *feed.SCHEMA,
    CONSTRAINT_WATCHLIST_NAME,
    CONSTRAINT_WATCHED_KEY,
    INDEX_WATCHED_LIST,
    INDEX_WATCHED_SUBJECT,
    CONSTRAINT_WEBHOOK_NAME,
    INDEX_DELIVERY_WEBHOOK,
)
CREATE_WATCHLIST = """
OPTIONAL MATCH (old:Watchlist {name: $name})
WITH old WHERE old IS NULL
CREATE (w:Watchlist {name: $name, owner: $owner, created_at: $at})
RETURN w.name AS name
"""
WATCHLIST = """
MATCH (w:Watchlist)
WHERE ($name IS NULL OR w.name = $name) AND ($owner IS NULL OR w.owner = $owner)
RETURN w.name AS name, w.owner AS owner, w.created_at AS created_at,
       COUNT { MATCH (x:Watched {watchlist: w.name}) } AS size
ORDER BY name
"""
DELETE_WATCHLIST = """
MATCH (w:Watchlist {name: $name})
OPTIONAL MATCH (x:Watched {watchlist: $name})
DETACH DELETE x
WITH DISTINCT w
OPTIONAL MATCH (h:Webhook {watchlist: $name})
DETACH DELETE h
WITH DISTINCT w
DETACH DELETE w
RETURN count(*) AS deleted
"""
LOCK_WATCHLIST = """
MATCH (w:Watchlist {name: $name})
SET w._lock = true
REMOVE w._lock
RETURN COUNT { MATCH (x:Watched {watchlist: $name}) } AS size
"""
WATCH = """
UNWIND $ids AS id
MERGE (:Watched {key: $name + '|' + id, watchlist: $name, subject_id: id})
"""
UNWATCH = """
UNWIND $ids AS id
MATCH (x:Watched {key: $name + '|' + id})
DELETE x
RETURN count(*) AS removed
"""
WATCHED_IDS = """
MATCH (x:Watched {watchlist: $name})
RETURN x.subject_id AS id
ORDER BY id
SKIP $offset LIMIT $limit
"""
ADD_WEBHOOK = """
MATCH (w:Watchlist {name: $watchlist})
OPTIONAL MATCH (old:Webhook {name: $name})
WITH w, old WHERE old IS NULL
OPTIONAL MATCH (m:Meta {key: 'change_seq'})
CREATE (h:Webhook {name: $name, url: $url, watchlist: $watchlist, owner: $owner,
                   secret: $secret, fingerprint: $fingerprint, created_at: $at,
                   cursor: coalesce(m.value, 0), failures: 0})
RETURN h.name AS name
"""
WEBHOOKS = """
MATCH (h:Webhook)
WHERE $name IS NULL OR h.name = $name
RETURN properties(h) AS hook
ORDER BY h.name
"""
LOCK_WEBHOOK = """
MATCH (h:Webhook {name: $name})
SET h._lock = true
REMOVE h._lock
RETURN properties(h) AS hook
"""
SET_WEBHOOK = """
MATCH (h:Webhook {name: $name})
SET h += $props
"""
APPEND_DELIVERY = """
MERGE (m:Meta {key: 'delivery_seq'}) ON CREATE SET m.value = 0
SET m.value = m.value + 1
CREATE (d:Delivery {attempt_id: m.value})
SET d += $props
"""
DELETE_WEBHOOK = """
MATCH (h:Webhook {name: $name})
DETACH DELETE h
"""
RELEASE_WEBHOOK = """
MATCH (h:Webhook {name: $name})
WHERE h.lease_holder = $holder
REMOVE h.lease_holder, h.lease_until
"""
SKIP_TO = """
MATCH (h:Webhook {name: $name})
WHERE h.pending_id IS NULL AND h.cursor < $seq
SET h.cursor = $seq
"""
DELIVERIES = """
MATCH (d:Delivery {webhook: $name})
RETURN properties(d) AS attempt
ORDER BY d.attempt_id DESC
LIMIT $limit
"""


#: what the Cypher lint (tests/store/test_cypher_lint.py) declares beside
#: ``cypher``'s schema, and a sample of every statement's parameters
LABELS: Final = ("Watchlist", "Watched", "Webhook", "Delivery", "Meta")
PROPERTY_KEYS: Final = (
    "name", "owner", "created_at", "key", "watchlist", "subject_id", "url", "secret",
    "fingerprint", "cursor", "failures", "lease_holder", "lease_until", "pending_id",
    "attempt_id", "webhook", "value", "_lock",
)  # fmt: skip
_HOOK = {
    "name": "h",
    "url": "https://example.org/h",
    "watchlist": "w",
    "owner": "o",
    "secret": "0123456789abcdef",
    "fingerprint": "sha256:0",
    "at": "2024-01-01T00:00:00",
}
PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    **{
        name: {}
        for name in (
            "CONSTRAINT_WATCHLIST_NAME",
            "CONSTRAINT_WATCHED_KEY",
            "INDEX_WATCHED_LIST",
            "INDEX_WATCHED_SUBJECT",
            "CONSTRAINT_WEBHOOK_NAME",
            "INDEX_DELIVERY_WEBHOOK",
        )
    },
    "CREATE_WATCHLIST": {"name": "w", "owner": "o", "at": "2024-01-01T00:00:00"},
    "WATCHLIST": {"name": "w", "owner": None},
    "DELETE_WATCHLIST": {"name": "w"},
    "LOCK_WATCHLIST": {"name": "w"},
    "WATCH": {"name": "w", "ids": ["U1"]},
    "UNWATCH": {"name": "w", "ids": ["U1"]},
    "WATCHED_IDS": {"name": "w", "offset": 0, "limit": 10},
    "ADD_WEBHOOK": _HOOK,
    "WEBHOOKS": {"name": "h"},
    "LOCK_WEBHOOK": {"name": "h"},
    "SET_WEBHOOK": {"name": "h", "props": {"failures": 1}},
    "APPEND_DELIVERY": {"props": {"webhook": "h", "ok": True}},
    "DELETE_WEBHOOK": {"name": "h"},
    "RELEASE_WEBHOOK": {"name": "h", "holder": "host:1:x"},
    "SKIP_TO": {"name": "h", "seq": 10},
    "DELIVERIES": {"name": "h", "limit": 50},
}


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Neo4jMonitor:
    """Change feed reads, watchlists and webhooks on Neo4j."""

    def _read(self, query: str, **params: Any) -> list[Record]:  # provided by the store
        raise NotImplementedError

    def _write(self, work: Callable[[ManagedTransaction], _T]) -> _T:
        raise NotImplementedError

    def _run(self, query: str, **params: Any) -> list[Record]:
        return self._write(lambda tx: list(tx.run(query, params)))

    # -- change feed ---------------------------------------------------------
    def changes(
        self,
        after_seq: int = 0,
        limit: int = 1000,
        *,
        subject_ids: Iterable[str] | None = None,
        watchlist: str | None = None,
        upto_seq: int | None = None,
    ) -> list[ChangeEvent]:
        params = feed.changes_params(after_seq, limit, subject_ids, watchlist, upto_seq)
        if params["ids"] == []:
            return []
        return [feed.change_event(r["change"]) for r in self._read(feed.CHANGES, **params)]

    def last_seq(self) -> int:
        return int(self._read(feed.LAST_SEQ)[0]["seq"])

    def seq_before(self, when: datetime) -> int:
        return int(self._read(feed.SEQ_BEFORE, before=feed.micros(when))[0]["seq"])

    # -- watchlists ----------------------------------------------------------
    def create_watchlist(self, name: str, owner: str) -> Watchlist:
        made = self._run(CREATE_WATCHLIST, name=name, owner=owner, at=_ts(datetime.now(UTC)))
        if not made:
            raise NameTaken(f"a watchlist named {name!r} exists already")
        return self.watchlist(name)

    def delete_watchlist(self, name: str) -> None:
        if not self._run(DELETE_WATCHLIST, name=name)[0]["deleted"]:
            raise UnknownWatchlist(name)

    def watch(self, name: str, ids: Sequence[str]) -> int:
        unique = list(dict.fromkeys(ids))

        def work(tx: ManagedTransaction) -> int:
            record = tx.run(LOCK_WATCHLIST, {"name": name}).single()
            if record is None:
                raise UnknownWatchlist(name)
            before = int(record["size"])
            for start in range(0, len(unique), 5000):
                tx.run(WATCH, {"name": name, "ids": unique[start : start + 5000]}).consume()
            after = int(tx.run(LOCK_WATCHLIST, {"name": name}).single(strict=True)["size"])
            if after > MAX_WATCHLIST_IDS:
                raise ValueError(
                    f"watchlist {name!r} would hold {after:,} ids; at most "
                    f"{MAX_WATCHLIST_IDS:,} are allowed"
                )
            return after - before

        return self._write(work)

    def unwatch(self, name: str, ids: Sequence[str]) -> int:
        def work(tx: ManagedTransaction) -> int:
            if tx.run(LOCK_WATCHLIST, {"name": name}).single() is None:
                raise UnknownWatchlist(name)
            record = tx.run(UNWATCH, {"name": name, "ids": list(dict.fromkeys(ids))}).single()
            return int(record["removed"]) if record else 0

        return self._write(work)

    def watchlists(self, owner: str | None = None) -> list[Watchlist]:
        return [_watchlist(r) for r in self._read(WATCHLIST, name=None, owner=owner)]

    def watchlist(self, name: str) -> Watchlist:
        found = self._read(WATCHLIST, name=name, owner=None)
        if not found:
            raise UnknownWatchlist(name)
        return _watchlist(found[0])

    def watched_ids(self, name: str, limit: int | None = None, offset: int = 0) -> list[str]:
        self.watchlist(name)
        rows = self._read(WATCHED_IDS, name=name, offset=offset, limit=limit or 2**62)
        return [r["id"] for r in rows]

    # -- webhooks ------------------------------------------------------------
    def add_webhook(self, name: str, url: str, watchlist: str, secret: str, owner: str) -> Webhook:
        self.watchlist(watchlist)
        made = self._run(
            ADD_WEBHOOK,
            name=name,
            url=url,
            watchlist=watchlist,
            owner=owner,
            secret=secret,
            fingerprint=fingerprint(secret),
            at=_ts(datetime.now(UTC)),
        )
        if not made:
            self.watchlist(watchlist)
            raise NameTaken(f"a webhook named {name!r} exists already")
        return self.webhook(name)

    def remove_webhook(self, name: str) -> None:
        self.webhook(name)
        self._run(DELETE_WEBHOOK, name=name)

    def webhooks(self) -> list[Webhook]:
        return [_webhook(r["hook"]) for r in self._read(WEBHOOKS, name=None)]

    def _hook(self, name: str) -> dict[str, Any]:
        found = self._read(WEBHOOKS, name=name)
        if not found:
            raise UnknownWebhook(name)
        return dict(found[0]["hook"])

    def webhook(self, name: str) -> Webhook:
        return _webhook(self._hook(name))

    def webhook_secret(self, name: str) -> str:
        return str(self._hook(name)["secret"])

    def claim_webhook(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        def work(tx: ManagedTransaction) -> bool:
            record = tx.run(LOCK_WEBHOOK, {"name": name}).single()
            if record is None:
                raise UnknownWebhook(name)
            hook = record["hook"]
            held, held_until = hook.get("lease_holder"), _dt(hook.get("lease_until"))
            if (
                held is not None
                and held != holder
                and held_until is not None
                and held_until > now
                and not holder_gone(held)
            ):
                return False
            props = {"lease_holder": holder, "lease_until": _ts(until)}
            tx.run(SET_WEBHOOK, {"name": name, "props": props}).consume()
            return True

        return self._write(work)

    def release_webhook(self, name: str, holder: str) -> None:
        self._run(RELEASE_WEBHOOK, name=name, holder=holder)

    def pending_delivery(self, name: str) -> PendingDelivery | None:
        hook = self._hook(name)
        if hook.get("pending_id") is None:
            return None
        return PendingDelivery(
            delivery_id=hook["pending_id"],
            first_seq=hook["pending_first"],
            last_seq=hook["pending_last"],
            events=hook["pending_events"],
            body=bytes(hook["pending_body"]),
        )

    def set_pending(self, name: str, pending: PendingDelivery) -> None:
        props = {
            "pending_id": pending.delivery_id,
            "pending_first": pending.first_seq,
            "pending_last": pending.last_seq,
            "pending_events": pending.events,
            "pending_body": pending.body,
        }
        self._run(SET_WEBHOOK, name=name, props=props)

    def skip_to(self, name: str, seq: int) -> None:
        self._run(SKIP_TO, name=name, seq=seq)

    def record_attempt(self, attempt: DeliveryAttempt, next_attempt_at: datetime | None) -> None:
        props = attempt.model_dump(exclude={"attempt_id"})
        props["attempted_at"] = _ts(attempt.attempted_at)

        def work(tx: ManagedTransaction) -> None:
            tx.run(APPEND_DELIVERY, {"props": props}).consume()
            record = tx.run(LOCK_WEBHOOK, {"name": attempt.webhook}).single()
            if record is None:
                return
            hook = record["hook"]
            if attempt.ok:
                if hook.get("pending_id") != attempt.delivery_id:
                    return
                update: dict[str, Any] = {
                    "cursor": max(int(hook["cursor"]), attempt.last_seq),
                    "failures": 0,
                    "next_attempt_at": None,
                    "pending_id": None,
                    "pending_first": None,
                    "pending_last": None,
                    "pending_events": None,
                    "pending_body": None,
                }
            else:
                update = {
                    "failures": int(hook["failures"]) + 1,
                    "next_attempt_at": _ts(next_attempt_at) if next_attempt_at else None,
                }
            tx.run(SET_WEBHOOK, {"name": attempt.webhook, "props": update}).consume()

        self._write(work)

    def delivery_log(self, name: str, limit: int = 50) -> list[DeliveryAttempt]:
        rows = self._read(DELIVERIES, name=name, limit=limit)
        out = []
        for r in rows:
            p = dict(r["attempt"])
            p["attempted_at"] = datetime.fromisoformat(p["attempted_at"])
            out.append(DeliveryAttempt.model_validate(p))
        return out


def _watchlist(r: Record) -> Watchlist:
    return Watchlist(
        name=r["name"],
        owner=r["owner"],
        created_at=datetime.fromisoformat(r["created_at"]),
        size=int(r["size"]),
    )


def _webhook(h: dict[str, Any]) -> Webhook:
    return Webhook(
        name=h["name"],
        url=h["url"],
        watchlist=h["watchlist"],
        owner=h["owner"],
        secret_fingerprint=h["fingerprint"],
        created_at=datetime.fromisoformat(h["created_at"]),
        cursor=int(h["cursor"]),
        failures=int(h.get("failures") or 0),
        next_attempt_at=_dt(h.get("next_attempt_at")),
        pending_delivery=h.get("pending_id"),
        pending_last_seq=h.get("pending_last"),
    )
