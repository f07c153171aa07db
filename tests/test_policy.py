"""The policy is data: validated on load, refused with a clear message,
overridable with --policy / CREDGRAPH_POLICY."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from builders import GraphBuilder
from typer.testing import CliRunner

from cli.main import app
from credgraph.model import Scenario
from credgraph.policy import PolicyError, load_policy
from credgraph.store import EmbeddedStore
from queries.propagation import compute_flags


def shipped() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(
        (Path(__file__).parents[1] / "credgraph" / "policy.yaml").read_text("utf-8")
    )


def write(tmp_path: Path, data: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_shipped_policy_cites_every_rule() -> None:
    policy = load_policy()
    assert policy.control_threshold_pct == 50
    assert policy.rules.P1.citation == "003:L24; 003:L25"
    assert policy.p1_citation(policy.severe_lists[1]) == "003:L24; 003:L25; 003:L26"
    assert all(m.citation for specs in policy.measures.values() for m in specs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"]["P1"].update(citation="article 5"), "rules.P1.citation"),
        (lambda d: d.update(control_threshold_pct=150), "control_threshold_pct"),
        (lambda d: d.update(severe_lists=["serious_dishonesty", "grey"]), "severe_lists"),
        (lambda d: d["rules"]["P2"]["roles"].append({"role": "boss"}), "rules.P2.roles"),
        (lambda d: d.update(watch_lists=["serious_dishonesty"]), "both severe and watch"),
        (lambda d: d.pop("rules"), "rules"),
    ],
)
def test_invalid_policy_is_refused_naming_the_key(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        load_policy(write(tmp_path, data))


def test_unreadable_or_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [unclosed", "utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)


def test_a_stricter_control_threshold_changes_p3(tmp_path: Path) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.rel("A", "B", "shareholder", pct=55)
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(g.batch)
    day = date(2025, 1, 1)
    default = [
        (g.name_of(f.subject_id), f.rule.value) for f in compute_flags(store, store.entries(), day)
    ]
    assert default == [("A", "L0"), ("B", "P3")]
    data = shipped()
    data["control_threshold_pct"] = 60
    stricter = load_policy(write(tmp_path, data))
    flags = compute_flags(store, store.entries(), day, stricter)
    assert [(g.name_of(f.subject_id), f.rule.value) for f in flags] == [("A", "L0")]


def test_cli_policy_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from credgraph.policy import use_policy_file

    monkeypatch.delenv("CREDGRAPH_POLICY", raising=False)
    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.rel("A", "B", "shareholder", pct=55)
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    db = tmp_path / "s.db"
    EmbeddedStore(db).upsert(g.batch)
    data = shipped()
    data["control_threshold_pct"] = 60
    policy = write(tmp_path, data)
    runner = CliRunner()
    try:
        args = ["flags", "--store", str(db), "--as-of", "2025-01-01", "--format", "json"]
        assert '"P3"' in runner.invoke(app, args).stdout
        result = runner.invoke(app, ["--policy", str(policy), *args])
        assert result.exit_code == 0, result.output
        assert '"P3"' not in result.stdout and '"L0"' in result.stdout
        data["rules"]["P1"]["citation"] = "nowhere"
        broken = runner.invoke(app, ["--policy", str(write(tmp_path, data)), *args])
        assert broken.exit_code == 2 and "rules.P1.citation" in broken.output
        assert "Traceback" not in broken.output
    finally:
        use_policy_file(None)


def test_materialised_flags_answer_only_for_their_own_policy(tmp_path: Path) -> None:
    from queries.materialise import propagate
    from queries.propagation import flags_for_subjects

    g = GraphBuilder()
    g.firm("A")
    g.firm("B")
    g.rel("A", "B", "shareholder", pct=55)
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01")
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(g.batch)
    day = date(2025, 1, 1)
    data = shipped()
    data["control_threshold_pct"] = 60
    stricter = load_policy(write(tmp_path, data))
    assert stricter.key() != load_policy().key()

    propagate(store, day)  # materialised under the shipped policy
    assert [f.rule.value for f in flags_for_subjects(store, [g["B"]], day, stricter)] == []
    assert [f.rule.value for f in flags_for_subjects(store, [g["B"]], day)] == ["P3"]

    propagate(store, day, stricter)  # now under the stricter one
    assert [f.rule.value for f in flags_for_subjects(store, [g["B"]], day)] == ["P3"]
    assert [f.rule.value for f in flags_for_subjects(store, [g["B"]], day, stricter)] == []


def _link_rule(d: dict, name: str = "control") -> dict:  # type: ignore[type-arg]
    return d["bidder_links"]["scenarios"]["public_bidding"][name]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _link_rule(d).update(quote="任何人不得投标"), "'任何人不得投标' is not in"),
        (lambda d: d["rules"]["P1"].update(citation="NOLAW:1.1"), "source NOLAW is not declared"),
        (lambda d: _link_rule(d).update(citation="BIDLAW-IR:99.1"), "has no clause 99.1"),
        (lambda d: _link_rule(d).update(verdict="ban"), "bidder_links.scenarios"),
        (
            lambda d: d["bidder_links"]["templates"]["zh"].update(same_principal="{boss}"),
            "unknown fields ['boss']",
        ),
        (lambda d: d["bidder_links"]["templates"]["en"].pop("end"), "templates.en lacks ['end']"),
        (lambda d: d["bidder_links"].update(mass_contact_threshold=0), "mass_contact_threshold"),
        (lambda d: d["sources"]["BIDLAW-IR"]["clauses"].update({"art 5": "x"}), "clause keys"),
    ],
)
def test_law_sources_and_bidder_links_are_checked(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_policy(write(tmp_path, data))


def test_shipped_bidder_links_quote_the_law() -> None:
    policy = load_policy()
    assert policy.bidder_links.mass_contact_threshold == 20
    assert policy.clause("BIDLAW-IR:34.3") == "违反前两款规定的，相关投标均无效。"
    assert policy.clause("003:L24") is None
    rule = policy.bidder_links.rule(Scenario.GOVERNMENT_PROCUREMENT, "same_principal")
    assert rule is not None and rule.verdict == "reject" and rule.citation == "GPLAW-IR:18.1"
    assert policy.bidder_links.rule(Scenario.HONOURS, "control") is None
