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
    # input limits (README "Input data"): a longer field is a reject; a
    # workbook beyond the limits is refused before it is parsed
    max_field_chars: int = 65_536
    xlsx_max_bytes: int = 256 * 1024 * 1024
    xlsx_max_rows: int = 1_048_576
    xlsx_max_columns: int = 256
