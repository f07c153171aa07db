"""Credit levels A/B/C/D with their reasons (002:L20, 002:L21, 003:L20).

Upper-case names are firms, lower-case names persons.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest
import yaml
from builders import GraphBuilder, make_uscc
from stores import store_location
from typer.testing import CliRunner

from credgraph.model import NodeKind
from credgraph.policy import Policy, Supervision, default_policy, load_policy
from credgraph.store import GraphStore
from queries.errors import InvalidIdentifierError, UnknownEntity
from queries.measures import green_channel
from queries.supervision import levels as levels_module
from queries.supervision.levels import NO_ACTIVE_NEGATIVE, credit_level, credit_levels

AS_OF = date(2025, 6, 1)
LR = "legal_representative"


def _load(store: GraphStore, g: GraphBuilder) -> None:
    store.upsert(g.batch)


def _codes(level: object) -> list[tuple[str, str | None]]:
    return [(r.code, r.entry_id) for r in level.reasons]  # type: ignore[attr-defined]


def test_d_for_a_severe_listing_and_for_its_legal_representative(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.person("p")
    g.rel("p", "A", LR)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01", category="tax_evasion")
    _load(store, g)

    firm = credit_level(store, g["A"], AS_OF)
    assert firm.level == "D"
    assert firm.sampling_ratio == 0.20
    assert firm.conditions == ["listed_severe"]
    assert _codes(firm) == [("listed", "E1")]
    assert firm.reasons[0].rule == "L0"
    assert firm.citation == "002:L20; 002:L21; 003:L24"

    person = credit_level(store, g["p"], AS_OF)
    assert person.level == "D"
    assert person.subject_type is NodeKind.PERSON
    assert person.conditions == ["responsible_person"]
    assert _codes(person) == [("responsible_person", "E1")]
    assert person.reasons[0].path == [g["A"], g["p"]]
    assert person.reasons[0].relations == [LR]


def test_c_for_key_attention_abnormal_operation_and_related_enterprise(
    store: GraphStore,
) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.firm("K")
    g.firm("X")
    g.person("p")
    g.rel("p", "A", LR)
    g.rel("p", "B", LR)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    g.entry("K1", "K", "key_attention", "2025-01-10")
    g.entry("X1", "X", "abnormal_operation", "2025-02-01")
    _load(store, g)

    related = credit_level(store, g["B"], AS_OF)
    assert related.level == "C"
    assert related.conditions == ["related_enterprise"]
    assert _codes(related) == [("related_enterprise", "E1")]
    assert related.reasons[0].path == [g["A"], g["p"], g["B"]]
    assert related.reasons[0].rule == "P2"

    for name, entry in (("K", "K1"), ("X", "X1")):
        level = credit_level(store, g[name], AS_OF)
        assert level.level == "C"
        assert level.conditions == ["watch_listed", "negative_record_active"]
        assert _codes(level) == [("listed", entry)]
        assert level.sampling_ratio == 0.10


def test_a_for_red_list_and_for_three_clean_years(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("R")
    g.firm("N")  # never listed
    g.firm("O")  # listed long ago
    g.firm("Q")  # red, with a negative record in the window that has ended
    g.entry("R1", "R", "red", "2024-01-01")
    g.entry("O1", "O", "abnormal_operation", "2020-01-01", removed="2021-06-01")
    g.entry("Q1", "Q", "red", "2024-01-01")
    g.entry("Q2", "Q", "key_attention", "2023-01-01", removed="2024-01-01")
    _load(store, g)

    red = credit_level(store, g["R"], AS_OF)
    assert (red.level, red.conditions) == ("A", ["green_channel_eligible"])
    assert [r.code for r in red.reasons] == ["red_listed", "clean_record"]

    never = credit_level(store, g["N"], AS_OF)
    assert never.level == "A"
    assert [r.code for r in never.reasons] == ["clean_record"]
    assert never.reasons[0].detail == "no negative record active in 2022-06-02..2025-06-01"

    old = credit_level(store, g["O"], AS_OF)
    assert old.level == "A"
    assert [r.code for r in old.reasons] == ["clean_record"]

    red_with_past = credit_level(store, g["Q"], AS_OF)
    assert red_with_past.level == "A"
    assert _codes(red_with_past) == [("red_listed", "Q1"), ("negative_record", "Q2")]


def test_b_for_a_negative_record_within_three_years_but_none_active(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("M")
    g.entry("M1", "M", "abnormal_operation", "2023-01-01", removed="2024-01-01")
    _load(store, g)

    level = credit_level(store, g["M"], AS_OF)
    assert level.level == "B"
    assert level.sampling_ratio == 0.05
    assert level.conditions == ["always"]
    assert _codes(level) == [(NO_ACTIVE_NEGATIVE, None), ("negative_record", "M1")]
    assert level.reasons[1].detail == "active on 2023-01-01, within 2022-06-02..2025-06-01"


def test_black_beats_red(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.firm("K")
    g.entry("R1", "A", "red", "2024-01-01")
    g.entry("E1", "A", "dishonest_debtor", "2025-01-01")
    g.entry("R2", "K", "red", "2024-01-01")
    g.entry("K1", "K", "key_attention", "2025-01-01")
    _load(store, g)
    assert credit_level(store, g["A"], AS_OF).level == "D"
    assert credit_level(store, g["K"], AS_OF).level == "C"


def test_level_follows_as_of(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.entry("E1", "A", "serious_illegal", "2024-03-01", valid_until="2024-12-31")
    _load(store, g)
    assert credit_level(store, g["A"], date(2024, 2, 29)).level == "A"
    assert credit_level(store, g["A"], date(2024, 6, 1)).level == "D"
    assert credit_level(store, g["A"], date(2025, 6, 1)).level == "B"
    assert credit_level(store, g["A"], date(2028, 1, 1)).level == "A"


def test_batch_matches_single_and_measures_green_channel(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = GraphBuilder()
    firms = [g.firm(f"F{i}") for i in range(12)]
    g.person("p")
    g.rel("p", "F0", LR)
    g.rel("p", "F1", LR)
    g.entry("E0", "F0", "serious_dishonesty", "2024-03-01")
    g.entry("E2", "F2", "key_attention", "2023-01-01", removed="2024-01-01")
    g.entry("E3", "F3", "red", "2024-01-01")
    _load(store, g)

    calls: list[int] = []
    real = levels_module.flags_for_subjects

    def counting(*args: object, **kw: object) -> object:
        calls.append(len(args[1]))  # type: ignore[arg-type]
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(levels_module, "flags_for_subjects", counting)
    batch = credit_levels(store, [*firms, "91440000MA0000000X"], AS_OF, chunk=5)
    assert calls == [5, 5, 2]  # batched per chunk, not per firm; unknown ids dropped
    monkeypatch.setattr(levels_module, "flags_for_subjects", real)

    assert set(batch) == set(firms)
    for uscc in firms:
        assert batch[uscc] == credit_level(store, uscc, AS_OF)
    assert [batch[f].level for f in firms[:4]] == ["D", "C", "B", "A"]
    # a never-listed firm takes the fast path: the very reasons of the measures
    eligible, reasons = green_channel(store, firms[5], NodeKind.ENTERPRISE, AS_OF, default_policy())
    assert eligible
    assert batch[firms[5]].reasons == reasons


def test_errors(store: GraphStore) -> None:
    with pytest.raises(UnknownEntity):
        credit_level(store, make_uscc(990), AS_OF)
    with pytest.raises(InvalidIdentifierError):
        credit_level(store, "91440300MA5FXXXX1Z", AS_OF)


def test_policy_levels_are_configurable_and_optional() -> None:
    shipped = load_policy()
    assert shipped.supervision == Supervision()  # the YAML says what the defaults say
    assert shipped.supervision.ratios() == {"D": 0.2, "C": 0.1, "A": 0.02, "B": 0.05}
    text = resources.files("credgraph").joinpath("policy.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data.pop("supervision")
    assert Policy.model_validate(data).supervision == Supervision()  # old files still load
    levels = data.setdefault("supervision", {})
    levels["levels"] = [
        {"level": "X", "when": ["listed_severe"], "ratio": 0.5, "citation": "002:L21"}
    ]
    with pytest.raises(ValueError, match="last level must apply 'always'"):
        Policy.model_validate(data)


def _spec(level: str, when: str, ratio: float) -> dict[str, object]:
    return {"level": level, "when": [when], "ratio": ratio, "citation": "002:L21"}


def test_three_level_policy(store: GraphStore) -> None:
    levels = [
        _spec("high", "negative_record_active", 0.3),
        _spec("low", "red_listed", 0.01),
        _spec("normal", "always", 0.05),
    ]
    supervision = Supervision.model_validate({"levels": levels})
    policy = default_policy().model_copy(update={"supervision": supervision})
    g = GraphBuilder()
    g.firm("K")
    g.firm("R")
    g.firm("N")
    g.entry("K1", "K", "key_attention", "2025-01-01")
    g.entry("R1", "R", "red", "2025-01-01")
    _load(store, g)
    got = credit_levels(store, [g["K"], g["R"], g["N"]], AS_OF, policy)
    assert [got[g[n]].level for n in "KRN"] == ["high", "low", "normal"]


def test_cli_level_json(store: GraphStore) -> None:
    from cli.main import app

    location = store_location(store)
    g = GraphBuilder()
    g.firm("A")
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    _load(store, g)
    result = CliRunner().invoke(
        app, ["level", g["A"], "--store", location, "--as-of", "2025-06-01", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["level"] == "D"
    assert body["reasons"][0]["entry_id"] == "E1"
    table = CliRunner().invoke(app, ["level", g["A"], "--store", location, "--as-of", "2025-06-01"])
    assert table.exit_code == 0 and "D" in table.stdout
    missing = CliRunner().invoke(app, ["level", make_uscc(990), "--store", location])
    assert missing.exit_code == 2


def test_reasons_in_condition_order_without_repeats(store: GraphStore) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.person("p")
    g.rel("p", "A", LR)
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01")
    g.entry("J1", "p", "dishonest_debtor", "2024-05-01")
    _load(store, g)
    level = credit_level(store, g["p"], AS_OF)
    assert level.level == "D"
    assert level.conditions == ["listed_severe", "responsible_person"]
    assert _codes(level) == [("listed", "J1"), ("responsible_person", "E1")]
