"""The hot statements use the uniqueness constraints: ``EXPLAIN`` on the live
Neo4j, on a graph big enough for the planner to care.

A lookup by id (entity, expand, entries, stored flags) must seek an index,
never scan a label; nothing may scan all nodes; searches use the text
indexes. The checker is tested on statements that do scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from builders import make_rid, make_uscc
from stores import Server, open_neo4j

from credgraph.model import (
    Batch,
    Enterprise,
    Flag,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    Role,
)
from credgraph.store.neo4j import Neo4jStore
from credgraph.store.neo4j.cypher import PARAMETERS, STATEMENTS

pytestmark = pytest.mark.neo4j

#: Hot statements looked up by id, with the label whose index must drive them.
BY_ID = {
    "NODES": ("Enterprise", "Person"),
    "EXISTING_IDS": ("Enterprise", "Person"),
    "EXPAND_OUT": ("Enterprise", "Person"),
    "EXPAND_IN": ("Enterprise",),
    "NEIGHBOURS_OUT": ("Enterprise", "Person"),
    "NEIGHBOURS_IN": ("Enterprise",),
    "EXPAND_BETWEEN": ("Enterprise", "Person"),
    "ENTRIES_BY_ID": ("ListEntry",),
    "ENTRIES_BY_SUBJECT": ("ListEntry",),
    "ENTRIES_BY_RESPONSIBLE": ("Person",),
    "STORED_FLAGS_BY_SUBJECT": ("Flag",),
    "DIRTY_ENTERPRISES": ("Enterprise",),
    "DIRTY_PERSONS": ("Person",),
    "DIRTY_ENTRIES": ("ListEntry",),
    "MERGE_SHAREHOLDER": ("Enterprise",),
    "OBJECTION": ("Objection",),
}
#: Hot statements that search: a text index (or a range index) drives them.
SEARCHES = (
    "SEARCH_ENTERPRISE_IDS",
    "SEARCH_PERSON_IDS",
    "SEARCH_ENTERPRISE_NAMES",
    "SEARCH_PERSON_NAMES",
    "SEARCH_NAME_KEYS",
    "SEARCH_PINYIN",
    "SEARCH_INITIALS",
    "ENTRIES_BY_LIST",
)


def operators(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(operator, details) of every operator of a plan, depth first."""
    name = str(plan["operatorType"]).split("@")[0].split("(")[0]  # NodeUniqueIndexSeek(Locking)
    yield name, str(plan.get("args", {}).get("Details", ""))
    for child in plan.get("children", []):
        yield from operators(child)


def scans(store: Neo4jStore, query: str, params: dict[str, Any]) -> list[str]:
    """The scans in the plan of ``query``: all-node scans and label scans."""
    with store._driver.session(database=store.database) as session:
        plan = session.run("EXPLAIN " + query, params).consume().plan
    assert plan is not None
    return [
        f"{op} {details}"
        for op, details in operators(plan)
        if op in ("AllNodesScan", "NodeByLabelScan")
    ]


def plan_operators(store: Neo4jStore, query: str, params: dict[str, Any]) -> set[str]:
    with store._driver.session(database=store.database) as session:
        plan = session.run("EXPLAIN " + query, params).consume().plan
    assert plan is not None
    return {op for op, _ in operators(plan)}


@pytest.fixture(scope="module")
def planned(neo4j_server: Server) -> Iterator[Neo4jStore]:
    """A store of 2 000 firms, 2 000 persons, their relations and entries."""
    store = open_neo4j(neo4j_server)
    n = 2000
    firms = [Enterprise(uscc=make_uscc(i), name=f"企业{i}") for i in range(n)]
    persons = [Person(person_id=make_rid(i), name=f"人{i}") for i in range(n)]
    relations = [
        Relation(source_id=persons[i].person_id, source_type=NodeKind.PERSON,
                 target_uscc=firms[i].uscc, role=Role.LEGAL_REPRESENTATIVE)
        for i in range(n)
    ] + [
        Relation(source_id=firms[i].uscc, source_type=NodeKind.ENTERPRISE,
                 target_uscc=firms[(i + 1) % n].uscc, role=Role.SHAREHOLDER, share_pct=60.0)
        for i in range(n)
    ]  # fmt: skip
    entries = [
        ListEntry.model_validate({"entry_id": f"E{i}", "subject_id": firms[i].uscc,
                                  "subject_type": "enterprise", "list": ListKind.DISHONEST_DEBTOR,
                                  "decided_on": "2024-01-01",
                                  "responsible_person_ids": [persons[i].person_id]})
        for i in range(0, n, 10)
    ]  # fmt: skip
    store.upsert(Batch(enterprises=firms, persons=persons, relations=relations, entries=entries))
    flags = [
        Flag.model_validate({
            "subject_id": e.subject_id, "subject_type": "enterprise", "flag": "listed",
            "list": e.list, "entry_id": e.entry_id, "rule": "L0", "citation": "003:L24",
            "path": [e.subject_id], "relations": [],
        })
        for e in entries
    ]  # fmt: skip
    store.save_flags(date(2024, 6, 1), store.generation(), flags)
    store.file_objection("E0", "paid", date(2024, 2, 1))
    # Plans are cached by statement: one planned by an earlier test on a tiny
    # graph (where a scan is cheapest) would answer here until Neo4j replans
    # it (10 s at the earliest). Fresh index statistics, no cached plans.
    store._driver.execute_query("CALL db.prepareForReplanning()", database_=store.database)
    yield store
    store.wipe()
    store.close()


@pytest.mark.parametrize("name", sorted(BY_ID))
def test_lookups_by_id_seek_an_index(planned: Neo4jStore, name: str) -> None:
    assert scans(planned, STATEMENTS[name], PARAMETERS[name]) == []
    ops = plan_operators(planned, STATEMENTS[name], PARAMETERS[name])
    assert ops & {"NodeUniqueIndexSeek", "NodeIndexSeek", "NodeUniqueIndexSeekByRange"}, ops


@pytest.mark.parametrize("name", SEARCHES)
def test_searches_use_an_index_and_never_scan_all_nodes(planned: Neo4jStore, name: str) -> None:
    found = scans(planned, STATEMENTS[name], PARAMETERS[name])
    assert not [s for s in found if s.startswith("AllNodesScan")]
    assert found == [], found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("MATCH (n) WHERE n.uscc IN $ids RETURN n", "AllNodesScan"),
        ("MATCH (e:Enterprise) WHERE e.name IN $ids RETURN e", "NodeByLabelScan"),
    ],
)
def test_the_checker_sees_scans(planned: Neo4jStore, query: str, expected: str) -> None:
    found = scans(planned, query, {"ids": ["x"]})
    assert found and found[0].startswith(expected), found
