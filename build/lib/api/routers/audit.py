"""``GET /audit``: the audit log, paginated, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import audit
from api.problems import responses
from api.security import Admin, Store, shaped

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=audit.AuditPage, responses=responses(401, 403, 422))
def get_audit(
    caller: Admin,
    store: Store,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="next_after of the previous page.")
    ] = 0,
) -> JSONResponse:
    """Lookups in the order they happened, after the audit id ``after``."""
    result = audit.page(store, limit, after)
    audit.record(store, caller, "GET /audit", [])
    return shaped(caller, store, result)
