"""Offline relationship maps: a DESIGN §8 network as one self-contained HTML file.

:class:`MapModel` builds the vis-network graph model exactly as pyvis 0.3.2's
``Network`` does (the same node and edge dicts, key for key, in the same
order: ``tests/viz/test_maps.py`` builds both and compares them), without
importing pyvis, which pulls IPython and networkx and cost a ``credgraph
network --html`` process over a second. The page comes from our own template
(``templates/map.html.j2``) because pyvis links Bootstrap from a CDN even
with ``cdn_resources="in_line"`` (pyvis issue #229). The vis-network script
and style sheet are inlined from ``viz/static/`` (copied from pyvis's bundled
9.1.2 assets), so the file opens without any network.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from credgraph.i18n import current_lang, gettext
from credgraph.outputs import atomic_write
from viz.layout import FROZEN_UP_TO, box_size, spread, top_nodes
from viz.style import (
    EDGE_COLOUR,
    ENDED_EDGE_COLOUR,
    EVIDENCE_COLOUR,
    FONT_STACK,
    PALETTE,
    Category,
    JsonDict,
    as_network_dict,
    edge_label,
    edge_tooltip,
    node_category,
    node_tooltip,
    radial_layout,
    short_label,
)

#: Above this many nodes enterprises are drawn as dots with the name below.
LARGE_MAP = 150


def static_text(name: str) -> str:
    """A file of the explorer's static assets (``viz/static/``)."""
    return resources.files("viz").joinpath("static", name).read_text("utf-8")


@cache
def inline_asset(name: str) -> str:
    """A vendored asset made safe to inline in a page that must contain no URL.

    ``://`` only occurs in the licence header and in string literals (the SVG
    namespace); JavaScript reads ``\\/`` as ``/`` in both, so the code is
    unchanged while the page carries no ``http://`` text for a checker or a
    proxy to fetch.
    """
    text = static_text(name).replace("://", ":\\/\\/")
    if re.search("</(script|style)", text, re.IGNORECASE):
        raise ValueError(f"{name} would close its inline element early")
    return text


def script_json(value: object) -> str:
    """JSON that is safe inside ``<script>`` (no ``</script>``, no U+2028)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def more_node_id(node_id: str) -> str:
    """Id of the "and N more" placeholder hanging off a super-node."""
    return f"more:{node_id}"


def vis_options(node_count: int) -> JsonDict:
    """vis-network options: up to :data:`FROZEN_UP_TO` nodes the precomputed,
    overlap-free layout is drawn as is (no physics); larger maps relax briefly
    from it and are then frozen."""
    return {
        "autoResize": True,
        "nodes": {"font": {"face": FONT_STACK, "size": 14}, "borderWidth": 1.5},
        "edges": {
            "font": {"face": FONT_STACK, "size": 11, "align": "middle", "color": "#37474f"},
            "smooth": False,
            "color": {"inherit": False},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
        },
        "layout": {"improvedLayout": False},
        "physics": {
            "enabled": node_count > FROZEN_UP_TO,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -6000,
                "springLength": 160,
                "springConstant": 0.03,
                "avoidOverlap": 0.3,
            },
            "stabilization": {
                "enabled": True,
                "iterations": 120 if node_count > 300 else 250,
                "updateInterval": 25,
                "fit": True,
            },
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": node_count > 300,
            "navigationButtons": False,
            "keyboard": False,
        },
    }


class MapModel:
    """The vis-network graph model of a map, built as pyvis's ``Network``
    builds it (``directed=True``): ``add_node`` keeps the first node of an
    id and puts the id where the label is empty; ``add_edge`` refuses
    unknown ends and gives edges ``arrows="to"`` unless told otherwise.
    ``nodes``, ``edges`` and ``options`` are what the page draws."""

    directed = True

    def __init__(self, **_page: Any) -> None:  # pyvis's page options: unused here
        self.nodes: list[JsonDict] = []
        self.edges: list[JsonDict] = []
        self.options: JsonDict = {}
        self._ids: set[str] = set()

    def add_node(
        self,
        n_id: str,
        label: str | None = None,
        shape: str = "dot",
        color: object = "#97c2fc",
        **options: Any,
    ) -> None:
        if n_id in self._ids:
            return
        self._ids.add(n_id)
        node = options if "group" in options else {"color": color} | options
        self.nodes.append(node | {"id": n_id, "label": label or n_id, "shape": shape})

    def add_edge(self, source: str, to: str, **options: Any) -> None:
        for end in (source, to):
            if end not in self._ids:
                raise ValueError(f"non existent node {end!r}")
        edge: JsonDict = options | {"from": source, "to": to}
        edge.setdefault("arrows", "to")
        self.edges.append(edge)


def evidence_path(data: Mapping[str, Any]) -> list[str]:
    """The evidence path to highlight: the first flag of the centre whose path
    has two or more nodes, all on the map (empty when there is none)."""
    center = str(data.get("center", ""))
    on_map = {str(n["id"]) for n in data.get("nodes") or ()}
    for node in data.get("nodes") or ():
        if str(node["id"]) != center:
            continue
        for flag in node.get("flags") or ():
            path = [str(x) for x in flag.get("path") or ()]
            if len(path) > 1 and set(path) <= on_map:
                return path
    return []


def _layout(
    data: Mapping[str, Any], labels: Mapping[str, str], shapes: Mapping[str, str]
) -> dict[str, tuple[float, float]]:
    nodes: Sequence[Mapping[str, Any]] = data.get("nodes") or ()
    center = str(data.get("center", ""))
    pairs = [(str(e["source"]), str(e["target"])) for e in data.get("edges") or ()]
    more = [n for n in nodes if int(n.get("hidden_neighbours") or 0) > 0]
    ids = [str(n["id"]) for n in nodes] + [more_node_id(str(n["id"])) for n in more]
    pairs += [(str(n["id"]), more_node_id(str(n["id"]))) for n in more]
    pos = radial_layout(center, ids, pairs)
    if len(nodes) > FROZEN_UP_TO:
        return pos
    font = 16.0 if len(nodes) > LARGE_MAP else 14.0
    sizes = {
        i: box_size(labels.get(i, ""), 22.0 if i == center else font, shapes.get(i, "box"))
        for i in ids
    }
    return spread(pos, sizes, fixed=center)


def build_network(
    network: BaseModel | Mapping[str, Any],
    evidence: Sequence[str] | None = None,
    model: Callable[..., Any] = MapModel,
) -> Any:
    """The graph model of an ego network: styled nodes and edges, options set
    (a :class:`MapModel`; ``model=pyvis.network.Network`` builds pyvis's own).

    Up to :data:`FROZEN_UP_TO` nodes no two nodes overlap; larger maps show
    the names of their :data:`LABELLED_NODES` top nodes only. ``evidence``
    (default: :func:`evidence_path`) is drawn in the evidence colour.
    """
    data = as_network_dict(network)
    nodes: Sequence[Mapping[str, Any]] = data.get("nodes") or ()
    edges: Sequence[Mapping[str, Any]] = data.get("edges") or ()
    center = str(data.get("center", ""))
    large = len(nodes) > LARGE_MAP
    names = {str(n["id"]): str(n.get("name") or n["id"]) for n in nodes}
    named = top_nodes(nodes, edges, center) if large else set(names)
    path = list(evidence) if evidence is not None else evidence_path(data)
    hops = {frozenset(p) for p in itertools.pairwise(path)}
    more = [n for n in nodes if int(n.get("hidden_neighbours") or 0) > 0]
    labels = {
        i: (short_label(names[i]) if large else names[i]) if i in named else "" for i in names
    }
    labels |= {more_node_id(str(n["id"])): more_label(int(n["hidden_neighbours"])) for n in more}
    shapes = {
        str(n["id"]): "ellipse" if n.get("type") == "person" else ("dot" if large else "box")
        for n in nodes
    }
    pos = _layout(data, labels, shapes)

    net = model(height="100%", width="100%", directed=True, cdn_resources="in_line")
    for node in nodes:
        node_id = str(node["id"])
        category = node_category(node)
        swatch = PALETTE[category]
        shape = shapes[node_id]
        x, y = pos[node_id]
        on_path = node_id in path
        net.add_node(
            node_id,
            label=labels[node_id],
            shape=shape,
            color={
                "background": swatch.background,
                "border": EVIDENCE_COLOUR if on_path else swatch.border,
                "highlight": {"background": swatch.background, "border": "#000000"},
            },
            font={
                "color": swatch.font if shape != "dot" else "#212121",
                "size": 22 if node_id == center else (16 if large else 14),
            },
            title=node_tooltip(node),
            borderWidth=4 if node_id == center or on_path else 1.5,
            # flagged firms stay visible when a large map is zoomed out
            size=(12 if category == Category.ENTERPRISE else 22) if shape == "dot" else None,
            x=x,
            y=y,
            category=category.value,
            kind=node.get("type"),
            evidence=on_path,
        )
    for drawn in net.nodes:  # pyvis puts the id where a label is empty
        drawn["label"] = labels.get(str(drawn["id"]), drawn["label"])
    _add_more(net, more, names, pos)
    _add_edges(net, edges, names, hops)
    net.options = vis_options(len(nodes))
    return net


def _add_more(
    net: Any,
    more: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
    pos: Mapping[str, tuple[float, float]],
) -> None:
    """The "and N more" placeholders of super-nodes."""
    for node in more:
        node_id = str(node["id"])
        swatch = PALETTE[Category.MORE]
        x, y = pos[more_node_id(node_id)]
        hidden = int(node["hidden_neighbours"])
        net.add_node(
            more_node_id(node_id),
            label=more_label(hidden),
            shape="box",
            color={"background": swatch.background, "border": swatch.border},
            font={"color": swatch.font, "size": 11},
            shapeProperties={"borderDashes": [4, 4]},
            title=gettext("{name}: {n} more relations not shown").format(
                name=names[node_id], n=hidden
            ),
            x=x,
            y=y,
            category=Category.MORE.value,
            parent=node_id,
        )
        net.add_edge(node_id, more_node_id(node_id), color=swatch.border, dashes=[2, 4], arrows="")


def _add_edges(
    net: Any,
    edges: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
    hops: set[frozenset[str]],
) -> None:
    """Relations: dashed when ended, in the evidence colour on the evidence path."""
    for edge in edges:
        ended = bool(edge.get("ended"))
        on_path = frozenset((str(edge["source"]), str(edge["target"]))) in hops
        net.add_edge(
            str(edge["source"]),
            str(edge["target"]),
            label=edge_label(edge),
            title=edge_tooltip(edge, names),
            dashes=ended,
            color=EVIDENCE_COLOUR if on_path else (ENDED_EDGE_COLOUR if ended else EDGE_COLOUR),
            width=4 if on_path else (1 if ended else 1.5),
            ended=ended,
            role=edge.get("role"),
            evidence=on_path,
        )


def more_label(hidden: int) -> str:
    return gettext("and {n} more").format(n=hidden)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("viz", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        keep_trailing_newline=True,
    )
    return env.get_template("map.html.j2")


def render_map(network: BaseModel | Mapping[str, Any], path: Path | None = None) -> str:
    """A self-contained HTML relationship map of ``network`` (DESIGN §8 shape).

    Returns the page and, when ``path`` is given, also writes it there (UTF-8).
    The page references no URL at all: it works offline and behind proxies.
    """
    data = as_network_dict(network)
    net = build_network(data)
    names = {str(n["id"]): str(n.get("name") or n["id"]) for n in data.get("nodes") or ()}
    center = str(data.get("center", ""))
    lang = current_lang()
    html = _template().render(
        _=lambda message: gettext(message, lang),
        html_lang="en" if lang == "en" else "zh-CN",
        title=gettext("{name} — relationship map").format(name=names.get(center, center)),
        center=center,
        center_name=names.get(center, center),
        as_of=data.get("as_of", ""),
        node_count=len(names),
        edge_count=len(data.get("edges") or ()),
        legend=[(c.value, PALETTE[c]) for c in Category],
        font_stack=FONT_STACK,
        vis_css=inline_asset("vis-network.css"),
        vis_js=inline_asset("vis-network.min.js"),
        nodes_json=script_json([{k: v for k, v in n.items() if v is not None} for n in net.nodes]),
        edges_json=script_json(net.edges),
        options_json=script_json(net.options),
    )
    if path is not None:
        with atomic_write(path) as out:
            out.write(html)
    return html
