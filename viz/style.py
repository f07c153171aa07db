"""How a network (DESIGN §8) looks: node categories, colours, labels, tooltips, layout.

Shared by the offline map (``viz.maps``), the report's SVG map (``viz.svg``)
and mirrored in the explorer (``viz/static/app.js``, kept in step by a test).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from credgraph.i18n import N_, gettext, term
from credgraph.model import FlagKind, ListKind, NodeKind, Role

JsonDict = dict[str, Any]

SEVERE_LISTS = frozenset(
    {ListKind.SERIOUS_DISHONESTY, ListKind.DISHONEST_DEBTOR, ListKind.SERIOUS_ILLEGAL}
)

#: A font stack that renders Chinese names on Windows, macOS and Linux.
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", "Hiragino Sans GB", "Heiti SC", sans-serif'
)


class Category(StrEnum):
    """What a node's colour says, most serious first."""

    SEVERE = "severe"  # listed on a severe list (L0)
    RESPONSIBLE = "responsible"  # responsible_person (P1)
    RELATED = "related"  # related_enterprise (P2/P3)
    WATCH = "watch"  # listed on abnormal_operation or key_attention
    RED_LIST = "red_list"  # listed on the red (honour) list
    ENTERPRISE = "enterprise"
    PERSON = "person"
    MORE = "more"  # the "and N more" placeholder of a super-node


@dataclass(frozen=True)
class Swatch:
    background: str
    border: str
    font: str
    legend: str


PALETTE: dict[Category, Swatch] = {
    Category.SEVERE: Swatch("#e53935", "#8e0000", "#ffffff", N_("listed on a severe list")),
    Category.RESPONSIBLE: Swatch("#fb8c00", "#a85400", "#000000", N_("responsible person")),
    Category.RELATED: Swatch("#ffc107", "#a07800", "#000000", N_("related enterprise")),
    Category.WATCH: Swatch(
        "#ab47bc", "#6a1b7a", "#ffffff", N_("abnormal operation / key attention")
    ),
    Category.RED_LIST: Swatch("#43a047", "#1b5e20", "#ffffff", N_("red list (honours)")),
    Category.ENTERPRISE: Swatch("#bbdefb", "#1e88e5", "#000000", N_("enterprise")),
    Category.PERSON: Swatch("#eeeeee", "#757575", "#000000", N_("person")),
    Category.MORE: Swatch("#ffffff", "#9e9e9e", "#616161", N_("more neighbours not shown")),
}

ENDED_EDGE_COLOUR = "#b0b0b0"
#: the evidence path of a flag (explorer and maps)
EVIDENCE_COLOUR = "#d500f9"
EDGE_COLOUR = "#607d8b"


def as_network_dict(network: BaseModel | Mapping[str, Any]) -> JsonDict:
    """The DESIGN §8 network as plain JSON data, from a pydantic model or a mapping."""
    if isinstance(network, BaseModel):
        return network.model_dump(mode="json")
    return dict(network)


def node_category(node: Mapping[str, Any]) -> Category:
    """The most serious thing the node's flags say.

    >>> node_category({"type": "person", "flags": [{"flag": "responsible_person"}]})
    <Category.RESPONSIBLE: 'responsible'>
    """
    flags: Sequence[Mapping[str, Any]] = node.get("flags") or ()
    kinds = {(f.get("flag"), f.get("list")) for f in flags}
    if any(flag == FlagKind.LISTED and lst in SEVERE_LISTS for flag, lst in kinds):
        return Category.SEVERE
    if any(flag == FlagKind.RESPONSIBLE_PERSON for flag, _ in kinds):
        return Category.RESPONSIBLE
    if any(flag == FlagKind.RELATED_ENTERPRISE for flag, _ in kinds):
        return Category.RELATED
    if any(flag == FlagKind.LISTED and lst != ListKind.RED for flag, lst in kinds):
        return Category.WATCH
    if any(flag == FlagKind.LISTED for flag, _ in kinds):
        return Category.RED_LIST
    return Category.PERSON if node.get("type") == NodeKind.PERSON else Category.ENTERPRISE


def edge_label(edge: Mapping[str, Any]) -> str:
    """Role (executive: its title) and share percentage, in the language in force.

    >>> from credgraph.i18n import using
    >>> with using("zh"):
    ...     edge_label({"role": "shareholder", "share_pct": 60.0})
    '股东 60%'
    """
    role = str(edge.get("role", ""))
    title = edge.get("title")
    text = term("title", title) if role == Role.EXECUTIVE and title else term("role", role)
    pct = edge.get("share_pct")
    if pct is not None:
        text += f" {float(pct):g}%"
    return text


def edge_tooltip(edge: Mapping[str, Any], names: Mapping[str, str]) -> str:
    src, dst = str(edge["source"]), str(edge["target"])
    open_end = gettext("(open)")
    lines = [
        f"{names.get(src, src)} → {names.get(dst, dst)}",
        edge_label(edge),
        gettext("from {start} to {end}").format(
            start=edge.get("start_on") or open_end, end=edge.get("end_on") or open_end
        ),
    ]
    if edge.get("ended"):
        lines.append(gettext("ended"))
    return "\n".join(lines)


def flag_line(flag: Mapping[str, Any]) -> str:
    """One line per flag: its explanation when it has one, else what, which
    list and entry, which rule and citation."""
    if flag.get("explanation"):
        cited = f"{flag.get('rule')}; {flag.get('citation')}"
        return f"• {flag.get('label') or ''}：{flag['explanation']} ({cited})"
    return "• " + gettext("{flag} — {list} entry {entry} (rule {rule}; {citation})").format(
        flag=term("flag", flag.get("flag")),
        list=term("list", flag.get("list")),
        entry=flag.get("entry_id"),
        rule=flag.get("rule"),
        citation=flag.get("citation"),
    )


def node_tooltip(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    id_label = gettext("USCC") if kind == NodeKind.ENTERPRISE else gettext("person id")
    lines = [str(node.get("name", "")), f"{term('type', kind)} · {id_label} {node['id']}"]
    flags: Sequence[Mapping[str, Any]] = node.get("flags") or ()
    if flags:
        lines.append(gettext("flags:"))
        lines += [flag_line(f) for f in flags]
    hidden = int(node.get("hidden_neighbours") or 0)
    if hidden:
        lines.append(gettext("and {n} more relations not shown").format(n=hidden))
    return "\n".join(lines)


def short_label(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def radial_layout(
    center: str, node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Positions for an ego network: rings by hop distance, each subtree in its own sector.

    Runs in linear time; the browser only relaxes it briefly and then freezes it.

    >>> pos = radial_layout("a", ["a", "b", "c"], [("a", "b"), ("a", "c")])
    >>> pos["a"] == (0.0, 0.0), [round(math.dist(pos["a"], pos[n])) for n in "bc"]
    (True, [260, 260])
    >>> pos["b"] == (-pos["c"][0], -pos["c"][1])  # opposite sectors
    True
    """
    adjacent: dict[str, list[str]] = {n: [] for n in node_ids}
    for a, b in edges:
        if a in adjacent and b in adjacent:
            adjacent[a].append(b)
            adjacent[b].append(a)
    roots = [center] if center in adjacent else []
    roots += [n for n in node_ids if n != center]
    parent: dict[str, str | None] = {}
    children: dict[str, list[str]] = {n: [] for n in node_ids}
    depth: dict[str, int] = {}
    order: list[str] = []
    for root in roots:
        if root in depth:
            continue
        # Nodes unreachable from the centre hang off it as extra subtrees.
        base = 0 if root == center else 1
        depth[root], parent[root] = base, None
        if root != center and center in depth:
            parent[root] = center
            children[center].append(root)
        queue = deque([root])
        while queue:
            n = queue.popleft()
            order.append(n)
            for m in adjacent[n]:
                if m not in depth:
                    depth[m], parent[m] = depth[n] + 1, n
                    children[n].append(m)
                    queue.append(m)
    leaves: dict[str, int] = {}
    for n in reversed(order):
        leaves[n] = max(1, sum(leaves[c] for c in children[n]))
    per_ring: dict[int, int] = {}
    for d in depth.values():
        per_ring[d] = per_ring.get(d, 0) + 1
    radius: dict[int, float] = {0: 0.0}
    for d in range(1, max(per_ring, default=0) + 1):
        # Enough circumference for ~90 px per node on the ring.
        radius[d] = max(radius[d - 1] + 260.0, per_ring.get(d, 0) * 90.0 / (2 * math.pi))
    pos: dict[str, tuple[float, float]] = {}
    sector: dict[str, tuple[float, float]] = {}
    for n in order:
        start, span = sector.get(n, (0.0, 2 * math.pi))
        angle = start + span / 2
        r = radius[depth[n]]
        pos[n] = (round(r * math.cos(angle), 1), round(r * math.sin(angle), 1))
        offset = start
        for c in children[n]:
            share = span * leaves[c] / leaves[n]
            sector[c] = (offset, share)
            offset += share
    return pos
