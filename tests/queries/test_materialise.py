"""Materialised flags (queries.materialise): what a full run and the one
incremental refresh report as added and removed, for the change feed, and
which policy a refresh keeps flags up to date for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from builders import GraphBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from credgraph.model import Batch, Flag, FlagKind, ListKind, NodeKind, Rule
from credgraph.policy import load_policy
from credgraph.store import GraphStore
from queries.materialise import Change, affected_entries, materialise, refresh
from queries.objections import file_objection
from queries.propagation import compute_flags

DAY = date(2025, 6, 1)


def _graph() -> GraphBuilder:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("S"), g.person("p")
    g.rel("p", "A", "legal_representative")
    g.rel("p", "B", "legal_representative")
    g.rel("A", "S", "shareholder", pct=55)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01", valid_until="2025-06-30")
    g.entry("E2", "B", "key_attention", "2025-07-01")
    return g


def _keys(g: GraphBuilder, keys: list[tuple[str, str, str]]) -> list[str]:
    return sorted(f"{g.name_of(s)} {flag} {e}" for s, flag, e in keys)


def test_a_full_run_reports_what_changed_since_the_last_one(store: GraphStore) -> None:
    g = _graph()
    store.upsert(g.batch)
    first = materialise(store, DAY)
    assert first.entry_ids is None and first.removed == []
    assert first.flags == compute_flags(store, store.entries(), DAY)
    assert _keys(g, first.added) == [
        "A listed E1",
        "B related_enterprise E1",
        "S related_enterprise E1",
        "p responsible_person E1",
    ]
    # a later as_of: E1 has expired, E2 has started (date-driven changes)
    later = materialise(store, date(2025, 7, 1))
    assert _keys(g, later.added) == ["B listed E2"]
    assert _keys(g, later.removed) == _keys(g, first.added)
    again = materialise(store, date(2025, 7, 1))
    assert again.added == again.removed == [] and again.flags == later.flags


def test_refresh_reports_the_affected_entries_difference(store: GraphStore) -> None:
    g = _graph()
    store.upsert(g.batch)
    materialise(store, DAY)
    before = store.generation()
    ended = g.rel("p", "B", "legal_representative").model_copy(update={"end_on": date(2025, 1, 1)})
    batch = Batch(relations=[ended])
    store.upsert(batch)
    change = Change.of_batch(batch)
    assert affected_entries(store, change) == {"E1", "E2"}  # on p's firms, p responsible
    update = refresh(store, change, before)
    assert update is not None and update.entry_ids == frozenset({"E1", "E2"})
    assert update.added == [] and _keys(g, update.removed) == ["B related_enterprise E1"]
    assert update.flags == compute_flags(store, store.entries(), DAY)
    # an objection suspends E1: the library refreshes, and the flags go
    before = store.generation()
    file_objection(store, "E1", "why", date(2025, 5, 1))
    stored = store.stored_flags()
    assert store.flags_state() == (DAY, store.generation())
    assert stored is not None and stored.flags == []
    # nothing valid before the write: nothing to refresh
    assert refresh(store, Change.of((), ["E1"]), before) is None


def test_an_untrackable_change_refreshes_everything(store: GraphStore) -> None:
    g = _graph()
    store.upsert(g.batch)
    materialise(store, DAY)
    before = store.generation()
    store.upsert(Batch(relations=[g.rel("p", "S", "executive", title="chairman")]))
    update = refresh(store, Change.of(None, ()), before)
    assert update is not None and update.entry_ids is None
    assert _keys(g, update.added) == []
    assert update.flags == compute_flags(store, store.entries(), DAY)


def test_refresh_keeps_flags_of_the_policy_they_were_computed_with(
    store: GraphStore, tmp_path: Path
) -> None:
    g = _graph()
    store.upsert(g.batch)
    shipped = Path(__file__).parents[2] / "credgraph" / "policy.yaml"
    data = yaml.safe_load(shipped.read_text("utf-8"))
    data["control_threshold_pct"] = 60
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    stricter = load_policy(tmp_path / "p.yaml")
    materialise(store, DAY, stricter)
    before = store.generation()
    entry = g.entry("E3", "S", "serious_illegal", "2025-01-01")
    store.upsert(Batch(entries=[entry]))
    change = Change.of((), ["E3"])
    assert refresh(store, change, before) is None  # not the policy they were saved with
    update = refresh(store, change, before, stricter)
    assert update is not None and _keys(g, update.added) == ["S listed E3"]
    stored = store.stored_flags()
    assert stored is not None
    assert [f.entry_id for f in stored.flags if f.subject_id == g["S"]] == ["E3"]
    assert store.flags_policy_key() == stricter.key()


def test_stored_flag_json_is_pydantics() -> None:
    """The embedded store writes flags with the C JSON encoder: the same
    text as ``model_dump_json``, whatever the entry id holds."""
    from credgraph.store.sqlite.flags import flag_json

    flag = Flag(
        subject_id="91440300MA5DXXXX0X",
        subject_type=NodeKind.ENTERPRISE,
        flag=FlagKind.RELATED_ENTERPRISE,
        list=ListKind.SERIOUS_ILLEGAL,
        entry_id='失信/2024\u2028"x"\\\n\t',
        rule=Rule.P2,
        citation="001:L709; 000:L91",
        path=["A", "p", "B"],
        relations=["legal_representative", "executive"],
        other_paths=3,
    )
    assert flag_json(flag) == flag.model_dump_json()
    assert Flag.model_validate_json(flag_json(flag)) == flag


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.text(max_size=12), min_size=3, max_size=6),
    citation=st.text(max_size=20),
    relations=st.lists(st.sampled_from(["%s", "%d", "%%", "shareholder", "控股"]), max_size=3),
    other=st.integers(min_value=0, max_value=10**6),
    kinds=st.tuples(
        st.sampled_from(list(NodeKind)),
        st.sampled_from(list(FlagKind)),
        st.sampled_from(list(ListKind)),
        st.sampled_from(list(Rule)),
    ),
)
def test_flag_json_is_pydantics_for_any_text(
    ids: list[str],
    citation: str,
    relations: list[str],
    other: int,
    kinds: tuple[NodeKind, FlagKind, ListKind, Rule],
) -> None:
    """Whatever the strings hold (quotes, %-signs, control and non-ASCII
    characters, in the fields a template writes in or those it fills)."""
    from credgraph.store.sqlite.flags import flag_json

    flag = Flag(
        subject_id=ids[0],
        subject_type=kinds[0],
        flag=kinds[1],
        list=kinds[2],
        entry_id=ids[1],
        rule=kinds[3],
        citation=citation,
        path=ids[2:],
        relations=relations,
        other_paths=other,
    )
    assert flag_json(flag) == flag.model_dump_json()


def test_the_embedded_store_writes_only_the_flags_that_changed(tmp_path: Path) -> None:
    """A re-run that finds the same flags leaves every stored row as it was;
    a later as_of deletes and inserts only the keys that changed (rows
    counted by triggers on the store file, outside credgraph)."""
    import sqlite3

    from credgraph.store.sqlite import EmbeddedStore

    path = tmp_path / "store.db"
    store = EmbeddedStore(path)
    g = _graph()
    store.upsert(g.batch)
    assert len(materialise(store, DAY).flags) == 4
    spy = sqlite3.connect(path, isolation_level=None)  # autocommit: holds no lock
    spy.executescript(
        """
        CREATE TABLE flag_writes(op TEXT NOT NULL);
        CREATE TRIGGER w_ins AFTER INSERT ON flags BEGIN INSERT INTO flag_writes VALUES ('i'); END;
        CREATE TRIGGER w_upd AFTER UPDATE ON flags BEGIN INSERT INTO flag_writes VALUES ('u'); END;
        CREATE TRIGGER w_del AFTER DELETE ON flags BEGIN INSERT INTO flag_writes VALUES ('d'); END;
        """
    )

    def writes() -> list[str]:
        return sorted(op for (op,) in spy.execute("DELETE FROM flag_writes RETURNING op"))

    again = materialise(store, DAY)
    assert writes() == [] and again.added == again.removed == []
    later = materialise(store, date(2025, 7, 1))  # E1 expired, E2 started
    assert writes() == ["d", "d", "d", "d", "i"]
    assert later.flags == compute_flags(store, store.entries(), date(2025, 7, 1))
    assert [f.model_dump() for f in later.flags] == [
        f.model_dump()
        for f in store.stored_flags().flags  # type: ignore[union-attr]
    ]
    spy.close()
    store.close()
