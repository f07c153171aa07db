"""The link map of a screening: linked bidders on a ring, the persons and
firms that connect them inside it, no two boxes overlapping.

Bidders are coloured by verdict; connecting nodes are placed on a grid of
cells inside the ring, each in the free cell nearest to where it belongs
(between the bidders it links), so boxes never overlap whatever the graph.
Edges are coloured by link rule and labelled with the relation. The SVG is
self-contained (no script, no URL): it prints as is and is shown by the
explorer as an image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape

from credgraph.ids import InvalidIdentifier, validate_uscc
from viz.style import FONT_STACK, short_label

#: verdict -> (fill, border, text)
VERDICT_COLOURS = {
    "reject": ("#ffcdd2", "#c62828", "#000000"),
    "review": ("#ffe0b2", "#ef6c00", "#000000"),
    "pass": ("#c8e6c9", "#2e7d32", "#000000"),
}
CONNECTOR_COLOURS = {
    "person": ("#eeeeee", "#757575", "#000000"),
    "firm": ("#e3f2fd", "#1e88e5", "#000000"),
}
#: rule -> (stroke, dash pattern, width); the strongest rule first
RULE_STYLES = {
    "same_principal": ("#c62828", "", 2.4),
    "control": ("#c62828", "", 2.4),
    "indicator": ("#ef6c00", "6,4", 1.6),
    "mass_contact": ("#9e9e9e", "2,4", 1.2),
}
_RULE_ORDER = list(RULE_STYLES)
LABEL_CHARS = 10
BOX_H = 26.0
MARGIN = 12.0


@dataclass
class Box:
    id: str
    label: str
    kind: str  # bidder / person / firm
    verdict: str = ""
    x: float = 0.0
    y: float = 0.0
    title: str = ""

    @property
    def w(self) -> float:
        return 16 + 12 * len(self.label)

    def overlaps(self, other: Box, gap: float = 4.0) -> bool:
        return (
            abs(self.x - other.x) * 2 < self.w + other.w + gap
            and abs(self.y - other.y) * 2 < BOX_H * 2 + gap
        )


@dataclass
class Edge:
    source: str
    target: str
    labels: list[str] = field(default_factory=list)
    rule: str = "indicator"


@dataclass
class LinkMap:
    boxes: dict[str, Box]
    edges: list[Edge]
    unlinked: int


def _is_firm(node_id: str) -> bool:
    try:
        validate_uscc(node_id)
    except InvalidIdentifier:
        return False
    return True


def _stronger(a: str, b: str) -> str:
    order = {r: i for i, r in enumerate(_RULE_ORDER)}
    return a if order.get(a, 9) <= order.get(b, 9) else b


def layout(
    bidders: Sequence[Mapping[str, Any]],
    links: Sequence[Mapping[str, Any]],
    relation_label: Mapping[str, str] | None = None,
) -> LinkMap:
    """Place the linked bidders on a ring and their connectors inside it.

    ``bidders`` and ``links`` are the screening JSON's (``names`` of a link
    give the labels along its path). Returns boxes by node id (centre x, y)
    and the edges, one per pair of nodes with the relations joined."""
    words = relation_label or {}
    linked = {n for x in links for n in (x["a"], x["b"])}
    ring = [b for b in bidders if b["uscc"] in linked]
    boxes: dict[str, Box] = {}
    for b in ring:
        name = b.get("name") or b["uscc"]
        boxes[b["uscc"]] = Box(
            b["uscc"], short_label(name, LABEL_CHARS), "bidder", b["verdict"], title=name
        )
    edges: dict[tuple[str, str], Edge] = {}
    ideal: dict[str, list[tuple[str, str, float]]] = {}
    for x in links:
        path, names = list(x["path"]), list(x.get("names") or x["path"])
        for i, node in enumerate(path[1:-1], start=1):
            if node not in boxes:
                kind = "firm" if _is_firm(node) else "person"
                boxes[node] = Box(node, short_label(names[i], LABEL_CHARS), kind, title=names[i])
            ideal.setdefault(node, []).append((x["a"], x["b"], i / (len(path) - 1)))
        for (u, v), rel in zip(pairwise(path), x["relations"], strict=False):
            key = (u, v) if (v, u) not in edges else (v, u)
            edge = edges.setdefault(key, Edge(*key, rule=x.get("rule") or "indicator"))
            label = words.get(rel, rel)
            if label not in edge.labels:
                edge.labels.append(label)
            edge.rule = _stronger(edge.rule, x.get("rule") or "indicator")
    radius = _place_ring(boxes, [b["uscc"] for b in ring])
    _place_connectors(boxes, ideal, radius)
    return LinkMap(boxes, list(edges.values()), len(bidders) - len(ring))


def _place_ring(boxes: dict[str, Box], ring: list[str]) -> float:
    if not ring:
        return 0.0
    widest = max(boxes[b].w for b in ring)
    radius = max(160.0, len(ring) * (widest + 40) / (2 * math.pi), (widest + 40) / 2)
    for i, b in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / len(ring)
        if len(ring) == 2:
            angle = math.pi * i  # left and right
        boxes[b].x, boxes[b].y = radius * math.cos(angle), radius * math.sin(angle)
    return radius


def _place_connectors(
    boxes: dict[str, Box], ideal: dict[str, list[tuple[str, str, float]]], radius: float
) -> None:
    """Each connector in the free grid cell nearest to its ideal place (the
    mean of its places between the bidders it links); the grid grows until
    every connector has a cell."""
    if not ideal:
        return
    fixed = [b for b in boxes.values() if b.kind == "bidder"]
    cell_w = max(boxes[n].w for n in ideal) + 12
    cell_h = BOX_H + 18
    wanted = {}
    for node, spots in ideal.items():
        xs = [boxes[a].x + (boxes[b].x - boxes[a].x) * t for a, b, t in spots]
        ys = [boxes[a].y + (boxes[b].y - boxes[a].y) * t for a, b, t in spots]
        wanted[node] = (0.85 * sum(xs) / len(xs), 0.85 * sum(ys) / len(ys))
    extent = radius
    while True:
        cols, rows = int(extent // cell_w) + 1, int(extent // cell_h) + 1
        cells = [
            (c * cell_w, r * cell_h) for c in range(-cols, cols + 1) for r in range(-rows, rows + 1)
        ]
        free = [(x, y) for x, y in cells if not any(_clash(x, y, cell_w, b) for b in fixed)]
        if len(free) >= len(ideal):
            break
        extent *= 1.3
    taken: set[tuple[float, float]] = set()
    for node in sorted(ideal, key=lambda n: (len(ideal[n]) == 1, n)):
        wx, wy = wanted[node]
        spot = min(
            (c for c in free if c not in taken),
            key=lambda c: ((c[0] - wx) ** 2 + (c[1] - wy) ** 2, c),
        )
        taken.add(spot)
        boxes[node].x, boxes[node].y = spot


def _clash(x: float, y: float, cell_w: float, bidder: Box) -> bool:
    return abs(x - bidder.x) * 2 < cell_w + bidder.w + 8 and abs(y - bidder.y) * 2 < BOX_H * 2 + 16


def render_svg(
    link_map: LinkMap, *, legend: Mapping[str, str] | None = None, more_text: str = ""
) -> Markup:
    """The map as an SVG element (no scripts, no URLs, every text escaped)."""
    boxes = link_map.boxes
    if not boxes:
        return Markup("")
    xs = [b.x for b in boxes.values()]
    ys = [b.y for b in boxes.values()]
    half_w = max(b.w for b in boxes.values()) / 2 + MARGIN
    left, right = min(xs) - half_w, max(xs) + half_w
    top, bottom = min(ys) - BOX_H - MARGIN, max(ys) + BOX_H + MARGIN + 28
    wanted = 150 * len(legend or {}) + 2 * MARGIN  # the legend fits on one line
    if right - left < wanted:
        left, right = left - (wanted - (right - left)) / 2, right + (wanted - (right - left)) / 2
    width, height = right - left, bottom - top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left:.0f} {top:.0f} {width:.0f} '
        f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" class="link-map" role="img" '
        f'font-family="{escape(FONT_STACK)}">'
    ]
    for edge in link_map.edges:
        a, b = boxes[edge.source], boxes[edge.target]
        colour, dash, stroke = RULE_STYLES.get(edge.rule, RULE_STYLES["indicator"])
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}" '
            f'stroke="{colour}" stroke-width="{stroke}"{dashes} data-rule="{escape(edge.rule)}"/>'
        )
    for edge in link_map.edges:
        a, b = boxes[edge.source], boxes[edge.target]
        colour = RULE_STYLES.get(edge.rule, RULE_STYLES["indicator"])[0]
        parts.append(
            f'<text x="{(a.x + b.x) / 2:.1f}" y="{(a.y + b.y) / 2 - 4:.1f}" font-size="11" '
            f'fill="{colour}" text-anchor="middle" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{escape(" / ".join(edge.labels))}</text>'
        )
    for box in boxes.values():
        parts.append(_box_svg(box))
    if more_text:
        parts.append(
            f'<text x="{right - 8:.0f}" y="{bottom - 10:.0f}" font-size="11" fill="#616161" '
            f'text-anchor="end">{escape(more_text)}</text>'
        )
    if legend:
        parts.append(_legend_svg(legend, left + 8, bottom - 10))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value is escaped above


def _box_svg(box: Box) -> str:
    if box.kind == "bidder":
        fill, border, font = VERDICT_COLOURS.get(box.verdict, ("#eeeeee", "#616161", "#000000"))
    else:
        fill, border, font = CONNECTOR_COLOURS[box.kind]
    stroke = 2.2 if box.kind == "bidder" else 1.2
    x, y, w = box.x, box.y, box.w
    if box.kind == "person":
        shape = (
            f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{BOX_H / 2 + 1:.1f}" '
            f'fill="{fill}" stroke="{border}" stroke-width="{stroke}"/>'
        )
    else:
        shape = (
            f'<rect x="{x - w / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{w:.1f}" '
            f'height="{BOX_H:.1f}" rx="4" fill="{fill}" stroke="{border}" '
            f'stroke-width="{stroke}"/>'
        )
    return (
        f'<g data-id="{escape(box.id)}" data-kind="{box.kind}" '
        f'data-verdict="{escape(box.verdict)}">'
        f"<title>{escape(box.title)}</title>{shape}"
        f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="12" fill="{font}" '
        f'text-anchor="middle">{escape(box.label)}</text></g>'
    )


def _legend_svg(legend: Mapping[str, str], x: float, y: float) -> str:
    parts = []
    for i, (rule, text) in enumerate(legend.items()):
        colour, dash, stroke = RULE_STYLES.get(rule, RULE_STYLES["indicator"])
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        lx = x + i * 150
        parts.append(
            f'<line x1="{lx:.0f}" y1="{y - 4:.0f}" x2="{lx + 26:.0f}" y2="{y - 4:.0f}" '
            f'stroke="{colour}" stroke-width="{stroke}"{dashes}/>'
            f'<text x="{lx + 32:.0f}" y="{y:.0f}" font-size="11" fill="#37474f">'
            f"{escape(text)}</text>"
        )
    return "".join(parts)
