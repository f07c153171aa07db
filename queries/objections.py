"""Objections to list entries (003:L32, DESIGN §3).

Filing suspends the entry from the filing day until resolution; an upheld
objection removes the entry as of the resolution day (reason
``revoked_on_objection``); a rejected one ends the suspension. Materialised
flags of the entry are refreshed at once.
"""

from __future__ import annotations

from datetime import date

from credgraph.i18n import N_
from credgraph.model import Objection
from credgraph.store import GraphStore, UnknownObjection
from queries.errors import QueryError
from queries.materialise import Change, refresh


class ObjectionError(QueryError):
    """An objection request that cannot be carried out (unknown entry 404,
    already open or resolved 409, otherwise 422)."""

    title = N_("Objection refused")

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class UnknownObjectionError(ObjectionError):
    title = N_("Unknown objection")

    def __init__(self, objection_id: int) -> None:
        super().__init__(N_("no objection {id}", id=objection_id), 404)
        self.objection_id = objection_id


def file_objection(store: GraphStore, entry_id: str, reason: str, filed_on: date) -> Objection:
    entries = store.entries(entry_ids=[entry_id])
    if not entries:
        raise ObjectionError(N_("unknown list entry {entry!r}", entry=entry_id), 404)
    if not reason.strip():
        raise ObjectionError(N_("an objection needs a reason"))
    if filed_on < entries[0].decided_on:
        raise ObjectionError(
            N_(
                "filed_on {day} is before the decision {decided}",
                day=filed_on,
                decided=entries[0].decided_on,
            )
        )
    open_ = [o for o in store.objections([entry_id]) if o.resolved_on is None]
    if open_:
        raise ObjectionError(
            N_(
                "entry {entry} already has open objection {id}",
                entry=entry_id,
                id=open_[0].objection_id,
            ),
            409,
        )
    before = store.generation()
    objection = store.file_objection(entry_id, reason.strip(), filed_on)
    refresh(store, Change(entry_ids=frozenset({entry_id})), before)
    return objection


def resolve_objection(
    store: GraphStore, objection_id: int, upheld: bool, resolved_on: date
) -> Objection:
    try:
        current = store.objection(objection_id)
    except UnknownObjection:
        raise UnknownObjectionError(objection_id) from None
    if current.resolved_on is not None:
        raise ObjectionError(N_("objection {id} is already resolved", id=objection_id), 409)
    if resolved_on < current.filed_on:
        raise ObjectionError(
            N_(
                "resolved_on {day} is before filing {filed}",
                day=resolved_on,
                filed=current.filed_on,
            )
        )
    before = store.generation()
    objection = store.resolve_objection(objection_id, upheld, resolved_on)
    refresh(store, Change(entry_ids=frozenset({objection.entry_id})), before)
    return objection
