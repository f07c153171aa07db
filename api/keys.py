"""API keys: stored hashed (SHA-256) with a role in a TOML keys file (DESIGN §7)."""

from __future__ import annotations

import hashlib
import os
import secrets
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from credgraph.i18n import N_


class ApiRole(StrEnum):
    PUBLIC = "public"
    PROCUREMENT = "procurement"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: ApiRole
    sha256: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def read_keys(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text("utf-8"))
    return [
        ApiKey(name=name, role=ApiRole(entry["role"]), sha256=entry["sha256"])
        for name, entry in data.get("keys", {}).items()
    ]


def _write_keys(path: Path, keys: list[ApiKey]) -> None:
    lines = ["# credgraph API keys: SHA-256 hashes only (credgraph keys add NAME --role R)", ""]
    for k in keys:
        lines += [f'[keys."{k.name}"]', f'role = "{k.role.value}"', f'sha256 = "{k.sha256}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    # created 0600 from the start: no moment where others may read it
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    tmp.replace(path)


def add_key(path: Path, name: str, role: str, *, replace: bool = False) -> str:
    """Create a key, store its hash, return the key (shown once)."""
    if not name or any(c in name for c in '"\\') or not name.isprintable():
        raise ValueError(N_("key name must be non-empty, printable, without quotes or backslashes"))
    api_role = ApiRole(role)
    keys = read_keys(path)
    if any(k.name == name for k in keys):
        if not replace:
            raise ValueError(N_("a key named {name!r} exists already", name=name))
        keys = [k for k in keys if k.name != name]
    key = "cg_" + secrets.token_urlsafe(32)
    keys.append(ApiKey(name=name, role=api_role, sha256=_hash(key)))
    _write_keys(path, keys)
    return key


def remove_key(path: Path, name: str) -> bool:
    """Delete the key called ``name``; False when there is none."""
    keys = read_keys(path)
    kept = [k for k in keys if k.name != name]
    if len(kept) == len(keys):
        return False
    _write_keys(path, kept)
    return True


def find_key(keys: list[ApiKey], key: str) -> ApiKey | None:
    """The key among ``keys`` matching ``key``, comparing every stored hash in
    constant time (no early exit that would time the position of a match)."""
    digest = _hash(key)
    found = None
    for k in keys:
        if secrets.compare_digest(k.sha256, digest):
            found = k
    return found


def authenticate(path: Path, key: str) -> ApiKey | None:
    """The stored key matching ``key`` (constant-time comparison), or None."""
    return find_key(read_keys(path), key)
