"""Column-at-once normalisers equal the per-value functions of credgraph.ids."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from credgraph.ids import normalise_address, normalise_email, normalise_phone
from graph_loader import bycolumn

PIECES = st.sampled_from(
    [
        *("+86 ", "0086", "86", "+", "++", "138", "0013", "8000", "(0769) ", "2288", "-", " "),
        *("１２３", "\u3000", "\t", "\n", "\x00", "Σ", "ΑΣ", "ß", "İ", "Ａ", "a", "广东省", "号"),
        *("\u0301", "@", "X.Com ", "٣", "ﬁ", "\u2028", "ǅ"),
    ]
)
VALUES = st.lists(st.lists(PIECES, max_size=6).map("".join), max_size=8)


def each(function, values):  # type: ignore[no-untyped-def]
    return [function(v or None) for v in values]


@settings(max_examples=400, deadline=None)
@given(VALUES)
@example(["+86 138-0013-8000", "(0769) 2288 1234", "", "008613800138000", "+8686123456789"])
@example(["ΑΣ", "Σ", "x ΑΣ y"])
def test_columns_equal_the_value_functions(values: list[str]) -> None:
    assert bycolumn.phones(values) == each(normalise_phone, values)
    assert bycolumn.addresses(values) == each(normalise_address, values)
    assert bycolumn.emails(values) == each(normalise_email, values)
    assert bycolumn.upper(values) == [v.upper() for v in values]
