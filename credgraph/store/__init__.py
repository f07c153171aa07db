"""Stores: the ``GraphStore`` protocol and its backends.

``open_store("credgraph.db")`` opens the embedded store;
``open_store("neo4j://host:7687")`` the Neo4j backend.
"""

from __future__ import annotations

import os

from credgraph.model import AuditRecord, Commitment
from credgraph.store.base import (
    AuditLog,
    CommitmentBook,
    Direction,
    EntryRow,
    FlagCache,
    FlagDiff,
    Graph,
    GraphStore,
    RelationRow,
    SearchField,
    StoredFlags,
    StoreError,
    UnknownCommitment,
    UnknownObjection,
)
from credgraph.store.sqlite import EmbeddedStore, StoreBusy, store_files
from credgraph.store.sqlite.connection import OnWait

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def env_set(name: str) -> bool:
    """Whether the environment sets ``name`` (as the settings read it: any case)."""
    return any(key.upper() == name for key in os.environ)


def open_store(
    location: str, *, read_only: bool = False, on_wait: OnWait | None = None, new: bool = False
) -> GraphStore:
    """Open the store at ``location``: a file path or a Neo4j URI.

    ``read_only`` (commands that only read) opens the embedded store without
    ever writing it; ``on_wait`` is called with the seconds waited while
    another process writes the embedded store (a writer then gives up after
    ``CREDGRAPH_WRITE_WAIT`` seconds with :class:`StoreBusy`). Neo4j takes
    its own locks per record and needs neither. ``new``: an embedded store
    that does not exist yet is built by its first bulk load in a scratch
    file (``credgraph load``; see ``EmbeddedStore``).
    """
    if not location.startswith(NEO4J_SCHEMES) and not env_set("CREDGRAPH_WRITE_WAIT"):
        # pydantic-settings alone costs a CLI start ~0.2 s: not for the default
        return EmbeddedStore(location, read_only=read_only, on_wait=on_wait, new=new)
    from credgraph.settings import Settings

    settings = Settings()
    if location.startswith(NEO4J_SCHEMES):
        from credgraph.store.neo4j import Neo4jStore

        return Neo4jStore(
            location,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            timeout=settings.neo4j_timeout,
        )
    return EmbeddedStore(
        location, read_only=read_only, write_wait=settings.write_wait, on_wait=on_wait, new=new
    )


__all__ = [
    "AuditLog",
    "AuditRecord",
    "Commitment",
    "CommitmentBook",
    "Direction",
    "EmbeddedStore",
    "EntryRow",
    "FlagCache",
    "FlagDiff",
    "Graph",
    "GraphStore",
    "RelationRow",
    "SearchField",
    "StoreBusy",
    "StoreError",
    "StoredFlags",
    "UnknownCommitment",
    "UnknownObjection",
    "open_store",
    "store_files",
]
