"""Monitoring state on Neo4j: feed reads, watchlists, webhooks, delivery log.

A mixin of :class:`~credgraph.store.neo4j.backend.Neo4jStore` (it uses the
store's ``_read`` and ``_write``). Same semantics as
``credgraph.store.sqlite.monitor``, checked by the same tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

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
from credgraph.store.neo4j.cypher import feed as feed_cypher
from credgraph.store.neo4j.cypher import monitor as cypher

_T = TypeVar("_T")


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
        return [feed.change_event(r["change"]) for r in self._read(feed_cypher.CHANGES, **params)]

    def last_seq(self) -> int:
        return int(self._read(feed_cypher.LAST_SEQ)[0]["seq"])

    def seq_before(self, when: datetime) -> int:
        return int(self._read(feed_cypher.SEQ_BEFORE, before=feed.micros(when))[0]["seq"])

    # -- watchlists ----------------------------------------------------------
    def create_watchlist(self, name: str, owner: str) -> Watchlist:
        made = self._run(cypher.CREATE_WATCHLIST, name=name, owner=owner, at=_ts(datetime.now(UTC)))
        if not made:
            raise NameTaken(f"a watchlist named {name!r} exists already")
        return self.watchlist(name)

    def delete_watchlist(self, name: str) -> None:
        if not self._run(cypher.DELETE_WATCHLIST, name=name)[0]["deleted"]:
            raise UnknownWatchlist(name)

    def watch(self, name: str, ids: Sequence[str]) -> int:
        unique = list(dict.fromkeys(ids))

        def work(tx: ManagedTransaction) -> int:
            record = tx.run(cypher.LOCK_WATCHLIST, {"name": name}).single()
            if record is None:
                raise UnknownWatchlist(name)
            before = int(record["size"])
            for start in range(0, len(unique), 5000):
                tx.run(cypher.WATCH, {"name": name, "ids": unique[start : start + 5000]}).consume()
            after = int(tx.run(cypher.LOCK_WATCHLIST, {"name": name}).single(strict=True)["size"])
            if after > MAX_WATCHLIST_IDS:
                raise ValueError(
                    f"watchlist {name!r} would hold {after:,} ids; at most "
                    f"{MAX_WATCHLIST_IDS:,} are allowed"
                )
            return after - before

        return self._write(work)

    def unwatch(self, name: str, ids: Sequence[str]) -> int:
        def work(tx: ManagedTransaction) -> int:
            if tx.run(cypher.LOCK_WATCHLIST, {"name": name}).single() is None:
                raise UnknownWatchlist(name)
            record = tx.run(
                cypher.UNWATCH, {"name": name, "ids": list(dict.fromkeys(ids))}
            ).single()
            return int(record["removed"]) if record else 0

        return self._write(work)

    def watchlists(self, owner: str | None = None) -> list[Watchlist]:
        return [_watchlist(r) for r in self._read(cypher.WATCHLIST, name=None, owner=owner)]

    def watchlist(self, name: str) -> Watchlist:
        found = self._read(cypher.WATCHLIST, name=name, owner=None)
        if not found:
            raise UnknownWatchlist(name)
        return _watchlist(found[0])

    def watched_ids(self, name: str, limit: int | None = None, offset: int = 0) -> list[str]:
        self.watchlist(name)
        rows = self._read(cypher.WATCHED_IDS, name=name, offset=offset, limit=limit or 2**62)
        return [r["id"] for r in rows]

    # -- webhooks ------------------------------------------------------------
    def add_webhook(self, name: str, url: str, watchlist: str, secret: str, owner: str) -> Webhook:
        self.watchlist(watchlist)
        made = self._run(
            cypher.ADD_WEBHOOK,
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
        self._run(cypher.DELETE_WEBHOOK, name=name)

    def webhooks(self) -> list[Webhook]:
        return [_webhook(r["hook"]) for r in self._read(cypher.WEBHOOKS, name=None)]

    def _hook(self, name: str) -> dict[str, Any]:
        found = self._read(cypher.WEBHOOKS, name=name)
        if not found:
            raise UnknownWebhook(name)
        return dict(found[0]["hook"])

    def webhook(self, name: str) -> Webhook:
        return _webhook(self._hook(name))

    def webhook_secret(self, name: str) -> str:
        return str(self._hook(name)["secret"])

    def claim_webhook(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        def work(tx: ManagedTransaction) -> bool:
            record = tx.run(cypher.LOCK_WEBHOOK, {"name": name}).single()
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
            tx.run(cypher.SET_WEBHOOK, {"name": name, "props": props}).consume()
            return True

        return self._write(work)

    def release_webhook(self, name: str, holder: str) -> None:
        self._run(cypher.RELEASE_WEBHOOK, name=name, holder=holder)

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
        self._run(cypher.SET_WEBHOOK, name=name, props=props)

    def skip_to(self, name: str, seq: int) -> None:
        self._run(cypher.SKIP_TO, name=name, seq=seq)

    def record_attempt(self, attempt: DeliveryAttempt, next_attempt_at: datetime | None) -> None:
        props = attempt.model_dump(exclude={"attempt_id"})
        props["attempted_at"] = _ts(attempt.attempted_at)

        def work(tx: ManagedTransaction) -> None:
            tx.run(cypher.APPEND_DELIVERY, {"props": props}).consume()
            record = tx.run(cypher.LOCK_WEBHOOK, {"name": attempt.webhook}).single()
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
            tx.run(cypher.SET_WEBHOOK, {"name": attempt.webhook, "props": update}).consume()

        self._write(work)

    def delivery_log(self, name: str, limit: int = 50) -> list[DeliveryAttempt]:
        rows = self._read(cypher.DELIVERIES, name=name, limit=limit)
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
