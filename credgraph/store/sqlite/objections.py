"""Objections to list entries in the embedded store (``003:L32``).

An objection is graph data: an upheld one removes its entry as of the
resolution day (applied when entries are read, ``records.ENTRY_COLUMNS``),
so filing and resolving bump the generation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from credgraph.model import Objection
from credgraph.store.base import UnknownObjection
from credgraph.store.sqlite.connection import SqliteBase
from credgraph.store.sqlite.records import ids_param, objection_record


class Objections(SqliteBase):
    """The objection primitives of :class:`~credgraph.store.base.Graph`."""

    def file_objection(self, entry_id: str, reason: str, filed_on: date) -> Objection:
        with self.transaction(bump=True) as conn:
            cur = conn.execute(
                "INSERT INTO objections(entry_id, reason, filed_on) VALUES (?,?,?)",
                (entry_id, reason, filed_on.isoformat()),
            )
            objection_id = int(cur.lastrowid or 0)
        return self.objection(objection_id)

    def resolve_objection(self, objection_id: int, upheld: bool, resolved_on: date) -> Objection:
        with self.transaction(bump=True) as conn:
            cur = conn.execute(
                "UPDATE objections SET resolved_on = ?, upheld = ? "
                "WHERE objection_id = ? AND resolved_on IS NULL",
                (resolved_on.isoformat(), int(upheld), objection_id),
            )
            if cur.rowcount == 0:
                self.objection(objection_id)  # raises UnknownObjection if absent
                raise ValueError(f"objection {objection_id} is already resolved")
        return self.objection(objection_id)

    def objections(self, entry_ids: Iterable[str] | None = None) -> list[Objection]:
        conn = self._conn()
        if entry_ids is None:
            rows = conn.execute("SELECT * FROM objections ORDER BY objection_id")
        else:
            rows = conn.execute(
                "SELECT * FROM objections WHERE entry_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY objection_id",
                (ids_param(entry_ids),),
            )
        return [objection_record(r) for r in rows]

    def objection(self, objection_id: int) -> Objection:
        row = (
            self._conn()
            .execute("SELECT * FROM objections WHERE objection_id = ?", (objection_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownObjection(objection_id)
        return objection_record(row)
