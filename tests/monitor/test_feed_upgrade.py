"""Embedded stores written before the branches met (schema version 2 meant
the contact indexes on main and the change feed on the monitoring branch):
opening either with this version brings it up to date, keeping its data."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from builders import GraphBuilder

from credgraph.model import Batch
from credgraph.store.feed import ChangeKind
from credgraph.store.sqlite import EmbeddedStore
from credgraph.store.sqlite.feed import FEED_STATEMENTS
from credgraph.store.sqlite.monitor import MONITOR_STATEMENTS
from credgraph.store.sqlite.schema import SCHEMA_VERSION

CREATED = re.compile(r"CREATE (TABLE|INDEX|TRIGGER) IF NOT EXISTS (\w+)")
CONTACT_INDEXES = ("enterprises_by_phone", "enterprises_by_email", "enterprises_by_address")


def objects(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def version_2(path: Path, drop: list[tuple[str, str]]) -> GraphBuilder:
    """A store with data, then made as an older credgraph left it."""
    g = GraphBuilder()
    g.firm("A")
    g.person("wang")
    g.rel("wang", "A", "legal_representative", start="2020-01-01")
    EmbeddedStore(path).upsert(g.batch)
    with sqlite3.connect(path) as conn:
        for kind, name in sorted(drop, key=lambda d: d[0] != "TRIGGER"):  # triggers first
            conn.execute(f"DROP {kind} IF EXISTS {name}")
        conn.execute("PRAGMA user_version = 2")
    return g


def test_a_version_2_store_without_the_feed_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "main-v2.db"
    made = [m.groups() for s in (*FEED_STATEMENTS, *MONITOR_STATEMENTS) if (m := CREATED.search(s))]
    g = version_2(path, made)
    assert not {name for _, name in made} & objects(path)

    store = EmbeddedStore(path)
    assert {name for _, name in made} <= objects(path)
    assert store.last_seq() == 0 and store.counts()["enterprises"] == 1  # data kept
    g.firm("B")
    g.rel("wang", "B", "legal_representative", start="2021-01-01")
    store.upsert(Batch(enterprises=[g.batch.enterprises[-1]], relations=[g.batch.relations[-1]]))
    [event] = store.changes(0)
    assert (event.kind, event.subject_id) == (ChangeKind.RELATION_ADDED, g["B"])
    store.create_watchlist("w", "cli")
    assert store.watch("w", [g["A"]]) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_2_store_without_the_contact_indexes_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "monitor-v2.db"
    version_2(path, [("INDEX", name) for name in CONTACT_INDEXES])
    assert not set(CONTACT_INDEXES) & objects(path)
    store = EmbeddedStore(path)
    assert set(CONTACT_INDEXES) <= objects(path)
    assert [e.kind for e in store.changes(0)] == [ChangeKind.RELATION_ADDED]  # feed kept
