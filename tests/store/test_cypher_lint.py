"""Every Cypher constant of the Neo4j backend, linted with Neo4j's own tooling.

There is no Neo4j server here: the statements are checked offline by
``@neo4j-cypher/language-support`` (``lintCypherQuery``: syntax, semantic
analysis such as undefined variables, undeclared parameters, and unknown
labels, relationship types and property keys against the declared schema).
Any diagnostic, error or warning, fails the test. ``make pytest`` installs the
package into ``node_modules`` from ``package-lock.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from credgraph.store.neo4j import cypher

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("lint_cypher.mjs")
PACKAGE = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"

pytestmark = pytest.mark.skipif(
    not PACKAGE.is_dir() or shutil.which("node") is None,
    reason="node_modules/@neo4j-cypher/language-support absent (or no node): run `make node_modules`",
)

STATEMENTS: dict[str, str] = {
    name: value
    for name, value in vars(cypher).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
}
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


def test_every_statement_lints_clean(diagnostics: dict[str, list[dict[str, Any]]]) -> None:
    dirty = {name: found for name, found in diagnostics.items() if found and name in STATEMENTS}
    assert set(STATEMENTS) <= set(diagnostics)
    assert dirty == {}


def test_no_statement_formats_values_at_run_time() -> None:
    for name, query in STATEMENTS.items():
        assert "{}" not in query and "%s" not in query, name


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_statement_is_caught(
    case: str, diagnostics: dict[str, list[dict[str, Any]]]
) -> None:
    query, _, expected = BROKEN[case]
    found = diagnostics[f"broken:{case}"]
    assert found, f"no diagnostic for {query!r}"
    assert any(expected in d["message"] for d in found), found
