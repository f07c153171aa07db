"""Writing batches of graph data to Neo4j in bounded transactions.

A batch becomes parameter rows (``batch_rows``), then *units*: a few
thousand rows of one kind (``CHUNK``) with every statement they need
(``units``). ``Neo4jStore.upsert`` runs all units of a batch in one
transaction (all or nothing); a load (``Neo4jStore.bulk``) keeps its batches
in a spill file until the block ends and then commits each unit in its own
transaction, so a load of any size fits the server's default transaction
memory. A unit is idempotent (``MERGE`` by identity, rows equal to what is
stored are not written), so the driver may retry it and a load that was cut
short converges when it is run again. Each unit appends the change-feed
events of what it wrote (``feed``) in its own transaction.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import IO, Any, TypeVar

from neo4j import ManagedTransaction, Transaction

from credgraph.model import Batch, Role
from credgraph.store.base import StoreError
from credgraph.store.neo4j import feed, records
from credgraph.store.neo4j.cypher import loads

log = logging.getLogger(__name__)

#: Rows per unit (one ``UNWIND $rows`` statement of each kind).
CHUNK = 5000

Tx = ManagedTransaction | Transaction
#: Writes a bounded part of a batch in the given transaction, appending its
#: change-feed events to the transaction's writer; returns how many rows
#: changed something.
Unit = Callable[[Tx, feed.FeedWriter], int]

MERGE_RELATIONS = {
    Role.LEGAL_REPRESENTATIVE: loads.MERGE_LEGAL_REPRESENTATIVE,
    Role.EXECUTIVE: loads.MERGE_EXECUTIVE,
    Role.SHAREHOLDER: loads.MERGE_SHAREHOLDER,
    Role.ACTUAL_CONTROLLER: loads.MERGE_ACTUAL_CONTROLLER,
    Role.BRANCH_OF: loads.MERGE_BRANCH_OF,
}

_T = TypeVar("_T")


@dataclass
class Rows:
    """One batch as Cypher parameter rows (also what a spill file holds)."""

    enterprises: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    relations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by Role value
    entries: list[dict[str, Any]] = field(default_factory=list)


def batch_rows(batch: Batch) -> Rows:
    """The rows of ``batch``, one per identity (the last one wins)."""
    enterprises = {
        e.uscc: {"uscc": e.uscc, "props": records.enterprise_props(e)} for e in batch.enterprises
    }
    persons = {
        p.person_id: {"person_id": p.person_id, "props": records.person_props(p)}
        for p in batch.persons
    }
    by_role: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {}
    for r in batch.relations:
        by_role.setdefault(r.role.value, {})[r.identity] = records.relation_row(r)
    entries = {
        e.entry_id: {
            "entry_id": e.entry_id,
            "props": records.entry_props(e),
            "subject_id": e.subject_id,
            "subject_type": e.subject_type.value,
            "person_ids": list(dict.fromkeys(e.responsible_person_ids)),
        }
        for e in batch.entries
    }
    return Rows(
        enterprises=list(enterprises.values()),
        persons=list(persons.values()),
        relations={role: list(rows.values()) for role, rows in by_role.items()},
        entries=list(entries.values()),
    )


def units(rows: Rows) -> Iterator[Unit]:
    """The units of a batch, nodes first (relations and entries need them)."""
    for chunk in chunks(rows.enterprises):
        yield partial(_nodes, loads.DIRTY_ENTERPRISES, loads.MERGE_ENTERPRISES, "uscc", chunk)
    for chunk in chunks(rows.persons):
        yield partial(_nodes, loads.DIRTY_PERSONS, loads.MERGE_PERSONS, "person_id", chunk)
    for role, relation_rows in rows.relations.items():
        numbered = [{**row, "i": i} for i, row in enumerate(relation_rows)]
        for chunk in chunks(numbered):
            yield partial(_relations, Role(role), chunk)
    for chunk in chunks(rows.entries):
        yield partial(_entries, chunk)


def write_all(tx: Tx, rows: Rows) -> int:
    """Every unit of ``rows`` in one transaction, the generation bumped when
    anything changed; how many rows changed."""
    writer = feed.FeedWriter(tx)
    changed = sum(unit(tx, writer) for unit in units(rows))
    if changed:
        tx.run(loads.BUMP_GENERATION).consume()
    return changed


def write_unit(unit: Unit, tx: Tx) -> int:
    """One unit in its own transaction, with its generation bump."""
    changed = unit(tx, feed.FeedWriter(tx))
    if changed:
        tx.run(loads.BUMP_GENERATION).consume()
    return changed


def chunks(rows: list[_T], size: int = CHUNK) -> Iterator[list[_T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _nodes(
    dirty_query: str,
    merge_query: str,
    key: str,
    chunk: list[dict[str, Any]],
    tx: Tx,
    _: feed.FeedWriter,
) -> int:
    dirty = {r["id"]: r["new"] for r in tx.run(dirty_query, {"rows": chunk})}
    if not dirty:
        return 0
    new = [row[key] for row in chunk if dirty.get(row[key])]
    docs: dict[str, int] = {}
    if new:  # load-order numbers for the nodes first written here
        first = int(tx.run(loads.RESERVE_DOCS, {"count": len(new)}).single(strict=True)["first"])
        docs = {node_id: first + n for n, node_id in enumerate(new)}
    rows = [{**row, "doc": docs.get(row[key])} for row in chunk if row[key] in dirty]
    tx.run(merge_query, {"rows": rows}).consume()
    return len(rows)


def _relations(role: Role, chunk: list[dict[str, Any]], tx: Tx, writer: feed.FeedWriter) -> int:
    record = tx.run(MERGE_RELATIONS[role], {"rows": chunk}).single(strict=True)
    written = set(record["written"])
    missing = [row for row in chunk if row["i"] not in written]
    if missing:
        row = missing[0]
        raise StoreError(
            f"{len(missing)} {role.value} relation(s) refer to nodes not in the store, "
            f"e.g. {row['source_id']} -> {row['target_uscc']}"
        )
    writer.append(feed.relation_events(role.value, chunk, record["dirty"]))
    return int(record["changed"])


def _entries(chunk: list[dict[str, Any]], tx: Tx, writer: feed.FeedWriter) -> int:
    was = {r["id"]: r["was"] for r in tx.run(loads.DIRTY_ENTRIES, {"rows": chunk})}
    dirty = set(was)
    rows = [row for row in chunk if row["entry_id"] in dirty]
    if not rows:
        return 0
    tx.run(loads.MERGE_ENTRIES, {"rows": rows}).consume()
    record = tx.run(loads.LINK_ENTRY_SUBJECTS, {"rows": rows}).single(strict=True)
    unlinked = dirty - set(record["linked"])
    if unlinked:
        raise StoreError(f"list entries whose subject is not in the store: {sorted(unlinked)}")
    record = tx.run(loads.LINK_NAMED_RESPONSIBLE, {"rows": rows}).single(strict=True)
    wanted = {(row["entry_id"], p) for row in rows for p in row["person_ids"]}
    unknown = wanted - {(e, p) for e, p in record["linked"]}
    if unknown:
        raise StoreError(f"responsible persons not in the store: {sorted(unknown)}")
    tx.run(loads.LINK_OBJECTIONS, {"entry_ids": sorted(dirty)}).consume()
    writer.append(feed.entry_events(rows, was))
    return len(rows)


class SpillWriter:
    """The ``BulkWriter`` of ``Neo4jStore.bulk``: each batch is turned into
    rows at once (a bad record fails inside the block) and kept in an
    unlinked temporary file until the block ends; nothing reaches the
    server before then."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 - closed by close()
            mode="w+", encoding="utf-8", prefix="credgraph-neo4j-load-"
        )
        self.batches = 0
        self.aborted = False

    def upsert(self, batch: Batch) -> None:
        if len(batch):
            self._file.write(json.dumps(asdict(batch_rows(batch)), ensure_ascii=False) + "\n")
            self.batches += 1

    def abort(self) -> None:
        self.aborted = True

    def spilled(self) -> Iterator[Rows]:
        self._file.seek(0)
        for line in self._file:
            yield Rows(**json.loads(line))

    def close(self) -> None:
        self._file.close()


def replay(writer: SpillWriter, run_write: Callable[[Callable[[Tx], int]], int]) -> int:
    """Commit a spilled load unit by unit (``run_write`` runs one managed,
    retried transaction); how many rows changed."""
    changed = done = 0
    for rows in writer.spilled():
        for unit in units(rows):
            changed += run_write(partial(write_unit, unit))
            done += 1
            if done % 100 == 0:
                log.info("Neo4j load: %d transactions committed", done)
    return changed
