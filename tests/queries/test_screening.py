"""Scenario tests of bidder screening (DESIGN §6).

Upper-case names are firms, lower-case names persons. Links are asserted
exactly as readable rows (names for ids); every result validates against the
shared JSON Schema.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from builders import GraphBuilder, make_uscc
from jsonschema import Draft202012Validator
from schemas import load_schema

from credgraph.store import EmbeddedStore, GraphStore
from queries import bidder_walk, screening
from queries.errors import InvalidRequest
from queries.screening import ScreeningResult, screen_bidders

SCHEMA = load_schema("screening")
VALIDATOR = Draft202012Validator(SCHEMA)

AS_OF = date(2025, 6, 1)
DECIDED = "2024-03-01"
LR, EX, SH, AC = "legal_representative", "executive", "shareholder", "actual_controller"


def screen(
    store: GraphStore, g: GraphBuilder, names: list[str], depth: int = 4, **kw: Any
) -> ScreeningResult:
    ids = [g.ids.get(n, n) for n in names]
    result = screen_bidders(store, ids, as_of=AS_OF, depth=depth, **kw)
    data = result.model_dump(mode="json")
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert not errors, (data, errors)
    assert list(data) == ["scenario", "as_of", "bidders", "links"]
    return result


def links(g: GraphBuilder, result: ScreeningResult) -> list[tuple[Any, ...]]:
    """(a, b, kind, path, relations, pct, detail) with names for ids."""
    names = {v: k for k, v in g.ids.items()}
    return [
        (
            names[x.a],
            names[x.b],
            x.kind.value,
            " ".join(names[n] for n in x.path),
            " ".join(x.relations),
            x.pct,
            x.detail,
        )
        for x in result.links
    ]


def verdicts(g: GraphBuilder, result: ScreeningResult) -> list[tuple[str, str]]:
    names = {v: k for k, v in g.ids.items()}
    return [(names.get(b.uscc, b.uscc), b.verdict.value) for b in result.bidders]


# -- verdicts ------------------------------------------------------------------
def test_verdicts_with_reasons_unknown_and_invalid(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in "ABWC":
        g.firm(name)
    g.person("p")
    g.rel("p", "A", LR, start="2020-01-01", end="2024-12-31")  # left A since
    g.rel("p", "B", EX, title="general_manager")
    g.entry("E1", "A", "serious_dishonesty", DECIDED, category="bid_rigging")
    g.entry("E2", "W", "abnormal_operation", DECIDED)
    store.upsert(g.batch)
    missing = make_uscc(999)
    bad = g["C"][:-1] + ("0" if g["C"][-1] != "0" else "1")
    result = screen(store, g, ["A", "B", "W", "C", missing, bad, "nonsense"])
    assert result.scenario == "public_bidding" and result.as_of == AS_OF
    assert verdicts(g, result) == [
        ("A", "reject"),
        ("B", "review"),
        ("W", "review"),
        ("C", "pass"),
        (missing, "unknown"),
        (bad, "invalid"),
        ("NONSENSE", "invalid"),
    ]
    dumped = [b.model_dump(mode="json")["reasons"] for b in result.bidders]
    assert dumped[0] == [
        {"code": "listed", "entry_id": "E1", "list": "serious_dishonesty", "rule": "L0",
         "citation": "003:L24; 003:L33", "path": [g["A"]], "relations": [], "detail": None,
         "other": None, "link": None,
         "explanation": "A有限公司被列入严重失信主体名单（E1，依据 003:L24; 003:L33）。"},
    ]  # fmt: skip
    assert dumped[1] == [
        {"code": "related_enterprise", "entry_id": "E1", "list": "serious_dishonesty",
         "rule": "P2", "citation": "001:L709; 000:L91", "path": [g["A"], g["p"], g["B"]],
         "relations": [LR, EX], "detail": None, "other": None, "link": None,
         "explanation": "B有限公司与被列入严重失信主体名单的A有限公司（E1）存在关联："
                        "A有限公司 —法定代表人— p —高级管理人员— B有限公司"
                        "（依据 001:L709; 000:L91）。"},
    ]  # fmt: skip
    assert [(r["code"], r["list"]) for r in dumped[2]] == [("listed", "abnormal_operation")]
    assert dumped[3] == []
    assert [(r["code"], r["detail"], r["explanation"]) for r in dumped[4]] == [
        ("unknown", "no enterprise with this USCC in the store",
         f"统一社会信用代码 {missing} 在库中没有对应的企业。")
    ]  # fmt: skip
    assert [(r["code"], r["detail"], r["explanation"]) for r in dumped[5]] == [
        ("invalid", "USCC check digit is wrong",
         f"“{bad}”不是有效的统一社会信用代码：USCC check digit is wrong。")
    ]  # fmt: skip
    assert [(r["code"], r["detail"]) for r in dumped[6]] == [
        ("invalid", "USCC must have 18 characters")
    ]
    # p's role in A ended: A and B share no person on as_of
    assert links(g, result) == []


def test_scenario_changes_verdicts(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    g.entry("E1", "A", "key_attention", DECIDED)
    store.upsert(g.batch)
    result = screen(store, g, ["A", "B"], scenario="honours")
    assert result.scenario == "honours"
    assert verdicts(g, result) == [("A", "review"), ("B", "pass")]


def test_request_limits(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    store.upsert(g.batch)
    # duplicates after normalisation count once
    result = screen(store, g, ["A", "B", g["A"].lower(), f" {g['B']} "])
    assert verdicts(g, result) == [("A", "pass"), ("B", "pass")]
    with pytest.raises(InvalidRequest, match="2 to 50 distinct bidders, got 1"):
        screen_bidders(store, [g["A"], g["A"]], as_of=AS_OF)
    with pytest.raises(InvalidRequest, match="got 51"):
        screen_bidders(store, [make_uscc(n) for n in range(100, 151)], as_of=AS_OF)
    assert len(screen(store, g, [make_uscc(n) for n in range(100, 150)]).bidders) == 50
    with pytest.raises(InvalidRequest, match="depth must be between 1 and 8"):
        screen_bidders(store, [g["A"], g["B"]], as_of=AS_OF, depth=9)
    with pytest.raises(InvalidRequest, match="depth"):
        screen_bidders(store, [g["A"], g["B"]], as_of=AS_OF, depth=0)
    with pytest.raises(InvalidRequest, match="green_channel"):
        screen_bidders(store, [g["A"], g["B"]], "green_channel", as_of=AS_OF)
    with pytest.raises(InvalidRequest, match="not one string"):
        screen_bidders(store, g["A"], as_of=AS_OF)
    with pytest.raises(InvalidRequest, match="unknown scenario"):
        screen_bidders(store, [g["A"], g["B"]], "lottery", as_of=AS_OF)


# -- shared_person -------------------------------------------------------------
def test_shared_person_active_roles_only(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in "ABCD":
        g.firm(name)
    g.person("p"), g.person("q"), g.person("s")
    g.rel("p", "A", LR)
    g.rel("p", "B", EX, title="supervisor")
    g.rel("p", "B", SH, pct=5)
    g.rel("q", "C", LR, end="2025-05-31")  # ended the day before as_of
    g.rel("q", "D", LR)
    g.rel("s", "C", EX, title="director", start="2025-06-02")  # not yet started
    g.rel("s", "D", SH, pct=10)
    store.upsert(g.batch)
    result = screen(store, g, ["A", "B", "C", "D"])
    assert links(g, result) == [("A", "B", "shared_person", "A p B", f"{LR} {EX}", None, "p")]


# -- ownership -----------------------------------------------------------------
def test_ownership_direct_chain_and_parallel_chains(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["A", "E", "F", "X", "G", "H"]:
        g.firm(name)
    g.rel("A", "E", SH, pct=30)
    g.rel("F", "X", SH, pct=60)
    g.rel("X", "G", SH, pct=50)  # F holds 60 % × 50 % = 30 % of G through X
    g.rel("F", "G", SH, pct=6)  # and 6 % + 4 % directly (rows add up)
    g.rel("F", "G", SH, pct=4, start="2021-01-01")
    g.rel("F", "H", SH, pct=20, end="2025-01-01")  # ended: no link
    store.upsert(g.batch)
    result = screen(store, g, ["E", "A", "G", "F", "H"])
    assert links(g, result) == [
        ("A", "E", "ownership", "A E", SH, 30.0, "30.00 %"),
        ("F", "G", "ownership", "F X G", f"{SH} {SH}", 40.0,
         "2 chains, strongest 60.00 % × 50.00 %"),
    ]  # fmt: skip


def test_ownership_two_level_product_and_rounding(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["P", "M", "Q"]:
        g.firm(name)
    g.rel("P", "M", SH, pct=33.333)
    g.rel("M", "Q", SH, pct=33.333)
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["P", "Q"])) == [
        ("P", "Q", "ownership", "P M Q", f"{SH} {SH}", 11.11, "33.33 % × 33.33 %")
    ]


def _chain(g: GraphBuilder, names: list[str]) -> None:
    """names[0] holds 100 % of names[1], which holds names[2], …"""
    for upper, lower in pairwise(names):
        g.rel(upper, lower, SH, pct=100)


def test_ownership_depth_limit(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["I", "Y2", "Y1", "H"]:
        g.firm(name)
    _chain(g, ["I", "Y2", "Y1", "H"])  # 3 hops
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["H", "I"], depth=2)) == []
    assert links(g, screen(store, g, ["H", "I"], depth=3)) == [
        ("I", "H", "ownership", "I Y2 Y1 H", f"{SH} {SH} {SH}", 100.0,
         "100.00 % × 100.00 % × 100.00 %"),
    ]  # fmt: skip


def test_ownership_cycles_are_not_looped_on(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["J", "K", "Z"]:
        g.firm(name)
    g.rel("J", "K", SH, pct=50)
    g.rel("K", "J", SH, pct=40)
    g.rel("K", "Z", SH, pct=30)
    g.rel("Z", "K", SH, pct=20)  # J ← K ← Z ← K … never followed twice
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["J", "K"], depth=8)) == [
        ("J", "K", "ownership", "J K", SH, 50.0, "50.00 %"),
        ("K", "J", "ownership", "K J", SH, 40.0, "40.00 %"),
    ]


# -- common_controller ---------------------------------------------------------
def test_common_controller_direct_and_through_chains(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["S", "T", "S2", "T2", "U1", "HC"]:
        g.firm(name)
    g.person("c")
    g.rel("c", "S", SH, pct=60)
    g.rel("c", "T", AC)
    g.rel("HC", "U1", SH, pct=70)
    g.rel("U1", "S2", SH, pct=80)
    g.rel("HC", "T2", SH, pct=30)  # rows of one holder add up to 55 %
    g.rel("HC", "T2", SH, pct=25, start="2022-01-01")
    store.upsert(g.batch)
    result = screen(store, g, ["S", "T", "S2", "T2"])
    assert links(g, result) == [
        ("S", "T", "shared_person", "S c T", f"{SH} {AC}", None, "c"),
        ("S", "T", "common_controller", "S c T", f"{SH} {AC}", None, f"controller {g['c']} (c)"),
        ("S2", "T2", "common_controller", "S2 U1 HC T2", f"{SH} {SH} {SH}", None,
         f"controller {g['HC']} (HC有限公司)"),
    ]  # fmt: skip


def test_common_controller_exclusions(store: GraphStore) -> None:
    """Minority stakes below the threshold, ended control and chains longer
    than the depth give no common_controller link; exactly 50 % does."""
    g = GraphBuilder()
    for name in ["V", "W", "V2", "W2", "MH", "EH", "XH", "L1", "L2", "L3", "L4"]:
        g.firm(name)
    g.rel("MH", "V", SH, pct=40)
    g.rel("MH", "W", SH, pct=49.99)
    g.rel("XH", "V2", SH, pct=50)
    g.rel("XH", "W2", SH, pct=50)
    g.rel("EH", "V", AC, end="2025-05-31")
    g.rel("EH", "W", AC)
    _chain(g, ["L4", "L3", "L2", "L1", "V"])
    g.rel("L4", "W", AC)
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["V", "W", "V2", "W2"], depth=3)) == [
        ("V2", "W2", "common_controller", "V2 XH W2", f"{SH} {SH}", None,
         f"controller {g['XH']} (XH有限公司)"),
    ]  # fmt: skip
    deeper = links(g, screen(store, g, ["V", "W"], depth=4))
    assert deeper == [
        ("V", "W", "common_controller", "V L1 L2 L3 L4 W", f"{SH} {SH} {SH} {SH} {AC}", None,
         f"controller {g['L4']} (L4有限公司)"),
    ]  # fmt: skip


def test_common_controller_names_the_nearest_and_counts_the_others(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["A", "B", "HOLD"]:
        g.firm(name)
    g.person("top")
    g.rel("HOLD", "A", SH, pct=60)
    g.rel("HOLD", "B", SH, pct=60)
    g.rel("top", "HOLD", SH, pct=100)
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["A", "B"])) == [
        ("A", "B", "common_controller", "A HOLD B", f"{SH} {SH}", None,
         f"controller {g['HOLD']} (HOLD有限公司); also controlled by {g['top']}"),
    ]  # fmt: skip


def test_control_cycles_are_not_looped_on(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["A", "B", "N1", "N2"]:
        g.firm(name)
    g.rel("N1", "A", SH, pct=60)
    g.rel("N2", "N1", SH, pct=60)
    g.rel("N1", "N2", SH, pct=60)  # N1 and N2 control each other
    g.rel("N2", "B", SH, pct=60)
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["A", "B"], depth=8)) == [
        ("A", "B", "common_controller", "A N1 N2 B", f"{SH} {SH} {SH}", None,
         f"controller {g['N1']} (N1有限公司); also controlled by {g['N2']}"),
    ]  # fmt: skip


# -- shared_contact ------------------------------------------------------------
def test_shared_contacts(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A", phone="+86 138-0013-8000", phone_norm="13800138000", email_norm="bid@x.cn")
    g.firm("B", phone="13800138000", phone_norm="13800138000", email_norm="b@x.cn")
    g.firm("C", email_norm="bid@x.cn", address_norm="东莞市南城区5楼")
    g.firm("D", address_norm="东莞市南城区5楼", phone_norm="13900000000")
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["A", "B", "C", "D"])) == [
        ("A", "B", "shared_contact", "A B", "phone", None, "phone 13800138000"),
        ("A", "C", "shared_contact", "A C", "email", None, "email bid@x.cn"),
        ("C", "D", "shared_contact", "C D", "address", None, "address 东莞市南城区5楼"),
    ]


# -- bounded work --------------------------------------------------------------
def test_hubs_are_reached_but_not_expanded(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["HA", "HB", "HUB"]:
        g.firm(name)
    g.person("top")
    g.rel("HUB", "HA", SH, pct=60)
    g.rel("HUB", "HB", SH, pct=60)
    g.rel("top", "HUB", SH, pct=50)
    for n in range(screening.HUB_LIMIT):
        g.person(f"minor{n}")
        g.rel(f"minor{n}", "HUB", SH, pct=0.05)
    store.upsert(g.batch)
    assert screening.HUB_LIMIT == 500
    note = f"search bounded: hub {g['HUB']} (501 holders) not expanded"
    assert links(g, screen(store, g, ["HA", "HB"])) == [
        ("HA", "HB", "common_controller", "HA HUB HB", f"{SH} {SH}", None,
         f"controller {g['HUB']} (HUB有限公司); {note}"),
    ]  # fmt: skip


def test_only_the_strongest_chains_are_followed(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = GraphBuilder()
    for name in ["A", "O", "X1", "X2", "X3"]:
        g.firm(name)
    for n, pct in ((1, 10), (2, 20), (3, 30)):
        g.rel(f"X{n}", "A", SH, pct=pct)
        g.rel("O", f"X{n}", SH, pct=100)
    store.upsert(g.batch)
    assert links(g, screen(store, g, ["A", "O"]))[0][5] == 60.0
    monkeypatch.setattr(bidder_walk, "MAX_CHAINS", 2)
    assert links(g, screen(store, g, ["A", "O"])) == [
        ("O", "A", "ownership", "O X3 A", f"{SH} {SH}", 50.0,
         "2 chains, strongest 100.00 % × 30.00 %; search bounded: only the 2 strongest "
         "ownership chains followed beyond hop 1"),
    ]  # fmt: skip


class CountingStore:
    """A store proxy counting ``expand`` calls."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.expands = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def expand(self, *args: Any, **kw: Any) -> Any:
        self.expands += 1
        return self.inner.expand(*args, **kw)


def test_one_expansion_per_hop_for_all_bidders(store: GraphStore) -> None:
    """The number of store expansions does not grow with the number of bidders."""
    g = GraphBuilder()
    names = [f"F{n}" for n in range(20)]
    for name in names:
        g.firm(name)
    for n, name in enumerate(names):
        g.firm(f"UP{n}")
        _chain(g, [f"UP{n}", name])
    store.upsert(g.batch)
    counts = []
    for bidders in (names[:2], names):
        counting = CountingStore(store)
        screen_bidders(counting, [g[n] for n in bidders], as_of=AS_OF, depth=6)  # type: ignore[arg-type]
        counts.append(counting.expands)
    assert counts[0] == counts[1]


def test_default_as_of_is_today(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    store.upsert(g.batch)
    from credgraph.policy import today

    assert screen_bidders(store, [g["A"], g["B"]]).as_of == today()


# -- CLI -----------------------------------------------------------------------
def test_cli_screen(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    g.person("p")
    g.rel("p", "A", LR), g.rel("p", "B", LR)
    g.entry("E1", "A", "serious_dishonesty", DECIDED)
    db = EmbeddedStore(tmp_path / "c.db")
    db.upsert(g.batch)
    db.close()
    runner = CliRunner()
    common = ["--store", str(tmp_path / "c.db"), "--as-of", AS_OF.isoformat()]
    missing = make_uscc(999)
    res = runner.invoke(
        app, ["screen", g["A"], g["B"], missing, "bad", "--format", "json", *common]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert not list(VALIDATOR.iter_errors(data))
    # p is the legal representative of both: same principal, B rejected too
    assert [b["verdict"] for b in data["bidders"]] == ["reject", "reject", "unknown", "invalid"]
    assert [(x["kind"], x["path"], x["rule"]) for x in data["links"]] == [
        ("shared_person", [g["A"], g["p"], g["B"]], "same_principal")
    ]

    res = runner.invoke(
        app, ["--lang", "en", "screen", g["A"], g["B"], "--scenario", "honours", *common]
    )
    assert res.exit_code == 0, res.output
    assert "reject" in res.stdout and "shared person" in res.stdout and "E1" in res.stdout
    assert "A有限公司 ─legal representative─ p" in res.stdout  # relations in words
    zh = runner.invoke(app, ["screen", g["A"], g["B"], "--scenario", "honours", *common])
    assert "否决" in zh.stdout and "投标人" in zh.stdout  # zh-CN by default (DESIGN §12)
    assert "A有限公司 ─法定代表人─ p" in zh.stdout and "共同人员" in zh.stdout

    res = runner.invoke(app, ["--lang", "en", "screen", g["A"], *common])
    assert res.exit_code == 2 and "2 to 50 distinct bidders" in res.stderr
    res = runner.invoke(app, ["screen", g["A"], g["B"], "--depth", "9", *common])
    assert res.exit_code == 2 and "depth" in res.stderr
