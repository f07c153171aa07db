"""The embedded store's search index: one contentless FTS5 table.

Each enterprise and person is one document (``search_docs`` maps its integer
doc id to the node id) with three token columns from
:func:`credgraph.store.search_index.name_keys`: ``grams`` (character pairs of
the folded name, so a substring is a phrase), ``pinyin`` (one token per
syllable) and ``initials`` (one token per initial). Documents are written in
the load's own transaction, only for new or renamed nodes, so a reload of the
same data writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from credgraph.model import Batch
from credgraph.store.base import SearchField
from credgraph.store.search_index import fold, name_keys, pinyin_readings

# prefix='1': one-character prefix queries (华*, typed pinyin "x") read one
# doclist instead of merging thousands
FTS_TABLE = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    grams, pinyin, initials, content='', prefix='1',
    tokenize='unicode61 remove_diacritics 0');
"""
SEARCH_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_docs(doc INTEGER PRIMARY KEY, node_id TEXT NOT NULL UNIQUE);"
    + FTS_TABLE
)
INDEX_VERSION = "2"

INSERT_DOC = "INSERT INTO search_fts(rowid, grams, pinyin, initials) VALUES (?,?,?,?)"
DELETE_DOC = (
    "INSERT INTO search_fts(search_fts, rowid, grams, pinyin, initials) VALUES ('delete',?,?,?,?)"
)
MATCH_IDS = """
SELECT d.node_id FROM search_fts f JOIN search_docs d ON d.doc = f.rowid
WHERE search_fts MATCH ? ORDER BY f.rowid LIMIT ? OFFSET ?
"""
ID_PREFIX = """
SELECT id FROM (
  SELECT uscc AS id, 0 AS part FROM enterprises WHERE uscc >= ?1 AND uscc < ?2
  UNION ALL
  SELECT person_id, 1 FROM persons WHERE person_id >= ?1 AND person_id < ?2)
ORDER BY part, id LIMIT ?3 OFFSET ?4
"""


def _keys(name: str) -> tuple[str, str, str]:
    k = name_keys(name)
    return k.grams, k.pinyin, k.initials


def index_names(conn: sqlite3.Connection, batch: Batch) -> None:
    """Index the new and renamed nodes of ``batch`` (call before the upsert,
    inside its transaction: it reads the names being replaced)."""
    names = {e.uscc: e.name for e in batch.enterprises}
    names.update((p.person_id, p.name) for p in batch.persons)
    if names:
        index_nodes(conn, names)


def index_nodes(conn: sqlite3.Connection, names: dict[str, str]) -> None:
    old: dict[str, tuple[int, str]] = {}
    empty = conn.execute("SELECT 1 FROM search_docs LIMIT 1").fetchone() is None
    param = "[]" if empty else json.dumps(list(names), ensure_ascii=False)
    for node_id, doc, name in conn.execute(
        "SELECT d.node_id, d.doc, COALESCE(e.name, p.name) FROM search_docs d "
        "LEFT JOIN enterprises e ON e.uscc = d.node_id "
        "LEFT JOIN persons p ON p.person_id = d.node_id "
        "WHERE d.node_id IN (SELECT value FROM json_each(?))",
        (param,),
    ):
        old[node_id] = (doc, name or "")
    renamed = [(doc, name, names[i]) for i, (doc, name) in old.items() if name != names[i]]
    conn.executemany(DELETE_DOC, ((doc, *_keys(name)) for doc, name, _ in renamed))
    conn.executemany(INSERT_DOC, ((doc, *_keys(new)) for doc, _, new in renamed))
    fresh = [i for i in names if i not in old]
    if not fresh:
        return
    first = int(conn.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM search_docs").fetchone()[0])
    conn.executemany(
        "INSERT INTO search_docs(doc, node_id) VALUES (?, ?)",
        ((first + n, node_id) for n, node_id in enumerate(fresh)),
    )
    conn.executemany(
        INSERT_DOC, ((first + n, *_keys(names[node_id])) for n, node_id in enumerate(fresh))
    )


def search_index_current(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'search_index'").fetchone()
    return row is not None and row[0] == INDEX_VERSION


def ensure_index(conn: sqlite3.Connection) -> None:
    """Build the index of a store written before it existed (inside a write)."""
    if search_index_current(conn):
        return
    conn.execute("DELETE FROM search_docs")
    conn.execute("DROP TABLE IF EXISTS search_fts")
    conn.execute(FTS_TABLE)
    names = dict(conn.execute("SELECT uscc, name FROM enterprises"))
    names.update(conn.execute("SELECT person_id, name FROM persons"))
    if names:
        index_nodes(conn, names)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('search_index', ?)", (INDEX_VERSION,))


def _phrase(tokens: Iterable[str], prefix: bool = False) -> str:
    # tokens are folded letters and digits: nothing in them needs escaping
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def match_expression(query: str, field: SearchField, start: bool) -> str | None:
    """The FTS5 expression for one field, or None when nothing can match."""
    text = fold(query)
    anchor = "^ " if start else ""
    if not text:
        return None
    if field is SearchField.NAME:
        if len(text) == 1:
            return f"grams : {anchor}{_phrase([text], prefix=True)}"
        return f"grams : {anchor}{_phrase(map(str.__add__, text, text[1:]))}"
    if field is SearchField.PINYIN:
        found = pinyin_readings(text)
        if not found.readings:
            return None
        phrases = (anchor + _phrase(r, prefix=found.partial) for r in found.readings)
        return "pinyin : (" + " OR ".join(phrases) + ")"
    if field is SearchField.INITIALS:
        if not (text.isascii() and text.isalnum()):
            return None
        return f"initials : {anchor}{_phrase(text)}"
    raise ValueError(f"no FTS column for {field}")


def search_ids(
    conn: sqlite3.Connection,
    query: str,
    field: SearchField,
    start: bool,
    limit: int,
    offset: int,
) -> list[str]:
    """Node ids matching ``query`` on ``field``, in index order."""
    if field is SearchField.ID:
        prefix = query.strip().upper()
        if not prefix:
            return []
        return [r[0] for r in conn.execute(ID_PREFIX, (prefix, prefix + "\uffff", limit, offset))]
    expression = match_expression(query, field, start)
    if expression is None:
        return []
    return [r[0] for r in conn.execute(MATCH_IDS, (expression, limit, offset))]
