"""Credit commitments (002:L15) in the embedded store: not graph data, so
writing them leaves the generation alone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from credgraph.model import Commitment
from credgraph.store.base import UnknownCommitment
from credgraph.store.sqlite.connection import SqliteBase
from credgraph.store.sqlite.records import commitment_record, ids_param


class Commitments(SqliteBase):
    """:class:`~credgraph.store.base.CommitmentBook` on the store file."""

    def add_commitment(
        self, subject_id: str, matter: str, promised_by: date, made_on: date
    ) -> Commitment:
        with self.transaction(bump=False) as conn:
            cur = conn.execute(
                "INSERT INTO commitments(subject_id, matter, promised_by, made_on) "
                "VALUES (?,?,?,?)",
                (subject_id, matter, promised_by.isoformat(), made_on.isoformat()),
            )
            commitment_id = int(cur.lastrowid or 0)
        return self._commitment(commitment_id)

    def fulfil_commitment(self, commitment_id: int, fulfilled_on: date) -> Commitment:
        with self.transaction(bump=False) as conn:
            cur = conn.execute(
                "UPDATE commitments SET fulfilled_on = ? "
                "WHERE commitment_id = ? AND fulfilled_on IS NULL",
                (fulfilled_on.isoformat(), commitment_id),
            )
            if cur.rowcount == 0:
                self._commitment(commitment_id)  # raises UnknownCommitment if absent
                raise ValueError(f"commitment {commitment_id} is already fulfilled")
        return self._commitment(commitment_id)

    def commitments(self, subject_ids: Iterable[str] | None = None) -> list[Commitment]:
        conn = self._conn()
        if subject_ids is None:
            rows = conn.execute("SELECT * FROM commitments ORDER BY commitment_id")
        else:
            rows = conn.execute(
                "SELECT * FROM commitments WHERE subject_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY commitment_id",
                (ids_param(subject_ids),),
            )
        return [commitment_record(r) for r in rows]

    def _commitment(self, commitment_id: int) -> Commitment:
        row = (
            self._conn()
            .execute("SELECT * FROM commitments WHERE commitment_id = ?", (commitment_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownCommitment(commitment_id)
        return commitment_record(row)
