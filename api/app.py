"""The FastAPI application (DESIGN §7): thin routers over ``queries``.

``create_app(store_location)`` opens the store, reads API keys from the keys
file (``CREDGRAPH_KEYS_FILE``), includes the routers and the web explorer
(``api.explorer``) and maps every error to ``application/problem+json``
(``api.problems``). OpenAPI docs at ``/docs``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import audit, problems
from api.budget import Budgets
from api.docs import mount_docs
from api.explorer import mount_explorer
from api.i18n import request_language
from api.refs import RefCodec, load_secret
from api.routers import ROUTERS
from api.security import KeyRing
from credgraph import __version__
from credgraph.i18n import N_
from credgraph.settings import Settings
from credgraph.store import open_store
from credgraph.text import name_keys

log = logging.getLogger(__name__)

#: largest request body accepted (a 50-bidder screening is ~2 KiB)
MAX_BODY_BYTES = 64 * 1024

DESCRIPTION = """
Who stands behind a dishonest firm, with evidence. Every endpoint but
`/health` needs an `X-API-Key` (`credgraph keys add NAME --role R`); roles
`public` < `procurement` < `investigator` < `admin`. `public` and
`procurement` see personal ids masked. Errors are `application/problem+json`
(RFC 9457). Query endpoints take `as_of` (default today in Asia/Shanghai).
"""


class SecurityHeaders:
    """Headers on every answer: credit data is never cached by a browser or a
    shared proxy, and a response varies with the key that asked for it."""

    HEADERS = (
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"vary", b"X-API-Key"),
        (b"referrer-policy", b"no-referrer"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 413 problem, whether
    announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send, declared.isdigit())
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send, True)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            status, detail = 413, N_("request body larger than {max} bytes", max=self.limit)
        else:
            status, detail = 400, N_("Content-Length is not a number")
        response = problems.problem_response(Request(scope), status, detail)
        await response(scope, receive, send)


class Options:
    """``OPTIONS`` on a served path answers ``204`` with the ``Allow``ed
    methods instead of a bare 405 (no CORS: the explorer is same-origin)."""

    METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        routes = scope["app"].router.routes
        allowed = {
            method
            for method in self.METHODS
            if any(r.matches({**scope, "method": method})[0] is Match.FULL for r in routes)
        }
        if not allowed:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(allowed | {"OPTIONS"}))
        await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)


def create_app(
    store_location: str, keys_file: Path | None = None, settings: Settings | None = None
) -> FastAPI:
    """The API over the store at ``store_location`` (file or Neo4j URI);
    ``settings`` default to the environment's."""
    settings = settings or Settings()
    store = open_store(store_location)
    keys_path = keys_file or settings.keys_file
    name_keys("预热")  # build the pinyin tables now, not on the first search

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        from queries.webhooks import BackgroundDelivery

        # webhooks are delivered by a thread of their own, never on a request's path
        delivery = BackgroundDelivery(store, settings.delivery_interval)
        if settings.delivery_interval > 0:
            delivery.start()
        yield
        if settings.delivery_interval > 0:
            delivery.stop()
        audit.close(store)
        store.close()

    app = FastAPI(
        title="credgraph",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from the package: no CDN, works offline
        redoc_url=None,
        dependencies=[Depends(request_language)],  # ?lang= / Accept-Language (DESIGN §12)
    )
    app.state.store = store
    app.state.keyring = KeyRing(keys_path)
    secret_path = settings.ref_secret_file or keys_path.with_name(keys_path.name + ".ref-secret")
    app.state.refs = RefCodec(load_secret(secret_path))
    app.state.budgets = Budgets(settings.rate_limits)
    app.state.misses = audit.MissWatch(settings.miss_warning)
    if not keys_path.exists():
        log.warning("no keys file at %s: every request but /health gets 401", keys_path)
    for router in ROUTERS:
        app.include_router(router)
    mount_explorer(app)  # the web explorer at / (viz assets)
    mount_docs(app)
    problems.install(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(Options)
    app.add_middleware(SecurityHeaders)
    return app
