"""Graded "double random, one public" inspection plans (``002:L21``).

1. The population's credit levels (batched, :func:`credit_levels`).
2. Per level, a random draw of ``ceil(ratio × count)`` firms — ceil, so a
   non-empty level with a non-zero ratio is always sampled (a handful of D
   firms must not round to nobody). The ratio is taken as the decimal it is
   written as (0.1 × 30 = 3 exactly), members are sorted by USCC before the
   draw, and every draw is seeded from ``seed`` and the level name: the same
   population, ratios and seed always give the same plan.
3. Per drawn firm, ``per_firm`` inspectors at random among those without a
   conflict of interest, the least loaded first (random among equals).

A conflict (design, ``policy.supervision.conflicts``): the inspector holds a
role in the firm, or in a firm tied to it within ``depth`` hops of roles or
shareholdings (any role, either direction) — i.e. the inspector is within
``depth + 1`` hops of the firm. Roles ended less than ``ended_within_years``
before as_of still count. An inspector with a ``person_id`` is that person;
one without is matched by exact name (``match_names``), which may be a
namesake: the report says so. The neighbourhoods are computed from the
inspectors' side, one ``store.expand`` per hop for all inspectors together.
Every avoided conflict is reported with its evidence path.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from credgraph.i18n import N_
from credgraph.ids import InvalidIdentifier, normalise_id, validate_uscc
from credgraph.model import Enterprise, NodeId, NodeKind, Person, PersonId, Relation
from credgraph.outputs import write_spreadsheet_csv
from credgraph.policy import ConflictRules, Policy, default_policy
from credgraph.store import Direction, GraphStore
from credgraph.store.base import SearchField
from queries.errors import InvalidRequest
from queries.measures import years_before
from queries.propagation import best_relation
from queries.supervision.levels import CreditLevel, credit_levels

ROUNDING = "ceil"
_NAME_PAGE = 500


class Inspector(BaseModel):
    """An inspector: a unique name and, when known, the person's id."""

    name: str = Field(min_length=1)
    person_id: PersonId | None = None


class LevelSummary(BaseModel):
    level: str
    population: int
    drawn: int
    ratio: float


class AvoidedConflict(BaseModel):
    """An inspector kept away from a drawn firm, with the evidence path
    (node ids from the firm to the inspector's person) and one relation per hop."""

    uscc: str
    inspector: str
    person_id: PersonId
    kind: Literal["role_in_firm", "role_in_related_firm"]
    basis: Literal["person_id", "same_name"]
    path: list[NodeId]
    relations: list[str]


class PlannedInspection(BaseModel):
    uscc: str
    name: str
    level: str
    ratio: float
    inspectors: list[str]
    #: inspectors missing to reach ``per_firm`` (not enough without a conflict)
    shortfall: int = 0
    conflicts_avoided: int = 0
    region: str | None = None
    industry: str | None = None


class SkippedSubject(BaseModel):
    id: NodeId
    reason: str


class InspectionPlan(BaseModel):
    as_of: date
    seed: str
    rounding: str = ROUNDING
    per_firm: int
    ratios: dict[str, float]
    summary: list[LevelSummary]
    inspections: list[PlannedInspection]
    conflicts: list[AvoidedConflict]
    skipped: list[SkippedSubject]
    citation: str


# -- ratios ----------------------------------------------------------------------
def parse_ratios(text: str, policy: Policy | None = None) -> dict[str, float]:
    """``A=0.02,B=0.05`` → ratios per level; levels not named keep the policy's.

    >>> parse_ratios("A=0.01,D=0.5")
    {'D': 0.5, 'C': 0.1, 'A': 0.01, 'B': 0.05}
    """
    rules = policy or default_policy()
    ratios = rules.supervision.ratios()
    for part in (p for p in text.split(",") if p.strip()):
        level, sep, value = part.partition("=")
        level = level.strip()
        if not sep or level not in ratios:
            known = ", ".join(ratios)
            raise InvalidRequest(
                N_(
                    "ratio {part!r}: expected LEVEL=RATIO with LEVEL in {known}",
                    part=part.strip(),
                    known=known,
                )
            )
        try:
            ratio = float(value)
        except ValueError:
            raise InvalidRequest(
                N_(
                    "ratio {part!r}: {value!r} is not a number",
                    part=part.strip(),
                    value=value.strip(),
                )
            ) from None
        if not 0 <= ratio <= 1:
            raise InvalidRequest(N_("ratio {part!r}: must be between 0 and 1", part=part.strip()))
        ratios[level] = ratio
    return ratios


def sample_size(ratio: float, count: int) -> int:
    """``ceil(ratio × count)`` on the ratio as written (no binary float error).

    >>> sample_size(0.1, 30), sample_size(0.02, 1), sample_size(0.0, 9)
    (3, 1, 0)
    """
    return min(count, math.ceil(Fraction(repr(ratio)) * count))


# -- conflicts -------------------------------------------------------------------
@dataclass(frozen=True)
class _Start:
    inspector: str
    person_id: str
    basis: Literal["person_id", "same_name"]


def _namesakes(store: GraphStore, name: str) -> list[str]:
    """Person ids whose name is exactly ``name``."""
    found: list[str] = []
    offset = 0
    while True:
        page = store.search(name, limit=_NAME_PAGE, offset=offset, field=SearchField.NAME)
        found += [n.person_id for n in page if isinstance(n, Person) and n.name == name]
        if len(page) < _NAME_PAGE:
            return found
        offset += _NAME_PAGE


def _starts(
    store: GraphStore, inspectors: Sequence[Inspector], rules: ConflictRules
) -> list[_Start]:
    starts: list[_Start] = []
    with_id = {i.name: normalise_id(i.person_id) for i in inspectors if i.person_id}
    known = store.existing_ids(with_id.values())
    for name, pid in with_id.items():
        if known.get(pid) is NodeKind.PERSON:
            starts.append(_Start(name, pid, "person_id"))
    if rules.match_names:
        for i in inspectors:
            if not i.person_id:
                starts += [_Start(i.name, pid, "same_name") for pid in _namesakes(store, i.name)]
    return starts


def _counts(rel: Relation, as_of: date, rules: ConflictRules) -> bool:
    """A relation ties its ends when it started by as_of and is active, or
    ended less than ``ended_within_years`` before as_of."""
    cutoff = years_before(as_of, rules.ended_within_years)
    return (rel.start_on is None or rel.start_on <= as_of) and (
        rel.end_on is None or rel.end_on >= cutoff
    )


def _neighbourhood(
    store: GraphStore, starts: Iterable[str], hops: int, as_of: date, rules: ConflictRules
) -> dict[str, dict[str, set[str]]]:
    """Adjacency (node → neighbour → roles) of every node within ``hops - 1``
    of a start: enough for a walk of ``hops`` from each. One expand per hop."""
    adjacency: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    frontier = set(starts)
    expanded: set[str] = set()
    for _ in range(hops):
        todo = frontier - expanded
        if not todo:
            break
        expanded |= todo
        reached: set[str] = set()
        for r in store.expand(sorted(todo), Direction.BOTH):
            if not _counts(r, as_of, rules):
                continue
            adjacency[r.source_id][r.target_uscc].add(r.role.value)
            adjacency[r.target_uscc][r.source_id].add(r.role.value)
            reached.update((r.source_id, r.target_uscc))
        frontier = reached
    return adjacency


def _walk(
    adjacency: Mapping[str, Mapping[str, set[str]]], start: str, hops: int
) -> dict[str, tuple[str, ...]]:
    """Shortest paths (start → node) to every node within ``hops``."""
    paths: dict[str, tuple[str, ...]] = {start: (start,)}
    queue: deque[str] = deque([start])
    while queue:
        node = queue.popleft()
        if len(paths[node]) > hops:
            continue
        for nxt in sorted(adjacency.get(node, {})):
            if nxt not in paths:
                paths[nxt] = (*paths[node], nxt)
                queue.append(nxt)
    return paths


def conflicts_for(
    store: GraphStore,
    firms: Iterable[str],
    inspectors: Sequence[Inspector],
    as_of: date,
    policy: Policy | None = None,
) -> dict[str, dict[str, AvoidedConflict]]:
    """Conflicts of interest between ``firms`` and ``inspectors``: firm →
    inspector name → the shortest conflict (a ``person_id`` match preferred
    to a namesake)."""
    rules = (policy or default_policy()).supervision.conflicts
    wanted = set(firms)
    starts = _starts(store, inspectors, rules)
    hops = rules.depth + 1
    adjacency = _neighbourhood(store, {s.person_id for s in starts}, hops, as_of, rules)
    out: dict[str, dict[str, AvoidedConflict]] = defaultdict(dict)
    for s in starts:
        for node, path in _walk(adjacency, s.person_id, hops).items():
            if node not in wanted:
                continue
            back = tuple(reversed(path))  # from the firm to the inspector
            found = AvoidedConflict(
                uscc=node,
                inspector=s.inspector,
                person_id=s.person_id,
                kind="role_in_firm" if len(path) == 2 else "role_in_related_firm",
                basis=s.basis,
                path=list(back),
                relations=[best_relation(adjacency[a][b]) for a, b in pairwise(back)],
            )
            old = out[node].get(s.inspector)
            if old is None or (found.basis, len(found.path), found.path) < (
                old.basis,
                len(old.path),
                old.path,
            ):
                out[node][s.inspector] = found
    return out


# -- the plan --------------------------------------------------------------------
def _validate_population(
    store: GraphStore, population: Iterable[str]
) -> tuple[list[str], list[SkippedSubject]]:
    """Stored enterprises of the population (sorted), and the ids skipped."""
    ids = list(dict.fromkeys(normalise_id(p) for p in population))
    kinds = store.existing_ids(ids)
    firms: list[str] = []
    skipped: list[SkippedSubject] = []
    for sid in ids:
        kind = kinds.get(sid)
        if kind is NodeKind.ENTERPRISE:
            firms.append(sid)
        elif kind is NodeKind.PERSON:
            skipped.append(SkippedSubject(id=sid, reason="a person, not an enterprise"))
        else:
            try:
                validate_uscc(sid)
            except InvalidIdentifier as exc:
                skipped.append(SkippedSubject(id=sid, reason=f"invalid USCC: {exc.reason}"))
            else:
                skipped.append(SkippedSubject(id=sid, reason="not in the store"))
    return sorted(firms), skipped


def _checked_arguments(
    inspectors: Sequence[Inspector],
    ratios: Mapping[str, float] | None,
    per_firm: int | None,
    rules: Policy,
) -> tuple[dict[str, float], int]:
    """The ratio per level and the inspectors per firm a plan uses; refuses
    duplicate inspectors, unknown levels and fewer than one per firm."""
    dupes = sorted(n for n, c in Counter(i.name for i in inspectors).items() if c > 1)
    if dupes:
        raise InvalidRequest(N_("inspector names must be unique: {names}", names=", ".join(dupes)))
    same = sorted(
        p for p, c in Counter(i.person_id for i in inspectors if i.person_id).items() if c > 1
    )
    if same:
        raise InvalidRequest(
            N_("one person listed as several inspectors: {ids}", ids=", ".join(same))
        )
    chosen = dict(rules.supervision.ratios())
    unknown = sorted(set(ratios or {}) - set(chosen))
    if unknown:
        raise InvalidRequest(
            N_(
                "unknown level(s) {unknown}; levels: {levels}",
                unknown=", ".join(unknown),
                levels=", ".join(chosen),
            )
        )
    chosen.update(ratios or {})
    per = per_firm if per_firm is not None else rules.supervision.conflicts.per_firm
    if per < 1:
        raise InvalidRequest(N_("--per-firm must be at least 1"))
    return chosen, per


def inspection_plan(
    store: GraphStore,
    population: Iterable[str],
    inspectors: Sequence[Inspector],
    ratios: Mapping[str, float] | None,
    seed: int | str,
    as_of: date,
    per_firm: int | None = None,
    policy: Policy | None = None,
) -> InspectionPlan:
    """A reproducible graded inspection plan (see the module docstring).

    ``ratios`` per level (None = the policy's); ``per_firm`` inspectors per
    firm (None = the policy's). Ids that are malformed or not stored
    enterprises are listed in ``skipped``.
    """
    rules = policy or default_policy()
    chosen, per = _checked_arguments(inspectors, ratios, per_firm, rules)
    names = [i.name for i in inspectors]
    firms, skipped = _validate_population(store, population)
    levels: dict[str, CreditLevel] = credit_levels(store, firms, as_of, policy)
    members: dict[str, list[str]] = {level: [] for level in chosen}
    for uscc in firms:
        members[levels[uscc].level].append(uscc)

    drawn: list[tuple[str, str]] = []  # (level, uscc) in level order, then uscc
    summary: list[LevelSummary] = []
    for level, ratio in chosen.items():
        k = sample_size(ratio, len(members[level]))
        picked = random.Random(f"{seed}:draw:{level}").sample(members[level], k)
        drawn += [(level, u) for u in sorted(picked)]
        summary.append(
            LevelSummary(level=level, population=len(members[level]), drawn=k, ratio=ratio)
        )

    conflicts = conflicts_for(store, [u for _, u in drawn], inspectors, as_of, rules)
    nodes = store.nodes(u for _, u in drawn)
    load: Counter[str] = Counter()
    pool = sorted(names)
    rng = random.Random(f"{seed}:assign")
    inspections: list[PlannedInspection] = []
    avoided: list[AvoidedConflict] = []
    for level, uscc in drawn:
        blocked = conflicts.get(uscc, {})
        eligible = [n for n in pool if n not in blocked]
        rng.shuffle(eligible)
        eligible.sort(key=lambda n: load[n])  # stable: random among equally loaded
        team = sorted(eligible[:per])
        load.update(team)
        node = nodes.get(uscc)
        firm = node if isinstance(node, Enterprise) else None
        inspections.append(
            PlannedInspection(
                uscc=uscc,
                name=firm.name if firm else "",
                level=level,
                ratio=chosen[level],
                inspectors=team,
                shortfall=per - len(team),
                conflicts_avoided=len(blocked),
                region=firm.region if firm else None,
                industry=firm.industry if firm else None,
            )
        )
        avoided += [blocked[n] for n in sorted(blocked)]
    return InspectionPlan(
        as_of=as_of,
        seed=str(seed),
        per_firm=per,
        ratios=chosen,
        summary=summary,
        inspections=inspections,
        conflicts=avoided,
        skipped=skipped,
        citation=rules.supervision.citation,
    )


# -- output ----------------------------------------------------------------------
PLAN_COLUMNS = (
    "uscc",
    "name",
    "level",
    "ratio",
    "inspectors",
    "shortfall",
    "conflicts_avoided",
    "region",
    "industry",
)
CONFLICT_COLUMNS = ("uscc", "inspector", "person_id", "kind", "basis", "path", "relations")


def write_plan_csv(plan: InspectionPlan, path: Path) -> None:
    """The plan as CSV (UTF-8 with BOM for spreadsheet users): one row per
    drawn firm, inspectors ``;``-separated; formula-safe, written atomically."""
    rows = (
        (
            i.uscc,
            i.name,
            i.level,
            i.ratio,
            ";".join(i.inspectors),
            i.shortfall,
            i.conflicts_avoided,
            i.region or "",
            i.industry or "",
        )
        for i in plan.inspections
    )
    write_spreadsheet_csv(path, PLAN_COLUMNS, rows)


def write_conflicts_csv(plan: InspectionPlan, path: Path) -> None:
    """Every avoided conflict with its evidence path (``>``-joined ids);
    formula-safe, written atomically."""
    rows = (
        (c.uscc, c.inspector, c.person_id, c.kind, c.basis, ">".join(c.path), ";".join(c.relations))
        for c in plan.conflicts
    )
    write_spreadsheet_csv(path, CONFLICT_COLUMNS, rows)
