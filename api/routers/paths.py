"""``GET /paths``: evidence paths between two entities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import audit
from api.problems import responses
from api.refs import MAX_REF_LENGTH
from api.routers.params import AsOf, evaluation_day
from api.security import Public, Store, resolve_id, shaped
from queries import paths as paths_query

router = APIRouter(tags=["paths"])


@router.get(
    "/paths", response_model=paths_query.PathsResult, responses=responses(401, 403, 404, 422)
)
def get_paths(
    caller: Public,
    store: Store,
    source: Annotated[str, Query(alias="from", min_length=1, max_length=MAX_REF_LENGTH)],
    target: Annotated[str, Query(alias="to", min_length=1, max_length=MAX_REF_LENGTH)],
    as_of: AsOf = None,
    max_depth: Annotated[int, Query(ge=1, le=paths_query.MAX_DEPTH)] = 6,
    limit: Annotated[int, Query(ge=1, le=paths_query.MAX_LIMIT)] = 5,
) -> JSONResponse:
    """Shortest relation paths from ``from`` to ``to``, shortest first (DESIGN §8)."""
    day = evaluation_day(as_of)
    source, target = resolve_id(caller, store, source), resolve_id(caller, store, target)
    result = paths_query.find_paths(store, source, target, day, max_depth=max_depth, limit=limit)
    audit.record(store, caller, "GET /paths", [result.from_id, result.to_id], day)
    return shaped(caller, store, result)
