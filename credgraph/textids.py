"""Personal ids written in free text, however they are written (issue 16.8).

Reasons, case numbers and notes carry ids as people type them: grouped
(``4401 2519 7102 0784 12``), hyphenated (``440125-19710207-8412``),
full-width (``４４０１…``), as old 15-digit resident ids or as spaced
passport numbers. Matching works on a normalised copy of the text (NFKC,
upper case, separators between groups dropped) and masking is applied to the
original characters, so the text keeps its layout:

>>> mask_ids_in_text("身份证 4401 2519 7102 0784 12 已核实")
'身份证 4401 **** **** **84 12 已核实'
>>> mask_ids_in_text("护照 E1234 5678", {"E12345678": IdType.PASSPORT})
'护照 E1*** **78'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from credgraph.ids import MAX_ID_LENGTH, birth_place_known, is_resident_id
from credgraph.model import IdType

#: what may stand between the groups of one id written for reading (after NFKC:
#: the ideographic space is a space, the full-width hyphen a hyphen)
SEPARATORS = frozenset(" -_./\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u30fb\u00b7")
#: a chain breaks after more separators than this in a row
MAX_SEPARATOR_RUN = 3
#: the most groups one id is written in (a passport in pairs has five)
MAX_GROUPS = 8
MIN_ID_LENGTH = 5
_RESIDENT_WINDOW = re.compile(r"(?=(\d{17}[\dX]))")


@dataclass(frozen=True)
class _Piece:
    """A concatenation of consecutive groups: ``compact`` without separators,
    ``hyphenated`` with the hyphens written between groups kept (the form an
    id with hyphens is stored in), ``positions`` of its characters in the
    original text."""

    compact: str
    hyphenated: str
    positions: tuple[int, ...]


@dataclass(frozen=True)
class IdInText:
    """One personal id found in a text: its normalised value, its kind and
    the positions of its characters in the original text."""

    value: str
    id_type: IdType
    positions: tuple[int, ...]


def _chains(text: str) -> Iterator[list[tuple[str, str, list[int]]]]:
    """Chains of alphanumeric groups joined by short separator runs; each
    group as (characters, separator before it, positions)."""
    chain: list[tuple[str, str, list[int]]] = []
    chars: list[str] = []
    positions: list[int] = []
    separator = ""
    plain = text.upper() if text.isascii() else None  # NFKC changes no ASCII character
    for i, ch in enumerate(text):
        norm = plain[i] if plain is not None else unicodedata.normalize("NFKC", ch).upper()
        if len(norm) == 1 and norm.isascii() and norm.isalnum():
            chars.append(norm)
            positions.append(i)
            continue
        if chars:
            chain.append(("".join(chars), separator, positions))
            chars, positions, separator = [], [], ""
        if norm in SEPARATORS and len(separator) < MAX_SEPARATOR_RUN:
            separator += norm
        else:
            if chain:
                yield chain
            chain, separator = [], ""
    if chars:
        chain.append(("".join(chars), separator, positions))
    if chain:
        yield chain


def _pieces(text: str) -> Iterator[_Piece]:
    for chain in _chains(text):
        for i in range(len(chain)):
            compact, hyphenated, positions = "", "", []
            for j in range(i, min(len(chain), i + MAX_GROUPS)):
                chars, separator, where = chain[j]
                if j > i and separator == "-":
                    hyphenated += "-"
                compact += chars
                hyphenated += chars
                positions += where
                if len(compact) > MAX_ID_LENGTH:
                    break
                yield _Piece(compact, hyphenated, tuple(positions))


def _is_old_resident_id(value: str) -> bool:
    """A 15-digit resident id of before 1999: region, YYMMDD birth date
    (19YY), sequence; it has no check digit."""
    if len(value) != 15 or not value.isdigit():
        return False
    try:
        date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return False
    return birth_place_known(value[:6], "19" + value[6:8])


def id_candidates(text: str) -> set[str]:
    """Every way ``text`` may write a stored person's id (at least one digit,
    5–64 characters, with and without hyphens): what to look up in a store
    before :func:`ids_in_text`."""
    found: set[str] = set()
    for piece in _pieces(text):
        if MIN_ID_LENGTH <= len(piece.compact) <= MAX_ID_LENGTH and any(
            c.isdigit() for c in piece.compact
        ):
            found.add(piece.compact)
            found.add(piece.hyphenated)
    return found


def ids_in_text(text: str, known: Mapping[str, IdType] | None = None) -> list[IdInText]:
    """Personal ids in ``text``: valid resident ids (also inside longer
    runs), old 15-digit resident ids, and the ids in ``known`` (stored
    persons' ids with their type, e.g. passports)."""
    known = known or {}
    compact_known = {k.replace("-", ""): (k, t) for k, t in known.items()}
    found: list[IdInText] = []
    for piece in _pieces(text):
        value = piece.compact
        if value in compact_known:
            stored, id_type = compact_known[value]
            found.append(IdInText(stored, id_type, piece.positions))
        elif (len(value) == 18 and is_resident_id(value)) or _is_old_resident_id(value):
            found.append(IdInText(value, IdType.RESIDENT_ID, piece.positions))
        elif len(value) > 18:
            for m in _RESIDENT_WINDOW.finditer(value):
                window = m.group(1)
                if is_resident_id(window):
                    where = piece.positions[m.start() : m.start() + 18]
                    found.append(IdInText(window, IdType.RESIDENT_ID, where))
    return found


def mask_ids_in_text(text: str, known: Mapping[str, IdType] | None = None) -> str:
    """``text`` with every personal id masked in place like
    :func:`credgraph.ids.mask_person_id` (resident ids keep their first and
    last four characters, other ids two), separators left as written."""
    hidden: set[int] = set()
    for found in ids_in_text(text, known):
        keep = 4 if found.id_type is IdType.RESIDENT_ID else 2
        if len(found.positions) <= 2 * keep:
            hidden.update(found.positions)
        else:
            hidden.update(found.positions[keep:-keep])
    if not hidden:
        return text
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))
