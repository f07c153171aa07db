"""Writing output files: atomically, privately when they carry full ids, and
formula-safe when a person will open them in a spreadsheet (issue 16.7).

- :func:`atomic_write` writes to a temporary file in the target's folder and
  renames it into place: a failed or interrupted command leaves the old file
  (or none), never half a file; ``private=True`` creates it ``0600``.
- :func:`spreadsheet_cell` neutralises formulas (OWASP "CSV injection"): a
  text beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
  prefixed with ``'`` so Excel, LibreOffice and WPS show it as text instead
  of running it (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``); plain numbers
  such as ``-12.5`` are left as they are.
- :func:`write_spreadsheet_csv` and :func:`write_spreadsheet_xlsx` are the
  writers of every spreadsheet-facing output (reject reports, inspection
  plans and conflicts, exchange feedback, screening spreadsheets). Exports
  meant for machines (neo4j-admin CSV, GraphML, FtM) keep values exact and
  use :func:`atomic_write` alone.

``defusedcsv`` was looked at: it does not treat tab and CR as formula
starts, rewrites ``|`` inside values, and covers CSV only, so the one rule
lives here for CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
PRIVATE = 0o600


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it without running it.

    >>> spreadsheet_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_cell("-2+3+cmd|' /C calc'!A0")
    "'-2+3+cmd|' /C calc'!A0"
    >>> spreadsheet_cell("-12.5"), spreadsheet_cell("华盛电子"), spreadsheet_cell(3)
    ('-12.5', '华盛电子', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _umask() -> int:
    """The process umask, read without changing it (Linux); else 022."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


@contextmanager
def atomic_write(
    path: Path,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    private: bool = False,
    executable: bool = False,
) -> Iterator[IO[Any]]:
    """An open temporary file beside ``path``, renamed onto ``path`` when the
    block ends without an exception (removed otherwise). The file is
    ``0600`` with ``private``, else ``0666`` (``0777`` when ``executable``)
    less the umask, like any new file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        wanted = (0o777 if executable else 0o666) & ~_umask()
        os.fchmod(fd, (wanted & 0o700) if private else wanted)
        binary = "b" in mode
        with os.fdopen(
            fd,
            mode,
            encoding=None if binary else encoding,
            newline=None if binary else newline,
        ) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_spreadsheet_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    private: bool = False,
) -> int:
    """A formula-safe CSV for spreadsheet users (UTF-8, with a BOM so that
    Excel reads Chinese right unless ``bom`` is False), written atomically;
    the number of rows written."""
    count = 0
    encoding = "utf-8-sig" if bom else "utf-8"
    with atomic_write(path, encoding=encoding, newline="", private=private) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_cell(v) for v in row])
            count += 1
    return count


def write_spreadsheet_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    private: bool = False,
) -> int:
    """A formula-safe workbook, one sheet per ``(title, header, rows)``,
    written atomically; the number of rows written. Every text is stored as
    a string cell, never a formula."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    count = 0
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append([spreadsheet_cell(v) for v in row])
            count += 1
    with atomic_write(path, "wb", private=private) as fh:
        book.save(fh)
    return count
