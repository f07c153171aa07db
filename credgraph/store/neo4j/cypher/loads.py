"""Upserts of graph data: nodes, relations, list entries and their links.

Each upsert comes in two steps so that a row equal to what is stored is
never written (no rewrite, no write lock, no generation bump): a ``DIRTY_*``
read returns the rows that differ, then the ``MERGE_*`` statement writes
those only. Relations do both in one statement (``FOREACH`` over the dirty
rows). A node keeps the ``doc`` number it got when first written.
"""

from __future__ import annotations

from typing import Any, Final

from credgraph.store.neo4j.cypher.schema import ROLE_TYPES

# A stored value missing from the row (or the reverse) makes the maps differ;
# ``coalesce(…, false)`` counts a comparison Cypher cannot decide as a change.
DIRTY_ENTERPRISES = """
UNWIND $rows AS row
OPTIONAL MATCH (e:Enterprise {uscc: row.uscc})
WITH row, e, row.props AS props
WHERE e IS NULL OR NOT coalesce(properties(e) = props {.*, doc: e.doc}, false)
RETURN row.uscc AS id, e IS NULL AS new
"""
DIRTY_PERSONS = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Person {person_id: row.person_id})
WITH row, p, row.props AS props
WHERE p IS NULL OR NOT coalesce(properties(p) = props {.*, doc: p.doc}, false)
RETURN row.person_id AS id, p IS NULL AS new
"""
MERGE_ENTERPRISES = """
UNWIND $rows AS row
MERGE (e:Enterprise {uscc: row.uscc})
WITH e, row, coalesce(e.doc, row.doc) AS doc
SET e = row.props, e.doc = doc
"""
MERGE_PERSONS = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
WITH p, row, coalesce(p.doc, row.doc) AS doc
SET p = row.props, p.doc = doc
"""
# Takes ``$count`` numbers of the load order for the new nodes of a chunk.
RESERVE_DOCS = """
MATCH (seq:Meta {key: 'doc_seq'})
SET seq.value = seq.value + $count
RETURN seq.value - $count AS first
"""


def _merge_relations(rel_type: str) -> str:
    """The upsert of one role's relations; ``rel_type`` is one of ``ROLE_TYPES``.

    Rows whose source or target node is missing are not written: the caller
    compares ``written`` with its rows and fails the transaction. ``dirty``
    lists the rows written with the properties they replaced (null: new),
    for the change feed.
    """
    identity = "{title: row.props.title, start_on: row.props.start_on}"
    return f"""
UNWIND $rows AS row
MATCH (t:Enterprise {{uscc: row.target_uscc}})
OPTIONAL MATCH (se:Enterprise {{uscc: row.source_id}})
OPTIONAL MATCH (sp:Person {{person_id: row.source_id}})
WITH row, t, CASE row.source_type WHEN 'person' THEN sp ELSE se END AS s
WHERE s IS NOT NULL
OPTIONAL MATCH (s)-[old:{rel_type} {identity}]->(t)
WITH row, s, t, properties(old) AS was,
     old IS NULL OR NOT coalesce(properties(old) = row.props, false) AS dirty
FOREACH (_ IN CASE WHEN dirty THEN [1] ELSE [] END |
  MERGE (s)-[r:{rel_type} {identity}]->(t)
  SET r = row.props)
RETURN collect(row.i) AS written, sum(CASE WHEN dirty THEN 1 ELSE 0 END) AS changed,
       collect(CASE WHEN dirty THEN {{i: row.i, was: was}} END) AS dirty
"""


MERGE_LEGAL_REPRESENTATIVE = _merge_relations("LEGAL_REPRESENTATIVE")
MERGE_EXECUTIVE = _merge_relations("EXECUTIVE")
MERGE_SHAREHOLDER = _merge_relations("SHAREHOLDER")
MERGE_ACTUAL_CONTROLLER = _merge_relations("ACTUAL_CONTROLLER")
MERGE_BRANCH_OF = _merge_relations("BRANCH_OF")

DIRTY_ENTRIES = """
UNWIND $rows AS row
OPTIONAL MATCH (e:ListEntry {entry_id: row.entry_id})
WITH row, e
WHERE e IS NULL OR NOT coalesce(properties(e) = row.props, false)
RETURN row.entry_id AS id, properties(e) AS was
"""
MERGE_ENTRIES = """
UNWIND $rows AS row
MERGE (e:ListEntry {entry_id: row.entry_id})
SET e = row.props
"""
# Links each entry to its subject (and unlinks a previous subject).
LINK_ENTRY_SUBJECTS = """
UNWIND $rows AS row
MATCH (e:ListEntry {entry_id: row.entry_id})
OPTIONAL MATCH (se:Enterprise {uscc: row.subject_id})
OPTIONAL MATCH (sp:Person {person_id: row.subject_id})
WITH e, CASE row.subject_type WHEN 'person' THEN sp ELSE se END AS s
WHERE s IS NOT NULL
MERGE (s)-[:LISTED]->(e)
WITH e, s
OPTIONAL MATCH (e)<-[old:LISTED]-(other)
WHERE other <> s
DELETE old
RETURN collect(DISTINCT e.entry_id) AS linked
"""
# Names the entry's responsible persons (and unlinks those no longer named).
LINK_NAMED_RESPONSIBLE = """
UNWIND $rows AS row
MATCH (e:ListEntry {entry_id: row.entry_id})
OPTIONAL MATCH (e)<-[old:NAMED_RESPONSIBLE]-(was:Person)
WHERE NOT was.person_id IN row.person_ids
DELETE old
WITH DISTINCT e, row
UNWIND row.person_ids AS person_id
MATCH (p:Person {person_id: person_id})
MERGE (p)-[:NAMED_RESPONSIBLE]->(e)
RETURN collect([e.entry_id, person_id]) AS linked
"""
# Objections filed before their entry was loaded get their link now.
LINK_OBJECTIONS = """
UNWIND $entry_ids AS entry_id
MATCH (o:Objection {entry_id: entry_id})
WHERE NOT EXISTS { (o)-[:OBJECTS_TO]->(:ListEntry) }
MATCH (e:ListEntry {entry_id: entry_id})
CREATE (o)-[:OBJECTS_TO]->(e)
"""
# Every write that can change a result bumps it, in the same transaction.
BUMP_GENERATION = """
MATCH (m:Meta {key: 'generation'})
SET m.value = m.value + 1
"""

# -- declared parameters (example values), checked by the Cypher lint test ----
_USCC = "91110000600037341L"
_PERSON = "110101199003074475"
_NODE_PROPS = {
    "name": "Acme",
    "name_fold": "acme",
    "search_name": "^acme",
    "search_pinyin": "^ acme ",
    "search_initials": "^ a c m e ",
}
_ENTERPRISE_ROWS = [
    {"uscc": _USCC, "doc": 1, "props": {"uscc": _USCC, "kind": "company", **_NODE_PROPS}}
]
_PERSON_ROWS = [
    {"person_id": _PERSON, "doc": 2,
     "props": {"person_id": _PERSON, "id_type": "resident_id", **_NODE_PROPS}}
]  # fmt: skip
_RELATION_ROWS = [
    {
        "i": 0,
        "source_id": _PERSON,
        "source_type": "person",
        "target_uscc": _USCC,
        "props": {"title": "", "start_on": "2020-01-01", "share_pct": 60.0},
    }
]
_ENTRY_ROWS = [{"entry_id": "E1", "props": {"entry_id": "E1", "subject_id": _USCC}}]

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    "DIRTY_ENTERPRISES": {"rows": _ENTERPRISE_ROWS},
    "MERGE_ENTERPRISES": {"rows": _ENTERPRISE_ROWS},
    "DIRTY_PERSONS": {"rows": _PERSON_ROWS},
    "MERGE_PERSONS": {"rows": _PERSON_ROWS},
    "RESERVE_DOCS": {"count": 2},
    **{f"MERGE_{t}": {"rows": _RELATION_ROWS} for t in ROLE_TYPES},
    "DIRTY_ENTRIES": {"rows": _ENTRY_ROWS},
    "MERGE_ENTRIES": {"rows": _ENTRY_ROWS},
    "LINK_ENTRY_SUBJECTS": {
        "rows": [{"entry_id": "E1", "subject_id": _USCC, "subject_type": "enterprise"}]
    },
    "LINK_NAMED_RESPONSIBLE": {"rows": [{"entry_id": "E1", "person_ids": [_PERSON]}]},
    "LINK_OBJECTIONS": {"entry_ids": ["E1"]},
    "BUMP_GENERATION": {},
}
