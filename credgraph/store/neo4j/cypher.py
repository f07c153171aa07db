"""Every Cypher statement of the Neo4j backend, as named constants.

Values only ever travel as parameters (``$rows`` batches, ``$ids`` lists):
nothing here is formatted at run time. The f-strings below only splice the
fixed fragments of this module (relationship types, filters, projections)
when the module is imported.

Graph model (Neo4j Browser / Bloom show it as is):

- ``(:Enterprise {uscc})``, ``(:Person {person_id})`` with the record's
  fields; dates are ISO strings so comparisons match the embedded store.
- One relationship type per role, from source to target enterprise:
  ``LEGAL_REPRESENTATIVE``, ``EXECUTIVE``, ``SHAREHOLDER``,
  ``ACTUAL_CONTROLLER``, ``BRANCH_OF`` with ``title`` and ``start_on``
  (``''`` when none: with the end nodes and the type they are the relation's
  identity), ``end_on`` and ``share_pct``.
- ``(subject)-[:LISTED]->(:ListEntry {entry_id})`` and
  ``(:Person)-[:NAMED_RESPONSIBLE]->(:ListEntry)``.
- ``(:Objection {objection_id})-[:OBJECTS_TO]->(:ListEntry)``.
- ``(subject)-[:FLAGGED]->(:Flag)-[:FROM_ENTRY]->(:ListEntry)``.
- ``(:AuditRecord {audit_id})`` and ``(:Meta {key})`` counters and state.
- Search keys on enterprises and persons (``GraphStore.search``):
  ``name_fold`` (ASCII letters lower-cased, for the plain search),
  ``search_name``, ``search_pinyin`` and ``search_initials`` (the keys of
  ``credgraph.text.name_keys`` behind a ``^`` start mark, so
  one text-indexed ``CONTAINS`` answers both "contains" and "starts with"),
  and ``doc``, the load order in which field searches list their hits.

``PARAMETERS`` declares each statement's parameters with an example value;
``tests/store/test_cypher_lint.py`` lints every statement with Neo4j's own
Cypher language tooling against them and against ``LABELS``,
``RELATIONSHIP_TYPES`` and ``PROPERTY_KEYS``.
"""

from __future__ import annotations

from typing import Any, Final

LABELS: Final = (
    "Enterprise",
    "Person",
    "ListEntry",
    "Objection",
    "Flag",
    "AuditRecord",
    "Meta",
    "Commitment",
)
#: Relationship type of each relation role (``Role`` value upper-cased).
ROLE_TYPES: Final = (
    "LEGAL_REPRESENTATIVE",
    "EXECUTIVE",
    "SHAREHOLDER",
    "ACTUAL_CONTROLLER",
    "BRANCH_OF",
)
RELATIONSHIP_TYPES: Final = (
    *ROLE_TYPES,
    "LISTED",
    "NAMED_RESPONSIBLE",
    "OBJECTS_TO",
    "FLAGGED",
    "FROM_ENTRY",
    "COMMITTED",
)
PROPERTY_KEYS: Final = (
    # Enterprise / Person (search keys: see the module docstring)
    "uscc", "name", "name_fold", "search_name", "search_pinyin", "search_initials", "doc",
    "kind", "status", "established_on", "registered_capital",
    "region", "industry", "address", "phone", "email", "phone_norm", "email_norm",
    "address_norm", "person_id", "id_type",
    # relations
    "title", "start_on", "end_on", "share_pct",
    # ListEntry
    "entry_id", "subject_id", "subject_type", "list", "category", "reason", "authority",
    "case_no", "decided_on", "valid_until", "removed_on", "removal_reason",
    "responsible_person_ids",
    # Objection
    "objection_id", "filed_on", "resolved_on", "upheld",
    # Flag
    "flag", "rule", "data",
    # AuditRecord
    "audit_id", "at", "who", "role", "endpoint", "subject_ids", "as_of",
    # Meta
    "key", "value", "generation", "policy_key",
    # Commitment
    "commitment_id", "matter", "promised_by", "made_on", "fulfilled_on",
    # fields of $rows maps read inside patterns (the linter cannot tell a map
    # from a node there)
    "source_id", "target_uscc",
)  # fmt: skip

# -- schema (idempotent, run at start-up) -------------------------------------
CONSTRAINT_ENTERPRISE_USCC = """
CREATE CONSTRAINT enterprise_uscc IF NOT EXISTS
FOR (e:Enterprise) REQUIRE e.uscc IS UNIQUE
"""
CONSTRAINT_PERSON_ID = """
CREATE CONSTRAINT person_person_id IF NOT EXISTS
FOR (p:Person) REQUIRE p.person_id IS UNIQUE
"""
CONSTRAINT_ENTRY_ID = """
CREATE CONSTRAINT list_entry_entry_id IF NOT EXISTS
FOR (e:ListEntry) REQUIRE e.entry_id IS UNIQUE
"""
CONSTRAINT_OBJECTION_ID = """
CREATE CONSTRAINT objection_objection_id IF NOT EXISTS
FOR (o:Objection) REQUIRE o.objection_id IS UNIQUE
"""
CONSTRAINT_AUDIT_ID = """
CREATE CONSTRAINT audit_record_audit_id IF NOT EXISTS
FOR (a:AuditRecord) REQUIRE a.audit_id IS UNIQUE
"""
CONSTRAINT_META_KEY = """
CREATE CONSTRAINT meta_key IF NOT EXISTS
FOR (m:Meta) REQUIRE m.key IS UNIQUE
"""
CONSTRAINT_FLAG_KEY = """
CREATE CONSTRAINT flag_key IF NOT EXISTS
FOR (f:Flag) REQUIRE (f.subject_id, f.flag, f.entry_id) IS UNIQUE
"""
INDEX_ENTRY_SUBJECT = """
CREATE INDEX list_entry_subject_id IF NOT EXISTS FOR (e:ListEntry) ON (e.subject_id)
"""
INDEX_ENTRY_LIST = """
CREATE INDEX list_entry_list IF NOT EXISTS FOR (e:ListEntry) ON (e.list)
"""
INDEX_OBJECTION_ENTRY = """
CREATE INDEX objection_entry_id IF NOT EXISTS FOR (o:Objection) ON (o.entry_id)
"""
INDEX_FLAG_ENTRY = """
CREATE INDEX flag_entry_id IF NOT EXISTS FOR (f:Flag) ON (f.entry_id)
"""
INDEX_ENTERPRISE_NAME = """
CREATE TEXT INDEX enterprise_name_fold IF NOT EXISTS FOR (e:Enterprise) ON (e.name_fold)
"""
INDEX_PERSON_NAME = """
CREATE TEXT INDEX person_name_fold IF NOT EXISTS FOR (p:Person) ON (p.name_fold)
"""
INDEX_ENTERPRISE_SEARCH_NAME = """
CREATE TEXT INDEX enterprise_search_name IF NOT EXISTS FOR (e:Enterprise) ON (e.search_name)
"""
INDEX_PERSON_SEARCH_NAME = """
CREATE TEXT INDEX person_search_name IF NOT EXISTS FOR (p:Person) ON (p.search_name)
"""
INDEX_ENTERPRISE_PINYIN = """
CREATE TEXT INDEX enterprise_search_pinyin IF NOT EXISTS FOR (e:Enterprise) ON (e.search_pinyin)
"""
INDEX_PERSON_PINYIN = """
CREATE TEXT INDEX person_search_pinyin IF NOT EXISTS FOR (p:Person) ON (p.search_pinyin)
"""
INDEX_ENTERPRISE_INITIALS = """
CREATE TEXT INDEX enterprise_search_initials IF NOT EXISTS
FOR (e:Enterprise) ON (e.search_initials)
"""
INDEX_PERSON_INITIALS = """
CREATE TEXT INDEX person_search_initials IF NOT EXISTS FOR (p:Person) ON (p.search_initials)
"""
CONSTRAINT_COMMITMENT_ID = """
CREATE CONSTRAINT commitment_commitment_id IF NOT EXISTS
FOR (c:Commitment) REQUIRE c.commitment_id IS UNIQUE
"""
INDEX_COMMITMENT_SUBJECT = """
CREATE INDEX commitment_subject_id IF NOT EXISTS FOR (c:Commitment) ON (c.subject_id)
"""
INIT_META = """
UNWIND ['generation', 'objection_seq', 'audit_seq', 'doc_seq', 'commitment_seq'] AS key
MERGE (m:Meta {key: key})
ON CREATE SET m.value = 0
"""

SCHEMA: Final = (
    CONSTRAINT_ENTERPRISE_USCC,
    CONSTRAINT_PERSON_ID,
    CONSTRAINT_ENTRY_ID,
    CONSTRAINT_OBJECTION_ID,
    CONSTRAINT_AUDIT_ID,
    CONSTRAINT_META_KEY,
    CONSTRAINT_FLAG_KEY,
    INDEX_ENTRY_SUBJECT,
    INDEX_ENTRY_LIST,
    INDEX_OBJECTION_ENTRY,
    INDEX_FLAG_ENTRY,
    INDEX_ENTERPRISE_NAME,
    INDEX_PERSON_NAME,
    INDEX_ENTERPRISE_SEARCH_NAME,
    INDEX_PERSON_SEARCH_NAME,
    INDEX_ENTERPRISE_PINYIN,
    INDEX_PERSON_PINYIN,
    INDEX_ENTERPRISE_INITIALS,
    INDEX_PERSON_INITIALS,
    CONSTRAINT_COMMITMENT_ID,
    INDEX_COMMITMENT_SUBJECT,
)

# -- fragments (fixed text, spliced at import) ---------------------------------
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

# -- writes --------------------------------------------------------------------
# Each upsert reports the rows written and how many of them changed anything:
# a reload of the same data leaves the generation alone (as the embedded
# store does), so materialised flags stay valid. ``_created`` marks a node or
# relationship that MERGE has just made (so it never compares equal, even
# when its properties are only its identity) and is gone after ``SET x =``.
# A node keeps the ``doc`` number it got when first written.
MERGE_ENTERPRISES = """
UNWIND $rows AS row
MERGE (e:Enterprise {uscc: row.uscc})
ON CREATE SET e._created = true
WITH e, row.props AS props, coalesce(e.doc, row.doc) AS doc
WITH e, props, doc, properties(e) = props {.*, doc: doc} AS unchanged
SET e = props, e.doc = doc
RETURN count(*) AS written, sum(CASE WHEN unchanged THEN 0 ELSE 1 END) AS changed
"""
MERGE_PERSONS = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
ON CREATE SET p._created = true
WITH p, row.props AS props, coalesce(p.doc, row.doc) AS doc
WITH p, props, doc, properties(p) = props {.*, doc: doc} AS unchanged
SET p = props, p.doc = doc
RETURN count(*) AS written, sum(CASE WHEN unchanged THEN 0 ELSE 1 END) AS changed
"""


def _merge_relations(rel_type: str) -> str:
    """The upsert of one role's relations; ``rel_type`` is one of ``ROLE_TYPES``.

    Rows whose source or target node is missing are not written: the caller
    compares ``written`` with its rows and fails the transaction.
    """
    return f"""
UNWIND $rows AS row
MATCH (t:Enterprise {{uscc: row.target_uscc}})
OPTIONAL MATCH (se:Enterprise {{uscc: row.source_id}})
OPTIONAL MATCH (sp:Person {{person_id: row.source_id}})
WITH row, t, CASE row.source_type WHEN 'person' THEN sp ELSE se END AS s
WHERE s IS NOT NULL
MERGE (s)-[r:{rel_type} {{title: row.props.title, start_on: row.props.start_on}}]->(t)
ON CREATE SET r._created = true
WITH r, row, properties(r) = row.props AS unchanged
SET r = row.props
RETURN collect(row.i) AS written, sum(CASE WHEN unchanged THEN 0 ELSE 1 END) AS changed
"""


MERGE_LEGAL_REPRESENTATIVE = _merge_relations("LEGAL_REPRESENTATIVE")
MERGE_EXECUTIVE = _merge_relations("EXECUTIVE")
MERGE_SHAREHOLDER = _merge_relations("SHAREHOLDER")
MERGE_ACTUAL_CONTROLLER = _merge_relations("ACTUAL_CONTROLLER")
MERGE_BRANCH_OF = _merge_relations("BRANCH_OF")

MERGE_ENTRIES = """
UNWIND $rows AS row
MERGE (e:ListEntry {entry_id: row.entry_id})
ON CREATE SET e._created = true
WITH e, row, properties(e) = row.props AS unchanged
SET e = row.props
RETURN count(*) AS written, sum(CASE WHEN unchanged THEN 0 ELSE 1 END) AS changed
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
MATCH (o:Objection)
WHERE o.entry_id IN $entry_ids AND NOT EXISTS { (o)-[:OBJECTS_TO]->(:ListEntry) }
MATCH (e:ListEntry {entry_id: o.entry_id})
CREATE (o)-[:OBJECTS_TO]->(e)
"""
# Takes ``$count`` numbers of the load order for a batch's nodes.
RESERVE_DOCS = """
MATCH (seq:Meta {key: 'doc_seq'})
SET seq.value = seq.value + $count
RETURN seq.value - $count AS first
"""
# Direct dependency read-after-write: Cypher locks the node before reading.
BUMP_GENERATION = """
MATCH (m:Meta {key: 'generation'})
SET m.value = m.value + 1
"""

FILE_OBJECTION = """
MATCH (seq:Meta {key: 'objection_seq'})
SET seq.value = seq.value + 1
CREATE (o:Objection {objection_id: seq.value, entry_id: $entry_id, reason: $reason,
                     filed_on: $filed_on})
WITH o
OPTIONAL MATCH (e:ListEntry {entry_id: $entry_id})
FOREACH (x IN CASE WHEN e IS NULL THEN [] ELSE [e] END | CREATE (o)-[:OBJECTS_TO]->(x))
RETURN properties(o) AS objection
"""
# ``_lock`` takes the objection's write lock before its state is read, so two
# concurrent resolutions cannot both see it open.
RESOLVE_OBJECTION = """
MATCH (o:Objection {objection_id: $objection_id})
SET o._lock = true
WITH o, o.resolved_on IS NULL AS was_open
FOREACH (_ IN CASE WHEN was_open THEN [1] ELSE [] END |
  SET o.resolved_on = $resolved_on, o.upheld = $upheld)
REMOVE o._lock
RETURN was_open, properties(o) AS objection
"""

DELETE_ALL_FLAGS = """
MATCH (f:Flag)
DETACH DELETE f
"""
DELETE_ENTRY_FLAGS = """
MATCH (f:Flag)
WHERE f.entry_id IN $entry_ids
DETACH DELETE f
"""
MERGE_FLAGS = """
UNWIND $rows AS row
MERGE (f:Flag {subject_id: row.subject_id, flag: row.flag, entry_id: row.entry_id})
SET f.data = row.data, f.subject_type = row.subject_type, f.list = row.list, f.rule = row.rule
WITH f, row
OPTIONAL MATCH (se:Enterprise {uscc: row.subject_id})
OPTIONAL MATCH (sp:Person {person_id: row.subject_id})
OPTIONAL MATCH (e:ListEntry {entry_id: row.entry_id})
FOREACH (s IN [x IN [se, sp] WHERE x IS NOT NULL] | MERGE (s)-[:FLAGGED]->(f))
FOREACH (x IN [y IN [e] WHERE y IS NOT NULL] | MERGE (f)-[:FROM_ENTRY]->(x))
"""
SAVE_FLAGS_STATE = """
MERGE (m:Meta {key: 'flags'})
SET m.as_of = $as_of, m.generation = $generation, m.policy_key = $policy_key
"""

APPEND_AUDIT = """
MATCH (seq:Meta {key: 'audit_seq'})
SET seq.value = seq.value + 1
CREATE (:AuditRecord {audit_id: seq.value, at: $at, who: $who, role: $role,
                      endpoint: $endpoint, subject_ids: $subject_ids, as_of: $as_of})
"""

# -- reads ---------------------------------------------------------------------
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

OBJECTIONS_ALL = """
MATCH (o:Objection)
RETURN properties(o) AS objection
ORDER BY o.objection_id
"""
OBJECTIONS_BY_ENTRY = """
MATCH (o:Objection)
WHERE o.entry_id IN $entry_ids
RETURN properties(o) AS objection
ORDER BY o.objection_id
"""
OBJECTION = """
MATCH (o:Objection {objection_id: $objection_id})
RETURN properties(o) AS objection
"""

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

COUNTS = f"""
RETURN COUNT {{ (:Enterprise) }} AS enterprises,
       COUNT {{ (:Person) }} AS persons,
       COUNT {{ ()-[:{_ROLES}]->() }} AS relations,
       COUNT {{ (:ListEntry) }} AS entries,
       COUNT {{ (:Objection) }} AS objections,
       COUNT {{ (:Flag) }} AS flags
"""

FLAGS_STATE = """
MATCH (m:Meta {key: 'flags'})
RETURN m.as_of AS as_of, m.generation AS generation
"""
FLAGS_POLICY = """
MATCH (m:Meta {key: 'flags'})
RETURN coalesce(m.policy_key, '') AS policy_key
"""
_FLAG_FILTERS = """
  AND ($subject_ids IS NULL OR f.subject_id IN $subject_ids)
  AND ($entry_ids IS NULL OR f.entry_id IN $entry_ids)
RETURN f.data AS data
ORDER BY f.subject_id, f.flag, f.entry_id
"""
STORED_FLAGS_BY_SUBJECT = f"""
MATCH (f:Flag)
WHERE f.subject_id IN $subject_ids{_FLAG_FILTERS}"""
STORED_FLAGS_BY_ENTRY = f"""
MATCH (f:Flag)
WHERE f.entry_id IN $entry_ids{_FLAG_FILTERS}"""
STORED_FLAGS_ALL = f"""
MATCH (f:Flag)
WHERE true{_FLAG_FILTERS}"""

# Empties the database (tests); the store's counters are made again after.
WIPE = """
MATCH (n)
DETACH DELETE n
"""

AUDIT = """
MATCH (a:AuditRecord)
WHERE a.audit_id > $after_id
RETURN properties(a) AS record
ORDER BY a.audit_id
LIMIT $limit
"""

# -- declared parameters (example values), checked by the Cypher lint test ----
_USCC = "91110000600037341L"
_PERSON = "110101199003074475"
_RELATION_ROWS = [
    {
        "i": 0,
        "source_id": _PERSON,
        "source_type": "person",
        "target_uscc": _USCC,
        "props": {"title": "", "start_on": "2020-01-01", "share_pct": 60.0},
    }
]
_EXPAND = {"ids": [_USCC], "types": ["SHAREHOLDER"], "as_of": "2024-01-01"}
_ENTRY_PARAMS = {
    "entry_ids": ["E1"],
    "subject_ids": [_USCC],
    "responsible_person_ids": [_PERSON],
    "lists": ["serious_dishonesty"],
}
_FLAG_PARAMS = {"subject_ids": [_USCC], "entry_ids": ["E1"]}
_SEARCH_ID = {"prefix": "9111", "limit": 20}
_SEARCH_NAME = {"needle": "acme", "limit": 20}
_NODE_PROPS = {
    "name": "Acme",
    "name_fold": "acme",
    "search_name": "^acme",
    "search_pinyin": "^ acme ",
    "search_initials": "^ a c m e ",
}

# -- credit commitments (002:L15): not graph data, no generation bump --------
ADD_COMMITMENT = """
MATCH (seq:Meta {key: 'commitment_seq'})
SET seq.value = seq.value + 1
CREATE (c:Commitment {commitment_id: seq.value, subject_id: $subject_id, matter: $matter,
                      promised_by: $promised_by, made_on: $made_on})
WITH c
OPTIONAL MATCH (e:Enterprise {uscc: $subject_id})
OPTIONAL MATCH (p:Person {person_id: $subject_id})
FOREACH (s IN [x IN [e, p] WHERE x IS NOT NULL] | CREATE (s)-[:COMMITTED]->(c))
RETURN properties(c) AS commitment
"""
FULFIL_COMMITMENT = """
MATCH (c:Commitment {commitment_id: $commitment_id})
SET c._lock = true
WITH c, c.fulfilled_on IS NULL AS was_open
FOREACH (_ IN CASE WHEN was_open THEN [1] ELSE [] END | SET c.fulfilled_on = $fulfilled_on)
REMOVE c._lock
RETURN was_open, properties(c) AS commitment
"""
COMMITMENTS_ALL = """
MATCH (c:Commitment)
RETURN properties(c) AS commitment
ORDER BY c.commitment_id
"""
COMMITMENTS_BY_SUBJECT = """
MATCH (c:Commitment)
WHERE c.subject_id IN $subject_ids
RETURN properties(c) AS commitment
ORDER BY c.commitment_id
"""

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    **{name: {} for name in (
        "CONSTRAINT_ENTERPRISE_USCC", "CONSTRAINT_PERSON_ID", "CONSTRAINT_ENTRY_ID",
        "CONSTRAINT_OBJECTION_ID", "CONSTRAINT_AUDIT_ID", "CONSTRAINT_META_KEY",
        "CONSTRAINT_FLAG_KEY", "INDEX_ENTRY_SUBJECT", "INDEX_ENTRY_LIST",
        "INDEX_OBJECTION_ENTRY", "INDEX_FLAG_ENTRY", "INDEX_ENTERPRISE_NAME",
        "INDEX_PERSON_NAME", "INDEX_ENTERPRISE_SEARCH_NAME", "INDEX_PERSON_SEARCH_NAME",
        "INDEX_ENTERPRISE_PINYIN", "INDEX_PERSON_PINYIN", "INDEX_ENTERPRISE_INITIALS",
        "INDEX_PERSON_INITIALS", "WIPE", "INIT_META", "BUMP_GENERATION", "DELETE_ALL_FLAGS",
        "GENERATION", "ITER_ENTERPRISE_RELATIONS", "ITER_PERSON_RELATIONS", "ITER_ENTERPRISES",
        "ITER_PERSONS", "OBJECTIONS_ALL", "COUNTS", "FLAGS_STATE", "FLAGS_POLICY",
        "CONSTRAINT_COMMITMENT_ID", "INDEX_COMMITMENT_SUBJECT", "COMMITMENTS_ALL",
    )},
    "ADD_COMMITMENT": {
        "subject_id": _USCC, "matter": "补交环评报告", "promised_by": "2025-04-30",
        "made_on": "2025-01-02",
    },
    "FULFIL_COMMITMENT": {"commitment_id": 1, "fulfilled_on": "2025-04-28"},
    "COMMITMENTS_BY_SUBJECT": {"subject_ids": [_USCC]},
    "MERGE_ENTERPRISES": {
        "rows": [{"uscc": _USCC, "doc": 1,
                  "props": {"uscc": _USCC, "kind": "company", **_NODE_PROPS}}]
    },
    "MERGE_PERSONS": {
        "rows": [{"person_id": _PERSON, "doc": 2,
                  "props": {"person_id": _PERSON, "id_type": "resident_id", **_NODE_PROPS}}]
    },
    "RESERVE_DOCS": {"count": 2},
    "MERGE_LEGAL_REPRESENTATIVE": {"rows": _RELATION_ROWS},
    "MERGE_EXECUTIVE": {"rows": _RELATION_ROWS},
    "MERGE_SHAREHOLDER": {"rows": _RELATION_ROWS},
    "MERGE_ACTUAL_CONTROLLER": {"rows": _RELATION_ROWS},
    "MERGE_BRANCH_OF": {"rows": _RELATION_ROWS},
    "MERGE_ENTRIES": {
        "rows": [{"entry_id": "E1", "props": {"entry_id": "E1", "subject_id": _USCC}}]
    },
    "LINK_ENTRY_SUBJECTS": {
        "rows": [{"entry_id": "E1", "subject_id": _USCC, "subject_type": "enterprise"}]
    },
    "LINK_NAMED_RESPONSIBLE": {"rows": [{"entry_id": "E1", "person_ids": [_PERSON]}]},
    "LINK_OBJECTIONS": {"entry_ids": ["E1"]},
    "FILE_OBJECTION": {"entry_id": "E1", "reason": "paid in full", "filed_on": "2024-01-02"},
    "RESOLVE_OBJECTION": {"objection_id": 1, "upheld": True, "resolved_on": "2024-02-01"},
    "DELETE_ENTRY_FLAGS": {"entry_ids": ["E1"]},
    "MERGE_FLAGS": {
        "rows": [{"subject_id": _USCC, "flag": "listed", "entry_id": "E1", "data": "{}",
                  "subject_type": "enterprise", "list": "serious_dishonesty", "rule": "L0"}]
    },
    "SAVE_FLAGS_STATE": {"as_of": "2024-01-01", "generation": 3, "policy_key": "a1b2c3"},
    "APPEND_AUDIT": {"at": "2024-01-01T00:00:00.000+00:00", "who": "key-1", "role": "admin",
                     "endpoint": "GET /entities/{id}", "subject_ids": [_USCC],
                     "as_of": "2024-01-01"},
    "NODES": {"ids": [_USCC, _PERSON]},
    "EXISTING_IDS": {"ids": [_USCC, _PERSON]},
    "EXPAND_OUT": _EXPAND,
    "EXPAND_IN": _EXPAND,
    **{name: _ENTRY_PARAMS for name in (
        "ENTRIES_BY_ID", "ENTRIES_BY_SUBJECT", "ENTRIES_BY_RESPONSIBLE", "ENTRIES_BY_LIST",
        "ENTRIES_ALL",
    )},
    "OBJECTIONS_BY_ENTRY": {"entry_ids": ["E1"]},
    "OBJECTION": {"objection_id": 1},
    "SEARCH_ENTERPRISE_IDS": _SEARCH_ID,
    "SEARCH_PERSON_IDS": _SEARCH_ID,
    "SEARCH_ENTERPRISE_NAMES": _SEARCH_NAME,
    "SEARCH_PERSON_NAMES": _SEARCH_NAME,
    "SEARCH_NAME_KEYS": _SEARCH_NAME,
    "SEARCH_PINYIN": {"needle": "^ bei jing ", "limit": 20},
    "SEARCH_INITIALS": {"needle": " b j ", "limit": 20},
    "STORED_FLAGS_BY_SUBJECT": _FLAG_PARAMS,
    "STORED_FLAGS_BY_ENTRY": _FLAG_PARAMS,
    "STORED_FLAGS_ALL": _FLAG_PARAMS,
    "AUDIT": {"after_id": 0, "limit": 100},
}  # fmt: skip
