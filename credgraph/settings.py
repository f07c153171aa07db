"""Settings from the environment (prefix ``CREDGRAPH_``) — one class."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    #: webhook delivery (DESIGN §10): events per POST, seconds between the
    #: background rounds of ``credgraph serve`` (0 = no background delivery)
    delivery_batch: int = Field(500, ge=1, le=10_000)
    delivery_interval: float = Field(30.0, ge=0)
