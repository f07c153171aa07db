"""Thin routers: parse, authorise, call one query function, audit, shape."""

from api.routers import (
    audit,
    entities,
    health,
    measures,
    monitor,
    objections,
    paths,
    screenings,
    search,
)

ROUTERS = (
    health.router,
    entities.router,
    search.router,
    paths.router,
    screenings.router,
    measures.router,
    objections.router,
    audit.router,
    monitor.router,
)

__all__ = ["ROUTERS"]
