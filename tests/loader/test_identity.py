"""The identity bookkeeping of a load, chunk by chunk, says what a plain
dict of identities says: first row wins, an exact repeat is a duplicate, a
repeat with other values conflicts with the first row's line."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_loader.identity import Identities

Row = tuple[Any, ...]


def reference(chunks: list[list[Row]], fields: tuple[int, ...]) -> list[Any]:
    seen: dict[tuple[Any, ...], tuple[Row, int]] = {}
    out: list[Any] = []
    line = 0
    for rows in chunks:
        kept, duplicates, conflicts = [], 0, []
        for i, row in enumerate(rows):
            line += 1
            key = tuple(row[f] for f in fields)
            if key not in seen:
                seen[key] = (row, line)
                kept.append(i)
            elif seen[key][0] == row:
                duplicates += 1
            else:
                conflicts.append((i, seen[key][1]))
        out.append((kept, duplicates, conflicts))
    return out


def checked(chunks: list[list[Row]], fields: tuple[int, ...]) -> list[Any]:
    identities = Identities(fields)
    out: list[Any] = []
    line = 0
    for rows in chunks:
        lines = list(range(line + 1, line + len(rows) + 1))
        line += len(rows)
        result = identities.sort_out(rows, lines)
        if result is None:
            out.append((list(range(len(rows))), 0, []))
        else:
            out.append((result.kept, result.duplicates, result.conflicts))
    return out


ROWS = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["x", "y"]),
    st.sampled_from(["E1", "E2", "E3"]),
    st.sampled_from([None, "2020-01-01"]),
    st.sampled_from([None, 1.0, 2.5]),
)
CHUNKS = st.lists(st.lists(ROWS, max_size=8), max_size=8)


@settings(max_examples=300, deadline=None)
@given(CHUNKS)
def test_relations_like_identities(chunks: list[list[Row]]) -> None:
    assert checked(chunks, (0, 2, 3)) == reference(chunks, (0, 2, 3))


@settings(max_examples=300, deadline=None)
@given(CHUNKS)
def test_id_identities(chunks: list[list[Row]]) -> None:
    assert checked(chunks, (0,)) == reference(chunks, (0,))


def test_many_chunks_of_new_rows_then_repeats() -> None:
    """Enough chunks for the sorted runs to merge several times."""
    chunks = [[(f"S{c}-{i}", "x", f"E{i % 7}", None, None) for i in range(50)] for c in range(40)]
    chunks.append([chunks[3][5], (*chunks[17][9][:4], 9.0), chunks[39][49]])
    expected = reference(chunks, (0, 2, 3))
    assert expected[-1] == ([], 2, [(1, 17 * 50 + 10)])
    assert checked(chunks, (0, 2, 3)) == expected
