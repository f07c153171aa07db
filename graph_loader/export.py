"""Interchange exports of a whole store (DESIGN §5 ``export``).

- :func:`export_neo4j_import`: CSVs and an ``import.sh`` for
  ``neo4j-admin database import full``, producing exactly the graph model of
  ``credgraph.store.neo4j.cypher`` (labels, relationship types, property
  names, ISO-string dates, search keys, counters), so the Neo4j backend opens
  the imported database as if it had loaded the data itself.
- :func:`export_graphml`: the enterprise/person graph as GraphML (Gephi,
  ``networkx.read_graphml``), with scalar attributes only.
- :func:`export_ftm`: FollowTheMoney entities, one JSON object a line, for
  OpenSanctions / yente / Aleph users.

Every export streams nodes and relations as the store yields them, so memory
stays flat at 1 M enterprises; entries, objections and flags are read as
lists (a small fraction of the graph). Which entries are in force and which
flags hold on a day are rules of ``queries/``: callers pass them in.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy
from followthemoney.util import make_entity_id

from credgraph.model import (
    Enterprise,
    EnterpriseKind,
    Flag,
    IdType,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    Role,
)
from credgraph.outputs import atomic_write
from credgraph.store import GraphStore
from credgraph.store.neo4j.backend import search_keys

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
_FLAG_HEADER = (
    ":ID(Flag)", ":LABEL", "subject_id", "flag", "entry_id", "data", "subject_type", "list",
    "rule",
)  # fmt: skip
_META_HEADER = (":LABEL", "key", "value:long", "as_of", "generation:long")

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


def _v(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


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

    >>> # counts = export_neo4j_import(store, Path("neo4j-import")); counts["enterprises.csv"]
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

        meta = files["meta.csv"]
        meta.write("Meta", "generation", store.generation(), None, None)
        meta.write("Meta", "doc_seq", doc, None, None)
        last_objection = max((o.objection_id for o in objections), default=0)
        meta.write("Meta", "objection_seq", last_objection, None, None)
        meta.write("Meta", "audit_seq", 0, None, None)
        if stored is not None:
            meta.write("Meta", "flags", None, stored.as_of.isoformat(), stored.generation)
        multiline = any(f.multiline for f in files.values())
        counts = {name: f.rows for name, f in files.items()}

    with atomic_write(out_dir / "import.sh", private=True, executable=True) as script:
        script.write(neo4j_import_script(list(files), multiline))
    log.info("neo4j-admin import files in %s: %s", out_dir, counts)
    return counts


def _write_flags(files: dict[str, _CsvFile], flags: Iterable[Flag], entry_ids: set[str]) -> None:
    for flag in flags:
        key = f"{flag.subject_id}|{flag.flag}|{flag.entry_id}"
        files["flags.csv"].write(
            key, "Flag", flag.subject_id, flag.flag.value, flag.entry_id, flag.model_dump_json(),
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
exec "${{NEO4J_ADMIN:-neo4j-admin}}" database import full \\
  {options} \\
  "$@" "$database"
"""


# -- GraphML --------------------------------------------------------------------------
_GRAPHML_NS = (
    'xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"'
)
#: (domain, attribute, GraphML type): every attribute the export may write.
_GRAPHML_KEYS = (
    ("graph", "as_of", "string"),
    ("graph", "flags_as_of", "string"),
    ("node", "type", "string"),
    ("node", "name", "string"),
    ("node", "kind", "string"),
    ("node", "id_type", "string"),
    ("node", "status", "string"),
    ("node", "established_on", "string"),
    ("node", "registered_capital", "double"),
    ("node", "region", "string"),
    ("node", "industry", "string"),
    ("node", "flags", "string"),
    ("node", "entry_ids", "string"),
    ("edge", "role", "string"),
    ("edge", "title", "string"),
    ("edge", "share_pct", "double"),
    ("edge", "start_on", "string"),
    ("edge", "end_on", "string"),
)
# characters XML 1.0 cannot hold, even escaped
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(value: str) -> str:
    return escape(_XML_ILLEGAL.sub("", value))


def _data(domain: str, attrs: dict[str, str | float | None]) -> str:
    return "".join(
        f'<data key="{domain[0]}_{k}">{_xml(v if isinstance(v, str) else repr(v))}</data>'
        for k, v in attrs.items()
        if v is not None
    )


def export_graphml(
    store: GraphStore,
    path: Path,
    as_of: date | None = None,
    flags: Iterable[Flag] = (),
    flags_as_of: date | None = None,
) -> dict[str, int]:
    """Write every enterprise and person, and every relation (only those
    active on ``as_of`` when given), as a directed GraphML multigraph; return
    the ``nodes`` and ``edges`` written.

    Attributes are scalars: nodes carry ``type`` (enterprise|person),
    ``name``, ``kind``/``id_type``, ``status``, ``established_on``,
    ``registered_capital``, ``region``, ``industry`` and, from ``flags``
    (computed by the caller for ``flags_as_of``), ``flags`` (distinct flag
    kinds) and ``entry_ids``, comma-joined. Edges (relation source → target)
    carry ``role``, ``title``, ``share_pct``, ``start_on``, ``end_on`` (ISO
    dates); an edge's id is ``source|target|role|title|start_on`` (the
    relation's identity, unique in the file). Written as a stream: networkx
    never holds the whole graph.

    >>> # export_graphml(store, Path("g.graphml")); nx.read_graphml("g.graphml", edge_key_type=str)
    """
    flagged: dict[str, tuple[set[str], set[str]]] = {}
    for f in flags:
        kinds, entries = flagged.setdefault(f.subject_id, (set(), set()))
        kinds.add(f.flag.value)
        entries.add(f.entry_id)
    counts = {"nodes": 0, "edges": 0}
    with atomic_write(path, private=True) as out:
        out.write(f"<?xml version='1.0' encoding='utf-8'?>\n<graphml {_GRAPHML_NS}>\n")
        for domain, name, kind in _GRAPHML_KEYS:
            out.write(
                f'<key id="{domain[0]}_{name}" for="{domain}" attr.name="{name}" '
                f'attr.type="{kind}" />\n'
            )
        out.write('<graph edgedefault="directed">\n')
        out.write(_data("graph", {"as_of": _iso(as_of), "flags_as_of": _iso(flags_as_of)}) + "\n")
        for node_kind in NodeKind:
            for node in store.iter_nodes(node_kind):
                kinds, entries = flagged.get(node.id, (set(), set()))
                attrs = _graphml_node(node) | {
                    "flags": ",".join(sorted(kinds)) or None,
                    "entry_ids": ",".join(sorted(entries)) or None,
                }
                out.write(f"<node id={quoteattr(node.id)}>{_data('node', attrs)}</node>\n")
                counts["nodes"] += 1
        for r in store.iter_relations():
            if as_of is not None and not r.active_on(as_of):
                continue
            edge_id = "|".join(r.identity)
            out.write(
                f"<edge id={quoteattr(edge_id)} source={quoteattr(r.source_id)} "
                f"target={quoteattr(r.target_uscc)}>{_data('edge', _graphml_edge(r))}</edge>\n"
            )
            counts["edges"] += 1
        out.write("</graph>\n</graphml>\n")
    log.info("GraphML %s: %s", path, counts)
    return counts


def _graphml_node(node: Enterprise | Person) -> dict[str, str | float | None]:
    if isinstance(node, Person):
        return {"type": NodeKind.PERSON.value, "name": node.name, "id_type": node.id_type.value}
    return {
        "type": NodeKind.ENTERPRISE.value,
        "name": node.name,
        "kind": node.kind.value,
        "status": _v(node.status),
        "established_on": _iso(node.established_on),
        "registered_capital": node.registered_capital,
        "region": node.region,
        "industry": node.industry,
    }


def _graphml_edge(r: Relation) -> dict[str, str | float | None]:
    return {
        "role": r.role.value,
        "title": _v(r.title),
        "share_pct": r.share_pct,
        "start_on": _iso(r.start_on),
        "end_on": _iso(r.end_on),
    }


# -- FollowTheMoney -------------------------------------------------------------------
#: Lists whose entries are FtM ``Sanction``s (DESIGN §3 severe lists: binding
#: joint punishment); abnormal_operation and key_attention are ``Risk``s.
FTM_SANCTION_LISTS = frozenset(
    {ListKind.SERIOUS_DISHONESTY, ListKind.DISHONEST_DEBTOR, ListKind.SERIOUS_ILLEGAL}
)
# Red-list entries are commendations: exported as Risk they would read as
# adverse findings to every screening tool, so they are left out.
_FTM_SKIPPED_LISTS = frozenset({ListKind.RED})
_ORGANIZATION_KINDS = frozenset({EnterpriseKind.SOCIAL_ORG, EnterpriseKind.PUBLIC_INSTITUTION})
_FTM_PREFIX = "credgraph"


def ftm_id(kind: str, *parts: str) -> str:
    """The deterministic FtM id of a credgraph node, relation or entry, e.g.
    ``ftm_id("enterprise", uscc)``, ``ftm_id("person", person_id)``."""
    entity_id = make_entity_id(_FTM_PREFIX, kind, *parts)
    assert entity_id is not None  # parts are never all empty
    return entity_id


def _node_id(node_id: str, kind: NodeKind) -> str:
    return ftm_id(kind.value, node_id)


def _entity(schema: str, kind: str, *parts: str) -> EntityProxy:
    proxy = ftm_model.make_entity(schema)
    proxy.make_id(_FTM_PREFIX, kind, *parts)
    return proxy


def _ftm_enterprise(e: Enterprise) -> EntityProxy:
    schema = "Organization" if e.kind in _ORGANIZATION_KINDS else "Company"
    c = _entity(schema, NodeKind.ENTERPRISE.value, e.uscc)
    c.add("jurisdiction", "cn")
    c.add("name", e.name)
    c.add("uscCode", e.uscc)
    c.add("legalForm", e.kind.value)
    c.add("status", _v(e.status))
    c.add("incorporationDate", _iso(e.established_on))
    c.add("address", e.address)
    c.add("phone", e.phone, format="cn")  # national numbers are dialled in China
    c.add("email", e.email)
    c.add("sector", e.industry)
    if schema == "Company" and e.registered_capital is not None:
        c.add("capital", e.registered_capital)
        c.add("currency", "CNY")
    return c


def _ftm_person(p: Person) -> EntityProxy:
    entity = _entity("Person", NodeKind.PERSON.value, p.person_id)
    entity.add("name", p.name)
    if p.id_type is IdType.PASSPORT:
        entity.add("passportNumber", p.person_id)
    else:
        entity.add("idNumber", p.person_id)
    if p.id_type is IdType.RESIDENT_ID:
        entity.add("nationality", "cn")
    return entity


def _ftm_relation(r: Relation) -> EntityProxy:
    source = _node_id(r.source_id, r.source_type)
    target = _node_id(r.target_uscc, NodeKind.ENTERPRISE)
    if r.role in (Role.LEGAL_REPRESENTATIVE, Role.EXECUTIVE):
        link = _entity("Directorship", "relation", *r.identity)
        link.add("director", source)
        link.add("organization", target)
        role = r.title.value if r.role is Role.EXECUTIVE and r.title else r.role.value
        link.add("role", role.replace("_", " "))
    elif r.role is Role.SHAREHOLDER:
        link = _entity("Ownership", "relation", *r.identity)
        link.add("owner", source)
        link.add("asset", target)
        link.add("percentage", r.share_pct)
    elif r.role is Role.ACTUAL_CONTROLLER:
        link = _entity("Control", "relation", *r.identity)
        link.add("controller", source)
        link.add("controlled", target)
        link.add("controlType", "actual controller")
    else:  # a branch is part of its parent, not owned by it
        link = _entity("UnknownLink", "relation", *r.identity)
        link.add("subject", source)
        link.add("object", target)
        link.add("role", "branch of")
    link.add("startDate", _iso(r.start_on))
    link.add("endDate", _iso(r.end_on))
    return link


def _ftm_entry(e: ListEntry) -> EntityProxy:
    sanction = e.list in FTM_SANCTION_LISTS
    entity = _entity("Sanction" if sanction else "Risk", "entry", e.entry_id)
    entity.add("entity", _node_id(e.subject_id, e.subject_type))
    entity.add("program", e.list.value)
    entity.add("recordId", e.entry_id)
    entity.add("authority", e.authority)
    entity.add("reason", e.reason)
    entity.add("summary", _v(e.category))
    entity.add("listingDate", e.decided_on.isoformat())
    entity.add("startDate", e.decided_on.isoformat())
    ends = [d for d in (e.removed_on, e.valid_until) if d is not None]
    entity.add("endDate", _iso(min(ends)) if ends else None)
    if e.removed_on is not None:
        entity.add("status", f"removed: {_v(e.removal_reason) or 'other'}")
    if sanction:
        entity.add("authorityId", e.case_no)
    else:
        entity.add("topics", "reg.warn")
        entity.add("description", f"case no. {e.case_no}" if e.case_no else None)
    return entity


def _ftm_entities(
    store: GraphStore, as_of: date | None, entries: Iterable[ListEntry]
) -> Iterator[EntityProxy]:
    for node in store.iter_nodes(NodeKind.ENTERPRISE):
        assert isinstance(node, Enterprise)
        yield _ftm_enterprise(node)
    for node in store.iter_nodes(NodeKind.PERSON):
        assert isinstance(node, Person)
        yield _ftm_person(node)
    for r in store.iter_relations():
        if as_of is None or r.active_on(as_of):
            yield _ftm_relation(r)
    for e in entries:
        if e.list not in _FTM_SKIPPED_LISTS:
            yield _ftm_entry(e)


def export_ftm(
    store: GraphStore,
    path: Path,
    as_of: date | None = None,
    entries: Iterable[ListEntry] | None = None,
) -> dict[str, int]:
    """Write FollowTheMoney entities, one JSON object a line; return the
    count per schema.

    Enterprises are ``Company`` (``Organization`` for social organisations
    and public institutions) with ``uscCode`` and jurisdiction ``cn``;
    persons ``Person`` (``idNumber`` and nationality ``cn`` for resident
    ids, ``passportNumber`` for passports). Relations, with ``startDate`` /
    ``endDate``: legal representatives and executives ``Directorship``,
    shareholders ``Ownership`` (``percentage``), actual controllers
    ``Control``, branches ``UnknownLink`` (role "branch of"). Entries of the
    severe lists are ``Sanction``, abnormal_operation and key_attention
    ``Risk`` (topic ``reg.warn``), with ``program`` the list code and
    ``endDate`` the removal or expiry; red-list entries are left out. Ids
    are ``make_id("credgraph", kind, *identity)``, stable across runs.

    With ``as_of``, only relations active that day are written; pass the
    entries in force that day as ``entries`` (default: every entry).

    >>> # export_ftm(store, Path("credgraph.ftm.json"))["Company"]
    """
    counts: dict[str, int] = {}
    with atomic_write(path, private=True) as out:
        for entity in _ftm_entities(store, as_of, store.entries() if entries is None else entries):
            out.write(json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            counts[entity.schema.name] = counts.get(entity.schema.name, 0) + 1
    log.info("FtM %s: %s", path, counts)
    return counts
