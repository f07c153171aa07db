"""Stores: the ``GraphStore`` protocol and its backends.

``open_store("credgraph.db")`` opens the embedded store;
``open_store("neo4j://host:7687")`` the Neo4j backend.
"""

from __future__ import annotations

from credgraph.store.base import (
    AuditRecord,
    Direction,
    GraphStore,
    StoredFlags,
    StoreError,
    UnknownObjection,
)
from credgraph.store.sqlite import EmbeddedStore

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def open_store(location: str) -> GraphStore:
    """Open the store at ``location``: a file path or a Neo4j URI."""
    if location.startswith(NEO4J_SCHEMES):
        from credgraph.settings import Settings
        from credgraph.store.neo4j import Neo4jStore

        settings = Settings()
        return Neo4jStore(
            location,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            timeout=settings.neo4j_timeout,
        )
    return EmbeddedStore(location)


__all__ = [
    "AuditRecord",
    "Direction",
    "EmbeddedStore",
    "GraphStore",
    "StoreError",
    "StoredFlags",
    "UnknownObjection",
    "open_store",
]
