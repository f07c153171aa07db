"""The propagation and measures policy: YAML data, validated by pydantic.

The shipped defaults are ``credgraph/policy.yaml``; ``--policy FILE`` or
``CREDGRAPH_POLICY`` points at another file. An invalid file is refused with
a message naming the offending key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from credgraph.model import FlagKind, ListKind, Relation, Role, Scenario, Title

#: libyaml's loader when available (7× faster: the policy is read at every CLI start)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: a seed line (``003:L24``) or a declared source and clause (``BIDLAW-IR:34.2``)
CITATION = re.compile(r"^(\d{3}:L\d+|[A-Z][A-Z0-9]*(-[A-Z0-9]+)*:\d+(\.\d+)*)$")
SEED_CITATION = re.compile(r"^\d{3}:L\d+$")


class PolicyError(ValueError):
    """The policy file is unusable; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_citation(value: str) -> str:
    parts = [p.strip() for p in value.split(";")]
    bad = [p for p in parts if not CITATION.match(p)]
    if not parts or bad:
        raise ValueError(
            f"citation must be like '003:L24' or 'BIDLAW-IR:34.2' ('; '-separated), got {value!r}"
        )
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


# -- supervision (002:L15, 002:L20, 002:L21, 003:L30, 003:L36, 004:L60) ---------
LevelCondition = Literal[
    "listed_severe",
    "responsible_person",
    "related_enterprise",
    "watch_listed",
    "red_listed",
    "green_channel_eligible",
    "negative_record_active",
    "always",
]


class LevelSpec(_Strict):
    """A credit level: the first level (in order) whose ``when`` holds applies."""

    level: str = Field(min_length=1, max_length=16)
    description: str = ""
    when: list[LevelCondition] = Field(min_length=1)
    ratio: float = Field(ge=0, le=1)
    citation: str

    _c = field_validator("citation")(_check_citation)


class ConflictRules(_Strict):
    """Conflict-of-interest checks of inspector assignment (design, 002:L21)."""

    depth: int = Field(2, ge=0, le=4)
    ended_within_years: int = Field(3, ge=0, le=20)
    match_names: bool = True
    per_firm: int = Field(2, ge=1, le=20)
    citation: str = "002:L21"

    _c = field_validator("citation")(_check_citation)


class CommitmentRules(_Strict):
    """A broken credit commitment proposes a key-attention entry (002:L15)."""

    list_kind: ListKind = ListKind.KEY_ATTENTION
    entry_prefix: str = Field("CMT-", min_length=1)
    citation: str = "002:L15"

    _c = field_validator("citation")(_check_citation)


class DeadlineRule(_Strict):
    """A list-exchange duty: due ``working_days`` working days after the event
    (the event day not counted) or on day ``day_of_next_month`` of the next month."""

    description: str = ""
    after: Literal["decided_on", "measure_applied"] = "decided_on"
    working_days: int | None = Field(None, ge=1, le=60)
    day_of_next_month: int | None = Field(None, ge=1, le=28)
    lists: list[ListKind] | None = None
    citation: str

    _c = field_validator("citation")(_check_citation)

    @model_validator(mode="after")
    def _one_rule(self) -> DeadlineRule:
        if (self.working_days is None) == (self.day_of_next_month is None):
            raise ValueError("give exactly one of working_days and day_of_next_month")
        return self


class Supervision(_Strict):
    """Credit levels, graded inspection, commitments and list-exchange deadlines."""

    citation: str = "002:L20; 002:L21"
    levels: list[LevelSpec] = Field(default_factory=lambda: _shipped_levels(), min_length=1)
    conflicts: ConflictRules = Field(default_factory=ConflictRules)
    commitments: CommitmentRules = Field(default_factory=CommitmentRules)
    deadlines: dict[str, DeadlineRule] = Field(default_factory=lambda: _shipped_deadlines())

    _c = field_validator("citation")(_check_citation)

    @model_validator(mode="after")
    def _levels_complete(self) -> Supervision:
        names = [spec.level for spec in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate level names in {names}")
        if "always" not in self.levels[-1].when:
            raise ValueError("the last level must apply 'always' so every subject gets a level")
        return self

    def ratios(self) -> dict[str, float]:
        """Default sampling ratio per level, in level order."""
        return {spec.level: spec.ratio for spec in self.levels}


# -- words (DESIGN §12): labels and explanation templates, zh and en ------------
class Words(_Strict):
    """One text in each language (a template with ``{placeholders}``)."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class Labelled(_Strict):
    """A short ``label`` and an explanation ``text``."""

    label: Words
    text: Words


class Explanations(_Strict):
    """The ``explanations`` section: what ``queries.explain`` fills in."""

    entry: Words
    by_authority: Words
    flag_labels: dict[FlagKind, Words]
    #: by rule, with the variants P2_direct, P3_branch and P3_parent
    flags: dict[str, Words]
    reasons: dict[str, Labelled]
    measures: dict[str, Labelled]
    levels: dict[str, Labelled]
    level_and_green_channel: Words

    @model_validator(mode="after")
    def _complete(self) -> Explanations:
        missing = [k.value for k in FlagKind if k not in self.flag_labels]
        missing += [r for r in ("L0", "P1", "P2", "P3") if r not in self.flags]
        if missing:
            raise ValueError(f"explanations missing for {missing}")
        return self


# -- laws cited by clause and the bidder-link rules (DESIGN §6) ----------------
class Source(_Strict):
    """A law cited by clause: ``KEY:34.2`` is article 34, paragraph 2."""

    title: str = Field(min_length=1)
    short_title: str = ""
    title_en: str = ""
    number: str = ""
    clauses: dict[str, str] = Field(min_length=1)

    @field_validator("clauses")
    @classmethod
    def _clause_keys(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not re.fullmatch(r"\d+(\.\d+)*", k)]
        if bad:
            raise ValueError(f"clause keys must be like '34.2', got {bad}")
        return value


LinkRuleName = Literal["same_principal", "control", "indicator"]
LinkVerdict = Literal["reject", "review", "pass"]
ContactKind = Literal["phone", "email", "address"]
#: explanation templates every language needs, and the fields they may use
LINK_TEMPLATES = frozenset(
    {
        "same_principal", "control_shares", "control_declared", "control_branch",
        "minority_holding", "chain_holding", "chain_control", "common_controller",
        "shared_person", "shared_contact", "mass_contact", "reference", "not_applied", "end",
        "listed",
        "responsible_person", "related_enterprise", "red_listed", "unknown", "invalid",
    }
)  # fmt: skip
TEMPLATE_FIELDS = frozenset(
    {
        "a", "b", "person", "role_a", "role_b", "pct", "via", "controller", "contact", "value",
        "count", "threshold", "ref", "quote", "verdict", "list", "entry", "citation", "detail",
    }
)  # fmt: skip
#: the excerpts of a quote ("…" or "……" between them)
_ELLIPSIS = re.compile(r"…+")


class LinkRule(_Strict):
    """What one link rule does in one scenario, and the clause it rests on."""

    verdict: LinkVerdict
    citation: str
    quote: str = Field(min_length=1)

    _c = field_validator("citation")(_check_citation)

    def excerpts(self) -> list[str]:
        return [part for part in _ELLIPSIS.split(self.quote) if part]


class BidderLinks(_Strict):
    """Bidder-link rules per scenario, the mass-contact threshold, and the
    explanation templates and words per language."""

    mass_contact_threshold: int = Field(20, ge=1)
    mass_contact_kinds: tuple[ContactKind, ...] = ("address", "phone")
    control_above_pct: float = Field(50.0, ge=0, lt=100)
    scenarios: dict[Scenario, dict[LinkRuleName, LinkRule]] = Field(default_factory=dict)
    templates: dict[str, dict[str, str]] = Field(min_length=1)
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> BidderLinks:
        for scenario, rules in self.scenarios.items():
            missing = {"same_principal", "control", "indicator"} - rules.keys()
            if missing:
                raise ValueError(f"scenario {scenario.value} lacks rules {sorted(missing)}")
        for lang, templates in self.templates.items():
            lacking = LINK_TEMPLATES - templates.keys()
            if lacking:
                raise ValueError(f"templates.{lang} lacks {sorted(lacking)}")
            for name, text in templates.items():
                try:
                    fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
                except ValueError as exc:
                    raise ValueError(f"templates.{lang}.{name}: {exc}") from None
                unknown = sorted(fields - TEMPLATE_FIELDS)
                if unknown:
                    raise ValueError(f"templates.{lang}.{name}: unknown fields {unknown}")
        return self

    def rule(self, scenario: Scenario, name: str) -> LinkRule | None:
        """The rule ``name`` in ``scenario``; None where links do not decide."""
        return self.scenarios.get(scenario, {}).get(name)  # type: ignore[call-overload,no-any-return]


class Policy(_Strict):
    _key: str | None = PrivateAttr(default=None)

    version: int = 1
    severe_lists: list[ListKind]
    watch_lists: list[ListKind] = Field(default_factory=list)
    control_threshold_pct: float = Field(50.0, gt=0, le=100)
    rules: Rules
    green_channel: GreenChannel
    measures: dict[Scenario, list[MeasureSpec]]
    #: a policy file without this section gets the shipped one
    supervision: Supervision = Field(default_factory=lambda: _shipped_copy())
    #: quoted seed clause per citation ("003:L24" -> text); default: the shipped ones
    clauses: dict[str, str] = Field(default_factory=lambda: _shipped_clauses())
    #: words of flags, reasons, measures and levels; default: the shipped ones
    explanations: Explanations = Field(default_factory=lambda: _shipped_explanations())
    #: laws cited by clause (a policy file without them gets the shipped ones)
    sources: dict[str, Source] = Field(default_factory=lambda: _shipped_section("sources"))
    bidder_links: BidderLinks = Field(default_factory=lambda: _shipped_section("bidder_links"))

    @field_validator("clauses")
    @classmethod
    def _clause_keys(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not SEED_CITATION.match(k)]
        if bad:
            raise ValueError(f"clause keys must be seed lines like '003:L24', got {bad}")
        return value

    @model_validator(mode="after")
    def _lists_disjoint(self) -> Policy:
        both = set(self.severe_lists) & set(self.watch_lists)
        if both:
            raise ValueError(f"lists both severe and watch: {sorted(both)}")
        if ListKind.RED in self.severe_lists:
            raise ValueError("the red list cannot be severe")
        self._check_sources()
        return self

    def _check_sources(self) -> None:
        """Every clause cited is declared under ``sources``, and every quote
        of a bidder-link rule is made of words of the clauses it cites."""
        for cited in _citations(self.model_dump(exclude={"sources"})):
            self.clause(cited)
        for scenario, rules in self.bidder_links.scenarios.items():
            for name, rule in rules.items():
                texts = [self.clause(c) or "" for c in rule.citation.split("; ")]
                for excerpt in rule.excerpts():
                    if not any(excerpt in text for text in texts):
                        raise ValueError(
                            f"bidder_links.scenarios.{scenario.value}.{name}.quote: "
                            f"{excerpt!r} is not in {rule.citation}"
                        )

    def clause(self, citation: str) -> str | None:
        """The quoted text of a source clause (``BIDLAW-IR:34.2``); None for a
        seed line (``003:L24``, quoted in RULES.md). ValueError when undeclared."""
        if SEED_CITATION.match(citation):
            return None
        key, _, number = citation.partition(":")
        source = self.sources.get(key)
        if source is None:
            raise ValueError(f"citation {citation}: source {key} is not declared under sources")
        if number not in source.clauses:
            raise ValueError(f"citation {citation}: sources.{key} has no clause {number}")
        return source.clauses[number]

    def key(self) -> str:
        """A fingerprint of the rules: materialised flags carry the key of the
        policy that computed them and are ignored under another policy."""
        key = self._key
        if key is None:
            # words change no flag: materialised flags survive a reworded policy
            rules = self.model_dump(mode="json", exclude={"clauses", "explanations"})
            text = json.dumps(rules, sort_keys=True, ensure_ascii=False)
            key = hashlib.sha256(text.encode()).hexdigest()[:16]
            object.__setattr__(self, "_key", key)
        return key

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

    def quotes(self, citation: str) -> list[tuple[str, str]]:
        """Each citation of ``citation`` ("003:L24; BIDLAW-IR:34.2") with its
        quoted clause: a seed line from ``clauses``, a source clause from
        ``sources`` ("" when neither quotes it)."""
        parts = [p.strip() for p in citation.split(";") if p.strip()]
        return [(p, self._quote(p)) for p in parts]

    def _quote(self, citation: str) -> str:
        if SEED_CITATION.match(citation):
            return self.clauses.get(citation, "")
        key, _, number = citation.partition(":")
        source = self.sources.get(key)
        return source.clauses.get(number, "") if source is not None else ""

    def min_share(self, spec: RoleSpec) -> float | None:
        if spec.min_share_pct == "control":
            return self.control_threshold_pct
        return spec.min_share_pct


def _shipped_text() -> str:
    return resources.files("credgraph").joinpath("policy.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def _shipped_supervision() -> Supervision:
    """The shipped policy's supervision section: the defaults of a policy
    file that leaves it (or part of it) out — one source of truth, the YAML."""
    return Supervision.model_validate(yaml.safe_load(_shipped_text())["supervision"])


@lru_cache(maxsize=1)
def _shipped_words() -> tuple[dict[str, str], Explanations]:
    """The shipped clauses and explanations: a policy file without them gets these."""
    data = yaml.safe_load(_shipped_text())
    return dict(data["clauses"]), Explanations.model_validate(data["explanations"])


def _shipped_clauses() -> dict[str, str]:
    return dict(_shipped_words()[0])


def _shipped_explanations() -> Explanations:
    return _shipped_words()[1]


def _shipped_section(name: str) -> Any:
    """A top-level section of the shipped policy, validated by the field it fills."""
    return yaml.safe_load(_shipped_text())[name]


def _citations(data: object) -> Iterator[str]:
    """Every single citation in a dumped policy (values of ``citation`` keys)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "citation" and isinstance(value, str):
                yield from value.split("; ")
            else:
                yield from _citations(value)
    elif isinstance(data, list):
        for item in data:
            yield from _citations(item)


def _shipped_copy() -> Supervision:
    return _shipped_supervision().model_copy()


def _shipped_levels() -> list[LevelSpec]:
    return list(_shipped_supervision().levels)


def _shipped_deadlines() -> dict[str, DeadlineRule]:
    return dict(_shipped_supervision().deadlines)


def load_policy(path: Path | None = None) -> Policy:
    """Load and validate a policy file (default: the shipped policy)."""
    if path is None:
        text = _shipped_text()
        source = "credgraph/policy.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise PolicyError(f"{path}: cannot read policy ({exc.strerror})") from None
        source = str(path)
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML ({exc})") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"{source}: {where}: {first['msg']}") from None


_policy_file: Path | None = None


def use_policy_file(path: Path | None) -> Policy:
    """Make ``path`` the policy every query uses by default (the CLI's
    ``--policy``); None goes back to ``CREDGRAPH_POLICY`` or the shipped one.
    Returns the policy, so an invalid file is refused here."""
    global _policy_file
    policy = load_policy(path) if path is not None else None
    _policy_file = path
    default_policy.cache_clear()
    return policy if policy is not None else default_policy()


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The policy in force: ``--policy``, else ``CREDGRAPH_POLICY``, else shipped."""
    return load_policy(_policy_file or _policy_setting())


def _policy_setting() -> Path | None:
    """``CREDGRAPH_POLICY`` through the settings — imported only when such a
    variable is set, since pydantic-settings alone costs a CLI start ~0.2 s."""
    if not any(name.upper() == "CREDGRAPH_POLICY" for name in os.environ):
        return None
    from credgraph.settings import Settings

    return Settings().policy


def today(tz: str = "Asia/Shanghai") -> date:
    """Today in Asia/Shanghai: the default evaluation day (DESIGN §3)."""
    return datetime.now(ZoneInfo(tz)).date()
