"""Graph reads of the embedded store: nodes, one-hop expansion, entries.

Sets of ids travel as one JSON parameter (``json_each``), so a hop is one
statement whatever the number of ids. Orders are those the protocol
promises, read along the indexes (no sort).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import Any

from credgraph.model import ListEntry, ListKind, Node, NodeKind, Relation, Role
from credgraph.store.base import Direction, EntryRow, RelationRow
from credgraph.store.shared import contacts_of
from credgraph.store.sqlite.connection import SqliteBase
from credgraph.store.sqlite.records import (
    ENTRY_COLUMNS,
    ENTRY_FROM,
    RELATION_COLUMNS,
    REMOVED_ON,
    enterprise_record,
    entry_record,
    ids_param,
    person_record,
    relation_record,
)
from credgraph.store.sqlite.schema import CONTACT_COLUMNS


class GraphReads(SqliteBase):
    """The reads of :class:`~credgraph.store.base.Graph`."""

    def generation(self) -> int:
        row = self._conn().execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0])

    def nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        param = ids_param(ids)
        conn = self._conn()
        out: dict[str, Node] = {}
        for row in conn.execute(
            "SELECT * FROM enterprises WHERE uscc IN (SELECT value FROM json_each(?))", (param,)
        ):
            out[row[0]] = enterprise_record(row)
        for row in conn.execute(
            "SELECT * FROM persons WHERE person_id IN (SELECT value FROM json_each(?))", (param,)
        ):
            out[row[0]] = person_record(row)
        return out

    def existing_ids(self, ids: Iterable[str]) -> dict[str, NodeKind]:
        param = ids_param(ids)
        conn = self._conn()
        out = {
            r[0]: NodeKind.ENTERPRISE
            for r in conn.execute(
                "SELECT uscc FROM enterprises WHERE uscc IN (SELECT value FROM json_each(?))",
                (param,),
            )
        }
        out.update(
            (r[0], NodeKind.PERSON)
            for r in conn.execute(
                "SELECT person_id FROM persons WHERE person_id IN (SELECT value FROM json_each(?))",
                (param,),
            )
        )
        return out

    def expand(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        return list(map(relation_record, self._relation_rows(ids, direction, roles, as_of)))

    def relation_rows(self, ids: Iterable[str], direction: Direction) -> list[RelationRow]:
        return self._relation_rows(ids, direction, None, None)

    def _relation_rows(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None,
        as_of: date | None,
    ) -> list[RelationRow]:
        """The rows of ``expand``, in its order."""
        param = ids_param(ids)
        if param == "[]":
            return []
        extra, args = _relation_filter(roles, as_of)
        conn = self._conn()
        # the order the protocol promises, read along the primary key (OUT)
        # and the covering relations_by_target index (IN)
        statements = [
            (
                f"SELECT {RELATION_COLUMNS} FROM relations WHERE {side} IN "
                f"(SELECT value FROM json_each(?)){extra} "
                f"ORDER BY {side}, {other}, role, title, start_on"
            )
            for side, other in _SIDES[direction]
        ]
        if len(statements) == 1:  # one side: each relation is one row already
            return conn.execute(statements[0], (param, *args)).fetchall()
        return list(
            _distinct(row for sql in statements for row in conn.execute(sql, (param, *args)))
        )

    def neighbour_ids(
        self,
        ids: Iterable[str],
        direction: Direction,
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> set[str]:
        param = ids_param(ids)
        extra, args = _relation_filter(roles, as_of)
        sides = _SIDES[direction]
        out: set[str] = set()
        for side, other in sides:
            sql = (
                f"SELECT DISTINCT {other} FROM relations WHERE {side} IN "
                f"(SELECT value FROM json_each(?)){extra}"
            )
            out.update(row[0] for row in self._conn().execute(sql, (param, *args)))
        return out

    def expand_between(
        self,
        sources: Iterable[str],
        targets: Iterable[str],
        roles: Collection[Role] | None = None,
        as_of: date | None = None,
    ) -> list[Relation]:
        extra, args = _relation_filter(roles, as_of)
        # a seek per (source, target) pair along the primary key
        sql = (
            f"SELECT {RELATION_COLUMNS} FROM relations "
            "WHERE source_id IN (SELECT value FROM json_each(?)) "
            f"AND target_uscc IN (SELECT value FROM json_each(?)){extra} "
            "ORDER BY source_id, target_uscc, role, title, start_on"
        )
        rows = self._conn().execute(sql, (ids_param(sources), ids_param(targets), *args))
        return [relation_record(row) for row in rows]

    def entries(
        self,
        *,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
        responsible_person_ids: Iterable[str] | None = None,
        lists: Collection[ListKind] | None = None,
    ) -> list[ListEntry]:
        where: list[str] = []
        args: list[Any] = []
        if subject_ids is not None:
            where.append("e.subject_id IN (SELECT value FROM json_each(?))")
            args.append(ids_param(subject_ids))
        if entry_ids is not None:
            where.append("e.entry_id IN (SELECT value FROM json_each(?))")
            args.append(ids_param(entry_ids))
        if responsible_person_ids is not None:
            where.append(
                "e.entry_id IN (SELECT entry_id FROM entry_responsible WHERE person_id IN "
                "(SELECT value FROM json_each(?)))"
            )
            args.append(ids_param(responsible_person_ids))
        if lists is not None:
            # "+e.list": with ids to look up, their indexes lead and the list
            # only filters (the planner would otherwise walk every entry of
            # the severe lists through entries_by_list: 5 ms at 1 M per call)
            narrow = "+" if where else ""
            where.append(f"{narrow}e.list IN (SELECT value FROM json_each(?))")
            args.append(json.dumps([k.value for k in lists]))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        sql = f"SELECT {ENTRY_COLUMNS} {ENTRY_FROM}{clause} ORDER BY e.entry_id"
        return [entry_record(row) for row in self._conn().execute(sql, args)]

    def entry_rows(self) -> list[EntryRow]:
        sql = (
            "SELECT e.entry_id, e.subject_id, e.subject_type, e.list, e.decided_on, "
            f"NULLIF(e.valid_until, ''), NULLIF({REMOVED_ON}, ''), e.responsible "
            f"{ENTRY_FROM} ORDER BY e.entry_id"
        )
        return self._conn().execute(sql).fetchall()

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        return contacts_of(self.nodes(ids).values())

    def contact_usage(self, kind: str, values: Iterable[str]) -> dict[str, int]:
        column = CONTACT_COLUMNS[kind]  # a fixed column name, never user input
        sql = f"SELECT COUNT(*) FROM enterprises WHERE {column} = ?"
        conn = self._conn()
        counts = {v: int(conn.execute(sql, (v,)).fetchone()[0]) for v in sorted(set(values))}
        return {v: n for v, n in counts.items() if n}

    def counts(self) -> dict[str, int]:
        conn = self._conn()
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("enterprises", "persons", "relations", "entries", "objections", "flags")
        }

    def iter_nodes(self, kind: NodeKind) -> Iterator[Node]:
        conn = self._conn()
        if kind is NodeKind.ENTERPRISE:
            for row in conn.execute("SELECT * FROM enterprises ORDER BY uscc"):
                yield enterprise_record(row)
        else:
            for row in conn.execute("SELECT * FROM persons ORDER BY person_id"):
                yield person_record(row)

    def iter_relations(self) -> Iterator[Relation]:
        for row in self._conn().execute(
            f"SELECT {RELATION_COLUMNS} FROM relations "
            "ORDER BY source_id, target_uscc, role, title, start_on"
        ):
            yield relation_record(row)


def _distinct(rows: Iterable[RelationRow]) -> Iterator[RelationRow]:
    """Each relation once (both sides of a ``BOTH`` read), first seen first."""
    seen: set[tuple[object, ...]] = set()
    for row in rows:
        key = row[:6]
        if key not in seen:
            seen.add(key)
            yield row


#: (the column of the ids asked for, the other end's column) per direction
_SIDES: dict[Direction, list[tuple[str, str]]] = {
    Direction.OUT: [("source_id", "target_uscc")],
    Direction.IN: [("target_uscc", "source_id")],
    Direction.BOTH: [("source_id", "target_uscc"), ("target_uscc", "source_id")],
}


def _relation_filter(roles: Collection[Role] | None, as_of: date | None) -> tuple[str, list[Any]]:
    """The role and as_of conditions of a relations read (as ``expand``'s)."""
    where, args = "", []
    if roles is not None:
        where += " AND role IN (SELECT value FROM json_each(?))"
        args.append(json.dumps([r.value for r in roles]))
    if as_of is not None:
        day = as_of.isoformat()
        where += " AND start_on <= ? AND (end_on IS NULL OR end_on >= ?)"
        args += [day, day]
    return where, args
