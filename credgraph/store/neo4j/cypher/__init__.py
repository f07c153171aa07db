"""Every Cypher statement of the Neo4j backend, as named constants.

Values only ever travel as parameters (``$rows`` batches, ``$ids`` lists):
nothing here is formatted at run time. The f-strings only splice fixed
fragments (relationship types, filters, projections) at import.

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
- ``(subject)-[:FLAGGED]->(:Flag)-[:FROM_ENTRY]->(:ListEntry)``, flags kept
  in versioned runs (``flags``).
- ``(:AuditRecord {audit_id})``, ``(:Commitment {commitment_id})`` and
  ``(:Meta {key})`` counters and state.
- Monitoring (DESIGN §10): ``(:Change {seq})`` events of the change feed
  (``feed``), ``(:Watchlist)``, ``(:Watched)``, ``(:Webhook)`` and
  ``(:Delivery)`` (``monitor``).
- Search keys on enterprises and persons (``GraphStore.search``):
  ``name_fold`` (ASCII letters lower-cased, for the plain search),
  ``search_name``, ``search_pinyin`` and ``search_initials`` (the keys of
  ``credgraph.store.search_index.name_keys`` behind a ``^`` start mark, so
  one text-indexed ``CONTAINS`` answers both "contains" and "starts with"),
  and ``doc``, the load order in which field searches list their hits.

Each module declares ``PARAMETERS``, each statement's parameters with an
example value; ``tests/store/test_cypher_lint.py`` lints every statement
with Neo4j's own Cypher language tooling against them and against
``LABELS``, ``RELATIONSHIP_TYPES`` and ``PROPERTY_KEYS``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Final

from credgraph.store.neo4j.cypher import feed, flags, ledger, loads, monitor, reads, schema
from credgraph.store.neo4j.cypher.schema import (
    LABELS,
    PROPERTY_KEYS,
    RELATIONSHIP_TYPES,
    ROLE_TYPES,
)

MODULES: Final[tuple[ModuleType, ...]] = (schema, loads, reads, flags, ledger, feed, monitor)


def _statements(module: ModuleType) -> dict[str, str]:
    return {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }


#: Every statement by name (names are unique across the modules).
STATEMENTS: Final[dict[str, str]] = {
    name: query for module in MODULES for name, query in _statements(module).items()
}
PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    name: params for module in MODULES for name, params in module.PARAMETERS.items()
}

__all__ = [
    "LABELS",
    "MODULES",
    "PARAMETERS",
    "PROPERTY_KEYS",
    "RELATIONSHIP_TYPES",
    "ROLE_TYPES",
    "STATEMENTS",
    "feed",
    "flags",
    "ledger",
    "loads",
    "monitor",
    "reads",
    "schema",
]
