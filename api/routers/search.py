"""``GET /search``: names (Chinese, pinyin, initials, near misses) and id prefixes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import audit
from api.problems import responses
from api.security import Public, Store, shaped
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
) -> JSONResponse:
    """Ranked entities: name substring, full pinyin or initials, near-miss
    names, USCC / person-id prefix; paginated with ``next_cursor``."""
    result = search_query.search(
        store, q, limit=limit, cursor=cursor, person_id_prefix=not caller.masked
    )
    audit.record(store, caller, "GET /search", [hit.id for hit in result.results], asked={"q": q})
    return shaped(caller, store, result)
