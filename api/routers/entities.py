"""``/entities/{id}``: the record, flags, network, ownership and report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import audit
from api.problems import responses
from api.routers.params import AsOf, EntityId, evaluation_day
from api.security import Investigator, Public, Store, report_for, resolve_id, shaped
from credgraph.model import Flag
from queries import network as network_query
from queries.history import EntityHistory, entity_history
from queries.ownership import OwnershipResult, ownership
from queries.propagation import flags_for_subjects
from queries.report import CreditReport, credit_report
from queries.search import EntityResult, entity
from queries.subjects import resolve_subject
from queries.supervision.levels import CreditLevel, credit_level

router = APIRouter(prefix="/entities", tags=["entities"])
ERRORS = responses(401, 403, 404, 422)


@router.get("/{entity_id}", response_model=EntityResult, responses=ERRORS)
def get_entity(entity_id: EntityId, caller: Public, store: Store) -> JSONResponse:
    """An enterprise or person as stored."""
    result = entity(store, resolve_id(caller, store, entity_id))
    audit.record(store, caller, "GET /entities/{id}", [result.id])
    return shaped(caller, store, result)


@router.get("/{entity_id}/flags", response_model=list[Flag], responses=ERRORS)
def get_flags(
    entity_id: EntityId, caller: Public, store: Store, as_of: AsOf = None
) -> JSONResponse:
    """Flags of the entity on as_of, with rule, citation and evidence path (DESIGN §3)."""
    day = evaluation_day(as_of)
    subject, _ = resolve_subject(store, resolve_id(caller, store, entity_id))
    flags = flags_for_subjects(store, [subject], day)
    audit.record(store, caller, "GET /entities/{id}/flags", [subject], day)
    return shaped(caller, store, flags)


@router.get("/{entity_id}/network", response_model=network_query.NetworkResult, responses=ERRORS)
def get_network(
    entity_id: EntityId,
    caller: Public,
    store: Store,
    as_of: AsOf = None,
    depth: Annotated[int, Query(ge=1, le=network_query.MAX_DEPTH)] = 1,
    limit: Annotated[int, Query(ge=1, le=network_query.MAX_NODES)] = 50,
    include_ended: bool = False,
) -> JSONResponse:
    """The ego network: entities within ``depth`` relations (DESIGN §8)."""
    day = evaluation_day(as_of)
    result = network_query.ego_network(
        store,
        resolve_id(caller, store, entity_id),
        day,
        depth=depth,
        limit=limit,
        include_ended=include_ended,
    )
    audit.record(store, caller, "GET /entities/{id}/network", [result.center], day)
    return shaped(caller, store, result)


@router.get("/{entity_id}/ownership", response_model=OwnershipResult, responses=ERRORS)
def get_ownership(
    entity_id: EntityId, caller: Investigator, store: Store, as_of: AsOf = None
) -> JSONResponse:
    """Owners, ultimate beneficial owners, actual controller, cycles, holdings (DESIGN §8)."""
    day = evaluation_day(as_of)
    result = ownership(store, resolve_id(caller, store, entity_id), day)
    audit.record(store, caller, "GET /entities/{id}/ownership", [result.uscc], day)
    return shaped(caller, store, result)


@router.get("/{entity_id}/level", response_model=CreditLevel, responses=ERRORS)
def get_level(
    entity_id: EntityId, caller: Public, store: Store, as_of: AsOf = None
) -> JSONResponse:
    """The credit level (A–D) of an enterprise or person, with its reasons (002:L20)."""
    day = evaluation_day(as_of)
    result = credit_level(store, resolve_id(caller, store, entity_id), day)
    audit.record(store, caller, "GET /entities/{id}/level", [result.subject_id], day)
    return shaped(caller, store, result)


@router.get("/{entity_id}/report", response_model=CreditReport, responses=ERRORS)
def get_report(
    entity_id: EntityId, caller: Public, store: Store, as_of: AsOf = None
) -> JSONResponse:
    """The credit report of an enterprise or person."""
    day = evaluation_day(as_of)
    result = report_for(caller, credit_report(store, resolve_id(caller, store, entity_id), day))
    audit.record(store, caller, "GET /entities/{id}/report", [result.subject_id], day)
    return shaped(caller, store, result)


@router.get("/{entity_id}/history", response_model=EntityHistory, responses=ERRORS)
def get_history(
    entity_id: EntityId, caller: Public, store: Store, as_of: AsOf = None
) -> JSONResponse:
    """The dated timeline of the entity up to as_of (DESIGN §10), oldest first."""
    day = evaluation_day(as_of)
    result = entity_history(store, resolve_id(caller, store, entity_id), day)
    audit.record(store, caller, "GET /entities/{id}/history", [result.subject_id], day)
    return shaped(caller, store, result)
