"""Full propagation over the cached adjacency (queries.adjacency) equals the
specification, :func:`~queries.propagation.compute_flags` over every entry:
on random graphs, after writes that move the generation (a stale cache
would miss them), under another policy, and on two stores at once."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import hypothesis.strategies as st
import pytest
import yaml
from builders import GraphBuilder
from hypothesis import given
from test_propagation_properties import AS_OF, SETTINGS, World, build, extra_batches, worlds

from credgraph.model import Batch, Flag
from credgraph.policy import Policy, load_policy
from credgraph.store import EmbeddedStore, GraphStore
from credgraph.store.neo4j import Neo4jStore
from credgraph.store.sqlite.flags import flag_json
from queries.adjacency import adjacency, full_flags
from queries.materialise import materialise
from queries.propagation import compute_flags

DAY = date(2025, 6, 1)


def _same(store: GraphStore, as_of: date, policy: Policy | None = None) -> list[Flag]:
    """full_flags, checked flag for flag and byte for byte against a
    from-scratch compute_flags."""
    fast = full_flags(store, as_of, policy)
    spec = compute_flags(store, store.entries(), as_of, policy)
    assert fast == spec
    assert [flag_json(f) for f in fast] == [f.model_dump_json() for f in spec]
    return fast


@pytest.fixture(scope="module")
def other_policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """A control threshold of 30 %, no branches, no named persons."""
    shipped = Path(__file__).parents[2] / "credgraph" / "policy.yaml"
    data = yaml.safe_load(shipped.read_text("utf-8"))
    data["control_threshold_pct"] = 30
    data["rules"]["P3"]["branches"] = False
    data["rules"]["P1"]["named_responsible"] = False
    path = tmp_path_factory.mktemp("policy") / "p.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return load_policy(path)


@SETTINGS
@given(data=st.data(), world=worlds(), as_of=AS_OF)
def test_full_run_equals_the_rules_across_writes(
    make_store: Callable[[], GraphStore],
    other_policy: Policy,
    data: st.DataObject,
    world: World,
    as_of: date,
) -> None:
    store = build(make_store(), world)
    _same(store, as_of)  # fills the cache
    _same(store, as_of + timedelta(days=data.draw(st.integers(-400, 400))))
    _same(store, as_of, other_policy)  # the same cache, another policy
    extra = data.draw(extra_batches(world))
    store.upsert(extra)  # new and ended relations, new and removed entries
    _same(store, as_of)
    entry = data.draw(st.sampled_from(store.entries()))
    objection = store.file_objection(entry.entry_id, "why", entry.decided_on)
    _same(store, as_of)  # suspended from the decision day
    store.resolve_objection(objection.objection_id, data.draw(st.booleans()), as_of)
    _same(store, as_of)
    _same(store, as_of, other_policy)


def _graph() -> GraphBuilder:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("C"), g.person("p"), g.person("q")
    g.rel("p", "A", "legal_representative")
    g.rel("p", "B", "executive", title="general_manager")
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    return g


def test_a_write_is_seen_by_the_next_full_run(store: GraphStore) -> None:
    """The generation moves on a write: the next run reads again (a cache
    kept across it would miss q's new firm and C's new entry); a reload
    that changes nothing keeps the cache."""
    g = _graph()
    store.upsert(g.batch)
    before = _same(store, DAY)
    cached = adjacency(store)
    store.upsert(g.batch)  # a no-op reload: same generation, same cache
    assert adjacency(store) is cached
    new = Batch(
        relations=[g.rel("q", "C", "legal_representative")],
        entries=[g.entry("E2", "C", "serious_illegal", "2024-05-01", responsible=("q",))],
    )
    store.upsert(new)
    assert adjacency(store) is not cached
    after = _same(store, DAY)
    added = {(g.name_of(f.subject_id), f.flag.value, f.entry_id) for f in after} - {
        (g.name_of(f.subject_id), f.flag.value, f.entry_id) for f in before
    }
    assert added == {("C", "listed", "E2"), ("q", "responsible_person", "E2")}
    store.upsert(Batch(relations=[g.rel("q", "B", "actual_controller")]))
    assert ("B", "related_enterprise", "E2") in {
        (g.name_of(f.subject_id), f.flag.value, f.entry_id) for f in _same(store, DAY)
    }


@pytest.mark.neo4j
def test_a_wipe_never_takes_the_generation_back(neo4j_store: Neo4jStore) -> None:
    """A wiped Neo4j database written as often as before it must not be
    answered from the adjacency cached before the wipe (kept per store
    object and generation): the wipe moves the generation on."""
    g = _graph()
    neo4j_store.upsert(g.batch)
    generation = neo4j_store.generation()
    assert {f.entry_id for f in _same(neo4j_store, DAY)} == {"E1"}  # cached
    neo4j_store.wipe()
    h = GraphBuilder()
    h.firm("X"), h.person("r")
    h.rel("r", "X", "legal_representative")
    h.entry("E9", "X", "dishonest_debtor", "2024-01-01")
    neo4j_store.upsert(h.batch)  # one write after the wipe, as before it
    assert {f.entry_id for f in _same(neo4j_store, DAY)} == {"E9"}
    assert neo4j_store.generation() > generation + 1


def test_each_store_has_its_own_adjacency(tmp_path: Path) -> None:
    """Two stores open at once (embedded: Neo4j has one database), at the
    same generation, each answered from its own data."""
    first, second = EmbeddedStore(tmp_path / "one.db"), EmbeddedStore(tmp_path / "two.db")
    g = _graph()
    first.upsert(g.batch)
    h = GraphBuilder()
    h.firm("X"), h.person("r")
    h.rel("r", "X", "legal_representative")
    h.entry("E9", "X", "dishonest_debtor", "2024-01-01")
    second.upsert(h.batch)  # same generation as the first store
    assert first.generation() == second.generation()
    one, two = _same(first, DAY), _same(second, DAY)
    assert {f.entry_id for f in one} == {"E1"} and {f.entry_id for f in two} == {"E9"}
    assert _same(first, DAY) == one


def test_materialise_stores_the_same_flags_as_the_rules(store: GraphStore) -> None:
    g = _graph()
    store.upsert(g.batch)
    update = materialise(store, DAY)
    assert update.flags == compute_flags(store, store.entries(), DAY)
    stored = store.stored_flags()
    assert stored is not None and stored.flags == update.flags


def _gc_on() -> bool:
    was = gc.isenabled()
    gc.enable()
    return was


def test_a_full_run_leaves_what_it_keeps_out_of_the_young_generation(tmp_path: Path) -> None:
    """The flags a run returns go straight to the oldest generation (no
    young collection traverses them after the pause), and the collector
    is on again after the run."""
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(_graph().batch)
    was = _gc_on()
    try:
        flags = full_flags(store, DAY)
        assert gc.isenabled()
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert flags and all(id(f) in oldest for f in flags)
    finally:
        if not was:
            gc.disable()


def test_objects_the_process_froze_stay_frozen(tmp_path: Path) -> None:
    """A process that froze its objects (gc.freeze before a fork) keeps
    them frozen: the run does not unfreeze them."""
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(_graph().batch)
    was = _gc_on()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert full_flags(store, DAY)
        assert frozen > 0 and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if not was:
            gc.disable()
