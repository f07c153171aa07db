"""Credit commitments (``002:L15``): recorded, fulfilled, and — when broken —
a *proposed* key-attention entry for a person to confirm.

"书面承诺履约情况记入信用记录 … 设立承诺事项重点关注名单" (002:L15): the
fulfilment of a written commitment is recorded, and a key-attention list is
kept for commitment items. A commitment is **overdue** on ``as_of`` when its
``promised_by`` day has passed (``promised_by < as_of``; the promised day
itself is still in time) and it was not fulfilled by as_of. Nothing is ever
written to the lists by :func:`overdue_commitments`;
``queries.workflows.confirm_proposal`` writes one proposal (checked and built
by :func:`confirmable_entry`) as a real entry, with the deterministic id
``<entry_prefix><commitment_id>`` (``CMT-12``), so confirming twice cannot
list the subject twice.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import Commitment, ListEntry, NodeKind
from credgraph.policy import Policy, default_policy
from credgraph.store import GraphStore
from credgraph.store.base import UnknownCommitment
from queries.errors import InvalidRequest, QueryError
from queries.subjects import resolve_subject


class CommitmentError(QueryError):
    """A commitment request that cannot be carried out (the message says why)."""

    status = 409
    title = N_("Commitment conflict")


class CommitmentProposal(BaseModel):
    """A proposed key-attention entry for a broken commitment (not written)."""

    proposal_id: str
    commitment: Commitment
    days_overdue: int
    entry: ListEntry
    citation: str


class OverdueCommitments(BaseModel):
    """Proposals on ``as_of`` and the entries confirmed in the same request."""

    as_of: date
    confirmed: list[ListEntry]
    proposals: list[CommitmentProposal]


def record_commitment(
    store: GraphStore, subject_id: str, matter: str, promised_by: date, made_on: date
) -> Commitment:
    """Record that ``subject_id`` committed to ``matter`` by ``promised_by``."""
    sid, _ = resolve_subject(store, subject_id)
    if not matter.strip():
        raise InvalidRequest(N_("a commitment needs a matter (what was promised)"))
    if promised_by < made_on:
        raise InvalidRequest(
            N_(
                "promised_by {promised_by} is before the commitment ({made_on})",
                promised_by=promised_by,
                made_on=made_on,
            )
        )
    return store.add_commitment(sid, matter.strip(), promised_by, made_on)


def _find(store: GraphStore, commitment_id: int) -> Commitment:
    for c in store.commitments():
        if c.commitment_id == commitment_id:
            return c
    raise CommitmentError(N_("unknown commitment {id}", id=commitment_id))


def fulfil(store: GraphStore, commitment_id: int, fulfilled_on: date) -> Commitment:
    """Record the fulfilment of a commitment on ``fulfilled_on``."""
    current = _find(store, commitment_id)
    if current.fulfilled_on is not None:
        raise CommitmentError(
            N_(
                "commitment {id} was already fulfilled on {day}",
                id=commitment_id,
                day=current.fulfilled_on,
            )
        )
    if fulfilled_on < current.made_on:
        raise InvalidRequest(N_("fulfilled_on {day} is before the commitment", day=fulfilled_on))
    try:
        return store.fulfil_commitment(commitment_id, fulfilled_on)
    except UnknownCommitment:
        raise CommitmentError(N_("unknown commitment {id}", id=commitment_id)) from None
    except ValueError as exc:  # fulfilled concurrently
        raise CommitmentError(*exc.args) from None


def _proposal(
    c: Commitment, kind: NodeKind, as_of: date, policy: Policy, authority: str | None = None
) -> CommitmentProposal:
    rules = policy.supervision.commitments
    entry_id = f"{rules.entry_prefix}{c.commitment_id}"
    entry = ListEntry(
        entry_id=entry_id,
        subject_id=c.subject_id,
        subject_type=kind,
        list=rules.list_kind,
        reason=(
            f"credit commitment {c.commitment_id} not fulfilled: {c.matter} "
            f"(promised by {c.promised_by.isoformat()}; {rules.citation})"
        ),
        authority=authority,
        case_no=f"commitment:{c.commitment_id}",
        decided_on=as_of,
    )
    return CommitmentProposal(
        proposal_id=entry_id,
        commitment=c,
        days_overdue=(as_of - c.promised_by).days,
        entry=entry,
        citation=rules.citation,
    )


def is_overdue(c: Commitment, as_of: date) -> bool:
    """Made by as_of, promised day passed, not fulfilled by as_of."""
    return (
        c.made_on <= as_of
        and c.promised_by < as_of
        and (c.fulfilled_on is None or c.fulfilled_on > as_of)
    )


def overdue_commitments(
    store: GraphStore, as_of: date, policy: Policy | None = None
) -> list[CommitmentProposal]:
    """Proposals for every commitment overdue on ``as_of`` that has not been
    confirmed yet, most overdue first. Writes nothing."""
    rules = policy or default_policy()
    late = [c for c in store.commitments() if is_overdue(c, as_of)]
    if not late:
        return []
    kinds = store.existing_ids({c.subject_id for c in late})
    prefix = rules.supervision.commitments.entry_prefix
    confirmed = {
        e.entry_id for e in store.entries(entry_ids=[f"{prefix}{c.commitment_id}" for c in late])
    }
    proposals = [
        _proposal(c, kinds[c.subject_id], as_of, rules)
        for c in late
        if c.subject_id in kinds and f"{prefix}{c.commitment_id}" not in confirmed
    ]
    return sorted(proposals, key=lambda p: (-p.days_overdue, p.commitment.commitment_id))


def parse_commitment_id(value: str | int, policy: Policy | None = None) -> int:
    """``12`` or ``CMT-12`` → 12."""
    text = str(value).strip()
    prefix = (policy or default_policy()).supervision.commitments.entry_prefix
    if text.upper().startswith(prefix.upper()):
        text = text[len(prefix) :]
    if not text.isdigit():
        raise InvalidRequest(
            N_(
                "{value!r} is not a commitment id (a number or {prefix}<number>)",
                value=value,
                prefix=prefix,
            )
        )
    return int(text)


def confirmable_entry(
    store: GraphStore,
    commitment_id: str | int,
    as_of: date,
    authority: str | None = None,
    policy: Policy | None = None,
) -> ListEntry:
    """The list entry (decided on ``as_of``) that confirms the proposal of
    an overdue commitment; nothing is written (``workflows.confirm_proposal``).

    Raises :class:`CommitmentError` when the commitment is unknown, not
    overdue on as_of, or already confirmed.
    """
    rules = policy or default_policy()
    cid = parse_commitment_id(commitment_id, rules)
    c = _find(store, cid)
    entry_id = f"{rules.supervision.commitments.entry_prefix}{cid}"
    if store.entries(entry_ids=[entry_id]):
        raise CommitmentError(
            N_("commitment {id} is already confirmed as entry {entry}", id=cid, entry=entry_id)
        )
    if not is_overdue(c, as_of):
        state = (
            N_("fulfilled on {day}", day=c.fulfilled_on)
            if c.fulfilled_on is not None and c.fulfilled_on <= as_of
            else N_("promised by {day}", day=c.promised_by)
        )
        raise CommitmentError(
            N_("commitment {id} is not overdue on {day} ({state})", id=cid, day=as_of, state=state)
        )
    kind = store.existing_ids([c.subject_id])[c.subject_id]
    return _proposal(c, kind, as_of, rules, authority).entry
