"""The search index of a brand-new store, built by a process of its own.

A load that builds a new store (``newstore.py``) and parses in a second
process (``graph_loader/pipeline.py``) starts a third one for the search
index: the parsing process hands it each chunk's node ids and names in the
load's order (:meth:`SearchBuild.send`), and it writes the documents into a
staging file beside the scratch file with exactly the statements the writer
would have run (:func:`credgraph.store.sqlite.fts.index_nodes` on a store
empty before the load: same document ids, same segments, one merge). The
writer — relieved of the search keys, ``search_docs`` and the FTS5 tables,
about a third of its SQLite work — copies the finished tables in after the
load's commit with ``INSERT … SELECT`` between attached files (SQLite
copies the records without decoding them), before the store is moved into
place. FTS5 keeps a table's segment structure per connection, so the copy
is the writer's last use of the search tables on that connection.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from credgraph.store.sqlite.fts import (
    CHUNK,
    COLUMNS,
    SEARCH_SCHEMA,
    doc_keys,
    merge_all,
    pause_merging,
    write_docs,
)
from credgraph.store.sqlite.schema import CACHE_KIB

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: the index's own tables: the document map and the FTS5 shadow tables
#: (contentless: no ``_content``)
TABLES = (
    "search_docs",
    *(f"{table}_{part}" for table in COLUMNS for part in ("data", "idx", "docsize", "config")),
)
#: how long the writer waits for the builder to exit once it has answered (s)
JOIN_SECONDS = 10


class SearchBuildFailed(RuntimeError):
    """The search index's process ended without finishing the index."""


class SearchBuild:
    """The builder process and its pipes. Create it in the writer before
    the parsing process is forked; that process calls :meth:`send` and
    :meth:`end`; the writer calls :meth:`forked` once the parsing process
    runs, :meth:`copy_into` after its commit and :meth:`stop` in any case."""

    def __init__(self, staging: Path) -> None:
        import multiprocessing  # only a big load starts processes

        self.staging = staging
        context = multiprocessing.get_context("fork")
        self._docs, self._sender = context.Pipe(duplex=False)
        self._answer, answer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve,
            args=(self._docs, self._sender, answer, str(staging)),
            name="credgraph-search",
            daemon=True,
        )
        self.process.start()
        self._docs.close()
        answer.close()

    # -- in the parsing process ------------------------------------------------
    def send(self, persons: bool, ids: list[str], names: list[str]) -> None:
        """One chunk's new nodes (kept rows, in file order)."""
        if ids:
            self._sender.send((persons, ids, names))

    def end(self) -> None:
        self._sender.send(None)
        self._sender.close()

    # -- in the writer -----------------------------------------------------------
    def forked(self) -> None:
        """The parsing process has its copy of the sending end: the writer's
        goes, so that the builder sees the end of input if that process dies."""
        self._sender.close()

    def copy_into(self, conn: sqlite3.Connection) -> None:
        """Wait for the finished index and copy it into the (empty) search
        tables of ``conn``'s main database, outside any transaction."""
        try:
            answer = self._answer.recv()
        except EOFError:
            answer = f"exit code {self.process.exitcode}"
        self.process.join(JOIN_SECONDS)
        if answer != "done":
            raise SearchBuildFailed(f"the search index's process failed: {answer}")
        conn.execute("ATTACH DATABASE ? AS staged", (str(self.staging),))
        try:
            conn.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                conn.execute(f"DELETE FROM main.{table}")
                conn.execute(f"INSERT INTO main.{table} SELECT * FROM staged.{table}")
            conn.execute("COMMIT")
        finally:
            conn.execute("DETACH DATABASE staged")

    def stop(self) -> None:
        """End the builder if it still runs and remove its staging file."""
        for pipe in (self._sender, self._answer):
            pipe.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.staging}{suffix}").unlink(missing_ok=True)


def _serve(docs: Connection, sender: Connection, answer: Connection, path: str) -> None:
    """The builder process: documents in, ``"done"`` (or the error) out."""
    sender.close()
    try:
        _build(docs, path)
        answer.send("done")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            answer.send(f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _received(docs: Connection) -> Iterator[tuple[bool, list[str], list[str]]]:
    while (item := docs.recv()) is not None:
        yield item


def _build(docs: Connection, path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA cache_size={CACHE_KIB}")  # search_docs' id index grows at random
    conn.execute("BEGIN IMMEDIATE")
    for statement in SEARCH_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    pause_merging(conn)
    #: enterprises' names, for a person whose id is also an enterprise's
    names: dict[str, str] = {}
    first = 1
    for persons, ids, chunk in _received(docs):
        if persons:
            first = _persons(conn, first, ids, chunk, names)
        else:
            names.update(zip(ids, chunk, strict=True))
            first = _fresh(conn, first, ids, chunk)
    merge_all(conn)
    conn.execute("COMMIT")
    conn.close()


def _persons(
    conn: sqlite3.Connection, first: int, ids: list[str], chunk: list[str], names: dict[str, str]
) -> int:
    """A persons chunk as ``index_nodes`` writes it: an id already indexed
    as an enterprise keeps its document, renamed when the names differ."""
    if names.keys().isdisjoint(ids):
        return _fresh(conn, first, ids, chunk)
    known = {i: n for i, n in zip(ids, chunk, strict=True) if i in names}
    docs = dict(conn.execute("SELECT node_id, doc FROM search_docs"))
    # in node id order, as ``index_nodes`` reads them through the id index
    renamed = [(docs[i], names[i], n) for i, n in sorted(known.items()) if n != names[i]]
    for delete, which in ((True, 1), (False, 2)):
        for start in range(0, len(renamed), CHUNK):
            write_docs(
                conn, [(r[0], doc_keys(r[which])) for r in renamed[start : start + CHUNK]], delete
            )
    fresh = [(i, n) for i, n in zip(ids, chunk, strict=True) if i not in known]
    return _fresh(conn, first, [i for i, _ in fresh], [n for _, n in fresh])


def _fresh(conn: sqlite3.Connection, first: int, ids: list[str], chunk: list[str]) -> int:
    """New documents numbered from ``first``; the next free number."""
    if not ids:
        return first
    conn.executemany("INSERT INTO search_docs(doc, node_id) VALUES (?, ?)", enumerate(ids, first))
    for start in range(0, len(ids), CHUNK):
        part = chunk[start : start + CHUNK]
        write_docs(
            conn, [(first + start + n, doc_keys(name)) for n, name in enumerate(part)], False
        )
    return first + len(ids)
