"""``POST /screenings``: bidder screening (DESIGN §6).

The body is JSON (``{bidders, scenario, depth, as_of}``: one lot) or a
multipart upload (field ``file``: a CSV or XLSX bidder file, lots screened
on their own; fields ``scenario``, ``depth``, ``as_of``). The answer is JSON
unless ``Accept`` asks for the XLSX workbook, the bidders as CSV, the
printable HTML report or the SVG link map (of the first lot with links).
"""

# No ``from __future__ import annotations``: FastAPI must see the real
# annotation objects of the route's parameters.
import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api import audit
from api.problems import responses
from api.routers.params import evaluation_day
from api.security import Caller, Procurement, Store, body_for
from credgraph.i18n import N_, current_lang
from credgraph.ids import MAX_ID_LENGTH
from credgraph.model import Scenario
from credgraph.policy import default_policy
from credgraph.store import GraphStore
from queries import screening as screening_query
from queries.screening_files import XLSX_MEDIA_TYPE, read_bidders
from viz.screening_report import OUTPUT_MEDIA_TYPES, render_screening

router = APIRouter(tags=["screening"])

Uscc = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]


class ScreeningOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: Scenario = Scenario.PUBLIC_BIDDING
    depth: int = Field(screening_query.DEFAULT_DEPTH, ge=1, le=screening_query.MAX_DEPTH)
    as_of: date | None = None


class ScreeningRequest(ScreeningOptions):
    bidders: list[Uscc] = Field(
        min_length=screening_query.MIN_BIDDERS,
        max_length=screening_query.MAX_BIDDERS,
        description="USCCs of the bidders (2–50, distinct).",
    )


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` inlined (for ``openapi_extra``)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


_UPLOAD = _inline(ScreeningOptions.model_json_schema())
_UPLOAD["properties"]["file"] = {
    "type": "string",
    "format": "binary",
    "description": "CSV or XLSX: column uscc, optional name and lot (≤ 50 bidders per lot).",
}
_UPLOAD["required"] = ["file"]
_UPLOAD.pop("additionalProperties", None)
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _inline(ScreeningRequest.model_json_schema())},
        "multipart/form-data": {"schema": _UPLOAD},
    },
}
FILE_RESPONSES = {
    media: {"schema": {"type": "string", "format": "binary" if media == XLSX_MEDIA_TYPE else ""}}
    for media in OUTPUT_MEDIA_TYPES
}
for _content in FILE_RESPONSES.values():
    if not _content["schema"]["format"]:
        del _content["schema"]["format"]


async def _parse(request: Request) -> tuple[ScreeningOptions, list[screening_query.BidderInput]]:
    """The options and, for an upload, the rows of the bidder file."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise RequestValidationError(
                    [{"loc": ("body", "file"), "msg": "a CSV or XLSX file is required"}]
                )
            fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
            request.state.body = fields  # what a refusal's audit record names
            options = ScreeningOptions.model_validate(fields)
            return options, read_bidders(await upload.read(), upload.filename or "")
        if content_type in ("application/json", ""):
            data = json.loads(await request.body() or b"null")
            request.state.body = data
            return ScreeningRequest.model_validate(data), []
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": f"not JSON: {exc}"}]) from None
    raise HTTPException(
        415,
        N_("send application/json or multipart/form-data, not {type}", type=content_type),
    )


def _wanted(request: Request) -> str:
    """The first media type of ``Accept`` that the screening can be written as."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in OUTPUT_MEDIA_TYPES:
            return media
    return "application/json"


def _screen(
    store: GraphStore,
    options: ScreeningOptions,
    rows: list[screening_query.BidderInput],
    lang: str,
) -> screening_query.FileScreening | screening_query.ScreeningResult:
    day = evaluation_day(options.as_of)
    if rows or not isinstance(options, ScreeningRequest):
        return screening_query.screen_lots(
            store, rows, options.scenario, day, options.depth, lang=lang
        )
    return screening_query.screen_bidders(
        store, options.bidders, options.scenario, day, options.depth, lang=lang
    )


@router.post(
    "/screenings",
    response_model=screening_query.ScreeningResult | screening_query.FileScreening,
    responses={
        200: {"content": FILE_RESPONSES, "description": "The screening (JSON or a file)"},
        **responses(400, 401, 403, 413, 415, 422),
    },
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def post_screening(
    request: Request,
    caller: Procurement,
    store: Store,
) -> Response:
    """Verdict per bidder with reasons, and the links between bidders that
    decide verdicts in public_bidding and government_procurement."""
    options, rows = await _parse(request)
    language = current_lang()  # ?lang= / Accept-Language (api.i18n)
    result = await run_in_threadpool(_screen, store, options, rows, language)
    lots = result.lots if isinstance(result, screening_query.FileScreening) else [result]
    audit.record(
        store,
        caller,
        "POST /screenings",
        [b.uscc for lot in lots for b in lot.bidders],
        result.as_of,
    )
    return await run_in_threadpool(_response, request, caller, store, result, language)


def _response(
    request: Request,
    caller: Caller,
    store: GraphStore,
    result: screening_query.FileScreening | screening_query.ScreeningResult,
    lang: str,
) -> Response:
    body = body_for(caller, store, result)
    media = _wanted(request)
    if media == "application/json":
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")
    if isinstance(result, screening_query.ScreeningResult):
        body = {"scenario": body["scenario"], "as_of": body["as_of"], "lots": [body]}
    screening = screening_query.FileScreening.model_validate(body)
    content, filename = render_screening(
        screening,
        media,
        policy=default_policy(),
        generation=store.generation(),
        generated_at=datetime.now(),
        lang=lang,
    )
    disposition = "inline" if media in ("text/html", "image/svg+xml") else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{filename}"'}
    return Response(content, media_type=media, headers=headers)
