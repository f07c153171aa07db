"""Credit commitments (002:L15): overdue → a proposed key-attention entry,
never written until a person confirms it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from builders import GraphBuilder, make_uscc
from typer.testing import CliRunner

from credgraph.model import ListKind
from credgraph.store import EmbeddedStore, GraphStore
from credgraph.store.base import UnknownCommitment
from queries.errors import InvalidRequest, UnknownEntity
from queries.materialise import propagate
from queries.propagation import flags_for_subjects
from queries.supervision import (
    CommitmentError,
    credit_level,
    fulfil,
    overdue_commitments,
    record_commitment,
)
from queries.workflows import confirm_proposal

MADE = date(2025, 3, 1)
BY = date(2025, 4, 30)


@pytest.fixture
def firm(store: GraphStore) -> tuple[GraphStore, str]:
    g = GraphBuilder()
    g.firm("A")
    store.upsert(g.batch)
    return store, g["A"]


def test_store_records_commitments_without_touching_the_generation(
    firm: tuple[GraphStore, str],
) -> None:
    store, uscc = firm
    before = store.generation()
    first = store.add_commitment(uscc, "补交环评报告", BY, MADE)
    second = store.add_commitment(uscc, "整改消防通道", date(2025, 5, 31), MADE)
    assert (first.commitment_id, second.commitment_id) == (1, 2)
    assert first.fulfilled_on is None
    done = store.fulfil_commitment(1, date(2025, 4, 2))
    assert done.fulfilled_on == date(2025, 4, 2)
    with pytest.raises(ValueError, match="already fulfilled"):
        store.fulfil_commitment(1, date(2025, 4, 3))
    with pytest.raises(UnknownCommitment):
        store.fulfil_commitment(99, date(2025, 4, 3))
    assert [c.commitment_id for c in store.commitments([uscc])] == [1, 2]
    assert store.commitments([make_uscc(990)]) == []
    assert store.generation() == before


def test_overdue_only_after_the_promised_day(firm: tuple[GraphStore, str]) -> None:
    store, uscc = firm
    c = record_commitment(store, uscc, "补交环评报告", BY, MADE)
    assert overdue_commitments(store, date(2025, 4, 1)) == []
    assert overdue_commitments(store, BY) == []  # the promised day itself is in time
    (proposal,) = overdue_commitments(store, date(2025, 5, 2))
    assert proposal.proposal_id == "CMT-1"
    assert proposal.days_overdue == 2
    assert proposal.commitment == c
    entry = proposal.entry
    assert (entry.entry_id, entry.subject_id, entry.list) == ("CMT-1", uscc, ListKind.KEY_ATTENTION)
    assert entry.decided_on == date(2025, 5, 2)
    assert "credit commitment 1 not fulfilled: 补交环评报告" in (entry.reason or "")
    assert "002:L15" in (entry.reason or "")
    assert proposal.citation == "002:L15"
    # a proposal is never written by itself
    assert store.entries() == []
    assert credit_level(store, uscc, date(2025, 5, 2)).level == "A"


def test_fulfilled_commitments_propose_nothing(firm: tuple[GraphStore, str]) -> None:
    store, uscc = firm
    record_commitment(store, uscc, "按期整改", BY, MADE)
    fulfil(store, 1, date(2025, 5, 10))  # late, but fulfilled
    assert overdue_commitments(store, date(2025, 6, 1)) == []
    # seen from before the fulfilment it was overdue
    assert [p.proposal_id for p in overdue_commitments(store, date(2025, 5, 5))] == ["CMT-1"]
    with pytest.raises(CommitmentError, match="already fulfilled"):
        fulfil(store, 1, date(2025, 6, 1))


def test_confirm_writes_the_entry_once(firm: tuple[GraphStore, str]) -> None:
    store, uscc = firm
    record_commitment(store, uscc, "按期整改", BY, MADE)
    record_commitment(store, uscc, "年底前完成", date(2025, 12, 31), MADE)
    day = date(2025, 5, 2)
    with pytest.raises(CommitmentError, match="not overdue"):
        confirm_proposal(store, 2, day)
    entry = confirm_proposal(store, "CMT-1", day, authority="市市场监管局")
    assert entry.authority == "市市场监管局"
    (stored,) = store.entries(entry_ids=["CMT-1"])
    assert stored == entry
    assert overdue_commitments(store, day) == []  # confirmed: no longer proposed
    with pytest.raises(CommitmentError, match="already confirmed"):
        confirm_proposal(store, 1, day)
    level = credit_level(store, uscc, day)
    assert level.level == "C"
    assert level.reasons[0].entry_id == "CMT-1"


def test_confirm_refreshes_materialised_flags(firm: tuple[GraphStore, str]) -> None:
    store, uscc = firm
    day = date(2025, 5, 2)
    propagate(store, day)
    record_commitment(store, uscc, "按期整改", BY, MADE)
    confirm_proposal(store, 1, day)
    assert store.flags_state() == (day, store.generation())  # still valid, refreshed
    assert [f.entry_id for f in flags_for_subjects(store, [uscc], day)] == ["CMT-1"]


def test_validation(firm: tuple[GraphStore, str]) -> None:
    store, uscc = firm
    with pytest.raises(UnknownEntity):
        record_commitment(store, make_uscc(990), "x", BY, MADE)
    with pytest.raises(InvalidRequest):
        record_commitment(store, uscc, "  ", BY, MADE)
    with pytest.raises(InvalidRequest):
        record_commitment(store, uscc, "x", date(2025, 2, 1), MADE)
    with pytest.raises(CommitmentError, match="unknown commitment"):
        fulfil(store, 7, BY)
    with pytest.raises(CommitmentError, match="unknown commitment"):
        confirm_proposal(store, "CMT-7", BY)
    with pytest.raises(InvalidRequest):
        confirm_proposal(store, "X-1", BY)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[EmbeddedStore, str]]:
    store = EmbeddedStore(tmp_path / "cli.db")
    g = GraphBuilder()
    g.firm("A")
    store.upsert(g.batch)
    yield store, g["A"]
    store.close()


def test_cli_commitments(embedded: tuple[EmbeddedStore, str]) -> None:
    from cli.main import app

    store, uscc = embedded
    run = CliRunner().invoke
    db = ["--store", store.path]
    added = run(
        app,
        [
            "commitment",
            "add",
            uscc,
            "--matter",
            "补交材料",
            "--promised-by",
            "2025-04-30",
            "--on",
            "2025-03-01",
            *db,
        ],
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "1"
    bad = run(app, ["commitment", "add", uscc, "--matter", "x", "--promised-by", "30/4", *db])
    assert bad.exit_code == 2
    listed = run(app, ["commitment", "overdue", "--as-of", "2025-05-02", "--format", "json", *db])
    body = json.loads(listed.stdout)
    assert [p["proposal_id"] for p in body["proposals"]] == ["CMT-1"]
    assert body["confirmed"] == []
    assert store.entries() == []
    confirmed = run(
        app,
        [
            "commitment",
            "overdue",
            "--as-of",
            "2025-05-02",
            "--confirm",
            "CMT-1",
            "--format",
            "json",
            *db,
        ],
    )
    assert confirmed.exit_code == 0, confirmed.output
    body = json.loads(confirmed.stdout)
    assert [e["entry_id"] for e in body["confirmed"]] == ["CMT-1"]
    assert body["proposals"] == []
    assert [e.entry_id for e in store.entries()] == ["CMT-1"]
    again = run(
        app,
        ["--lang", "en", "commitment", "overdue", "--as-of", "2025-05-02", "--confirm", "1", *db],
    )
    assert again.exit_code == 2
    assert "already confirmed" in again.output
    table = run(app, ["commitment", "list", *db])
    assert table.exit_code == 0 and "补交材料" in table.stdout
    more = run(
        app,
        [
            "commitment",
            "add",
            uscc,
            "--matter",
            "y",
            "--promised-by",
            "2025-09-30",
            "--on",
            "2025-08-01",
            *db,
        ],
    )
    assert more.exit_code == 0, more.output
    done = run(app, ["commitment", "fulfil", "2", "--on", "2025-09-01", *db])
    assert done.exit_code == 0, done.output
    assert store.commitments()[1].fulfilled_on == date(2025, 9, 1)
