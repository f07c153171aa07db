"""API fixtures: a small real store (``api_support.build_graph``), a keys
file with one key per role, and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import ROLES, Api, build_graph
from builders import GraphBuilder
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import add_key
from credgraph.store import EmbeddedStore


@pytest.fixture
def graph() -> GraphBuilder:
    return build_graph()


@pytest.fixture
def api(tmp_path: Path, graph: GraphBuilder) -> Iterator[Api]:
    store = EmbeddedStore(tmp_path / "api.db")
    store.upsert(graph.batch)
    keys_file = tmp_path / "keys.toml"
    keys = {role: add_key(keys_file, f"{role}-user", role) for role in ROLES}
    app = create_app(str(tmp_path / "api.db"), keys_file=keys_file)
    with TestClient(app) as client:
        yield Api(client, app.state.store, graph, keys, keys_file)
    store.close()
