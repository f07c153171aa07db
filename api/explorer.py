"""The web explorer: ``viz``'s static pages served by the API at ``/`` (DESIGN §7).

``mount_explorer(app)`` adds the single-page explorer (``/`` and
``/static/…``, all assets in the package, nothing from a CDN) and the
printable credit report ``/entities/{id}/report.html``. The page talks to
the JSON API with the key the user enters (kept in sessionStorage).
"""

# No ``from __future__ import annotations``: the routes are defined inside
# mount_explorer and FastAPI must see their real annotation objects.
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import audit
from api.problems import responses
from api.routers.params import AsOf, EntityId, evaluation_day
from api.security import (
    Caller,
    Store,
    api_key_header,
    authenticate,
    body_for,
    report_for,
    resolve_id,
)
from queries.report import credit_report
from viz import STATIC_DIR
from viz.report import render_report_html

#: Everything the explorer loads comes from this origin; vis-network styles
#: elements at run time and its style sheet carries data: images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def explorer_page() -> FileResponse:
    """The explorer's single page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


def mount_explorer(app: FastAPI) -> None:
    """Serve the explorer at ``/`` with its assets under ``/static``, and the
    printable report at ``/entities/{id}/report.html``.

    The report page authenticates, masks and audits exactly like
    ``GET /entities/{id}/report``; ``viz`` only renders it.
    """

    def report_caller(
        request: Request, header: Annotated[str | None, Depends(api_key_header)]
    ) -> Caller:
        # the key only ever travels in the X-API-Key header (never in a URL,
        # where logs and browser history would keep it)
        return authenticate(request, header)

    def report_page(
        entity_id: EntityId,
        caller: Annotated[Caller, Depends(report_caller)],
        store: Store,
        as_of: AsOf = None,
    ) -> HTMLResponse:
        day: date = evaluation_day(as_of)
        report = report_for(caller, credit_report(store, resolve_id(caller, store, entity_id), day))
        audit.record(store, caller, "GET /entities/{id}/report.html", [report.subject_id], day)
        body = body_for(caller, store, report)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
        return HTMLResponse(render_report_html(body), headers=headers)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="explorer-static")
    app.add_api_route("/", explorer_page, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/entities/{entity_id}/report.html",
        report_page,
        methods=["GET"],
        response_class=HTMLResponse,
        summary="The printable credit report (HTML)",
        tags=["entities"],
        responses=responses(401, 403, 404, 422, 429),
    )
