"""Neo4j specifics, on the run's live Neo4j (the contract suite covers the
rest on both backends): bounded loads, untouched unchanged rows, flag runs,
the audit log under concurrency, one-line errors, and the conversions and
search keys that need no server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from stores import Server
from test_contract import FULL_COUNTS, Graph, flag, graph
from typer.testing import CliRunner

from credgraph.model import Batch, Flag, NodeKind, Relation, Role, Title
from credgraph.store import StoreError
from credgraph.store.base import SearchField
from credgraph.store.neo4j import Neo4jStore, loading, records, search
from credgraph.store.neo4j.cypher import flags as flag_cypher

__all__ = ["graph"]  # the contract suite's fixture, used here


@pytest.fixture
def loaded(neo4j_store: Neo4jStore, graph: Graph) -> Neo4jStore:
    neo4j_store.upsert(graph.batch)
    return neo4j_store


# -- writes -----------------------------------------------------------------------------
@pytest.mark.neo4j
def test_relations_to_unknown_nodes_fail_the_batch(neo4j_store: Neo4jStore, graph: Graph) -> None:
    """A relationship needs both ends: the loader never sends such rows, and
    the batch fails whole rather than drop one."""
    dangling = Relation(
        source_id="110101198001010999", source_type=NodeKind.PERSON, target_uscc=graph.a.uscc,
        role=Role.EXECUTIVE, title=Title.MANAGER,
    )  # fmt: skip
    with pytest.raises(StoreError, match="not in the store"):
        neo4j_store.upsert(Batch(enterprises=[graph.a], relations=[dangling]))
    assert neo4j_store.counts()["enterprises"] == 0


@pytest.fixture
def locker(neo4j_store: Neo4jStore) -> Iterator[Any]:
    """An open transaction of another client, to hold write locks with."""
    session = neo4j_store._driver.session(database=neo4j_store.database)
    tx = session.begin_transaction()
    yield tx
    tx.close()
    session.close()


def _finishes(work: Any, seconds: float) -> tuple[bool, threading.Thread]:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), thread


@pytest.mark.neo4j
def test_an_unchanged_reload_neither_writes_nor_locks(
    loaded: Neo4jStore, graph: Graph, locker: Any
) -> None:
    """Another transaction holds the write lock of every node and relationship:
    reloading the same data (upsert and bulk) does not wait for it, because
    it writes nothing; a changed row does wait, and lands once it is released."""
    locker.run("MATCH (n) SET n._held = true").consume()
    locker.run("MATCH ()-[r]->() SET r._held = true").consume()
    generation = loaded.generation()

    def reload() -> None:
        loaded.upsert(graph.batch)
        with loaded.bulk() as writer:
            writer.upsert(graph.batch)

    done, _ = _finishes(reload, 60)
    assert done, "an unchanged reload waited for another transaction's locks"
    assert loaded.generation() == generation
    renamed = graph.a.model_copy(update={"name": "Acme Trading Co (renamed)"})
    waiting, thread = _finishes(lambda: loaded.upsert(Batch(enterprises=[renamed])), 3)
    assert not waiting, "a changed row must need the node's write lock"
    locker.rollback()
    thread.join(60)
    assert loaded.nodes([renamed.uscc])[renamed.uscc].name == renamed.name
    assert loaded.generation() > generation


@pytest.mark.neo4j
def test_a_load_commits_unit_by_unit_after_its_block(
    neo4j_store: Neo4jStore, graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are spilled while the block runs (readers still see the store
    before it), then committed in transactions of ``CHUNK`` rows, each
    bumping the generation."""
    monkeypatch.setattr(loading, "CHUNK", 2)
    start = neo4j_store.generation()
    with neo4j_store.bulk() as writer:
        writer.upsert(graph.batch)
        assert neo4j_store.counts()["enterprises"] == 0
    assert neo4j_store.counts() == FULL_COUNTS
    # 2 + 2 enterprises, 2 + 1 persons, relations per role in pairs, 2 + 2 entries
    units = list(loading.units(loading.batch_rows(graph.batch)))
    assert len(units) > 4
    assert neo4j_store.generation() == start + len(units)


# -- flags ------------------------------------------------------------------------------
def _flag(subject_id: str, entry_id: str, **extra: Any) -> Flag:
    return flag(subject_id, "listed", entry_id, **extra)


def _versions(store: Neo4jStore) -> dict[tuple[str, str, int], int | None]:
    found = store._read("MATCH (f:Flag) RETURN f.subject_id AS s, f.entry_id AS e, "
                        "f.from_run AS from_run, f.to_run AS to_run")  # fmt: skip
    return {(r["s"], r["e"], r["from_run"]): r["to_run"] for r in found}


@pytest.mark.neo4j
def test_flags_are_saved_as_runs_writing_only_what_changed(
    loaded: Neo4jStore, graph: Graph
) -> None:
    a, b = graph.a.uscc, graph.b.uscc
    loaded.save_flags(date(2024, 1, 1), 1, [_flag(a, "E1"), _flag(b, "E2")], policy_key="k")
    assert _versions(loaded) == {(a, "E1", 1): None, (b, "E2", 1): None}
    # b's flag changes, a's stays as it is (same version), E3 is new
    loaded.save_flags(
        date(2024, 1, 2), 1, [_flag(a, "E1"), _flag(b, "E2", citation="003:L25"), _flag(a, "E3")]
    )
    assert _versions(loaded) == {
        (a, "E1", 1): None, (b, "E2", 1): 2, (b, "E2", 2): None, (a, "E3", 2): None,
    }  # fmt: skip
    stored = loaded.stored_flags()
    assert stored is not None and stored.as_of == date(2024, 1, 2)
    assert [(f.subject_id, f.entry_id) for f in stored.flags] == [
        (a, "E1"),
        (a, "E3"),
        (b, "E2"),
    ]
    assert loaded.counts()["flags"] == 3
    # incremental: only E3's flags are replaced; the next save drops ended versions
    loaded.save_flags(date(2024, 1, 2), 1, [], replace_entries=["E3"])
    assert _versions(loaded) == {(a, "E1", 1): None, (b, "E2", 2): None, (a, "E3", 2): 3}
    stored = loaded.stored_flags(subject_ids=[a])
    assert stored is not None and [f.entry_id for f in stored.flags] == ["E1"]


@pytest.mark.neo4j
def test_a_save_cut_short_is_never_seen_and_is_cleaned_up(loaded: Neo4jStore, graph: Graph) -> None:
    """A crash mid-save (a run begun, versions written and ended, never
    committed) leaves the previous run visible; the next save removes it."""
    a, b = graph.a.uscc, graph.b.uscc
    loaded.save_flags(date(2024, 1, 1), 1, [_flag(a, "E1"), _flag(b, "E2")], policy_key="k")
    before = loaded.stored_flags()

    def crashed_save(tx: Any) -> None:
        run = tx.run(flag_cypher.BEGIN_FLAG_RUN).single(strict=True)["run"]
        tx.run(flag_cypher.END_FLAGS, keys=[[a, "listed", "E1"]], run=run).consume()
        row = records.flag_row(_flag(a, "E9"))
        tx.run(flag_cypher.CREATE_FLAGS, rows=[row], run=run).consume()

    loaded._write(crashed_save)
    assert loaded.stored_flags() == before
    assert loaded.flags_state() == (date(2024, 1, 1), 1)
    assert loaded.counts()["flags"] == 2
    loaded.save_flags(date(2024, 1, 3), 1, [_flag(b, "E2")], policy_key="k")
    stored = loaded.stored_flags()
    assert stored is not None and [f.entry_id for f in stored.flags] == ["E2"]
    assert (a, "E9", 2) not in _versions(loaded)


@pytest.mark.neo4j
def test_an_older_save_loses_to_a_later_one(loaded: Neo4jStore, graph: Graph) -> None:
    def begin(tx: Any) -> int:
        return int(tx.run(flag_cypher.BEGIN_FLAG_RUN).single(strict=True)["run"])

    loaded._write(begin)  # a save that began, then another began after it
    loaded.save_flags(date(2024, 1, 1), 1, [_flag(graph.a.uscc, "E1")])
    commit = {"run": 1, "as_of": "2024-01-01", "generation": 1, "policy_key": ""}
    assert loaded._write(lambda tx: tx.run(flag_cypher.COMMIT_FLAG_RUN, commit).single()) is None


# -- audit ------------------------------------------------------------------------------
@pytest.mark.neo4j
def test_concurrent_audit_appends_all_land_with_unique_increasing_ids(
    neo4j_store: Neo4jStore, neo4j_server: Server
) -> None:
    """No shared counter: 8 clients writing at once each get their records in."""
    stores = [
        Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password) for _ in range(8)
    ]

    def client(n: int) -> None:
        for i in range(10):
            stores[n].append_audit(f"key-{n}", "public", "GET /search", [f"{n}-{i}"], None)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for s in stores:
        s.close()
    found = neo4j_store.audit(limit=1000)
    assert len(found) == 80
    ids = [r.audit_id for r in found]
    assert ids == sorted(set(ids)) and max(ids) < 2**53
    for n in range(8):  # each client's records in its own order
        mine = [r.subject_ids[0] for r in found if r.who == f"key-{n}"]
        assert mine == [f"{n}-{i}" for i in range(10)]


# -- errors -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_one_line() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(StoreError) as raised:
        Neo4jStore(uri, timeout=2)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("Neo4j is not reachable")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers (a stuck server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"bolt://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_silent_server_times_out_in_one_line(silent_server: str) -> None:
    with pytest.raises(StoreError) as raised:
        Neo4jStore(silent_server, timeout=1)
    assert "\n" not in str(raised.value)


@pytest.mark.neo4j
def test_bad_credentials_are_one_line(neo4j_store: Neo4jStore) -> None:
    # another user name: failed logins of "neo4j" would lock the run's user out
    with pytest.raises(StoreError, match=r"^Neo4j refused the credentials of user 'nobody'$"):
        Neo4jStore(neo4j_store.uri, user="nobody", password="wrong")


@pytest.mark.neo4j
@pytest.mark.parametrize("case", ["down", "silent", "credentials"])
def test_the_cli_names_the_uri_in_one_line_and_exits_2(
    case: str, neo4j_store: Neo4jStore, silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app

    uri = {
        "down": f"bolt://127.0.0.1:{_free_port()}",
        "silent": silent_server,
        "credentials": neo4j_store.uri,
    }[case]
    monkeypatch.setenv("CREDGRAPH_NEO4J_USER", "nobody")
    monkeypatch.setenv("CREDGRAPH_NEO4J_TIMEOUT", "1")
    result = CliRunner().invoke(app, ["flags", "--store", uri, "--format", "json"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and uri in lines[0], result.output
    assert "Traceback" not in result.output


# -- no server needed ---------------------------------------------------------------------
def test_neo4j_properties_round_trip(graph: Graph) -> None:
    """Needs no server: every record survives the trip through Neo4j properties
    (absent fields are absent properties, dates ISO strings)."""
    for e in graph.enterprises:
        assert records.node("enterprise", records.enterprise_props(e)) == e
    for p in graph.persons:
        assert records.node("person", records.person_props(p)) == p
    for r in graph.r.values():
        row = records.relation_row(r)
        props = row["props"]
        record = {
            **{k: row[k] for k in ("source_id", "source_type", "target_uscc")},
            **{k: props.get(k) for k in ("title", "start_on", "share_pct", "end_on")},
            "rel_type": r.role.value.upper(),
        }
        assert props["title"] == r.identity[3] and props["start_on"] == r.identity[4]
        assert records.relation(record) == r  # type: ignore[arg-type]
    for entry in graph.e.values():
        props = records.entry_props(entry)
        assert None not in props.values() and [] not in props.values()
        record = {"props": props, **{k: props.get(k) for k in ("removed_on", "removal_reason")}}
        assert records.entry(record) == entry  # type: ignore[arg-type]
    assert search.ascii_fold("ACME 星辰 Straße") == "acme 星辰 straße"


SEARCHES = [
    *[(q, SearchField.NAME, start) for q in ("ACME trading", "星辰", "W", "z", "%_", "北京")
      for start in (False, True)],
    *[(q, SearchField.PINYIN, start) for q in ("beijing", "beij", "lina", "jin", "xingchen")
      for start in (False, True)],
    *[(q, SearchField.INITIALS, start) for q in ("bjxc", "BJ", "xc", "acme", "ln", "北京")
      for start in (False, True)],
]  # fmt: skip


@pytest.mark.parametrize(("query", "field", "start"), SEARCHES)
def test_neo4j_search_keys_find_what_the_embedded_index_finds(
    tmp_path: Any, graph: Graph, query: str, field: SearchField, start: bool
) -> None:
    """Needs no server: the Neo4j search (a ``CONTAINS`` of a needle in a key
    property, hits in load order) emulated in Python on the keys the backend
    writes, against the embedded store's FTS index on the same graph."""
    from credgraph.store import EmbeddedStore

    embedded = EmbeddedStore(tmp_path / "search.db")
    embedded.upsert(graph.batch)
    expected = [n.id for n in embedded.search(query, field=field, start=start)]
    embedded.close()
    key = {SearchField.NAME: "search_name", SearchField.PINYIN: "search_pinyin",
           SearchField.INITIALS: "search_initials"}[field]  # fmt: skip
    needles = search.search_needles(query, field, start)
    in_load_order = [*graph.enterprises, *graph.persons]
    found = [
        node.id
        for node in in_load_order
        if any(needle in search.search_keys(node.name)[key] for needle in needles)
    ]
    assert found == expected
