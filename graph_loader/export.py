"""Interchange exports of a whole store (DESIGN §5 ``export``).

- ``neo4j-admin`` import files: ``credgraph.store.neo4j.admin_import``,
  beside the backend whose graph model they are.
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
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
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

log = logging.getLogger(__name__)

Cell = str | float | int | bool | Sequence[str] | None


def _v(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


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

    The file reads back with ``nx.read_graphml(path, edge_key_type=str)``.
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

    Returns the entities written per schema (``counts["Company"]``).
    """
    counts: dict[str, int] = {}
    with atomic_write(path, private=True) as out:
        for entity in _ftm_entities(store, as_of, store.entries() if entries is None else entries):
            out.write(json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            counts[entity.schema.name] = counts.get(entity.schema.name, 0) + 1
    log.info("FtM %s: %s", path, counts)
    return counts
