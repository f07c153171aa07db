"""Monitoring state in the embedded store: the feed's read side, watchlists,
webhooks and their delivery log (``credgraph.store.feed`` protocols).

A part of :class:`~credgraph.store.sqlite.EmbeddedStore`. Its writes are
short transactions of their own that leave the graph's generation alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

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
from credgraph.store.sqlite import feed as sqlite_feed
from credgraph.store.sqlite.connection import SqliteBase

MONITOR_SCHEMA = """
CREATE TABLE IF NOT EXISTS watchlists(
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watched(
    watchlist TEXT NOT NULL, subject_id TEXT NOT NULL, PRIMARY KEY(watchlist, subject_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watched_by_subject ON watched(subject_id);
CREATE TABLE IF NOT EXISTS webhooks(
    name TEXT PRIMARY KEY, url TEXT NOT NULL, watchlist TEXT NOT NULL, owner TEXT NOT NULL,
    secret TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL,
    cursor INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT,
    lease_holder TEXT, lease_until TEXT,
    pending_id TEXT, pending_first INTEGER, pending_last INTEGER, pending_events INTEGER,
    pending_body BLOB
);
CREATE TABLE IF NOT EXISTS deliveries(
    attempt_id INTEGER PRIMARY KEY AUTOINCREMENT, webhook TEXT NOT NULL,
    delivery_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    events INTEGER NOT NULL, attempted_at TEXT NOT NULL, status INTEGER, error TEXT,
    ok INTEGER NOT NULL, duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries(webhook, attempt_id);
"""

_WEBHOOK_COLUMNS = (
    "name, url, watchlist, owner, fingerprint, created_at, cursor, failures, next_attempt_at, "
    "pending_id, pending_last"
)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


MONITOR_STATEMENTS = sqlite_feed.statements(MONITOR_SCHEMA)


class EmbeddedMonitor(SqliteBase):
    """Change feed reads, watchlists and webhooks on the embedded store."""

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
        return sqlite_feed.read_changes(
            self._conn(), after_seq, limit, subject_ids, watchlist, upto_seq
        )

    def last_seq(self) -> int:
        return sqlite_feed.mark(self._conn())

    def seq_before(self, when: datetime) -> int:
        return sqlite_feed.seq_before(self._conn(), when)

    # -- watchlists ----------------------------------------------------------
    def create_watchlist(self, name: str, owner: str) -> Watchlist:
        with self.transaction(bump=False) as conn:
            try:
                conn.execute(
                    "INSERT INTO watchlists VALUES (?,?,?)", (name, owner, _ts(datetime.now(UTC)))
                )
            except sqlite3.IntegrityError:
                raise NameTaken(f"a watchlist named {name!r} exists already") from None
        return self.watchlist(name)

    def delete_watchlist(self, name: str) -> None:
        with self.transaction(bump=False) as conn:
            if conn.execute("DELETE FROM watchlists WHERE name = ?", (name,)).rowcount == 0:
                raise UnknownWatchlist(name)
            conn.execute("DELETE FROM watched WHERE watchlist = ?", (name,))
            conn.execute("DELETE FROM webhooks WHERE watchlist = ?", (name,))

    def watch(self, name: str, ids: Sequence[str]) -> int:
        with self.transaction(bump=False) as conn:
            self._require_watchlist(conn, name)
            before = self._size(conn, name)
            conn.executemany(
                "INSERT OR IGNORE INTO watched VALUES (?, ?)", ((name, i) for i in ids)
            )
            after = self._size(conn, name)
            if after > MAX_WATCHLIST_IDS:
                raise ValueError(
                    f"watchlist {name!r} would hold {after:,} ids; at most "
                    f"{MAX_WATCHLIST_IDS:,} are allowed"
                )
        return after - before

    def unwatch(self, name: str, ids: Sequence[str]) -> int:
        with self.transaction(bump=False) as conn:
            self._require_watchlist(conn, name)
            cur = conn.executemany(
                "DELETE FROM watched WHERE watchlist = ? AND subject_id = ?",
                ((name, i) for i in ids),
            )
            return cur.rowcount

    @staticmethod
    def _require_watchlist(conn: sqlite3.Connection, name: str) -> None:
        if conn.execute("SELECT 1 FROM watchlists WHERE name = ?", (name,)).fetchone() is None:
            raise UnknownWatchlist(name)

    @staticmethod
    def _size(conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT COUNT(*) FROM watched WHERE watchlist = ?", (name,)).fetchone()
        return int(row[0])

    def watchlists(self, owner: str | None = None) -> list[Watchlist]:
        sql = (
            "SELECT w.name, w.owner, w.created_at, "
            "(SELECT COUNT(*) FROM watched x WHERE x.watchlist = w.name) FROM watchlists w"
        )
        args: tuple[str, ...] = ()
        if owner is not None:
            sql += " WHERE w.owner = ?"
            args = (owner,)
        rows = self._conn().execute(sql + " ORDER BY w.name", args)
        return [
            Watchlist(name=r[0], owner=r[1], created_at=datetime.fromisoformat(r[2]), size=r[3])
            for r in rows
        ]

    def watchlist(self, name: str) -> Watchlist:
        conn = self._conn()
        row = conn.execute("SELECT owner, created_at FROM watchlists WHERE name = ?", (name,))
        found = row.fetchone()
        if found is None:
            raise UnknownWatchlist(name)
        return Watchlist(
            name=name,
            owner=found[0],
            created_at=datetime.fromisoformat(found[1]),
            size=self._size(conn, name),
        )

    def watched_ids(self, name: str, limit: int | None = None, offset: int = 0) -> list[str]:
        conn = self._conn()
        self._require_watchlist(conn, name)
        rows = conn.execute(
            "SELECT subject_id FROM watched WHERE watchlist = ? ORDER BY subject_id "
            "LIMIT ? OFFSET ?",
            (name, -1 if limit is None else limit, offset),
        )
        return [r[0] for r in rows]

    # -- webhooks ------------------------------------------------------------
    def add_webhook(self, name: str, url: str, watchlist: str, secret: str, owner: str) -> Webhook:
        with self.transaction(bump=False) as conn:
            self._require_watchlist(conn, watchlist)
            try:
                conn.execute(
                    "INSERT INTO webhooks(name, url, watchlist, owner, secret, fingerprint, "
                    "created_at, cursor) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        name,
                        url,
                        watchlist,
                        owner,
                        secret,
                        fingerprint(secret),
                        _ts(datetime.now(UTC)),
                        sqlite_feed.mark(conn),
                    ),
                )
            except sqlite3.IntegrityError:
                raise NameTaken(f"a webhook named {name!r} exists already") from None
        return self.webhook(name)

    def remove_webhook(self, name: str) -> None:
        with self.transaction(bump=False) as conn:
            if conn.execute("DELETE FROM webhooks WHERE name = ?", (name,)).rowcount == 0:
                raise UnknownWebhook(name)

    def webhooks(self) -> list[Webhook]:
        rows = self._conn().execute(f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks ORDER BY name")
        return [_webhook(r) for r in rows]

    def webhook(self, name: str) -> Webhook:
        row = (
            self._conn()
            .execute(f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE name = ?", (name,))
            .fetchone()
        )
        if row is None:
            raise UnknownWebhook(name)
        return _webhook(row)

    def webhook_secret(self, name: str) -> str:
        row = self._conn().execute("SELECT secret FROM webhooks WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UnknownWebhook(name)
        return str(row[0])

    def claim_webhook(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        with self.transaction(bump=False) as conn:
            row = conn.execute(
                "SELECT lease_holder, lease_until FROM webhooks WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise UnknownWebhook(name)
            held, held_until = row[0], _dt(row[1])
            busy = (
                held is not None
                and held != holder
                and held_until is not None
                and held_until > now
                and not holder_gone(held)
            )
            if busy:
                return False
            conn.execute(
                "UPDATE webhooks SET lease_holder = ?, lease_until = ? WHERE name = ?",
                (holder, _ts(until), name),
            )
            return True

    def release_webhook(self, name: str, holder: str) -> None:
        with self.transaction(bump=False) as conn:
            conn.execute(
                "UPDATE webhooks SET lease_holder = NULL, lease_until = NULL "
                "WHERE name = ? AND lease_holder = ?",
                (name, holder),
            )

    def pending_delivery(self, name: str) -> PendingDelivery | None:
        row = (
            self._conn()
            .execute(
                "SELECT pending_id, pending_first, pending_last, pending_events, pending_body "
                "FROM webhooks WHERE name = ?",
                (name,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownWebhook(name)
        if row[0] is None:
            return None
        return PendingDelivery(
            delivery_id=row[0], first_seq=row[1], last_seq=row[2], events=row[3], body=row[4]
        )

    def set_pending(self, name: str, pending: PendingDelivery) -> None:
        with self.transaction(bump=False) as conn:
            conn.execute(
                "UPDATE webhooks SET pending_id = ?, pending_first = ?, pending_last = ?, "
                "pending_events = ?, pending_body = ? WHERE name = ?",
                (
                    pending.delivery_id,
                    pending.first_seq,
                    pending.last_seq,
                    pending.events,
                    pending.body,
                    name,
                ),
            )

    def skip_to(self, name: str, seq: int) -> None:
        with self.transaction(bump=False) as conn:
            conn.execute(
                "UPDATE webhooks SET cursor = MAX(cursor, ?) WHERE name = ? AND pending_id IS NULL",
                (seq, name),
            )

    def record_attempt(self, attempt: DeliveryAttempt, next_attempt_at: datetime | None) -> None:
        with self.transaction(bump=False) as conn:
            conn.execute(
                "INSERT INTO deliveries(webhook, delivery_id, first_seq, last_seq, events, "
                "attempted_at, status, error, ok, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt.webhook,
                    attempt.delivery_id,
                    attempt.first_seq,
                    attempt.last_seq,
                    attempt.events,
                    _ts(attempt.attempted_at),
                    attempt.status,
                    attempt.error,
                    int(attempt.ok),
                    attempt.duration_ms,
                ),
            )
            if attempt.ok:
                conn.execute(
                    "UPDATE webhooks SET cursor = MAX(cursor, ?), failures = 0, "
                    "next_attempt_at = NULL, pending_id = NULL, pending_first = NULL, "
                    "pending_last = NULL, pending_events = NULL, pending_body = NULL "
                    "WHERE name = ? AND pending_id = ?",
                    (attempt.last_seq, attempt.webhook, attempt.delivery_id),
                )
            else:
                conn.execute(
                    "UPDATE webhooks SET failures = failures + 1, next_attempt_at = ? "
                    "WHERE name = ?",
                    (_ts(next_attempt_at) if next_attempt_at else None, attempt.webhook),
                )

    def delivery_log(self, name: str, limit: int = 50) -> list[DeliveryAttempt]:
        rows = self._conn().execute(
            "SELECT attempt_id, webhook, delivery_id, first_seq, last_seq, events, attempted_at, "
            "status, error, ok, duration_ms FROM deliveries WHERE webhook = ? "
            "ORDER BY attempt_id DESC LIMIT ?",
            (name, limit),
        )
        return [
            DeliveryAttempt(
                attempt_id=r[0],
                webhook=r[1],
                delivery_id=r[2],
                first_seq=r[3],
                last_seq=r[4],
                events=r[5],
                attempted_at=datetime.fromisoformat(r[6]),
                status=r[7],
                error=r[8],
                ok=bool(r[9]),
                duration_ms=r[10],
            )
            for r in rows
        ]


def _webhook(r: tuple[object, ...]) -> Webhook:
    return Webhook(
        name=str(r[0]),
        url=str(r[1]),
        watchlist=str(r[2]),
        owner=str(r[3]),
        secret_fingerprint=str(r[4]),
        created_at=datetime.fromisoformat(str(r[5])),
        cursor=int(str(r[6])),
        failures=int(str(r[7])),
        next_attempt_at=_dt(r[8] if isinstance(r[8], str) else None),
        pending_delivery=r[9] if isinstance(r[9], str) else None,
        pending_last_seq=r[10] if isinstance(r[10], int) else None,
    )
