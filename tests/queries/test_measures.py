"""Scenario tests of joint reward/punishment measures (DESIGN §4, §8).

Upper-case names are firms, lower-case names persons. Every result is
validated against the shared JSON Schema; verdicts, reasons (with evidence
paths) and measure codes are asserted exactly.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import GraphBuilder, make_rid, make_uscc
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemas import load_schema
from typer.testing import CliRunner

from credgraph.model import ListEntry, ListKind, NodeKind, Objection, Scenario
from credgraph.store import EmbeddedStore, GraphStore
from queries.errors import InvalidIdentifierError, InvalidRequest, UnknownEntity
from queries.measures import MeasuresResult, check_measures, first_active_day, years_before
from queries.objections import file_objection, resolve_objection
from queries.propagation import entry_active

SCHEMA = load_schema("measures")
VALIDATOR = Draft202012Validator(SCHEMA)

AS_OF = date(2025, 6, 1)
DECIDED = "2024-03-01"
L0_CITATION = "003:L24; 003:L33"
P1_CITATION = "003:L24; 003:L25"
P2_CITATION = "001:L709; 000:L91"
GC = "003:L20"
WINDOW = "2022-06-02..2025-06-01"  # (as_of − 3 years, as_of]
LR = "legal_representative"


def check(store: GraphStore, subject: str, scenario: str, as_of: date = AS_OF) -> MeasuresResult:
    result = check_measures(store, subject, scenario, as_of)
    data = result.model_dump(mode="json")
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert not errors, (data, errors)
    assert list(data) == ["subject_id", "scenario", "as_of", "verdict", "reasons", "measures"]
    return result


def reasons(g: GraphBuilder, result: MeasuresResult) -> list[tuple[Any, ...]]:
    """(code, list, entry, rule, path by name, relations, citation, detail)."""
    return [
        (
            r.code,
            r.list.value if r.list else None,
            r.entry_id,
            r.rule,
            " ".join(g.name_of(n) for n in r.path),
            " ".join(r.relations),
            r.citation,
            r.detail,
        )
        for r in result.reasons
    ]


def codes(result: MeasuresResult) -> list[str]:
    return [m.code for m in result.measures]


# -- verdicts per scenario -----------------------------------------------------
@pytest.fixture
def verdict_graph(store: GraphStore) -> tuple[GraphStore, GraphBuilder]:
    """A seriously dishonest firm A, its legal representative p (also legal
    representative of B), an abnormal-operation firm W, a key-attention firm
    K, a red-listed firm R and a clean firm C."""
    g = GraphBuilder()
    for name in "ABWKRC":
        g.firm(name)
    g.person("p")
    g.rel("p", "A", LR, start="2020-01-01")
    g.rel("p", "B", LR)
    g.entry("E1", "A", "serious_dishonesty", DECIDED, category="bid_rigging")
    g.entry("E2", "W", "abnormal_operation", DECIDED)
    g.entry("E3", "K", "key_attention", DECIDED)
    g.entry("E4", "R", "red", DECIDED)
    store.upsert(g.batch)
    return store, g


S = Scenario
# subject -> scenario -> (verdict, measure codes) of the shipped policy.yaml
EXPECTED: dict[str, dict[Scenario, tuple[str, list[str]]]] = {
    "A": {
        S.GOVERNMENT_PROCUREMENT: ("reject", ["procurement_ban"]),
        S.PUBLIC_BIDDING: ("reject", ["bidding_restriction"]),
        S.ADMINISTRATIVE_LICENSING: ("reject", ["strict_licence_review"]),
        S.FISCAL_FUNDING: ("reject", ["fiscal_fund_restriction"]),
        S.HONOURS: ("reject", ["honours_revoked"]),
        S.FINANCING: ("reject", ["financing_restriction"]),
        S.APPOINTMENT: ("reject", ["appointment_restriction"]),
    },
    "p": {
        S.GOVERNMENT_PROCUREMENT: ("review", ["related_party_review"]),
        S.PUBLIC_BIDDING: ("review", ["related_party_review"]),
        S.ADMINISTRATIVE_LICENSING: ("review", ["strict_licence_review"]),
        S.FISCAL_FUNDING: ("review", ["fiscal_review"]),
        S.HONOURS: ("reject", ["honours_revoked"]),  # 003:L25
        S.FINANCING: ("review", ["financing_review"]),
        S.APPOINTMENT: ("reject", ["appointment_restriction"]),  # 001:L709
    },
    "B": {
        S.GOVERNMENT_PROCUREMENT: ("review", ["related_party_review"]),
        S.PUBLIC_BIDDING: ("review", ["related_party_review"]),
        S.ADMINISTRATIVE_LICENSING: ("review", ["supervised_review"]),
        S.FISCAL_FUNDING: ("review", ["fiscal_review"]),
        S.HONOURS: ("review", ["honours_review"]),
        S.FINANCING: ("review", ["financing_review"]),
        S.APPOINTMENT: ("review", ["appointment_review"]),
    },
    "W": {
        S.GOVERNMENT_PROCUREMENT: ("review", ["procurement_restriction"]),
        S.PUBLIC_BIDDING: ("review", ["bidding_review"]),
        S.ADMINISTRATIVE_LICENSING: ("review", ["supervised_review"]),
        S.FISCAL_FUNDING: ("review", ["fiscal_review"]),
        S.HONOURS: ("review", ["honours_review"]),
        S.FINANCING: ("review", ["financing_review"]),
        S.APPOINTMENT: ("review", ["appointment_review"]),
    },
    "R": {
        S.GOVERNMENT_PROCUREMENT: ("pass", ["credit_bonus_points"]),
        S.PUBLIC_BIDDING: ("pass", ["credit_bonus_points"]),
        S.ADMINISTRATIVE_LICENSING: ("pass", ["priority_handling"]),
        S.FISCAL_FUNDING: ("pass", ["fiscal_priority"]),
        S.HONOURS: ("pass", ["commendation"]),
        S.FINANCING: ("pass", ["credit_loan_convenience"]),
        S.APPOINTMENT: ("pass", []),
    },
    "C": {s: ("pass", []) for s in Scenario if s is not S.GREEN_CHANNEL},
}
EXPECTED["K"] = EXPECTED["W"]


@pytest.mark.parametrize("scenario", [s for s in Scenario if s is not S.GREEN_CHANNEL])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_measures_per_scenario(
    verdict_graph: tuple[GraphStore, GraphBuilder], name: str, scenario: Scenario
) -> None:
    store, g = verdict_graph
    result = check(store, g[name], scenario)
    assert (result.verdict.value, codes(result)) == EXPECTED[name][scenario]
    assert result.subject_id == g[name] and result.scenario is scenario and result.as_of == AS_OF


def test_reasons_carry_entry_rule_citation_and_path(
    verdict_graph: tuple[GraphStore, GraphBuilder],
) -> None:
    store, g = verdict_graph
    listed = ("listed", "serious_dishonesty", "E1", "L0", "A", "", L0_CITATION, None)
    assert reasons(g, check(store, g["A"], "public_bidding")) == [listed]
    assert reasons(g, check(store, g["p"], "appointment")) == [
        ("responsible_person", "serious_dishonesty", "E1", "P1", "A p", LR, P1_CITATION, None)
    ]
    assert reasons(g, check(store, g["B"], "public_bidding")) == [
        ("related_enterprise", "serious_dishonesty", "E1", "P2", "A p B", f"{LR} {LR}",
         P2_CITATION, None),
    ]  # fmt: skip
    assert reasons(g, check(store, g["W"], "public_bidding")) == [
        ("listed", "abnormal_operation", "E2", "L0", "W", "", L0_CITATION, None)
    ]
    assert reasons(g, check(store, g["R"], "public_bidding")) == [
        ("red_listed", "red", "E4", "L0", "R", "", L0_CITATION, None)
    ]
    assert reasons(g, check(store, g["C"], "public_bidding")) == []
    bidding = check(store, g["A"], "public_bidding").measures[0]
    assert bidding.model_dump() == {
        "code": "bidding_restriction",
        "description": "restricted from public resource trading and bidding, including concessions",
        "citation": "003:L25; 001:L709",
    }


def test_listed_person_and_named_responsible_person(store: GraphStore) -> None:
    """A person on a severe list is rejected everywhere; a person only named
    in responsible_person_ids is rejected for appointment, reviewed elsewhere."""
    g = GraphBuilder()
    g.firm("A"), g.person("d"), g.person("n")
    g.entry("E1", "d", "dishonest_debtor", DECIDED)
    g.entry("E2", "A", "serious_illegal", DECIDED, responsible=("n",))
    store.upsert(g.batch)
    assert check(store, g["d"], "financing").verdict == "reject"
    assert reasons(g, check(store, g["d"], "financing")) == [
        ("listed", "dishonest_debtor", "E1", "L0", "d", "", L0_CITATION, None)
    ]
    assert check(store, g["n"], "appointment").verdict == "reject"
    assert check(store, g["n"], "fiscal_funding").verdict == "review"
    assert reasons(g, check(store, g["n"], "honours")) == [
        ("responsible_person", "serious_illegal", "E2", "P1", "A n", "named_responsible",
         P1_CITATION, None),
    ]  # fmt: skip


def test_severe_listing_outranks_review_reasons(store: GraphStore) -> None:
    """A listed firm that is also related and watch-listed: reject, with all reasons."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", LR), g.rel("p", "B", LR)
    g.entry("E1", "A", "serious_dishonesty", DECIDED)
    g.entry("E2", "B", "dishonest_debtor", DECIDED)
    g.entry("E3", "B", "key_attention", DECIDED)
    store.upsert(g.batch)
    result = check(store, g["B"], "government_procurement")
    assert result.verdict == "reject"
    assert [(r[0], r[2]) for r in reasons(g, result)] == [
        ("listed", "E2"),
        ("listed", "E3"),
        ("related_enterprise", "E1"),
    ]
    assert codes(result) == ["procurement_ban", "procurement_restriction", "related_party_review"]


def test_inactive_and_suspended_entries_give_pass(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("X"), g.firm("S"), g.firm("F")
    g.entry("E1", "X", "serious_dishonesty", "2020-01-01", valid_until="2025-05-31")
    g.entry("E2", "S", "serious_dishonesty", DECIDED)
    g.entry("E3", "F", "serious_dishonesty", "2025-06-02")  # decided after as_of
    store.upsert(g.batch)
    file_objection(store, "E2", "wrong firm", date(2025, 5, 1))  # 003:L32
    for name in "XSF":
        assert check(store, g[name], "public_bidding").verdict == "pass", name
    assert check(store, g["X"], "public_bidding", date(2025, 5, 31)).verdict == "reject"
    assert check(store, g["S"], "public_bidding", date(2025, 4, 30)).verdict == "reject"


# -- identifiers and scenarios -------------------------------------------------
def test_unknown_invalid_and_normalised_ids(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    store.upsert(g.batch)
    assert check(store, f"  {g['A'].lower()} ", "honours").subject_id == g["A"]
    with pytest.raises(UnknownEntity):
        check_measures(store, make_uscc(999), "honours", AS_OF)
    with pytest.raises(UnknownEntity):
        check_measures(store, make_rid(999), "honours", AS_OF)
    with pytest.raises(UnknownEntity):
        check_measures(store, "E12345678", "honours", AS_OF)  # could be a passport
    bad = g["A"][:-1] + ("0" if g["A"][-1] != "0" else "1")
    with pytest.raises(InvalidIdentifierError, match="USCC check digit is wrong"):
        check_measures(store, bad, "honours", AS_OF)
    bad_rid = make_rid(5)[:-1] + ("0" if make_rid(5)[-1] != "0" else "1")
    with pytest.raises(InvalidIdentifierError, match="resident identity number check digit"):
        check_measures(store, bad_rid, "honours", AS_OF)
    with pytest.raises(InvalidIdentifierError, match="not a USCC"):
        check_measures(store, "91 44?", "honours", AS_OF)
    with pytest.raises(InvalidRequest, match="unknown scenario"):
        check_measures(store, g["A"], "lottery", AS_OF)


# -- green channel (003:L20) ---------------------------------------------------
def green(store: GraphStore, g: GraphBuilder, name: str, as_of: date = AS_OF) -> str:
    result = check(store, g[name], "green_channel", as_of)
    expected = ["green_channel", "fewer_inspections"] if result.verdict == "eligible" else []
    assert codes(result) == expected
    return result.verdict.value


CLEAN = ("clean_record", None, None, None, "{}", "", GC, f"no negative record active in {WINDOW}")


def clean(name: str) -> tuple[Any, ...]:
    return (*CLEAN[:4], name, *CLEAN[5:])


def red(entry: str, name: str) -> tuple[Any, ...]:
    detail = "active red-list entry (trustworthy model subject)"
    return ("red_listed", "red", entry, "L0", name, "", GC, detail)


def test_green_channel_red_list_and_clean_record(store: GraphStore) -> None:
    g = GraphBuilder()
    for name in ["R", "RN", "RO", "C", "N"]:
        g.firm(name)
    g.entry("E1", "R", "red", DECIDED)
    g.entry("E2", "RN", "red", DECIDED)
    g.entry("E3", "RN", "abnormal_operation", "2025-01-01")  # active on as_of
    g.entry("E4", "RO", "red", DECIDED)
    g.entry(
        "E5", "RO", "key_attention", "2023-01-01", removed="2024-01-01", removal_reason="repaired"
    )
    g.entry(
        "E6", "N", "key_attention", "2023-01-01", removed="2024-01-01", removal_reason="repaired"
    )
    store.upsert(g.batch)
    assert green(store, g, "R") == "eligible"
    assert reasons(g, check(store, g["R"], "green_channel")) == [
        red("E1", "R"),
        clean("R"),
    ]
    assert green(store, g, "RN") == "not_eligible"
    assert reasons(g, check(store, g["RN"], "green_channel")) == [
        red("E2", "RN"),
        ("negative_record", "abnormal_operation", "E3", "L0", "RN", "", f"{GC}; {L0_CITATION}",
         "active on as_of"),
    ]  # fmt: skip
    # red-listed and the negative record is over: eligible although within 3 years
    assert green(store, g, "RO") == "eligible"
    assert reasons(g, check(store, g["RO"], "green_channel"))[1] == (
        "negative_record", "key_attention", "E5", "L0", "RO", "", f"{GC}; {L0_CITATION}",
        f"active on 2023-01-01, within {WINDOW}",
    )  # fmt: skip
    assert green(store, g, "C") == "eligible"
    assert reasons(g, check(store, g["C"], "green_channel")) == [clean("C")]
    assert green(store, g, "N") == "not_eligible"
    # the green_channel_eligible condition never leaks into other scenarios
    assert codes(check(store, g["C"], "public_bidding")) == []


@pytest.mark.parametrize(
    ("ending", "verdict"),
    [
        ({"valid_until": "2022-06-01"}, "eligible"),  # last active day = as_of − 3y
        ({"valid_until": "2022-06-02"}, "not_eligible"),  # one day later
        ({"removed": "2022-06-02", "removal_reason": "repaired"}, "eligible"),
        ({"removed": "2022-06-03", "removal_reason": "repaired"}, "not_eligible"),
        ({"removed": "2024-06-03", "removal_reason": "revoked_on_objection"}, "eligible"),
        ({"removed": "2024-06-03", "removal_reason": "court"}, "not_eligible"),
    ],
)
def test_green_channel_window_edges(
    store: GraphStore, ending: dict[str, str], verdict: str
) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.entry("E1", "A", "serious_dishonesty", "2019-01-01", **ending)  # type: ignore[arg-type]
    store.upsert(g.batch)
    assert green(store, g, "A") == verdict


def test_green_channel_leap_day_window(store: GraphStore) -> None:
    """as_of 2024-02-29: the window starts after 2021-02-28."""
    g = GraphBuilder()
    g.firm("A"), g.firm("B")
    g.entry("E1", "A", "serious_dishonesty", "2019-01-01", valid_until="2021-02-28")
    g.entry("E2", "B", "serious_dishonesty", "2019-01-01", valid_until="2021-03-01")
    store.upsert(g.batch)
    assert years_before(date(2024, 2, 29), 3) == date(2021, 2, 28)
    assert green(store, g, "A", date(2024, 2, 29)) == "eligible"
    assert green(store, g, "B", date(2024, 2, 29)) == "not_eligible"


def test_green_channel_objections(store: GraphStore) -> None:
    """Suspended days do not count (003:L32); an upheld objection revokes the
    entry, which then never counts; a rejected one ends the suspension."""
    g = GraphBuilder()
    for name in ["S", "L", "U", "O"]:
        g.firm(name)
    # active 2022-01-01..2022-12-31, suspended from 2022-05-01 to the resolution
    g.entry("E1", "S", "key_attention", "2022-01-01", valid_until="2022-12-31")
    g.entry("E2", "L", "key_attention", "2022-01-01", valid_until="2022-12-31")
    g.entry("E3", "U", "serious_dishonesty", "2024-01-01")
    g.entry("E4", "O", "serious_dishonesty", "2021-01-01")
    store.upsert(g.batch)
    o1 = file_objection(store, "E1", "not us", date(2022, 5, 1))
    resolve_objection(store, o1.objection_id, upheld=False, resolved_on=date(2023, 1, 1))
    o2 = file_objection(store, "E2", "not us", date(2022, 5, 1))
    resolve_objection(store, o2.objection_id, upheld=False, resolved_on=date(2022, 12, 31))
    o3 = file_objection(store, "E3", "not us", date(2024, 2, 1))
    resolve_objection(store, o3.objection_id, upheld=True, resolved_on=date(2024, 3, 1))
    file_objection(store, "E4", "not us", date(2022, 1, 1))  # still open
    assert green(store, g, "S") == "eligible"  # every day in the window suspended
    assert green(store, g, "L") == "not_eligible"  # active on 2022-12-31 again
    assert reasons(g, check(store, g["L"], "green_channel"))[0][-1] == (
        f"active on 2022-12-31, within {WINDOW}"
    )
    assert green(store, g, "U") == "eligible"  # revoked on objection: never counts
    assert green(store, g, "O") == "eligible"  # suspended since before the window


def test_green_channel_responsible_person_records(store: GraphStore) -> None:
    """A severe entry counts against its P1 responsible persons, by their
    roles on the decision day; watch-list entries of the firm do not."""
    g = GraphBuilder()
    g.firm("A"), g.firm("W")
    for name in ["lr", "gm", "later", "named", "dir", "wlr"]:
        g.person(name)
    g.rel("lr", "A", LR, start="2020-01-01", end="2023-06-30")  # left since
    g.rel("gm", "A", "executive", title="general_manager")
    g.rel("later", "A", LR, start="2023-07-01")  # after the decision
    g.rel("dir", "A", "executive", title="director")
    g.rel("wlr", "W", LR)
    g.entry("E1", "A", "serious_dishonesty", "2023-03-01", removed="2024-01-01",
            removal_reason="repaired", responsible=("named",))  # fmt: skip
    g.entry("E2", "W", "abnormal_operation", "2024-01-01")
    store.upsert(g.batch)
    assert green(store, g, "lr") == "not_eligible"
    assert reasons(g, check(store, g["lr"], "green_channel")) == [
        ("negative_record", "serious_dishonesty", "E1", "P1", "A lr", LR,
         f"{GC}; {P1_CITATION}", f"active on 2023-03-01, within {WINDOW}"),
    ]  # fmt: skip
    assert green(store, g, "gm") == "not_eligible"
    named = reasons(g, check(store, g["named"], "green_channel"))
    assert [r[4:6] for r in named] == [("A named", "named_responsible")]
    assert green(store, g, "later") == "eligible"
    assert green(store, g, "dir") == "eligible"
    assert green(store, g, "wlr") == "eligible"
    assert green(store, g, "W") == "not_eligible"


def _entry(decided: int, removed: int | None, valid: int | None) -> ListEntry:
    base = date(2024, 1, 1)
    return ListEntry(
        entry_id="E",
        subject_id="X",
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind.KEY_ATTENTION,
        decided_on=base + timedelta(days=decided),
        removed_on=None if removed is None else base + timedelta(days=removed),
        valid_until=None if valid is None else base + timedelta(days=valid),
    )


day_offset = st.integers(0, 40)


@given(
    decided=day_offset,
    removed=st.none() | day_offset,
    valid=st.none() | day_offset,
    spans=st.lists(st.tuples(day_offset, st.none() | st.integers(1, 15)), max_size=3),
    first=day_offset,
    length=st.integers(0, 30),
)
def test_first_active_day_matches_day_by_day(
    decided: int,
    removed: int | None,
    valid: int | None,
    spans: list[tuple[int, int | None]],
    first: int,
    length: int,
) -> None:
    """The interval arithmetic equals checking ``entry_active`` on every day."""
    base = date(2024, 1, 1)
    entry = _entry(decided, removed, valid)
    objections = [
        Objection(
            objection_id=i,
            entry_id="E",
            reason="r",
            filed_on=base + timedelta(days=filed),
            resolved_on=None if span is None else base + timedelta(days=filed + span),
            upheld=None if span is None else False,
        )
        for i, (filed, span) in enumerate(spans)
    ]
    lo, hi = base + timedelta(days=first), base + timedelta(days=first + length)
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    expected = next((d for d in days if entry_active(entry, objections, d)), None)
    assert first_active_day(entry, objections, lo, hi) == expected


# -- CLI -----------------------------------------------------------------------
def test_cli_measures(tmp_path: Path) -> None:
    from cli.main import app

    g = GraphBuilder()
    g.firm("A"), g.person("p")
    g.rel("p", "A", LR)
    g.entry("E1", "A", "serious_dishonesty", DECIDED)
    db = EmbeddedStore(tmp_path / "c.db")
    db.upsert(g.batch)
    db.close()
    runner = CliRunner()
    common = ["--store", str(tmp_path / "c.db"), "--as-of", AS_OF.isoformat()]
    res = runner.invoke(
        app, ["measures", g["p"], "--scenario", "appointment", "--format", "json", *common]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert not list(VALIDATOR.iter_errors(data))
    assert (data["verdict"], data["reasons"][0]["path"]) == ("reject", [g["A"], g["p"]])
    assert [m["code"] for m in data["measures"]] == ["appointment_restriction"]

    res = runner.invoke(app, ["measures", g["A"], "--scenario", "honours", *common])
    assert res.exit_code == 0, res.output
    # zh-CN by default (DESIGN §12): verdict, scenario and measure in words
    assert "否决" in res.stdout and "撤销荣誉称号" in res.stdout and "E1" in res.stdout
    assert "评优评先" in res.stdout
    res = runner.invoke(app, ["--lang", "en", "measures", g["A"], "--scenario", "honours", *common])
    assert res.exit_code == 0, res.output
    assert "reject" in res.stdout and "honours revoked" in res.stdout and "E1" in res.stdout
    assert "否决" not in res.stdout

    res = runner.invoke(
        app, ["--lang", "en", "measures", make_uscc(77), "--scenario", "honours", *common]
    )
    assert res.exit_code == 2
    assert res.stdout == "" and len(res.stderr.strip().splitlines()) == 1
    assert "no enterprise or person" in res.stderr

    bad = g["A"][:-1] + ("0" if g["A"][-1] != "0" else "1")
    res = runner.invoke(app, ["--lang", "en", "measures", bad, "--scenario", "honours", *common])
    assert res.exit_code == 2 and "check digit is wrong" in res.stderr

    res = runner.invoke(app, ["measures", g["A"], "--scenario", "lottery", *common])
    assert res.exit_code == 2
