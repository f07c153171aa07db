"""``GET /health`` — no key needed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from api.problems import responses
from api.security import Store
from credgraph import __version__
from credgraph.i18n import N_

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/health", response_model=Health, responses=responses(503))
@router.head("/health", response_model=Health, include_in_schema=False)
def health(store: Store) -> Health:
    """Liveness: the store answers (a read: it never waits for a load). ``HEAD``
    answers like ``GET`` without the body."""
    try:
        store.generation()
    except Exception as exc:
        raise HTTPException(503, N_("the store does not answer")) from exc
    return Health(status="ok", version=__version__)
