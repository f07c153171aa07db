"""GraphML export (DESIGN §5 ``export graphml``): the enterprise/person graph
for Gephi and ``networkx.read_graphml``, scalar attributes only, streamed."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from credgraph.model import Enterprise, Flag, NodeKind, Person, Relation
from credgraph.outputs import atomic_write
from credgraph.store import GraphStore
from credgraph.store.shared import iso as _iso

log = logging.getLogger(__name__)


def _v(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


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
