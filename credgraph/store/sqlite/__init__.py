"""The embedded store: one SQLite file in WAL mode, no server.

One module per responsibility: ``connection`` (connections, the write
transaction, waiting for another writer, read-only opening, schema
upgrades), ``schema``, ``records`` (rows to records), ``bulk`` (the load
path: ``upsert`` and ``bulk``), ``graph`` (reads), ``objections``,
``search`` and ``fts`` (the search index), ``flags`` (the flag cache),
``commitments``, ``audit`` (the audit log, in its own file) and ``store``
(``EmbeddedStore``, all of them together).
"""

from __future__ import annotations

from pathlib import Path

from credgraph.store.sqlite.audit import audit_path
from credgraph.store.sqlite.connection import WRITE_WAIT, StoreBusy
from credgraph.store.sqlite.store import EmbeddedStore


def store_files(path: str | Path) -> list[str]:
    """Every file that belongs to the store at ``path``: the store, the
    audit log, and the WAL and shared-memory files of both.

    >>> store_files("s.db")
    ['s.db', 's.db-wal', 's.db-shm', 's.db-audit', 's.db-audit-wal', 's.db-audit-shm']
    """
    return [
        f"{base}{side}" for base in (str(path), audit_path(path)) for side in ("", "-wal", "-shm")
    ]


__all__ = ["WRITE_WAIT", "EmbeddedStore", "StoreBusy", "store_files"]
