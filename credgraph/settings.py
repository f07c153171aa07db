"""Settings from the environment (prefix ``CREDGRAPH_``) — one class."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credgraph.i18n import Lang, parse_lang


class RateLimit(BaseModel):
    """A token bucket: ``rate`` requests per second, ``burst`` at once."""

    rate: float = Field(gt=0)
    burst: int = Field(ge=1)


#: request budgets per API role (``CREDGRAPH_RATE_LIMITS`` as JSON overrides)
DEFAULT_RATE_LIMITS = {
    "public": RateLimit(rate=10, burst=50),
    "procurement": RateLimit(rate=20, burst=100),
    "investigator": RateLimit(rate=50, burst=200),
    "admin": RateLimit(rate=100, burst=400),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDGRAPH_", extra="ignore")

    store: str = "credgraph.db"
    #: seconds a writer waits for another process writing the embedded store
    write_wait: float = 60.0
    policy: Path | None = None
    keys_file: Path = Path("credgraph-keys.toml")
    #: the secret behind the masked roles' person refs (default: beside the keys file)
    ref_secret_file: Path | None = None
    rate_limits: dict[str, RateLimit] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    #: refused or unanswered lookups by one key within a minute before a warning is logged
    miss_warning: int = 20
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    #: webhook delivery (DESIGN §10): events per POST, seconds between the
    #: background rounds of ``credgraph serve`` (0 = no background delivery)
    delivery_batch: int = Field(500, ge=1, le=10_000)
    delivery_interval: float = Field(30.0, ge=0)
    neo4j_timeout: float = 10.0  # seconds to connect to Neo4j
    # input limits (README "Input data"): a longer field is a reject; a
    # workbook beyond the limits is refused before it is parsed
    max_field_chars: int = 65_536
    xlsx_max_bytes: int = 256 * 1024 * 1024
    xlsx_max_rows: int = 1_048_576
    xlsx_max_columns: int = 256
    #: language of tables, reports and explanations: zh (default) or en (DESIGN §12)
    lang: Lang = "zh"

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: object) -> object:
        return parse_lang(value) or value if isinstance(value, str) else value
