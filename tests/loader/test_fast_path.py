"""The column-wise fast path accepts exactly what the row parser accepts,
with the same values (it only ever hands rows over to the row parser)."""

from __future__ import annotations

from typing import Any

from builders import make_rid, make_uscc
from hypothesis import given, settings
from hypothesis import strategies as st

from credgraph.ids import normalise_address, normalise_email, normalise_phone
from credgraph.model import NodeKind, to_plain
from graph_loader import fast
from graph_loader.rows import parse_enterprise, parse_person, parse_relation

USCCS = [make_uscc(1), make_uscc(2), make_uscc(3).lower(), make_uscc(4)[:-1] + "0", "12345", ""]
RIDS = [make_rid(1), make_rid(2), make_rid(3)[:-1] + "0", "99999919900101000X", "E1234567", ""]
DAYS = ["", "2020-01-01", "2020-02-30", "2021-06-01T10:00:00", "2020/01/01", "2019-12-31"]
NUMBERS = ["", "0", "60", "100", "100.5", "-1", "1,000", "nan", "inf", "x"]


def check(rows: list[dict[str, str]], fast_rows: tuple[list[list[Any]], set[int]], parse: Any):
    values, bad = fast_rows
    plain = list(zip(*values, strict=True)) if values else []
    for i, row in enumerate(rows):
        record, problems = parse(row)
        if i in bad:
            continue
        assert record is not None, (row, problems)
        assert to_plain(record)[: len(plain[i])] == plain[i], row


def columns(rows: list[dict[str, str]], names: list[str]) -> dict[str, list[str]]:
    return {n: [r[n] for r in rows] for n in names}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "uscc": st.sampled_from(USCCS),
                "name": st.sampled_from(["", "甲公司"]),
                "kind": st.sampled_from(["", "company", "Branch", "factory"]),
                "status": st.sampled_from(["", "active", "gone"]),
                "established_on": st.sampled_from(DAYS),
                "registered_capital": st.sampled_from(NUMBERS),
                "phone": st.sampled_from(["", "+86 138-0013-8000"]),
            }
        ),
        max_size=12,
    )
)
def test_enterprises(rows: list[dict[str, str]]) -> None:
    names = ["uscc", "name", "kind", "status", "established_on", "registered_capital", "phone"]
    values, bad = fast.enterprises(columns(rows, names), len(rows))
    address, phone, email = values[8], values[9], values[10]
    values += [
        list(map(normalise_phone, phone)),
        list(map(normalise_email, email)),
        list(map(normalise_address, address)),
    ]
    check(rows, (values, bad), parse_enterprise)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "person_id": st.sampled_from(RIDS),
                "id_type": st.sampled_from(["", "resident_id", "passport", "visa"]),
                "name": st.sampled_from(["", "张三"]),
            }
        ),
        max_size=12,
    )
)
def test_persons(rows: list[dict[str, str]]) -> None:
    values, bad = fast.persons(columns(rows, ["person_id", "id_type", "name"]), len(rows))
    values += [list(map(normalise_phone, values[3])), list(map(normalise_address, values[4]))]
    check(rows, (values, bad), parse_person)


KINDS = {
    make_uscc(1): NodeKind.ENTERPRISE,
    make_uscc(2): NodeKind.ENTERPRISE,
    make_rid(1): NodeKind.PERSON,
}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "source_id": st.sampled_from(
                    [make_uscc(1), make_uscc(2).lower(), make_rid(1), "X"]
                ),
                "target_uscc": st.sampled_from([make_uscc(1), make_uscc(2), make_rid(1), ""]),
                "role": st.sampled_from(
                    [
                        "",
                        "legal_representative",
                        "executive",
                        "shareholder",
                        "Branch_Of",
                        "actual_controller",
                        "boss",
                    ]
                ),
                "title": st.sampled_from(["", "manager", "king"]),
                "share_pct": st.sampled_from(NUMBERS),
                "start_on": st.sampled_from(DAYS),
                "end_on": st.sampled_from(DAYS),
            }
        ),
        max_size=12,
    )
)
def test_relations(rows: list[dict[str, str]]) -> None:
    names = ["source_id", "target_uscc", "role", "title", "share_pct", "start_on", "end_on"]
    result = fast.relations(columns(rows, names), len(rows), KINDS)
    check(rows, result, lambda row: parse_relation(row, KINDS))
