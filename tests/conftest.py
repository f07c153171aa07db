"""Shared fixtures: real stores (embedded always, Neo4j when configured)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from credgraph.store import EmbeddedStore, GraphStore

NEO4J_URI = os.environ.get("CREDGRAPH_NEO4J_URI")
NEO4J_SKIP = "CREDGRAPH_NEO4J_URI not set: Neo4j contract tests need a running Neo4j 5"

BACKENDS = [
    "embedded",
    pytest.param(
        "neo4j", marks=[pytest.mark.neo4j, pytest.mark.skipif(not NEO4J_URI, reason=NEO4J_SKIP)]
    ),
]


def _open_neo4j() -> GraphStore:
    from credgraph.store.neo4j import Neo4jStore

    store = Neo4jStore(
        NEO4J_URI or "",
        user=os.environ.get("CREDGRAPH_NEO4J_USER", "neo4j"),
        password=os.environ.get("CREDGRAPH_NEO4J_PASSWORD", ""),
        database=os.environ.get("CREDGRAPH_NEO4J_DATABASE", "neo4j"),
    )
    store.wipe()  # type: ignore[attr-defined]
    return store


@pytest.fixture(params=BACKENDS)
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], GraphStore]]:
    """A factory of fresh, empty stores of one backend."""
    opened: list[GraphStore] = []

    def factory() -> GraphStore:
        if request.param == "embedded":
            store: GraphStore = EmbeddedStore(tmp_path / f"store{len(opened)}.db")
        else:
            store = _open_neo4j()
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], GraphStore]) -> GraphStore:
    return make_store()
