"""Shared fixtures: real stores, embedded and Neo4j (DESIGN §1, §11).

Every backend-parametrised test runs on both backends. The Neo4j one is the
run's live server (``tests/stores.py``): one per run, emptied between
tests with a ``DETACH DELETE`` of a few nodes, its schema kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from stores import JAVA_MISSING, SKIP_REASON, Server

from credgraph.store import EmbeddedStore, GraphStore

BACKENDS = [
    "embedded",
    pytest.param(
        "neo4j", marks=[pytest.mark.neo4j, pytest.mark.skipif(JAVA_MISSING, reason=SKIP_REASON)]
    ),
]


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


def open_neo4j(uri: str) -> GraphStore:
    """A Neo4j store on the run's server, emptied."""
    from credgraph.store.neo4j import Neo4jStore

    store = Neo4jStore(
        uri,
        user=os.environ.get("CREDGRAPH_NEO4J_USER", "neo4j"),
        password=os.environ.get("CREDGRAPH_NEO4J_PASSWORD", ""),
        database=os.environ.get("CREDGRAPH_NEO4J_DATABASE", "neo4j"),
    )
    store.wipe()
    return store


@pytest.fixture(params=BACKENDS)
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], GraphStore]]:
    """A factory of fresh, empty stores of one backend. Neo4j has one
    database: a new Neo4j store empties it, so the previous one is closed."""
    opened: list[GraphStore] = []

    def factory() -> GraphStore:
        if request.param == "embedded":
            store: GraphStore = EmbeddedStore(tmp_path / f"store{len(opened)}.db")
        else:
            for previous in opened:
                previous.close()
            opened.clear()
            server: Server = request.getfixturevalue("neo4j_server")
            store = open_neo4j(server.uri)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], GraphStore]) -> GraphStore:
    return make_store()
