"""The tables of an input: CSV files of a data folder, or one XLSX workbook.

Everything that makes an input unusable — a missing file or column, a
duplicate column name, text in no accepted encoding, a workbook beyond the
limits — is found when the sources are opened, before any row is loaded
(:class:`UnusableInput`, exit code 2). Inside a table, a line that cannot
be a row (wrong number of fields, an unclosed quote, a control character, a
field over ``Settings.max_field_chars``) is a problem of that line only.

Tables are read in chunks so memory stays bounded at millions of rows; each
row comes with the physical line number where it starts (header = line 1,
quoted multi-line fields counted; for XLSX the sheet row).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from credgraph.settings import Settings
from graph_loader import plaincsv
from graph_loader.csvfile import QUOTE_CHARS, RawChunk, read_chunks
from graph_loader.text import SUSPECT, EncodingProblem, TextInfo, check_encoding, scan_text
from graph_loader.xlsx import Workbook, WorkbookProblem

log = logging.getLogger(__name__)

TABLES = ("enterprises", "persons", "relations", "list_entries")

COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprises": (
        "uscc",
        "name",
        "kind",
        "status",
        "established_on",
        "registered_capital",
        "region",
        "industry",
        "address",
        "phone",
        "email",
    ),
    "persons": ("person_id", "id_type", "name", "phone", "address"),
    "relations": (
        "source_id",
        "target_uscc",
        "role",
        "title",
        "share_pct",
        "start_on",
        "end_on",
    ),
    "list_entries": (
        "entry_id",
        "subject_id",
        "list",
        "category",
        "reason",
        "authority",
        "case_no",
        "decided_on",
        "valid_until",
        "removed_on",
        "removal_reason",
        "responsible_person_ids",
    ),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprises": ("uscc", "name"),
    "persons": ("person_id", "name"),
    "relations": ("source_id", "target_uscc", "role"),
    "list_entries": ("entry_id", "subject_id", "list", "decided_on"),
}

#: (line, column, value, reason) of a line that is not a usable row
LineProblem = tuple[int, str, str, str]


class UnusableInput(Exception):
    """The input cannot be loaded at all (exit code 2): one line, no traceback."""


@dataclass
class Chunk:
    """Rows of one table as columns: ``columns[col][i]`` is a stripped string
    ('' = empty) of the row starting on line ``lines[i]``; blank rows are
    left out; ``problems`` are lines that are no row."""

    columns: dict[str, list[str]]
    lines: list[int]
    problems: list[LineProblem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def row(self, i: int) -> dict[str, str]:
        return {c: values[i] for c, values in self.columns.items()}

    @property
    def rows(self) -> list[dict[str, str]]:
        return [self.row(i) for i in range(len(self))]


@dataclass
class Source:
    """One table of the input, read lazily chunk by chunk."""

    name: str
    file: str
    path: Path
    sheet: str | None = None
    size: int = 0
    #: the header as written, normalised (trimmed, lower case)
    header: list[str] = field(default_factory=list)
    text: TextInfo | None = None
    workbook: Workbook | None = None
    max_field: int = 65_536

    def chunks(self) -> Iterator[Chunk]:
        known = [(i, c) for i, c in enumerate(self.header) if c in COLUMNS[self.name]]
        if self.workbook is not None:
            assert self.sheet is not None
            try:
                for raw in self.workbook.chunks(self.sheet, len(self.header)):
                    yield self._chunk(raw, known, suspect=True)
            except WorkbookProblem as exc:
                raise UnusableInput(str(exc)) from None
            return
        assert self.text is not None
        first = True
        # fields up to twice the limit are rejects naming their column;
        # longer ones break the record before they fill memory
        for raw in plaincsv.chunks(self.path, self.text, field_limit=2 * self.max_field):
            if first:  # the header, checked when the source was opened
                raw.drop_first()
                first = False
            yield self._chunk(raw, known, suspect=self.text.suspect)

    def _chunk(self, raw: RawChunk, known: list[tuple[int, str]], suspect: bool) -> Chunk:
        width = len(self.header)
        problems: list[LineProblem] = [(b.line, "", b.text, b.reason) for b in raw.broken]
        split = raw.columns is not None and len(raw.columns) == width and not suspect
        if split and (raw.longest <= self.max_field or not self._too_long(raw.as_rows())):
            return self._columns_chunk(raw, known)
        records = rows = raw.as_rows()
        lines = raw.lines
        check = suspect or self._too_long(rows)
        if check or set(map(len, rows)) - {width}:
            rows, lines = [], []
            for fields, line in zip(records, raw.lines, strict=True):
                problem = self._row_problem(fields, known, check)
                if problem is None:
                    rows.append(fields)
                    lines.append(line)
                elif problem[2]:
                    problems.append((line, *problem))
        fields_by_column = list(zip(*rows, strict=True)) if rows else [()] * width
        columns = {c: list(map(str.strip, fields_by_column[i])) for i, c in known}
        return _without_blank_rows(Chunk(columns, lines, problems), REQUIRED[self.name][0])

    def _columns_chunk(self, raw: RawChunk, known: list[tuple[int, str]]) -> Chunk:
        """:meth:`_chunk` of records already split into columns, all of the
        header's width and none too long."""
        assert raw.columns is not None
        if raw.padded:
            columns = {c: list(map(str.strip, raw.columns[i])) for i, c in known}
        else:
            columns = {c: raw.columns[i] for i, c in known}
        return _without_blank_rows(Chunk(columns, raw.lines, []), REQUIRED[self.name][0])

    def _too_long(self, rows: list[list[str]]) -> bool:
        """Whether a field is over the limit (a record whose fields together
        are within it has none: the whole records are measured first, one
        join per record instead of a length per field)."""
        if max(map(len, map("".join, rows)), default=0) <= self.max_field:
            return False
        return max(map(len, chain.from_iterable(rows)), default=0) > self.max_field

    def _row_problem(
        self, fields: list[str], known: list[tuple[int, str]], check: bool
    ) -> tuple[str, str, str] | None:
        """Why a record is no row: its width, or a field (reason '' = a
        blank line, skipped)."""
        width = len(self.header)
        if len(fields) != width:
            if not "".join(fields).strip():
                return "", "", ""
            plural = "field" if len(fields) == 1 else "fields"
            text = ",".join(fields)[:QUOTE_CHARS]
            return "", text, f"{len(fields)} {plural}, header has {width}"
        return self._field_problem(fields, known) if check else None

    def _field_problem(
        self, fields: list[str], known: list[tuple[int, str]]
    ) -> tuple[str, str, str] | None:
        """A field no row may hold: too long, a control character, a BOM."""
        for i, column in known:
            value = fields[i]
            if len(value) > self.max_field:
                return (
                    column,
                    value[:QUOTE_CHARS],
                    (
                        f"{column} is {len(value):,} characters long, more than the limit of "
                        f"{self.max_field:,} (CREDGRAPH_MAX_FIELD_CHARS)"
                    ),
                )
            found = SUSPECT.search(value)
            if found is None:
                continue
            if found.group() == "\ufeff":
                if [f.strip().lower().lstrip("\ufeff") for f in fields] == self.header:
                    return (
                        "",
                        ",".join(fields)[:QUOTE_CHARS],
                        ("a second header row with a byte-order mark: were files joined together?"),
                    )
                reason = "a byte-order mark (U+FEFF) inside the file: were files joined together?"
            else:
                reason = f"{column} holds the control character U+{ord(found.group()):04X}"
            return column, SUSPECT.sub(_escape, value)[:QUOTE_CHARS], reason
        return None


def _without_blank_rows(chunk: Chunk, first_required: str) -> Chunk:
    """Drop the rows whose known columns are all empty (blank lines)."""
    key = chunk.columns[first_required]
    if "" not in key:
        return chunk
    values = list(chunk.columns.values())
    keep = [i for i, v in enumerate(key) if v or any(col[i] for col in values)]
    if len(keep) == len(key):
        return chunk
    chunk.columns = {c: [col[i] for i in keep] for c, col in chunk.columns.items()}
    chunk.lines = [chunk.lines[i] for i in keep]
    return chunk


def _escape(match: object) -> str:
    char: str = match.group()  # type: ignore[attr-defined]
    return f"\\u{ord(char):04x}"


def _check_columns(source: Source, header: list[str]) -> None:
    """Required columns present, each name once; unknown columns are warned
    about (once) and ignored."""
    named = [c for c in header if c]
    for name in dict.fromkeys(named):
        if named.count(name) > 1:
            where = [str(i + 1) for i, c in enumerate(header) if c == name]
            raise UnusableInput(
                f"{source.file}: column {name!r} appears more than once in the header "
                f"(columns {', '.join(where)})"
            )
    missing = [c for c in REQUIRED[source.name] if c not in header]
    if missing:
        raise UnusableInput(
            f"{source.file}: missing required column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(COLUMNS[source.name])}"
        )
    extra = [c or f"(unnamed column {i + 1})" for i, c in enumerate(header)]
    extra = [e for e, c in zip(extra, header, strict=True) if c not in COLUMNS[source.name]]
    if extra:
        log.warning("%s: ignoring unknown column(s) %s", source.file, ", ".join(extra))
    source.header = header


def _normalise(header: list[str]) -> list[str]:
    return [c.strip().lower().lstrip("\ufeff") for c in header]


def csv_source(name: str, path: Path, encoding: str | None = None) -> Source:
    """The table ``name`` in the CSV file ``path``: its encoding checked over
    the whole file and its header read."""
    label = path.name
    try:
        text = scan_text(path, label, encoding)
    except EncodingProblem as exc:
        raise UnusableInput(str(exc)) from None
    except OSError as exc:
        raise UnusableInput(f"{label}: cannot read ({exc.strerror})") from None
    source = Source(name, label, path, size=path.stat().st_size, text=text)
    header = next(iter(read_chunks(path, text, size=1)), RawChunk())
    if not header.rows or (header.broken and header.broken[0].line < header.lines[0]):
        raise UnusableInput(f"{label}: empty file or no readable header row")
    _check_columns(source, _normalise(header.rows[0]))
    return source


def open_sources(path: Path, encoding: str | None = None) -> list[Source]:
    """Tables of a data folder, an XLSX workbook, or a single CSV file, in
    load order (enterprises, persons, relations, list_entries).

    ``encoding`` names the encoding of CSV files (default: detected)."""
    settings = Settings()
    if encoding is not None:
        try:
            check_encoding(encoding)
        except LookupError:
            raise UnusableInput(f"unknown encoding {encoding!r}") from None
    if not path.exists():
        raise UnusableInput(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _workbook_sources(path, settings)
        if path.stem in TABLES and path.suffix.lower() == ".csv":
            sources = [csv_source(path.stem, path, encoding)]
        else:
            raise UnusableInput(
                f"{path}: expected a data folder, an .xlsx workbook or one of "
                f"{', '.join(t + '.csv' for t in TABLES)}"
            )
    else:
        sources = [
            csv_source(name, path / f"{name}.csv", encoding)
            for name in TABLES
            if (path / f"{name}.csv").exists()
        ]
    if not sources:
        books = sorted(path.glob("*.xlsx"))
        if len(books) == 1:
            return _workbook_sources(books[0], settings)
        raise UnusableInput(
            f"{path}: no {', '.join(t + '.csv' for t in TABLES)} and no single .xlsx workbook"
        )
    for source in sources:
        source.max_field = settings.max_field_chars
    return sources


def close_sources(sources: list[Source]) -> None:
    """Release the workbook a list of sources may hold open."""
    for workbook in {id(s.workbook): s.workbook for s in sources if s.workbook}.values():
        workbook.close()


def _workbook_sources(book: Path, settings: Settings) -> list[Source]:
    try:
        workbook = Workbook(book, settings)
        names = workbook.sheet_names
        sources = [
            Source(name, f"{book.name}:{name}", book, sheet=name, workbook=workbook)
            for name in TABLES
            if name in names
        ]
        if not sources:
            raise UnusableInput(f"{book}: no sheet named {', '.join(TABLES)}")
        for source in sources:
            _check_columns(source, _normalise(workbook.header(source.name)))
            source.size = workbook.declared_rows(source.name)
            source.max_field = settings.max_field_chars
    except WorkbookProblem as exc:
        raise UnusableInput(str(exc)) from None
    return sources
