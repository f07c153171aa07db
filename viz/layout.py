"""Map layout that keeps nodes apart, and which nodes of a large map get labels.

:func:`spread` takes the radial layout of :func:`viz.style.radial_layout` and
pushes overlapping nodes apart (vectorised with numpy, a few hundred rounds
at most) so that maps up to :data:`FROZEN_UP_TO` nodes are drawn frozen with
no two nodes overlapping. :func:`top_nodes` picks the nodes of a larger map
whose names stay visible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Maps up to this many nodes are laid out here and drawn without physics.
FROZEN_UP_TO = 300
#: Names shown on a map larger than :data:`viz.maps.LARGE_MAP` nodes.
LABELLED_NODES = 40
#: Pixels between two node boxes.
GAP = 12.0


def box_size(label: str, font_px: float = 14.0, shape: str = "box") -> tuple[float, float]:
    """Approximate drawn size (width, height) of a node: CJK glyphs are about one
    font size wide, Latin ones about 0.6 of it (vis-network pads boxes by ~10 px).

    >>> box_size("张三")
    (48.0, 32.0)
    """
    width = sum(font_px if ord(ch) > 0x2E80 else 0.6 * font_px for ch in label)
    if shape == "dot":  # the name is written under the dot
        return round(max(30.0, width + 4.0), 1), round(30.0 + (font_px + 4.0 if label else 0), 1)
    return round(width + 20.0, 1), round(font_px + 18.0, 1)


def spread(
    positions: Mapping[str, tuple[float, float]],
    sizes: Mapping[str, tuple[float, float]],
    fixed: str | None = None,
    rounds: int = 400,
) -> dict[str, tuple[float, float]]:
    """``positions`` moved as little as needed so that no two boxes of ``sizes``
    overlap (plus :data:`GAP`); ``fixed`` (the centre) does not move.

    Boxes that overlap are pushed apart along the axis of least overlap, half
    each way, until none overlaps or ``rounds`` is reached.
    """
    import numpy as np  # here only: maps larger than FROZEN_UP_TO never need it

    ids = list(positions)
    if len(ids) < 2:
        return dict(positions)
    xy = np.array([positions[i] for i in ids], dtype=float)
    half = np.array([sizes[i] for i in ids], dtype=float) / 2 + GAP / 2
    pinned = np.array([i == fixed for i in ids])
    # nodes at the same spot: fan them out deterministically before pushing
    xy += np.stack([np.cos(np.arange(len(ids))), np.sin(np.arange(len(ids)))], axis=1) * 1e-3
    upper = np.triu(np.ones((len(ids), len(ids)), dtype=bool), 1)
    for _ in range(rounds):
        delta = xy[:, None, :] - xy[None, :, :]
        need = half[:, None, :] + half[None, :, :]
        overlap = need - np.abs(delta)
        clash = (overlap[..., 0] > 0) & (overlap[..., 1] > 0) & upper
        if not clash.any():
            break
        a, b = np.nonzero(clash)
        ox, oy = overlap[a, b, 0], overlap[a, b, 1]
        along_x = ox < oy
        push = np.zeros((len(a), 2))
        sign = np.where(delta[a, b] >= 0, 1.0, -1.0)
        push[along_x, 0] = (ox[along_x] / 2 + 0.5) * sign[along_x, 0]
        push[~along_x, 1] = (oy[~along_x] / 2 + 0.5) * sign[~along_x, 1]
        move = np.zeros_like(xy)
        np.add.at(move, a, push)
        np.add.at(move, b, -push)
        move[pinned] = 0.0
        xy += move
    return {i: (round(float(x), 1), round(float(y), 1)) for i, (x, y) in zip(ids, xy, strict=True)}


def overlapping_pairs(
    positions: Mapping[str, tuple[float, float]], sizes: Mapping[str, tuple[float, float]]
) -> list[tuple[str, str]]:
    """Pairs of nodes whose boxes overlap (the check of :func:`spread`)."""
    ids = list(positions)
    found = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            dx = abs(positions[a][0] - positions[b][0])
            dy = abs(positions[a][1] - positions[b][1])
            if dx < (sizes[a][0] + sizes[b][0]) / 2 and dy < (sizes[a][1] + sizes[b][1]) / 2:
                found.append((a, b))
    return found


def top_nodes(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    center: str,
    count: int = LABELLED_NODES,
) -> set[str]:
    """The ``count`` nodes whose names a large map shows: the centre, flagged
    nodes, then the best connected.

    >>> sorted(top_nodes([{"id": "a"}, {"id": "b", "flags": [{}]}, {"id": "c"}], [], "a", 2))
    ['a', 'b']
    """
    degree: dict[str, int] = {}
    for e in edges:
        for end in (str(e["source"]), str(e["target"])):
            degree[end] = degree.get(end, 0) + 1

    def rank(node: Mapping[str, Any]) -> tuple[int, int, int, str]:
        node_id = str(node["id"])
        return (node_id != center, not node.get("flags"), -degree.get(node_id, 0), node_id)

    return {str(n["id"]) for n in sorted(nodes, key=rank)[:count]}
