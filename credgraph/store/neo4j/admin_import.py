"""``neo4j-admin database import full`` files of a whole store.

:func:`export_neo4j_import` writes CSVs and an ``import.sh`` producing
exactly the graph model of ``credgraph.store.neo4j.cypher`` (labels,
relationship types, property names, ISO-string dates, search keys, flag
runs, counters), so the Neo4j backend opens the imported database as if it
had loaded the data itself. Nodes and relations are streamed as the store
yields them (memory stays flat at 1 M enterprises); entries, objections and
flags are read as lists. ``neo4j/ctl.sh import DIR`` runs the importer of
the pinned Maven artifacts on them and starts Neo4j on the result.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO

from credgraph.model import Enterprise, Flag, ListEntry, NodeKind, Objection, Person, Role
from credgraph.outputs import atomic_write
from credgraph.store.base import GraphStore, StoredFlags
from credgraph.store.neo4j.search import search_keys

log = logging.getLogger(__name__)

Cell = str | float | int | bool | Sequence[str] | None

# -- neo4j-admin import ------------------------------------------------------------
# Files and headers (https://neo4j.com/docs/operations-manual/current/import/):
# ``name:ID(group)`` keeps the id as property ``name``; a nameless ``:ID(group)``
# only links rows. ``share_pct`` and ``registered_capital`` are doubles (the
# driver's Python floats); dates stay ISO strings, as the backend stores them.
# An unquoted empty field is no property; a quoted ``""`` is the empty string
# (``--ignore-empty-strings=false``), which relation ``title``/``start_on``
# need: with the end nodes and the type they are the relation's identity.
_SEARCH_KEYS = ("name_fold", "search_name", "search_pinyin", "search_initials")
_ENTERPRISE_HEADER = (
    "uscc:ID(Enterprise)", ":LABEL", "name", *_SEARCH_KEYS, "doc:long", "kind", "status",
    "established_on", "registered_capital:double", "region", "industry", "address", "phone",
    "email", "phone_norm", "email_norm", "address_norm",
)  # fmt: skip
_PERSON_HEADER = (
    "person_id:ID(Person)", ":LABEL", "id_type", "name", *_SEARCH_KEYS, "doc:long", "phone",
    "address", "phone_norm", "address_norm",
)  # fmt: skip
_ENTRY_HEADER = (
    "entry_id:ID(ListEntry)", ":LABEL", "subject_id", "subject_type", "list", "category",
    "reason", "authority", "case_no", "decided_on", "valid_until", "removed_on",
    "removal_reason", "responsible_person_ids:string[]",
)  # fmt: skip
_OBJECTION_HEADER = (
    ":ID(Objection)", ":LABEL", "objection_id:long", "entry_id", "reason", "filed_on",
    "resolved_on", "upheld:boolean",
)  # fmt: skip
# Flags: the versions of run 1, the run the Meta ``flags`` row makes visible.
_FLAG_HEADER = (
    ":ID(Flag)", ":LABEL", "subject_id", "flag", "entry_id", "from_run:long", "data",
    "subject_type", "list", "rule",
)  # fmt: skip
_META_HEADER = (
    ":LABEL", "key", "value:long", "as_of", "generation:long", "policy_key", "run:long",
    "next_run:long",
)  # fmt: skip

_LABELS = {NodeKind.ENTERPRISE: "Enterprise", NodeKind.PERSON: "Person"}
_ROLE_COLUMNS = ("title", "start_on", "end_on", "share_pct:double")
#: Relation files: one per role and source label (an id group per column).
_RELATION_FILES = {
    (Role.LEGAL_REPRESENTATIVE, NodeKind.PERSON): "legal_representative.csv",
    (Role.EXECUTIVE, NodeKind.PERSON): "executive.csv",
    (Role.SHAREHOLDER, NodeKind.PERSON): "shareholder_person.csv",
    (Role.SHAREHOLDER, NodeKind.ENTERPRISE): "shareholder_enterprise.csv",
    (Role.ACTUAL_CONTROLLER, NodeKind.PERSON): "actual_controller_person.csv",
    (Role.ACTUAL_CONTROLLER, NodeKind.ENTERPRISE): "actual_controller_enterprise.csv",
    (Role.BRANCH_OF, NodeKind.ENTERPRISE): "branch_of.csv",
}
_LISTED_FILES = {
    NodeKind.ENTERPRISE: "listed_enterprise.csv",
    NodeKind.PERSON: "listed_person.csv",
}
_FLAGGED_FILES = {
    NodeKind.ENTERPRISE: "flagged_enterprise.csv",
    NodeKind.PERSON: "flagged_person.csv",
}


def _link_header(start: str, end: str) -> tuple[str, ...]:
    return (f":START_ID({start})", f":END_ID({end})", ":TYPE")


def neo4j_import_headers() -> dict[str, tuple[str, ...]]:
    """Every file of :func:`export_neo4j_import` with its header, nodes first
    (the order of the ``neo4j-admin`` command line)."""
    headers: dict[str, tuple[str, ...]] = {
        "enterprises.csv": _ENTERPRISE_HEADER,
        "persons.csv": _PERSON_HEADER,
        "list_entries.csv": _ENTRY_HEADER,
        "objections.csv": _OBJECTION_HEADER,
        "flags.csv": _FLAG_HEADER,
        "meta.csv": _META_HEADER,
    }
    for (_, kind), name in _RELATION_FILES.items():
        headers[name] = _link_header(_LABELS[kind], "Enterprise") + _ROLE_COLUMNS
    for kind, name in _LISTED_FILES.items():
        headers[name] = _link_header(_LABELS[kind], "ListEntry")
    headers["named_responsible.csv"] = _link_header("Person", "ListEntry")
    headers["objects_to.csv"] = _link_header("Objection", "ListEntry")
    for kind, name in _FLAGGED_FILES.items():
        headers[name] = _link_header(_LABELS[kind], "Flag")
    headers["from_entry.csv"] = _link_header("Flag", "ListEntry")
    return headers


class _CsvFile:
    """One neo4j-admin CSV: strings always quoted (so ``""`` is an empty
    string), ``None`` an empty field (no property)."""

    def __init__(self, file: IO[str], header: Sequence[str]) -> None:
        self.file = file
        self.file.write(",".join(header) + "\n")
        self.rows = 0
        self.multiline = False

    def write(self, *cells: Cell) -> None:
        self.file.write(",".join([self._cell(c) for c in cells]) + "\n")
        self.rows += 1

    def _cell(self, value: Cell) -> str:
        if isinstance(value, str):  # most cells: tested first
            text = value
        elif value is None:
            return ""
        elif isinstance(value, bool):
            return "true" if value else "false"
        elif isinstance(value, int | float):
            return repr(value)  # the shortest text that reads back to the same double
        else:
            text = ";".join(value)
        if "\n" in text or "\r" in text:
            self.multiline = True
        return '"' + text.replace('"', '""') + '"'


def _enterprise_cells(e: Enterprise, doc: int) -> tuple[Cell, ...]:
    keys = search_keys(e.name)
    return (
        e.uscc, "Enterprise", e.name, *(keys[k] for k in _SEARCH_KEYS), doc, e.kind.value,
        _v(e.status), _iso(e.established_on), e.registered_capital, e.region, e.industry,
        e.address, e.phone, e.email, e.phone_norm, e.email_norm, e.address_norm,
    )  # fmt: skip


def _person_cells(p: Person, doc: int) -> tuple[Cell, ...]:
    keys = search_keys(p.name)
    return (
        p.person_id, "Person", p.id_type.value, p.name, *(keys[k] for k in _SEARCH_KEYS), doc,
        p.phone, p.address, p.phone_norm, p.address_norm,
    )  # fmt: skip


def _entry_cells(e: ListEntry) -> tuple[Cell, ...]:
    return (
        e.entry_id, "ListEntry", e.subject_id, e.subject_type.value, e.list.value,
        _v(e.category), e.reason, e.authority, e.case_no, e.decided_on.isoformat(),
        _iso(e.valid_until), _iso(e.removed_on), _v(e.removal_reason),
        list(dict.fromkeys(e.responsible_person_ids)) or None,  # an empty array is no property
    )  # fmt: skip


def export_neo4j_import(store: GraphStore, out_dir: Path) -> dict[str, int]:
    """Write ``neo4j-admin database import full`` CSVs and ``import.sh`` to
    ``out_dir``; return the rows written per file (headers excluded).

    The imported database is the store as the Neo4j backend would hold it:
    nodes, role relationships, ``LISTED`` / ``NAMED_RESPONSIBLE`` links,
    objections, materialised flags and the ``Meta`` counters (the generation
    and the flags' as_of and generation are copied, so flags that were
    current stay current). Entries carry the removal an upheld objection
    made (as :meth:`GraphStore.entries` reports it). The audit log and
    commitments are not graph data and are not exported.

    Returns the rows written per file (``counts["enterprises.csv"]``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = store.entries()
    entry_ids = {e.entry_id for e in entries}
    objections = store.objections()
    stored = store.stored_flags()
    with ExitStack() as stack:
        files: dict[str, _CsvFile] = {}
        for name, header in neo4j_import_headers().items():
            # full person ids: private to the exporting user; written whole or not at all
            file = stack.enter_context(atomic_write(out_dir / name, newline="", private=True))
            files[name] = _CsvFile(file, header)

        doc = 0  # load order of the nodes (field searches list hits in it)
        for node in store.iter_nodes(NodeKind.ENTERPRISE):
            assert isinstance(node, Enterprise)
            files["enterprises.csv"].write(*_enterprise_cells(node, doc))
            doc += 1
        for node in store.iter_nodes(NodeKind.PERSON):
            assert isinstance(node, Person)
            files["persons.csv"].write(*_person_cells(node, doc))
            doc += 1
        for r in store.iter_relations():
            title, start_on = r.identity[3], r.identity[4]
            files[_RELATION_FILES[r.role, r.source_type]].write(
                r.source_id, r.target_uscc, r.role.value.upper(), title, start_on, _iso(r.end_on),
                r.share_pct,
            )  # fmt: skip
        for e in entries:
            files["list_entries.csv"].write(*_entry_cells(e))
            files[_LISTED_FILES[e.subject_type]].write(e.subject_id, e.entry_id, "LISTED")
            for person_id in dict.fromkeys(e.responsible_person_ids):
                files["named_responsible.csv"].write(person_id, e.entry_id, "NAMED_RESPONSIBLE")
        for o in objections:
            files["objections.csv"].write(
                str(o.objection_id), "Objection", o.objection_id, o.entry_id, o.reason,
                o.filed_on.isoformat(), _iso(o.resolved_on), o.upheld,
            )  # fmt: skip
            if o.entry_id in entry_ids:
                files["objects_to.csv"].write(str(o.objection_id), o.entry_id, "OBJECTS_TO")
        _write_flags(files, stored.flags if stored else [], entry_ids)

        _write_meta(files["meta.csv"], store, doc, objections, stored)
        multiline = any(f.multiline for f in files.values())
        counts = {name: f.rows for name, f in files.items()}

    with atomic_write(out_dir / "import.sh", private=True, executable=True) as script:
        script.write(neo4j_import_script(list(files), multiline))
    log.info("neo4j-admin import files in %s: %s", out_dir, counts)
    return counts


def _write_meta(
    meta: _CsvFile,
    store: GraphStore,
    doc: int,
    objections: list[Objection],
    stored: StoredFlags | None,
) -> None:
    """The counters, and the state of the flags (run 1) when there are any."""
    meta.write("Meta", "generation", store.generation(), None, None, None, None, None)
    meta.write("Meta", "doc_seq", doc, None, None, None, None, None)
    last_objection = max((o.objection_id for o in objections), default=0)
    meta.write("Meta", "objection_seq", last_objection, None, None, None, None, None)
    if stored is not None:
        meta.write(
            "Meta", "flags", None, stored.as_of.isoformat(), stored.generation,
            store.flags_policy_key(), 1, 1,
        )  # fmt: skip


def _write_flags(files: dict[str, _CsvFile], flags: Iterable[Flag], entry_ids: set[str]) -> None:
    for flag in flags:
        key = f"{flag.subject_id}|{flag.flag}|{flag.entry_id}"
        files["flags.csv"].write(
            key, "Flag", flag.subject_id, flag.flag.value, flag.entry_id, 1, flag.model_dump_json(),
            flag.subject_type.value, flag.list.value, flag.rule.value,
        )  # fmt: skip
        files[_FLAGGED_FILES[flag.subject_type]].write(flag.subject_id, key, "FLAGGED")
        if flag.entry_id in entry_ids:
            files["from_entry.csv"].write(key, flag.entry_id, "FROM_ENTRY")


def neo4j_import_command(file_names: Iterable[str], multiline: bool = False) -> list[str]:
    """The ``neo4j-admin database import full`` arguments for these files
    (relative paths: run it in their folder), without the database name.

    >>> neo4j_import_command(["enterprises.csv", "branch_of.csv"])[-2:]
    ['--nodes=enterprises.csv', '--relationships=branch_of.csv']
    """
    headers = neo4j_import_headers()
    args = ["neo4j-admin", "database", "import", "full", "--ignore-empty-strings=false"]
    if multiline:  # a reason or address with a line break; slows the importer down
        args.append("--multiline-fields=true")
    for name in file_names:
        node_file = not headers[name][0].startswith(":START_ID")
        args.append(f"--{'nodes' if node_file else 'relationships'}={name}")
    return args


def neo4j_import_script(file_names: Iterable[str], multiline: bool = False) -> str:
    """``import.sh``: ``./import.sh [DATABASE] [neo4j-admin options…]``."""
    args = neo4j_import_command(file_names, multiline)
    options = " \\\n  ".join(shlex.quote(a) for a in args[4:])
    return f"""#!/bin/sh
# Written by `credgraph export neo4j-import`. Loads these CSVs into a new (or,
# with --overwrite-destination=true, replaced) Neo4j 5 database; the server
# must be stopped. Then start Neo4j and point credgraph at it (--store neo4j://…):
# it creates its constraints and indexes on start-up.
# Usage: ./import.sh [DATABASE (default neo4j)] [more neo4j-admin options]
set -eu
cd "$(dirname "$0")"
database="${{1:-neo4j}}"
if [ "$#" -gt 0 ]; then shift; fi
# the database first: a --nodes/--relationships list would take it for a file
exec "${{NEO4J_ADMIN:-neo4j-admin}}" database import full "$database" \\
  {options} \\
  "$@"
"""


def _v(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
