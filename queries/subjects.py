"""The subject a request names: an id normalised, validated and found.

Every query that takes an enterprise or person id from a user goes
through :func:`resolve_subject`, so every front end refuses a malformed id
with its reason (:class:`InvalidIdentifierError`, 422) and a well-formed
unknown one alike (:class:`UnknownEntity`, 404).
"""

from __future__ import annotations

import re
from datetime import date

from credgraph.i18n import N_
from credgraph.ids import InvalidIdentifier, normalise_id, validate_resident_id, validate_uscc
from credgraph.model import NodeKind
from credgraph.store import Graph
from queries.errors import InvalidIdentifierError, UnknownEntity

_PASSPORT_LIKE = re.compile(r"[A-Z0-9\-]{1,64}")


def resolve_subject(store: Graph, subject_id: str) -> tuple[str, NodeKind]:
    """The normalised id and kind of a stored subject.

    Raises :class:`InvalidIdentifierError` when the id cannot be a USCC,
    resident identity number or passport/other number, and
    :class:`UnknownEntity` when it is well-formed but not stored.
    """
    sid = normalise_id(subject_id)
    kind = store.existing_ids([sid]).get(sid)
    if kind is not None:
        return sid, kind
    if len(sid) == 18:
        try:
            validate_uscc(sid)
        except InvalidIdentifier as uscc_error:
            try:
                validate_resident_id(sid)
            except InvalidIdentifier as rid_error:
                reason = rid_error.reason if _looks_like_rid(sid) else uscc_error.reason
                raise InvalidIdentifierError(
                    N_("{id!r}: {reason}", id=sid, reason=reason)
                ) from None
    elif not _PASSPORT_LIKE.fullmatch(sid):
        # not 18 characters: only a passport/other number (DESIGN §2) is well-formed
        raise InvalidIdentifierError(
            N_("{id!r}: not a USCC, resident identity number or passport number", id=sid)
        )
    raise UnknownEntity(sid)


def _looks_like_rid(value: str) -> bool:
    """18 characters read as a resident id: digits (a final X) with a birth
    date at positions 7-14; anything else is read as a USCC."""
    if not (value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100
