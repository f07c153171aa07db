"""The audit log of API lookups (RULES §9: authorised, logged access).

Every successful call of an authenticated endpoint is appended to the
store's audit log — who (key name), role, endpoint, the subjects it
disclosed and as_of — in the store itself, so it is as durable as the data.
Failed calls disclose nothing and are not logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from fastapi import Request
from pydantic import BaseModel

from api.security import Caller
from credgraph.store import AuditRecord, GraphStore

MAX_PAGE = 1000


class AuditPage(BaseModel):
    """Records after ``after`` in order; ``next_after`` continues the list."""

    records: list[AuditRecord]
    next_after: int | None


def record(
    store: GraphStore,
    caller: Caller,
    endpoint: str,
    subject_ids: Iterable[str],
    as_of: date | None = None,
) -> None:
    """Append one lookup to the audit log (ids deduplicated, order kept)."""
    store.append_audit(
        caller.name, caller.role.value, endpoint, list(dict.fromkeys(subject_ids)), as_of
    )


def record_refusal(request: Request, status: int, subject_ids: Iterable[str] = ()) -> None:
    """Log a lookup that was refused (403) or found nothing (404, 422) for a
    known caller: probing ids one by one leaves a trace too (RULES §9)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        return
    route = request.scope.get("route")
    # named like the answered lookups' endpoints ("GET /entities/{id}")
    path = getattr(route, "path", request.url.path).replace("{entity_id}", "{id}")
    ids = [*subject_ids, *(str(v) for v in request.path_params.values())]
    store: GraphStore = request.app.state.store
    record(store, caller, f"{request.method} {path} ({status})", ids)


def entry_subjects(store: GraphStore, entry_ids: Iterable[str]) -> list[str]:
    """The subjects of list entries (what an objection is about)."""
    return [e.subject_id for e in store.entries(entry_ids=list(entry_ids))]


def page(store: GraphStore, limit: int, after: int) -> AuditPage:
    records = store.audit(limit=limit, after_id=after)
    return AuditPage(
        records=records,
        next_after=records[-1].audit_id if len(records) == limit else None,
    )
