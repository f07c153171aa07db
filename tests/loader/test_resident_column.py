"""Resident ids checked a column at once (check digit, calendar day, known
birth place) are exactly those :func:`validate_resident_id` accepts."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from credgraph.ids import InvalidIdentifier, validate_resident_id
from graph_loader.fast import resident_ok

WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
REGIONS = ["110101", "440304", "441900", "510121", "999999", "000000", "110100", "820000"]
DAYS = st.sampled_from(
    [
        *("19000229", "20000229", "19990229", "19960229", "20230431", "20231231", "00000101"),
        *("19001301", "19900100", "19900132", "18991231", "99991231", "19800615", "20240930"),
    ]
)


def with_check(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def accepted(value: str) -> bool:
    try:
        validate_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


IDS = st.builds(
    lambda region, day, seq, right: (
        with_check(region + day + seq) if right else (region + day + seq + "0")
    ),
    st.sampled_from(REGIONS),
    DAYS,
    st.from_regex(r"\A[0-9]{3}\Z"),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(IDS, max_size=10))
@example(["11010120000229001X"])
def test_resident_column_check_is_the_validator(values: list[str]) -> None:
    assert resident_ok(values).tolist() == [accepted(v) for v in values]
