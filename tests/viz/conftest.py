"""Fixtures of the viz tests: the small credit graph of ``credit_graph``, loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import GraphBuilder
from credit_graph import AS_OF, build_graph

from credgraph.store import EmbeddedStore, GraphStore
from queries.materialise import propagate


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    """The embedded store only: drawing does not depend on the backend."""
    db = EmbeddedStore(tmp_path / "viz.db")
    yield db
    db.close()


@pytest.fixture
def graph() -> GraphBuilder:
    return build_graph()


@pytest.fixture
def loaded(store: GraphStore, graph: GraphBuilder) -> tuple[GraphStore, GraphBuilder]:
    store.upsert(graph.batch)
    propagate(store, AS_OF)
    return store, graph
