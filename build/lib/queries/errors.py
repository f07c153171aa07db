"""Typed errors of the queries; the API maps them to problem+json in one place."""

from __future__ import annotations


class QueryError(ValueError):
    """A request a query cannot answer; ``status`` is the HTTP status to use."""

    status = 400
    title = "Bad request"


class UnknownEntity(QueryError):
    status = 404
    title = "Unknown entity"

    def __init__(self, entity_id: str) -> None:
        super().__init__(f"no enterprise or person with id {entity_id!r}")
        self.entity_id = entity_id


class InvalidIdentifierError(QueryError):
    status = 422
    title = "Invalid identifier"


class InvalidRequest(QueryError):
    status = 422
    title = "Invalid request"
