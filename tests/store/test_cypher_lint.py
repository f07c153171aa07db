"""Every Cypher constant of the Neo4j backend, linted with Neo4j's own tooling.

The statements are checked offline (no server needed) by
``@neo4j-cypher/language-support`` (``lintCypherQuery``: syntax, semantic
analysis such as undefined variables, undeclared parameters, and unknown
labels, relationship types and property keys against the declared schema).
Any diagnostic, error or warning, fails the test. ``make pytest`` installs the
package into ``node_modules`` from ``package-lock.json``.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j._sync.work.transaction import TransactionBase
from stores import Server

from credgraph.model import (
    Batch,
    Enterprise,
    Flag,
    FlagKind,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    Role,
    Rule,
)
from credgraph.store import Direction
from credgraph.store.base import SearchField
from credgraph.store.feed import DeliveryAttempt, PendingDelivery
from credgraph.store.neo4j import backend, cypher

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("lint_cypher.mjs")
PACKAGE = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"

needs_linter = pytest.mark.skipif(
    not PACKAGE.is_dir(),
    reason="node_modules/@neo4j-cypher/language-support absent: run `make node_modules`",
)

STATEMENTS: dict[str, str] = cypher.STATEMENTS
SCHEMA = {
    "labels": list(cypher.LABELS),
    "relationshipTypes": list(cypher.RELATIONSHIP_TYPES),
    "propertyKeys": list(cypher.PROPERTY_KEYS),
}
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def lint(queries: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Diagnostics per statement name, from one run of the node script."""
    payload = {
        "schema": SCHEMA,
        "queries": {
            name: {"query": query, "parameters": params}
            for name, (query, params) in queries.items()
        },
    }
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return result


#: Broken statements linted in the same run: proof that each kind of mistake
#: is caught (negative self-test), with a piece of the expected message.
BROKEN: dict[str, tuple[str, dict[str, Any], str]] = {
    "syntax": ("MATCH (e:Enterprise) RETRN e", {}, "Invalid input 'RETRN'"),
    "undefined_variable": ("MATCH (e:Enterprise) RETURN x", {}, "Variable `x` not defined"),
    "undefined_parameter": (
        "MATCH (e:Enterprise) WHERE e.uscc IN $ids RETURN e",
        {},
        "Parameter $ids is not defined",
    ),
    "unknown_label": ("MATCH (e:Enterprse) RETURN e", {}, "Label Enterprse is not present"),
    "unknown_property": ("MATCH (e:Enterprise) RETURN e.usc", {}, "usc is not present"),
    "unknown_type": (
        "MATCH (:Person)-[r:SHAREHOLDR]->(:Enterprise) RETURN r",
        {},
        "SHAREHOLDR",
    ),
}


@pytest.fixture(scope="module")
def diagnostics() -> dict[str, list[dict[str, Any]]]:
    queries = {name: (query, cypher.PARAMETERS[name]) for name, query in STATEMENTS.items()}
    queries.update({f"broken:{k}": (q, params) for k, (q, params, _) in BROKEN.items()})
    return lint(queries)


def test_there_are_statements_to_lint() -> None:
    assert len(STATEMENTS) >= 40
    assert {"MERGE_ENTERPRISES", "EXPAND_OUT", "EXPAND_IN", "FILE_OBJECTION"} <= set(STATEMENTS)


def test_every_statement_declares_exactly_the_parameters_it_uses() -> None:
    assert set(cypher.PARAMETERS) == set(STATEMENTS)
    for name, query in STATEMENTS.items():
        assert set(PARAMETER.findall(query)) == set(cypher.PARAMETERS[name]), name


@needs_linter
def test_every_statement_lints_clean(diagnostics: dict[str, list[dict[str, Any]]]) -> None:
    dirty = {name: found for name, found in diagnostics.items() if found and name in STATEMENTS}
    assert set(STATEMENTS) <= set(diagnostics)
    assert dirty == {}


def test_no_statement_formats_values_at_run_time() -> None:
    for name, query in STATEMENTS.items():
        assert "{}" not in query and "%s" not in query, name


@needs_linter
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_statement_is_caught(
    case: str, diagnostics: dict[str, list[dict[str, Any]]]
) -> None:
    query, _, expected = BROKEN[case]
    found = diagnostics[f"broken:{case}"]
    assert found, f"no diagnostic for {query!r}"
    assert any(expected in d["message"] for d in found), found


# -- the backend sends each statement exactly the parameters it uses ------------------
def exercise_monitoring(store: backend.Neo4jStore) -> None:
    """Every monitoring primitive once (``credgraph.store.feed``)."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    store.changes(0, 10, subject_ids=["U1"], watchlist="w", upto_seq=5)
    store.last_seq()
    store.seq_before(now)
    store.create_watchlist("w", "o")
    store.watch("w", ["U1"])
    store.unwatch("w", ["U1"])
    store.watchlists()
    store.watched_ids("w", 10)
    store.add_webhook("h", "https://example.org/h", "w", "0123456789abcdef", "o")
    store.webhooks()
    store.webhook_secret("h")
    store.claim_webhook("h", "host:1:x", now, now)
    store.release_webhook("h", "host:1:x")
    store.pending_delivery("h")
    store.set_pending("h", PendingDelivery(delivery_id="d1", first_seq=1, last_seq=2, events=2,
                                           body=b"{}"))  # fmt: skip
    store.skip_to("h", 2)
    attempt = DeliveryAttempt(attempt_id=0, webhook="h", delivery_id="d1", first_seq=1,
                              last_seq=2, events=2, attempted_at=now, ok=True, status=200,
                              duration_ms=5)  # fmt: skip
    store.record_attempt(attempt, None)
    store.delivery_log("h")
    store.remove_webhook("h")
    store.delete_watchlist("w")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every statement the driver sends, with its parameters (the real driver,
    watched: ``execute_query``, auto-commit and transaction ``run``)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def watch(cls: Any, method: str) -> None:
        original = getattr(cls, method)

        def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            query = args[0] if args else kwargs.get("query_")
            params = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            calls.append(
                (
                    str(query),
                    {**(params or {}), **{k: v for k, v in kwargs.items() if not k.endswith("_")}},
                )
            )
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, recorded)

    watch(neo4j.Driver, "execute_query")
    watch(neo4j.Session, "run")
    watch(TransactionBase, "run")
    return calls


@pytest.mark.neo4j
def test_the_backend_sends_each_statement_exactly_its_parameters(
    neo4j_store: backend.Neo4jStore,
    neo4j_server: Server,
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    """On the live server: every primitive of the Neo4j backend runs; each
    statement it sends is one of the linted constants, with exactly the
    parameters that statement uses, and every constant is used."""
    store = neo4j_store
    store.wipe()
    firm = Enterprise(uscc="U1", name="Acme")
    person = Person(person_id="P1", name="Li")
    batch = Batch(
        enterprises=[firm],
        persons=[person],
        relations=[
            Relation(source_id="P1", source_type=NodeKind.PERSON, target_uscc="U1", role=role)
            for role in Role
        ],
        entries=[
            ListEntry(entry_id="E1", subject_id="U1", subject_type=NodeKind.ENTERPRISE,
                      list=ListKind.RED, decided_on=date(2024, 1, 1),
                      responsible_person_ids=("P1",))
        ],
    )  # fmt: skip
    store.upsert(batch)
    with store.bulk() as writer:
        writer.upsert(batch)
        store.nodes(["U1"])
    store.file_objection("E1", "r", date(2024, 1, 2))
    store.resolve_objection(1, True, date(2024, 1, 3))
    flags = [
        Flag(subject_id="U1", subject_type=NodeKind.ENTERPRISE, flag=FlagKind.LISTED,
             list=ListKind.RED, entry_id="E1", rule=Rule.L0, citation="003:L24", path=["U1"],
             relations=[])
    ]  # fmt: skip
    store.save_flags(date(2024, 1, 3), 2, flags)
    store.save_flags(date(2024, 1, 3), 2, flags, replace_entries=["E1"])
    store.save_flags(date(2024, 1, 3), 2, [])  # ends the flag
    store.append_audit("k", "admin", "GET /audit", ["U1"], None)
    store.generation()
    store.nodes(["U1", "P1"])
    store.existing_ids(["U1"])
    for direction in Direction:
        store.expand(["U1"], direction, [Role.SHAREHOLDER], date(2024, 1, 1))
        store.neighbour_ids(["U1"], direction, [Role.SHAREHOLDER], date(2024, 1, 1))
    store.expand_between(["P1"], ["U1"], [Role.SHAREHOLDER], date(2024, 1, 1))
    store.entries()
    store.entries(entry_ids=["E1"])
    store.entries(subject_ids=["U1"], lists=[ListKind.RED])
    store.entries(responsible_person_ids=["P1"])
    store.entries(lists=[ListKind.RED])
    store.objections()
    store.objections(["E1"])
    store.objection(1)
    store.add_commitment("U1", "补交环评报告", date(2025, 4, 30), date(2025, 1, 2))
    store.fulfil_commitment(1, date(2025, 4, 28))
    store.commitments()
    store.commitments(["U1"])
    store.search("acme", offset=1)
    for field in SearchField:
        store.search("beijing", field=field, start=True)
    store.wipe()
    store.contacts(["U1"])
    for kind in ("phone", "email", "address"):
        store.contact_usage(kind, ["13800138000"])
    store.counts()
    list(store.iter_nodes(NodeKind.ENTERPRISE))
    list(store.iter_nodes(NodeKind.PERSON))
    list(store.iter_relations())
    store.flags_state()
    store.flags_policy_key()
    store.stored_flags()
    store.stored_flags(subject_ids=["U1"])
    store.stored_flags(entry_ids=["E1"])
    store.audit()
    exercise_monitoring(store)
    backend.Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password).close()

    names = {query: name for name, query in STATEMENTS.items()}
    calls = sent
    for query, params in calls:
        assert query in names, f"not a linted constant: {query[:60]!r}"
        assert set(params) == set(PARAMETER.findall(query)), names[query]
    assert set(names) - {query for query, _ in calls} == set(), "constants never sent"
