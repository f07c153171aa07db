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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from api.keys import ApiKey, ApiRole, find_key, read_keys
from credgraph.ids import guess_kind, mask_person_id
from credgraph.model import IdType, NodeKind, Person
from credgraph.store import GraphStore
from queries.explain import explain
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
    """Who is calling: the key's name and role."""

    name: str
    role: ApiRole

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES

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
                raise HTTPException(503, "the API keys file cannot be read")
            return self._keys

    def caller(self, key: str | None) -> Caller:
        """The caller owning ``key``; 401 when missing or unknown."""
        keys = self._current()
        if not key:
            raise HTTPException(401, f"missing {API_KEY_HEADER} header", headers=_CHALLENGE)
        found = find_key(keys, key) if len(key) <= MAX_KEY_LENGTH else None
        if found is None:
            raise HTTPException(401, "invalid API key", headers=_CHALLENGE)
        return Caller(found.name, found.role)


api_key_header = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="An API key (`credgraph keys add`)."
)


def require(role: ApiRole) -> Callable[..., Caller]:
    """A dependency admitting callers of ``role`` or above (else 403)."""

    def dependency(request: Request, key: Annotated[str | None, Depends(api_key_header)]) -> Caller:
        ring: KeyRing = request.app.state.keyring
        caller = ring.caller(key)
        request.state.caller = caller  # for the audit of refused lookups
        if RANK[caller.role] < RANK[role]:
            raise HTTPException(
                403, f"role {caller.role.value} may not use this endpoint (needs {role.value})"
            )
        return caller

    return dependency


def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


Store = Annotated[GraphStore, Depends(get_store)]
Public = Annotated[Caller, Depends(require(ApiRole.PUBLIC))]
Procurement = Annotated[Caller, Depends(require(ApiRole.PROCUREMENT))]
Investigator = Annotated[Caller, Depends(require(ApiRole.INVESTIGATOR))]
Admin = Annotated[Caller, Depends(require(ApiRole.ADMIN))]


# -- masking ---------------------------------------------------------------------
#: candidate ids: maximal runs of id characters, and every 18-digit window
#: shaped like a resident id wherever it stands (inside case numbers, reasons…)
_ID_TOKEN = re.compile(r"[0-9A-Za-z\-]{4,64}")
_RESIDENT_WINDOW = re.compile(r"(?=(\d{17}[\dXx]))")
_ID_KEYS = ("id", "person_id", "subject_id", "source_id")
_CONTACT_KEYS = ("phone", "address", "email", "phone_norm", "address_norm", "email_norm")


def _candidates(text: str, out: set[str]) -> None:
    for run in _ID_TOKEN.findall(text):
        out.add(run.upper())
        out.update(w.upper() for w in _RESIDENT_WINDOW.findall(run))


def _strings(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        _candidates(value, out)
    elif isinstance(value, dict):
        for k, v in value.items():
            _candidates(k, out)
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def person_id_masks(store: GraphStore, body: Any) -> dict[str, str]:
    """Every personal id in ``body`` with its mask: ids of stored persons
    (resident ids, passports, other numbers) and any valid resident id."""
    tokens: set[str] = set()
    _strings(body, tokens)
    if not tokens:
        return {}
    masks: dict[str, str] = {}
    stored = store.nodes(tokens)
    for node_id, node in stored.items():
        if isinstance(node, Person):
            masks[node_id] = mask_person_id(node_id, node.id_type)
    for token in tokens - stored.keys():
        if len(token) == 18 and guess_kind(token) is NodeKind.PERSON:
            masks[token] = mask_person_id(token, IdType.RESIDENT_ID)
    return masks


def _apply(value: Any, masks: dict[str, str], sub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return sub(value)
    if isinstance(value, list):
        return [_apply(v, masks, sub) for v in value]
    if isinstance(value, dict):
        person = any(isinstance(value.get(k), str) and value[k] in masks for k in _ID_KEYS)
        out = {}
        for k, v in value.items():
            out[sub(k)] = None if person and k in _CONTACT_KEYS else _apply(v, masks, sub)
        return out
    return value


def mask_body(store: GraphStore, body: Any) -> Any:
    """``body`` (JSON data) with personal ids masked everywhere — values,
    keys, inside longer strings — and the contacts of persons removed."""
    masks = person_id_masks(store, body)
    if not masks:
        return body

    # every known id wherever it stands, longest first (an id inside a case
    # number or a reason is still the person's id)
    pattern = re.compile(
        "|".join(re.escape(i) for i in sorted(masks, key=len, reverse=True)), re.IGNORECASE
    )

    def sub(text: str) -> str:
        return pattern.sub(lambda m: masks.get(m.group(0).upper(), m.group(0)), text)

    return _apply(body, masks, sub)


def shaped(caller: Caller, store: GraphStore, result: BaseModel | list[Any]) -> JSONResponse:
    """The response body of a query result: the CLI's JSON, masked for
    callers who may not see personal ids."""
    if isinstance(result, BaseModel):
        body: Any = result.model_dump(mode="json", by_alias=True)
    else:
        body = [
            r.model_dump(mode="json", by_alias=True) if isinstance(r, BaseModel) else r
            for r in result
        ]
    body = explain(store, body)  # labels and explanations in the request's language
    if caller.masked:
        body = mask_body(store, body)
    return JSONResponse(body)


def report_for(caller: Caller, report: CreditReport) -> CreditReport:
    """The credit report as ``caller`` may see it: the ownership section
    needs the investigator role, like ``GET /entities/{id}/ownership``."""
    if report.ownership is None or caller.may(ApiRole.INVESTIGATOR):
        return report
    return report.model_copy(update={"ownership": None})
