"""Offline relationship maps: a DESIGN §8 network as one self-contained HTML file.

pyvis builds the vis-network graph model and options; the page comes from our
own template (``templates/map.html.j2``) because pyvis 0.3.2 links Bootstrap
from a CDN even with ``cdn_resources="in_line"`` (pyvis issue #229). The
vis-network script and style sheet are inlined from ``viz/static/`` (copied
from pyvis's bundled 9.1.2 assets), so the file opens without any network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel
from pyvis.network import Network

from credgraph.outputs import atomic_write
from viz.style import (
    EDGE_COLOUR,
    ENDED_EDGE_COLOUR,
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
    """vis-network options: brief physics from a precomputed layout, then frozen."""
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
            "enabled": True,
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


def build_network(network: BaseModel | Mapping[str, Any]) -> Network:
    """The pyvis graph model of an ego network: styled nodes and edges, options set."""
    data = as_network_dict(network)
    nodes: Sequence[Mapping[str, Any]] = data.get("nodes") or ()
    edges: Sequence[Mapping[str, Any]] = data.get("edges") or ()
    center = str(data.get("center", ""))
    large = len(nodes) > LARGE_MAP
    names = {str(n["id"]): str(n.get("name") or n["id"]) for n in nodes}
    pairs = [(str(e["source"]), str(e["target"])) for e in edges]
    more = [n for n in nodes if int(n.get("hidden_neighbours") or 0) > 0]
    ids = list(names) + [more_node_id(str(n["id"])) for n in more]
    pairs += [(str(n["id"]), more_node_id(str(n["id"]))) for n in more]
    pos = radial_layout(center, ids, pairs)

    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    for node in nodes:
        node_id = str(node["id"])
        category = node_category(node)
        swatch = PALETTE[category]
        is_person = category == Category.PERSON or node.get("type") == "person"
        shape = "ellipse" if is_person else ("dot" if large else "box")
        x, y = pos[node_id]
        net.add_node(
            node_id,
            label=short_label(names[node_id]) if large else names[node_id],
            shape=shape,
            color={
                "background": swatch.background,
                "border": swatch.border,
                "highlight": {"background": swatch.background, "border": "#000000"},
            },
            font={
                "color": swatch.font if shape != "dot" else "#212121",
                "size": 22 if node_id == center else 14,
            },
            title=node_tooltip(node),
            borderWidth=4 if node_id == center else 1.5,
            # flagged firms stay visible when a large map is zoomed out
            size=(12 if category == Category.ENTERPRISE else 22) if shape == "dot" else None,
            x=x,
            y=y,
            category=category.value,
            kind=node.get("type"),
        )
    for node in more:
        node_id = str(node["id"])
        swatch = PALETTE[Category.MORE]
        x, y = pos[more_node_id(node_id)]
        net.add_node(
            more_node_id(node_id),
            label=f"and {int(node['hidden_neighbours'])} more",
            shape="box",
            color={"background": swatch.background, "border": swatch.border},
            font={"color": swatch.font, "size": 11},
            shapeProperties={"borderDashes": [4, 4]},
            title=f"{names[node_id]}: {int(node['hidden_neighbours'])} more relations not shown",
            x=x,
            y=y,
            category=Category.MORE.value,
            parent=node_id,
        )
        net.add_edge(node_id, more_node_id(node_id), color=swatch.border, dashes=[2, 4], arrows="")
    for edge in edges:
        ended = bool(edge.get("ended"))
        net.add_edge(
            str(edge["source"]),
            str(edge["target"]),
            label=edge_label(edge),
            title=edge_tooltip(edge, names),
            dashes=ended,
            color=ENDED_EDGE_COLOUR if ended else EDGE_COLOUR,
            width=1 if ended else 1.5,
            ended=ended,
            role=edge.get("role"),
        )
    net.options = vis_options(len(nodes))
    return net


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
    html = _template().render(
        title=f"{names.get(center, center)} — relationship map",
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
