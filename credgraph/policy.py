"""The propagation and measures policy: YAML data, validated by pydantic.

The shipped defaults are ``credgraph/policy.yaml``; ``--policy FILE`` or
``CREDGRAPH_POLICY`` points at another file. An invalid file is refused with
a message naming the offending key.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from credgraph.model import ListKind, Relation, Role, Scenario, Title

CITATION = re.compile(r"^\d{3}:L\d+$")


class PolicyError(ValueError):
    """The policy file is unusable; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_citation(value: str) -> str:
    parts = [p.strip() for p in value.split(";")]
    bad = [p for p in parts if not CITATION.match(p)]
    if not parts or bad:
        raise ValueError(f"citation must be like '003:L24' ('; '-separated), got {value!r}")
    return "; ".join(parts)


class RoleSpec(_Strict):
    """A role that satisfies a rule, optionally narrowed by title or share."""

    role: Role
    titles: list[Title] | None = None
    exclude_titles: list[Title] = Field(default_factory=list)
    min_share_pct: Literal["control"] | float | None = None

    def matches(self, rel: Relation) -> bool:
        if rel.role is not self.role:
            return False
        if self.titles is not None and rel.title not in self.titles:
            return False
        return rel.title is None or rel.title not in self.exclude_titles


class ListRoles(_Strict):
    roles: list[RoleSpec]
    citation: str

    _c = field_validator("citation")(_check_citation)


class RuleBase(_Strict):
    description: str = ""
    citation: str

    _c = field_validator("citation")(_check_citation)


class P1Rule(RuleBase):
    roles: list[RoleSpec]
    named_responsible: bool = True
    by_list: dict[ListKind, ListRoles] = Field(default_factory=dict)


class P2Rule(RuleBase):
    roles: list[RoleSpec]


class P3Rule(RuleBase):
    control_holdings: bool = True
    branches: bool = True
    parent: bool = True


class Rules(_Strict):
    L0: RuleBase
    P1: P1Rule
    P2: P2Rule
    P3: P3Rule


class GreenChannel(_Strict):
    citation: str
    clean_years: int = Field(3, ge=1, le=20)

    _c = field_validator("citation")(_check_citation)


Condition = Literal[
    "listed_severe",
    "responsible_person",
    "related_enterprise",
    "watch_listed",
    "red_listed",
    "green_channel_eligible",
]


class MeasureSpec(_Strict):
    code: str
    description: str
    citation: str
    when: list[Condition]

    _c = field_validator("citation")(_check_citation)


class Policy(_Strict):
    version: int = 1
    severe_lists: list[ListKind]
    watch_lists: list[ListKind] = Field(default_factory=list)
    control_threshold_pct: float = Field(50.0, gt=0, le=100)
    rules: Rules
    green_channel: GreenChannel
    measures: dict[Scenario, list[MeasureSpec]]

    @model_validator(mode="after")
    def _lists_disjoint(self) -> Policy:
        both = set(self.severe_lists) & set(self.watch_lists)
        if both:
            raise ValueError(f"lists both severe and watch: {sorted(both)}")
        if ListKind.RED in self.severe_lists:
            raise ValueError("the red list cannot be severe")
        return self

    def is_severe(self, kind: ListKind) -> bool:
        return kind in self.severe_lists

    def p1_specs(self, kind: ListKind) -> list[RoleSpec]:
        extra = self.rules.P1.by_list.get(kind)
        return list(self.rules.P1.roles) + (list(extra.roles) if extra else [])

    def p1_citation(self, kind: ListKind) -> str:
        extra = self.rules.P1.by_list.get(kind)
        if not extra:
            return self.rules.P1.citation
        parts = dict.fromkeys([*self.rules.P1.citation.split("; "), *extra.citation.split("; ")])
        return "; ".join(parts)

    def min_share(self, spec: RoleSpec) -> float | None:
        if spec.min_share_pct == "control":
            return self.control_threshold_pct
        return spec.min_share_pct


def load_policy(path: Path | None = None) -> Policy:
    """Load and validate a policy file (default: the shipped policy)."""
    if path is None:
        text = resources.files("credgraph").joinpath("policy.yaml").read_text("utf-8")
        source = "credgraph/policy.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise PolicyError(f"{path}: cannot read policy ({exc.strerror})") from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML ({exc})") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"{source}: {where}: {first['msg']}") from None


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    from credgraph.settings import Settings

    return load_policy(Settings().policy)


def today(tz: str = "Asia/Shanghai") -> date:
    """Today in Asia/Shanghai: the default evaluation day (DESIGN §3)."""
    return datetime.now(ZoneInfo(tz)).date()
