"""Screening bidders that hang off one hub (issue 17.5, issue 18): a nominee
legal representative of many firms, a mass-registration address. The hub
reads (``neighbour_ids``, ``expand_between``) and the flags of a few
subjects computed without the hub's other firms give the same answers as
the plain expansion and the full computation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest
from builders import GraphBuilder
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from credgraph.model import Role
from credgraph.store import Direction, GraphStore
from queries.propagation import compute_flags, flags_for_subjects
from queries.screening import screen_bidders

AS_OF = date(2026, 1, 1)
FIRMS = 30  # more than the default mass_contact_threshold (20)
ADDRESS = "东莞市南城区鸿福路8号(集群注册)"
ROLE_SETS = [None, {Role.LEGAL_REPRESENTATIVE}, {Role.SHAREHOLDER, Role.EXECUTIVE}]
DAYS = [None, date(2019, 6, 1), AS_OF]


def hub_graph() -> GraphBuilder:
    """Nominee N is legal representative of F0..F29 (F29 only until 2020),
    executive of F1, and shareholder of F2; holding firm H holds 60 % of F3
    and 10 % of F4; every firm is registered at ADDRESS. F0 is on the
    serious-dishonesty list with N responsible; group G (serious-illegal
    list) holds F10..F14, has branch F15 and is a branch of F16."""
    g = GraphBuilder()
    g.person("N")
    g.firm("H")
    for n in range(FIRMS):
        g.firm(f"F{n}", address_norm=ADDRESS)
        end = "2020-01-01" if n == FIRMS - 1 else None
        g.rel("N", f"F{n}", "legal_representative", start="2018-01-01", end=end)
    g.rel("N", "F1", "executive", title="general_manager", start="2018-01-01")
    g.rel("N", "F2", "shareholder", pct=30, start="2018-01-01")
    g.rel("H", "F3", "shareholder", pct=60, start="2018-01-01")
    g.rel("H", "F4", "shareholder", pct=10, start="2018-01-01")
    g.entry("E1", "F0", "serious_dishonesty", "2024-03-01", responsible=("N",))
    g.firm("G")  # a listed group: holds F10..F14, F15 is its branch, it is F16's
    for n in range(10, 15):
        g.rel("G", f"F{n}", "shareholder", pct=60 if n < 14 else 20, start="2018-01-01")
    g.rel("F15", "G", "branch_of", start="2018-01-01")
    g.rel("G", "F16", "branch_of", start="2018-01-01")
    g.entry("E2", "G", "serious_illegal", "2024-05-01")
    return g


@pytest.fixture
def hub(store: GraphStore) -> tuple[GraphStore, GraphBuilder]:
    g = hub_graph()
    store.upsert(g.batch)
    return store, g


def test_neighbour_ids_are_the_ends_of_expand(hub: tuple[GraphStore, GraphBuilder]) -> None:
    store, g = hub
    firms = [g[f"F{n}"] for n in (1, 2, 3, 29)]
    for roles in ROLE_SETS:
        for day in DAYS:
            out = store.expand([g["N"], g["H"]], Direction.OUT, roles, day)
            into = store.expand(firms, Direction.IN, roles, day)
            assert store.neighbour_ids([g["N"], g["H"]], Direction.OUT, roles, day) == {
                r.target_uscc for r in out
            }
            assert store.neighbour_ids(firms, Direction.IN, roles, day) == {
                r.source_id for r in into
            }
    ended = store.neighbour_ids([g["N"]], Direction.OUT, {Role.LEGAL_REPRESENTATIVE}, AS_OF)
    assert len(ended) == FIRMS - 1 and g["F29"] not in ended
    assert store.neighbour_ids([g["F3"]], Direction.BOTH) == {g["N"], g["H"]}
    assert store.neighbour_ids([], Direction.OUT) == set()


def test_expand_between_is_expand_restricted_to_targets(
    hub: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = hub
    sources = [g["N"], g["H"]]
    for targets in ([g["F1"], g["F3"], g["F29"]], [g["F2"]], [g["H"]]):
        for roles in ROLE_SETS:
            for day in DAYS:
                everything = store.expand(sources, Direction.OUT, roles, day)
                wanted = [r for r in everything if r.target_uscc in targets]
                assert store.expand_between(sources, targets, roles, day) == wanted
    found = store.expand_between(sources, [g["F1"], g["F3"]])
    assert {(g.name_of(r.source_id), g.name_of(r.target_uscc), r.role.value) for r in found} == {
        ("N", "F1", "executive"),
        ("N", "F1", "legal_representative"),
        ("N", "F3", "legal_representative"),
        ("H", "F3", "shareholder"),
    }
    assert store.expand_between(sources, []) == []


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(picked={10, 14, 15, 16}, person=False)
@given(picked=st.sets(st.integers(0, FIRMS - 1), min_size=1, max_size=8), person=st.booleans())
def test_flags_of_a_few_subjects_are_those_of_the_full_computation(
    hub: tuple[GraphStore, GraphBuilder], picked: set[int], person: bool
) -> None:
    """The nominee's other firms are never read, and the flags are the same."""
    store, g = hub
    wanted = {g[f"F{n}"] for n in picked} | ({g["N"]} if person else set())
    everything = compute_flags(store, store.entries(), AS_OF)
    expected = [f for f in everything if f.subject_id in wanted]
    assert flags_for_subjects(store, wanted, AS_OF) == expected
    assert compute_flags(store, store.entries(), AS_OF, subjects=wanted) == expected


def test_screening_bidders_of_a_nominee_at_a_mass_address(
    hub: tuple[GraphStore, GraphBuilder],
) -> None:
    """Five firms of one nominee at one cluster-registration address: every
    pair is a same-principal link and a mass-contact link counted once over
    the 30 firms at the address; each bidder is related to F0's listing
    through the nominee (live flags: nothing is materialised)."""
    store, g = hub
    names = ["F5", "F6", "F7", "F8", "F9"]
    result = screen_bidders(store, [g[n] for n in names], as_of=AS_OF)
    pairs = [(names[i], b) for i, a in enumerate(names) for b in names[i + 1 :]]
    seen = [
        (g.name_of(x.a), g.name_of(x.b), x.kind.value, x.rule.value if x.rule else None, x.count)
        for x in result.links
    ]
    assert seen == [
        row
        for a, b in pairs
        for row in (
            (a, b, "shared_person", "same_principal", None),
            (a, b, "shared_contact", "mass_contact", FIRMS),
        )
    ]
    for bidder in result.bidders:
        assert bidder.verdict.value == "reject"
        related = [r for r in bidder.reasons if r.code == "related_enterprise"]
        assert [(r.entry_id, r.path) for r in related] == [("E1", [g["F0"], g["N"], bidder.uscc])]
        others = {r.other for r in bidder.reasons if r.code == "linked_bidder"}
        assert others == {g[n] for n in names} - {bidder.uscc}


def test_flags_of_the_listed_groups_firms_are_computed_without_the_others(
    hub: tuple[GraphStore, GraphBuilder],
) -> None:
    """P3 for a few of a listed group's firms: the controlled one, the branch
    and the parent are flagged, the minority holding is not."""
    store, g = hub
    wanted = [g[n] for n in ("F10", "F14", "F15", "F16")]
    p3 = [
        (g.name_of(f.subject_id), f.entry_id, [g.name_of(n) for n in f.path], f.relations)
        for f in flags_for_subjects(store, wanted, AS_OF)
        if f.rule.value == "P3"
    ]
    assert p3 == [
        ("F10", "E2", ["G", "F10"], ["shareholder"]),
        ("F15", "E2", ["G", "F15"], ["branch_of"]),
        ("F16", "E2", ["G", "F16"], ["parent_of"]),
    ]


class ReadLog:
    """A store proxy noting which ids the screening asks about."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.usage: list[tuple[str, list[str]]] = []
        self.looked_up: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def contact_usage(self, kind: str, values: Iterable[str]) -> dict[str, int]:
        values = list(values)
        self.usage.append((kind, values))
        return self.inner.contact_usage(kind, values)

    def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        ids = list(ids)
        self.looked_up.update(ids)
        return self.inner.contacts(ids)


def test_a_mass_address_is_counted_once_not_walked(hub: tuple[GraphStore, GraphBuilder]) -> None:
    """The 30 firms at the address are counted with one indexed count for
    the one shared value; contacts are read for the bidders only, and the
    ten pairs compared among themselves."""
    store, g = hub
    log = ReadLog(store)
    bidders = [g[f"F{n}"] for n in (20, 21, 22, 23, 24)]
    result = screen_bidders(log, bidders, as_of=AS_OF)  # type: ignore[arg-type]
    assert log.usage == [("address", [ADDRESS])]
    assert log.looked_up == set(bidders)
    mass = [x for x in result.links if x.rule is not None and x.rule.value == "mass_contact"]
    assert len(mass) == 10 and {x.count for x in mass} == {FIRMS}
