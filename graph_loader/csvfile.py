"""Records of a CSV file with their physical line numbers; a malformed line
is a broken record, never the end of the file.

Python's C ``csv`` reader splits records (quoted fields may span lines);
``reader.line_num`` gives the physical line where each record starts (header
= line 1). A record the reader cannot finish — a quote never closed, a field
longer than the csv module's limit, text after a closing quote — becomes a
:class:`Broken` at the line where the record starts, and reading restarts on
the next line, so one bad line costs one line and the rest of the file still
loads. A physical line longer than :data:`~graph_loader.text.LINE_CAP` is
reported without ever being held whole in memory.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text('a,b\\n1,"x\\ny"\\n2,"never closed\\n3,z\\n', "utf-8")
>>> from graph_loader.text import scan_text
>>> [(c.lines, c.rows, [b.line for b in c.broken]) for c in read_chunks(p, scan_text(p, "t"))]
[([1, 2, 5], [['a', 'b'], ['1', 'x\\ny'], ['3', 'z']], [4])]
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

from graph_loader.text import LINE_CAP, TextInfo

#: records per chunk handed to validation
CHUNK_ROWS = 100_000
#: stands for a physical line too long to read; never valid data (NUL)
_LONG_LINE = "\x00\x00long line\x00\x00"
#: a field longer than this breaks its record (the csv module's default)
FIELD_LIMIT = 131_072
#: how much of a broken line a reject quotes
QUOTE_CHARS = 200


@dataclass(frozen=True)
class Broken:
    """A record that could not be split into fields."""

    line: int
    text: str
    reason: str


@dataclass
class RawChunk:
    """Consecutive records: ``rows[i]`` (its fields) starts on ``lines[i]``;
    ``broken`` are the lines in between that could not be read as records."""

    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    #: the records as columns instead of ``rows`` when all are as wide
    #: (:mod:`graph_loader.plaincsv`); ``padded``: a field may need stripping
    columns: list[list[str]] | None = None
    padded: bool = True
    #: an upper bound of the length of a record's fields joined (0: unknown)
    longest: int = 0

    def drop_first(self) -> None:
        """Leave out the first record (the header)."""
        del self.lines[0]
        if self.columns is None:
            del self.rows[0]
        else:
            for column in self.columns:
                del column[0]

    def as_rows(self) -> list[list[str]]:
        """The records as rows of fields."""
        if self.columns is None:
            return self.rows
        return list(map(list, zip(*self.columns, strict=True)))


def read_chunks(
    path: Path, info: TextInfo, size: int = CHUNK_ROWS, field_limit: int = FIELD_LIMIT
) -> Iterator[RawChunk]:
    """All records of the file (the header is the first), ``size`` at a time.
    Empty lines are skipped (they still count for line numbers). A field of
    more than ``field_limit`` characters breaks its record (the csv module's
    limit is process-wide, and some libraries raise it to "unlimited": it is
    set here while this reader runs, restored whenever it yields)."""
    chunk = RawChunk()
    skip = 0  # physical lines already read before the current reader started
    failed: tuple[int, int, str] | None = None  # start, last line, csv's message
    previous = csv.field_size_limit(field_limit)
    try:
        while True:
            with path.open(encoding=info.encoding, newline="") as fh:
                lines = _bounded(fh) if info.long_lines else fh
                if failed is not None:
                    # restart just after the line the broken record began
                    # on, quoting that line in the reject
                    text = next(islice(lines, skip - 1, skip), "")
                    chunk.broken.append(_broken(text, *failed, field_limit))
                reader = csv.reader(lines, strict=True)
                start = skip + 1  # line of the next record
                try:
                    for fields in reader:
                        if fields:
                            if fields[0] == _LONG_LINE:
                                chunk.broken.append(Broken(start, "", _TOO_LONG))
                            else:
                                chunk.rows.append(fields)
                                chunk.lines.append(start)
                                if len(chunk.rows) >= size:
                                    csv.field_size_limit(previous)
                                    yield chunk
                                    previous = csv.field_size_limit(field_limit)
                                    chunk = RawChunk()
                        start = skip + reader.line_num + 1
                except csv.Error as exc:
                    failed = (start, skip + reader.line_num, str(exc))
                    skip = start
                    continue
            break
    finally:
        csv.field_size_limit(previous)
    if chunk.rows or chunk.broken:
        yield chunk


def _bounded(fh: IO[str]) -> Iterator[str]:
    """Physical lines, a line longer than the cap replaced by a marker."""
    while True:
        line = fh.readline(LINE_CAP)
        if not line:
            return
        if len(line) < LINE_CAP or line.endswith(("\n", "\r")):
            yield line
            continue
        while (more := fh.readline(LINE_CAP)) and not more.endswith(("\n", "\r")):
            pass
        yield _LONG_LINE + "\n"


_TOO_LONG = f"line longer than {LINE_CAP:,} bytes"


def _broken(text: str, start: int, last: int, message: str, limit: int) -> Broken:
    """Word a csv error for the record that starts on line ``start``."""
    quoted = "" if text.startswith(_LONG_LINE) else text[:QUOTE_CHARS].rstrip("\r\n")
    if "unexpected end of data" in message:
        reason = (
            f"a quote opened on this line is never closed (it runs over {last - start + 1:,} "
            "lines to the end of the file)"
        )
    elif "field larger than field limit" in message:
        reason = (
            f"a quote opened on this line is not closed within {limit:,} characters "
            f"({last - start + 1:,} lines)"
            if last > start
            else f"field longer than {limit:,} characters"
        )
    elif "expected after" in message:
        reason = 'text after a closing quote (a quote inside a field must be doubled: "")'
    else:
        reason = f"not readable as CSV ({message})"
    return Broken(start, quoted, reason)
