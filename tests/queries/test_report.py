"""Credit reports: identity, entries with their status on the day, flags,
related parties, ownership summary and the measures of every scenario.

Upper case = firm, lower case = person; results are compared with names.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import GraphBuilder, make_uscc
from jsonschema import Draft202012Validator
from schemas import schema_dir
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import EmbeddedStore, GraphStore
from queries.errors import InvalidIdentifierError, UnknownEntity
from queries.report import CreditReport, credit_report

SCHEMAS = schema_dir()
MEASURES = Draft202012Validator(json.loads((SCHEMAS / "measures.schema.json").read_text("utf-8")))
FLAG = Draft202012Validator(json.loads((SCHEMAS / "flag.schema.json").read_text("utf-8")))
AS_OF = date(2025, 6, 1)


def firm_graph() -> GraphBuilder:
    g = GraphBuilder()
    g.firm("A", region="东莞", phone="0769-22881234")
    for firm in "BCD":
        g.firm(firm)
    g.person("p")
    g.person("q")
    g.rel("p", "A", "legal_representative")
    g.rel("q", "A", "shareholder", pct=60)
    g.rel("A", "B", "shareholder", pct=70)
    g.rel("C", "A", "branch_of")
    g.rel("A", "D", "shareholder", pct=20, end="2024-12-31")
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01", category="tax_evasion")
    g.entry(
        "E2",
        "A",
        "abnormal_operation",
        "2022-01-01",
        removed="2023-01-01",
        removal_reason="repaired",
    )
    g.entry("E3", "A", "key_attention", "2021-01-01", valid_until="2022-12-31")
    g.entry("E4", "A", "dishonest_debtor", "2025-01-01")
    g.entry("E5", "A", "red", "2026-01-01")
    return g  # fmt: skip


@pytest.fixture
def firms(store: GraphStore) -> GraphBuilder:
    g = firm_graph()
    store.upsert(g.batch)
    store.file_objection("E4", "paid in full", date(2025, 5, 1))
    return g


def check(report: CreditReport) -> dict[str, Any]:
    body = report.model_dump(mode="json")
    for m in body["measures"]:
        MEASURES.validate(m)
    for f in body["flags"]:
        FLAG.validate(f)
    return body


def test_enterprise_report(store: GraphStore, firms: GraphBuilder) -> None:
    g = firms
    report = credit_report(store, g["A"], AS_OF)
    body = check(report)
    assert (body["subject_id"], body["subject_type"], body["as_of"]) == (
        g["A"], "enterprise", "2025-06-01",
    )  # fmt: skip
    assert body["identity"]["name"] == "A有限公司"
    assert body["identity"]["phone"] == "0769-22881234"
    assert "phone_norm" not in body["identity"]
    # current first (active, suspended), then past, then decided after as_of
    assert [(e.entry_id, e.status.value, len(e.objections)) for e in report.entries] == [
        ("E1", "active", 0),
        ("E4", "suspended", 1),
        ("E2", "removed", 0),
        ("E3", "expired", 0),
        ("E5", "future", 0),
    ]
    assert body["entries"][1]["objections"][0]["reason"] == "paid in full"
    assert body["entries"][0]["category"] == "tax_evasion"
    # E4 is suspended: only E1 flags A
    assert [(f.flag.value, f.entry_id) for f in report.flags] == [("listed", "E1")]
    parties = [
        (g.name_of(p.id), [(r.direction, r.role.value, r.share_pct) for r in p.roles],
         [k.value for k in p.flags])
        for p in report.related_parties
    ]  # fmt: skip
    assert parties == [
        ("p", [("in", "legal_representative", None)], ["responsible_person"]),
        ("B", [("out", "shareholder", 70.0)], ["related_enterprise"]),
        ("q", [("in", "shareholder", 60.0)], []),
        ("C", [("in", "branch_of", None)], ["related_enterprise"]),
    ]
    assert report.related_parties_total == 4
    own = report.ownership
    assert own is not None
    assert [(g.name_of(o.id), o.pct) for o in own.owners] == [("q", 60.0)]
    assert [(g.name_of(u.person_id), u.pct) for u in own.ubos] == [("q", 60.0)]
    assert own.actual_controller is not None
    assert (own.actual_controller.id, own.actual_controller.basis) == (g["q"], "majority_chain")
    assert [(m.scenario.value, m.verdict.value) for m in report.measures] == [
        ("government_procurement", "reject"),
        ("public_bidding", "reject"),
        ("administrative_licensing", "reject"),
        ("fiscal_funding", "reject"),
        ("honours", "reject"),
        ("financing", "reject"),
        ("appointment", "reject"),
        ("green_channel", "not_eligible"),
    ]


def test_report_on_an_earlier_day(store: GraphStore, firms: GraphBuilder) -> None:
    g = firms
    report = credit_report(store, g["A"], date(2022, 6, 1))
    check(report)
    assert [(e.entry_id, e.status.value) for e in report.entries] == [
        ("E2", "active"),
        ("E3", "active"),
        ("E5", "future"),
        ("E4", "future"),
        ("E1", "future"),
    ]
    assert sorted(g.name_of(p.id) for p in report.related_parties) == ["B", "C", "D", "p", "q"]
    assert [(m.scenario.value, m.verdict.value) for m in report.measures][:2] == [
        ("government_procurement", "review"),
        ("public_bidding", "review"),
    ]


def test_person_report(store: GraphStore, firms: GraphBuilder) -> None:
    g = firms
    report = credit_report(store, g["p"], AS_OF)
    body = check(report)
    assert body["subject_type"] == "person"
    assert body["identity"] == {
        "person_id": g["p"], "id_type": "resident_id", "name": "p", "phone": None, "address": None,
    }  # fmt: skip
    assert report.entries == []
    assert [(f.flag.value, f.rule.value, f.entry_id) for f in report.flags] == [
        ("responsible_person", "P1", "E1"),
    ]
    assert [(g.name_of(p.id), p.roles[0].direction) for p in report.related_parties] == [
        ("A", "out"),
    ]
    assert report.ownership is None
    verdicts = {m.scenario.value: m.verdict.value for m in report.measures}
    assert verdicts["appointment"] == "reject"
    assert verdicts["public_bidding"] == "review"


def test_unknown_and_invalid(store: GraphStore, firms: GraphBuilder) -> None:
    with pytest.raises(UnknownEntity):
        credit_report(store, make_uscc(999), AS_OF)
    with pytest.raises(InvalidIdentifierError):
        credit_report(store, "91441900000000999Z", AS_OF)


def test_cli_report(tmp_path: Path) -> None:
    g = firm_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    runner = CliRunner()
    args = ["report", g["A"], "--store", str(db), "--as-of", "2025-06-01"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert [m["verdict"] for m in body["measures"]][-1] == "not_eligible"
    for m in body["measures"]:
        MEASURES.validate(m)
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "E1" in res.stdout and "(多数持股链)" in res.stdout
    res = runner.invoke(app, ["--lang", "en", *args])
    assert res.exit_code == 0 and "(majority chain)" in res.stdout and "信用报告" not in res.stdout
    res = runner.invoke(app, [*args, "--format", "html"])
    assert res.exit_code == 0 and "A有限公司" in res.stdout
    res = runner.invoke(app, ["--lang", "en", "report", make_uscc(999), "--store", str(db)])
    assert res.exit_code == 2 and "no enterprise or person" in res.stderr


def test_cli_html_without_viz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = firm_graph()
    db = tmp_path / "c.db"
    store = EmbeddedStore(db)
    store.upsert(g.batch)
    store.close()
    monkeypatch.setitem(sys.modules, "viz.report", None)  # as if viz were not installed
    res = CliRunner().invoke(app, ["report", g["A"], "--store", str(db), "--format", "html"])
    assert res.exit_code == 2 and "viz.report" in res.stderr
