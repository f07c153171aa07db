"""The embedded store's audit log, in its own SQLite file beside the store.

A lookup's audit record is written to ``<store>-audit``, never to the store
file itself: a load holds the store's write lock for minutes, and a lookup
must neither wait for it nor fail because of it (issue 16). Appends only
ever wait for other appends (milliseconds). The file is opened on first
use, so read-only commands never create it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from credgraph.model import AuditRecord
from credgraph.store.shared import d, iso

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit(
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,
    role TEXT NOT NULL, endpoint TEXT NOT NULL, subject_ids TEXT NOT NULL, as_of TEXT
)"""
#: appends wait only for other appends
AUDIT_BUSY_MS = 5000
AUDIT_SUFFIX = "-audit"


def audit_path(store_path: str | Path) -> str:
    """The audit log file of the store at ``store_path``.

    >>> audit_path("data/credgraph.db")
    'data/credgraph.db-audit'
    """
    return f"{store_path}{AUDIT_SUFFIX}"


class SqliteAuditLog:
    """:class:`~credgraph.store.base.AuditLog` in one SQLite file (WAL)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={AUDIT_BUSY_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(AUDIT_SCHEMA)
            self._local.conn = conn
        return conn

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None:
        self._conn().execute(
            "INSERT INTO audit(at, who, role, endpoint, subject_ids, as_of) VALUES (?,?,?,?,?,?)",
            (
                datetime.now(UTC).isoformat(timespec="milliseconds"),
                who,
                role,
                endpoint,
                json.dumps(list(subject_ids)),
                iso(as_of),
            ),
        )

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        if getattr(self._local, "conn", None) is None and not Path(self.path).exists():
            return []
        rows = self._conn().execute(
            "SELECT * FROM audit WHERE audit_id > ? ORDER BY audit_id LIMIT ?", (after_id, limit)
        )
        return [
            AuditRecord(
                audit_id=r[0],
                at=datetime.fromisoformat(r[1]),
                who=r[2],
                role=r[3],
                endpoint=r[4],
                subject_ids=json.loads(r[5]),
                as_of=d(r[6]),
            )
            for r in rows
        ]

    def take_over(self, store: sqlite3.Connection) -> None:
        """Move the records of a store written when the audit log was one of
        its tables into this file (inside the store's upgrade transaction;
        ids kept, so a repeated move adds nothing)."""
        found = store.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'"
        ).fetchone()
        if found is None:
            return
        rows = store.execute("SELECT * FROM audit ORDER BY audit_id").fetchall()
        if rows:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR IGNORE INTO audit VALUES (?,?,?,?,?,?,?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        store.execute("DROP TABLE audit")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
