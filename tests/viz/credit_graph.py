"""A small credit graph for the viz tests: every node colour and an ended relation.

Upper-case names are firms (``A`` → "A有限公司"), Chinese given names persons;
``synthetic_network`` makes large DESIGN §8 networks without a store.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from builders import GraphBuilder, make_rid, make_uscc

AS_OF = date(2025, 6, 1)


def build_graph() -> GraphBuilder:
    """A listed (severe) with its legal representative 张三 (responsible), who
    chairs B (related); A holds 60 % of C (related) and once employed 李四
    (ended); W is on the abnormal-operation list, G on the red list."""
    g = GraphBuilder()
    for name in "ABCWG":
        g.firm(name)
    g.person("张三")
    g.person("李四")
    g.person("王五")
    g.rel("张三", "A", "legal_representative", start="2020-01-01")
    g.rel("张三", "B", "executive", title="chairman", start="2021-01-01")
    g.rel("A", "C", "shareholder", pct=60.0, start="2019-05-01")
    g.rel("李四", "A", "executive", title="director", start="2018-01-01", end="2022-12-31")
    g.rel("王五", "W", "legal_representative", start="2020-01-01")
    g.rel("王五", "A", "shareholder", pct=10.0, start="2020-01-01")
    g.rel("G", "B", "shareholder", pct=20.0, start="2020-01-01")
    g.entry("E1", "A", "serious_dishonesty", "2024-03-01", category="tax_evasion")
    g.entry("E2", "W", "abnormal_operation", "2024-05-01")
    g.entry("E3", "G", "red", "2023-01-01")
    g.entry(
        "E0",
        "A",
        "abnormal_operation",
        "2019-01-01",
        removed="2020-01-01",
        removal_reason="repaired",
    )
    return g


def synthetic_network(size: int, center_name: str = "深圳市中心科技有限公司") -> dict[str, Any]:
    """A DESIGN §8 network of ``size`` nodes without a store: a tree around a
    listed centre, every 17th node flagged, every 7th firm's stake ended and
    every 50th node a super-node with 5 hidden neighbours."""
    rnd = random.Random(size)
    center = make_uscc(1)
    listed = _flag(center, "enterprise", "listed", "L0", [center])
    nodes = [_node(center, "enterprise", center_name, [listed], 0)]
    edges: list[dict[str, Any]] = []
    firms = [center]
    for i in range(2, size + 1):
        is_person = i % 3 == 0
        node_id = make_rid(i, born=f"19{50 + i // 1000}0101") if is_person else make_uscc(i)
        anchor = rnd.choice(firms[: max(1, len(firms) // 3)]) if i > 40 else center
        flags = []
        if i % 17 == 0:
            kind, rule = ("responsible_person", "P1") if is_person else ("related_enterprise", "P3")
            flags = [
                _flag(
                    node_id, "person" if is_person else "enterprise", kind, rule, [center, node_id]
                )
            ]
        name = f"张伟{i}" if is_person else f"广州市第{i}建筑工程有限公司"
        nodes.append(
            _node(
                node_id,
                "person" if is_person else "enterprise",
                name,
                flags,
                5 if i % 50 == 0 else 0,
            )
        )
        if is_person:
            edges.append(_edge(node_id, anchor, "executive", title="chairman"))
        else:
            ended = i % 7 == 0
            edges.append(
                _edge(
                    anchor,
                    node_id,
                    "shareholder",
                    pct=60.0,
                    end="2021-01-01" if ended else None,
                    ended=ended,
                )
            )
            firms.append(node_id)
    return {"center": center, "as_of": "2026-01-01", "nodes": nodes, "edges": edges}


def _node(
    node_id: str, kind: str, name: str, flags: list[dict[str, Any]], hidden: int
) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "name": name, "flags": flags, "hidden_neighbours": hidden}


def _flag(
    subject: str, kind: str, flag: str, rule: str, path: list[str], lst: str = "serious_dishonesty"
) -> dict[str, Any]:
    return {
        "subject_id": subject,
        "subject_type": kind,
        "flag": flag,
        "list": lst,
        "entry_id": "E1",
        "rule": rule,
        "citation": "003:L24",
        "path": path,
        "relations": ["shareholder"] * (len(path) - 1),
        "other_paths": 0,
    }


def _edge(
    source: str,
    target: str,
    role: str,
    *,
    title: str | None = None,
    pct: float | None = None,
    end: str | None = None,
    ended: bool = False,
) -> dict[str, Any]:
    return {
        "source": source,
        "target": target,
        "role": role,
        "title": title,
        "share_pct": pct,
        "start_on": "2019-01-01",
        "end_on": end,
        "ended": ended,
    }
