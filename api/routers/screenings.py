"""``POST /screenings``: bidder screening (DESIGN §6)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api import audit
from api.problems import responses
from api.routers.params import evaluation_day
from api.security import Procurement, Store, shaped
from credgraph.ids import MAX_ID_LENGTH
from credgraph.model import Scenario
from queries import screening as screening_query

router = APIRouter(tags=["screening"])

Uscc = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]


class ScreeningRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bidders: list[Uscc] = Field(
        min_length=screening_query.MIN_BIDDERS,
        max_length=screening_query.MAX_BIDDERS,
        description="USCCs of the bidders (2–50, distinct).",
    )
    scenario: Scenario = Scenario.PUBLIC_BIDDING
    depth: int = Field(screening_query.DEFAULT_DEPTH, ge=1, le=screening_query.MAX_DEPTH)
    as_of: date | None = None


@router.post(
    "/screenings",
    response_model=screening_query.ScreeningResult,
    responses=responses(400, 401, 403, 413, 422),
)
def post_screening(body: ScreeningRequest, caller: Procurement, store: Store) -> JSONResponse:
    """Verdict per bidder with reasons, and hidden links between bidders."""
    day = evaluation_day(body.as_of)
    result = screening_query.screen_bidders(
        store, body.bidders, scenario=body.scenario, as_of=day, depth=body.depth
    )
    audit.record(store, caller, "POST /screenings", [b.uscc for b in result.bidders], day)
    return shaped(caller, store, result)
