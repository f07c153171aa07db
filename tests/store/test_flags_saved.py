"""A full ``save_flags`` of the embedded store compares the new flags with
those the same store object saved last, field by field, instead of reading
the stored JSON — only while nothing else was written since: another store
object or thread (``PRAGMA data_version``) or this object's connection
(``total_changes``). Saves through one object must give what saves through
a fresh object each give: the same differences, flags and feed events.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credgraph.model import Flag, FlagKind, ListKind
from credgraph.store import EmbeddedStore, FlagDiff
from credgraph.store.sqlite import flags as flags_module
from queries.changes import flag_feed

SUBJECTS = ("91110000100000000A", "91110000100000001A", "110101199001011234")
ENTRIES = ("E1", "E2", "E3")
DAY = date(2025, 6, 1)

_flags = st.lists(
    st.builds(
        lambda subject, kind, entry, listed, via: Flag(
            subject_id=subject,
            subject_type="person" if subject[0] == "1" else "enterprise",
            flag=kind,
            list=listed,
            entry_id=entry,
            rule="P1" if via else "L0",
            citation="003:L24",
            path=[subject, *via],
            relations=["legal_representative"] * len(via),
        ),
        st.sampled_from(SUBJECTS),
        st.sampled_from(list(FlagKind)),
        st.sampled_from(ENTRIES),
        st.sampled_from(list(ListKind)),
        st.lists(st.sampled_from(SUBJECTS), max_size=1),
    ),
    max_size=8,
)
#: who saves: the kept object, another object on the same file, another
#: thread of the kept object, the kept object saving some entries' flags,
#: the kept object saving its last flags again, in key order, once each
_WRITERS = st.sampled_from(["kept", "other", "thread", "partial", "again"])


def _in_thread(call: Callable[[], FlagDiff]) -> FlagDiff:
    out: list[FlagDiff] = []
    worker = threading.Thread(target=lambda: out.append(call()))
    worker.start()
    worker.join()
    return out[0]


def _state(store: EmbeddedStore) -> tuple[object, ...]:
    stored = store.stored_flags()
    events = [(e.kind, e.subject_id, e.entry_id, e.flag, e.detail) for e in store.changes(0, 10**4)]
    return (None if stored is None else stored.flags), events


@settings(max_examples=60, deadline=None)
@given(saves=st.lists(st.tuples(_flags, _WRITERS), min_size=1, max_size=5))
def test_saves_through_one_object_equal_saves_through_fresh_objects(
    saves: list[tuple[list[Flag], str]],
) -> None:
    last: list[Flag] = []
    with tempfile.TemporaryDirectory() as work:
        kept_path, fresh_path = Path(work) / "kept.db", Path(work) / "fresh.db"
        kept = EmbeddedStore(kept_path)
        for n, (flags, writer) in enumerate(saves):
            day = DAY + timedelta(days=n)
            scope = ["E1"] if writer == "partial" else None
            if scope is not None:
                flags = [f for f in flags if f.entry_id in scope]
            elif writer == "again":
                flags = last
            else:  # what the kept object saves next with "again"
                by_key = {(f.subject_id, f.flag.value, f.entry_id): f for f in flags}
                last = [by_key[key] for key in sorted(by_key)]

            def save(store: EmbeddedStore) -> FlagDiff:
                return store.save_flags(day, 1, flags, scope, "key", flag_feed(day))  # noqa: B023

            if writer == "other":
                other = EmbeddedStore(kept_path)
                diff = save(other)
                other.close()
            elif writer == "thread":
                diff = _in_thread(lambda: save(kept))
            else:
                diff = save(kept)
            fresh = EmbeddedStore(fresh_path)
            assert diff == save(fresh)
            assert _state(kept) == _state(fresh)
            fresh.close()
        kept.close()


def _flag(subject: str, entry: str) -> Flag:
    return Flag(
        subject_id=subject,
        subject_type="person" if subject[0] == "1" else "enterprise",
        flag=FlagKind.LISTED,
        list=ListKind.SERIOUS_DISHONESTY,
        entry_id=entry,
        rule="L0",
        citation="003:L24",
        path=[subject],
        relations=[],
    )


def test_a_write_through_the_same_connection_is_seen(tmp_path: Path) -> None:
    flag = _flag(SUBJECTS[0], "E1")
    store = EmbeddedStore(tmp_path / "store.db")
    store.save_flags(DAY, 1, [flag])
    with store.transaction(bump=False) as conn:  # not through save_flags
        conn.execute("DELETE FROM flags")
    key = (SUBJECTS[0], "listed", "E1")
    assert store.save_flags(DAY, 1, [flag]) == FlagDiff([key], [])
    stored = store.stored_flags()
    assert stored is not None and stored.flags == [flag]
    store.close()


def test_a_first_fill_builds_the_flags_indexes_after_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty flags table filled by a full save gets its indexes dropped
    and made again after the rows (``REBUILD_AT``): the same indexes after
    it, used by a save of some entries' flags."""
    monkeypatch.setattr(flags_module, "REBUILD_AT", 2)
    store = EmbeddedStore(tmp_path / "store.db")
    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flags'"
    before = store._conn().execute(indexes).fetchall()
    assert [name for name, _ in before] == ["flags_by_entry"]
    flags = [_flag(subject, entry) for subject in SUBJECTS for entry in ENTRIES]
    store.save_flags(DAY, 1, flags)
    assert store._conn().execute(indexes).fetchall() == before
    plan = store._conn().execute("EXPLAIN QUERY PLAN SELECT * FROM flags WHERE entry_id = 'E2'")
    assert "flags_by_entry" in " ".join(str(row) for row in plan)
    assert store.save_flags(DAY, 1, [], replace_entries=["E2"]) == FlagDiff(
        [], sorted((subject, "listed", "E2") for subject in SUBJECTS)
    )
    stored = store.stored_flags()
    kept = sorted(
        (f for f in flags if f.entry_id != "E2"), key=lambda f: (f.subject_id, f.entry_id)
    )
    assert stored is not None and stored.flags == kept
    store.close()


def test_a_save_after_another_objects_is_compared_with_the_table(tmp_path: Path) -> None:
    """The same flags again through the object that saved them last, after
    another store object replaced them: the table is read, the other's
    flags replaced."""
    mine = [_flag(subject, "E1") for subject in sorted(SUBJECTS)]
    theirs = [_flag(SUBJECTS[0], "E2")]
    kept, other = EmbeddedStore(tmp_path / "s.db"), EmbeddedStore(tmp_path / "s.db")
    kept.save_flags(DAY, 1, mine)
    other.save_flags(DAY, 1, theirs)
    other.close()
    diff = kept.save_flags(DAY, 1, mine)
    added = sorted((f.subject_id, "listed", "E1") for f in mine)
    assert diff == FlagDiff(added, [(SUBJECTS[0], "listed", "E2")])
    stored = kept.stored_flags()
    assert stored is not None and stored.flags == mine
    kept.close()
