"""Name folding: folded text, pinyin syllables and pinyin initials of names.

Domain text that the queries (ranking a search), the stores (their search
indexes) and the loader use alike, so it lives in the core: every backend
keys names with :func:`name_keys`, so ``GraphStore.search`` means the same
thing everywhere. The pinyin of a character is the first (most common) reading in
pypinyin's own per-character dictionary, tone marks dropped and ``ü`` written
``v`` (pypinyin's ``NORMAL`` style). The dictionary is turned into two
``str.translate`` tables once, so keying a million names never calls
pypinyin per name.

>>> keys = name_keys("东莞市华盛电子（科技）有限公司")
>>> keys.folded
'东莞市华盛电子科技有限公司'
>>> keys.pinyin
'dong guan shi hua sheng dian zi ke ji you xian gong si'
>>> keys.initials
'd g s h s d z k j y x g s'
>>> pinyin_readings("huasheng").readings
[['hua', 'sheng'], ['hu', 'a', 'sheng']]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import add
from typing import NamedTuple

#: Syllables without a vowel (interjections such as 嗯 ``n``, 呣 ``m``) are
#: not used to split a typed pinyin query: they would split almost anything.
_MIN_SYLLABLE_VOWELS = frozenset("aeiouv")
MAX_SEGMENTATIONS = 8
_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_ALNUM_NOR_NUL = re.compile(r"[^\w\x00]+|_+")


def fold(text: str) -> str:
    """NFKC, lower-cased, letters and digits only (CJK included).

    >>> fold(" ACME（北京）Trading_Co. 100% ")
    'acme北京tradingco100'
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    # ``isalnum`` is the regular expression's ``\w`` without ``_``: a name
    # with nothing to drop (most of them) skips the substitution
    return folded if folded.isalnum() else _NOT_ALNUM.sub("", folded)


def _plain(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Dropping(dict[int, str]):
    """A translate table deleting every character it does not map."""

    def __missing__(self, key: int) -> None:
        return None


@dataclass(frozen=True)
class _Tables:
    #: character → `` syllable `` (spaces either side)
    pinyin: dict[int, str]
    #: the same as ``syllable `` (a space after it)
    pinyin_after: dict[int, str]
    #: character → ``initial `` (a space after it); other characters dropped
    initials: dict[int, str]
    syllables: frozenset[str]
    prefixes: frozenset[str]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    from pypinyin.pinyin_dict import pinyin_dict

    pinyin: dict[int, str] = {}
    initials: dict[int, str] = _Dropping()
    for code, readings in pinyin_dict.items():
        syllable = _plain(readings.split(",", 1)[0])
        if syllable.isascii() and syllable.isalpha():
            pinyin[code] = f" {syllable} "
            initials[code] = f"{syllable[0]} "
    # latin letters and digits stand for themselves in the initials (ACME → a c m e)
    for letter in "abcdefghijklmnopqrstuvwxyz0123456789":
        initials[ord(letter)] = f"{letter} "
    syllables = frozenset(
        s.strip() for s in pinyin.values() if _MIN_SYLLABLE_VOWELS & set(s.strip())
    )
    prefixes = frozenset(s[:i] for s in syllables for i in range(1, len(s) + 1))
    after = {code: value[1:] for code, value in pinyin.items()}
    return _Tables(pinyin, after, initials, syllables, prefixes)


class NameKeys(NamedTuple):
    """Search keys of one name; each key is a space-separated token string
    (a named tuple: a million of them are made in a load)."""

    folded: str
    grams: str
    pinyin: str
    initials: str


#: keys worked out by :func:`remember_name_keys` (name -> keys)
_remembered: dict[str, NameKeys] = {}
#: names keyed together at most (bounds the memory of the numpy work)
BATCH = 16_384


def remember_name_keys(names: Iterable[str]) -> None:
    """Work out the keys of many names at once (a chunk of a load, with
    numpy: :mod:`credgraph.namebatch`); until the next call,
    :func:`name_keys` answers these names from memory."""
    global _remembered
    from credgraph.namebatch import keys_of

    distinct = list(dict.fromkeys(names))
    folded = _fold_all(distinct)
    known: dict[str, NameKeys] = {}
    for start in range(0, len(distinct), BATCH):
        part = folded[start : start + BATCH]
        grams, read, initials = keys_of(part)
        pinyin = [
            " ".join(part[i].translate(_tables().pinyin).split()) if p is None else p
            for i, p in enumerate(read)  # None: a character without a reading
        ]
        keys = map(NameKeys, part, grams, pinyin, initials)
        known.update(zip(distinct[start : start + BATCH], keys, strict=True))
    _remembered = known


def _fold_all(names: list[str]) -> list[str]:
    """:func:`fold` of each name: normalised, lower-cased and stripped of
    what is not a letter or digit joined by NUL (no step makes, drops or
    reaches across a NUL)."""
    joined = "\x00".join(names)
    if not unicodedata.is_normalized("NFKC", joined):
        # normalising a long text that is not normalised works on every
        # character: only the names that need it are normalised
        joined = "\x00".join(map(_nfkc, names))
    parts = _NOT_ALNUM_NOR_NUL.sub("", joined.lower()).split("\x00")
    return parts if len(parts) == len(names) else list(map(fold, names))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def name_keys(name: str) -> NameKeys:
    """The keys under which ``name`` is found (see the module docstring).

    ``grams`` are the overlapping character pairs of the folded name plus its
    last character, so that a substring of the name is a run of consecutive
    grams (a phrase) whatever its script.
    """
    keys = _remembered.get(name)
    if keys is not None:
        return keys
    tables = _tables()
    folded = fold(name)  # letters and digits only: no spaces
    grams = " ".join([*map(add, folded, folded[1:]), folded[-1:]])
    # each character with a reading becomes "syllable ": when all have one
    # (as in most names) the key is that less its last space
    pinyin = folded.translate(tables.pinyin_after)
    if pinyin.count(" ") == len(folded):
        pinyin = pinyin[:-1]
    else:  # others stay as they are, between the syllables
        pinyin = " ".join(folded.translate(tables.pinyin).split())
    initials = folded.translate(tables.initials)[:-1]  # "a b c "; others dropped
    return NameKeys(folded, grams, pinyin, initials)


def to_pinyin(text: str) -> str:
    """Syllables of ``text`` concatenated (characters without pinyin kept).

    >>> to_pinyin("王晓明")
    'wangxiaoming'
    """
    return "".join(fold(text).translate(_tables().pinyin).split())


def to_initials(text: str) -> str:
    """Pinyin initials of ``text`` concatenated.

    >>> to_initials("王晓明")
    'wxm'
    """
    return name_keys(text).initials.replace(" ", "")


def is_pinyin_syllable(text: str) -> bool:
    return text in _tables().syllables


@dataclass(frozen=True)
class PinyinReadings:
    """Ways to read typed letters as syllables; with ``partial`` the last
    syllable of each reading is incomplete (a prefix of a syllable)."""

    readings: list[list[str]]
    partial: bool


def pinyin_readings(text: str, limit: int = MAX_SEGMENTATIONS) -> PinyinReadings:
    """Ways to read lower-case letters as pinyin syllables, fewest first.

    Readings made of whole syllables win; only when there is none may the
    last syllable be incomplete (the user is still typing). At most
    ``limit`` readings.

    >>> pinyin_readings("xian")
    PinyinReadings(readings=[['xian'], ['xi', 'an']], partial=False)
    >>> pinyin_readings("huash")
    PinyinReadings(readings=[['hua', 'sh'], ['hu', 'a', 'sh']], partial=True)
    >>> pinyin_readings("qz").readings
    []
    """
    tables = _tables()
    if not text or not text.isascii() or not text.isalpha():
        return PinyinReadings([], False)
    found: list[list[str]] = []

    @cache
    def can_finish(start: int) -> bool:
        if text[start:] in tables.prefixes:
            return True
        return any(
            text[start:end] in tables.syllables and can_finish(end)
            for end in range(start + 1, min(start + 7, len(text)))
        )

    def walk(start: int, parts: list[str]) -> None:
        if len(found) >= limit * 4:
            return
        rest = text[start:]
        if rest in tables.prefixes:
            found.append([*parts, rest])
        for end in range(min(start + 6, len(text) - 1), start, -1):
            head = text[start:end]
            if head in tables.syllables and can_finish(end):
                walk(end, [*parts, head])

    walk(0, [])
    whole = [r for r in found if r[-1] in tables.syllables]
    chosen = whole or found
    chosen.sort(key=len)
    return PinyinReadings(chosen[:limit], partial=bool(chosen) and not whole)
