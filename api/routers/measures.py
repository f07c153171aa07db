"""``POST /measures/check``: joint reward/punishment verdict (DESIGN §4)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.problems import responses
from api.refs import MAX_REF_LENGTH
from api.routers.params import evaluation_day
from api.security import Procurement, Store, resolve_id, shaped
from credgraph.model import Scenario
from queries.measures import MeasuresResult, check_measures

router = APIRouter(tags=["measures"])


class MeasuresRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=MAX_REF_LENGTH)
    scenario: Scenario
    as_of: date | None = None


@router.post(
    "/measures/check",
    response_model=MeasuresResult,
    responses=responses(400, 401, 403, 404, 413, 422),
)
def post_measures_check(
    body: MeasuresRequest, caller: Procurement, store: Store, request: Request
) -> JSONResponse:
    """Verdict, reasons and the measures that apply in one scenario."""
    request.state.body = body.model_dump(mode="json")  # what a refusal's audit record names
    day = evaluation_day(body.as_of)
    subject = resolve_id(caller, store, body.subject_id)
    result = check_measures(store, subject, body.scenario, day)
    audit.record(store, caller, "POST /measures/check", [result.subject_id], day)
    return shaped(caller, store, result)
