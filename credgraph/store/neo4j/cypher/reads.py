"""Reads: nodes, relations (expansion and streams), entries, search, counts.

Lookups by id seek the uniqueness constraints' indexes; name searches use
the text indexes (``CONTAINS``); ``tests/store/test_neo4j_plans.py`` checks
the plans of the hot statements.
"""

from __future__ import annotations

from typing import Any, Final

from credgraph.store.neo4j.cypher.schema import ROLE_TYPES

_ROLES = "|".join(ROLE_TYPES)
# A relation is active on $as_of when start_on <= $as_of <= end_on; '' and a
# missing end_on are open ends (DESIGN §2), as ISO strings compare like dates.
_RELATION_FILTER = """
  AND ($types IS NULL OR type(r) IN $types)
  AND ($as_of IS NULL OR (r.start_on <= $as_of AND (r.end_on IS NULL OR r.end_on >= $as_of)))"""
_RELATION_COLUMNS = """t.uscc AS target_uscc, type(r) AS rel_type, r.title AS title,
       r.start_on AS start_on, r.share_pct AS share_pct, r.end_on AS end_on"""
_SOURCE_COLUMNS = """coalesce(s.uscc, s.person_id) AS source_id,
       CASE WHEN s:Person THEN 'person' ELSE 'enterprise' END AS source_type"""


GENERATION = """
MATCH (m:Meta {key: 'generation'})
RETURN m.value AS value
"""
NODES = """
MATCH (e:Enterprise)
WHERE e.uscc IN $ids
RETURN 'enterprise' AS kind, properties(e) AS props
UNION ALL
MATCH (p:Person)
WHERE p.person_id IN $ids
RETURN 'person' AS kind, properties(p) AS props
"""
EXISTING_IDS = """
MATCH (e:Enterprise)
WHERE e.uscc IN $ids
RETURN 'enterprise' AS kind, e.uscc AS id
UNION ALL
MATCH (p:Person)
WHERE p.person_id IN $ids
RETURN 'person' AS kind, p.person_id AS id
"""
# $ids are sources: what they hold, where they work.
EXPAND_OUT = f"""
MATCH (s:Enterprise)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.uscc IN $ids{_RELATION_FILTER}
RETURN s.uscc AS source_id, 'enterprise' AS source_type, {_RELATION_COLUMNS}
UNION ALL
MATCH (s:Person)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.person_id IN $ids{_RELATION_FILTER}
RETURN s.person_id AS source_id, 'person' AS source_type, {_RELATION_COLUMNS}
"""
# $ids are targets: who holds a role in them.
EXPAND_IN = f"""
MATCH (s)-[r:{_ROLES}]->(t:Enterprise)
WHERE t.uscc IN $ids{_RELATION_FILTER}
RETURN {_SOURCE_COLUMNS}, {_RELATION_COLUMNS}
"""
# The ids at the other end of an expansion, without the relations.
NEIGHBOURS_OUT = f"""
MATCH (s:Enterprise)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.uscc IN $ids{_RELATION_FILTER}
RETURN DISTINCT t.uscc AS id
UNION
MATCH (s:Person)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.person_id IN $ids{_RELATION_FILTER}
RETURN DISTINCT t.uscc AS id
"""
NEIGHBOURS_IN = f"""
MATCH (s)-[r:{_ROLES}]->(t:Enterprise)
WHERE t.uscc IN $ids{_RELATION_FILTER}
RETURN DISTINCT coalesce(s.uscc, s.person_id) AS id
"""
# $ids are sources, $targets the enterprises wanted at the other end.
EXPAND_BETWEEN = f"""
MATCH (s:Enterprise)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.uscc IN $ids AND t.uscc IN $targets{_RELATION_FILTER}
RETURN s.uscc AS source_id, 'enterprise' AS source_type, {_RELATION_COLUMNS}
UNION ALL
MATCH (s:Person)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.person_id IN $ids AND t.uscc IN $targets{_RELATION_FILTER}
RETURN s.person_id AS source_id, 'person' AS source_type, {_RELATION_COLUMNS}
"""
# Whole-graph streams. ``IS NOT NULL`` lets the unique index hand the rows
# over in id order (then only each source's few relations are sorted); the
# caller merges the two relation streams.
_ITER_ORDER = "ORDER BY source_id, target_uscc, rel_type, title, start_on"
ITER_ENTERPRISE_RELATIONS = f"""
MATCH (s:Enterprise)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.uscc IS NOT NULL
RETURN s.uscc AS source_id, 'enterprise' AS source_type, {_RELATION_COLUMNS}
{_ITER_ORDER}
"""
ITER_PERSON_RELATIONS = f"""
MATCH (s:Person)-[r:{_ROLES}]->(t:Enterprise)
WHERE s.person_id IS NOT NULL
RETURN s.person_id AS source_id, 'person' AS source_type, {_RELATION_COLUMNS}
{_ITER_ORDER}
"""
ITER_ENTERPRISES = """
MATCH (e:Enterprise)
WHERE e.uscc IS NOT NULL
RETURN properties(e) AS props
ORDER BY e.uscc
"""
ITER_PERSONS = """
MATCH (p:Person)
WHERE p.person_id IS NOT NULL
RETURN properties(p) AS props
ORDER BY p.person_id
"""

# Entries: one statement per anchoring filter (so an index drives each), the
# other filters applied after. An upheld objection removes the entry as of
# its resolution day whatever a reload says (DESIGN §3, 003:L32); objections
# are joined on entry_id like the embedded store, not through OBJECTS_TO,
# which a concurrent load may not have linked yet.
_ENTRY_FILTERS = """
  AND ($entry_ids IS NULL OR e.entry_id IN $entry_ids)
  AND ($subject_ids IS NULL OR e.subject_id IN $subject_ids)
  AND ($lists IS NULL OR e.list IN $lists)
  AND ($responsible_person_ids IS NULL OR EXISTS {
        MATCH (named:Person)-[:NAMED_RESPONSIBLE]->(e)
        WHERE named.person_id IN $responsible_person_ids })"""
_ENTRY_RETURN = """
OPTIONAL MATCH (o:Objection {entry_id: e.entry_id})
WHERE o.upheld = true
WITH e, min(o.resolved_on) AS upheld_on
WITH e, upheld_on,
     upheld_on IS NOT NULL AND (e.removed_on IS NULL OR upheld_on < e.removed_on) AS revoked
RETURN properties(e) AS props,
       CASE WHEN revoked THEN upheld_on ELSE e.removed_on END AS removed_on,
       CASE WHEN revoked THEN 'revoked_on_objection' ELSE e.removal_reason END AS removal_reason
ORDER BY e.entry_id
"""
ENTRIES_BY_ID = f"""
MATCH (e:ListEntry)
WHERE e.entry_id IN $entry_ids{_ENTRY_FILTERS}{_ENTRY_RETURN}"""
ENTRIES_BY_SUBJECT = f"""
MATCH (e:ListEntry)
WHERE e.subject_id IN $subject_ids{_ENTRY_FILTERS}{_ENTRY_RETURN}"""
ENTRIES_BY_RESPONSIBLE = f"""
MATCH (p:Person)-[:NAMED_RESPONSIBLE]->(e:ListEntry)
WHERE p.person_id IN $responsible_person_ids{_ENTRY_FILTERS}
WITH DISTINCT e{_ENTRY_RETURN}"""
ENTRIES_BY_LIST = f"""
MATCH (e:ListEntry)
WHERE e.list IN $lists{_ENTRY_FILTERS}{_ENTRY_RETURN}"""
ENTRIES_ALL = f"""
MATCH (e:ListEntry)
WHERE true{_ENTRY_FILTERS}{_ENTRY_RETURN}"""


SEARCH_ENTERPRISE_IDS = """
MATCH (e:Enterprise)
WHERE e.uscc STARTS WITH $prefix
RETURN e.uscc AS id
ORDER BY id
LIMIT $limit
"""
SEARCH_PERSON_IDS = """
MATCH (p:Person)
WHERE p.person_id STARTS WITH $prefix
RETURN p.person_id AS id
ORDER BY id
LIMIT $limit
"""
SEARCH_ENTERPRISE_NAMES = """
MATCH (e:Enterprise)
WHERE e.name_fold CONTAINS $needle
RETURN e.uscc AS id
ORDER BY id
LIMIT $limit
"""
SEARCH_PERSON_NAMES = """
MATCH (p:Person)
WHERE p.name_fold CONTAINS $needle
RETURN p.person_id AS id
ORDER BY id
LIMIT $limit
"""


# Field searches (``SearchField``): hits of both labels in load order.
def _search_field(key: str) -> str:
    """The search of one key property; ``key`` is a fixed property name."""
    return f"""
MATCH (e:Enterprise)
WHERE e.{key} CONTAINS $needle
RETURN e.uscc AS id, e.doc AS doc
ORDER BY doc
LIMIT $limit
UNION ALL
MATCH (p:Person)
WHERE p.{key} CONTAINS $needle
RETURN p.person_id AS id, p.doc AS doc
ORDER BY doc
LIMIT $limit
"""


SEARCH_NAME_KEYS = _search_field("search_name")
SEARCH_PINYIN = _search_field("search_pinyin")
SEARCH_INITIALS = _search_field("search_initials")


# Flags count: the versions visible in the current run (see ``flags``).
COUNTS = f"""
OPTIONAL MATCH (m:Meta {{key: 'flags'}})
WITH coalesce(m.run, 0) AS run
RETURN COUNT {{ (:Enterprise) }} AS enterprises,
       COUNT {{ (:Person) }} AS persons,
       COUNT {{ ()-[:{_ROLES}]->() }} AS relations,
       COUNT {{ (:ListEntry) }} AS entries,
       COUNT {{ (:Objection) }} AS objections,
       COUNT {{ (f:Flag) WHERE f.from_run <= run AND coalesce(f.to_run, run + 1) > run }} AS flags
"""

# -- declared parameters (example values), checked by the Cypher lint test ----
# Shared-contact counts (DESIGN §6): one index seek per value, never a scan.
CONTACT_USAGE_PHONE = """
UNWIND $values AS value
MATCH (e:Enterprise {phone_norm: value})
RETURN value, count(e) AS n
"""
CONTACT_USAGE_EMAIL = """
UNWIND $values AS value
MATCH (e:Enterprise {email_norm: value})
RETURN value, count(e) AS n
"""
CONTACT_USAGE_ADDRESS = """
UNWIND $values AS value
MATCH (e:Enterprise {address_norm: value})
RETURN value, count(e) AS n
"""
CONTACT_USAGE: Final = {
    "phone": CONTACT_USAGE_PHONE,
    "email": CONTACT_USAGE_EMAIL,
    "address": CONTACT_USAGE_ADDRESS,
}

_USCC = "91110000600037341L"
_PERSON = "110101199003074475"
_EXPAND = {"ids": [_USCC], "types": ["SHAREHOLDER"], "as_of": "2024-01-01"}
_ENTRY_PARAMS = {
    "entry_ids": ["E1"],
    "subject_ids": [_USCC],
    "responsible_person_ids": [_PERSON],
    "lists": ["serious_dishonesty"],
}
_SEARCH_ID = {"prefix": "9111", "limit": 20}
_SEARCH_NAME = {"needle": "acme", "limit": 20}

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    **{name: {} for name in (
        "GENERATION", "ITER_ENTERPRISE_RELATIONS", "ITER_PERSON_RELATIONS", "ITER_ENTERPRISES",
        "ITER_PERSONS", "COUNTS",
    )},
    "NODES": {"ids": [_USCC, _PERSON]},
    "EXISTING_IDS": {"ids": [_USCC, _PERSON]},
    "EXPAND_OUT": _EXPAND,
    "EXPAND_IN": _EXPAND,
    "NEIGHBOURS_OUT": _EXPAND,
    "NEIGHBOURS_IN": _EXPAND,
    "EXPAND_BETWEEN": {**_EXPAND, "targets": [_USCC]},
    **{name: _ENTRY_PARAMS for name in (
        "ENTRIES_BY_ID", "ENTRIES_BY_SUBJECT", "ENTRIES_BY_RESPONSIBLE", "ENTRIES_BY_LIST",
        "ENTRIES_ALL",
    )},
    "SEARCH_ENTERPRISE_IDS": _SEARCH_ID,
    "SEARCH_PERSON_IDS": _SEARCH_ID,
    "SEARCH_ENTERPRISE_NAMES": _SEARCH_NAME,
    "SEARCH_PERSON_NAMES": _SEARCH_NAME,
    "SEARCH_NAME_KEYS": _SEARCH_NAME,
    "SEARCH_PINYIN": {"needle": "^ bei jing ", "limit": 20},
    "SEARCH_INITIALS": {"needle": " b j ", "limit": 20},
    **{name: {"values": ["13800138000"]} for name in (
        "CONTACT_USAGE_PHONE", "CONTACT_USAGE_EMAIL", "CONTACT_USAGE_ADDRESS",
    )},
}  # fmt: skip
