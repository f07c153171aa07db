"""The change feed on every backend (DESIGN §10).

Scenarios: a firm of a watched person's is listed (flag_added for the
person's other firm, verdict_changed), an entry expires between two
evaluation days (flag_removed), an identical reload records nothing, seqs
are strictly increasing and consecutive within a transaction, and the JSON
validates against ``changes.schema.json``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from builders import GraphBuilder
from jsonschema import Draft202012Validator, FormatChecker
from schemas import load_schema

from credgraph.model import Batch, Role, Title
from credgraph.store import GraphStore
from credgraph.store.feed import ChangeEvent, ChangeKind
from credgraph.store.sqlite.feed import BULK_RELATIONS
from queries.changes import read_changes
from queries.materialise import Change, propagate, refresh
from queries.objections import file_objection, resolve_objection

VALIDATOR = Draft202012Validator(load_schema("changes"), format_checker=FormatChecker())
AS_OF = date(2025, 6, 1)


def base_graph() -> GraphBuilder:
    """Person ``wang`` is legal representative of firms A and B."""
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.firm("C")
    g.person("wang")
    g.rel("wang", "A", "legal_representative", start="2020-01-01")
    g.rel("wang", "B", "legal_representative", start="2020-01-01")
    return g


def load(store: GraphStore, batch: Batch) -> None:
    """A load followed by the incremental refresh, as ``credgraph load`` does."""
    before = store.generation()
    store.upsert(batch)
    refresh(store, Change.of_batch(batch), before)


def kinds(events: list[ChangeEvent]) -> list[tuple[str, str, str | None, str | None]]:
    return [(e.kind.value, e.subject_id, e.flag, e.entry_id) for e in events]


def test_listing_flags_the_watched_representatives_other_firm(store: GraphStore) -> None:
    g = base_graph()
    store.upsert(g.batch)
    propagate(store, AS_OF)
    start = store.last_seq()

    new = GraphBuilder()
    new.ids = dict(g.ids)
    entry = new.entry("E1", "A", "serious_dishonesty", "2025-01-10")
    load(store, Batch(entries=[entry]))

    events = store.changes(start)
    assert kinds(events) == [
        ("entry_added", g["A"], None, "E1"),
        ("flag_added", g["wang"], "responsible_person", "E1"),
        ("flag_added", g["A"], "listed", "E1"),
        ("flag_added", g["B"], "related_enterprise", "E1"),
        ("verdict_changed", g["wang"], None, None),
        ("verdict_changed", g["A"], None, None),
        ("verdict_changed", g["B"], None, None),
    ]
    related = events[3]
    assert related.as_of == AS_OF
    assert related.detail == {
        "list": "serious_dishonesty",
        "rule": "P2",
        "path": [g["A"], g["wang"], g["B"]],
        "relations": ["legal_representative", "legal_representative"],
    }
    assert events[4].detail == {"scenario": "public_bidding", "from": "pass", "to": "review"}
    assert events[5].detail == {"scenario": "public_bidding", "from": "pass", "to": "reject"}
    assert events[6].detail == {"scenario": "public_bidding", "from": "pass", "to": "review"}
    assert events[0].detail is not None and events[0].detail["list"] == "serious_dishonesty"

    store.create_watchlist("suppliers", "tester")
    store.watch("suppliers", [g["B"]])
    watched = read_changes(store, after_seq=start, watchlist="suppliers")
    assert kinds(watched.events) == [
        ("flag_added", g["B"], "related_enterprise", "E1"),
        ("verdict_changed", g["B"], None, None),
    ]


def test_expiry_by_date_removes_the_flags(store: GraphStore) -> None:
    g = base_graph()
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10", valid_until="2025-06-30")
    store.upsert(g.batch)
    propagate(store, date(2025, 6, 1))
    start = store.last_seq()

    propagate(store, date(2025, 7, 1))

    events = store.changes(start)
    assert kinds(events) == [
        ("flag_removed", g["wang"], "responsible_person", "E1"),
        ("flag_removed", g["A"], "listed", "E1"),
        ("flag_removed", g["B"], "related_enterprise", "E1"),
        ("verdict_changed", g["wang"], None, None),
        ("verdict_changed", g["A"], None, None),
        ("verdict_changed", g["B"], None, None),
    ]
    assert {e.as_of for e in events} == {date(2025, 7, 1)}
    assert events[4].detail == {"scenario": "public_bidding", "from": "reject", "to": "pass"}

    # the same day again: nothing changes, nothing is recorded
    propagate(store, date(2025, 7, 1))
    assert store.changes(start) == events


def test_an_entry_reloaded_on_another_list_records_the_verdict(store: GraphStore) -> None:
    """The listed firm's flag keeps its key (subject, flag, entry) when its
    entry moves from a watch list to a severe one: no flag event for it, but
    its verdict changes, and that is recorded."""
    g = base_graph()
    g.entry("E1", "A", "abnormal_operation", "2025-01-10")
    store.upsert(g.batch)
    propagate(store, AS_OF)
    start = store.last_seq()

    moved = GraphBuilder()
    moved.ids = dict(g.ids)
    load(store, Batch(entries=[moved.entry("E1", "A", "serious_dishonesty", "2025-01-10")]))

    events = store.changes(start)
    verdicts = {e.subject_id: e.detail for e in events if e.kind is ChangeKind.VERDICT_CHANGED}
    assert verdicts[g["A"]] == {"scenario": "public_bidding", "from": "review", "to": "reject"}
    assert ("flag_added", g["A"], "listed", "E1") not in kinds(events)
    # and back: the verdict returns, again without a flag event for A
    again = store.last_seq()
    back = GraphBuilder()
    back.ids = dict(g.ids)
    load(store, Batch(entries=[back.entry("E1", "A", "abnormal_operation", "2025-01-10")]))
    verdicts = {
        e.subject_id: e.detail for e in store.changes(again) if e.kind is ChangeKind.VERDICT_CHANGED
    }
    assert verdicts[g["A"]] == {"scenario": "public_bidding", "from": "reject", "to": "review"}


def test_identical_reload_records_nothing(store: GraphStore) -> None:
    g = base_graph()
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10")
    load(store, g.batch)
    propagate(store, AS_OF)
    start = store.last_seq()
    assert start > 0

    load(store, g.batch)
    propagate(store, AS_OF)

    assert store.changes(start) == []
    assert store.last_seq() == start


def test_entry_and_relation_changes(store: GraphStore) -> None:
    g = base_graph()
    store.upsert(g.batch)
    start = store.last_seq()
    assert kinds(store.changes()) == [
        ("relation_added", g["A"], None, None),
        ("relation_added", g["B"], None, None),
    ]
    assert store.changes()[0].related_id == g["wang"]

    later = GraphBuilder()
    later.ids = dict(g.ids)
    later.entry("E1", "A", "abnormal_operation", "2025-01-10")
    ended = g.batch.relations[1].model_copy(update={"end_on": date(2025, 3, 31)})
    store.upsert(Batch(relations=[ended], entries=later.batch.entries))
    removal = GraphBuilder()
    removal.ids = dict(g.ids)
    removal.entry(
        "E1",
        "A",
        "abnormal_operation",
        "2025-01-10",
        removed="2025-04-01",
        removal_reason="repaired",
    )
    store.upsert(removal.batch)

    events = store.changes(start)
    assert kinds(events) == [
        ("relation_ended", g["B"], None, None),
        ("entry_added", g["A"], None, "E1"),
        ("entry_removed", g["A"], None, "E1"),
    ]
    assert events[0].detail is not None and events[0].detail["end_on"] == "2025-03-31"
    assert events[2].detail == {
        "list": "abnormal_operation",
        "removed_on": "2025-04-01",
        "removal_reason": "repaired",
    }


def test_objections_are_recorded(store: GraphStore) -> None:
    g = base_graph()
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10")
    store.upsert(g.batch)
    propagate(store, AS_OF)
    start = store.last_seq()

    objection = file_objection(store, "E1", "wrong firm", date(2025, 5, 1))
    filed = store.changes(start)
    assert filed[0].kind is ChangeKind.ENTRY_CHANGED
    assert filed[0].as_of == date(2025, 5, 1)
    assert filed[0].detail is not None and filed[0].detail["suspended"] is True
    # suspended on as_of: the flags go
    assert [e.kind for e in filed[1:4]] == [ChangeKind.FLAG_REMOVED] * 3

    mid = store.last_seq()
    resolve_objection(store, objection.objection_id, True, date(2025, 5, 20))
    resolved = store.changes(mid)
    assert resolved[0].kind is ChangeKind.ENTRY_REMOVED
    assert resolved[0].detail is not None
    assert resolved[0].detail["removal_reason"] == "revoked_on_objection"
    # already removed from the flags while suspended: no flag event again
    assert [e.kind for e in resolved[1:]] == []


def test_seq_strictly_increasing_and_gapless_per_transaction(store: GraphStore) -> None:
    g = base_graph()
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10", valid_until="2025-06-30")
    store.upsert(g.batch)
    propagate(store, date(2025, 6, 1))
    propagate(store, date(2025, 7, 1))
    director = g.batch.relations[0].model_copy(
        update={"target_uscc": g["C"], "role": Role.EXECUTIVE, "title": Title.DIRECTOR}
    )
    load(store, Batch(relations=[director]))

    events = store.changes(0, 10_000)
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1))
    by_tx: dict[int, list[int]] = defaultdict(list)
    for e in events:
        by_tx[e.tx].append(e.seq)
    assert len(by_tx) == 4
    for tx_seqs in by_tx.values():
        assert tx_seqs == list(range(tx_seqs[0], tx_seqs[-1] + 1))
    recorded = [events[s[0] - 1].recorded_at for s in by_tx.values()]
    assert recorded == sorted(recorded)
    assert [e.tx for e in events] == sorted(e.tx for e in events)


def test_changes_json_validates_against_the_schema(store: GraphStore) -> None:
    g = base_graph()
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10", valid_until="2025-06-30")
    store.upsert(g.batch)
    propagate(store, date(2025, 6, 1))
    propagate(store, date(2025, 7, 1))
    page = read_changes(store, limit=3)
    body = page.model_dump(mode="json")
    VALIDATOR.validate(body)
    assert page.has_more
    rest = read_changes(store, after_seq=page.events[-1].seq)
    VALIDATOR.validate(rest.model_dump(mode="json"))
    assert not rest.has_more
    assert {e.kind for e in page.events + rest.events} >= {
        ChangeKind.RELATION_ADDED,
        ChangeKind.ENTRY_ADDED,
        ChangeKind.FLAG_ADDED,
        ChangeKind.FLAG_REMOVED,
        ChangeKind.VERDICT_CHANGED,
    }


def test_a_large_first_load_records_every_relation(store: GraphStore) -> None:
    """Above ``BULK_RELATIONS`` the embedded store writes the events of a
    load into an empty store set-based: the same events, in one transaction."""
    g = GraphBuilder()
    g.person("wang")
    for i in range(BULK_RELATIONS // 2 + 1):
        g.firm(f"F{i}")
        g.rel("wang", f"F{i}", "legal_representative", start="2020-01-01")
        g.rel("wang", f"F{i}", "shareholder", pct=10.0)
    store.upsert(g.batch)
    events = store.changes(0, 100_000)
    assert len(events) == len(g.batch.relations) >= BULK_RELATIONS
    assert {e.tx for e in events} == {events[0].tx}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    got = sorted(
        (e.kind.value, e.subject_id, e.related_id, json.dumps(e.detail, sort_keys=True))
        for e in events
    )
    expected = sorted(
        (
            "relation_added",
            r.target_uscc,
            r.source_id,
            json.dumps(
                {
                    "source_id": r.source_id,
                    "role": r.role.value,
                    "title": None,
                    "start_on": r.start_on.isoformat() if r.start_on else None,
                    "end_on": None,
                    "share_pct": r.share_pct,
                },
                sort_keys=True,
            ),
        )
        for r in g.batch.relations
    )
    assert got == expected
    # later, smaller loads are recorded row by row again
    ended = g.batch.relations[0].model_copy(update={"end_on": date(2025, 1, 1)})
    store.upsert(Batch(relations=[ended]))
    [last] = store.changes(len(events))
    assert last.kind is ChangeKind.RELATION_ENDED and last.subject_id == g["F0"]
    assert store.changes(0, 10, subject_ids=[g["F1"]])[0].subject_id == g["F1"]
