"""The graph model's schema: labels, types, property keys, constraints, indexes.

Run at start-up (idempotent). Every lookup by id is backed by a uniqueness
constraint (its index), checked by ``tests/store/test_neo4j_plans.py``.
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
    # monitoring (``feed``, ``monitor``)
    "Change",
    "Watchlist",
    "Watched",
    "Webhook",
    "Delivery",
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
    # Enterprise / Person (search keys: see the package docstring)
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
    # Flag (a version of a flag: visible in runs from_run .. to_run - 1)
    "flag", "rule", "data", "from_run", "to_run",
    # AuditRecord
    "audit_id", "at", "who", "role", "endpoint", "subject_ids", "as_of",
    # Meta
    "key", "value", "generation", "policy_key", "run", "next_run", "writer",
    # Commitment
    "commitment_id", "matter", "promised_by", "made_on", "fulfilled_on",
    # Change (``feed``)
    "seq", "tx", "recorded_us", "related_id", "detail", "_lock",
    # Watchlist, Watched, Webhook, Delivery (``monitor``)
    "owner", "created_at", "watchlist", "url", "secret", "fingerprint", "cursor", "failures",
    "lease_holder", "lease_until", "pending_id", "attempt_id", "webhook",
    # fields of $rows maps read inside patterns (the linter cannot tell a map
    # from a node there)
    "source_id", "target_uscc",
)  # fmt: skip

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
CONSTRAINT_FLAG_VERSION = """
CREATE CONSTRAINT flag_version IF NOT EXISTS
FOR (f:Flag) REQUIRE (f.subject_id, f.flag, f.entry_id, f.from_run) IS UNIQUE
"""
CONSTRAINT_COMMITMENT_ID = """
CREATE CONSTRAINT commitment_commitment_id IF NOT EXISTS
FOR (c:Commitment) REQUIRE c.commitment_id IS UNIQUE
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
INDEX_FLAG_SUBJECT = """
CREATE INDEX flag_subject_id IF NOT EXISTS FOR (f:Flag) ON (f.subject_id)
"""
INDEX_FLAG_ENTRY = """
CREATE INDEX flag_entry_id IF NOT EXISTS FOR (f:Flag) ON (f.entry_id)
"""
INDEX_FLAG_FROM_RUN = """
CREATE INDEX flag_from_run IF NOT EXISTS FOR (f:Flag) ON (f.from_run)
"""
INDEX_FLAG_TO_RUN = """
CREATE INDEX flag_to_run IF NOT EXISTS FOR (f:Flag) ON (f.to_run)
"""
INDEX_COMMITMENT_SUBJECT = """
CREATE INDEX commitment_subject_id IF NOT EXISTS FOR (c:Commitment) ON (c.subject_id)
"""
INDEX_ENTERPRISE_PHONE = """
CREATE INDEX enterprise_phone_norm IF NOT EXISTS FOR (e:Enterprise) ON (e.phone_norm)
"""
INDEX_ENTERPRISE_EMAIL = """
CREATE INDEX enterprise_email_norm IF NOT EXISTS FOR (e:Enterprise) ON (e.email_norm)
"""
INDEX_ENTERPRISE_ADDRESS = """
CREATE INDEX enterprise_address_norm IF NOT EXISTS FOR (e:Enterprise) ON (e.address_norm)
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
# Counters that only writers of their own kind touch (never an API read):
# the audit log has none (its ids come from the clock, see ``ledger``).
INIT_META = """
UNWIND ['generation', 'objection_seq', 'doc_seq', 'commitment_seq'] AS key
MERGE (m:Meta {key: key})
ON CREATE SET m.value = 0
"""
# Waits until every index is online, so the first query plans use them.
AWAIT_INDEXES = """
CALL db.awaitIndexes(300)
"""

SCHEMA: Final = (
    CONSTRAINT_ENTERPRISE_USCC,
    CONSTRAINT_PERSON_ID,
    CONSTRAINT_ENTRY_ID,
    CONSTRAINT_OBJECTION_ID,
    CONSTRAINT_AUDIT_ID,
    CONSTRAINT_META_KEY,
    CONSTRAINT_FLAG_VERSION,
    CONSTRAINT_COMMITMENT_ID,
    INDEX_ENTRY_SUBJECT,
    INDEX_ENTRY_LIST,
    INDEX_OBJECTION_ENTRY,
    INDEX_FLAG_SUBJECT,
    INDEX_FLAG_ENTRY,
    INDEX_FLAG_FROM_RUN,
    INDEX_FLAG_TO_RUN,
    INDEX_COMMITMENT_SUBJECT,
    INDEX_ENTERPRISE_NAME,
    INDEX_PERSON_NAME,
    INDEX_ENTERPRISE_SEARCH_NAME,
    INDEX_PERSON_SEARCH_NAME,
    INDEX_ENTERPRISE_PINYIN,
    INDEX_PERSON_PINYIN,
    INDEX_ENTERPRISE_INITIALS,
    INDEX_PERSON_INITIALS,
    INDEX_ENTERPRISE_PHONE,
    INDEX_ENTERPRISE_EMAIL,
    INDEX_ENTERPRISE_ADDRESS,
)

# Empties the database (tests): run until it deletes nothing; the schema stays,
# and the generation counter: a wipe moves it on (``WIPED``), it never goes back
# to a value a cache may have seen.
WIPE = """
MATCH (n)
WHERE NOT (n:Meta AND n.key = 'generation')
WITH n LIMIT 10000
DETACH DELETE n
RETURN count(*) AS deleted
"""

# After a wipe: the counters made again (``INIT_META``), the generation one more.
WIPED = """
MERGE (m:Meta {key: 'generation'})
ON CREATE SET m.value = 0
SET m.value = m.value + 1
"""

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    **{name: {} for name, value in list(globals().items())
       if name.isupper() and isinstance(value, str)},
}  # fmt: skip
