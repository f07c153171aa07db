"""The flag and verdict events of ``save_flags`` (``FlagFeed``).

The embedded store derives them set-based in SQL, Neo4j in Python
(:func:`credgraph.store.feed.flag_events`): a property test checks that the
SQL gives exactly the Python's events, in the same order, for random saves
of all flags and of some entries' flags. The verdict table of
:func:`queries.changes.flag_feed` gives :func:`queries.measures.flags_verdict`.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from credgraph.model import Flag, FlagKind, ListKind
from credgraph.policy import default_policy
from credgraph.store import EmbeddedStore
from credgraph.store.feed import ENTRY_FIELDS, ChangeKind, FlagKey, NewEvent, flag_events
from credgraph.store.sqlite.flags import flag_json
from graph_loader.sources import COLUMNS
from queries.changes import VERDICT_SCENARIO, flag_feed
from queries.measures import flags_verdict

SUBJECTS = ("91110000100000000A", "91110000100000001A", "110101199001011234")
ENTRIES = ("E1", "E2", "E3")
AS_OF = date(2025, 6, 1)

_flags = st.lists(
    st.builds(
        lambda subject, kind, entry, listed, rule: Flag(
            subject_id=subject,
            subject_type="person" if subject[0] == "1" else "enterprise",
            flag=kind,
            list=listed,
            entry_id=entry,
            rule=rule,
            citation="003:L24",
            path=[subject, "91110000100000009A"],
            relations=["legal_representative"],
        ),
        st.sampled_from(SUBJECTS),
        st.sampled_from(list(FlagKind)),
        st.sampled_from(ENTRIES),
        st.sampled_from(list(ListKind)),
        st.sampled_from(["L0", "P1", "P2"]),
    ),
    max_size=12,
)


def _by_key(flags: Sequence[Flag]) -> dict[FlagKey, str]:
    return {(f.subject_id, f.flag.value, f.entry_id): flag_json(f) for f in flags}


def _comparable(events: Sequence[NewEvent]) -> list[tuple[object, ...]]:
    return [(e.kind, e.subject_id, e.entry_id, e.flag, e.as_of, e.detail) for e in events]


@settings(max_examples=60, deadline=None)
@given(first=_flags, second=_flags, scope=st.none() | st.sets(st.sampled_from(ENTRIES)))
def test_the_embedded_stores_events_are_the_python_derivations(
    first: list[Flag], second: list[Flag], scope: set[str] | None
) -> None:
    if scope is not None:  # a save of some entries writes only their flags
        second = [f for f in second if f.entry_id in scope]
    feed = flag_feed(AS_OF)
    with tempfile.TemporaryDirectory() as work:
        store = EmbeddedStore(Path(work) / "store.db")
        store.save_flags(date(2025, 5, 1), 1, first, feed=flag_feed(date(2025, 5, 1)))
        before = _by_key(first)
        old = {k: v for k, v in before.items() if scope is None or k[2] in scope}
        kept = [(k, v) for k, v in before.items() if k not in old]
        expected = flag_events(feed, old, _by_key(second), kept)
        start = store.last_seq()
        store.save_flags(AS_OF, 1, second, replace_entries=scope, feed=feed)
        recorded = store.changes(start, 1000)
        store.close()
    assert _comparable(recorded) == _comparable(expected)
    seqs = [e.seq for e in recorded]
    assert seqs == list(range(start + 1, start + 1 + len(seqs)))
    assert len({e.tx for e in recorded}) <= 1


def test_a_save_that_changes_no_flag_records_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store.db")
    flags = [
        Flag(
            subject_id=SUBJECTS[0],
            subject_type="enterprise",
            flag=FlagKind.LISTED,
            list=ListKind.SERIOUS_DISHONESTY,
            entry_id="E1",
            rule="L0",
            citation="003:L24",
            path=[SUBJECTS[0]],
            relations=[],
        )
    ]
    store.save_flags(AS_OF, 1, flags, feed=flag_feed(AS_OF))
    first = store.changes(0, 100)
    assert [e.kind for e in first] == [ChangeKind.FLAG_ADDED, ChangeKind.VERDICT_CHANGED]
    assert first[1].detail == {"scenario": "public_bidding", "from": "pass", "to": "reject"}
    store.save_flags(AS_OF, 1, flags, feed=flag_feed(AS_OF))
    assert store.last_seq() == first[-1].seq
    store.close()


def test_the_verdict_table_gives_the_policys_verdicts() -> None:
    policy = default_policy()
    feed = flag_feed(AS_OF, policy)
    pairs = [(k, listed) for k in FlagKind for listed in ListKind]
    for held in itertools.chain.from_iterable(itertools.combinations(pairs, n) for n in (0, 1, 2)):
        expected = flags_verdict(held, VERDICT_SCENARIO, policy)
        assert feed.verdict((k.value, listed.value) for k, listed in held) == expected.value


def test_the_compared_entry_fields_are_the_list_entries_columns() -> None:
    """``ENTRY_FIELDS`` (both backends' ``entry_changed``) follow the CSV's
    columns: all but the id, the responsible persons as stored."""
    stored = {"responsible_person_ids": "responsible"}
    columns = [stored.get(c, c) for c in COLUMNS["list_entries"] if c != "entry_id"]
    assert list(ENTRY_FIELDS) == columns
    with tempfile.TemporaryDirectory() as work:
        store = EmbeddedStore(Path(work) / "store.db")
        entry_columns = {r[1] for r in store._conn().execute("PRAGMA table_info(entries)")}
        store.close()
    assert set(ENTRY_FIELDS) <= entry_columns
