"""``POST /objections`` and ``POST /objections/{id}/resolve`` (003:L32)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.problems import responses
from api.routers.params import evaluation_day
from api.security import Admin, Investigator, Store, shaped
from credgraph.model import Objection
from queries import objections as objection_ops

router = APIRouter(prefix="/objections", tags=["objections"])


class ObjectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=2000)
    filed_on: date | None = Field(None, description="Filing day; default today.")


class ResolutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool = Field(description="true: the objector is right, the entry is revoked.")
    resolved_on: date | None = Field(None, description="Resolution day; default today.")


@router.post(
    "",
    response_model=Objection,
    status_code=201,
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
def post_objection(body: ObjectionRequest, caller: Investigator, store: Store) -> JSONResponse:
    """File an objection: the entry's effects are suspended while it is verified."""
    day = evaluation_day(body.filed_on)
    objection = objection_ops.file_objection(store, body.entry_id, body.reason, day)
    audit.record(
        store, caller, "POST /objections", audit.entry_subjects(store, [objection.entry_id]), day
    )
    response = shaped(caller, store, objection)
    response.status_code = 201
    return response


@router.post(
    "/{objection_id}/resolve",
    response_model=Objection,
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
def post_resolution(
    objection_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ResolutionRequest,
    caller: Admin,
    store: Store,
) -> JSONResponse:
    """Resolve an objection: upheld revokes the entry, rejected restores it."""
    day = evaluation_day(body.resolved_on)
    objection = objection_ops.resolve_objection(store, objection_id, body.upheld, day)
    audit.record(
        store,
        caller,
        "POST /objections/{id}/resolve",
        audit.entry_subjects(store, [objection.entry_id]),
        day,
    )
    return shaped(caller, store, objection)
