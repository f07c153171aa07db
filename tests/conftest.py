"""Shared fixtures: real stores, embedded and Neo4j (DESIGN §1, §11).

Every backend-parametrised test runs on both backends. The Neo4j one is the
run's live server (``tests/stores.py``): one per run, emptied between
tests with a ``DETACH DELETE`` of a few nodes, its schema kept.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from stores import JAVA_MISSING, SKIP_REASON, Server, open_neo4j

from credgraph.store import EmbeddedStore, GraphStore
from credgraph.store.neo4j import Neo4jStore

#: a script that rewrites api/openapi_examples.json when run: never imported by
#: the doctest collection (a test run must not change a tracked file)
collect_ignore = ["api/openapi_examples_gen.py"]

BACKENDS = [
    "embedded",
    pytest.param(
        "neo4j", marks=[pytest.mark.neo4j, pytest.mark.skipif(JAVA_MISSING, reason=SKIP_REASON)]
    ),
]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: a CLI run with
    ``--lang en`` sets the language of this thread until the next run."""
    from credgraph.i18n import set_lang

    set_lang(None)
    yield
    set_lang(None)


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def neo4j_store(request: pytest.FixtureRequest) -> Iterator[Neo4jStore]:
    """An empty store on the run's live Neo4j (Neo4j-specific tests)."""
    if JAVA_MISSING:
        pytest.skip(SKIP_REASON)
    server: Server = request.getfixturevalue("neo4j_server")
    store = open_neo4j(server)
    yield store
    store.close()


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
            store = open_neo4j(request.getfixturevalue("neo4j_server"))
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], GraphStore]) -> GraphStore:
    return make_store()
