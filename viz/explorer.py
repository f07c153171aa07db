"""The web explorer: static pages served by the API at ``/`` (DESIGN §7).

``mount_explorer(app)`` adds the single-page explorer (``/`` and
``/static/…``, all assets in the package, nothing from a CDN) and the
printable credit report ``/entities/{id}/report.html``. The page talks to
the JSON API with the key the user enters (kept in sessionStorage).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")

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
    printable report at ``/entities/{id}/report.html``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="explorer-static")
    app.add_api_route("/", explorer_page, methods=["GET"], include_in_schema=False)
