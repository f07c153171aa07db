"""The change feed of CSV loads through the loader (embedded store).

A big first load parses in a forked second process (``graph_loader.pipeline``)
and writes plain rows into an empty store; its ``relation_added`` events are
then written set-based at the end (``credgraph.store.sqlite.feed.BulkFeed``).
Whichever way, the feed must hold exactly what a row-by-row load records.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from credgraph.model import NodeKind
from credgraph.store.feed import ChangeEvent, ChangeKind
from credgraph.store.sqlite import EmbeddedStore
from credgraph.store.sqlite.feed import BULK_RELATIONS
from graph_loader import load as loader
from graph_loader import load_folder
from graph_loader.sample import generate_sample


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample whose relations file is one chunk above ``BULK_RELATIONS``."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, 3000, seed=7)
    return out


def recorded(events: list[ChangeEvent]) -> list[tuple[str, str, str | None, str | None, str]]:
    """What an event says, without its seq and time (sorted)."""
    return sorted(
        (e.kind.value, e.subject_id, e.related_id, e.entry_id, json.dumps(e.detail, sort_keys=True))
        for e in events
    )


def test_a_first_big_load_parsed_in_a_second_process_records_every_change(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers: list[int] = []
    parsed_elsewhere = loader._parsed_elsewhere

    def counted(*args: object, **kwargs: object) -> object:
        workers.append(1)
        return parsed_elsewhere(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "PIPELINE_BYTES", 0)  # every load parses in a worker
    monkeypatch.setattr(loader, "_parsed_elsewhere", counted)
    store = EmbeddedStore(tmp_path / "bulk.db")
    report = load_folder(store, folder)
    assert workers == [1] and not report.rejects
    events = store.changes(0, 1_000_000)
    relations = list(store.iter_relations())
    assert len(relations) >= BULK_RELATIONS
    counts = Counter(e.kind for e in events)
    assert counts == {
        ChangeKind.RELATION_ADDED: len(relations),
        ChangeKind.ENTRY_ADDED: len(store.entries()),
    }
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert {e.tx for e in events} == {events[0].tx}  # the load's one transaction
    added = [(e.subject_id, e.related_id) for e in events if e.kind is ChangeKind.RELATION_ADDED]
    assert added == sorted(added)  # written set-based, in key order, at the end of the load

    # the same load recorded row by row (the triggers, no set-based path)
    monkeypatch.setattr("credgraph.store.sqlite.feed.BULK_RELATIONS", 10**9)
    by_rows = EmbeddedStore(tmp_path / "rows.db")
    load_folder(by_rows, folder)
    assert recorded(by_rows.changes(0, 1_000_000)) == recorded(events)

    # an identical reload, through the worker again, records nothing
    load_folder(store, folder)
    assert len(workers) == 3 and store.last_seq() == len(events)
    # and a later load is recorded row by row again
    firm, person = added[0][0], next(n.id for n in store.iter_nodes(NodeKind.PERSON))
    later = tmp_path / "later"
    later.mkdir()
    (later / "relations.csv").write_text(
        f"source_id,target_uscc,role,share_pct,start_on,end_on\n{person},{firm},executive,,,\n",
        encoding="utf-8",
    )
    load_folder(store, later)
    [event] = store.changes(len(events))
    assert (event.kind, event.subject_id, event.related_id) == (
        ChangeKind.RELATION_ADDED,
        firm,
        person,
    )
