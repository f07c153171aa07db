"""Materialised flags, saved in runs (``GraphStore.save_flags``).

A ``(:Flag)`` node is one version of a flag, visible in the runs
``from_run`` .. ``to_run - 1`` (``to_run`` absent: still visible).
``(:Meta {key: 'flags'})`` holds ``run`` (the run readers see, with its
``as_of``, ``generation`` and ``policy_key``) and ``next_run`` (the run being
written). A save writes only the flags that changed, in bounded
transactions, and makes them visible at once by setting ``run``: readers
never see half a save, and a crash mid-save leaves the previous run
visible (the next save removes what the crashed one left).
"""

from __future__ import annotations

from typing import Any, Final

_VISIBLE = "f.from_run <= m.run AND coalesce(f.to_run, m.run + 1) > m.run"

BEGIN_FLAG_RUN = """
MERGE (m:Meta {key: 'flags'})
SET m.next_run = coalesce(m.next_run, 0) + 1
RETURN m.next_run AS run, coalesce(m.run, 0) AS current
"""
# Clean-up at the start of a save, each run in batches until it returns 0:
# versions written by a save that never finished, versions it ended, and
# versions no longer visible.
DROP_UNFINISHED_FLAGS = """
MATCH (f:Flag)
WHERE f.from_run > $current
WITH f LIMIT $limit
DETACH DELETE f
RETURN count(*) AS done
"""
REOPEN_FLAGS = """
MATCH (f:Flag)
WHERE f.to_run > $current
WITH f LIMIT $limit
REMOVE f.to_run
RETURN count(*) AS done
"""
DROP_ENDED_FLAGS = """
MATCH (f:Flag)
WHERE f.to_run <= $current
WITH f LIMIT $limit
DETACH DELETE f
RETURN count(*) AS done
"""
# What a save compares its flags with (after the clean-up, the visible
# versions are those not ended).
CURRENT_FLAGS = """
MATCH (f:Flag)
WHERE f.from_run IS NOT NULL AND f.to_run IS NULL
RETURN f.subject_id AS subject_id, f.flag AS flag, f.entry_id AS entry_id, f.data AS data
"""
CURRENT_SUBJECT_FLAGS = """
MATCH (f:Flag)
WHERE f.subject_id IN $subject_ids AND f.from_run IS NOT NULL AND f.to_run IS NULL
RETURN f.subject_id AS subject_id, f.flag AS flag, f.entry_id AS entry_id, f.data AS data
"""
CURRENT_ENTRY_FLAGS = """
MATCH (f:Flag)
WHERE f.entry_id IN $entry_ids AND f.to_run IS NULL
RETURN f.subject_id AS subject_id, f.flag AS flag, f.entry_id AS entry_id, f.data AS data
"""
# First statement of every write of a save: takes the write lock of the
# flags state and checks that no later save has begun (it would own the run).
LOCK_FLAG_RUN = """
MATCH (m:Meta {key: 'flags'})
WHERE m.next_run = $run
SET m.writer = $run
RETURN m.next_run AS run
"""
END_FLAGS = """
UNWIND $keys AS key
MATCH (f:Flag {subject_id: key[0], flag: key[1], entry_id: key[2]})
WHERE f.to_run IS NULL
SET f.to_run = $run
"""
CREATE_FLAGS = """
UNWIND $rows AS row
CREATE (f:Flag {subject_id: row.subject_id, flag: row.flag, entry_id: row.entry_id,
                from_run: $run, data: row.data, subject_type: row.subject_type,
                list: row.list, rule: row.rule})
WITH f, row
OPTIONAL MATCH (se:Enterprise {uscc: row.subject_id})
OPTIONAL MATCH (sp:Person {person_id: row.subject_id})
OPTIONAL MATCH (e:ListEntry {entry_id: row.entry_id})
FOREACH (s IN [x IN [se, sp] WHERE x IS NOT NULL] | CREATE (s)-[:FLAGGED]->(f))
FOREACH (x IN [y IN [e] WHERE y IS NOT NULL] | CREATE (f)-[:FROM_ENTRY]->(x))
"""
COMMIT_FLAG_RUN = """
MATCH (m:Meta {key: 'flags'})
WHERE m.next_run = $run
SET m.run = $run, m.as_of = $as_of, m.generation = $generation, m.policy_key = $policy_key
RETURN m.run AS run
"""

FLAGS_STATE = """
MATCH (m:Meta {key: 'flags'})
WHERE m.run IS NOT NULL
RETURN m.as_of AS as_of, m.generation AS generation
"""
FLAGS_POLICY = """
MATCH (m:Meta {key: 'flags'})
WHERE m.run IS NOT NULL
RETURN coalesce(m.policy_key, '') AS policy_key
"""
# The state and the flags of one run, read together.
_STORED_RETURN = f"""
  AND {_VISIBLE}
  AND ($entry_ids IS NULL OR f.entry_id IN $entry_ids)
RETURN m.as_of AS as_of, m.generation AS generation, f.data AS data
ORDER BY f.subject_id, f.flag, f.entry_id
"""
STORED_FLAGS_BY_SUBJECT = f"""
MATCH (m:Meta {{key: 'flags'}})
WHERE m.run IS NOT NULL
OPTIONAL MATCH (f:Flag)
WHERE f.subject_id IN $subject_ids{_STORED_RETURN}"""
STORED_FLAGS_BY_ENTRY = f"""
MATCH (m:Meta {{key: 'flags'}})
WHERE m.run IS NOT NULL
OPTIONAL MATCH (f:Flag)
WHERE f.entry_id IN $entry_ids{_STORED_RETURN}"""
STORED_FLAGS_ALL = f"""
MATCH (m:Meta {{key: 'flags'}})
WHERE m.run IS NOT NULL
OPTIONAL MATCH (f:Flag)
WHERE f.from_run IS NOT NULL{_STORED_RETURN}"""

_USCC = "91110000600037341L"
_CLEAN = {"current": 3, "limit": 10000}

PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    "BEGIN_FLAG_RUN": {},
    "DROP_UNFINISHED_FLAGS": _CLEAN,
    "REOPEN_FLAGS": _CLEAN,
    "DROP_ENDED_FLAGS": _CLEAN,
    "CURRENT_FLAGS": {},
    "CURRENT_SUBJECT_FLAGS": {"subject_ids": [_USCC]},
    "CURRENT_ENTRY_FLAGS": {"entry_ids": ["E1"]},
    "LOCK_FLAG_RUN": {"run": 4},
    "END_FLAGS": {"keys": [[_USCC, "listed", "E1"]], "run": 4},
    "CREATE_FLAGS": {
        "rows": [{"subject_id": _USCC, "flag": "listed", "entry_id": "E1", "data": "{}",
                  "subject_type": "enterprise", "list": "serious_dishonesty", "rule": "L0"}],
        "run": 4,
    },
    "COMMIT_FLAG_RUN": {"run": 4, "as_of": "2024-01-01", "generation": 3, "policy_key": "a1b2"},
    "FLAGS_STATE": {},
    "FLAGS_POLICY": {},
    "STORED_FLAGS_BY_SUBJECT": {"subject_ids": [_USCC], "entry_ids": None},
    "STORED_FLAGS_BY_ENTRY": {"entry_ids": ["E1"]},
    "STORED_FLAGS_ALL": {"entry_ids": None},
}  # fmt: skip
