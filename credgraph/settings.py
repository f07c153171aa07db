"""Settings from the environment (prefix ``CREDGRAPH_``) — one class."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credgraph.i18n import Lang, parse_lang


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDGRAPH_", extra="ignore")

    store: str = "credgraph.db"
    policy: Path | None = None
    keys_file: Path = Path("credgraph-keys.toml")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    #: language of tables, reports and explanations: zh (default) or en (DESIGN §12)
    lang: Lang = "zh"

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: object) -> object:
        return parse_lang(value) or value if isinstance(value, str) else value
