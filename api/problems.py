"""Errors as ``application/problem+json`` (RFC 9457), mapped in one place.

Every 4xx carries ``type``, ``title``, ``status`` and ``detail``; typed query
errors get a ``urn:credgraph:problem:…`` type, plain HTTP errors
``about:blank`` with the status phrase as title. Anything unexpected is a 500
without a stack trace (the trace goes to the log).

``title`` and ``detail`` are in the request's language (RFC 9457 §3.1.3
allows localised titles): ``?lang=``, else ``Accept-Language``, else
``CREDGRAPH_LANG`` (zh by default), negotiated here from the request
itself, as a problem may be raised before any dependency ran. Messages are
:func:`credgraph.i18n.N_` messages translated only now; ``type``,
``status``, ``instance`` and ``errors[].loc`` never change with the language
(``errors[].msg`` is pydantic's own English).
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

from api.i18n import request_lang
from credgraph.i18n import N_, Message, message_text
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


#: the titles of plain HTTP problems (Python's status phrases, for the catalog;
#: 413 and 422 as Python 3.11 and as 3.13 spells them)
STATUS_TITLES = (
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"),
    N_("Method Not Allowed"), N_("Conflict"), N_("Request Entity Too Large"),
    N_("Content Too Large"), N_("Unsupported Media Type"), N_("Unprocessable Entity"),
    N_("Unprocessable Content"), N_("Too Many Requests"),
    N_("Request Header Fields Too Large"), N_("Internal Server Error"),
    N_("Service Unavailable"),
)  # fmt: skip


def problem_response(
    request: Request | None,
    status: int,
    detail: object | None,
    *,
    title: object | None = None,
    type_: str = "about:blank",
    errors: list[ProblemError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # a problem shows a masked or unknown caller no personal id, not even the
    # one it asked for (it may be on screen or in a log)
    instance = None
    masked = True
    lang = request_lang(request)
    text = message_text(detail, lang) if detail else None
    if request is not None:
        masked = getattr(getattr(request.state, "caller", None), "masked", True)
        instance = request.url.path
        if masked:  # the route's template ("/entities/{entity_id}") names no id
            instance = getattr(request.scope.get("route"), "path", mask_ids_in_text(instance))
    body = Problem(
        type=type_,
        title=message_text(title or Message(HTTPStatus(status).phrase), lang),
        status=status,
        detail=mask_ids_in_text(text) if text and masked else text,
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
    detail: str = exc.detail if isinstance(exc.detail, str) else phrase
    if detail == phrase:
        method, path = request.method, request.url.path
        if exc.status_code == 404:
            detail = N_("no endpoint {path}", path=path)
        elif exc.status_code == 405:
            detail = N_("{method} is not allowed on {path}", method=method, path=path)
        else:
            detail = N_(
                "{phrase}: {method} {path}", phrase=Message(phrase), method=method, path=path
            )
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
    detail = (
        N_("{loc}: {message}", loc=".".join(map(str, first.loc)), message=first.msg)
        if first
        else N_("invalid request")
    )
    from api.audit import record_refusal

    record_refusal(request, 422, body=exc.body)
    return problem_response(
        request,
        422,
        detail,
        title=N_("Invalid request"),
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
        exc,
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
        exc,
        title=N_("Invalid identifier"),
        type_=TYPE_PREFIX + "invalid-identifier",
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, N_("an unexpected error occurred; it has been logged"))


def install(app: FastAPI) -> None:
    """Register every problem handler on ``app`` (the one place errors map)."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(InvalidIdentifier, _invalid_identifier)
    app.add_exception_handler(Exception, _unexpected)
