"""Opaque person refs for the masked roles (DESIGN §7, issue 16.3).

A ``public`` or ``procurement`` key never sees a full person id, and a lookup
by one is refused whatever the id. Persons reach such a key as a *ref*:

    1101**********4477~Tq3…  (the masked id, ``~``, a token)

The token is the person id encrypted with AES-SIV (RFC 5297) under the
server's ref secret, with the key's name as associated data. So a ref is

- stable per key: SIV is deterministic, the same person gives the same ref
  to the same key in every response and after a restart;
- not reversible: without the secret the token says nothing about the id;
- not an oracle: only refs the server handed to *this* key decrypt (another
  key's ref, an edited or guessed token all fail authentication), so a ref
  can only name a person the key has already been shown; no table of issued
  refs is kept.

The masked id before ``~`` is only for reading; it must match the token.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from credgraph.ids import mask_person_id
from credgraph.model import IdType

SEPARATOR = "~"
#: longest ref: the mask and the token of a 64-character id
MAX_REF_LENGTH = 64 + 1 + 4 * ((16 + 1 + 64 + 2) // 3)
_CONTEXT = b"credgraph-person-ref/1"
_TYPE_CODES = {IdType.RESIDENT_ID: "R", IdType.PASSPORT: "P", IdType.OTHER: "O"}
_CODE_TYPES = {code: id_type for id_type, code in _TYPE_CODES.items()}
SECRET_BYTES = 64  # AES-256-SIV


def is_ref(value: str) -> bool:
    """True when ``value`` is shaped like a ref (ids never contain ``~``)."""
    return SEPARATOR in value


class RefCodec:
    """Refs of persons for one server secret (see the module docstring)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"the ref secret must be {SECRET_BYTES} bytes")
        self._siv = AESSIV(secret)

    def ref(self, key_name: str, person_id: str, id_type: IdType) -> str:
        """The ref of ``person_id`` for the key called ``key_name``."""
        plain = (_TYPE_CODES[id_type] + person_id).encode("utf-8")
        token = self._siv.encrypt(plain, [_CONTEXT, key_name.encode("utf-8")])
        text = base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")
        return f"{mask_person_id(person_id, id_type)}{SEPARATOR}{text}"

    def person_id(self, key_name: str, ref: str) -> str | None:
        """The person id behind ``ref`` for this key; None for anything this
        key was not given (another key's ref, an edited or made-up one)."""
        shown, _, text = ref.partition(SEPARATOR)
        if len(ref) > MAX_REF_LENGTH or not text:
            return None
        try:
            token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            plain = self._siv.decrypt(token, [_CONTEXT, key_name.encode("utf-8")])
            decoded = plain.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            return None
        id_type, person_id = _CODE_TYPES.get(decoded[:1]), decoded[1:]
        if id_type is None or mask_person_id(person_id, id_type) != shown:
            return None
        return person_id


def load_secret(path: Path) -> bytes:
    """The ref secret kept in ``path`` (hex), created 0600 on first use so
    that refs stay stable across restarts."""
    if path.exists():
        try:
            secret = bytes.fromhex(path.read_text("ascii").strip())
        except ValueError:
            secret = b""
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"ref secret file {path} does not hold {SECRET_BYTES} hex bytes")
        return secret
    secret = secrets.token_bytes(SECRET_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server made it first: use theirs
        return load_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    return secret
