"""Credit levels for graded supervision (``002:L20``, ``002:L21``, ``003:L20``).

A subject's level on ``as_of`` is the first level of ``policy.supervision.levels``
whose ``when`` conditions hold. With the shipped policy:

* **D** — listed on a severe list, or a ``responsible_person`` (003:L24);
* **C** — on key_attention / abnormal_operation, or a ``related_enterprise``;
* **A** — green-channel eligible: an active red entry, or no negative record
  active in the last three years (003:L20, the measures' own logic);
* **B** — everyone else: no active negative record, but one in the window.

Levels of many subjects are computed in chunks: one ``flags_for_subjects``
and one ``entries`` call per chunk; only subjects that have list entries of
their own (or are persons) need the per-subject green-channel check.

For example, a firm with an active serious-dishonesty entry gets
``credit_level(store, uscc, day).level == "D"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from pydantic import BaseModel

from credgraph.model import Flag, FlagKind, ListKind, NodeId, NodeKind
from credgraph.policy import LevelCondition, LevelSpec, Policy, default_policy
from credgraph.store import GraphStore
from queries.measures import Reason, ReasonCode, green_channel, years_before
from queries.propagation import flags_for_subjects
from queries.subjects import resolve_subject

#: subjects per batched call (flags, entries)
CHUNK = 2_000
#: the reason of a level reached only by ``always`` (B with the shipped policy)
NO_ACTIVE_NEGATIVE = "no_active_negative_record"

_CONDITION_ORDER: dict[str, int] = {
    c: i
    for i, c in enumerate(
        (
            "listed_severe",
            "responsible_person",
            "watch_listed",
            "related_enterprise",
            "negative_record_active",
            "red_listed",
            "green_channel_eligible",
            "always",
        )
    )
}


class CreditLevel(BaseModel):
    """The credit level of one subject on ``as_of``, with its reasons."""

    subject_id: NodeId
    subject_type: NodeKind
    as_of: date
    level: str
    description: str
    sampling_ratio: float
    #: the conditions of the chosen level that held
    conditions: list[str]
    reasons: list[Reason]
    citation: str


def _join(*citations: str) -> str:
    parts = [p.strip() for c in citations for p in c.split(";")]
    return "; ".join(dict.fromkeys(p for p in parts if p))


def _flag_conditions(flag: Flag, policy: Policy) -> list[tuple[LevelCondition, str]]:
    """The level conditions one flag satisfies, each with its reason code."""
    if flag.flag is FlagKind.RESPONSIBLE_PERSON:
        return [
            ("responsible_person", ReasonCode.RESPONSIBLE_PERSON),
            ("negative_record_active", ReasonCode.RESPONSIBLE_PERSON),
        ]
    if flag.flag is FlagKind.RELATED_ENTERPRISE:
        return [("related_enterprise", ReasonCode.RELATED_ENTERPRISE)]
    if flag.list is ListKind.RED:
        return [("red_listed", ReasonCode.RED_LISTED)]
    out: list[tuple[LevelCondition, str]] = [("negative_record_active", ReasonCode.LISTED)]
    if policy.is_severe(flag.list):
        out.insert(0, ("listed_severe", ReasonCode.LISTED))
    elif flag.list in policy.watch_lists:
        out.insert(0, ("watch_listed", ReasonCode.LISTED))
    return out


def _clean_reasons(subject_id: str, as_of: date, policy: Policy) -> list[Reason]:
    """Green-channel reasons of a subject that never had a list entry: the
    same ``clean_record`` reason :func:`queries.measures.green_channel` gives."""
    gc = policy.green_channel
    first = years_before(as_of, gc.clean_years) + timedelta(days=1)
    return [
        Reason(
            code=ReasonCode.CLEAN_RECORD,
            citation=gc.citation,
            path=[subject_id],
            detail=f"no negative record active in {first.isoformat()}..{as_of.isoformat()}",
        )
    ]


def _choose(
    store: GraphStore,
    subject_id: str,
    kind: NodeKind,
    flags: Sequence[Flag],
    has_entries: bool,
    as_of: date,
    policy: Policy,
) -> CreditLevel:
    held: dict[str, list[Reason]] = defaultdict(list)
    for flag in flags:
        for condition, code in _flag_conditions(flag, policy):
            held[condition].append(Reason.from_flag(flag, code))
    green: tuple[bool, list[Reason]] | None = None

    def holds(condition: LevelCondition) -> bool:
        nonlocal green
        if condition == "always":
            return True
        if condition != "green_channel_eligible":
            return condition in held
        if green is None:
            if kind is NodeKind.ENTERPRISE and not has_entries:
                # no entry of its own ever: no negative record (DESIGN §4)
                green = (True, _clean_reasons(subject_id, as_of, policy))
            else:
                green = green_channel(store, subject_id, kind, as_of, policy)
        return green[0]

    chosen: LevelSpec = policy.supervision.levels[-1]
    conditions: list[LevelCondition] = []
    for spec in policy.supervision.levels:
        conditions = [c for c in spec.when if holds(c)]
        if conditions:
            chosen = spec
            break
    conditions.sort(key=lambda c: _CONDITION_ORDER[c])
    reasons: list[Reason] = []
    for condition in conditions:
        if condition == "green_channel_eligible" and green is not None:
            reasons += green[1]
        elif condition == "always":
            reasons.append(
                Reason(
                    code=NO_ACTIVE_NEGATIVE,
                    citation=chosen.citation,
                    path=[subject_id],
                    detail=f"no condition of a level before {chosen.level} holds",
                )
            )
            if green is not None and not green[0]:
                # why not the green-channel level: records within the window
                reasons += [r for r in green[1] if r.code == ReasonCode.NEGATIVE_RECORD]
        else:
            reasons += held[condition]
    # one reason per (code, entry, rule): a listing satisfies several conditions
    unique: dict[tuple[str, str | None, str | None, tuple[str, ...]], Reason] = {}
    for r in reasons:
        unique.setdefault((r.code, r.entry_id, r.rule, tuple(r.path)), r)
    return CreditLevel(
        subject_id=subject_id,
        subject_type=kind,
        as_of=as_of,
        level=chosen.level,
        description=chosen.description,
        sampling_ratio=chosen.ratio,
        conditions=list(conditions),
        reasons=list(unique.values()),
        citation=_join(policy.supervision.citation, chosen.citation),
    )


def credit_levels(
    store: GraphStore,
    subject_ids: Iterable[str],
    as_of: date,
    policy: Policy | None = None,
    chunk: int = CHUNK,
) -> dict[str, CreditLevel]:
    """Levels of stored subjects on ``as_of``, by subject id (ids not in the
    store are left out). Batched: flags and entries per chunk of ``chunk``."""
    rules = policy or default_policy()
    ids = list(dict.fromkeys(subject_ids))
    out: dict[str, CreditLevel] = {}
    for start in range(0, len(ids), chunk):
        kinds = store.existing_ids(ids[start : start + chunk])
        if not kinds:
            continue
        # ``policy`` passed through as given: None lets valid materialised flags answer
        by_subject: dict[str, list[Flag]] = defaultdict(list)
        for flag in flags_for_subjects(store, kinds, as_of, policy):
            by_subject[flag.subject_id].append(flag)
        with_entries = {e.subject_id for e in store.entries(subject_ids=kinds)}
        for sid in ids[start : start + chunk]:
            if sid in kinds and sid not in out:
                out[sid] = _choose(
                    store, sid, kinds[sid], by_subject[sid], sid in with_entries, as_of, rules
                )
    return out


def credit_level(
    store: GraphStore, subject_id: str, as_of: date, policy: Policy | None = None
) -> CreditLevel:
    """The credit level of one subject (USCC or person id) on ``as_of``.

    Raises :class:`~queries.errors.UnknownEntity` for a well-formed id not in
    the store and :class:`~queries.errors.InvalidIdentifierError` for a
    malformed one.
    """
    sid, _ = resolve_subject(store, subject_id)
    return credit_levels(store, [sid], as_of, policy)[sid]
