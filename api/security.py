"""API keys, roles and masking of personal ids (DESIGN §7, RULES §9).

Roles are ordered: ``public`` < ``procurement`` < ``investigator`` <
``admin``; an endpoint names the least role it needs. Keys come from the
keys file (hashes only), re-read whenever the file changes. ``public`` and
``procurement`` callers get every personal id in a response body masked
(resident ids first 4 + ``*`` + last 4, passports first 2 + last 2) and
persons' contacts dropped.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from api.budget import Budgets
from api.keys import ApiKey, ApiRole, find_key, read_keys
from api.masking import dump, masked_body
from api.refs import RefCodec, is_ref
from credgraph.i18n import N_
from credgraph.ids import MAX_ID_LENGTH, is_resident_id, is_uscc, mask_person_id, normalise_id
from credgraph.model import IdType, NodeKind, Person
from credgraph.store import GraphStore
from credgraph.textids import id_candidates, mask_ids_in_text
from queries.errors import InvalidRequest, UnknownEntity
from queries.explain import explain, overlay
from queries.report import CreditReport

log = logging.getLogger(__name__)

RANK = {
    ApiRole.PUBLIC: 0,
    ApiRole.PROCUREMENT: 1,
    ApiRole.INVESTIGATOR: 2,
    ApiRole.ADMIN: 3,
}
#: roles that see personal ids masked
MASKED_ROLES = frozenset({ApiRole.PUBLIC, ApiRole.PROCUREMENT})
MAX_KEY_LENGTH = 256
API_KEY_HEADER = "X-API-Key"
_CHALLENGE = {"WWW-Authenticate": f'APIKey header="{API_KEY_HEADER}"'}


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's name and role; the ids the request asked
    for (for the audit of refusals) and the codec of its refs."""

    name: str
    role: ApiRole
    refs: RefCodec | None = field(default=None, compare=False, repr=False)
    asked: list[str] = field(default_factory=list, compare=False)

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES

    def ref(self, person_id: str, id_type: IdType) -> str:
        """This key's ref of a person (the masked id alone without a codec)."""
        if self.refs is None:
            return mask_person_id(person_id, id_type)
        return self.refs.ref(self.name, person_id, id_type)

    def may(self, role: ApiRole) -> bool:
        """True when this caller's role is at least ``role``."""
        return RANK[self.role] >= RANK[role]


class KeyRing:
    """The keys file, re-read when its size, inode or mtime change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[ApiKey] = []
        self._error: str | None = None

    def _current(self) -> list[ApiKey]:
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._keys = read_keys(self.path)
                    self._error = None
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    log.error("keys file %s unreadable: %s", self.path, exc)
                    self._keys, self._error = [], str(exc)
                self._stamp = stamp
            if self._error is not None:
                raise HTTPException(503, N_("the API keys file cannot be read"))
            return self._keys

    def caller(self, key: str | None, refs: RefCodec | None = None) -> Caller:
        """The caller owning ``key``; 401 when missing or unknown."""
        keys = self._current()
        if not key:
            raise HTTPException(
                401, N_("missing {header} header", header=API_KEY_HEADER), headers=_CHALLENGE
            )
        found = find_key(keys, key) if len(key) <= MAX_KEY_LENGTH else None
        if found is None:
            raise HTTPException(401, N_("invalid API key"), headers=_CHALLENGE)
        return Caller(found.name, found.role, refs)


def authenticate(request: Request, key: str | None) -> Caller:
    """The caller of ``request`` (401 without a valid key), after spending
    one request of its key's budget (429 with ``Retry-After`` past it)."""
    state = request.app.state
    ring: KeyRing = state.keyring
    caller = ring.caller(key, state.refs)
    request.state.caller = caller  # for the audit of refused lookups
    budgets: Budgets = state.budgets
    wait = budgets.take(caller.name, caller.role)
    if wait is not None:
        raise HTTPException(
            429,
            N_(
                "key {name} is over its request budget; retry in {wait:.1f} s",
                name=caller.name,
                wait=wait,
            ),
            headers={"Retry-After": Budgets.retry_after(wait)},
        )
    return caller


api_key_header = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="An API key (`credgraph keys add`)."
)


def require(role: ApiRole) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers of ``role`` or above (else 403).

    Async, as :func:`get_store`: neither blocks (a hash, a dict, a ``stat``
    of the keys file), and a sync dependency would cost each request a hop
    to the thread pool and back."""

    async def dependency(
        request: Request, key: Annotated[str | None, Depends(api_key_header)]
    ) -> Caller:
        caller = authenticate(request, key)
        if RANK[caller.role] < RANK[role]:
            raise HTTPException(
                403,
                N_(
                    "role {role} may not use this endpoint (needs {needed})",
                    role=caller.role.value,
                    needed=role.value,
                ),
            )
        return caller

    return dependency


async def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


Store = Annotated[GraphStore, Depends(get_store)]
Public = Annotated[Caller, Depends(require(ApiRole.PUBLIC))]
Procurement = Annotated[Caller, Depends(require(ApiRole.PROCUREMENT))]
Investigator = Annotated[Caller, Depends(require(ApiRole.INVESTIGATOR))]
Admin = Annotated[Caller, Depends(require(ApiRole.ADMIN))]


# -- ids asked for ---------------------------------------------------------------


def resolve_id(caller: Caller, store: GraphStore, value: str) -> str:
    """The entity id that ``value`` (an id, or a ref from an earlier response)
    names for ``caller``: the one function every router turns incoming ids
    with (DESIGN §7).

    A ref is accepted only from the key it was given to. Masked roles get
    the same 403 for every person id, stored or not (and for a ref not given
    to them): no answer tells them whether a person id exists. A USCC that
    is not stored is the query's 404 as for every caller.
    """
    caller.asked.append(value)
    resolved = _resolve(caller, store, value)
    caller.asked[-1] = resolved  # the audit names the person, not the ref
    return resolved


def _resolve(caller: Caller, store: GraphStore, value: str) -> str:
    if is_ref(value):
        person_id = caller.refs.person_id(caller.name, value) if caller.refs else None
        if person_id is None:
            raise HTTPException(403, N_("this ref was not given to this API key"))
        return person_id
    norm = normalise_id(value)
    if len(norm) > MAX_ID_LENGTH:
        raise InvalidRequest(
            N_(
                "an id has at most {max} characters, got {length}",
                max=MAX_ID_LENGTH,
                length=len(norm),
            )
        )
    if not caller.masked:
        return value
    kind = store.existing_ids([norm]).get(norm)
    if kind is NodeKind.ENTERPRISE:
        return norm
    if is_uscc(norm) and not is_resident_id(norm):
        # can only be a USCC: unknown whether or not a person's other id is spelled so
        raise UnknownEntity(norm)
    refused = N_(
        "role {role} looks persons up by the ref given in responses (…~…), never by a person's id",
        role=caller.role.value,
    )
    raise HTTPException(403, refused)


def resolve_ids(caller: Caller, store: GraphStore, values: Iterable[str]) -> list[str]:
    """:func:`resolve_id` of each value, in order."""
    return [resolve_id(caller, store, v) for v in values]


def body_for(caller: Caller, store: GraphStore, result: BaseModel | list[Any]) -> Any:
    """A query result as ``caller`` may read it: the CLI's JSON, with persons
    as refs and ids in free text masked for the masked roles."""
    words = explain(store, dump(result))  # labels and explanations, request's language
    if not caller.masked:
        return words
    return overlay(masked_body(caller, store, result), words, _masked_text(store))


def _masked_text(store: GraphStore) -> Callable[[str], str]:
    """Masks personal ids in the words copied onto a masked body."""

    def text(value: str) -> str:
        nodes = store.nodes(id_candidates(value)) if any(c.isdigit() for c in value) else {}
        persons = {i: n.id_type for i, n in nodes.items() if isinstance(n, Person)}
        return mask_ids_in_text(value, persons)

    return text


def shaped(caller: Caller, store: GraphStore, result: BaseModel | list[Any]) -> JSONResponse:
    """The response of a query result (:func:`body_for`)."""
    return JSONResponse(body_for(caller, store, result))


def report_for(caller: Caller, report: CreditReport) -> CreditReport:
    """The credit report as ``caller`` may see it: the ownership section
    needs the investigator role, like ``GET /entities/{id}/ownership``."""
    if report.ownership is None or caller.may(ApiRole.INVESTIGATOR):
        return report
    return report.model_copy(update={"ownership": None})
