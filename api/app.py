"""FastAPI application factory (the API issue fills in the routers)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from credgraph import __version__
from credgraph.store import open_store


def create_app(store_location: str) -> FastAPI:
    app = FastAPI(title="credgraph", version=__version__)
    store = open_store(store_location)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "counts": store.counts()}

    return app
