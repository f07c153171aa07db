"""The ``GraphStore`` contract: one suite, run on every backend (DESIGN §1).

Each test builds a small real graph with ``credgraph.model`` records and
asserts exact reads. ``store`` (tests/store/conftest.py) is the embedded
store, and the run's live Neo4j (``tests/stores.py``).

The graph (``graph`` fixture)::

    P1 Zhang Wei --legal_representative 2020-01-01..--> A Acme Trading Co
    P1 --executive chairman 2019-01-01..2021-12-31--> B 北京星辰科技有限公司
    P2 李娜 --shareholder 60 %--> A            P2 --actual_controller 2022-01-01..--> B
    A --shareholder 70.5 % 2018-06-01..--> B   C (branch) --branch_of--> A
    P3 John Smith (passport) --executive supervisor ..2023-06-30--> A
    D Delta_Works 100% (no relations)

    E1 A serious_dishonesty 2023-03-01, responsible P1
    E2 P2 dishonest_debtor 2022-05-01 valid until 2025-05-01
    E3 B abnormal_operation 2021-01-01 removed 2022-01-01 (repaired), responsible P3, P1
    E4 A red 2020-01-01
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from credgraph.model import (
    Batch,
    Category,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    Flag,
    IdType,
    ListEntry,
    ListKind,
    NodeKind,
    Objection,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)
from credgraph.store import Direction, GraphStore, UnknownObjection
from credgraph.store.base import SearchField

if TYPE_CHECKING:
    from conftest import Ids


@dataclass(frozen=True)
class Graph:
    a: Enterprise
    b: Enterprise
    c: Enterprise
    d: Enterprise
    p1: Person
    p2: Person
    p3: Person
    r: dict[str, Relation]
    e: dict[str, ListEntry]

    @property
    def enterprises(self) -> list[Enterprise]:
        return [self.a, self.b, self.c, self.d]

    @property
    def persons(self) -> list[Person]:
        return [self.p1, self.p2, self.p3]

    @property
    def batch(self) -> Batch:
        return Batch(
            enterprises=self.enterprises,
            persons=self.persons,
            relations=list(self.r.values()),
            entries=list(self.e.values()),
        )


@pytest.fixture
def graph(ids: type[Ids]) -> Graph:
    a = Enterprise(
        uscc=ids.uscc(1),
        name="Acme Trading Co",
        status=EnterpriseStatus.ACTIVE,
        established_on=date(2010, 5, 4),
        registered_capital=5_000_000.0,
        region="110101",
        industry="wholesale",
        address="北京市东城区 1号",
        phone="+86 138-0013-8000",
        email="Info@Acme.example",
        phone_norm="13800138000",
        email_norm="info@acme.example",
        address_norm="北京市东城区1号",
    )
    b = Enterprise(uscc=ids.uscc(2), name="北京星辰科技有限公司")
    c = Enterprise(uscc=ids.uscc(3), name="Acme Trading Co Haidian", kind=EnterpriseKind.BRANCH)
    d = Enterprise(uscc=ids.uscc(4), name="Delta_Works 100%", status=EnterpriseStatus.REVOKED)
    p1 = Person(
        person_id=ids.resident_id(1), name="Zhang Wei", phone="139 0000 0001",
        phone_norm="13900000001",
    )  # fmt: skip
    p2 = Person(person_id=ids.resident_id(2), name="李娜", address="上海 ", address_norm="上海")
    p3 = Person(person_id="E12345678", id_type=IdType.PASSPORT, name="John Smith")
    person, firm = NodeKind.PERSON, NodeKind.ENTERPRISE
    r = {
        "lr": Relation(
            source_id=p1.person_id, source_type=person, target_uscc=a.uscc,
            role=Role.LEGAL_REPRESENTATIVE, start_on=date(2020, 1, 1),
        ),
        "chair": Relation(
            source_id=p1.person_id, source_type=person, target_uscc=b.uscc,
            role=Role.EXECUTIVE, title=Title.CHAIRMAN, start_on=date(2019, 1, 1),
            end_on=date(2021, 12, 31),
        ),
        "p2_holds_a": Relation(
            source_id=p2.person_id, source_type=person, target_uscc=a.uscc,
            role=Role.SHAREHOLDER, share_pct=60,
        ),
        "a_holds_b": Relation(
            source_id=a.uscc, source_type=firm, target_uscc=b.uscc, role=Role.SHAREHOLDER,
            share_pct=70.5, start_on=date(2018, 6, 1),
        ),
        "branch": Relation(
            source_id=c.uscc, source_type=firm, target_uscc=a.uscc, role=Role.BRANCH_OF,
        ),
        "controller": Relation(
            source_id=p2.person_id, source_type=person, target_uscc=b.uscc,
            role=Role.ACTUAL_CONTROLLER, start_on=date(2022, 1, 1),
        ),
        "supervisor": Relation(
            source_id=p3.person_id, source_type=person, target_uscc=a.uscc,
            role=Role.EXECUTIVE, title=Title.SUPERVISOR, end_on=date(2023, 6, 30),
        ),
    }  # fmt: skip
    e = {
        "E1": ListEntry(
            entry_id="E1", subject_id=a.uscc, subject_type=firm,
            list=ListKind.SERIOUS_DISHONESTY, category=Category.TAX_EVASION,
            reason="tax evasion", authority="税务局", case_no="(2023)01",
            decided_on=date(2023, 3, 1), responsible_person_ids=(p1.person_id,),
        ),
        "E2": ListEntry(
            entry_id="E2", subject_id=p2.person_id, subject_type=person,
            list=ListKind.DISHONEST_DEBTOR, decided_on=date(2022, 5, 1),
            valid_until=date(2025, 5, 1),
        ),
        "E3": ListEntry(
            entry_id="E3", subject_id=b.uscc, subject_type=firm,
            list=ListKind.ABNORMAL_OPERATION, decided_on=date(2021, 1, 1),
            removed_on=date(2022, 1, 1), removal_reason=RemovalReason.REPAIRED,
            responsible_person_ids=(p3.person_id, p1.person_id),
        ),
        "E4": ListEntry(
            entry_id="E4", subject_id=a.uscc, subject_type=firm, list=ListKind.RED,
            decided_on=date(2020, 1, 1),
        ),
    }  # fmt: skip
    return Graph(a, b, c, d, p1, p2, p3, r, e)


@pytest.fixture
def start(store: GraphStore) -> int:
    """The generation of the fresh store: 0 for a new embedded file; the
    run's Neo4j database, wiped for each test, counts on (a wipe never takes
    the generation back, so no cache sees an old one again)."""
    return store.generation()


@pytest.fixture
def loaded(store: GraphStore, graph: Graph, start: int) -> GraphStore:
    store.upsert(graph.batch)
    return store


def by_identity(relations: list[Relation]) -> list[Relation]:
    return sorted(relations, key=lambda r: r.identity)


def snapshot(store: GraphStore) -> dict[str, Any]:
    """Everything a reader can see, to compare before and after a write."""
    return {
        "counts": store.counts(),
        "generation": store.generation(),
        "enterprises": list(store.iter_nodes(NodeKind.ENTERPRISE)),
        "persons": list(store.iter_nodes(NodeKind.PERSON)),
        "relations": list(store.iter_relations()),
        "entries": store.entries(),
        "objections": store.objections(),
    }


FULL_COUNTS = {
    "enterprises": 4, "persons": 3, "relations": 7, "entries": 4, "objections": 0, "flags": 0,
}  # fmt: skip


# -- upsert ------------------------------------------------------------------------
def test_an_empty_store(store: GraphStore, start: int) -> None:
    assert store.counts() == dict.fromkeys(FULL_COUNTS, 0)
    assert store.generation() == start  # reads change nothing
    assert store.nodes(["X"]) == {}
    assert store.entries() == []
    assert store.objections() == []
    assert store.flags_state() is None
    assert store.stored_flags() is None
    assert store.audit() == []
    assert list(store.iter_relations()) == []


def test_upsert_writes_every_record(loaded: GraphStore, graph: Graph, start: int) -> None:
    assert loaded.counts() == FULL_COUNTS
    assert loaded.generation() == start + 1
    assert list(loaded.iter_nodes(NodeKind.ENTERPRISE)) == graph.enterprises
    assert list(loaded.iter_nodes(NodeKind.PERSON)) == sorted(
        graph.persons, key=lambda p: p.person_id
    )
    assert list(loaded.iter_relations()) == by_identity(list(graph.r.values()))
    assert loaded.entries() == list(graph.e.values())


def test_upsert_of_the_same_batch_is_idempotent(loaded: GraphStore, graph: Graph) -> None:
    before = snapshot(loaded)
    loaded.upsert(graph.batch)
    loaded.upsert(Batch(enterprises=[graph.a], relations=[graph.r["lr"]]))
    assert snapshot(loaded) == before  # the generation too: nothing changed


def test_an_empty_batch_writes_nothing(store: GraphStore, start: int) -> None:
    store.upsert(Batch())
    assert store.generation() == start


def test_a_changed_node_replaces_every_field(loaded: GraphStore, graph: Graph, start: int) -> None:
    renamed = Enterprise(uscc=graph.a.uscc, name="Acme Holdings", kind=EnterpriseKind.OTHER)
    loaded.upsert(Batch(enterprises=[renamed]))
    assert loaded.generation() == start + 2
    assert loaded.nodes([graph.a.uscc]) == {graph.a.uscc: renamed}
    assert loaded.contacts([graph.a.uscc]) == {graph.a.uscc: {}}
    assert loaded.counts() == FULL_COUNTS


def test_relation_identity_updates_in_place(loaded: GraphStore, graph: Graph, start: int) -> None:
    ended = graph.r["lr"].model_copy(update={"end_on": date(2024, 6, 30)})
    loaded.upsert(Batch(relations=[ended]))
    assert loaded.generation() == start + 2
    assert loaded.counts()["relations"] == 7
    lr = [Role.LEGAL_REPRESENTATIVE]
    assert loaded.expand([graph.p1.person_id], Direction.OUT, lr) == [ended]

    reopened = ended.model_copy(update={"end_on": None})
    resized = graph.r["p2_holds_a"].model_copy(update={"share_pct": 45.0})
    loaded.upsert(Batch(relations=[reopened, resized]))
    assert loaded.generation() == start + 3
    assert loaded.expand([graph.p1.person_id], Direction.OUT, lr) == [graph.r["lr"]]
    assert loaded.expand([graph.p2.person_id], Direction.OUT, [Role.SHAREHOLDER]) == [resized]


def test_another_start_or_title_is_another_relation(loaded: GraphStore, graph: Graph) -> None:
    again = graph.r["lr"].model_copy(update={"start_on": date(2025, 1, 1)})
    director = graph.r["chair"].model_copy(update={"title": Title.DIRECTOR})
    loaded.upsert(Batch(relations=[again, director]))
    assert loaded.counts()["relations"] == 9
    assert by_identity(loaded.expand([graph.p1.person_id], Direction.OUT)) == by_identity(
        [graph.r["lr"], again, graph.r["chair"], director]
    )


def test_the_last_duplicate_in_a_batch_wins(store: GraphStore, graph: Graph) -> None:
    first = graph.r["p2_holds_a"]
    second = first.model_copy(update={"share_pct": 10.0})
    renamed = graph.a.model_copy(update={"name": "Acme Two"})
    store.upsert(
        Batch(enterprises=[graph.a, renamed], persons=[graph.p2], relations=[first, second])
    )
    assert store.counts()["relations"] == 1
    assert list(store.iter_relations()) == [second]
    assert store.nodes([graph.a.uscc])[graph.a.uscc].name == "Acme Two"


def test_a_failed_upsert_writes_nothing(loaded: GraphStore, graph: Graph, ids: type[Ids]) -> None:
    before = snapshot(loaded)
    newcomer = Enterprise(uscc=ids.uscc(9), name="Newcomer Ltd")
    bad_entry = ListEntry.model_construct(
        entry_id="BAD", subject_id=newcomer.uscc, subject_type=NodeKind.ENTERPRISE,
        list=ListKind.SERIOUS_ILLEGAL, category=None, reason=None, authority=None,
        case_no=None, decided_on=None, valid_until=None, removed_on=None,
        removal_reason=None, responsible_person_ids=(),
    )  # fmt: skip
    batch = Batch.model_construct(
        enterprises=[newcomer, graph.a.model_copy(update={"name": "Renamed"})],
        persons=[Person(person_id=ids.resident_id(9), name="New Person")],
        relations=[graph.r["lr"].model_copy(update={"end_on": date(2030, 1, 1)})],
        entries=[graph.e["E1"], bad_entry],  # decided_on is required: the backend raises
    )
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own error
        loaded.upsert(batch)
    assert snapshot(loaded) == before
    assert loaded.nodes([newcomer.uscc, ids.resident_id(9)]) == {}


def test_bulk_writes_many_batches(store: GraphStore, graph: Graph) -> None:
    """A load of several batches. What reads inside the block see is backend
    specific (embedded: the block's writes; Neo4j: the store before the
    block, whose batches are committed when it ends)."""
    with store.bulk() as writer:
        writer.upsert(Batch(enterprises=graph.enterprises, persons=graph.persons))
        writer.upsert(Batch(relations=list(graph.r.values()), entries=list(graph.e.values())))
    assert store.counts() == FULL_COUNTS
    generation = store.generation()
    assert generation > 0
    assert store.entries() == list(graph.e.values())
    with store.bulk() as writer:
        writer.upsert(graph.batch)
    assert store.generation() == generation  # nothing changed


def test_an_aborted_or_failed_bulk_writes_nothing(
    loaded: GraphStore, graph: Graph, ids: type[Ids]
) -> None:
    before = snapshot(loaded)
    newcomer = Enterprise(uscc=ids.uscc(9), name="Newcomer Ltd")
    with loaded.bulk() as writer:
        writer.upsert(Batch(enterprises=[newcomer]))
        writer.upsert(Batch(entries=[graph.e["E2"].model_copy(update={"valid_until": None})]))
        writer.abort()
    assert snapshot(loaded) == before
    with pytest.raises(RuntimeError, match="stop"), loaded.bulk() as writer:
        writer.upsert(Batch(enterprises=[newcomer]))
        raise RuntimeError("stop")
    assert snapshot(loaded) == before


# -- nodes, contacts, search --------------------------------------------------------
def test_nodes_and_existing_ids(loaded: GraphStore, graph: Graph) -> None:
    wanted = [graph.a.uscc, graph.p3.person_id, "91110000000000099X", graph.a.uscc]
    assert loaded.nodes(wanted) == {graph.a.uscc: graph.a, graph.p3.person_id: graph.p3}
    assert loaded.existing_ids(iter(wanted)) == {
        graph.a.uscc: NodeKind.ENTERPRISE,
        graph.p3.person_id: NodeKind.PERSON,
    }
    assert loaded.nodes([]) == {}
    assert loaded.existing_ids([]) == {}


def test_contacts(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.contacts([graph.a.uscc, graph.b.uscc, graph.p1.person_id, graph.p2.person_id,
                            "unknown"]) == {
        graph.a.uscc: {
            "phone": "13800138000", "email": "info@acme.example", "address": "北京市东城区1号",
        },
        graph.b.uscc: {},
        graph.p1.person_id: {"phone": "13900000001"},
        graph.p2.person_id: {"address": "上海"},
    }  # fmt: skip


def test_contact_usage_counts_enterprises_only(loaded: GraphStore, graph: Graph) -> None:
    # p1 (a person) has phone 13900000001 too: only enterprises count
    assert loaded.contact_usage("phone", ["13800138000", "13900000001", "none"]) == {
        "13800138000": 1
    }
    assert loaded.contact_usage("email", iter(["info@acme.example"])) == {"info@acme.example": 1}
    assert loaded.contact_usage("address", []) == {}
    loaded.upsert(
        Batch(enterprises=[graph.b.model_copy(update={"address_norm": "北京市东城区1号"})])
    )
    assert loaded.contact_usage("address", ["北京市东城区1号"]) == {"北京市东城区1号": 2}


def test_search_by_id_prefix(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.search("91110000") == graph.enterprises
    assert loaded.search("91110000", limit=2) == [graph.a, graph.b]
    assert loaded.search(graph.b.uscc.lower()) == [graph.b]
    assert loaded.search(" e1234 ") == [graph.p3]
    assert loaded.search(graph.p1.person_id[:10]) == [graph.p1, graph.p2]


def test_search_by_name_substring(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.search("acme trading") == [graph.a, graph.c]  # ASCII case folded
    assert loaded.search("星辰科技") == [graph.b]
    assert loaded.search("Wei") == [graph.p1]
    assert loaded.search("SMITH") == [graph.p3]
    assert loaded.search("_") == [graph.d]  # LIKE wildcards are literal
    assert loaded.search("100%") == [graph.d]
    assert loaded.search("   ") == []
    assert loaded.search("nobody") == []


def test_search_ids_come_before_names(loaded: GraphStore, graph: Graph, ids: type[Ids]) -> None:
    digits = Enterprise(uscc=ids.uscc(5), name="91110000 Numbers Ltd")
    loaded.upsert(Batch(enterprises=[digits]))
    assert loaded.search("91110000", limit=3) == [graph.a, graph.b, graph.c]
    assert loaded.search("91110000", limit=10) == [*graph.enterprises, digits]


def test_search_pages_with_offset(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.search("91110000", offset=2) == [graph.c, graph.d]
    assert loaded.search("91110000", limit=1, offset=1) == [graph.b]
    assert loaded.search("acme", limit=5, offset=1) == [graph.c]
    assert loaded.search("91110000", limit=0) == []


def test_search_by_id_field(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.search("91110000", field=SearchField.ID) == graph.enterprises
    assert loaded.search("91110000", limit=2, offset=1, field=SearchField.ID) == [graph.b, graph.c]
    assert loaded.search("1101", field=SearchField.ID) == [graph.p1, graph.p2]
    assert loaded.search(" e12 ", field=SearchField.ID) == [graph.p3]
    assert loaded.search("acme", field=SearchField.ID) == []
    assert loaded.search(" ", field=SearchField.ID) == []


def test_search_by_folded_name(loaded: GraphStore, graph: Graph) -> None:
    name = SearchField.NAME
    # hits come in load order: enterprises a, b, c, d, then persons p1, p2, p3
    assert loaded.search("ACME trading", field=name) == [graph.a, graph.c]
    assert loaded.search("acme", field=name, start=True) == [graph.a, graph.c]
    assert loaded.search("trading", field=name, start=True) == []
    assert loaded.search("星辰", field=name) == [graph.b]
    assert loaded.search("北京", field=name, start=True) == [graph.b]
    assert loaded.search("delta works", field=name) == [graph.d]  # punctuation folded away
    assert loaded.search("W", field=name) == [graph.d, graph.p1]
    assert loaded.search("z", field=name, start=True) == [graph.p1]
    assert loaded.search("acme", limit=1, offset=1, field=name) == [graph.c]
    assert loaded.search("%_", field=name) == []


def test_search_by_pinyin(loaded: GraphStore, graph: Graph) -> None:
    pinyin = SearchField.PINYIN
    assert loaded.search("beijing", field=pinyin) == [graph.b]
    assert loaded.search("xingchen", field=pinyin) == [graph.b]
    assert loaded.search("beij", field=pinyin) == [graph.b]  # still typing
    assert loaded.search("beijing", field=pinyin, start=True) == [graph.b]
    assert loaded.search("xingchen", field=pinyin, start=True) == []
    assert loaded.search("lina", field=pinyin) == [graph.p2]
    assert loaded.search("jin", field=pinyin) == []  # whole syllables: not jing
    assert loaded.search("zhang", field=pinyin) == []  # latin names have no pinyin
    assert loaded.search("北京", field=pinyin) == []


def test_search_by_initials(loaded: GraphStore, graph: Graph) -> None:
    initials = SearchField.INITIALS
    assert loaded.search("bjxc", field=initials) == [graph.b]
    assert loaded.search("BJ", field=initials, start=True) == [graph.b]
    assert loaded.search("xc", field=initials, start=True) == []
    assert loaded.search("ln", field=initials) == [graph.p2]
    assert loaded.search("acme", field=initials) == [graph.a, graph.c]  # latin letters as is
    assert loaded.search("北京", field=initials) == []


def test_search_follows_renames(loaded: GraphStore, graph: Graph) -> None:
    renamed = graph.d.model_copy(update={"name": "北京东方"})
    loaded.upsert(Batch(enterprises=[renamed]))
    assert loaded.search("dongfang", field=SearchField.PINYIN) == [renamed]
    assert loaded.search("beijing", field=SearchField.PINYIN) == [graph.b, renamed]
    assert loaded.search("delta", field=SearchField.NAME) == []


# -- expand -------------------------------------------------------------------------
def test_expand_out_in_and_both(loaded: GraphStore, graph: Graph) -> None:
    r = graph.r
    out = loaded.expand([graph.p1.person_id], Direction.OUT)
    assert by_identity(out) == by_identity([r["lr"], r["chair"]])
    into_a = [r["lr"], r["p2_holds_a"], r["branch"], r["supervisor"]]
    assert by_identity(loaded.expand([graph.a.uscc], Direction.IN)) == by_identity(into_a)
    both = loaded.expand([graph.a.uscc], Direction.BOTH)
    assert by_identity(both) == by_identity([*into_a, r["a_holds_b"]])
    # a relation between two of the ids comes once
    every = loaded.expand([graph.a.uscc, graph.b.uscc], Direction.BOTH)
    assert len(every) == 7
    assert by_identity(every) == by_identity(list(r.values()))


def test_expand_role_filter(loaded: GraphStore, graph: Graph) -> None:
    r = graph.r
    roles = {Role.EXECUTIVE, Role.LEGAL_REPRESENTATIVE}
    found = loaded.expand([graph.a.uscc], Direction.IN, roles)
    assert by_identity(found) == by_identity([r["lr"], r["supervisor"]])
    assert loaded.expand([graph.a.uscc], Direction.OUT, [Role.SHAREHOLDER]) == [r["a_holds_b"]]
    assert loaded.expand([graph.a.uscc], Direction.IN, []) == []
    assert loaded.expand([graph.c.uscc], Direction.OUT, [Role.BRANCH_OF]) == [r["branch"]]


def test_expand_as_of_bounds_are_inclusive(loaded: GraphStore, graph: Graph) -> None:
    chair = graph.r["chair"]
    p1 = [graph.p1.person_id]

    def on(day: date) -> list[Relation]:
        return loaded.expand(p1, Direction.OUT, [Role.EXECUTIVE], as_of=day)

    assert on(date(2018, 12, 31)) == []
    assert on(date(2019, 1, 1)) == [chair]
    assert on(date(2021, 12, 31)) == [chair]
    assert on(date(2022, 1, 1)) == []


def test_expand_open_ends(loaded: GraphStore, graph: Graph) -> None:
    r, a = graph.r, [graph.a.uscc]
    early = loaded.expand(a, Direction.IN, as_of=date(1900, 1, 1))
    assert by_identity(early) == by_identity([r["p2_holds_a"], r["branch"], r["supervisor"]])
    late = loaded.expand(a, Direction.IN, as_of=date(2100, 1, 1))
    assert by_identity(late) == by_identity([r["lr"], r["p2_holds_a"], r["branch"]])
    assert loaded.expand(a, Direction.OUT, as_of=date(2100, 1, 1)) == [r["a_holds_b"]]


def test_expand_nothing(loaded: GraphStore, graph: Graph) -> None:
    assert loaded.expand([], Direction.BOTH) == []
    assert loaded.expand(["unknown"], Direction.BOTH) == []
    assert loaded.expand([graph.d.uscc], Direction.BOTH) == []


# -- entries --------------------------------------------------------------------------
def test_entries_filters(loaded: GraphStore, graph: Graph) -> None:
    e, a = graph.e, graph.a.uscc
    assert loaded.entries() == [e["E1"], e["E2"], e["E3"], e["E4"]]
    assert loaded.entries(subject_ids=[a]) == [e["E1"], e["E4"]]
    assert loaded.entries(entry_ids=iter(["E3", "E2", "nope"])) == [e["E2"], e["E3"]]
    assert loaded.entries(lists=[ListKind.RED, ListKind.DISHONEST_DEBTOR]) == [e["E2"], e["E4"]]
    assert loaded.entries(subject_ids=[a], lists=[ListKind.SERIOUS_DISHONESTY]) == [e["E1"]]
    assert loaded.entries(entry_ids=["E1", "E2"], subject_ids=[a]) == [e["E1"]]
    assert loaded.entries(subject_ids=[]) == []
    assert loaded.entries(lists=[]) == []


def test_entries_by_responsible_person(loaded: GraphStore, graph: Graph) -> None:
    e = graph.e
    p1, p3 = graph.p1.person_id, graph.p3.person_id
    assert loaded.entries(responsible_person_ids=[p1]) == [e["E1"], e["E3"]]
    assert loaded.entries(responsible_person_ids=[p3]) == [e["E3"]]
    assert loaded.entries(responsible_person_ids=[p1, p3]) == [e["E1"], e["E3"]]
    assert loaded.entries(responsible_person_ids=[p1], lists=[ListKind.SERIOUS_DISHONESTY]) == [
        e["E1"]
    ]
    assert loaded.entries(responsible_person_ids=[graph.p2.person_id]) == []
    assert loaded.entries(responsible_person_ids=[]) == []


def test_a_reloaded_entry_is_replaced(loaded: GraphStore, graph: Graph, start: int) -> None:
    p1, p2, p3 = graph.p1.person_id, graph.p2.person_id, graph.p3.person_id
    renamed = graph.e["E1"].model_copy(update={"responsible_person_ids": (p3,)})
    moved = graph.e["E2"].model_copy(update={"subject_id": p1, "valid_until": None})
    loaded.upsert(Batch(entries=[renamed, moved]))
    assert loaded.generation() == start + 2
    assert loaded.entries(responsible_person_ids=[p1]) == [graph.e["E3"]]
    assert loaded.entries(responsible_person_ids=[p3]) == [renamed, graph.e["E3"]]
    assert loaded.entries(subject_ids=[p2]) == []
    assert loaded.entries(subject_ids=[p1]) == [moved]
    assert loaded.counts() == FULL_COUNTS


# -- objections -----------------------------------------------------------------------
def test_objection_lifecycle(loaded: GraphStore, graph: Graph, start: int) -> None:
    filed = loaded.file_objection("E1", "paid in full", date(2024, 1, 2))
    assert filed == Objection(
        objection_id=1, entry_id="E1", reason="paid in full", filed_on=date(2024, 1, 2)
    )
    assert loaded.generation() == start + 2
    other = loaded.file_objection("E4", "wrong firm", date(2024, 1, 3))
    assert other.objection_id == 2
    assert loaded.objection(1) == filed
    assert loaded.objections() == [filed, other]
    assert loaded.objections(["E4", "E2"]) == [other]
    assert loaded.objections([]) == []
    assert loaded.counts()["objections"] == 2
    # filing does not change the entry: suspension is computed by queries
    assert loaded.entries(entry_ids=["E1"]) == [graph.e["E1"]]

    rejected = loaded.resolve_objection(2, upheld=False, resolved_on=date(2024, 2, 1))
    assert rejected == other.model_copy(update={"resolved_on": date(2024, 2, 1), "upheld": False})
    assert loaded.entries(entry_ids=["E4"]) == [graph.e["E4"]]
    assert loaded.generation() == start + 4


def test_an_upheld_objection_revokes_the_entry(loaded: GraphStore, graph: Graph) -> None:
    objection = loaded.file_objection("E1", "paid in full", date(2024, 1, 2))
    upheld = loaded.resolve_objection(objection.objection_id, True, date(2024, 1, 10))
    assert upheld.upheld is True
    assert upheld.resolved_on == date(2024, 1, 10)
    revoked = graph.e["E1"].model_copy(
        update={
            "removed_on": date(2024, 1, 10),
            "removal_reason": RemovalReason.REVOKED_ON_OBJECTION,
        }
    )
    assert loaded.entries(entry_ids=["E1"]) == [revoked]
    assert loaded.entries(subject_ids=[graph.a.uscc]) == [revoked, graph.e["E4"]]

    # a reload of the source data does not undo it
    loaded.upsert(graph.batch)
    assert loaded.entries(entry_ids=["E1"]) == [revoked]
    later = graph.e["E1"].model_copy(
        update={"removed_on": date(2025, 1, 1), "removal_reason": RemovalReason.COURT}
    )
    loaded.upsert(Batch(entries=[later]))
    assert loaded.entries(entry_ids=["E1"]) == [revoked]
    # an earlier removal in the source stands
    earlier = graph.e["E1"].model_copy(
        update={"removed_on": date(2023, 12, 1), "removal_reason": RemovalReason.REPAIRED}
    )
    loaded.upsert(Batch(entries=[earlier]))
    assert loaded.entries(entry_ids=["E1"]) == [earlier]


def test_an_objection_filed_before_its_entry_applies_once_loaded(
    store: GraphStore, graph: Graph
) -> None:
    objection = store.file_objection("E1", "not us", date(2024, 1, 2))
    store.resolve_objection(objection.objection_id, True, date(2024, 1, 5))
    store.upsert(graph.batch)
    assert store.entries(entry_ids=["E1"]) == [
        graph.e["E1"].model_copy(
            update={
                "removed_on": date(2024, 1, 5),
                "removal_reason": RemovalReason.REVOKED_ON_OBJECTION,
            }
        )
    ]


def test_resolving_twice_is_an_error(loaded: GraphStore) -> None:
    objection = loaded.file_objection("E2", "settled", date(2024, 3, 1))
    first = loaded.resolve_objection(objection.objection_id, False, date(2024, 3, 5))
    generation = loaded.generation()
    with pytest.raises(ValueError, match="already resolved"):
        loaded.resolve_objection(objection.objection_id, True, date(2024, 3, 6))
    assert loaded.objection(objection.objection_id) == first
    assert loaded.generation() == generation
    assert loaded.entries(entry_ids=["E2"])[0].removed_on is None


def test_unknown_objection(loaded: GraphStore, start: int) -> None:
    with pytest.raises(UnknownObjection):
        loaded.objection(42)
    with pytest.raises(UnknownObjection):
        loaded.resolve_objection(42, True, date(2024, 1, 1))
    assert loaded.generation() == start + 1


# -- generation ------------------------------------------------------------------------
def test_generation_changes_on_every_write_that_can_change_a_result(
    store: GraphStore, graph: Graph, start: int
) -> None:
    assert store.generation() == start
    store.upsert(graph.batch)
    assert store.generation() == start + 1
    store.upsert(graph.batch)
    assert store.generation() == start + 1
    objection = store.file_objection("E1", "x", date(2024, 1, 1))
    assert store.generation() == start + 2
    store.resolve_objection(objection.objection_id, False, date(2024, 1, 2))
    assert store.generation() == start + 3
    # derived and side records do not change query results
    store.save_flags(date(2024, 1, 2), start + 3, [])
    store.append_audit("key-1", "admin", "GET /audit", [], None)
    assert store.generation() == start + 3


# -- flags ------------------------------------------------------------------------------
def flag(subject_id: str, kind: str, entry_id: str, **fields: Any) -> Flag:
    values: dict[str, Any] = {
        "subject_type": "enterprise",
        "list": "serious_dishonesty",
        "rule": "L0",
        "citation": "003:L24",
        "path": [subject_id],
        "relations": [],
        **fields,
    }
    return Flag(subject_id=subject_id, flag=kind, entry_id=entry_id, **values)


def test_save_flags_and_read_them_back(loaded: GraphStore, graph: Graph) -> None:
    a, b, p1 = graph.a.uscc, graph.b.uscc, graph.p1.person_id
    listed = flag(
        a,
        "listed",
        "E1",
        subject_type="enterprise",
        list="serious_dishonesty",
        rule="L0",
        citation="003:L24",
        path=[a],
        relations=[],
        other_paths=0,
    )
    responsible = flag(
        p1,
        "responsible_person",
        "E1",
        subject_type="person",
        rule="P1",
        path=[a, p1],
        relations=["legal_representative"],
        other_paths=1,
        citation="003:L24; 001:L709",
    )
    related = flag(
        b,
        "related_enterprise",
        "E1",
        subject_type="enterprise",
        rule="P3",
        path=[a, b],
        relations=["shareholder"],
        other_paths=0,
        citation="003:L24（关联企业）",
    )
    loaded.save_flags(date(2024, 5, 1), 1, [related, listed, responsible])  # fmt: skip
    assert loaded.flags_state() == (date(2024, 5, 1), 1)
    stored = loaded.stored_flags()
    assert stored is not None
    assert (stored.as_of, stored.generation) == (date(2024, 5, 1), 1)
    # ordered by (subject_id, flag, entry_id), values exactly as saved
    assert stored.flags == sorted(
        [listed, responsible, related], key=lambda f: (f.subject_id, f.flag, f.entry_id)
    )
    assert loaded.counts()["flags"] == 3
    only_b = loaded.stored_flags(subject_ids=[b])
    assert only_b is not None and only_b.flags == [related]
    by_entry = loaded.stored_flags(entry_ids=["E1"], subject_ids=[a, p1])
    assert by_entry is not None and by_entry.flags == sorted(
        [listed, responsible], key=lambda f: f.subject_id
    )
    none = loaded.stored_flags(entry_ids=["E4"])
    assert none is not None and none.flags == []
    empty = loaded.stored_flags(subject_ids=[])
    assert empty is not None and empty.flags == []


def test_save_flags_replaces(loaded: GraphStore, graph: Graph) -> None:
    a, p1 = graph.a.uscc, graph.p1.person_id
    loaded.save_flags(date(2024, 5, 1), 1, [flag(a, "listed", "E1"), flag(p1, "listed", "E1")])
    loaded.save_flags(date(2024, 6, 1), 1, [flag(a, "listed", "E4")])
    stored = loaded.stored_flags()
    assert stored is not None
    assert stored.as_of == date(2024, 6, 1)
    assert stored.flags == [flag(a, "listed", "E4")]


def test_save_flags_of_some_entries(loaded: GraphStore, graph: Graph) -> None:
    a, p1 = graph.a.uscc, graph.p1.person_id
    loaded.save_flags(date(2024, 5, 1), 1, [flag(a, "listed", "E1"), flag(a, "listed", "E4")])
    loaded.save_flags(
        date(2024, 5, 2),
        2,
        [flag(p1, "responsible_person", "E1"), flag(p1, "responsible_person", "E1", rule="P1")],
        replace_entries=["E1"],
    )
    stored = loaded.stored_flags()
    assert stored is not None
    assert loaded.flags_state() == (date(2024, 5, 2), 2)
    assert stored.flags == [
        flag(p1, "responsible_person", "E1", rule="P1"),  # the last duplicate wins
        flag(a, "listed", "E4"),
    ]


# -- audit ------------------------------------------------------------------------------
def test_audit_append_and_page(store: GraphStore, graph: Graph) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    store.append_audit("key-1", "public", "GET /entities/{id}", [graph.a.uscc], date(2024, 1, 1))
    store.append_audit("key-2", "admin", "GET /audit", [], None)
    store.append_audit("key-1", "procurement", "POST /screenings", [graph.a.uscc, graph.b.uscc],
                       None)  # fmt: skip
    records = store.audit()
    ids = [r.audit_id for r in records]
    assert ids == sorted(set(ids)) and len(ids) == 3  # increasing, not necessarily 1, 2, 3
    first = records[0]
    assert (first.who, first.role, first.endpoint) == ("key-1", "public", "GET /entities/{id}")
    assert first.subject_ids == [graph.a.uscc]
    assert first.as_of == date(2024, 1, 1)
    assert first.at.tzinfo is not None and first.at >= before
    assert records[1].subject_ids == [] and records[1].as_of is None
    assert records[2].subject_ids == [graph.a.uscc, graph.b.uscc]
    assert store.audit(limit=2) == records[:2]
    assert store.audit(after_id=ids[1]) == records[2:]
    assert store.audit(limit=1, after_id=ids[0]) == [records[1]]
    assert store.audit(after_id=ids[2]) == []
