"""The credit report of one enterprise or person on a day (issue 5, item 6).

One JSON document an officer can file: identity, the subject's list entries
(current and past, each with its status on as_of and its objections), its
flags with their evidence paths, related parties, an ownership summary for
enterprises, and the verdict and measures of every scenario.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, SerializerFunctionWrapHandler, field_serializer

from credgraph.model import (
    ROLE_PREFERENCE,
    Enterprise,
    Flag,
    FlagKind,
    ListEntry,
    Node,
    NodeId,
    NodeKind,
    Objection,
    Person,
    Relation,
    Role,
    Scenario,
    Title,
)
from credgraph.store import Direction, GraphStore
from queries.history import HistoryItem, entity_history
from queries.measures import MeasuresResult, evaluate_measures
from queries.ownership import Controller, Owner, Ubo, ownership
from queries.propagation import flags_for_subjects, suspended
from queries.subjects import resolve_subject
from queries.supervision.levels import CreditLevel, credit_level

#: related parties listed in full; the total is always given
MAX_PARTIES = 500
TOP_OWNERS = 10
#: identity fields kept out of the report (derived for contact matching)
_INTERNAL = {"phone_norm", "email_norm", "address_norm"}
_RANK = {role: i for i, role in enumerate(ROLE_PREFERENCE)}


class EntryStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # an objection is being verified (003:L32)
    REMOVED = "removed"
    EXPIRED = "expired"
    FUTURE = "future"  # decided after as_of


class ReportEntry(ListEntry):
    """A list entry of the subject with its status on as_of."""

    status: EntryStatus
    objections: list[Objection]


class PartyRole(BaseModel):
    """One active relation with a related party; ``direction`` ``in``: the
    party holds the role in the subject, ``out``: the subject in the party."""

    direction: Literal["in", "out"]
    role: Role
    title: Title | None
    share_pct: float | None
    start_on: date | None
    end_on: date | None


class RelatedParty(BaseModel):
    """A directly related entity, its roles and its flag kinds on as_of."""

    id: NodeId
    type: NodeKind
    name: str
    roles: list[PartyRole]
    flags: list[FlagKind]


class OwnershipSummary(BaseModel):
    """The top owners, UBOs, controller and circles of an enterprise."""

    owners: list[Owner]
    owners_total: int
    ubos: list[Ubo]
    actual_controller: Controller | None
    cycles: list[list[NodeId]]


class CreditReport(BaseModel):
    """The credit report JSON (``credgraph report ID --format json``)."""

    subject_id: NodeId
    subject_type: NodeKind
    as_of: date
    #: the stored record, without the normalised contacts kept for matching
    identity: Enterprise | Person
    entries: list[ReportEntry]
    flags: list[Flag]
    related_parties: list[RelatedParty]
    related_parties_total: int
    ownership: OwnershipSummary | None
    measures: list[MeasuresResult]
    #: the graded-supervision level on as_of (002:L20, 002:L21)
    level: CreditLevel
    #: the dated timeline up to as_of, oldest first (DESIGN §10)
    history: list[HistoryItem] = []

    @field_serializer("identity", mode="wrap")
    def _identity(self, record: Node, handler: SerializerFunctionWrapHandler) -> Any:
        shown = handler(record)
        return {k: v for k, v in shown.items() if k not in _INTERNAL}


def entry_status(entry: ListEntry, objections: list[Objection], as_of: date) -> EntryStatus:
    """The status of an entry on as_of (DESIGN §3 activity, most final first)."""
    if entry.decided_on > as_of:
        return EntryStatus.FUTURE
    if entry.removed_on is not None and entry.removed_on <= as_of:
        return EntryStatus.REMOVED
    if entry.valid_until is not None and entry.valid_until < as_of:
        return EntryStatus.EXPIRED
    if suspended(objections, as_of):
        return EntryStatus.SUSPENDED
    return EntryStatus.ACTIVE


_STATUS_ORDER = {s: i for i, s in enumerate(EntryStatus)}


def _entries(store: GraphStore, subject_id: str, as_of: date) -> list[ReportEntry]:
    entries = store.entries(subject_ids=[subject_id])
    objections: dict[str, list[Objection]] = defaultdict(list)
    if entries:
        for o in store.objections(e.entry_id for e in entries):
            objections[o.entry_id].append(o)
    found = [
        ReportEntry(
            **e.model_dump(),
            status=entry_status(e, objections[e.entry_id], as_of),
            objections=sorted(objections[e.entry_id], key=lambda o: o.objection_id),
        )
        for e in entries
    ]
    # current first (active, suspended), then past, then later decisions
    return sorted(
        found, key=lambda e: (_STATUS_ORDER[e.status], -e.decided_on.toordinal(), e.entry_id)
    )


def _related(store: GraphStore, subject_id: str, as_of: date) -> tuple[list[RelatedParty], int]:
    roles: dict[str, list[tuple[Relation, Literal["in", "out"]]]] = defaultdict(list)
    for r in store.expand([subject_id], Direction.BOTH, as_of=as_of):
        if r.source_id == r.target_uscc:
            continue
        if r.target_uscc == subject_id:
            roles[r.source_id].append((r, "in"))
        else:
            roles[r.target_uscc].append((r, "out"))

    def strength(party: str) -> tuple[int, float, str]:
        rels = [r for r, _ in roles[party]]
        return (min(_RANK[r.role] for r in rels), -max(r.share_pct or 0 for r in rels), party)

    chosen = sorted(roles, key=strength)[:MAX_PARTIES]
    records = store.nodes(chosen)
    kinds: dict[str, set[FlagKind]] = defaultdict(set)
    for f in flags_for_subjects(store, chosen, as_of):
        kinds[f.subject_id].add(f.flag)
    parties = [
        RelatedParty(
            id=p,
            type=NodeKind.ENTERPRISE if isinstance(records[p], Enterprise) else NodeKind.PERSON,
            name=records[p].name,
            roles=[
                PartyRole(
                    direction=direction,
                    role=r.role,
                    title=r.title,
                    share_pct=r.share_pct,
                    start_on=r.start_on,
                    end_on=r.end_on,
                )
                for r, direction in sorted(
                    roles[p], key=lambda x: (_RANK[x[0].role], x[0].identity)
                )
            ],
            flags=sorted(kinds[p]),
        )
        for p in chosen
    ]
    return parties, len(roles)


def credit_report(store: GraphStore, subject_id: str, as_of: date) -> CreditReport:
    """The credit report of an enterprise or person on ``as_of``.

    Returns a :class:`CreditReport`: ``identity`` (the stored record),
    ``entries`` (every list entry of the subject, current ones first, each
    with ``status`` active / suspended / removed / expired / future on as_of
    and its ``objections``), ``flags`` (DESIGN §3, with paths),
    ``related_parties`` (direct relations active on as_of, strongest role
    first, at most :data:`MAX_PARTIES`, with ``related_parties_total``),
    ``ownership`` (enterprises: top :data:`TOP_OWNERS` owners, UBOs, actual
    controller, circles; None for persons) and ``measures`` (the result of
    every scenario of DESIGN §4, in the order of :class:`Scenario`) and
    ``level`` (the supervision credit level A–D with its reasons) and
    ``history`` (the dated timeline, ``queries.history``).

    Raises :class:`UnknownEntity` or :class:`InvalidIdentifierError`.

    For example, ``credit_report(store, A, day).measures[0].scenario`` is
    ``government_procurement``, the first scenario.
    """
    sid, kind = resolve_subject(store, subject_id)
    record = store.nodes([sid])[sid]
    flags = flags_for_subjects(store, [sid], as_of)
    parties, total = _related(store, sid, as_of)
    summary = None
    if kind is NodeKind.ENTERPRISE:
        owned = ownership(store, sid, as_of)
        summary = OwnershipSummary(
            owners=owned.owners[:TOP_OWNERS],
            owners_total=len(owned.owners),
            ubos=owned.ubos,
            actual_controller=owned.actual_controller,
            cycles=owned.cycles,
        )
    return CreditReport(
        subject_id=sid,
        subject_type=kind,
        as_of=as_of,
        identity=record,
        entries=_entries(store, sid, as_of),
        flags=flags,
        related_parties=parties,
        related_parties_total=total,
        ownership=summary,
        # the subject's flags are computed once for every scenario
        measures=[evaluate_measures(store, sid, kind, s, as_of, flags=flags) for s in Scenario],
        level=credit_level(store, sid, as_of),
        history=entity_history(store, sid, as_of).items,
    )
