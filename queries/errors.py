"""Typed errors of the queries; the API maps them to problem+json in one place.

Messages are :func:`credgraph.i18n.N_` messages (an English msgid with named
parameters): the API shows them in the request's language, the CLI in
``--lang``'s; ``str(exc)`` is the English text.
"""

from __future__ import annotations

from credgraph.i18n import N_


class QueryError(ValueError):
    """A request a query cannot answer; ``status`` is the HTTP status to use."""

    status = 400
    title = N_("Bad request")


class UnknownEntity(QueryError):
    status = 404
    title = N_("Unknown entity")

    def __init__(self, entity_id: str) -> None:
        super().__init__(N_("no enterprise or person with id {entity_id!r}", entity_id=entity_id))
        self.entity_id = entity_id


class InvalidIdentifierError(QueryError):
    status = 422
    title = N_("Invalid identifier")


class InvalidRequest(QueryError):
    status = 422
    title = N_("Invalid request")
