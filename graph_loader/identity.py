"""Which rows of a table repeat an identity seen before in the same load.

DESIGN §2: the first row with an identity wins; a later row with the same
identity and the same values is a duplicate (ignored), one with other
values is a reject naming the first row's line. Identities are the id of a
node or entry (kept exactly, in a dict), or for relations the pair of 64-bit
hashes of their identity fields read forwards and backwards (as before:
compact bookkeeping for millions of relations), kept in sorted numpy
arrays. Each row's value digest (the hash of the whole plain row) and line
are kept in numpy arrays, read only when an identity repeats.

Whole chunks are checked at once; only a chunk in which some identity
repeats is walked row by row.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


@dataclass
class Sorted:
    """The outcome for a chunk where an identity repeats: the rows kept,
    the number of exact repeats, and (row, line of the first row) for each
    repeat with other values."""

    kept: list[int] = field(default_factory=list)
    duplicates: int = 0
    conflicts: list[tuple[int, int]] = field(default_factory=list)


class Identities:
    """The identities of one table's rows in this load."""

    def __init__(self, fields: tuple[int, ...]) -> None:
        self.fields = fields
        self.count = 0  # rows registered so far (their numbers: 0, 1, …)
        self.bases: list[int] = []  # number of each chunk's first row
        self.digests: list[Array] = []  # each chunk's value digests
        self.lines: list[Array] = []  # and lines
        self.ids: dict[Any, int] = {}  # one field: identity -> row number
        #: several fields: runs sorted by the forward hash, with the
        #: backward hash and the row number alongside
        self.runs: list[tuple[Array, Array, Array]] = []

    def sort_out(self, rows: list[tuple[Any, ...]], lines: list[int]) -> Sorted | None:
        """Register the rows of a chunk; None when every identity is new."""
        if not rows:
            return None
        base = self.count
        digests = np.fromiter(map(hash, rows), np.int64, len(rows))
        self.bases.append(base)
        self.digests.append(digests)
        self.lines.append(np.array(lines, dtype=np.int64))
        self.count += len(rows)
        if len(self.fields) == 1:
            return self._by_id(rows, base, digests)
        return self._by_hashes(rows, base, digests)

    def _first(self, number: int) -> tuple[int, int]:
        """Value digest and line of row ``number``."""
        chunk = bisect_right(self.bases, number) - 1
        i = number - self.bases[chunk]
        return int(self.digests[chunk][i]), int(self.lines[chunk][i])

    def _judge(self, result: Sorted, i: int, first: int, digest: int) -> None:
        """Row ``i`` repeats the identity of row number ``first``."""
        first_digest, first_line = self._first(first)
        if first_digest == digest:
            result.duplicates += 1
        else:
            result.conflicts.append((i, first_line))

    def _by_id(self, rows: list[tuple[Any, ...]], base: int, digests: Array) -> Sorted | None:
        keys = list(map(itemgetter(self.fields[0]), rows))
        if len(set(keys)) == len(keys) and self.ids.keys().isdisjoint(keys):
            self.ids.update(zip(keys, range(base, base + len(keys)), strict=True))
            return None
        result = Sorted()
        for i, (key, digest) in enumerate(zip(keys, digests.tolist(), strict=True)):
            first = self.ids.get(key)
            if first is None:
                self.ids[key] = base + i
                result.kept.append(i)
            else:
                self._judge(result, i, first, digest)
        return result

    def _by_hashes(self, rows: list[tuple[Any, ...]], base: int, digests: Array) -> Sorted | None:
        forward = np.fromiter(map(hash, map(itemgetter(*self.fields), rows)), np.int64, len(rows))
        backward = np.fromiter(
            map(hash, map(itemgetter(*reversed(self.fields)), rows)), np.int64, len(rows)
        )
        order = np.lexsort((backward, forward))
        f, b = forward[order], backward[order]
        repeats = bool(((f[1:] == f[:-1]) & (b[1:] == b[:-1])).any())
        earlier = self._earlier(forward, backward)
        if not repeats and not earlier:
            self._add_run(f, b, order + base)
            return None
        result = Sorted()
        seen: dict[tuple[int, int], int] = {}
        pairs = zip(forward.tolist(), backward.tolist(), digests.tolist(), strict=True)
        for i, (fw, bw, digest) in enumerate(pairs):
            first = earlier.get(i)
            if first is None:
                first = seen.get((fw, bw))
            if first is None:
                seen[fw, bw] = base + i
                result.kept.append(i)
            else:
                self._judge(result, i, first, digest)
        kept = np.array(result.kept, dtype=np.int64)
        order = kept[np.lexsort((backward[kept], forward[kept]))]
        self._add_run(forward[order], backward[order], order + base)
        return result

    def _earlier(self, forward: Array, backward: Array) -> dict[int, int]:
        """Rows of the chunk whose identity a previous chunk registered: the
        number of that first row."""
        found: dict[int, int] = {}
        for run_f, run_b, run_rows in self.runs:
            at = np.searchsorted(run_f, forward)
            inside = np.minimum(at, len(run_f) - 1)
            for i in np.flatnonzero(run_f[inside] == forward).tolist():
                j = int(at[i])
                while j < len(run_f) and run_f[j] == forward[i]:
                    if run_b[j] == backward[i]:
                        found[i] = int(run_rows[j])
                        break
                    j += 1
        return found

    def _add_run(self, forward: Array, backward: Array, numbers: Array) -> None:
        """A sorted run; runs of similar length are merged (few runs to search)."""
        if not len(forward):
            return
        self.runs.append((forward, backward, numbers))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (f1, b1, n1), (f2, b2, n2) = self.runs.pop(), self.runs.pop()
            f = np.concatenate((f2, f1))
            order = np.argsort(f, kind="stable")
            b, n = np.concatenate((b2, b1)), np.concatenate((n2, n1))
            self.runs.append((f[order], b[order], n[order]))
