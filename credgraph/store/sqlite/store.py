"""``EmbeddedStore``: the parts of the embedded store put together."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from credgraph.model import AuditRecord
from credgraph.store.sqlite.audit import SqliteAuditLog, audit_path
from credgraph.store.sqlite.bulk import BulkLoad
from credgraph.store.sqlite.commitments import Commitments
from credgraph.store.sqlite.connection import WRITE_WAIT, OnWait
from credgraph.store.sqlite.feed import FEED_STATEMENTS
from credgraph.store.sqlite.flags import FlagStore
from credgraph.store.sqlite.monitor import MONITOR_STATEMENTS, EmbeddedMonitor
from credgraph.store.sqlite.objections import Objections
from credgraph.store.sqlite.search import Search


class EmbeddedStore(BulkLoad, Search, Objections, FlagStore, Commitments, EmbeddedMonitor):
    """The default :class:`~credgraph.store.base.GraphStore`: one SQLite file
    in WAL mode (graph, flag cache, commitments) and its audit log file.

    ``read_only`` opens the file without ever writing it (read-only
    commands; a read-only file); a writer waits up to ``write_wait``
    seconds for another one, calling ``on_wait`` with the seconds waited
    (see ``connection.py``). With ``new`` (``credgraph load``), a path where
    nothing exists yet is built by the first bulk load in a scratch file
    and moved into place when it commits (``newstore.py``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        write_wait: float = WRITE_WAIT,
        on_wait: OnWait | None = None,
        new: bool = False,
    ) -> None:
        self.audit_log = SqliteAuditLog(audit_path(path))
        super().__init__(path, read_only=read_only, write_wait=write_wait, on_wait=on_wait, new=new)

    def generation(self) -> int:
        # a new store not created yet is at the generation it will start with
        return 0 if self.pending is not None else super().generation()

    def _upgraded(self, conn: sqlite3.Connection) -> None:
        self.audit_log.take_over(conn)
        for statement in (*FEED_STATEMENTS, *MONITOR_STATEMENTS):
            conn.execute(statement)

    def append_audit(
        self, who: str, role: str, endpoint: str, subject_ids: Sequence[str], as_of: date | None
    ) -> None:
        self.audit_log.append_audit(who, role, endpoint, subject_ids, as_of)

    def audit(self, limit: int = 100, after_id: int = 0) -> list[AuditRecord]:
        return self.audit_log.audit(limit, after_id)

    def close(self) -> None:
        self.audit_log.close()
        super().close()
