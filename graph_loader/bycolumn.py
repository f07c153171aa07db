"""String functions of :mod:`credgraph.ids` applied to a whole column at once.

A column's values are joined with NUL (which no CSV value of a loadable row
holds, and which no normalisation makes or joins with its neighbours), the
joined text goes through the same steps as each value would, and is split
again: a few calls in C instead of several per value. Should a value hold a
NUL after all, the pieces no longer match the values, and the column is
done value by value. Each function equals its per-value original
(``tests/loader/test_bycolumn.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import partial

from credgraph.ids import normalise_address, normalise_email, normalise_phone

_SEP = "\x00"
_SPACES = re.compile(r"\s+")
_NOT_PHONE = re.compile(r"[^\d+\x00]")
#: credgraph.ids._PHONE_PREFIX, at the start of each line of a joined text
_PHONE_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$|0?\d{9,11}$)", re.MULTILINE)
_PLUSES = re.compile(r"^\++", re.MULTILINE)


def nfkc_joined(values: list[str]) -> str:
    """The values NFKC-normalised and joined with NUL (normalising a long
    text that is not normalised works on every character: only the values
    that need it are normalised)."""
    joined = _SEP.join(values)
    if unicodedata.is_normalized("NFKC", joined):
        return joined
    return _SEP.join(map(partial(unicodedata.normalize, "NFKC"), values))


def _joined(
    values: list[str], steps: Callable[[str], str], one: Callable[[str], str | None]
) -> list[str | None]:
    parts = steps(nfkc_joined(values)).split(_SEP)
    if len(parts) != len(values) or not values:
        return [one(v) if v else None for v in values]
    return [p or None for p in parts]


def upper(values: list[str]) -> list[str]:
    """``[v.upper() for v in values]``."""
    parts = _SEP.join(values).upper().split(_SEP)
    return parts if len(parts) == len(values) else [v.upper() for v in values]


def addresses(values: list[str]) -> list[str | None]:
    """:func:`~credgraph.ids.normalise_address` of each value ('' → None)."""

    def steps(text: str) -> str:
        return _SPACES.sub("", text).lower()

    return _joined(values, steps, normalise_address)


def emails(values: list[str]) -> list[str | None]:
    """:func:`~credgraph.ids.normalise_email` of each value ('' → None)."""
    parts = nfkc_joined(values).lower().split(_SEP)
    if len(parts) != len(values) or not values:
        return [normalise_email(v) if v else None for v in values]
    return [p.strip() or None if p else None for p in parts]


def phones(values: list[str]) -> list[str | None]:
    """:func:`~credgraph.ids.normalise_phone` of each value ('' → None)."""

    def steps(text: str) -> str:
        digits = _NOT_PHONE.sub("", text)
        # digits, "+" and the separators are left: one value per line
        lines = _PLUSES.sub("", _PHONE_PREFIX.sub("", digits.replace(_SEP, "\n")))
        return lines.replace("\n", _SEP)

    return _joined(values, steps, normalise_phone)
