"""Scenario tests of the propagation engine (DESIGN §3: rules L0, P1, P2, P3).

Each scenario builds a graph of a few named nodes (upper case = firm, lower
case = person), loads it and asserts the exact list of flags, written as
readable rows (names instead of ids). ``check`` also proves that the answer
does not depend on how it is asked: ``compute_flags`` over all entries,
``flags_for_subjects`` per subject (with and without materialised flags),
``propagate`` and ``all_flags`` agree, and every flag validates against the
shared JSON Schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from builders import GraphBuilder
from jsonschema import Draft202012Validator
from schemas import load_schema

from credgraph.model import Batch, ListEntry, ListKind, RemovalReason
from credgraph.store import GraphStore
from queries.materialise import Change, propagate, refresh
from queries.objections import (
    ObjectionError,
    UnknownObjectionError,
    file_objection,
    resolve_objection,
)
from queries.propagation import (
    all_flags,
    compute_flags,
    flags_for_subjects,
)

SCHEMA = load_schema("flag")
VALIDATOR = Draft202012Validator(SCHEMA)

DECIDED = "2024-03-01"
AS_OF = date(2025, 6, 1)

# citations of the shipped policy (credgraph/policy.yaml)
CITATION = {
    "L0": "003:L24; 003:L33",
    "P1": "003:L24; 003:L25",
    "P2": "001:L709; 000:L91",
    "P3": "000:L91; 001:L709",
}
CITATION_P1_DEBTOR = "003:L24; 003:L25; 003:L26"

LR = "legal_representative"
EX = "executive"
AC = "actual_controller"
SH = "shareholder"
NAMED = "named_responsible"


class Row(NamedTuple):
    """A flag with names for ids: path and relations joined by spaces."""

    subject: str
    subject_type: str
    flag: str
    list: str
    entry: str
    rule: str
    path: str
    relations: str
    other_paths: int
    citation: str


def _kind(name: str) -> str:
    return "person" if name[0].islower() else "enterprise"


def L0(e: ListEntry, subject: str) -> Row:
    return Row(
        subject, _kind(subject), "listed", e.list.value, e.entry_id, "L0", subject, "", 0,
        CITATION["L0"],
    )  # fmt: skip


def P1(e: ListEntry, path: str, relation: str) -> Row:
    subject = path.split()[-1]
    citation = CITATION_P1_DEBTOR if e.list is ListKind.DISHONEST_DEBTOR else CITATION["P1"]
    return Row(
        subject, "person", "responsible_person", e.list.value, e.entry_id, "P1", path, relation,
        0, citation,
    )  # fmt: skip


def _related(rule: str, e: ListEntry, path: str, relations: str, other: int) -> Row:
    subject = path.split()[-1]
    return Row(
        subject, "enterprise", "related_enterprise", e.list.value, e.entry_id, rule, path,
        relations, other, CITATION[rule],
    )  # fmt: skip


def P2(e: ListEntry, path: str, relations: str, other: int = 0) -> Row:
    return _related("P2", e, path, relations, other)


def P3(e: ListEntry, path: str, relation: str, other: int = 0) -> Row:
    return _related("P3", e, path, relation, other)


def rows(g: GraphBuilder, flags: list[object]) -> list[Row]:
    out = []
    for f in flags:
        data = f if isinstance(f, dict) else f.model_dump(mode="json")  # type: ignore[attr-defined]
        out.append(
            Row(
                g.name_of(data["subject_id"]),
                data["subject_type"],
                data["flag"],
                data["list"],
                data["entry_id"],
                data["rule"],
                " ".join(g.name_of(n) for n in data["path"]),
                " ".join(data["relations"]),
                data["other_paths"],
                data["citation"],
            )
        )
    return sorted(out)


def dumped(flags: list[object]) -> list[dict[str, object]]:
    return [f.model_dump(mode="json") for f in flags]  # type: ignore[attr-defined]


def check(store: GraphStore, g: GraphBuilder, expected: list[Row], as_of: date = AS_OF) -> None:
    """The exact flags on as_of, however they are asked for."""
    fresh = compute_flags(store, store.entries(), as_of)
    assert rows(g, fresh) == sorted(expected)
    for f in dumped(fresh):
        errors = [e.message for e in VALIDATOR.iter_errors(f)]
        assert not errors, (f, errors)
    # one flag per (subject, flag, entry)
    keys = [(f.subject_id, f.flag, f.entry_id) for f in fresh]
    assert len(keys) == len(set(keys))
    every = list(g.ids.values())

    def per_subject() -> None:
        for node in every:
            want = [f for f in fresh if f.subject_id == node]
            assert flags_for_subjects(store, [node], as_of) == want, g.name_of(node)
        assert flags_for_subjects(store, every, as_of) == fresh

    per_subject()  # computed on demand
    assert all_flags(store, as_of) == fresh
    assert propagate(store, as_of) == fresh
    stored = store.stored_flags()
    assert stored is not None and stored.flags == fresh
    per_subject()  # from materialised flags
    assert all_flags(store, as_of) == fresh


def load(store: GraphStore, g: GraphBuilder) -> GraphStore:
    store.upsert(g.batch)
    return store


# -- L0 / P1 / P2 --------------------------------------------------------------
def test_listed_firm_reaches_its_legal_representative_and_their_other_firm(
    store: GraphStore,
) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", LR, start="2020-01-01")
    g.rel("p", "B", EX, title="general_manager")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED, category="tax_evasion")
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p B", f"{LR} {EX}"),
        ],
    )


def test_principal_responsible_titles_only(store: GraphStore) -> None:
    """P1: chairman and general_manager are principal responsible persons;
    director, manager, supervisor, other and untitled executives are not."""
    g = GraphBuilder()
    g.firm("A")
    for name, title in [
        ("chair", "chairman"),
        ("gm", "general_manager"),
        ("dir", "director"),
        ("mgr", "manager"),
        ("sup", "supervisor"),
        ("oth", "other"),
        ("none", None),
    ]:
        g.person(name)
        g.rel(name, "A", EX, title=title)
    g.person("holder")
    g.rel("holder", "A", SH, pct=100)  # a sole shareholder is not P1 either
    e = g.entry("E1", "A", "serious_illegal", DECIDED)
    load(store, g)
    check(store, g, [L0(e, "A"), P1(e, "A chair", EX), P1(e, "A gm", EX)])


def test_p2_roles_director_yes_supervisor_no(store: GraphStore) -> None:
    """P2: any executive title but supervisor; legal representative; actual
    controller; controlling shareholder."""
    g = GraphBuilder()
    for firm in ["A", "DIR", "SUP", "MGR", "UNTITLED", "CTRL", "LRF"]:
        g.firm(firm)
    g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "DIR", EX, title="director")
    g.rel("p", "SUP", EX, title="supervisor")
    g.rel("p", "MGR", EX, title="manager")
    g.rel("p", "UNTITLED", EX)
    g.rel("p", "CTRL", AC)
    g.rel("p", "LRF", LR)
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p DIR", f"{LR} {EX}"),
            P2(e, "A p MGR", f"{LR} {EX}"),
            P2(e, "A p UNTITLED", f"{LR} {EX}"),
            P2(e, "A p CTRL", f"{LR} {AC}"),
            P2(e, "A p LRF", f"{LR} {LR}"),
        ],
    )


def test_director_is_not_responsible_unless_named(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("d1"), g.person("d2")
    g.rel("d1", "A", EX, title="director")
    g.rel("d2", "A", EX, title="director")
    g.rel("d2", "B", EX, title="director")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED, responsible=("d2",))
    load(store, g)
    check(
        store,
        g,
        [L0(e, "A"), P1(e, "A d2", NAMED), P2(e, "A d2 B", f"{NAMED} {EX}")],
    )


def test_named_responsible_persons(store: GraphStore) -> None:
    """Named persons are responsible whatever their roles; a named person who
    also is the legal representative is reported as legal_representative."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("lr"), g.person("n"), g.person("left")
    g.rel("lr", "A", LR)
    g.rel("n", "B", SH, pct=75)
    g.rel("left", "A", LR, end="2023-12-31")  # left before the decision, but named
    e = g.entry("E1", "A", "dishonest_debtor", DECIDED, responsible=("lr", "n", "left"))
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A lr", LR),
            P1(e, "A n", NAMED),
            P1(e, "A left", NAMED),
            P2(e, "A n B", f"{NAMED} {SH}"),
        ],
    )


def test_actual_controller_responsible_only_for_dishonest_debtors(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("X"), g.person("c"), g.person("p")
    g.rel("c", "A", AC)
    g.rel("c", "B", AC)
    g.rel("X", "A", AC)  # a firm declared actual controller: never P1 (persons only)
    g.rel("p", "A", LR)
    g.rel("p", "X", AC)  # P2 through actual_controller, for any severe list
    sd = g.entry("SD", "A", "serious_dishonesty", DECIDED)
    dd = g.entry("DD", "A", "dishonest_debtor", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(sd, "A"),
            L0(dd, "A"),
            P1(sd, "A p", LR),
            P1(dd, "A p", LR),
            P1(dd, "A c", AC),
            P2(sd, "A p X", f"{LR} {AC}"),
            P2(dd, "A p X", f"{LR} {AC}"),
            P2(dd, "A c B", f"{AC} {AC}"),
        ],
    )


def test_one_flag_per_subject_flag_entry_with_preferred_relation(store: GraphStore) -> None:
    """Several roles linking the same pair give one flag, reporting the
    preferred role (legal_representative, executive, actual_controller,
    shareholder)."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("C"), g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "A", EX, title="chairman")
    g.rel("p", "A", AC)
    g.rel("p", "B", SH, pct=80)
    g.rel("p", "B", AC)
    g.rel("p", "B", EX, title="general_manager")
    g.rel("p", "C", SH, pct=60)
    g.rel("p", "C", AC)
    e = g.entry("E1", "A", "dishonest_debtor", DECIDED, responsible=("p",))
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p B", f"{LR} {EX}"),
            P2(e, "A p C", f"{LR} {AC}"),
        ],
    )


# -- dates of roles ------------------------------------------------------------
def test_p1_uses_roles_on_the_decision_day(store: GraphStore) -> None:
    """Ended before the decision: not responsible. Ended after it: still
    responsible while the entry is active. Started after it: not responsible.
    Role boundaries are inclusive."""
    g = GraphBuilder()
    g.firm("A")
    for name in ["before", "after", "later", "ends_on_day", "starts_on_day"]:
        g.person(name)
    g.rel("before", "A", LR, start="2019-01-01", end="2024-02-29")
    g.rel("after", "A", LR, start="2019-01-01", end="2024-03-02")
    g.rel("later", "A", LR, start="2024-03-02")
    g.rel("ends_on_day", "A", EX, title="chairman", end=DECIDED)
    g.rel("starts_on_day", "A", EX, title="general_manager", start=DECIDED)
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A after", LR),
            P1(e, "A ends_on_day", EX),
            P1(e, "A starts_on_day", EX),
        ],
    )
    # a year later the person who left is still responsible
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A after", LR),
            P1(e, "A ends_on_day", EX),
            P1(e, "A starts_on_day", EX),
        ],
        as_of=date(2026, 6, 1),
    )


def test_p2_uses_roles_on_as_of(store: GraphStore) -> None:
    """Ended or future roles in other firms link nothing; the boundaries are
    inclusive; P2 follows the person's roles on as_of, not on the decision."""
    g = GraphBuilder()
    g.firm("A"), g.person("p")
    for firm in ["ENDED", "FUTURE", "ENDS_TODAY", "STARTS_TODAY", "SINCE_DECISION"]:
        g.firm(firm)
    g.rel("p", "A", LR, end="2024-12-31")  # left A after the decision
    g.rel("p", "ENDED", LR, start="2020-01-01", end="2025-05-31")
    g.rel("p", "FUTURE", LR, start="2025-06-02")
    g.rel("p", "ENDS_TODAY", EX, title="director", end=AS_OF.isoformat())
    g.rel("p", "STARTS_TODAY", AC, start=AS_OF.isoformat())
    g.rel("p", "SINCE_DECISION", LR, start="2024-06-01")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p ENDS_TODAY", f"{LR} {EX}"),
            P2(e, "A p STARTS_TODAY", f"{LR} {AC}"),
            P2(e, "A p SINCE_DECISION", f"{LR} {LR}"),
        ],
    )
    # on the decision day only the roles of that day link
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p ENDED", f"{LR} {LR}"),
            P2(e, "A p ENDS_TODAY", f"{LR} {EX}"),
        ],
        as_of=date(2024, 3, 1),
    )


# -- shareholdings -------------------------------------------------------------
def test_controlling_shareholders_and_minorities(store: GraphStore) -> None:
    """P2 and P3 need a holding ≥ 50 % of active rows; several active rows of
    the same holder add up; ended rows do not count."""
    g = GraphBuilder()
    g.firm("A"), g.person("p")
    for firm in ["MINOR", "HALF", "SUMMED", "ENDED_ROW", "A_MINOR", "A_HALF", "A_SUMMED"]:
        g.firm(firm)
    g.rel("p", "A", LR)
    g.rel("p", "MINOR", SH, pct=49.99)
    g.rel("p", "HALF", SH, pct=50)
    g.rel("p", "SUMMED", SH, pct=30, start="2020-01-01")
    g.rel("p", "SUMMED", SH, pct=20, start="2021-01-01")
    g.rel("p", "ENDED_ROW", SH, pct=30, start="2020-01-01")
    g.rel("p", "ENDED_ROW", SH, pct=30, start="2019-01-01", end="2024-12-31")
    g.rel("A", "A_MINOR", SH, pct=49)
    g.rel("A", "A_HALF", SH, pct=50)
    g.rel("A", "A_SUMMED", SH, pct=25, start="2020-01-01")
    g.rel("A", "A_SUMMED", SH, pct=25, start="2022-01-01")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P2(e, "A p HALF", f"{LR} {SH}"),
            P2(e, "A p SUMMED", f"{LR} {SH}"),
            P3(e, "A A_HALF", SH),
            P3(e, "A A_SUMMED", SH),
        ],
    )


# -- P3 branches ---------------------------------------------------------------
def test_branches_both_ways(store: GraphStore) -> None:
    """A listed firm flags its branches (branch_of) and, when it is a
    branch, its parent (parent_of); a sibling branch gets nothing."""
    g = GraphBuilder()
    g.firm("HQ"), g.firm("BR1"), g.firm("BR2"), g.firm("OLD"), g.firm("L"), g.firm("LB")
    g.rel("BR1", "HQ", "branch_of")
    g.rel("BR2", "HQ", "branch_of")
    g.rel("OLD", "L", "branch_of", end="2025-01-01")  # closed branch
    g.rel("LB", "L", "branch_of")
    hq = g.entry("HQE", "L", "serious_illegal", DECIDED)
    br = g.entry("BRE", "BR1", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(hq, "L"),
            P3(hq, "L LB", "branch_of"),
            L0(br, "BR1"),
            P3(br, "BR1 HQ", "parent_of"),
        ],
    )


# -- entry lifecycle -----------------------------------------------------------
def _lifecycle_graph(**entry_kw: str) -> tuple[GraphBuilder, ListEntry]:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("S"), g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)
    g.rel("A", "S", SH, pct=100)
    decided = entry_kw.pop("decided", DECIDED)
    e = g.entry("E1", "A", "serious_dishonesty", decided, **entry_kw)  # type: ignore[arg-type]
    return g, e


def _all_four(e: ListEntry) -> list[Row]:
    return [L0(e, "A"), P1(e, "A p", LR), P2(e, "A p B", f"{LR} {LR}"), P3(e, "A S", SH)]


@pytest.mark.parametrize(
    ("entry_kw", "active"),
    [
        ({}, True),
        ({"removed": "2025-05-31", "removal_reason": "repaired"}, False),
        ({"removed": AS_OF.isoformat(), "removal_reason": "court"}, False),
        ({"removed": "2025-06-02", "removal_reason": "repaired"}, True),
        ({"valid_until": "2025-05-31"}, False),
        ({"valid_until": AS_OF.isoformat()}, True),
        ({"decided": "2025-06-02"}, False),
        ({"decided": AS_OF.isoformat()}, True),
    ],
    ids=[
        "plain",
        "removed-before",
        "removed-on-as-of",
        "removed-after",
        "expired",
        "valid-until-as-of",
        "decided-in-future",
        "decided-on-as-of",
    ],
)
def test_entry_lifecycle(store: GraphStore, entry_kw: dict[str, str], active: bool) -> None:
    g, e = _lifecycle_graph(**entry_kw)
    load(store, g)
    check(store, g, _all_four(e) if active else [])


def test_removed_entry_history_stays_queryable(store: GraphStore) -> None:
    g, e = _lifecycle_graph(removed="2025-01-01", removal_reason="repaired")
    load(store, g)
    check(store, g, [])
    check(store, g, _all_four(e), as_of=date(2024, 12, 31))


# -- objections ----------------------------------------------------------------
def test_objection_suspends_from_filing_and_rejection_restores(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    load(store, g)
    propagate(store, AS_OF)
    objection = file_objection(store, "E1", "wrong company", date(2025, 5, 1))
    check(store, g, _all_four(e), as_of=date(2025, 4, 30))  # before filing: unaffected
    check(store, g, [], as_of=date(2025, 5, 1))  # suspended from the filing day
    check(store, g, [], as_of=AS_OF)
    resolved = resolve_objection(store, objection.objection_id, False, date(2025, 7, 1))
    assert resolved.upheld is False and resolved.resolved_on == date(2025, 7, 1)
    check(store, g, [], as_of=date(2025, 6, 30))  # still under verification
    check(store, g, _all_four(e), as_of=date(2025, 7, 1))  # active again
    check(store, g, _all_four(e), as_of=date(2025, 4, 30))
    # history: the entry itself is unchanged
    (entry,) = store.entries(entry_ids=["E1"])
    assert entry.removed_on is None and entry.removal_reason is None


def test_upheld_objection_removes_entry_and_survives_reload(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    load(store, g)
    objection = file_objection(store, "E1", "not us", date(2025, 5, 1))
    resolve_objection(store, objection.objection_id, True, date(2025, 5, 20))
    (entry,) = store.entries(entry_ids=["E1"])
    assert entry.removed_on == date(2025, 5, 20)
    assert entry.removal_reason is RemovalReason.REVOKED_ON_OBJECTION
    check(store, g, [], as_of=date(2025, 5, 20))
    check(store, g, [], as_of=date(2030, 1, 1))
    check(store, g, _all_four(e), as_of=date(2025, 4, 30))
    # a reload of the source data does not undo the objection
    generation = store.generation()
    store.upsert(Batch(entries=[e]))
    assert store.generation() == generation
    (entry,) = store.entries(entry_ids=["E1"])
    assert entry.removal_reason is RemovalReason.REVOKED_ON_OBJECTION
    check(store, g, [], as_of=AS_OF)
    # nor does a reload with changed details
    store.upsert(Batch(entries=[e.model_copy(update={"reason": "updated text"})]))
    (entry,) = store.entries(entry_ids=["E1"])
    assert entry.removed_on == date(2025, 5, 20)
    check(store, g, [], as_of=AS_OF)


def test_objection_errors(store: GraphStore) -> None:
    g, _ = _lifecycle_graph()
    load(store, g)
    with pytest.raises(ObjectionError, match="unknown list entry"):
        file_objection(store, "NOPE", "why", AS_OF)
    with pytest.raises(ObjectionError, match="reason"):
        file_objection(store, "E1", "  ", AS_OF)
    first = file_objection(store, "E1", "why", date(2025, 1, 1))
    with pytest.raises(ObjectionError, match="open objection"):
        file_objection(store, "E1", "again", date(2025, 2, 1))
    with pytest.raises(ObjectionError, match="before filing"):
        resolve_objection(store, first.objection_id, True, date(2024, 12, 31))
    resolve_objection(store, first.objection_id, False, date(2025, 3, 1))
    with pytest.raises(ObjectionError, match="already resolved"):
        resolve_objection(store, first.objection_id, True, date(2025, 3, 2))
    with pytest.raises(UnknownObjectionError, match="no objection 999999"):
        resolve_objection(store, 999_999, True, AS_OF)
    # a resolved objection does not block a new one
    second = file_objection(store, "E1", "new evidence", date(2025, 4, 1))
    assert second.objection_id != first.objection_id
    assert [o.objection_id for o in store.objections(["E1"])] == [
        first.objection_id,
        second.objection_id,
    ]


def test_objections_refresh_materialised_flags(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    load(store, g)
    propagate(store, AS_OF)
    objection = file_objection(store, "E1", "why", date(2025, 5, 1))
    assert store.flags_state() == (AS_OF, store.generation())
    stored = store.stored_flags()
    assert stored is not None and stored.flags == []
    resolve_objection(store, objection.objection_id, False, date(2025, 5, 10))
    assert store.flags_state() == (AS_OF, store.generation())
    stored = store.stored_flags()
    assert stored is not None and rows(g, stored.flags) == sorted(_all_four(e))


# -- reach of the rules --------------------------------------------------------
def test_related_firms_do_not_propagate_further(store: GraphStore) -> None:
    """related_enterprise never propagates: no P1/P2 out of related firms,
    P3 is one hop only."""
    g = GraphBuilder()
    for firm in ["A", "B", "C", "D", "E", "BR"]:
        g.firm(firm)
    for person in ["p", "q", "r"]:
        g.person(person)
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)  # B related via P2
    g.rel("q", "B", LR)  # B's other LR: nothing
    g.rel("q", "C", LR)  # … nor C
    g.rel("B", "C", SH, pct=100)  # B's subsidiary: nothing
    g.rel("A", "D", SH, pct=100)  # D related via P3
    g.rel("r", "D", LR)  # D's LR: nothing
    g.rel("D", "E", SH, pct=100)  # D's subsidiary: nothing (no chains)
    g.rel("BR", "D", "branch_of")  # D's branch: nothing
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [L0(e, "A"), P1(e, "A p", LR), P2(e, "A p B", f"{LR} {LR}"), P3(e, "A D", SH)],
    )


@pytest.mark.parametrize("kind", ["key_attention", "abnormal_operation", "red"])
def test_non_severe_lists_give_only_listed(store: GraphStore, kind: str) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("S"), g.firm("BR"), g.person("p"), g.person("q")
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)
    g.rel("A", "S", SH, pct=100)
    g.rel("BR", "A", "branch_of")
    g.rel("q", "B", LR)
    firm_entry = g.entry("E1", "A", kind, DECIDED, responsible=("p",))
    person_entry = g.entry("E2", "q", kind, DECIDED)
    load(store, g)
    check(store, g, [L0(firm_entry, "A"), L0(person_entry, "q")])


def test_person_listed_directly(store: GraphStore) -> None:
    """L0 for the person, P2 to their firms on as_of with path [person, firm];
    no P1 (P1 starts at enterprises)."""
    g = GraphBuilder()
    g.firm("B"), g.firm("C"), g.firm("SUP"), g.firm("GONE"), g.person("p"), g.person("q")
    g.rel("p", "B", LR)
    g.rel("p", "C", SH, pct=60)
    g.rel("p", "SUP", EX, title="supervisor")
    g.rel("p", "GONE", LR, end="2025-01-01")
    g.rel("q", "B", LR)
    e = g.entry("E1", "p", "dishonest_debtor", DECIDED, responsible=("q",))
    load(store, g)
    check(store, g, [L0(e, "p"), P2(e, "p B", LR), P2(e, "p C", SH)])


def test_listed_firm_gets_related_from_other_entries_only(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)
    g.rel("A", "B", SH, pct=60)
    ea = g.entry("EA", "A", "serious_dishonesty", DECIDED)
    eb = g.entry("EB", "B", "serious_illegal", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(ea, "A"),
            L0(eb, "B"),
            P1(ea, "A p", LR),
            P1(eb, "B p", LR),
            P3(ea, "A B", SH, other=1),  # shorter than [A, p, B]
            P2(eb, "B p A", f"{LR} {LR}"),
        ],
    )


def test_two_entries_on_one_firm_give_one_flag_each(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)
    e1 = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    e2 = g.entry("E2", "A", "serious_illegal", "2024-05-01")
    load(store, g)
    check(
        store,
        g,
        [
            L0(e1, "A"),
            L0(e2, "A"),
            P1(e1, "A p", LR),
            P1(e2, "A p", LR),
            P2(e1, "A p B", f"{LR} {LR}"),
            P2(e2, "A p B", f"{LR} {LR}"),
        ],
    )


# -- shortest path and other_paths ---------------------------------------------
def test_shortest_path_kept_and_others_counted(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.firm("C"), g.person("p"), g.person("q")
    g.rel("p", "A", LR)
    g.rel("q", "A", EX, title="chairman")
    g.rel("p", "B", LR)  # two responsible persons both LR of B
    g.rel("q", "B", LR)
    g.rel("A", "C", SH, pct=70)  # P3 [A, C] beats P2 [A, p, C] and [A, q, C]
    g.rel("p", "C", EX, title="director")
    g.rel("q", "C", AC)
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A p", LR),
            P1(e, "A q", EX),
            P2(e, "A p B", f"{LR} {LR}", other=1),
            P3(e, "A C", SH, other=2),
        ],
    )


def test_equal_length_paths_prefer_the_stronger_roles(store: GraphStore) -> None:
    """Among paths of the same length the one with preferred roles wins,
    whatever the names or ids of the persons."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("q"), g.person("p")  # q gets the smaller id
    g.rel("q", "A", EX, title="general_manager")
    g.rel("q", "B", SH, pct=90)
    g.rel("p", "A", LR)
    g.rel("p", "B", EX, title="manager")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(
        store,
        g,
        [
            L0(e, "A"),
            P1(e, "A q", EX),
            P1(e, "A p", LR),
            P2(e, "A p B", f"{LR} {EX}", other=1),
        ],
    )


def test_same_pair_by_holding_and_branch_is_one_path(store: GraphStore) -> None:
    """A branch the listed firm also holds: one path, reported as the
    preferred relation (shareholder before branch_of)."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    g.rel("A", "B", SH, pct=100)
    g.rel("B", "A", "branch_of")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(store, g, [L0(e, "A"), P3(e, "A B", SH)])


def test_self_relations_never_relate_a_firm_to_itself(store: GraphStore) -> None:
    """The loader rejects them, but a store written directly may hold a firm
    holding its own shares or marked a branch of itself."""
    g = GraphBuilder()
    g.firm("A")
    g.rel("A", "A", SH, pct=100)
    g.rel("A", "A", "branch_of")
    e = g.entry("E1", "A", "serious_dishonesty", DECIDED)
    load(store, g)
    check(store, g, [L0(e, "A")])


# -- materialised flags: never stale, never of another day ----------------------
def test_materialised_flags_ignored_when_stale(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    load(store, g)
    propagate(store, AS_OF)
    g.firm("NEW")
    new_rel = g.rel("p", "NEW", LR)
    store.upsert(Batch(enterprises=[g.batch.enterprises[-1]], relations=[new_rel]))
    expected = [*_all_four(e), P2(e, "A p NEW", f"{LR} {LR}")]
    assert rows(g, flags_for_subjects(store, [g["NEW"]], AS_OF)) == [expected[-1]]
    assert rows(g, all_flags(store, AS_OF)) == sorted(expected)
    # an objection filed behind the engine's back also makes them stale
    store.file_objection("E1", "direct", date(2025, 1, 1))
    assert flags_for_subjects(store, list(g.ids.values()), AS_OF) == []
    assert all_flags(store, AS_OF) == []


def test_materialised_flags_of_another_day_are_ignored(store: GraphStore) -> None:
    g, e = _lifecycle_graph(removed="2025-01-01", removal_reason="repaired")
    load(store, g)
    propagate(store, date(2024, 6, 1))
    stored = store.stored_flags()
    assert stored is not None and len(stored.flags) == 4
    assert all_flags(store, AS_OF) == []
    assert flags_for_subjects(store, list(g.ids.values()), AS_OF) == []
    assert rows(g, flags_for_subjects(store, [g["p"]], date(2024, 6, 1))) == [P1(e, "A p", LR)]


def test_refresh_after_load_updates_only_what_changed(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    g.firm("Z"), g.person("z")
    g.rel("z", "Z", LR)
    other = g.entry("EZ", "Z", "serious_dishonesty", DECIDED)
    load(store, g)
    propagate(store, AS_OF)
    before = store.generation()
    # p leaves B before as_of; a new entry on p's firm B
    ended = g.rel("p", "B", LR)
    ended = ended.model_copy(update={"end_on": date(2025, 1, 1)})
    new_entry = g.entry("EB", "B", "serious_illegal", "2025-02-01")
    batch = Batch(relations=[ended], entries=[new_entry])
    store.upsert(batch)
    update = refresh(store, Change.of_batch(batch), before)
    assert update is not None and update.flags
    assert store.flags_state() == (AS_OF, store.generation())
    expected = [
        L0(e, "A"),
        P1(e, "A p", LR),
        P3(e, "A S", SH),
        L0(other, "Z"),
        P1(other, "Z z", LR),
        L0(new_entry, "B"),
    ]
    stored = store.stored_flags()
    assert stored is not None and rows(g, stored.flags) == sorted(expected)
    check(store, g, expected)
    # materialised flags made stale by an earlier write are not refreshed
    store.upsert(Batch(relations=[g.rel("z", "A", EX, title="chairman")]))
    before = store.generation()
    batch = Batch(relations=[g.rel("z", "B", LR)])
    store.upsert(batch)
    assert refresh(store, Change.of_batch(batch), before) is None
    assert store.flags_state() != (AS_OF, store.generation())
    fresh = compute_flags(store, store.entries(), AS_OF)
    assert P1(e, "A z", EX) in rows(g, fresh)
    assert all_flags(store, AS_OF) == fresh
    assert flags_for_subjects(store, [g["z"]], AS_OF) == [
        f for f in fresh if f.subject_id == g["z"]
    ]


def test_idempotent_reload_keeps_generation_and_flags(store: GraphStore) -> None:
    g, e = _lifecycle_graph()
    load(store, g)
    propagate(store, AS_OF)
    generation = store.generation()
    store.upsert(g.batch)
    assert store.generation() == generation
    update = refresh(store, Change.of_batch(g.batch), generation)
    assert update is not None and update.flags == []
    check(store, g, _all_four(e))


def test_flags_for_subjects_matches_full_computation_in_a_busy_graph(
    make_store: Callable[[], GraphStore],
) -> None:
    """Every rule at once, for several days: the candidate-entry search of
    flags_for_subjects finds every entry that can reach a subject."""
    g = GraphBuilder()
    for firm in ["A", "B", "C", "D", "BR", "PAR"]:
        g.firm(firm)
    for person in ["p", "q", "r", "s"]:
        g.person(person)
    g.rel("p", "A", LR, end="2024-12-31")
    g.rel("p", "B", SH, pct=60, start="2024-06-01")
    g.rel("q", "A", AC)
    g.rel("q", "C", EX, title="director", end="2025-03-01")
    g.rel("r", "D", LR)
    g.rel("s", "D", SH, pct=55)
    g.rel("A", "D", SH, pct=51, start="2025-01-01")
    g.rel("BR", "PAR", "branch_of")
    g.rel("A", "PAR", "branch_of")
    g.entry("E1", "A", "dishonest_debtor", DECIDED, valid_until="2025-12-31")
    g.entry("E2", "r", "serious_illegal", "2024-09-01", responsible=("s",))
    g.entry("E3", "BR", "serious_dishonesty", "2025-02-01", removed="2025-09-01")
    g.entry("E4", "C", "key_attention", "2023-01-01")
    g.entry("E5", "D", "serious_dishonesty", "2024-01-01", responsible=("q",))
    store = load(make_store(), g)
    for day in ["2024-01-01", "2024-03-01", "2024-07-01", "2025-02-01", "2025-06-01", "2026-01-01"]:
        as_of = date.fromisoformat(day)
        fresh = compute_flags(store, store.entries(), as_of)
        for node in g.ids.values():
            assert flags_for_subjects(store, [node], as_of) == [
                f for f in fresh if f.subject_id == node
            ], (day, g.name_of(node))
        propagate(store, as_of)
        for node in g.ids.values():
            assert flags_for_subjects(store, [node], as_of) == [
                f for f in fresh if f.subject_id == node
            ]
        assert flags_for_subjects(store, [], as_of) == []
        # the day after, the materialised flags of this day are not used
        later = as_of + timedelta(days=1)
        assert all_flags(store, later) == compute_flags(store, store.entries(), later)
