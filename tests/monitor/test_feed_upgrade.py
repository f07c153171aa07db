"""Embedded stores written before the branches met (schema version 2 meant
the contact indexes on main and the change feed on the monitoring branch):
opening either with this version brings it up to date, keeping its data."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

from builders import GraphBuilder

from credgraph.model import Batch, Flag, FlagKind, ListKind, NodeKind, Rule
from credgraph.store.feed import ChangeKind
from credgraph.store.sqlite import EmbeddedStore
from credgraph.store.sqlite.feed import FEED_STATEMENTS
from credgraph.store.sqlite.monitor import MONITOR_STATEMENTS
from credgraph.store.sqlite.schema import SCHEMA_VERSION
from queries.changes import flag_feed

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


def test_a_version_3_store_gets_the_flag_events_subject_index(tmp_path: Path) -> None:
    """Version 3 had one subject index for every event; version 4 keeps the
    flag and verdict events' subjects apart (a first propagate appends to a
    small index): the events stay readable by subject and watchlist."""
    path = tmp_path / "v3.db"
    g = version_2(path, [])
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX changes_data_by_subject")
        conn.execute("DROP INDEX changes_flags_by_subject")
        conn.execute("CREATE INDEX changes_by_subject ON changes(subject_id)")
        conn.execute("PRAGMA user_version = 3")
    store = EmbeddedStore(path)
    made = objects(path)
    assert {"changes_data_by_subject", "changes_flags_by_subject"} <= made
    assert "changes_by_subject" not in made
    day = date(2024, 1, 1)
    store.save_flags(day, store.generation(), [_flag(g["A"])], feed=flag_feed(day))
    store.create_watchlist("w", "cli")
    store.watch("w", [g["A"]])
    by_subject = [e.kind for e in store.changes(0, subject_ids=[g["A"]])]
    added, verdict = ChangeKind.FLAG_ADDED, ChangeKind.VERDICT_CHANGED
    assert by_subject == [ChangeKind.RELATION_ADDED, added, verdict]
    assert [e.kind for e in store.changes(0, watchlist="w")] == by_subject
    by_person = [e.kind for e in store.changes(0, subject_ids=[g["wang"]])]
    assert by_person == [ChangeKind.RELATION_ADDED]  # through the relation's other end
    store.close()


def _flag(subject: str) -> Flag:
    return Flag(
        subject_id=subject, subject_type=NodeKind.ENTERPRISE, flag=FlagKind.LISTED,
        list=ListKind.SERIOUS_DISHONESTY, entry_id="E1", rule=Rule.L0, citation="003:L24",
        path=[subject], relations=[],
    )  # fmt: skip
