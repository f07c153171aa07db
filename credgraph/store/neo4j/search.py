"""Search on Neo4j: the name keys stored on nodes and what a query must match.

``GraphStore.search`` semantics (``SearchField``) on the keys that
``search_keys`` stores with every node, each behind a text index.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable

from neo4j import Record

from credgraph.store.base import SearchField
from credgraph.store.neo4j.cypher import reads
from credgraph.store.shared import merge_lookups
from credgraph.text import fold, name_keys, pinyin_readings

SEARCH_FIELDS = {
    SearchField.NAME: reads.SEARCH_NAME_KEYS,
    SearchField.PINYIN: reads.SEARCH_PINYIN,
    SearchField.INITIALS: reads.SEARCH_INITIALS,
}

# SQLite's LIKE folds ASCII letters only: so does the name search here.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

Reader = Callable[..., list[Record]]


def ascii_fold(text: str) -> str:
    """``text`` with ASCII letters lower-cased (the plain search's name key).

    >>> ascii_fold("ACME 科技 Ltd")
    'acme 科技 ltd'
    """
    return text.translate(_ASCII_LOWER)


def search_keys(name: str) -> dict[str, str]:
    """The search properties of a node named ``name`` (see ``cypher``).

    >>> search_keys("北京 ACME")["search_initials"]
    '^ b j a c m e '
    """
    keys = name_keys(name)
    return {
        "name_fold": ascii_fold(name),
        "search_name": "^" + keys.folded,
        "search_pinyin": "^ " + keys.pinyin + " ",
        "search_initials": "^ " + keys.initials + " ",
    }


def search_needles(query: str, field: SearchField, start: bool) -> list[str]:
    """What a search key must contain to match ``query`` on ``field`` (any
    one of them): the meaning of ``SearchField``, on the keys above.

    >>> search_needles("Xian", SearchField.PINYIN, start=True)
    ['^ xian ', '^ xi an ']
    >>> search_needles("huash", SearchField.PINYIN, start=False)
    [' hua sh', ' hu a sh']
    """
    text = fold(query)
    if not text:
        return []
    mark = "^" if start else ""
    if field is SearchField.NAME:
        return [mark + text]
    if field is SearchField.PINYIN:
        found = pinyin_readings(text)
        end = "" if found.partial else " "  # a partial reading's last syllable is a prefix
        return [f"{mark} " + " ".join(reading) + end for reading in found.readings]
    if field is SearchField.INITIALS and text.isascii() and text.isalnum():
        return [f"{mark} " + " ".join(text) + " "]
    return []


def search_ids(
    read: Reader, query: str, limit: int, offset: int, field: SearchField | None, start: bool
) -> list[str]:
    """Ids of the nodes matching ``query``, in the order ``GraphStore.search``
    promises, ``offset`` skipped; ``read(statement, **params)`` runs a read."""
    window = limit + offset  # each statement returns the first ``window`` hits
    if limit <= 0:
        return []
    ids: list[str] = []
    if field is None:
        q = query.strip()
        if not q:
            return []

        def lookup(statement: str, **params: str) -> Callable[[int], Iterable[str]]:
            return lambda n: (r["id"] for r in read(statement, **params, limit=n))

        by_id, by_name = {"prefix": q.upper()}, {"needle": ascii_fold(q)}
        ids = merge_lookups(
            [
                lookup(reads.SEARCH_ENTERPRISE_IDS, **by_id),
                lookup(reads.SEARCH_PERSON_IDS, **by_id),
                lookup(reads.SEARCH_ENTERPRISE_NAMES, **by_name),
                lookup(reads.SEARCH_PERSON_NAMES, **by_name),
            ],
            window,
        )
    elif field is SearchField.ID:
        prefix = query.strip().upper()
        if not prefix:
            return []
        for statement in (reads.SEARCH_ENTERPRISE_IDS, reads.SEARCH_PERSON_IDS):
            ids.extend(r["id"] for r in read(statement, prefix=prefix, limit=window))
    else:
        # hits in the order the nodes were first written (GraphStore.search)
        docs: dict[str, int] = {}
        for needle in search_needles(query, field, start):
            for r in read(SEARCH_FIELDS[field], needle=needle, limit=window):
                docs[r["id"]] = r["doc"]
        ids = sorted(docs, key=lambda i: (docs[i] is None, docs[i] or 0, i))
    return ids[offset:window]
