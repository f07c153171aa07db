"""Joint reward/punishment measures per scenario (DESIGN §4, §8).

:func:`check_measures` answers "what applies to this subject in this
scenario on as_of": a verdict (reject / review / pass, or eligible /
not_eligible for the green channel), the reasons with their evidence paths,
and the measures of ``policy.yaml`` whose ``when`` conditions hold.

For example, a firm on the serious-dishonesty list gets
``check_measures(store, uscc, "public_bidding", day).verdict == "reject"``
with a ``listed`` reason.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import (
    Flag,
    FlagKind,
    ListEntry,
    ListKind,
    NodeId,
    NodeKind,
    Objection,
    RemovalReason,
    Rule,
    Scenario,
)
from credgraph.policy import Condition, Policy, default_policy
from credgraph.store import Direction, GraphStore
from queries.errors import InvalidRequest
from queries.propagation import NAMED_RESPONSIBLE, best_relation, flags_for_subjects, suspended
from queries.subjects import resolve_subject


class Verdict(StrEnum):
    REJECT = "reject"
    REVIEW = "review"
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"


class ReasonCode(StrEnum):
    LISTED = "listed"  # on a severe or watch list (L0); ``list`` says which
    RED_LISTED = "red_listed"  # on the red list (an incentive, never a restriction)
    RESPONSIBLE_PERSON = "responsible_person"
    RELATED_ENTERPRISE = "related_enterprise"
    NEGATIVE_RECORD = "negative_record"  # green channel: a record active in the window
    CLEAN_RECORD = "clean_record"  # green channel: none in the window


#: Scenarios in which a responsible person is rejected, not reviewed
#: (003:L25 market bans and honours; 001:L709 appointment restriction).
REJECT_RESPONSIBLE = frozenset({Scenario.APPOINTMENT, Scenario.HONOURS})

_FLAG_CONDITIONS = frozenset(
    {"listed_severe", "watch_listed", "red_listed", "responsible_person", "related_enterprise"}
)
_REASON_ORDER = {code: i for i, code in enumerate(ReasonCode)}


class Reason(BaseModel):
    """Why a verdict or measure applies, with the evidence path (DESIGN §3)."""

    code: str
    entry_id: str | None = None
    list: ListKind | None = None
    rule: str | None = None
    citation: str | None = None
    path: builtins.list[NodeId] = []
    relations: builtins.list[str] = []
    detail: str | None = None

    @classmethod
    def from_flag(cls, flag: Flag, code: str) -> Reason:
        """The reason a flag gives, with its rule, citation and evidence path."""
        return cls(
            code=code,
            entry_id=flag.entry_id,
            list=flag.list,
            rule=flag.rule.value,
            citation=flag.citation,
            path=list(flag.path),
            relations=list(flag.relations),
            detail=f"{flag.other_paths} other paths" if flag.other_paths else None,
        )


class AppliedMeasure(BaseModel):
    code: str
    description: str
    citation: str


class MeasuresResult(BaseModel):
    """The ``measures`` JSON of DESIGN §8."""

    subject_id: NodeId
    scenario: Scenario
    as_of: date
    verdict: Verdict
    reasons: list[Reason]
    measures: list[AppliedMeasure]


def parse_scenario(value: Scenario | str) -> Scenario:
    """The scenario named by ``value``; :class:`InvalidRequest` when unknown."""
    try:
        return Scenario(value)
    except ValueError:
        names = ", ".join(s.value for s in Scenario)
        raise InvalidRequest(
            N_("unknown scenario {value!r}; one of {names}", value=value, names=names)
        ) from None


# -- green channel (003:L20) -----------------------------------------------------
def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def first_active_day(
    entry: ListEntry, objections: Sequence[Objection], first: date, last: date
) -> date | None:
    """The first day in ``[first, last]`` on which the entry is active
    (DESIGN §3: decided, not removed, not expired, not suspended), or None."""
    day = max(first, entry.decided_on)
    end = last
    if entry.removed_on is not None:
        end = min(end, entry.removed_on - timedelta(days=1))
    if entry.valid_until is not None:
        end = min(end, entry.valid_until)
    while day <= end:
        if not suspended(objections, day):
            return day
        # 003:L32: suspended from filing until resolution. Jump to the earliest
        # resolution among the objections covering ``day`` (checked again there);
        # an open one suspends the entry for the rest of the interval.
        covering = [o for o in objections if o.filed_on <= day]
        resolutions = [
            o.resolved_on for o in covering if o.resolved_on is None or o.resolved_on > day
        ]
        if None in resolutions:
            return None
        day = min(r for r in resolutions if r is not None)
    return None


@dataclass(frozen=True)
class NegativeRecord:
    """An entry that counts against the green channel for a subject."""

    entry: ListEntry
    rule: Rule
    path: tuple[str, ...]
    relations: tuple[str, ...]


def negative_records(
    store: GraphStore, subject_id: str, kind: NodeKind, policy: Policy
) -> list[NegativeRecord]:
    """Every negative record of the subject, active or not (DESIGN §4):
    its own entries on any list but red, and — for a person — the severe
    entries of firms for which it is a P1 responsible person (roles active
    on the decision day, or named). Entries revoked on objection never count."""
    found = [
        NegativeRecord(e, Rule.L0, (subject_id,), ())
        for e in store.entries(subject_ids=[subject_id])
        if e.list is not ListKind.RED
    ]
    if kind is NodeKind.PERSON:
        severe = policy.severe_lists
        p1_roles = {s.role for k in severe for s in policy.p1_specs(k)}
        # every role ever held: P1 looks at the decision day, not at as_of (003:L24)
        rels = store.expand([subject_id], Direction.OUT, p1_roles)
        employers = {r.target_uscc for r in rels}
        candidates = {e.entry_id: e for e in store.entries(subject_ids=employers, lists=severe)}
        if policy.rules.P1.named_responsible:
            for e in store.entries(responsible_person_ids=[subject_id], lists=severe):
                candidates.setdefault(e.entry_id, e)
        for e in sorted(candidates.values(), key=lambda x: x.entry_id):
            if e.subject_type is not NodeKind.ENTERPRISE:
                continue
            specs = policy.p1_specs(e.list)
            names = {
                r.role.value
                for r in rels
                if r.target_uscc == e.subject_id
                and r.active_on(e.decided_on)
                and any(s.matches(r) for s in specs)
            }
            if policy.rules.P1.named_responsible and subject_id in e.responsible_person_ids:
                names.add(NAMED_RESPONSIBLE)
            if names:
                found.append(
                    NegativeRecord(e, Rule.P1, (e.subject_id, subject_id), (best_relation(names),))
                )
    return [r for r in found if r.entry.removal_reason is not RemovalReason.REVOKED_ON_OBJECTION]


def green_channel(
    store: GraphStore, subject_id: str, kind: NodeKind, as_of: date, policy: Policy
) -> tuple[bool, list[Reason]]:
    """Green-channel eligibility (003:L20) and its reasons.

    Eligible with an active red entry and no negative record active on
    as_of, or when no negative record was active on any day of the window
    ``(as_of − clean_years, as_of]``.
    """
    gc = policy.green_channel
    window_first = years_before(as_of, gc.clean_years) + timedelta(days=1)
    window = f"{window_first.isoformat()}..{as_of.isoformat()}"
    records = negative_records(store, subject_id, kind, policy)
    red = store.entries(subject_ids=[subject_id], lists=[ListKind.RED])
    entry_ids = [r.entry.entry_id for r in records] + [e.entry_id for e in red]
    objections: dict[str, list[Objection]] = {i: [] for i in entry_ids}
    if entry_ids:
        for o in store.objections(entry_ids):
            objections[o.entry_id].append(o)

    reasons: list[Reason] = []
    active_now = False
    for rec in records:
        seen = first_active_day(rec.entry, objections[rec.entry.entry_id], window_first, as_of)
        if seen is None:
            continue
        now = first_active_day(rec.entry, objections[rec.entry.entry_id], as_of, as_of)
        active_now = active_now or now is not None
        rule_citation = (
            policy.p1_citation(rec.entry.list) if rec.rule is Rule.P1 else policy.rules.L0.citation
        )
        reasons.append(
            Reason(
                code=ReasonCode.NEGATIVE_RECORD,
                entry_id=rec.entry.entry_id,
                list=rec.entry.list,
                rule=rec.rule.value,
                citation=_join_citations(gc.citation, rule_citation),
                path=list(rec.path),
                relations=list(rec.relations),
                detail=(
                    "active on as_of"
                    if now is not None
                    else f"active on {seen.isoformat()}, within {window}"
                ),
            )
        )
    red_active = [
        e for e in red if first_active_day(e, objections[e.entry_id], as_of, as_of) is not None
    ]
    for e in red_active:
        reasons.insert(
            0,
            Reason(
                code=ReasonCode.RED_LISTED,
                entry_id=e.entry_id,
                list=e.list,
                rule=Rule.L0.value,
                citation=gc.citation,
                path=[subject_id],
                detail="active red-list entry (trustworthy model subject)",
            ),
        )
    clean = not any(r.code == ReasonCode.NEGATIVE_RECORD for r in reasons)
    if clean:
        reasons.append(
            Reason(
                code=ReasonCode.CLEAN_RECORD,
                citation=gc.citation,
                path=[subject_id],
                detail=f"no negative record active in {window}",
            )
        )
    return (bool(red_active) and not active_now) or clean, reasons


# -- verdicts and measures -----------------------------------------------------
def _join_citations(*citations: str) -> str:
    parts = [p.strip() for c in citations for p in c.split(";")]
    return "; ".join(dict.fromkeys(p for p in parts if p))


def flag_condition(flag: FlagKind, listed: ListKind, policy: Policy) -> Condition | None:
    """The measure condition a flag satisfies (None for a listing on a list
    the policy names neither severe, watch nor red)."""
    if flag is FlagKind.RESPONSIBLE_PERSON:
        return "responsible_person"
    if flag is FlagKind.RELATED_ENTERPRISE:
        return "related_enterprise"
    if listed is ListKind.RED:
        return "red_listed"
    if policy.is_severe(listed):
        return "listed_severe"
    return "watch_listed" if listed in policy.watch_lists else None


_CONDITION_CODES = {
    "responsible_person": ReasonCode.RESPONSIBLE_PERSON,
    "related_enterprise": ReasonCode.RELATED_ENTERPRISE,
    "red_listed": ReasonCode.RED_LISTED,
}


def _flag_reason(flag: Flag, policy: Policy) -> tuple[Reason, Condition | None]:
    """The reason a flag gives and the measure condition it satisfies."""
    condition = flag_condition(flag.flag, flag.list, policy)
    code = _CONDITION_CODES.get(condition or "", ReasonCode.LISTED)
    return Reason.from_flag(flag, code), condition


def flags_verdict(
    flags: Iterable[tuple[FlagKind, ListKind]], scenario: Scenario, policy: Policy
) -> Verdict:
    """The verdict that flags ``(flag, list)`` alone give in a scenario other
    than green_channel (DESIGN §4): what the change feed follows."""
    conditions = {c for f, k in flags if (c := flag_condition(f, k, policy)) is not None}
    return _verdict(scenario, conditions)


def _verdict(scenario: Scenario, conditions: set[Condition]) -> Verdict:
    """DESIGN §4: reject on a severe listing, or a responsible person in
    appointment/honours (003:L25, 001:L709); review on a watch listing
    (001:L709, design), a related enterprise or a responsible person."""
    if "listed_severe" in conditions:
        return Verdict.REJECT
    if "responsible_person" in conditions and scenario in REJECT_RESPONSIBLE:
        return Verdict.REJECT
    if conditions & {"watch_listed", "related_enterprise", "responsible_person"}:
        return Verdict.REVIEW
    return Verdict.PASS


def evaluate_measures(
    store: GraphStore,
    subject_id: str,
    kind: NodeKind,
    scenario: Scenario,
    as_of: date,
    policy: Policy | None = None,
    flags: Iterable[Flag] | None = None,
) -> MeasuresResult:
    """The measures result of a stored subject; ``flags`` are its flags on
    as_of when already computed (bidder screening computes them in one batch)."""
    rules = policy or default_policy()
    specs = rules.measures.get(scenario, [])
    wanted = {c for m in specs for c in m.when}
    conditions: set[Condition] = set()
    flag_reasons: list[Reason] = []
    if scenario is not Scenario.GREEN_CHANNEL or wanted & _FLAG_CONDITIONS:
        if flags is None:
            flags = flags_for_subjects(store, [subject_id], as_of, policy)
        for flag in flags:
            reason, condition = _flag_reason(flag, rules)
            flag_reasons.append(reason)
            if condition is not None:
                conditions.add(condition)
    green_reasons: list[Reason] = []
    if scenario is Scenario.GREEN_CHANNEL or "green_channel_eligible" in wanted:
        eligible, green_reasons = green_channel(store, subject_id, kind, as_of, rules)
        if eligible:
            conditions.add("green_channel_eligible")
    if scenario is Scenario.GREEN_CHANNEL:
        verdict = (
            Verdict.ELIGIBLE if "green_channel_eligible" in conditions else Verdict.NOT_ELIGIBLE
        )
        reasons = green_reasons
    else:
        verdict = _verdict(scenario, conditions)
        reasons = sorted(
            flag_reasons, key=lambda r: (_REASON_ORDER[ReasonCode(r.code)], r.entry_id or "")
        )
    return MeasuresResult(
        subject_id=subject_id,
        scenario=scenario,
        as_of=as_of,
        verdict=verdict,
        reasons=reasons,
        measures=[
            AppliedMeasure(code=m.code, description=m.description, citation=m.citation)
            for m in specs
            if conditions.intersection(m.when)
        ],
    )


def check_measures(
    store: GraphStore,
    subject_id: str,
    scenario: Scenario | str,
    as_of: date,
    policy: Policy | None = None,
) -> MeasuresResult:
    """The verdict, reasons and applicable measures of one subject in one
    scenario on as_of (DESIGN §4, §8).

    Raises :class:`UnknownEntity` for a well-formed id not in the store,
    :class:`InvalidIdentifierError` (with the reason) for a malformed one and
    :class:`InvalidRequest` for an unknown scenario.
    """
    chosen = parse_scenario(scenario)
    sid, kind = resolve_subject(store, subject_id)
    return evaluate_measures(store, sid, kind, chosen, as_of, policy)
