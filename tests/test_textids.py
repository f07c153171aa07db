"""Personal ids in free text are masked however they are written (issue 16.8)."""

from __future__ import annotations

import unicodedata

from builders import make_rid
from hypothesis import given, settings
from hypothesis import strategies as st

from credgraph.ids import mask_person_id
from credgraph.model import IdType
from credgraph.textids import id_candidates, ids_in_text, mask_ids_in_text

RID = "110101199003074477"
OLD = "440125710207841"  # 15 digits: region 440125, born 1971-02-07
PASSPORT = "E12345678"


def compact(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if c.isalnum()).upper()


def test_written_forms_of_one_resident_id_are_masked() -> None:
    forms = [
        f"法定代表人身份证号{RID}未申报",
        "证件 1101 0119 9003 0744 77 已核实",
        "证件号 110101-19900307-4477",
        "全角 １１０１０１１９９００３０７４４７７ 结束",
        f"CASE-{RID}",
        f"ID{RID}X",
        f"id {RID.lower()}",
    ]
    for text in forms:
        masked = mask_ids_in_text(text)
        assert RID not in compact(masked), (text, masked)
        assert masked != text
    assert mask_ids_in_text(f"CASE-{RID}") == f"CASE-{mask_person_id(RID)}"
    assert mask_ids_in_text("证件号 110101-19900307-4477") == "证件号 1101**-********-4477"


def test_old_fifteen_digit_ids_and_known_passports_are_masked() -> None:
    assert mask_ids_in_text(f"旧证{OLD}止") == "旧证4401*******7841止"
    known = {PASSPORT: IdType.PASSPORT, "AB-12345": IdType.OTHER}
    assert mask_ids_in_text("护照 E 1234 5678 签发", known) == "护照 E 1*** **78 签发"
    assert mask_ids_in_text("编号AB 12345", known) == "编号AB ***45"
    # what to look up: the spaced passport in both its compact and stored forms
    assert {PASSPORT, "AB-12345", "AB12345"} <= id_candidates("E 1234 5678; AB-12345")


def test_ordinary_numbers_are_left_alone() -> None:
    for text in (
        "2024-01-10 立案",
        "电话 138 0013 8000",
        "注册资本 5000000 元",
        "91440300MA5DXXXX",
    ):
        assert mask_ids_in_text(text) == text
    assert ids_in_text("no ids here") == []


SEPARATOR = st.sampled_from(["", " ", "-", "\u3000", "\u00a0", "－", " - "])


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 999),
    born=st.dates().filter(lambda d: 1900 <= d.year <= 2020).map(lambda d: d.strftime("%Y%m%d")),
    cuts=st.lists(st.integers(1, 17), max_size=4, unique=True),
    seps=st.lists(SEPARATOR, min_size=4, max_size=4),
    full_width=st.booleans(),
    prefix=st.sampled_from(["", "身份证号", "No. ", "CASE-", "（"]),
    suffix=st.sampled_from(["", "。", " 已核实", "）"]),
)
def test_any_writing_of_a_resident_id_is_masked(
    n: int,
    born: str,
    cuts: list[int],
    seps: list[str],
    full_width: bool,
    prefix: str,
    suffix: str,
) -> None:
    rid = make_rid(n, born)
    parts, last = [], 0
    for cut in sorted(cuts):
        parts.append(rid[last:cut])
        last = cut
    parts.append(rid[last:])
    written = parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=False))
    if full_width:
        written = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in written)
    text = f"{prefix}{written}{suffix}"
    masked = mask_ids_in_text(text)
    assert rid not in compact(masked)
    assert len(masked) == len(text)
