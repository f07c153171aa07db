"""Plain CSV files read as columns, without the csv module.

A file in which no quote character and no bare carriage return occurs
(:attr:`graph_loader.text.TextInfo.plain`, found while its encoding is
checked) has one record per non-empty line, and a record's fields are the
line split at its commas: exactly what :func:`graph_loader.csvfile.read_chunks`
would make of it. Here a whole chunk is split with one ``str.split`` and
its columns are slices of the result, so there is no Python work per record
or per field. The chunks are the same as ``read_chunks``'s (the same
records, line numbers and chunk boundaries); a chunk whose records are not
all as wide as each other comes as rows, as from ``read_chunks``.

Whatever this reader cannot produce identically — a field longer than the
csv module's limit (a broken record) — sends the file back to
``read_chunks``, which then skips the chunks already given out.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text("a,b\\n1, x\\n\\n3,z\\n", "utf-8")
>>> from graph_loader.text import scan_text
>>> [(c.lines, c.columns, c.padded) for c in chunks(p, scan_text(p, "t"))]
[([1, 2, 4], [['a', '1', '3'], ['b', ' x', 'z']], True)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

from graph_loader.csvfile import CHUNK_ROWS, FIELD_LIMIT, RawChunk, read_chunks
from graph_loader.text import TextInfo

#: characters decoded at a time
BLOCK_CHARS = 1 << 22
#: white space after a comma (searched for by its literal first character:
#: many times faster than a pattern for white space at either end of a field)
_COMMA_SPACE = re.compile(r",\s")


class _NotPlain(Exception):
    """Something this reader does not word as ``read_chunks`` would."""


def chunks(
    path: Path, info: TextInfo, size: int = CHUNK_ROWS, field_limit: int = FIELD_LIMIT
) -> Iterator[RawChunk]:
    """The chunks of :func:`~graph_loader.csvfile.read_chunks`, as columns
    where the file is plain."""
    given = 0
    if info.plain and not info.suspect and not info.long_lines:
        try:
            for chunk in _plain_chunks(path, info.encoding, size, field_limit):
                yield chunk
                given += 1
            return
        except _NotPlain:
            pass
    for i, chunk in enumerate(read_chunks(path, info, size, field_limit)):
        if i >= given:
            yield chunk


def _plain_chunks(path: Path, encoding: str, size: int, limit: int) -> Iterator[RawChunk]:
    pending: list[str] = []  # lines not yet in a chunk (without line ends)
    first = 1  # the line number of pending[0]
    for lines in _lines(path, encoding):
        pending += lines
        while len(pending) >= size:
            records, lines_taken = _take(pending, first, size)
            if records is None:
                break  # blank lines: fewer than ``size`` records pending
            yield _chunk(records, lines_taken, limit)
            taken = lines_taken[-1] - first + 1
            del pending[:taken]
            first += taken
    numbered = [(n, t) for n, t in enumerate(pending, first) if t]
    if numbered:  # fewer than ``size`` records remain
        yield _chunk([t for _, t in numbered], [n for n, _ in numbered], limit)


def _lines(path: Path, encoding: str) -> Iterator[list[str]]:
    """The file's lines, a block at a time, without their line ends."""
    with path.open(encoding=encoding, newline="") as fh:
        rest = ""
        while block := fh.read(BLOCK_CHARS):
            lines = (rest + block).replace("\r\n", "\n").split("\n")
            rest = lines.pop()
            yield lines
        if rest:
            yield [rest]


def _take(pending: list[str], first: int, size: int) -> tuple[list[str] | None, list[int]]:
    """The first ``size`` records of ``pending`` and their line numbers
    (None: fewer than ``size``); blank lines are no records."""
    head = pending[:size]
    if len(head) < size:
        return None, []
    if "" not in head:
        return head, list(range(first, first + size))
    records: list[str] = []
    numbers: list[int] = []
    for number, text in enumerate(pending, first):
        if text:
            records.append(text)
            numbers.append(number)
            if len(records) == size:
                return records, numbers
    return None, []


def _chunk(records: list[str], lines: list[int], limit: int) -> RawChunk:
    """One chunk: as columns when every record has as many fields."""
    longest = max(map(len, records))
    if longest > limit and max(len(f) for r in records for f in r.split(",")) > limit:
        raise _NotPlain  # the csv module breaks such a record
    commas = set(map(str.count, records, repeat(",")))
    if len(commas) != 1:
        return RawChunk([r.split(",") for r in records], lines, longest=longest)
    width = commas.pop() + 1
    text = ",".join(records)
    fields = text.split(",")
    return RawChunk(
        [],
        lines,
        columns=[fields[i::width] for i in range(width)],
        padded=_padded(text),
        longest=longest,
    )


def _padded(text: str) -> bool:
    """Whether a field of records joined by commas starts or ends with white
    space (a space before a comma is a space after one in the reversed text)."""
    return (
        text[:1].isspace()
        or text[-1:].isspace()
        or _COMMA_SPACE.search(text) is not None
        or _COMMA_SPACE.search(text[::-1]) is not None
    )
