"""Errors as ``application/problem+json`` (RFC 9457), mapped in one place.

Every 4xx carries ``type``, ``title``, ``status`` and ``detail``; typed query
errors get a ``urn:credgraph:problem:…`` type, plain HTTP errors
``about:blank`` with the status phrase as title. Anything unexpected is a 500
without a stack trace (the trace goes to the log).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from credgraph.ids import InvalidIdentifier
from credgraph.textids import mask_ids_in_text
from queries.errors import QueryError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:credgraph:problem:"


class ProblemError(BaseModel):
    """One invalid input of a 422: where (``loc``) and what is wrong."""

    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemError] | None = None


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem bodies; an endpoint
    that needs a key (401) may also answer 429 (its key's request budget)."""
    if 401 in statuses and 429 not in statuses:
        statuses = (*statuses, 429)
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_response(
    request: Request | None,
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    errors: list[ProblemError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # a problem shows a masked or unknown caller no personal id, not even the
    # one it asked for (it may be on screen or in a log)
    instance = None
    masked = True
    if request is not None:
        masked = getattr(getattr(request.state, "caller", None), "masked", True)
        instance = request.url.path
        if masked:  # the route's template ("/entities/{entity_id}") names no id
            instance = getattr(request.scope.get("route"), "path", mask_ids_in_text(instance))
    body = Problem(
        type=type_,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=mask_ids_in_text(detail) if detail and masked else detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name.removesuffix("Error")).lower()


def _loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if detail == phrase:
        detail = {
            404: f"no endpoint {request.url.path}",
            405: f"{request.method} is not allowed on {request.url.path}",
        }.get(exc.status_code, f"{phrase}: {request.method} {request.url.path}")
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 403:
        from api.audit import record_refusal

        record_refusal(request, 403)
    return problem_response(request, exc.status_code, detail, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        ProblemError(loc=_loc(e.get("loc", ())), msg=str(e.get("msg", ""))) for e in exc.errors()
    ]
    first = errors[0] if errors else None
    detail = f"{'.'.join(map(str, first.loc))}: {first.msg}" if first else "invalid request"
    from api.audit import record_refusal

    record_refusal(request, 422, body=exc.body)
    return problem_response(
        request,
        422,
        detail,
        title="Invalid request",
        type_=TYPE_PREFIX + "invalid-request",
        errors=errors,
    )


async def _query_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    if exc.status in (404, 422):
        from api.audit import record_refusal

        record_refusal(request, exc.status)
    return problem_response(
        request,
        exc.status,
        str(exc),
        title=exc.title,
        type_=TYPE_PREFIX + _slug(type(exc).__name__),
    )


async def _invalid_identifier(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidIdentifier)
    from api.audit import record_refusal

    record_refusal(request, 422)
    return problem_response(
        request,
        422,
        f"{exc.value!r}: {exc.reason}",
        title="Invalid identifier",
        type_=TYPE_PREFIX + "invalid-identifier",
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, "an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    """Register every problem handler on ``app`` (the one place errors map)."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(InvalidIdentifier, _invalid_identifier)
    app.add_exception_handler(Exception, _unexpected)
