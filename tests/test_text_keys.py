"""The search keys of a name are those of the plain definition: folded =
NFKC, lower case, letters and digits; grams = character pairs and the last
character; pinyin and initials = the tokens of the per-character readings
(the keys are computed faster than that, for a million names per load)."""

from __future__ import annotations

import re
import unicodedata
from operator import add

from hypothesis import example, given, settings
from hypothesis import strategies as st

from credgraph.text import _tables, fold, name_keys, remember_name_keys

NOT_ALNUM = re.compile(r"[\W_]+")


def reference(name: str) -> tuple[str, str, str, str]:
    tables = _tables()
    folded = NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name).lower())
    grams = " ".join([*map(add, folded, folded[1:]), folded[-1:]]).strip()
    pinyin = " ".join(folded.translate(tables.pinyin).split())
    initials = " ".join(
        tables.pinyin[ord(c)].strip()[0] if ord(c) in tables.pinyin else c
        for c in folded
        if ord(c) in tables.pinyin or c in LATIN
    )
    return folded, grams, pinyin, initials


LATIN = set("abcdefghijklmnopqrstuvwxyz0123456789")


CHARS = st.sampled_from(
    [
        *"王晓明华盛电子（科技）有限公司〇𠀀丨_- .,AbcXYZ019ÉéＡ１ǅΣσßİ",
        *("\u0301", "\u3000", "\uf900", "\u2163", "嗯", "呣", "\x00"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(CHARS, max_size=12), st.text(max_size=8)))
@example("东莞市华盛电子（科技）有限公司")
@example("ACME（北京）Trading_Co. 100%")
@example("")
def test_name_keys_are_the_plain_definition(name: str) -> None:
    keys = name_keys(name)
    assert (keys.folded, keys.grams, keys.pinyin, keys.initials) == reference(name)
    assert keys.folded == fold(name)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(CHARS, max_size=12), st.text(max_size=8)), max_size=12))
@example(["东莞市华盛电子（科技）有限公司", "", "ACME北京", "王晓明", "王晓明", "丨"])
def test_keys_of_many_names_at_once_are_the_same(names: list[str]) -> None:
    remember_name_keys(names)
    try:
        for name in names:
            keys = name_keys(name)
            assert (keys.folded, keys.grams, keys.pinyin, keys.initials) == reference(name)
    finally:
        remember_name_keys([])
