"""Connections and the one write transaction of the embedded store.

Readers never wait for a writer: the file is in WAL mode, so a read sees
the store as of its last commit while a load writes. A store opened
``read_only`` opens the file with ``mode=ro`` (it never writes, not even
its schema) and also works on a file in a read-only folder. A second
writer waits for the first with a progress callback, then gives up with
:class:`StoreBusy`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from credgraph.store.base import StoreError
from credgraph.store.sqlite import feed
from credgraph.store.sqlite.fts import ensure_index, search_index_current
from credgraph.store.sqlite.newstore import NewStore, absent
from credgraph.store.sqlite.schema import CACHE_KIB, SCHEMA, SCHEMA_VERSION

#: how long a writer waits for another one by default (seconds)
WRITE_WAIT = 60.0
#: a reader's busy timeout: only a crashed writer's WAL recovery makes one wait
READ_BUSY_MS = 5000
#: a waiting writer retries this often and reports every ``NOTE_EVERY`` seconds
WAIT_STEP_MS = 250
NOTE_EVERY = 5.0

#: called with the seconds waited so far while another writer holds the store
OnWait = Callable[[float], None]


class StoreBusy(StoreError):
    """Another writer held the store for longer than the write wait."""


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _open_read_only(path: str) -> sqlite3.Connection:
    """``mode=ro``; a WAL file whose shared-memory file can be neither
    opened nor created (a read-only folder, no writer at work) is opened
    ``immutable``."""
    uri = Path(path).resolve().as_uri()
    try:
        conn = sqlite3.connect(
            f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_CANTOPEN:
            raise
        if os.access(Path(path).resolve().parent, os.W_OK) or not os.access(path, os.R_OK):
            raise
    return sqlite3.connect(
        f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
    )


class SqliteBase:
    """One connection per thread on one store file, and its write transaction."""

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        write_wait: float = WRITE_WAIT,
        on_wait: OnWait | None = None,
        new: bool = False,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.write_wait = write_wait
        self.on_wait = on_wait
        self._local = threading.local()
        #: a brand-new store not created yet (``new``): its first ``bulk``
        #: builds it in a scratch file (``newstore.py``); any other use
        #: creates it in place first
        self.pending: NewStore | None = None
        #: that build is under way (this thread's connection is the scratch file)
        self.building = False
        if read_only:
            self._check_readable()
        elif new and absent(Path(path)):
            self.pending = NewStore(Path(path))
        else:
            self._upgrade()

    # -- connection ----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.pending is not None:
                self.create_in_place()
                return self._conn()
            if self.read_only:
                conn = _open_read_only(self.path)
                conn.execute("PRAGMA query_only=ON")
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={READ_BUSY_MS}")
            conn.execute(f"PRAGMA cache_size={CACHE_KIB}")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA foreign_keys=OFF")
            self._local.conn = conn
        return conn

    def create_in_place(self) -> None:
        """A pending new store created in place, as any store is (a load
        that did not build it still leaves an empty store, as before)."""
        self.pending = None
        self._upgrade()

    def close(self) -> None:
        if self.pending is not None:
            self.create_in_place()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- the write transaction -------------------------------------------------
    @contextmanager
    def transaction(self, *, bump: bool) -> Iterator[sqlite3.Connection]:
        """The one write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``,
        rolled back on any exception. With ``bump`` the generation goes up
        in the same transaction when a row changed (a reload of the same
        data keeps it, so materialised flags stay valid)."""
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")
        conn = self._conn()
        self._begin(conn)
        try:
            before = conn.total_changes
            feed_mark = feed.mark(conn)
            yield conn
            feed.close_tx(conn, feed_mark)  # the change feed's events of this transaction
            if bump and conn.total_changes != before:
                conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
            conn.execute("COMMIT")
        except BaseException:
            if not self.building:
                conn.execute("ROLLBACK")
            raise

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting up to ``write_wait`` seconds for
        another writer (reporting through ``on_wait``), then :class:`StoreBusy`."""
        started = time.monotonic()
        next_note = 0.0
        conn.execute(f"PRAGMA busy_timeout={WAIT_STEP_MS}")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise
                waited = time.monotonic() - started
                if waited >= self.write_wait:
                    raise StoreBusy(
                        f"another process is writing {self.path}: gave up after "
                        f"{waited:.0f} s; try again when it has finished"
                    )
                if self.on_wait is not None and waited >= next_note:
                    self.on_wait(waited)
                    next_note += NOTE_EVERY
        finally:
            conn.execute(f"PRAGMA busy_timeout={READ_BUSY_MS}")

    # -- schema ----------------------------------------------------------------
    def _schema_current(self) -> bool:
        conn = self._conn()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return version >= SCHEMA_VERSION and search_index_current(conn)

    def _upgrade(self) -> None:
        """Create the tables of a new store, or bring an older one up to
        date (in one write transaction, so only when something is missing:
        opening a current store writes nothing and never waits)."""
        if self._schema_current():
            return
        with self.transaction(bump=False) as conn:
            for statement in SCHEMA.split(";"):  # not executescript: it would commit
                if statement.strip():
                    conn.execute(statement)
            ensure_index(conn)  # names of a store written before the search index
            self._upgraded(conn)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _upgraded(self, conn: sqlite3.Connection) -> None:
        """Hook for parts with their own upgrade step (inside the upgrade)."""

    def _check_readable(self) -> None:
        try:
            has_meta = (
                self._conn()
                .execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                .fetchone()
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read store {self.path}: {exc}") from None
        if has_meta is None:
            raise StoreError(f"{self.path} is not a credgraph store")
        if not search_index_current(self._conn()):
            raise StoreError(
                f"store {self.path} was written by an older credgraph: "
                "open it once with a writing command (e.g. credgraph propagate)"
            )
