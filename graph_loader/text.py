"""Which text encoding a CSV file uses, checked on every byte before loading.

Accepted without being told: UTF-8 (with or without a byte-order mark),
UTF-16 with a byte-order mark, and GB18030 (a superset of GBK and GB2312,
the usual encoding of Chinese government exports). UTF-8 is tried first:
real GB18030 text is almost never valid UTF-8, while ASCII is both. Any
other encoding must be named (``credgraph load --encoding``).

The same pass notes what the fast path may skip: whether the text holds any
control character or byte-order mark after the start (rows are then checked
one by one), and the longest physical line (an over-long line is read in
bounded pieces so that a single huge line never fills memory).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("名称\\n甲公司\\n".encode("gb18030"))
>>> scan_text(p, "t.csv").encoding
'gb18030'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

#: the longest physical line read whole (bytes); longer lines are rejects
LINE_CAP = 1 << 20
#: read this much at a time while checking a file (at most LINE_CAP)
BLOCK = LINE_CAP
#: what the loader accepts without ``--encoding``, in the order tried
AUTO = ("utf-8", "gb18030")
#: C0 controls other than tab, LF and CR; DEL; C1 controls; and a byte-order
#: mark (U+FEFF) anywhere but at the very start
SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")


class EncodingProblem(Exception):
    """The file is not text in any accepted (or the requested) encoding."""


@dataclass(frozen=True)
class TextInfo:
    """What a pass over the whole file found."""

    #: the Python codec to decode with (``utf-8-sig`` drops a leading BOM)
    encoding: str
    #: a control character or a byte-order mark occurs after the start
    suspect: bool
    #: some physical line is longer than :data:`LINE_CAP` bytes
    long_lines: bool
    #: no quote character and no carriage return outside a CRLF line end:
    #: every record is one line split at its commas
    #: (:mod:`graph_loader.plaincsv` reads such a file without the csv module)
    plain: bool = False


def check_encoding(name: str) -> str:
    """The canonical codec name of ``--encoding``; ``LookupError`` if unknown."""
    return codecs.lookup(name).name


def scan_text(path: Path, label: str, encoding: str | None = None) -> TextInfo:
    """Check that every byte of ``path`` decodes; raise :class:`EncodingProblem`
    with the first undecodable line otherwise (``label`` names the file)."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if encoding is not None:
        codec = check_encoding(encoding)
        if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        info, (line, reason) = _try(path, codec)
        if info is None:
            raise EncodingProblem(
                f"{label}: line {line} is not valid text in {codec} "
                f"({reason}; --encoding {encoding})"
            )
        return info
    if head.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = AUTO
    failures: list[tuple[int, str]] = []
    for codec in candidates:
        info, failure = _try(path, codec)
        if info is not None:
            return info
        failures.append(failure)
    # the encoding that read furthest is the likely one: its first bad line
    # is most likely the damaged one
    line, reason = max(failures)
    tried = ", ".join(c.replace("-sig", "") for c in candidates)
    raise EncodingProblem(
        f"{label}: line {line} is not valid text in {tried} ({reason}); "
        "name the file's encoding with --encoding"
    )


def _try(path: Path, codec: str) -> tuple[TextInfo | None, tuple[int, str]]:
    """Decode the whole file strictly; ``(info, _)`` or ``(None, (line, why))``."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines = 0  # in the text decoded so far
    suspect = long_lines = False
    plain = True
    after_cr = False  # the text so far ends with a carriage return
    open_line = 0  # bytes of the line still open at the end of the last block
    first = True
    with path.open("rb") as fh:
        while True:
            block = fh.read(BLOCK)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(block, not block)
            except UnicodeDecodeError as exc:
                data = pending + block
                line = newlines + data[: exc.start].count(b"\n") + 1
                return None, (line, f"byte 0x{data[exc.start]:02x}")
            if text:
                body = text[1:] if first and text[0] == "\ufeff" else text
                first = False
                suspect = suspect or SUSPECT.search(body) is not None
                newlines += text.count("\n")
                if plain:
                    plain = _plain(text, after_cr)
                    after_cr = text[-1] == "\r"
            # a line inside one block is at most BLOCK long: only a line
            # running across blocks can exceed the cap
            end = block.find(b"\n")
            if end < 0:
                open_line += len(block)
            else:
                long_lines = long_lines or open_line + end + 1 > LINE_CAP
                open_line = len(block) - block.rfind(b"\n") - 1
            if not block:
                break
    long_lines = long_lines or open_line > LINE_CAP
    return TextInfo(codec, suspect, long_lines, plain and not after_cr), (0, "")


def _plain(text: str, after_cr: bool) -> bool:
    """No quote, and every carriage return starts a CRLF (``after_cr``: the
    text before this piece ended with one)."""
    if '"' in text or (after_cr and text[0] != "\n"):
        return False
    crs = text.count("\r")
    return crs == 0 or crs == text.count("\r\n") + (text[-1] == "\r")
