"""Loading: rejects with file/line/column, strict mode, idempotence, atomicity."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from builders import make_rid, make_uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from typer.testing import CliRunner

from cli.main import app
from credgraph.ids import InvalidIdentifier, validate_resident_id, validate_uscc
from credgraph.store import EmbeddedStore
from graph_loader import UnusableInput, load_folder, write_rejects

A, B, C = make_uscc(1), make_uscc(2), make_uscc(3)
P, Q = make_rid(1), make_rid(2)
BAD_USCC = A[:-1] + ("0" if A[-1] != "0" else "1")


def write(folder: Path, name: str, header: str, *rows: str, bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_text(("\ufeff" if bom else "") + "\n".join([header, *rows]) + "\n", "utf-8")
    return path


def good_folder(folder: Path) -> Path:
    write(
        folder,
        "enterprises",
        "uscc,name,kind,phone",
        f"{A},甲公司,company,+86 138-0013-8000",
        f"{B},乙公司,,13800138000",
        f"{C},丙分公司,branch,",
    )
    write(folder, "persons", "person_id,name", f"{P},张三", f"{Q},李四")
    write(
        folder,
        "relations",
        "source_id,target_uscc,role,title,share_pct,start_on,end_on",
        f"{P},{A},legal_representative,,,2020-01-01,",
        f"{Q},{A},executive,supervisor,,2020-01-01,",
        f"{A},{B},shareholder,,60,2021-01-01,",
        f"{C},{A},branch_of,,,,",
    )
    write(
        folder,
        "list_entries",
        "entry_id,subject_id,list,category,decided_on,valid_until,removed_on,removal_reason,"
        "responsible_person_ids",
        f"E1,{A},serious_dishonesty,tax_evasion,2024-03-01,,,,{Q}",
    )
    return folder


def dump(store: EmbeddedStore) -> dict[str, object]:
    from credgraph.model import NodeKind

    return {
        "counts": store.counts(),
        "enterprises": list(store.iter_nodes(NodeKind.ENTERPRISE)),
        "persons": list(store.iter_nodes(NodeKind.PERSON)),
        "relations": list(store.iter_relations()),
        "entries": store.entries(),
    }


def test_good_folder_loads_everything(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, good_folder(tmp_path / "data"))
    assert report.rejects == []
    assert report.loaded == {"enterprises": 3, "persons": 2, "relations": 4, "list_entries": 1}
    a = store.nodes([A])[A]
    assert a.phone == "+86 138-0013-8000" and a.phone_norm == "13800138000"  # type: ignore[union-attr]
    [entry] = store.entries()
    assert entry.responsible_person_ids == (Q,)


def test_reload_is_idempotent_and_keeps_generation(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    folder = good_folder(tmp_path / "data")
    load_folder(store, folder)
    before, generation = dump(store), store.generation()
    load_folder(store, folder)
    assert dump(store) == before
    assert store.generation() == generation


def test_later_load_updates_relation_by_identity(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, good_folder(tmp_path / "data"))
    later = tmp_path / "later"
    write(
        later,
        "relations",
        "source_id,target_uscc,role,start_on,end_on",
        f"{P},{A},legal_representative,2020-01-01,2024-06-30",
    )
    load_folder(store, later)
    lr = [r for r in store.iter_relations() if r.role.value == "legal_representative"]
    assert len(lr) == 1 and str(lr[0].end_on) == "2024-06-30"


BAD_ROWS = [
    # (file, header, row, column, reason fragment)
    ("enterprises", "uscc,name", f"{BAD_USCC},坏公司", "uscc", "check digit"),
    ("enterprises", "uscc,name", "12345,短码公司", "uscc", "18 characters"),
    ("enterprises", "uscc,name", f"{make_uscc(9)},", "name", "required"),
    ("enterprises", "uscc,name,kind", f"{make_uscc(9)},某公司,factory", "kind", "unknown kind"),
    (
        "enterprises",
        "uscc,name,established_on",
        f"{make_uscc(9)},某公司,2020/01/01",
        "established_on",
        "ISO date",
    ),
    (
        "enterprises",
        "uscc,name,registered_capital",
        f"{make_uscc(9)},某公司,lots",
        "registered_capital",
        "not a number",
    ),
    (
        "persons",
        "person_id,name",
        f"{P[:-1]}{'0' if P[-1] != '0' else '1'},王五",
        "person_id",
        "check digit",
    ),
    ("persons", "person_id,id_type,name", "E1234,visa,王五", "id_type", "unknown id_type"),
    # a passport number too short to mask (DESIGN §7 keeps first 2 + last 2)
    ("persons", "person_id,id_type,name", "AB1,passport,王五", "person_id", "5-64"),
    (
        "relations",
        "source_id,target_uscc,role",
        f"{make_rid(77)},{A},executive",
        "source_id",
        "unknown",
    ),
    (
        "relations",
        "source_id,target_uscc,role",
        f"{P},{make_uscc(77)},executive",
        "target_uscc",
        "unknown enterprise",
    ),
    ("relations", "source_id,target_uscc,role", f"{P},{A},boss", "role", "unknown role"),
    (
        "relations",
        "source_id,target_uscc,role",
        f"{B},{A},legal_representative",
        "source_id",
        "natural person",
    ),
    (
        "relations",
        "source_id,target_uscc,role,share_pct",
        f"{P},{B},shareholder,120",
        "share_pct",
        "≤ 100",
    ),
    (
        "relations",
        "source_id,target_uscc,role,share_pct",
        f"{P},{B},shareholder,0",
        "share_pct",
        "> 0",
    ),
    ("relations", "source_id,target_uscc,role", f"{P},{B},shareholder", "share_pct", "required"),
    (
        "relations",
        "source_id,target_uscc,role,title",
        f"{P},{B},executive,ceo",
        "title",
        "unknown title",
    ),
    (
        "relations",
        "source_id,target_uscc,role,start_on,end_on",
        f"{P},{B},executive,2022-01-01,2021-01-01",
        "end_on",
        "before start_on",
    ),
    (
        "relations",
        "source_id,target_uscc,role,share_pct",
        f"{A},{A},shareholder,50",
        "target_uscc",
        "itself",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,decided_on",
        f"X1,{A},grey,2024-01-01",
        "list",
        "unknown list",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,decided_on",
        f"X1,{A},red,",
        "decided_on",
        "required",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,category,decided_on",
        f"X1,{A},serious_dishonesty,jaywalking,2024-01-01",
        "category",
        "unknown category",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,decided_on",
        f"X1,{make_uscc(55)},red,2024-01-01",
        "subject_id",
        "unknown",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,decided_on,responsible_person_ids",
        f"X1,{A},serious_dishonesty,2024-01-01,{P};{make_rid(99)}",
        "responsible_person_ids",
        "unknown person",
    ),
    (
        "list_entries",
        "entry_id,subject_id,list,decided_on,removed_on",
        f"X1,{A},red,2024-01-01,2023-01-01",
        "removed_on",
        "before decided_on",
    ),
]


@pytest.mark.parametrize(("name", "header", "row", "column", "reason"), BAD_ROWS)
def test_each_bad_row_is_rejected_with_its_line_and_good_rows_load(
    tmp_path: Path, name: str, header: str, row: str, column: str, reason: str
) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, good_folder(tmp_path / "base"))
    data = tmp_path / "data"
    # a bad row between two good ones: line 3 (header = line 1)
    good: tuple[dict[str, str], dict[str, str]] = {
        "enterprises": (
            {"uscc": make_uscc(40), "name": "好公司一"},
            {"uscc": make_uscc(41), "name": "好公司二"},
        ),
        "persons": (
            {"person_id": make_rid(40), "name": "好人一"},
            {"person_id": make_rid(41), "name": "好人二"},
        ),
        "relations": (
            {"source_id": P, "target_uscc": B, "role": "executive"},
            {"source_id": Q, "target_uscc": B, "role": "executive"},
        ),
        "list_entries": (
            {"entry_id": "G1", "subject_id": B, "list": "red", "decided_on": "2024-01-01"},
            {
                "entry_id": "G2",
                "subject_id": B,
                "list": "key_attention",
                "decided_on": "2024-01-01",
            },
        ),
    }[name]
    cols = header.split(",")
    write(
        data,
        name,
        header,
        *(",".join(g.get(c, "") for c in cols) for g in good[:1]),
        row,
        *(",".join(g.get(c, "") for c in cols) for g in good[1:]),
    )
    before = store.counts()
    report = load_folder(store, data)
    assert [(r.file, r.line, r.column) for r in report.rejects] == [(f"{name}.csv", 3, column)]
    assert reason in report.rejects[0].reason
    assert report.loaded[name] == 2
    table = {"list_entries": "entries"}.get(name, name)
    assert store.counts()[table] == before[table] + 2


def test_duplicate_identity_with_other_values_is_rejected_exact_duplicate_ignored(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    data = tmp_path / "data"
    write(data, "enterprises", "uscc,name", f"{A},甲公司", f"{A},甲公司", f"{A},另一个名字")
    report = load_folder(store, data)
    assert report.duplicates["enterprises"] == 1
    assert [(r.line, r.column) for r in report.rejects] == [(4, "uscc")]
    assert "same identity as line 2" in report.rejects[0].reason
    assert store.nodes([A])[A].name == "甲公司"


def test_line_numbers_count_quoted_newlines_and_bom(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    data = tmp_path / "data"
    write(
        data,
        "enterprises",
        "uscc,name,address",
        f'{A},甲公司,"东莞市\n南城区"',
        f"{BAD_USCC},坏公司,",
        bom=True,
    )
    report = load_folder(store, data)
    assert [(r.line, r.column) for r in report.rejects] == [(4, "uscc")]
    assert store.counts()["enterprises"] == 1


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    data = tmp_path / "data"
    write(data, "enterprises", "uscc,name", f"{A},甲公司", "", f"{BAD_USCC},坏公司")
    report = load_folder(store, data)
    assert [r.line for r in report.rejects] == [4]


def test_strict_loads_nothing_when_a_row_is_bad(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    data = good_folder(tmp_path / "data")
    with (data / "persons.csv").open("a", encoding="utf-8") as fh:
        fh.write("110101199003070000,坏人\n")
    report = load_folder(store, data, strict=True)
    assert report.refused
    assert store.counts()["enterprises"] == 0 and store.counts()["persons"] == 0


def test_references_to_ids_already_in_the_store_are_accepted(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, good_folder(tmp_path / "data"))
    later = tmp_path / "later"
    write(
        later,
        "list_entries",
        "entry_id,subject_id,list,decided_on",
        f"E2,{P},dishonest_debtor,2025-01-01",
    )
    report = load_folder(store, later)
    assert report.rejects == [] and len(store.entries()) == 2


def test_crash_mid_batch_leaves_store_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, good_folder(tmp_path / "data"))
    before, generation = dump(store), store.generation()
    later = tmp_path / "later"
    write(later, "enterprises", "uscc,name", f"{make_uscc(50)},新公司")
    write(
        later,
        "relations",
        "source_id,target_uscc,role,start_on,end_on",
        f"{P},{A},legal_representative,2020-01-01,2024-06-30",
    )
    write(later, "list_entries", "entry_id,subject_id,list,decided_on", f"E9,{A},red,2025-01-01")
    real_executemany = sqlite3.Connection.executemany
    real_connect = sqlite3.connect
    calls = {"n": 0}

    class Exploding(sqlite3.Connection):
        def executemany(self, sql, rows):  # type: ignore[no-untyped-def,override]
            calls["n"] += 1
            if "INTO entries" in sql:
                raise RuntimeError("disk on fire")
            return real_executemany(self, sql, rows)

    monkeypatch.setattr(
        "sqlite3.connect",
        lambda *a, **k: real_connect(*a, **k, factory=Exploding),
    )
    crashing = EmbeddedStore(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_folder(crashing, later)
    assert calls["n"] >= 3  # enterprises and relations were written before the crash
    crashing.close()
    monkeypatch.undo()
    fresh = EmbeddedStore(tmp_path / "s.db")
    assert dump(fresh) == before and fresh.generation() == generation


def test_xlsx_workbook_rejects_name_book_and_sheet(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"uscc": [A, BAD_USCC], "name": ["甲公司", "坏公司"]}).to_excel(
            writer, sheet_name="enterprises", index=False
        )
        pd.DataFrame({"person_id": [P], "name": ["张三"]}).to_excel(
            writer, sheet_name="persons", index=False
        )
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, book)
    assert [(r.file, r.line, r.column) for r in report.rejects] == [
        ("book.xlsx:enterprises", 3, "uscc")
    ]
    assert store.counts()["enterprises"] == 1 and store.counts()["persons"] == 1


def test_unusable_inputs(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    with pytest.raises(UnusableInput, match="no such file"):
        load_folder(store, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableInput, match=r"no enterprises\.csv"):
        load_folder(store, tmp_path / "empty")
    write(tmp_path / "cols", "enterprises", "code,title", f"{A},甲")
    with pytest.raises(UnusableInput, match="missing required column"):
        load_folder(store, tmp_path / "cols")


def test_extra_columns_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    write(tmp_path / "d", "enterprises", "uscc,name,colour", f"{A},甲公司,blue")
    report = load_folder(store, tmp_path / "d")
    assert report.rejects == [] and "colour" in caplog.text


def test_reject_report_columns(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    write(tmp_path / "d", "enterprises", "uscc,name", f"{BAD_USCC},坏公司")
    report = load_folder(store, tmp_path / "d")
    write_rejects(report.rejects, tmp_path / "rejects.csv")
    with (tmp_path / "rejects.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "line", "column", "value", "reason"]
    assert rows[1][:4] == ["enterprises.csv", "2", "uscc", BAD_USCC]


def test_identifier_validation() -> None:
    assert validate_uscc(f" {A.lower()} ") == A
    assert validate_resident_id(P) == P
    with pytest.raises(InvalidIdentifier, match="check digit"):
        validate_uscc(BAD_USCC)
    with pytest.raises(InvalidIdentifier, match="birth date or region"):
        body = "99999919900101000"
        validate_resident_id(body + ric.calc_check_digit(body + "0"))


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "s.db")
    data = good_folder(tmp_path / "data")
    ok = runner.invoke(app, ["load", str(data), "--store", db])
    assert ok.exit_code == 0, ok.output
    with (data / "persons.csv").open("a", encoding="utf-8") as fh:
        fh.write("110101199003070000,坏人\n")
    rejects = tmp_path / "r.csv"
    loose = runner.invoke(app, ["load", str(data), "--store", db, "--rejects", str(rejects)])
    assert loose.exit_code == 0 and rejects.exists()
    strict = runner.invoke(app, ["load", str(data), "--store", db, "--strict"])
    assert strict.exit_code == 1
    missing = runner.invoke(app, ["load", str(tmp_path / "nope"), "--store", db])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_sample_data_loads_with_zero_rejects(tmp_path: Path) -> None:
    from graph_loader.sample import generate_sample

    generate_sample(tmp_path / "sample", enterprises=500, seed=3)
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, tmp_path / "sample")
    assert report.rejects == []
    assert store.counts()["enterprises"] == 500


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 6),
            st.integers(1, 6),
            st.sampled_from(["executive", "shareholder"]),
            st.sampled_from(["", "2021-01-01"]),
            st.sampled_from(["", "2024-12-31"]),
            st.sampled_from(["10", "60"]),
        ),
        max_size=12,
    )
)
def test_property_loading_twice_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:  # type: ignore[type-arg]
    tmp = tmp_path_factory.mktemp("idem")
    firms = [make_uscc(i) for i in range(1, 7)]
    people = [make_rid(i) for i in range(1, 7)]
    write(tmp, "enterprises", "uscc,name", *(f"{u},公司{i}" for i, u in enumerate(firms)))
    write(tmp, "persons", "person_id,name", *(f"{p},人{i}" for i, p in enumerate(people)))
    write(
        tmp,
        "relations",
        "source_id,target_uscc,role,share_pct,start_on,end_on",
        *(
            f"{people[s - 1]},{firms[t - 1]},{role},{pct if role == 'shareholder' else ''},{a},{b}"
            for s, t, role, a, b, pct in rows
        ),
    )
    store = EmbeddedStore(tmp / "s.db")
    load_folder(store, tmp)
    first, generation = dump(store), store.generation()
    load_folder(store, tmp)
    assert dump(store) == first and store.generation() == generation


@pytest.fixture
def in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse every load in a second process (big loads do)."""
    monkeypatch.setattr("graph_loader.load.PIPELINE_BYTES", 0)


def test_worker_process_load_gives_the_same_store_and_rejects(
    tmp_path: Path, in_a_worker: None
) -> None:
    data = good_folder(tmp_path / "data")
    with (data / "persons.csv").open("a", encoding="utf-8") as fh:
        fh.write("110101199003070000,坏人\n")
    store = EmbeddedStore(tmp_path / "s.db")
    report = load_folder(store, data)
    assert [(r.file, r.line, r.column) for r in report.rejects] == [("persons.csv", 4, "person_id")]
    assert report.loaded == {"enterprises": 3, "persons": 2, "relations": 4, "list_entries": 1}
    assert report.touched_ids and report.entry_ids == {"E1"}
    before, generation = dump(store), store.generation()
    assert load_folder(store, data).duplicates == {n: 0 for n in report.loaded}
    assert dump(store) == before and store.generation() == generation


def test_worker_process_failure_rolls_the_load_back(
    tmp_path: Path, in_a_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    load_folder(store, good_folder(tmp_path / "data"))
    before = dump(store)
    later = tmp_path / "later"
    write(later, "enterprises", "uscc,name", f"{make_uscc(50)},新公司")
    write(later, "persons", "person_id,name", f"{make_rid(50)},新人")

    def broken(*args: object) -> object:
        raise RuntimeError("parser on fire")

    monkeypatch.setattr("graph_loader.load.parse_person", broken)
    monkeypatch.setattr("graph_loader.fast.persons", broken)
    with pytest.raises(RuntimeError, match="parser on fire"):
        load_folder(store, later)
    assert dump(EmbeddedStore(tmp_path / "s.db")) == before
