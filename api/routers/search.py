"""``GET /search`` (names, pinyin, initials, near misses, id prefixes) and
``GET /flagged`` (the flagged browser)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import audit
from api.problems import responses
from api.routers.params import AsOf, evaluation_day
from api.security import Public, Store, shaped
from credgraph.model import ListKind, Rule
from queries import flagged as flagged_query
from queries import search as search_query

router = APIRouter(tags=["search"])


@router.get("/search", response_model=search_query.SearchResult, responses=responses(401, 403, 422))
def search(
    caller: Public,
    store: Store,
    q: Annotated[
        str, Query(min_length=1, max_length=search_query.MAX_QUERY_LENGTH, description="Text.")
    ],
    limit: Annotated[int, Query(ge=1, le=search_query.MAX_LIMIT)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page.")
    ] = None,
    as_of: AsOf = None,
) -> JSONResponse:
    """Ranked entities by name, pinyin, initials, near miss or id prefix.

    Each hit carries its flags on as_of (badges), region, status and legal
    representative (firms) or an id suffix and firms (persons); a listed
    firm comes first among equal exact matches. Paginated with
    ``next_cursor``.
    """
    result = search_query.search(
        store,
        q,
        limit=limit,
        cursor=cursor,
        person_id_prefix=not caller.masked,
        as_of=evaluation_day(as_of),
    )
    audit.record(store, caller, "GET /search", [hit.id for hit in result.results], asked={"q": q})
    return shaped(caller, store, result)


@router.get(
    "/flagged", response_model=flagged_query.FlaggedResult, responses=responses(401, 403, 422)
)
def flagged(
    caller: Public,
    store: Store,
    as_of: AsOf = None,
    list_: Annotated[
        list[ListKind] | None, Query(alias="list", description="Only these lists (repeatable).")
    ] = None,
    rule: Annotated[list[Rule] | None, Query(description="Only these rules (repeatable).")] = None,
    region: Annotated[
        str | None, Query(max_length=50, description="Part of the firm's region.")
    ] = None,
    decided_from: Annotated[date | None, Query(description="Entries decided on or after.")] = None,
    decided_to: Annotated[date | None, Query(description="Entries decided on or before.")] = None,
    limit: Annotated[int, Query(ge=1, le=flagged_query.MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Flagged subjects on as_of by list, rule, region and decision date.

    Newest decision first; each subject with its matching flags.
    """
    day = evaluation_day(as_of)
    result = flagged_query.flagged(
        store,
        day,
        lists=list_ or (),
        rules=rule or (),
        region=region,
        decided_from=decided_from,
        decided_to=decided_to,
        limit=limit,
        offset=offset,
    )
    audit.record(store, caller, "GET /flagged", [s.id for s in result.results], day)
    return shaped(caller, store, result)
