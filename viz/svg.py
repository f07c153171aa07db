"""A small static SVG map: one subject and its direct relations, for printed reports."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from credgraph.i18n import N_, gettext
from viz.style import FONT_STACK, PALETTE, Category, Swatch, short_label

#: A party whose flags say "listed" without the list (a report's related
#: parties): the list is in that party's own report.
LISTED_UNKNOWN = Swatch("#ffcdd2", "#c62828", "#000000", N_("listed (see its own report)"))


@dataclass(frozen=True)
class SvgNode:
    id: str
    name: str
    is_person: bool
    swatch: Swatch


@dataclass(frozen=True)
class SvgEdge:
    source: str
    target: str
    label: str
    ended: bool = False


def star_svg(
    center: SvgNode,
    others: Sequence[SvgNode],
    edges: Sequence[SvgEdge],
    *,
    hidden: int = 0,
    width: int = 720,
    height: int = 440,
) -> Markup:
    """An SVG with ``center`` in the middle and ``others`` on a ring around it.

    Self-contained (no scripts, no external references), so it prints as is.

    >>> c = SvgNode("A", "甲公司", False, PALETTE[Category.ENTERPRISE])
    >>> "甲公司" in star_svg(c, [], [])
    True
    """
    cx, cy = width / 2, height / 2
    rx, ry = width / 2 - 110, height / 2 - 40
    pos: dict[str, tuple[float, float]] = {center.id: (cx, cy)}
    for i, node in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(others), 1)
        pos[node.id] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    parts = [
        # Inline SVG in HTML needs no xmlns (and the page stays free of URLs).
        f'<svg viewBox="0 0 {width} {height}" '
        f'class="mini-map" role="img" font-family="{escape(FONT_STACK)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#607d8b"/></marker></defs>',
    ]
    for edge in edges:
        if edge.source not in pos or edge.target not in pos:
            continue
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        # Stop the arrow short of the target's label box.
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        x2s, y2s = x2 - (x2 - x1) * 26 / length, y2 - (y2 - y1) * 26 / length
        dash = ' stroke-dasharray="5,4"' if edge.ended else ""
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2s:.1f}" y2="{y2s:.1f}" stroke="#607d8b" '
            f'stroke-width="1.2" marker-end="url(#arrow)"{dash}/>'
        )
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(
            f'<text x="{mx:.1f}" y="{my - 3:.1f}" font-size="10" fill="#37474f" '
            f'text-anchor="middle">{escape(edge.label)}</text>'
        )
    for node in [center, *others]:
        x, y = pos[node.id]
        label = short_label(node.name, 12)
        w = 16 + 12 * len(label)
        sw = node.swatch
        stroke = 3 if node is center else 1.2
        if node.is_person:
            shape = (
                f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="14" '
                f'fill="{sw.background}" stroke="{sw.border}" stroke-width="{stroke}"/>'
            )
        else:
            shape = (
                f'<rect x="{x - w / 2:.1f}" y="{y - 13:.1f}" width="{w:.1f}" height="26" rx="4" '
                f'fill="{sw.background}" stroke="{sw.border}" stroke-width="{stroke}"/>'
            )
        parts.append(f"<g><title>{escape(node.name)} {escape(node.id)}</title>{shape}")
        parts.append(
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="12" fill="{sw.font}" '
            f'text-anchor="middle">{escape(label)}</text></g>'
        )
    if hidden:
        parts.append(
            f'<text x="{width - 10}" y="{height - 10}" font-size="11" fill="#616161" '
            f'text-anchor="end">{escape(gettext("and {n} more not drawn").format(n=hidden))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value is escaped above


def swatch_for(flag_kinds: Sequence[str], is_person: bool) -> Swatch:
    """Colour for a party known only by its flag kinds (no list)."""
    kinds = set(flag_kinds)
    if "listed" in kinds:
        return LISTED_UNKNOWN
    if "responsible_person" in kinds:
        return PALETTE[Category.RESPONSIBLE]
    if "related_enterprise" in kinds:
        return PALETTE[Category.RELATED]
    return PALETTE[Category.PERSON if is_person else Category.ENTERPRISE]


def legend_items(extra: Mapping[str, Swatch] | None = None) -> list[Swatch]:
    items = [
        PALETTE[c]
        for c in (
            Category.SEVERE,
            Category.RESPONSIBLE,
            Category.RELATED,
            Category.WATCH,
            Category.RED_LIST,
            Category.ENTERPRISE,
            Category.PERSON,
        )
    ]
    return items + list((extra or {}).values())
