"""Monitoring (DESIGN §10): ``/watchlists``, ``GET /changes``.

A watchlist belongs to the key that made it; admins see and change every
list, other keys only their own (someone else's answers 404, like a missing
one). The feed is read through a watchlist or for given subjects; only
admins read it whole. Masked roles (public, procurement) watch and ask
about enterprises: a full person id answers 403 whatever it is (DESIGN §7).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api import audit
from api.keys import ApiRole
from api.problems import responses
from api.refs import MAX_REF_LENGTH
from api.security import Caller, Public, Store, resolve_id, resolve_ids, shaped
from credgraph.i18n import N_
from credgraph.ids import MAX_ID_LENGTH, normalise_id
from credgraph.store.feed import UnknownWatchlist, Watchlist
from queries import watchlists
from queries.changes import MAX_PAGE, ChangesPage, decode_cursor, read_changes, since_seq
from queries.errors import UnknownEntity

router = APIRouter(tags=["monitoring"])

Id = Annotated[str, StringConstraints(min_length=1, max_length=max(MAX_ID_LENGTH, MAX_REF_LENGTH))]
Name = Annotated[str, StringConstraints(min_length=1, max_length=watchlists.MAX_NAME)]
#: ids per request (the request body is limited to 64 KiB: add in several requests)
MAX_IDS_PER_REQUEST = 2000


class NewWatchlist(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    ids: list[Id] = Field(default_factory=list, max_length=MAX_IDS_PER_REQUEST)


class WatchIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Id] = Field(min_length=1, max_length=MAX_IDS_PER_REQUEST)


def _owner(caller: Caller) -> str | None:
    """Whose lists the caller sees: its own, or all (None) for an admin."""
    return None if caller.role is ApiRole.ADMIN else caller.name


def _resolved(store: Store, caller: Caller, ids: list[str]) -> list[str]:
    """Ids as the caller may name them (``resolve_id``: refs for persons for
    the masked roles, whose full person ids answer 403); an unknown USCC is
    kept, to be reported and skipped with its position."""
    out = []
    for value in ids:
        try:
            out.append(resolve_id(caller, store, value))
        except UnknownEntity:
            out.append(value)
    return out


def _add(store: Store, caller: Caller, name: str, ids: list[str]) -> watchlists.WatchReport:
    named = _resolved(store, caller, ids)
    return watchlists.add_ids(
        store, name, enumerate(named, start=1), caller.name, admin=caller.role is ApiRole.ADMIN
    )


@router.post(
    "/watchlists",
    response_model=watchlists.WatchReport,
    status_code=201,
    responses=responses(400, 401, 403, 409, 413, 422),
)
def post_watchlist(body: NewWatchlist, caller: Public, store: Store) -> JSONResponse:
    """Make a watchlist (owned by this key) with its first ids; unknown ids
    are listed in ``skipped`` with their position."""
    name = watchlists.check_name(body.name)
    try:
        store.watchlist(name)
    except UnknownWatchlist:
        pass
    else:
        raise HTTPException(409, N_("a watchlist named {name!r} exists already", name=name))
    report = _add(store, caller, body.name, body.ids)
    audit.record(store, caller, "POST /watchlists", [])
    response = shaped(caller, store, report)
    response.status_code = 201
    return response


@router.post(
    "/watchlists/{name}",
    response_model=watchlists.WatchReport,
    responses=responses(400, 401, 403, 404, 413, 422),
)
def post_watchlist_ids(name: Name, body: WatchIds, caller: Public, store: Store) -> JSONResponse:
    """Add ids to a watchlist (the entity page's "watch" button)."""
    watchlists.visible(store, name, _owner(caller))
    report = _add(store, caller, name, body.ids)
    audit.record(store, caller, "POST /watchlists/{name}", [])
    return shaped(caller, store, report)


@router.get("/watchlists", response_model=list[Watchlist], responses=responses(401, 403))
def get_watchlists(caller: Public, store: Store) -> JSONResponse:
    """The caller's watchlists (an admin's: all of them)."""
    return shaped(caller, store, watchlists.listing(store, _owner(caller)))


@router.get(
    "/watchlists/{name}",
    response_model=watchlists.WatchlistView,
    responses=responses(401, 403, 404, 422),
)
def get_watchlist(
    name: Name,
    caller: Public,
    store: Store,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=watchlists.MAX_WATCHLIST_IDS)] = 0,
) -> JSONResponse:
    """A watchlist with its ids (sorted, paginated)."""
    view = watchlists.view(store, name, _owner(caller), limit, offset)
    audit.record(store, caller, "GET /watchlists/{name}", view.ids)
    return shaped(caller, store, view)


@router.delete("/watchlists/{name}", status_code=204, responses=responses(401, 403, 404, 422))
def delete_watchlist(
    name: Name,
    caller: Public,
    store: Store,
    ids: Annotated[
        list[Id] | None,
        Query(alias="id", max_length=MAX_IDS_PER_REQUEST, description="Only these ids."),
    ] = None,
) -> Response:
    """Delete a watchlist and its webhooks, or (``?id=…``) only some ids."""
    watchlists.remove(store, name, _resolved(store, caller, ids) if ids else None, _owner(caller))
    audit.record(store, caller, "DELETE /watchlists/{name}", [])
    return Response(status_code=204)


@router.get("/changes", response_model=ChangesPage, responses=responses(400, 401, 403, 404, 422))
def get_changes(
    caller: Public,
    store: Store,
    watchlist: Annotated[Name | None, Query(description="Only the subjects of this list.")] = None,
    subject: Annotated[
        list[Id] | None, Query(max_length=100, description="Only these subjects.")
    ] = None,
    since: Annotated[
        str | None,
        Query(max_length=20, description="After this seq, or recorded from this day (ISO)."),
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> JSONResponse:
    """The change feed by seq: what changed, when, why (rule and path for flags)."""
    if watchlist is None and subject is None and caller.role is not ApiRole.ADMIN:
        raise HTTPException(
            403, N_("ask for a watchlist or subjects (only admins read the whole feed)")
        )
    ids = [normalise_id(i) for i in resolve_ids(caller, store, subject)] if subject else None
    if watchlist is not None:
        watchlists.visible(store, watchlist, _owner(caller))
    after = decode_cursor(cursor) if cursor else since_seq(store, since)
    page = read_changes(store, after_seq=after, watchlist=watchlist, subject_ids=ids, limit=limit)
    audit.record(store, caller, "GET /changes", [e.subject_id for e in page.events])
    return shaped(caller, store, page)
