"""Settings from the environment (prefix ``CREDGRAPH_``) — one class."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDGRAPH_", extra="ignore")

    store: str = "credgraph.db"
    policy: Path | None = None
    keys_file: Path = Path("credgraph-keys.toml")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    neo4j_timeout: float = 10.0  # seconds to connect to Neo4j
