"""A bulk block builds the nodes' deferred indexes and merges a freshly filled
search index when its first relations arrive (loads write nodes first); nodes
written after that must still be indexed and found, and the store must be
the one written in the usual order."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from builders import GraphBuilder

from credgraph.ids import normalise_address
from credgraph.model import Role, to_plain
from credgraph.store import EmbeddedStore
from credgraph.store.base import PlainWriter
from credgraph.store.sqlite.fts import COLUMNS


def _graph() -> GraphBuilder:
    g = GraphBuilder()
    for n in range(12):
        address = f"广东省东莞市松山湖路{n % 3}号"
        g.firm(
            f"华盛{n}号",
            phone=f"1380013{n:04d}",
            phone_norm=f"1380013{n:04d}",
            address=address,
            address_norm=normalise_address(address),
        )
    g.person("张三")
    for n in range(11):
        g.rel(f"华盛{n + 1}号", f"华盛{n}号", Role.BRANCH_OF.value)
    g.rel("张三", "华盛0号", Role.LEGAL_REPRESENTATIVE.value)
    return g


def _load(path: Path, parts: list[tuple[str, list[Any]]]) -> EmbeddedStore:
    store = EmbeddedStore(path)
    with store.bulk() as writer:
        assert isinstance(writer, PlainWriter)
        for table, records in parts:
            writer.write_plain(table, [to_plain(r) for r in records])
    return store


def _state(store: EmbeddedStore, path: Path) -> tuple[object, ...]:
    with closing(sqlite3.connect(path)) as conn:
        for table in COLUMNS:  # raises on an inconsistent index
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        indexes = conn.execute("SELECT name FROM sqlite_master WHERE type='index' ORDER BY 1")
        by_phone = conn.execute(
            "SELECT uscc FROM enterprises INDEXED BY enterprises_by_phone "
            "WHERE phone_norm IS NOT NULL ORDER BY phone_norm"
        ).fetchall()
        return (
            [r[0] for r in indexes],
            by_phone,
            sorted(map(repr, store.iter_relations())),
            sorted(n.id for n in store.search("华盛", limit=100)),
            [n.id for n in store.search("张三")],
            store.contact_usage("address", [normalise_address("广东省东莞市松山湖路1号") or ""]),
        )


def test_nodes_written_after_relations_are_indexed_and_found(tmp_path: Path) -> None:
    g = _graph()
    firms, people, relations = g.batch.enterprises, g.batch.persons, g.batch.relations
    usual = _load(
        tmp_path / "usual.db",
        [("enterprises", firms), ("persons", people), ("relations", relations)],
    )
    late = _load(
        tmp_path / "late.db",
        [
            ("enterprises", firms[:4]),
            ("relations", relations[:2]),
            ("enterprises", firms[4:]),
            ("persons", people),
            ("relations", relations[2:]),
        ],
    )
    expected = _state(usual, tmp_path / "usual.db")
    # every index of the schema is there again, and the contents are whole
    assert expected[0] == _state(EmbeddedStore(tmp_path / "new.db"), tmp_path / "new.db")[0]
    assert len(expected[1]) == 12 and len(expected[3]) == 12
    assert _state(late, tmp_path / "late.db") == expected
