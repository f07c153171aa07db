"""Writing batches into the embedded store: ``upsert`` and ``bulk``.

This is the load path. Every batch is written by identity (an upsert that
changes a row only when a value differs, so a reload of the same data
writes nothing and keeps the generation); a ``bulk`` block is one
transaction for a whole load. Readers keep reading the store as it was
until the block commits (WAL).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, NamedTuple

from credgraph.model import Batch, Enterprise, ListEntry, Person, Relation, from_plain
from credgraph.store.base import BulkWriter, StoreError
from credgraph.store.shared import iso
from credgraph.store.sqlite import feed
from credgraph.store.sqlite.connection import SqliteBase
from credgraph.store.sqlite.fts import (
    DocKeys,
    doc_keys,
    index_names,
    index_nodes,
    merge_all,
    pause_merging,
)
from credgraph.store.sqlite.newstore import NewStore
from credgraph.store.sqlite.schema import BULK_CACHE_KIB, CACHE_KIB, DEFERRED_INDEXES
from credgraph.store.sqlite.searchbuild import SearchBuild

UPSERT_ENTERPRISE = """
INSERT INTO enterprises VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(uscc) DO UPDATE SET name=excluded.name, kind=excluded.kind, status=excluded.status,
 established_on=excluded.established_on, registered_capital=excluded.registered_capital,
 region=excluded.region, industry=excluded.industry, address=excluded.address,
 phone=excluded.phone, email=excluded.email, phone_norm=excluded.phone_norm,
 email_norm=excluded.email_norm, address_norm=excluded.address_norm
WHERE (name, kind, status, established_on, registered_capital, region, industry, address, phone,
 email, phone_norm, email_norm, address_norm) IS NOT (excluded.name, excluded.kind,
 excluded.status, excluded.established_on, excluded.registered_capital, excluded.region,
 excluded.industry, excluded.address, excluded.phone, excluded.email, excluded.phone_norm,
 excluded.email_norm, excluded.address_norm)
"""
UPSERT_PERSON = """
INSERT INTO persons VALUES (?,?,?,?,?,?,?)
ON CONFLICT(person_id) DO UPDATE SET id_type=excluded.id_type, name=excluded.name,
 phone=excluded.phone, address=excluded.address, phone_norm=excluded.phone_norm,
 address_norm=excluded.address_norm
WHERE (id_type, name, phone, address, phone_norm, address_norm) IS NOT (excluded.id_type,
 excluded.name, excluded.phone, excluded.address, excluded.phone_norm, excluded.address_norm)
"""
UPSERT_RELATION = """
INSERT INTO relations VALUES (?,?,?,?,?,?,?,?)
ON CONFLICT(source_id, target_uscc, role, title, start_on) DO UPDATE SET
 share_pct=excluded.share_pct, end_on=excluded.end_on, source_type=excluded.source_type
WHERE (share_pct, end_on, source_type) IS NOT (excluded.share_pct, excluded.end_on,
 excluded.source_type)
"""
UPSERT_ENTRY = """
INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(entry_id) DO UPDATE SET subject_id=excluded.subject_id,
 subject_type=excluded.subject_type, list=excluded.list, category=excluded.category,
 reason=excluded.reason, authority=excluded.authority, case_no=excluded.case_no,
 decided_on=excluded.decided_on, valid_until=excluded.valid_until,
 removed_on=excluded.removed_on, removal_reason=excluded.removal_reason,
 responsible=excluded.responsible
WHERE (subject_id, subject_type, list, category, reason, authority, case_no, decided_on,
 valid_until, removed_on, removal_reason, responsible) IS NOT (excluded.subject_id,
 excluded.subject_type, excluded.list, excluded.category, excluded.reason, excluded.authority,
 excluded.case_no, excluded.decided_on, excluded.valid_until, excluded.removed_on,
 excluded.removal_reason, excluded.responsible)
"""

UPSERT_PLAIN = {
    "enterprises": UPSERT_ENTERPRISE,
    "persons": UPSERT_PERSON,
    "relations": UPSERT_RELATION,
}
INSERT_PLAIN = {
    "enterprises": "INSERT INTO enterprises VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "persons": "INSERT INTO persons VALUES (?,?,?,?,?,?,?)",
    "relations": "INSERT INTO relations VALUES (?,?,?,?,?,?,?,?)",
}


#: where a plain row of a searchable table holds the name
NAME_FIELD = {"enterprises": 1, "persons": 2}


def _stored_relation(r: tuple[Any, ...]) -> tuple[Any, ...]:
    """A plain relation row in the columns' order of the ``relations`` table."""
    return (r[0], r[1], r[2], r[3], r[4] or "", r[6] or "", r[5], r[7])


class Prepared(NamedTuple):
    """Writer-side work on a chunk of plain rows, done ahead in a load's
    parsing process (:func:`prepare`), off the writer's core."""

    #: searchable tables: the search keys of each row's name (row order)
    keys: list[DocKeys] | None = None
    #: searchable tables: the rows' indexes in key order (the B-tree insert
    #: touches neighbouring pages instead of pages at random)
    order: list[int] | None = None
    #: relations: the rows are no plain rows but in the table's column order
    stored: bool = False


def prepare(
    table: str, rows: list[tuple[Any, ...]], keys: bool = True
) -> tuple[list[tuple[Any, ...]], Any]:
    """Plain rows of ``table`` as :meth:`_SqliteBulk.write_plain` takes them
    with what it would compute from them (None: nothing prepared); without
    ``keys`` when the search index is built elsewhere (``searchbuild.py``)."""
    if table == "relations":
        return list(map(_stored_relation, rows)), Prepared(stored=True)
    field = NAME_FIELD.get(table)
    if field is None or not rows:
        return rows, None
    # imported here: only a bulk load needs it, not every command's start-up
    import numpy as np

    ids = np.array(list(map(itemgetter(0), rows)))
    order: list[int] = np.argsort(ids, kind="stable").tolist()
    found = [doc_keys(r[field]) for r in rows] if keys else None
    return rows, Prepared(keys=found, order=order)


class BulkLoad(SqliteBase):
    """``upsert`` and ``bulk`` of :class:`~credgraph.store.base.Graph`."""

    def upsert(self, batch: Batch) -> None:
        if not len(batch):
            return
        with self.bulk() as writer:
            writer.upsert(batch)

    @contextmanager
    def bulk(self) -> Iterator[BulkWriter]:
        """One transaction for many upserts: committed when the block ends,
        rolled back on an exception or :meth:`BulkWriter.abort`. A brand-new
        store's first block builds it in a scratch file (``newstore.py``)."""
        new, self.pending = self.pending, None
        if new is not None:
            scratch = new.open()
            if scratch is not None:
                with self._build(new, scratch) as writer:
                    yield writer
                return
            self._upgrade()  # no hard links there: created in place
        conn = self._conn()
        # a bigger page cache while millions of rows go in (B-tree inserts
        # in key order of the CSV, not of the index, touch pages at random)
        conn.execute(f"PRAGMA cache_size={BULK_CACHE_KIB}")
        try:
            with self.transaction(bump=True):
                writer = _SqliteBulk(conn)
                yield writer
                if writer.aborted:
                    raise _Abort
                writer.finish()
        except _Abort:
            pass
        finally:
            conn.execute(f"PRAGMA cache_size={CACHE_KIB}")

    @contextmanager
    def _build(self, new: NewStore, conn: sqlite3.Connection) -> Iterator[BulkWriter]:
        """:meth:`bulk` into the scratch file of a new store, moved into place
        when the block commits; otherwise the scratch file is removed and
        the store is created in place, empty, as a failed load leaves it."""
        self._local.conn, self.building = conn, True
        done = False
        writer: _SqliteBulk | None = None
        try:
            self._upgrade()
            conn.execute(f"PRAGMA cache_size={BULK_CACHE_KIB}")
            writer = _SqliteBulk(conn, new)
            with self.transaction(bump=True):
                yield writer
                if writer.aborted:
                    raise _Abort
                writer.finish()
            if writer.search is not None:
                writer.search.copy_into(conn)
            self._local.conn, self.building = None, False
            new.publish(conn)
            done = True
        except _Abort:
            pass
        finally:
            self._local.conn, self.building = None, False
            if writer is not None and writer.search is not None:
                writer.search.stop()
            if not done:
                new.discard(conn)
                self.pending = new  # created in place at the next use or close


def _enterprise_row(e: Enterprise) -> tuple[Any, ...]:
    return (
        e.uscc,
        e.name,
        e.kind.value,
        e.status.value if e.status else None,
        iso(e.established_on),
        e.registered_capital,
        e.region,
        e.industry,
        e.address,
        e.phone,
        e.email,
        e.phone_norm,
        e.email_norm,
        e.address_norm,
    )


def _person_row(p: Person) -> tuple[Any, ...]:
    return (p.person_id, p.id_type.value, p.name, p.phone, p.address, p.phone_norm, p.address_norm)


def _relation_row(r: Relation) -> tuple[Any, ...]:
    return (
        r.source_id,
        r.source_type.value,
        r.target_uscc,
        r.role.value,
        r.title.value if r.title else "",
        iso(r.start_on) or "",
        r.share_pct,
        iso(r.end_on),
    )


def _entry_row(e: ListEntry) -> tuple[Any, ...]:
    return (
        e.entry_id,
        e.subject_id,
        e.subject_type.value,
        e.list.value,
        e.category.value if e.category else None,
        e.reason,
        e.authority,
        e.case_no,
        e.decided_on.isoformat(),
        iso(e.valid_until),
        iso(e.removed_on),
        e.removal_reason.value if e.removal_reason else None,
        ";".join(e.responsible_person_ids),
    )


def write_batch(conn: sqlite3.Connection, batch: Batch) -> None:
    index_names(conn, batch)  # before the upserts: it compares with the stored names
    conn.executemany(UPSERT_ENTERPRISE, map(_enterprise_row, batch.enterprises))
    conn.executemany(UPSERT_PERSON, map(_person_row, batch.persons))
    conn.executemany(UPSERT_RELATION, map(_relation_row, batch.relations))
    if batch.entries:
        conn.executemany(UPSERT_ENTRY, map(_entry_row, batch.entries))
        conn.executemany(
            "DELETE FROM entry_responsible WHERE entry_id = ? AND person_id NOT IN "
            "(SELECT value FROM json_each(?))",
            ((e.entry_id, json.dumps(e.responsible_person_ids)) for e in batch.entries),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO entry_responsible VALUES (?, ?)",
            ((p, e.entry_id) for e in batch.entries for p in e.responsible_person_ids),
        )


class _Abort(Exception):
    """Raised inside a bulk transaction to roll it back quietly."""


class _SqliteBulk:
    """Writes of one bulk transaction. Writing into a table that is empty
    drops its secondary indexes (:data:`DEFERRED_INDEXES`) and builds them
    once at the end, inside the same transaction: one sorted build instead
    of millions of random inserts. Plain rows into a table that was empty
    at their first batch are plain inserts (the loader hands every identity
    once per load)."""

    def __init__(self, conn: sqlite3.Connection, new: NewStore | None = None) -> None:
        self.conn = conn
        #: the build of a brand-new store this block writes, if it does
        self.new = new
        #: the search index's own process, when the loader started one
        self.search: SearchBuild | None = None
        self.aborted = False
        #: per table written with plain rows: whether it was empty before
        self.empty: dict[str, bool] = {}
        self.checked: set[str] = set()
        #: index statements to run at the end of the block, by table
        self.deferred: list[tuple[str, str]] = []
        #: the search index was empty: its segments are merged at the end
        self.fill_search: bool | None = None
        self.feed = feed.BulkFeed(conn)

    def upsert(self, batch: Batch) -> None:
        if self.search is not None and (batch.enterprises or batch.persons):
            raise StoreError(
                "nodes of a load whose search index is built elsewhere: plain rows only"
            )
        if batch.relations:
            self.feed.before(len(batch.relations))
        for table in DEFERRED_INDEXES:
            if getattr(batch, table):
                self._defer_indexes(table)
        write_batch(self.conn, batch)

    def _empty(self, table: str) -> bool:
        return self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None

    def _defer_indexes(self, table: str) -> None:
        """Before the block's first write to ``table``: drop its deferred
        indexes if it is empty (:meth:`finish` builds them)."""
        if table in self.checked:
            return
        self.checked.add(table)
        if self._empty(table):
            for statement in DEFERRED_INDEXES.get(table, ()):
                name = statement.split("EXISTS", 1)[1].split()[0]
                self.conn.execute(f"DROP INDEX IF EXISTS {name}")
                self.deferred.append((table, statement))

    def search_elsewhere(self) -> SearchBuild | None:
        """For a load into a brand-new store that has not written yet: the
        search index built by a process of its own (``searchbuild.py``),
        which the caller feeds with every node's name in load order; this
        writer then leaves the index alone and copies it in at the end."""
        if self.new is None or self.empty or self.checked:
            return None
        self.search = SearchBuild(self.new.staging)
        return self.search

    def write_plain(
        self, table: str, rows: list[tuple[Any, ...]], prepared: Prepared | None = None
    ) -> None:
        """Plain rows (:data:`credgraph.model.PLAIN`) of one table; with
        ``prepared``, the rows and what :func:`prepare` returned for them."""
        if not rows:
            return
        if table == "entries":
            entries: list[Any] = [from_plain(table, r) for r in rows]
            write_batch(
                self.conn,
                Batch.model_construct(entries=entries, enterprises=[], persons=[], relations=[]),
            )
            return
        empty = self.empty.get(table)
        if empty is None:
            empty = self.empty[table] = self._empty(table)
        self._defer_indexes(table)
        sql = (INSERT_PLAIN if empty else UPSERT_PLAIN)[table]
        if table == "relations":
            self._nodes_done()
            self.feed.before(len(rows))
            stored = prepared is not None and prepared.stored
            self.conn.executemany(sql, rows if stored else map(_stored_relation, rows))
            return
        if self.search is None:
            self._index(table, rows, prepared)
        order = prepared.order if prepared is not None else None
        self.conn.executemany(sql, rows if order is None else map(rows.__getitem__, order))

    def _index(self, table: str, rows: list[tuple[Any, ...]], prepared: Prepared | None) -> None:
        """The search documents of new or renamed nodes among ``rows``."""
        if self.fill_search is None:
            self.fill_search = self._empty("search_docs")
            if self.fill_search:
                pause_merging(self.conn)
        name = NAME_FIELD[table]
        ids = list(map(itemgetter(0), rows))
        keys = prepared.keys if prepared is not None else None
        known = None if keys is None else dict(zip(ids, keys, strict=True))
        index_nodes(self.conn, dict(zip(ids, map(itemgetter(name), rows), strict=True)), known)

    def _nodes_done(self) -> None:
        """At the first relations of a load (which writes nodes first): the
        nodes' deferred indexes and the search index's merge now rather than
        at the end, while the parsing process, slower on relations than this
        one, keeps the other core busy (the end of a load is this process
        alone). Nodes written after this are indexed as they go in."""
        self._build_deferred(t for t, _ in self.deferred if t != "relations")
        if self.fill_search:
            merge_all(self.conn)
            self.fill_search = False

    def _build_deferred(self, tables: Iterable[str]) -> None:
        wanted = set(tables)
        for table, statement in self.deferred:
            if table in wanted:
                self.conn.execute(statement)
        self.deferred = [(t, s) for t, s in self.deferred if t not in wanted]

    def finish(self) -> None:
        self._build_deferred(t for t, _ in self.deferred)
        # after the target index: the feed's set-based events read it in order
        self.feed.finish()
        if self.fill_search:
            merge_all(self.conn)
            self.fill_search = False

    def abort(self) -> None:
        self.aborted = True
