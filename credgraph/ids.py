"""Identifier validation and normalisation (python-stdnum, never hand-written).

USCC: ``stdnum.cn.uscc``; resident identity numbers: ``stdnum.cn.ric``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from credgraph.i18n import N_
from credgraph.model import IdType, NodeKind


class InvalidIdentifier(ValueError):
    """An identifier failed validation; ``reason`` says why in plain words."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(N_("{id!r}: {reason}", id=value, reason=reason))
        self.value = value
        self.reason = reason


#: the longest id of any kind (passport/other numbers, DESIGN §2)
MAX_ID_LENGTH = 64


def normalise_id(value: str) -> str:
    """Trim and upper-case an identifier (DESIGN §2)."""
    return value.strip().upper()


def _reason(exc: ValidationError, what: str) -> str:
    """Why ``exc`` refused a ``what``, as a message shown in the user's language."""
    name = type(exc).__name__
    if name == "InvalidLength":
        return N_("{what} must have 18 characters", what=what)
    if name == "InvalidFormat":
        return N_("{what} has characters not allowed at their position", what=what)
    if name == "InvalidChecksum":
        return N_("{what} check digit is wrong", what=what)
    if name == "InvalidComponent":
        return N_("{what} has an impossible birth date or region code", what=what)
    return N_("invalid {what}: {error}", what=what, error=exc)


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise :class:`InvalidIdentifier`.

    >>> validate_uscc(" 91110000600037341l ")
    '91110000600037341L'
    """
    norm = normalise_id(value)
    try:
        if _PLAIN_ID.fullmatch(norm) and len(norm) == 18 and norm[:8].isdigit():
            # already compact: only the check digit is left to verify (stdnum)
            if any(c not in _USCC_ALPHABET for c in norm[8:]):
                raise InvalidFormat()
            if norm[-1] != uscc.calc_check_digit(norm):
                raise InvalidChecksum()
            return norm
        return str(uscc.validate(norm))
    except ValidationError as exc:
        raise InvalidIdentifier(norm, _reason(exc, N_("USCC"))) from None


_PLAIN_ID = re.compile(r"[0-9A-Z]+")
_USCC_ALPHABET = frozenset(uscc._alphabet)


@lru_cache(maxsize=65536)
def birth_place_known(region: str, year: str) -> bool:
    """stdnum's region lookup, cached per (region code, birth year): the
    numdb search dominates validation time and depends on nothing else."""
    try:
        ric.get_birth_place(f"{region}{year}0101000")
    except (ValidationError, KeyError):  # stdnum raises KeyError for some codes
        return False
    return True


def validate_resident_id(value: str) -> str:
    """Return the normalised resident identity number or raise.

    Same checks as ``stdnum.cn.ric.validate`` (length, digits, check digit,
    birth date, birth place), with the birth-place lookup cached.
    """
    norm = normalise_id(value)
    try:
        number = norm if _PLAIN_ID.fullmatch(norm) else str(ric.compact(norm))
        if len(number) != 18:
            raise InvalidLength()
        if not number[:-1].isdigit() or not number[:-1].isascii():
            raise InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            raise InvalidComponent() from None
        if not birth_place_known(number[:6], number[6:10]):
            raise InvalidComponent()
        return number
    except ValidationError as exc:
        raise InvalidIdentifier(norm, _reason(exc, N_("resident identity number"))) from None


def validate_person_id(value: str, id_type: IdType = IdType.RESIDENT_ID) -> str:
    """Validate a person id according to its ``id_type``."""
    norm = normalise_id(value)
    if id_type is IdType.RESIDENT_ID:
        return validate_resident_id(norm)
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9\-]{4,63}", norm):
        raise InvalidIdentifier(
            norm,
            N_("passport number must be 5-64 letters, digits or '-', not starting with '-'")
            if id_type is IdType.PASSPORT
            else N_("other number must be 5-64 letters, digits or '-', not starting with '-'"),
        )
    return norm


def is_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def is_resident_id(value: str) -> bool:
    try:
        validate_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


def guess_kind(value: str) -> NodeKind | None:
    """Enterprise for a valid USCC, person for a valid resident id, else None."""
    if is_uscc(value):
        return NodeKind.ENTERPRISE
    try:
        validate_resident_id(value)
    except InvalidIdentifier:
        return None
    return NodeKind.PERSON


def mask_person_id(value: str, id_type: IdType = IdType.RESIDENT_ID) -> str:
    """Mask a personal id for the ``public`` role (DESIGN §7).

    >>> mask_person_id("110101199003074475")
    '1101**********4475'
    >>> mask_person_id("E12345678", IdType.PASSPORT)
    'E1*****78'
    """
    if id_type is IdType.RESIDENT_ID and len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) > 4:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return "*" * len(value)


_PHONE_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$|0?\d{9,11}$)")


def normalise_phone(value: str | None) -> str | None:
    """Digits only, without the +86/0086 country prefix.

    >>> normalise_phone("+86 138-0013-8000")
    '13800138000'
    >>> normalise_phone("(0769) 2288 1234")
    '076922881234'
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value)
    digits = re.sub(r"[^\d+]", "", text)
    digits = _PHONE_PREFIX.sub("", digits).lstrip("+")
    return digits or None


def normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip().lower()
    return text or None


def normalise_address(value: str | None) -> str | None:
    """Full-width to half-width (NFKC), whitespace removed, lower-cased latin.

    >>> normalise_address("广东省东莞市　南城区 ＡＢＣ大厦 ５楼")
    '广东省东莞市南城区abc大厦5楼'
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value)
    text = re.sub(r"\s+", "", text).lower()
    return text or None
