"""The embedded store's search index: contentless FTS5 tables.

Each enterprise and person is one document (``search_docs`` maps its integer
doc id to the node id) with the token strings of
:func:`credgraph.text.name_keys`: ``search_names.grams``
(character pairs of the folded name, so a substring is a phrase),
``search_sounds.pinyin`` (one token per syllable) and
``search_initials.initials`` (one per initial). Documents are written in the
load's own transaction, only for new or renamed nodes, so a reload of the
same data writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import pairwise

from credgraph.model import Batch
from credgraph.store.base import SearchField
from credgraph.text import fold, name_keys, pinyin_readings

# Prefix indexes make typed prefixes read one doclist instead of merging
# thousands: one character for names (华*), one and two letters for pinyin
# (x*, "hua sh*"); initials are never searched by prefix. One table per
# column, as an FTS5 prefix index covers every column of its table.
_FTS = "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5({}, content='', {}tokenize='{}')"
_TOKENIZER = "unicode61 remove_diacritics 0"
FTS_TABLES = (
    _FTS.format("search_names", "grams", "prefix='1', ", _TOKENIZER),
    _FTS.format("search_sounds", "pinyin", "prefix='1 2', ", _TOKENIZER),
    _FTS.format("search_initials", "initials", "", _TOKENIZER),
)
SEARCH_SCHEMA = "".join(
    s + ";\n"
    for s in (
        "CREATE TABLE IF NOT EXISTS search_docs("
        "doc INTEGER PRIMARY KEY, node_id TEXT NOT NULL UNIQUE)",
        *FTS_TABLES,
    )
)
INDEX_VERSION = "5"
#: Each column starts with a marker token, ``ǂ`` + its first token: a match
#: at the start of a name is a phrase that begins with this rare token, so
#: it does not scan every name holding a common word (科技, gong si) for the
#: few that begin with it. ``ǂ`` is a letter to the tokenizer and never
#: appears in a folded name.
MARK = "ǂ"
CHUNK = 20_000

COLUMNS = {"search_names": "grams", "search_sounds": "pinyin", "search_initials": "initials"}
INSERT_DOC = {t: f"INSERT INTO {t}(rowid, {c}) VALUES (?,?)" for t, c in COLUMNS.items()}
DELETE_DOC = {
    t: f"INSERT INTO {t}({t}, rowid, {c}) VALUES ('delete',?,?)" for t, c in COLUMNS.items()
}
MATCH_IDS = {
    table: f"""
SELECT d.node_id FROM {table} f JOIN search_docs d ON d.doc = f.rowid
WHERE {table} MATCH ? ORDER BY f.rowid LIMIT ? OFFSET ?
"""
    for table in COLUMNS
}
ID_PREFIX = {
    table: f"SELECT {key} FROM {table} WHERE {key} >= ? AND {key} < ? ORDER BY {key}"
    for table, key in (("enterprises", "uscc"), ("persons", "person_id"))
}


def _marked(tokens: str) -> str:
    return f"{MARK}{tokens.split(' ', 1)[0]} {tokens}" if tokens else ""


#: one document's column values: marked grams, pinyin and initials
DocKeys = tuple[str, str, str]


@lru_cache(maxsize=1 << 16)
def doc_keys(name: str) -> DocKeys:
    """The three indexed strings of a name (person names repeat a lot: cached).
    A load may compute them in its parsing process and hand them to
    :func:`index_nodes`."""
    keys = name_keys(name)
    return _marked(keys.grams), _marked(keys.pinyin), _marked(keys.initials)


def write_docs(conn: sqlite3.Connection, docs: list[tuple[int, DocKeys]], delete: bool) -> None:
    statements = DELETE_DOC if delete else INSERT_DOC
    for column, table in enumerate(COLUMNS):
        conn.executemany(statements[table], ((d, k[column]) for d, k in docs))


def index_names(conn: sqlite3.Connection, batch: Batch) -> None:
    """Index the new and renamed nodes of ``batch`` (call before the upsert,
    inside its transaction: it reads the names being replaced)."""
    names = {e.uscc: e.name for e in batch.enterprises}
    names.update((p.person_id, p.name) for p in batch.persons)
    if names:
        index_nodes(conn, names)


def index_nodes(
    conn: sqlite3.Connection, names: dict[str, str], keys: Mapping[str, DocKeys] | None = None
) -> None:
    """Index new and renamed nodes (``names``: node id -> name); ``keys``
    holds the :func:`doc_keys` of those names when already computed."""
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
    renamed = [(i, doc, name) for i, (doc, name) in old.items() if name != names[i]]
    _docs(conn, [(doc, name) for _, doc, name in renamed], delete=True)
    _docs(conn, [(doc, names[i]) for i, doc, _ in renamed], delete=False)
    fresh = [i for i in names if i not in old]
    if not fresh:
        return
    first = int(conn.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM search_docs").fetchone()[0])
    conn.executemany(
        "INSERT INTO search_docs(doc, node_id) VALUES (?, ?)",
        ((first + n, node_id) for n, node_id in enumerate(fresh)),
    )
    for start in range(0, len(fresh), CHUNK):  # bounded memory at a million names
        part = enumerate(fresh[start : start + CHUNK], first + start)
        if keys is None:
            docs = [(doc, doc_keys(names[node_id])) for doc, node_id in part]
        else:
            docs = [(doc, keys[node_id]) for doc, node_id in part]
        write_docs(conn, docs, delete=False)


def _docs(conn: sqlite3.Connection, docs: list[tuple[int, str]], delete: bool) -> None:
    """Insert or delete documents by name."""
    for start in range(0, len(docs), CHUNK):
        part = docs[start : start + CHUNK]
        write_docs(conn, [(doc, doc_keys(name)) for doc, name in part], delete)


#: FTS5's default ``automerge`` (merge 4 segments of a level into one)
AUTOMERGE = 4
#: FTS5's default ``hashsize``: pending terms kept in memory before they are
#: written out as a new segment (bytes)
HASHSIZE = 1 << 20
#: ``hashsize`` during a bulk fill: fewer, bigger segments to merge (at
#: most three times this much memory, one per table)
BULK_HASHSIZE = 64 << 20


def pause_merging(conn: sqlite3.Connection) -> None:
    """For a bulk fill of an empty index: no incremental merges of segments
    while millions of documents go in, and bigger segments
    (:func:`merge_all` merges once at the end and restores the defaults)."""
    for table in COLUMNS:
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {BULK_HASHSIZE})")


def merge_all(conn: sqlite3.Connection) -> None:
    """End of a bulk fill: every table's segments merged into one, then the
    default merging and segment size again."""
    for table in COLUMNS:
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', {AUTOMERGE})")
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {HASHSIZE})")


def search_index_current(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'search_index'").fetchone()
    return row is not None and row[0] == INDEX_VERSION


def ensure_index(conn: sqlite3.Connection) -> None:
    """Build the index of a store written before it existed (inside a write)."""
    if search_index_current(conn):
        return
    conn.execute("DELETE FROM search_docs")
    for table in ("search_fts", *COLUMNS):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in FTS_TABLES:
        conn.execute(statement)
    names = dict(conn.execute("SELECT uscc, name FROM enterprises"))
    names.update(conn.execute("SELECT person_id, name FROM persons"))
    if names:
        index_nodes(conn, names)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('search_index', ?)", (INDEX_VERSION,))


def _phrase(tokens: Iterable[str], prefix: bool = False) -> str:
    # tokens are folded letters and digits: nothing in them needs escaping
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def _tokens_phrase(tokens: list[str], start: bool, prefix: bool) -> str:
    """A phrase of ``tokens`` (the last one a prefix with ``prefix``); with
    ``start`` it must begin the column: behind the marker of its first token."""
    if start:
        if len(tokens) == 1 and prefix:
            return _phrase([MARK + tokens[0]], prefix=True)
        tokens = [MARK + tokens[0], *tokens]
    return _phrase(tokens, prefix=prefix)


def match_expression(query: str, field: SearchField, start: bool) -> tuple[str, str] | None:
    """The FTS5 table and expression for one field, or None when nothing can match."""
    text = fold(query)
    if not text or MARK in text:
        return None
    if field is SearchField.NAME:
        if len(text) == 1:
            return "search_names", f"grams : {_tokens_phrase([text], start, prefix=True)}"
        grams = [a + b for a, b in pairwise(text)]
        return "search_names", f"grams : {_tokens_phrase(grams, start, prefix=False)}"
    if field is SearchField.PINYIN:
        found = pinyin_readings(text)
        if not found.readings:
            return None
        phrases = (_tokens_phrase(r, start, prefix=found.partial) for r in found.readings)
        return "search_sounds", "pinyin : (" + " OR ".join(phrases) + ")"
    if field is SearchField.INITIALS:
        if not (text.isascii() and text.isalnum()):
            return None
        return "search_initials", f"initials : {_tokens_phrase(list(text), start, prefix=False)}"
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
        return _id_prefix(conn, query.strip().upper(), limit, offset)
    found = match_expression(query, field, start)
    if found is None:
        return []
    table, expression = found
    return [r[0] for r in conn.execute(MATCH_IDS[table], (expression, limit, offset))]


def _id_prefix(conn: sqlite3.Connection, prefix: str, limit: int, offset: int) -> list[str]:
    """Enterprises then persons whose id starts with ``prefix``, each in id
    order, read along the primary keys (no sort of all matches)."""
    if not prefix:
        return []
    bounds = (prefix, prefix + "\uffff")
    firms = conn.execute(ID_PREFIX["enterprises"] + " LIMIT ? OFFSET ?", (*bounds, limit, offset))
    out = [r[0] for r in firms]
    if len(out) == limit:
        return out
    # how many enterprises the offset went past (all of them when some were left)
    if out:
        passed = offset
    else:
        passed = conn.execute(
            f"SELECT COUNT(*) FROM ({ID_PREFIX['enterprises']} LIMIT ?)", (*bounds, offset)
        ).fetchone()[0]
    persons = conn.execute(
        ID_PREFIX["persons"] + " LIMIT ? OFFSET ?", (*bounds, limit - len(out), offset - passed)
    )
    return out + [r[0] for r in persons]
