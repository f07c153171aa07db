"""Bidder-link rules (DESIGN §6): links decide verdicts in public_bidding and
government_procurement; other scenarios list them only.

Upper-case names are firms (bidders A, B, …), lower-case names persons.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from builders import GraphBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemas import load_schema

from credgraph.policy import load_policy
from credgraph.store import GraphStore
from queries.screening import ScreeningResult, screen_bidders
from queries.screening_model import VERDICT_RANK

VALIDATOR = Draft202012Validator(load_schema("screening"))
AS_OF = date(2025, 6, 1)
LR, EX, SH, AC, BR = (
    "legal_representative",
    "executive",
    "shareholder",
    "actual_controller",
    ("branch_of"),
)
PB_REF = "《招标投标法实施条例》第三十四条"
PB_VOID = f"（{PB_REF}：单位负责人为同一人……不得参加同一标段投标……相关投标均无效）"
PB_CONTROL = f"（{PB_REF}：存在控股、管理关系的不同单位，不得参加同一标段投标……相关投标均无效）"
PB_INDICATOR = f"（{PB_REF}：存在控股、管理关系的不同单位，不得参加同一标段投标）"
PB_CITATION = "BIDLAW-IR:34.2; BIDLAW-IR:34.3"


def screen(
    store: GraphStore, g: GraphBuilder, names: str, scenario: str = "public_bidding", **kw: Any
) -> ScreeningResult:
    result = screen_bidders(store, [g[n] for n in names], scenario, as_of=AS_OF, **kw)
    data = result.model_dump(mode="json")
    assert not [e.message for e in VALIDATOR.iter_errors(data)], data
    return result


def summary(g: GraphBuilder, result: ScreeningResult) -> dict[str, Any]:
    """Verdicts by name, and links as (a, b, kind, rule) by name."""
    name = g.name_of
    return {
        "verdicts": {name(b.uscc): b.verdict.value for b in result.bidders},
        "links": [
            (name(x.a), name(x.b), x.kind.value, x.rule.value if x.rule else None)
            for x in result.links
        ],
    }


def linked_reasons(g: GraphBuilder, result: ScreeningResult) -> list[tuple[Any, ...]]:
    """(bidder, other, link, rule, citation, explanation) of linked_bidder reasons."""
    return [
        (g.name_of(b.uscc), g.name_of(r.other or ""), r.link, r.rule, r.citation, r.explanation)
        for b in result.bidders
        for r in b.reasons
        if r.code == "linked_bidder"
    ]


def firms(g: GraphBuilder, names: str, **kw: Any) -> None:
    for n in names:
        g.firm(n, **kw)


# -- same_principal ------------------------------------------------------------
def test_same_principal_rejects_both_with_the_clause(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABC")
    g.person("李某")
    g.rel("李某", "A", LR)
    g.rel("李某", "B", LR, start="2020-01-01")
    store.upsert(g.batch)
    result = screen(store, g, "ABC")
    assert summary(g, result) == {
        "verdicts": {"A": "reject", "B": "reject", "C": "pass"},
        "links": [("A", "B", "shared_person", "same_principal")],
    }
    sentence = f"投标人A有限公司与投标人B有限公司的法定代表人均为李某{PB_VOID}。"
    assert linked_reasons(g, result) == [
        ("A", "B", "shared_person", "same_principal", PB_CITATION, sentence),
        ("B", "A", "shared_person", "same_principal", PB_CITATION, sentence),
    ]
    assert result.links[0].names == ["A有限公司", "李某", "B有限公司"]
    assert result.links[0].explanation == sentence
    # the person is named, never identified by number
    assert g["李某"] not in sentence


def test_ended_role_makes_no_link(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "AB")
    g.person("p")
    g.rel("p", "A", LR, end="2025-05-31")  # left the day before as_of
    g.rel("p", "B", LR)
    store.upsert(g.batch)
    assert summary(g, screen(store, g, "AB")) == {
        "verdicts": {"A": "pass", "B": "pass"},
        "links": [],
    }


def test_shared_director_is_an_indicator(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "AB")
    g.person("王某")
    g.rel("王某", "A", EX, title="director")
    g.rel("王某", "B", EX, title="general_manager")
    g.rel("王某", "B", SH, pct=5)
    store.upsert(g.batch)
    result = screen(store, g, "AB")
    assert summary(g, result) == {
        "verdicts": {"A": "review", "B": "review"},
        "links": [("A", "B", "shared_person", "indicator")],
    }
    assert result.links[0].explanation == (
        f"王某同时任投标人A有限公司的董事和投标人B有限公司的总经理，需核实是否存在控股、管理关系"
        f"{PB_INDICATOR}。"
    )
    # legal representative of one, director of the other: still not the same principal
    g.rel("王某", "A", LR)
    store.upsert(g.batch)
    assert summary(g, screen(store, g, "AB"))["links"] == [("A", "B", "shared_person", "indicator")]


# -- control -------------------------------------------------------------------
def test_direct_control_and_minority_holding(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABCDEF")
    g.rel("A", "B", SH, pct=60)
    g.rel("C", "D", SH, pct=50)  # exactly half: not more than half
    g.rel("E", "F", SH, pct=30)
    g.rel("E", "F", SH, pct=25, start="2021-01-01")  # rows of one holder add up: 55 %
    store.upsert(g.batch)
    result = screen(store, g, "ABCDEF")
    assert summary(g, result) == {
        "verdicts": {"A": "reject", "B": "reject", "C": "review", "D": "review", "E": "reject",
                     "F": "reject"},
        "links": [("A", "B", "ownership", "control"), ("C", "D", "ownership", "indicator"),
                  ("E", "F", "ownership", "control")],
    }  # fmt: skip
    assert [x.explanation for x in result.links[:2]] == [
        f"投标人A有限公司直接持有投标人B有限公司 60% 的股份，存在控股关系{PB_CONTROL}。",
        "投标人C有限公司直接持有投标人D有限公司 50% 的股份（未超过半数），需核实是否存在控股、"
        f"管理关系{PB_INDICATOR}。",
    ]


def test_declared_actual_controller_and_branch(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABCP")
    g.firm("D", kind="branch")
    g.firm("E", kind="branch")
    g.rel("A", "B", AC)
    g.rel("D", "C", BR)  # D is a branch of C
    g.rel("E", "P", BR)  # E is a branch of P, which holds 70 % of B
    g.rel("P", "B", SH, pct=70)
    store.upsert(g.batch)
    result = screen(store, g, "ABCDE")
    assert summary(g, result) == {
        "verdicts": {"A": "reject", "B": "reject", "C": "reject", "D": "reject", "E": "review"},
        "links": [("A", "B", "ownership", "control"), ("B", "E", "common_controller", "indicator"),
                  ("C", "D", "ownership", "control")],
    }  # fmt: skip
    by_pair = {(g.name_of(x.a), g.name_of(x.b)): x for x in result.links}
    assert by_pair[("C", "D")].relations == [BR]
    assert by_pair[("C", "D")].explanation == (
        f"投标人D有限公司是投标人C有限公司的分支机构，存在管理关系{PB_CONTROL}。"
    )
    assert by_pair[("A", "B")].explanation == (
        f"投标人A有限公司是投标人B有限公司的实际控制人，存在控股、管理关系{PB_CONTROL}。"
    )
    assert by_pair[("B", "E")].path == [g["B"], g["P"], g["E"]]
    assert by_pair[("B", "E")].relations == [SH, BR]


def test_chain_control_is_an_indicator(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABXCDY")
    g.rel("A", "X", SH, pct=60)
    g.rel("X", "B", SH, pct=60)  # A holds 36 % of B through X
    g.rel("C", "Y", AC)
    g.rel("Y", "D", SH, pct=80)  # C controls D through Y, not by shares alone
    store.upsert(g.batch)
    result = screen(store, g, "ABCD")
    assert summary(g, result) == {
        "verdicts": {"A": "review", "B": "review", "C": "review", "D": "review"},
        "links": [("A", "B", "ownership", "indicator"), ("C", "D", "ownership", "indicator")],
    }
    assert [x.explanation for x in result.links] == [
        "投标人A有限公司经X有限公司间接持有投标人B有限公司 36% 的股份，需核实是否存在控股、"
        f"管理关系{PB_INDICATOR}。",
        f"投标人C有限公司经Y有限公司间接控制投标人D有限公司，需核实是否存在控股、管理关系"
        f"{PB_INDICATOR}。",
    ]


def test_a_direct_majority_decides_even_when_a_chain_is_stronger(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABX")
    g.rel("A", "B", SH, pct=51)
    g.rel("A", "X", SH, pct=100)
    g.rel("X", "B", SH, pct=49)
    store.upsert(g.batch)
    result = screen(store, g, "AB")
    link = result.links[0]
    assert (link.rule, link.path, link.pct) == ("control", [g["A"], g["B"]], 100.0)


# -- contacts ------------------------------------------------------------------
def test_shared_phone_and_email_are_indicators(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "AB", phone_norm="13800138000", email_norm="bid@x.cn")
    store.upsert(g.batch)
    result = screen(store, g, "AB")
    assert summary(g, result)["links"] == [
        ("A", "B", "shared_contact", "indicator"),
        ("A", "B", "shared_contact", "indicator"),
    ]
    assert [(x.detail, x.count) for x in result.links] == [
        ("phone 13800138000", 2),
        ("email bid@x.cn", 2),
    ]
    assert result.links[0].explanation == (
        "投标人A有限公司与投标人B有限公司使用同一电话（13800138000），需核实两者是否存在关联"
        f"{PB_INDICATOR}。"
    )
    assert summary(g, result)["verdicts"] == {"A": "review", "B": "review"}


@pytest.mark.parametrize(
    ("others", "rule", "verdict"), [(18, "indicator", "review"), (19, "mass_contact", "pass")]
)
def test_mass_registration_address(store: GraphStore, others: int, rule: str, verdict: str) -> None:
    """Two bidders and `others` more firms at one address: more than 20 in all
    is a cluster-registration address, listed with its count, no effect."""
    g = GraphBuilder()
    address = "深圳市前海深港合作区前湾一路1号A栋201室"
    firms(g, "AB", address_norm=address)
    for n in range(others):
        g.firm(f"F{n}", address_norm=address)
    store.upsert(g.batch)
    result = screen(store, g, "AB")
    assert summary(g, result) == {
        "verdicts": {"A": verdict, "B": verdict},
        "links": [("A", "B", "shared_contact", rule)],
    }
    link = result.links[0]
    assert link.count == others + 2
    if rule == "mass_contact":
        assert link.detail == f"address {address}; shared by 21 enterprises"
        assert link.explanation == (
            f"投标人A有限公司与投标人B有限公司使用同一地址（{address}），但该地址由21家企业共用"
            "（超过20家，属集中登记），不作为关联依据。"
        )
        assert linked_reasons(g, result) == []


def test_mass_contacts_are_counted_once_per_contact(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "ABCDEF", address_norm="集中登记地址1号", phone_norm="4000000000")
    store.upsert(g.batch)
    calls: list[tuple[str, list[str]]] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def contact_usage(self, kind: str, values: Any) -> dict[str, int]:
            calls.append((kind, sorted(values)))
            return store.contact_usage(kind, values)

    result = screen_bidders(Counting(), [g[n] for n in "ABCDEF"], as_of=AS_OF)  # type: ignore[arg-type]
    assert len(result.links) == 30  # 15 pairs × (address, phone)
    assert sorted(calls) == [("address", ["集中登记地址1号"]), ("phone", ["4000000000"])]


def test_the_threshold_is_policy(store: GraphStore, tmp_path: Any) -> None:
    import yaml

    g = GraphBuilder()
    firms(g, "ABC", phone_norm="4008001234")
    store.upsert(g.batch)
    assert summary(g, screen(store, g, "AB"))["verdicts"] == {"A": "review", "B": "review"}
    data = yaml.safe_load(load_policy().model_dump_json())
    data["bidder_links"]["mass_contact_threshold"] = 2
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = screen(store, g, "AB", policy=load_policy(path))
    assert summary(g, result) == {
        "verdicts": {"A": "pass", "B": "pass"},
        "links": [("A", "B", "shared_contact", "mass_contact")],
    }


# -- scenarios -----------------------------------------------------------------
def _same_principal_graph(store: GraphStore) -> GraphBuilder:
    g = GraphBuilder()
    firms(g, "AB")
    g.person("李某")
    g.rel("李某", "A", LR)
    g.rel("李某", "B", LR)
    store.upsert(g.batch)
    return g


def test_government_procurement_cites_its_own_clause(store: GraphStore) -> None:
    g = _same_principal_graph(store)
    result = screen(store, g, "AB", "government_procurement")
    assert summary(g, result)["verdicts"] == {"A": "reject", "B": "reject"}
    assert linked_reasons(g, result)[0][4:] == (
        "GPLAW-IR:18.1",
        "投标人A有限公司与投标人B有限公司的法定代表人均为李某（《政府采购法实施条例》第十八条："
        "单位负责人为同一人……不得参加同一合同项下的政府采购活动）。",
    )


@pytest.mark.parametrize("scenario", ["administrative_licensing", "honours", "financing"])
def test_other_scenarios_list_links_without_verdicts(store: GraphStore, scenario: str) -> None:
    g = _same_principal_graph(store)
    result = screen(store, g, "AB", scenario)
    assert summary(g, result) == {
        "verdicts": {"A": "pass", "B": "pass"},
        "links": [("A", "B", "shared_person", "same_principal")],
    }
    assert linked_reasons(g, result) == []
    assert result.links[0].explanation == (
        "投标人A有限公司与投标人B有限公司的法定代表人均为李某（本场景不适用投标人关联规则，仅供参考）。"
    )


def test_a_link_never_lowers_a_listing_verdict_and_english_works(store: GraphStore) -> None:
    g = GraphBuilder()
    firms(g, "AB")
    g.rel("A", "B", SH, pct=20)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    store.upsert(g.batch)
    result = screen(store, g, "AB", lang="en")
    assert summary(g, result)["verdicts"] == {"A": "reject", "B": "review"}
    assert [r.code for r in result.bidders[0].reasons] == ["listed", "linked_bidder"]
    assert result.links[0].explanation == (
        "Bidder A有限公司 directly holds 20% of bidder B有限公司 (not more than half): check for "
        "control or management (art. 34, Regulations on the Implementation of the Bidding Law: "
        "“存在控股、管理关系的不同单位，不得参加同一标段投标”)."
    )


# -- property: adding a link never improves a verdict ---------------------------
LINKS = st.sampled_from(["lr", "director", "sh60", "sh30", "ac", "branch", "phone", "common"])


def _add_link(g: GraphBuilder, kind: str, a: str, b: str, n: int) -> None:
    if kind in ("lr", "director"):
        g.person(f"p{n}")
        role, title = (LR, None) if kind == "lr" else (EX, "director")
        g.rel(f"p{n}", a, role, title=title)
        g.rel(f"p{n}", b, role, title=title)
    elif kind in ("sh60", "sh30"):
        # a row of its own (another start day): rows of one holder add up
        g.rel(a, b, SH, pct=60 if kind == "sh60" else 30, start=f"2020-01-{n + 1:02d}")
    elif kind == "ac":
        g.rel(a, b, AC)
    elif kind == "branch":
        g.rel(b, a, BR)
    elif kind == "common":
        g.firm(f"H{n}")
        g.rel(f"H{n}", a, SH, pct=80)
        g.rel(f"H{n}", b, SH, pct=80)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    scenario=st.sampled_from(["public_bidding", "government_procurement", "fiscal_funding"]),
    listed=st.sets(st.sampled_from("ABCD"), max_size=2),
    before=st.lists(st.tuples(LINKS, st.sampled_from("ABCD"), st.sampled_from("ABCD")),
                    max_size=3),
    added=st.tuples(LINKS, st.sampled_from("ABCD"), st.sampled_from("ABCD")),
)  # fmt: skip
def test_a_verdict_never_improves_when_a_link_is_added(
    make_store: Callable[[], GraphStore],
    scenario: str,
    listed: set[str],
    before: list[tuple[str, str, str]],
    added: tuple[str, str, str],
) -> None:
    def verdicts(links: list[tuple[str, str, str]]) -> dict[str, int]:
        g = GraphBuilder()
        firms(g, "ABCD")
        for name in sorted(listed):
            g.entry(f"E{name}", name, "key_attention", "2024-03-01")
        for n, (kind, a, b) in enumerate(links):
            if a != b:
                _add_link(g, kind, a, b, n)
        store = make_store()
        store.upsert(g.batch)
        result = screen_bidders(store, [g[n] for n in "ABCD"], scenario, as_of=AS_OF)
        return {g.name_of(b.uscc): VERDICT_RANK[b.verdict] for b in result.bidders}

    old, new = verdicts(before), verdicts([*before, added])
    assert all(new[n] >= old[n] for n in "ABCD"), (old, new)
