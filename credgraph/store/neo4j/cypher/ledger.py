"""Objections, credit commitments and the audit log.

Objections and commitments number themselves from a counter of their own
(rare writes). The audit log, written on every API lookup, has no counter:
its ids come from the writer's clock (``ledger.audit_ids``), so concurrent
requests never queue on one node.
"""

from __future__ import annotations

from typing import Any, Final

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

AUDIT = """
MATCH (a:AuditRecord)
WHERE a.audit_id > $after_id
RETURN properties(a) AS record
ORDER BY a.audit_id
LIMIT $limit
"""
APPEND_AUDIT = """
CREATE (:AuditRecord {audit_id: $audit_id, at: $at, who: $who, role: $role,
                      endpoint: $endpoint, subject_ids: $subject_ids, as_of: $as_of})
"""

_USCC = "91110000600037341L"

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    "FILE_OBJECTION": {"entry_id": "E1", "reason": "paid in full", "filed_on": "2024-01-02"},
    "RESOLVE_OBJECTION": {"objection_id": 1, "upheld": True, "resolved_on": "2024-02-01"},
    "OBJECTIONS_ALL": {},
    "OBJECTIONS_BY_ENTRY": {"entry_ids": ["E1"]},
    "OBJECTION": {"objection_id": 1},
    "ADD_COMMITMENT": {
        "subject_id": _USCC, "matter": "补交环评报告", "promised_by": "2025-04-30",
        "made_on": "2025-01-02",
    },
    "FULFIL_COMMITMENT": {"commitment_id": 1, "fulfilled_on": "2025-04-28"},
    "COMMITMENTS_ALL": {},
    "COMMITMENTS_BY_SUBJECT": {"subject_ids": [_USCC]},
    "APPEND_AUDIT": {"audit_id": 1, "at": "2024-01-01T00:00:00.000+00:00", "who": "key-1",
                     "role": "admin", "endpoint": "GET /entities/{id}", "subject_ids": [_USCC],
                     "as_of": "2024-01-01"},
    "AUDIT": {"after_id": 0, "limit": 100},
}  # fmt: skip
