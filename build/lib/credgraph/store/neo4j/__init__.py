"""Neo4j backend of the ``GraphStore`` protocol; its Cypher lives in ``cypher``."""

from credgraph.store.neo4j.backend import Neo4jStore

__all__ = ["Neo4jStore"]
