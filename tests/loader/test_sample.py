"""Tests of the synthetic sample generator (``graph_loader.sample``)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import networkx as nx
import pytest

from credgraph.ids import normalise_phone, validate_person_id, validate_uscc
from credgraph.model import (
    Category,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    ListKind,
    RemovalReason,
    Role,
    Title,
)
from graph_loader.sample import DEFAULT_AS_OF, SampleSummary, generate_sample

N = 2000
FILES = ("enterprises.csv", "persons.csv", "relations.csv", "list_entries.csv")
SEVERE = {ListKind.SERIOUS_DISHONESTY, ListKind.DISHONEST_DEBTOR, ListKind.SERIOUS_ILLEGAL}

Rows = list[dict[str, str]]


def read(path: Path) -> tuple[list[str], Rows]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def active(row: dict[str, str], on: date) -> bool:
    start, end = day(row["start_on"]), day(row["end_on"])
    return (start is None or start <= on) and (end is None or on <= end)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleSummary, dict[str, Rows]]:
    out = tmp_path_factory.mktemp("sample")
    summary = generate_sample(out, N)
    return summary, {name: read(out / name)[1] for name in FILES}


def test_deterministic(tmp_path: Path) -> None:
    generate_sample(tmp_path / "a", 300, seed=7)
    generate_sample(tmp_path / "b", 300, seed=7)
    generate_sample(tmp_path / "c", 300, seed=8)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert any(
        (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
        for name in FILES
    )


def test_headers_exact(tmp_path: Path) -> None:
    generate_sample(tmp_path, 50)
    assert read(tmp_path / "enterprises.csv")[0] == [
        "uscc", "name", "kind", "status", "established_on", "registered_capital",
        "region", "industry", "address", "phone", "email",
    ]  # fmt: skip
    assert read(tmp_path / "persons.csv")[0] == ["person_id", "id_type", "name", "phone", "address"]
    assert read(tmp_path / "relations.csv")[0] == [
        "source_id", "target_uscc", "role", "title", "share_pct", "start_on", "end_on",
    ]  # fmt: skip
    assert read(tmp_path / "list_entries.csv")[0] == [
        "entry_id", "subject_id", "list", "category", "reason", "authority", "case_no",
        "decided_on", "valid_until", "removed_on", "removal_reason", "responsible_person_ids",
    ]  # fmt: skip


def test_progress_and_summary(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate_sample(tmp_path, 5000, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 5000
    for name, count in (
        ("enterprises.csv", summary.enterprises),
        ("persons.csv", summary.persons),
        ("relations.csv", summary.relations),
        ("list_entries.csv", summary.list_entries),
    ):
        assert len(read(tmp_path / name)[1]) == count


def test_volumes(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    summary, data = sample
    assert summary.enterprises == N
    assert summary.persons == round(1.5 * N)
    assert 3.5 * N <= summary.relations <= 5 * N
    assert 0.04 * N <= summary.list_entries <= 0.06 * N
    lists = Counter(r["list"] for r in data["list_entries.csv"])
    assert set(lists) == {k.value for k in ListKind}
    severe = sum(lists[k.value] for k in SEVERE)
    assert 0.007 * N <= severe <= 0.015 * N


def test_ids_valid_and_unique(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    usccs = [r["uscc"] for r in data["enterprises.csv"]]
    assert len(set(usccs)) == len(usccs)
    for code in usccs:
        assert validate_uscc(code) == code
    persons = data["persons.csv"]
    ids = [r["person_id"] for r in persons]
    assert len(set(ids)) == len(ids)
    types = Counter(r["id_type"] for r in persons)
    assert set(types) <= {IdType.RESIDENT_ID.value, IdType.PASSPORT.value}
    assert types[IdType.PASSPORT.value] < 0.02 * len(persons)
    for row in persons:
        pid = row["person_id"]
        assert validate_person_id(pid, IdType(row["id_type"])) == pid
        assert row["name"]
    assert not set(ids) & set(usccs)


def test_enterprise_columns(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    ents = data["enterprises.csv"]
    kinds = Counter(r["kind"] for r in ents)
    assert set(kinds) <= {k.value for k in EnterpriseKind}
    assert kinds["company"] > 0.7 * N and kinds["branch"] > 0
    assert {r["status"] for r in ents} <= {s.value for s in EnterpriseStatus}
    for row in ents:
        assert row["name"]
        established = date.fromisoformat(row["established_on"])
        assert date(1995, 1, 1) <= established <= date(2025, 12, 31)
        if row["registered_capital"]:
            assert float(row["registered_capital"]) > 0
        if row["kind"] == "branch":
            assert row["name"].endswith("分公司")
        elif row["kind"] == "company":
            assert row["name"].endswith("有限公司")


def test_relations_integrity(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    firms = {r["uscc"] for r in data["enterprises.csv"]}
    persons = {r["person_id"] for r in data["persons.csv"]}
    identities = set()
    for row in data["relations.csv"]:
        role = Role(row["role"])
        source, target = row["source_id"], row["target_uscc"]
        assert target in firms
        assert source in firms or source in persons
        assert source != target
        if role in (Role.LEGAL_REPRESENTATIVE, Role.EXECUTIVE):
            assert source in persons
        if role is Role.BRANCH_OF:
            assert source in firms
        if role is Role.EXECUTIVE:
            Title(row["title"])
        else:
            assert row["title"] == ""
        if role is Role.SHAREHOLDER:
            assert 0 < float(row["share_pct"]) <= 100
        else:
            assert row["share_pct"] == ""
        start, end = day(row["start_on"]), day(row["end_on"])
        assert start is not None
        assert end is None or start <= end
        identity = (source, target, row["role"], row["title"], row["start_on"])
        assert identity not in identities
        identities.add(identity)


def test_shares_and_legal_representative(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    shares: dict[str, float] = defaultdict(float)
    legal: Counter[str] = Counter()
    ended = 0
    for row in data["relations.csv"]:
        if row["end_on"]:
            ended += 1
        if not active(row, DEFAULT_AS_OF):
            continue
        if row["role"] == "shareholder":
            shares[row["target_uscc"]] += float(row["share_pct"])
        elif row["role"] == "legal_representative":
            legal[row["target_uscc"]] += 1
    assert max(shares.values()) <= 100 + 1e-9
    assert sum(1 for v in shares.values() if v >= 50) > 0.3 * N
    for row in data["enterprises.csv"]:
        assert legal[row["uscc"]] == 1, row["uscc"]
    assert ended > 0.05 * N


def test_successor_starts_after_predecessor(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    by_firm: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in data["relations.csv"]:
        if row["role"] in ("legal_representative", "executive"):
            by_firm[(row["target_uscc"], row["role"], row["title"])].append(row)
    changes = 0
    for rows in by_firm.values():
        ended = [r for r in rows if r["end_on"]]
        for old in ended:
            changes += 1
            assert any(r["start_on"] > old["end_on"] for r in rows if r is not old)
    assert changes > 0.05 * N


def test_heavy_tail_chains_and_cycles(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    firms = {r["uscc"] for r in data["enterprises.csv"]}
    per_person: dict[str, set[str]] = defaultdict(set)
    owners = nx.DiGraph()
    for row in data["relations.csv"]:
        if row["source_id"] not in firms:
            per_person[row["source_id"]].add(row["target_uscc"])
        elif row["role"] == "shareholder" and active(row, DEFAULT_AS_OF):
            owners.add_edge(row["source_id"], row["target_uscc"])
    assert max(len(v) for v in per_person.values()) >= 10
    assert next(nx.simple_cycles(owners), None) is not None
    longest = nx.dag_longest_path_length(nx.condensation(owners))
    assert longest >= 3


def test_shared_contacts(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    phones = Counter(normalise_phone(r["phone"]) for r in data["enterprises.csv"] if r["phone"])
    assert sum(1 for count in phones.values() if count > 1) >= 1
    raw = Counter(r["phone"] for r in data["enterprises.csv"] if r["phone"])
    assert len(raw) > len(phones)  # the same number written differently
    person_phones = Counter(normalise_phone(r["phone"]) for r in data["persons.csv"] if r["phone"])
    assert any(count > 1 for count in person_phones.values())
    for phone in phones:
        assert phone is not None and phone.isdigit() and phone[0] in "01"


def test_list_entries(sample: tuple[SampleSummary, dict[str, Rows]]) -> None:
    _, data = sample
    firms = {r["uscc"] for r in data["enterprises.csv"]}
    persons = {r["person_id"] for r in data["persons.csv"]}
    roles: dict[str, set[str]] = defaultdict(set)
    for row in data["relations.csv"]:
        roles[row["target_uscc"]].add(row["source_id"])
    entries = data["list_entries.csv"]
    ids = [r["entry_id"] for r in entries]
    assert len(set(ids)) == len(ids)
    severe_firms = set()
    named = future = removed = on_persons = 0
    for row in entries:
        lst = ListKind(row["list"])
        subject = row["subject_id"]
        assert subject in firms or subject in persons
        on_persons += subject in persons
        if lst in SEVERE:
            Category(row["category"])
            if subject in firms:
                severe_firms.add(subject)
        elif row["category"]:
            Category(row["category"])
        assert row["reason"] and row["authority"] and row["case_no"]
        decided = date.fromisoformat(row["decided_on"])
        assert date(2019, 1, 1) <= decided
        future += decided > DEFAULT_AS_OF
        if row["valid_until"]:
            assert date.fromisoformat(row["valid_until"]) >= decided
        if row["removed_on"]:
            removed += 1
            assert date.fromisoformat(row["removed_on"]) >= decided
            assert RemovalReason(row["removal_reason"]) is not RemovalReason.REVOKED_ON_OBJECTION
        else:
            assert row["removal_reason"] == ""
        if row["responsible_person_ids"]:
            named += 1
            assert lst in SEVERE and subject in firms
            for pid in row["responsible_person_ids"].split(";"):
                assert pid in persons and pid in roles[subject]
    assert named > 0 and future > 0 and removed > 0 and on_persons > 0
    for row in entries:
        if row["list"] == "red":
            assert row["subject_id"] not in severe_firms


def test_other_as_of(tmp_path: Path) -> None:
    as_of = date(2021, 3, 1)
    generate_sample(tmp_path, 400, as_of=as_of)
    _, rels = read(tmp_path / "relations.csv")
    legal = Counter(
        r["target_uscc"] for r in rels if r["role"] == "legal_representative" and active(r, as_of)
    )
    _, ents = read(tmp_path / "enterprises.csv")
    assert all(legal[r["uscc"]] == 1 for r in ents)


def test_an_interrupted_sample_leaves_the_previous_files_whole(tmp_path: Path) -> None:
    """Each CSV is renamed into place once written whole: a sample that stops
    half-way (here: its progress callback raises) leaves the files of the
    previous run as they were, and no half-written file or temporary file."""
    generate_sample(tmp_path, 300, seed=1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_sample(tmp_path, 5000, seed=2, progress=stop)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after["enterprises.csv"] == before["enterprises.csv"]
    assert after["relations.csv"] == before["relations.csv"]
    assert after["list_entries.csv"] == before["list_entries.csv"]
    assert set(after) == set(before)  # no .part file left behind
