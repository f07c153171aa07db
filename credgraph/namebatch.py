"""The search keys of many names at once (:func:`credgraph.text.name_keys`
for a whole chunk of a load).

The folded names are joined with NUL into one text, whose code points go
through numpy: each character is turned into what it contributes to each key
(its pair with the next character; a space and its syllable; a space and
its initial), the results are decoded once and split at the NULs. The keys
are those of :func:`~credgraph.text.name_keys`, character for character
(``tests/test_text_keys.py``); only the per-name Python work is gone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]
_SEP, _SPACE = 0, ord(" ")


@lru_cache(maxsize=1)
def _lookup() -> tuple[Array, Array, Array, Array]:
    """Per code point: its syllable's number (-1: none) and its initial (0:
    none); the syllables' code points end to end, each after a space, then a
    NUL (the last "syllable", a name's end), and where each starts and how
    long it is."""
    from credgraph.text import _tables

    tables = _tables()
    size = max(max(tables.pinyin), max(tables.initials)) + 1
    syllables = sorted({v.strip() for v in tables.pinyin.values()})
    number = {s: i for i, s in enumerate(syllables)}
    which = np.full(size, -1, dtype=np.int32)
    for code, value in tables.pinyin.items():
        which[code] = number[value.strip()]
    initial = np.zeros(size, dtype=np.int32)
    for code, value in tables.initials.items():
        initial[code] = ord(value[0])
    pieces = [f" {s}" for s in syllables] + ["\x00"]
    lengths = np.array([len(s) for s in pieces], dtype=np.int32)
    text = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int32)
    return which, initial, text, np.stack((starts, lengths))


def keys_of(folded: list[str]) -> tuple[list[str], list[str | None], list[str]]:
    """grams, pinyin and initials of each folded name (no NUL in them);
    pinyin None for a name with a character without a reading."""
    which, initial, syllables, bounds = _lookup()
    joined = "\x00" + "\x00".join(folded) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le"), np.uint32).astype(np.int32)
    sep = codes == _SEP
    inside = np.minimum(codes, len(which) - 1)
    known = (codes < len(which)) & ~sep
    syllable = np.where(known, which[inside], -1)
    letter = np.where(known, initial[inside], 0)
    count = len(folded)
    grams = _split(_grams(codes, sep), count)
    pinyin: list[str | None] = list(_split(_pinyin(sep, syllable, syllables, bounds), count))
    unread = np.flatnonzero(~sep & (syllable < 0))
    for name in np.unique(np.cumsum(sep)[unread] - 1).tolist():
        pinyin[name] = None
    return grams, pinyin, _split(_initials(codes, sep, letter), count)


def _split(codes: Array, count: int) -> list[str]:
    """The text of ``codes`` (NUL, then each name's part and a NUL) split."""
    text = codes.astype(np.uint32).tobytes().decode("utf-32-le").replace("\x00 ", "\x00")
    parts = text.split("\x00")
    return parts[1 : count + 1]


def _grams(codes: Array, sep: Array) -> Array:
    """Each character: a space, itself, and the next character if the name
    goes on (``" ab bc c"``); each NUL stays."""
    pair = np.zeros(len(codes), dtype=bool)
    pair[:-1] = ~sep[:-1] & ~sep[1:]
    slots = np.stack(
        (
            np.where(sep, _SEP, _SPACE),
            np.where(sep, 0, codes),
            np.where(pair, np.roll(codes, -1), 0),
        ),
        axis=1,
    )
    used = np.stack((np.ones(len(codes), dtype=bool), ~sep, pair), axis=1)
    out: Array = slots[used]
    return out


def _pinyin(sep: Array, syllable: Array, syllables: Array, bounds: Array) -> Array:
    """Each character: a space and its syllable (nothing without one); each
    NUL stays."""
    piece = np.where(sep, bounds.shape[1] - 1, syllable)
    piece = piece[piece >= 0]
    start, length = bounds[0][piece], bounds[1][piece]
    ends = np.cumsum(length)
    at = np.repeat(start - (ends - length), length) + np.arange(ends[-1], dtype=np.int32)
    out: Array = syllables[at]
    return out


def _initials(codes: Array, sep: Array, letter: Array) -> Array:
    """A character with an initial: a space and the initial; each NUL stays."""
    keep = sep | (letter > 0)
    slots = np.stack((np.where(sep, _SEP, _SPACE), letter), axis=1)
    used = np.stack((keep, letter > 0), axis=1)
    out: Array = slots[used]
    return out
