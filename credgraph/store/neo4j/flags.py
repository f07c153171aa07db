"""``save_flags`` on Neo4j: a new run of flag versions (``cypher.flags``).

Only flags that changed are written (a changed or vanished flag's version is
ended, a new or changed one gets a version in the new run), each kind in
transactions of ``CHUNK`` rows; the run becomes visible in one small
transaction at the end, with the change feed's flag and verdict events
(``FlagFeed``, computed from the flags read and written). Readers see the
previous run until then.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from typing import Any

from neo4j import Record

from credgraph.model import Flag
from credgraph.store.base import FlagDiff, StoreError
from credgraph.store.feed import FlagFeed, NewEvent, flag_events
from credgraph.store.neo4j import feed, records
from credgraph.store.neo4j.cypher import flags as cypher
from credgraph.store.neo4j.loading import CHUNK, Tx, chunks
from credgraph.store.shared import flag_difference, unique

Key = tuple[str, str, str]
#: Runs one managed (retried) write transaction.
RunWrite = Callable[[Callable[[Tx], Any]], Any]
#: Runs one read statement with parameters.
Read = Callable[..., list[Record]]

#: Versions deleted or reopened per clean-up transaction.
CLEAN_LIMIT = 10000


def save_flags(
    run_write: RunWrite,
    read: Read,
    as_of: date,
    generation: int,
    flags: Sequence[Flag],
    replace_entries: Collection[str] | None,
    policy_key: str,
    flag_feed: FlagFeed | None = None,
) -> FlagDiff:
    # one flag per (subject_id, flag, entry_id): the last one wins
    rows: dict[Key, dict[str, Any]] = {}
    for f in flags:
        row = records.flag_row(f)
        rows[(row["subject_id"], row["flag"], row["entry_id"])] = row

    record = run_write(lambda tx: tx.run(cypher.BEGIN_FLAG_RUN).single(strict=True))
    run, current = int(record["run"]), int(record["current"])
    for statement in (cypher.DROP_UNFINISHED_FLAGS, cypher.REOPEN_FLAGS, cypher.DROP_ENDED_FLAGS):
        _clean(run_write, statement, current)

    stored = dict(_current(read, replace_entries))
    written: dict[Key, str] = {key: str(row["data"]) for key, row in rows.items()}
    added, changed, removed = flag_difference(stored, written)
    ended = [list(key) for key in (*removed, *changed)]
    created = [rows[key] for key in (*added, *changed)]
    events = [] if flag_feed is None else _events(read, flag_feed, stored, written, replace_entries)
    for keys in chunks(ended):
        run_write(_in_run(run, cypher.END_FLAGS, {"keys": keys, "run": run}))
    for chunk in chunks(created):
        run_write(_in_run(run, cypher.CREATE_FLAGS, {"rows": chunk, "run": run}))
    params = {
        "run": run,
        "as_of": as_of.isoformat(),
        "generation": generation,
        "policy_key": policy_key,
    }

    def commit(tx: Tx) -> Record | None:
        record = tx.run(cypher.COMMIT_FLAG_RUN, params).single()
        if record is not None:
            feed.FeedWriter(tx).append(events)
        return record

    committed = run_write(commit)
    if committed is None:
        raise StoreError("materialised flags: a later propagation began before this one ended")
    return FlagDiff(added, removed)


def _events(
    read: Read,
    flag_feed: FlagFeed,
    stored: dict[Key, str],
    new: dict[Key, str],
    replace_entries: Collection[str] | None,
) -> list[NewEvent]:
    """The feed's events of replacing ``stored`` by ``new`` (the flags' JSON
    by key; ``flag_events``); a save of some entries reads the other flags
    of its subjects (kept)."""
    kept: list[tuple[Key, str]] = []
    if replace_entries is not None:
        subjects = unique(k[0] for k in stored.keys() ^ new.keys())
        scope = set(replace_entries)
        for ids in chunks(subjects, CHUNK):
            for r in read(cypher.CURRENT_SUBJECT_FLAGS, subject_ids=ids):
                if r["entry_id"] not in scope:
                    kept.append(((r["subject_id"], r["flag"], r["entry_id"]), r["data"]))
    return flag_events(flag_feed, stored, new, kept)


def _clean(run_write: RunWrite, statement: str, current: int) -> None:
    params = {"current": current, "limit": CLEAN_LIMIT}
    while run_write(lambda tx: tx.run(statement, params).single(strict=True)["done"]):
        pass


def _current(read: Read, replace_entries: Collection[str] | None) -> Iterator[tuple[Key, str]]:
    """(key, data) of the visible flags a save replaces."""
    if replace_entries is None:
        found = read(cypher.CURRENT_FLAGS)
    else:
        found = []
        for ids in chunks(unique(replace_entries), CHUNK):
            found.extend(read(cypher.CURRENT_ENTRY_FLAGS, entry_ids=ids))
    for r in found:
        yield (r["subject_id"], r["flag"], r["entry_id"]), r["data"]


def _in_run(run: int, statement: str, params: dict[str, Any]) -> Callable[[Tx], None]:
    """A write of run ``run``, refused once a later save has begun."""

    def work(tx: Tx) -> None:
        if tx.run(cypher.LOCK_FLAG_RUN, {"run": run}).single() is None:
            raise StoreError("materialised flags: a later propagation began before this one ended")
        tx.run(statement, params).consume()

    return work
