"""Every combination of source kind, target kind, role, title, share and
days: the column-wise relation check lets a row through exactly when the
row parser accepts it (rows whose fields are all well-formed)."""

from __future__ import annotations

from itertools import product

from builders import make_rid, make_uscc

from credgraph.model import NodeKind, Role
from graph_loader import fast
from graph_loader.rows import parse_relation

FIRM, OTHER_FIRM, PERSON, NOBODY = make_uscc(1), make_uscc(2), make_rid(1), make_uscc(3)
KINDS = {FIRM: NodeKind.ENTERPRISE, OTHER_FIRM: NodeKind.ENTERPRISE, PERSON: NodeKind.PERSON}
COLUMNS = ["source_id", "target_uscc", "role", "title", "share_pct", "start_on", "end_on"]


def test_relation_rules_match_the_row_parser() -> None:
    rows = [
        dict(zip(COLUMNS, values, strict=True))
        for values in product(
            [FIRM, PERSON, NOBODY],
            [OTHER_FIRM, FIRM, PERSON, NOBODY],
            ["", *(r.value for r in Role)],
            ["", "manager"],
            ["", "30"],
            ["", "2020-01-01"],
            ["", "2019-01-01", "2021-01-01"],
        )
    ]
    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    _, bad = fast.relations(columns, len(rows), KINDS)
    accepted = [parse_relation(row, KINDS)[0] is not None for row in rows]
    assert [i not in bad for i in range(len(rows))] == accepted
