"""A plain CSV file (no quotes) read as columns gives exactly the chunks of
the csv module's reader: the same records, line numbers, chunk boundaries,
broken records and, through :class:`Source`, the same rows and problems."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from graph_loader import plaincsv
from graph_loader.csvfile import RawChunk, read_chunks
from graph_loader.sources import Chunk, csv_source
from graph_loader.text import scan_text

FIELDS = st.sampled_from(["", "a", "中文", " a", "b ", "\u3000c", " ", "x" * 12, "1.5", "é"])
RECORDS = st.lists(FIELDS, min_size=1, max_size=4).map(",".join)
LINES = st.lists(st.one_of(RECORDS, st.just(""), st.just("a,b,c")), max_size=14)


def write(lines: list[str], crlf: bool, final: bool) -> Path:
    end = "\r\n" if crlf else "\n"
    text = end.join(lines) + (end if final else "")
    path = Path(tempfile.mkdtemp()) / "enterprises.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def plain(chunk: RawChunk) -> tuple[list[list[str]], list[int], list[object]]:
    return chunk.as_rows(), chunk.lines, chunk.broken


@settings(max_examples=300, deadline=None)
@given(LINES, st.booleans(), st.booleans(), st.integers(1, 4), st.sampled_from([5, 11, 12, 1000]))
@example(["a", "x" * 12, "b"], False, True, 1, 11)  # one field one character too long
@example(["a", "x" * 11, "b"], False, True, 1, 11)
def test_plain_chunks_are_the_csv_readers(
    lines: list[str], crlf: bool, final: bool, size: int, limit: int
) -> None:
    path = write(lines, crlf, final)
    info = scan_text(path, "t")
    assert info.plain
    expected = [plain(c) for c in read_chunks(path, info, size, limit)]
    assert [plain(c) for c in plaincsv.chunks(path, info, size, limit)] == expected


def test_quotes_and_bare_carriage_returns_are_not_plain(tmp_path: Path) -> None:
    for text, is_plain in [
        ('a,b\n"1",2\n', False),
        ("a,b\r1,2\n", False),
        ("a,b\r\n1,2\r", False),
        ("a,b\r\n1,2\r\n", True),
        ("a,b\n1,2", True),
    ]:
        path = tmp_path / "t.csv"
        path.write_bytes(text.encode())
        assert scan_text(path, "t").plain is is_plain, text


def columns_of(path: Path, max_field: int, as_plain: bool) -> list[Chunk]:
    source = csv_source("enterprises", path)
    assert source.text is not None
    source.text = dataclasses.replace(source.text, plain=as_plain)
    source.max_field = max_field
    return list(source.chunks())


@settings(max_examples=200, deadline=None)
@given(LINES, st.booleans(), st.sampled_from([3, 6, 1000]))
def test_sources_read_plain_files_as_before(lines: list[str], crlf: bool, max_field: int) -> None:
    path = write(["uscc,name,kind", *lines], crlf, True)
    assert columns_of(path, max_field, True) == columns_of(path, max_field, False)
