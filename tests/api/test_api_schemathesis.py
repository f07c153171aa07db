"""Schemathesis over the OpenAPI schema: every endpoint, stateless, a fixed
budget of derandomised examples, with an admin key. No 5xx (the ASGI client
re-raises any server error), responses conform to the documented schemas,
status codes and content types."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import build_graph
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.keys import add_key
from credgraph.settings import Settings
from credgraph.store import EmbeddedStore

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _fuzz_app(folder: Path) -> tuple[Any, str]:
    store = EmbeddedStore(folder / "fuzz.db")
    store.upsert(build_graph().batch)
    store.close()
    keys = folder / "keys.toml"
    # no request budget: the fuzzer asks faster than any person would
    app = create_app(str(folder / "fuzz.db"), keys_file=keys, settings=Settings(rate_limits={}))
    return app, add_key(keys, "fuzz", "admin")


# schemathesis collects one test per operation from a schema known at import
# time, so the app (over its own throw-away store and keys) is built here
_FOLDER = tempfile.TemporaryDirectory(prefix="credgraph-fuzz-")
APP, ADMIN_KEY = _fuzz_app(Path(_FOLDER.name))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

# Random strings are almost never stored ids: mix stored ones in, so that the
# answering code paths (not only 404/422) are fuzzed too.
_GRAPH = build_graph()
KNOWN = [_GRAPH[n] for n in ("华盛电子", "星辰科技", "华盛物流", "东方贸易", "张伟", "John Smith")]


def _sometimes(values: Any, **choices: st.SearchStrategy[Any]) -> Any:
    if not isinstance(values, dict):
        return st.just(values)
    wanted = {k: v for k, v in choices.items() if k in values}
    if not wanted:
        return st.just(values)
    return st.one_of(st.just(values), st.fixed_dictionaries(wanted).map(lambda c: {**values, **c}))


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    return strategy.flatmap(lambda p: _sometimes(p, entity_id=st.sampled_from(KNOWN)))


@schema.hook
def before_generate_query(context: Any, strategy: Any) -> Any:
    known = st.sampled_from(KNOWN)
    # valid bounds and days too: a random depth or as_of alone makes most
    # lookups 422, and whether any got an answer then depended on luck
    valid = {
        "from": known,
        "to": known,
        "q": st.just("华盛"),
        "depth": st.integers(1, 2),
        "limit": st.integers(1, 20),
        "max_depth": st.integers(1, 4),
        "as_of": st.sampled_from([None, "2025-06-01"]),
    }
    return strategy.flatmap(lambda q: _sometimes(q, **valid))


@schema.hook
def before_generate_body(context: Any, strategy: Any) -> Any:
    def mix(body: Any) -> Any:
        return _sometimes(
            body,
            bidders=st.lists(st.sampled_from(KNOWN[:4]), min_size=2, max_size=4, unique=True),
            subject_id=st.sampled_from(KNOWN),
            entry_id=st.sampled_from(["E1", "E2"]),
        )

    return strategy.flatmap(mix)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate(headers={"X-API-Key": ADMIN_KEY}, checks=CHECKS)


@pytest.mark.parametrize(
    "operation",
    [
        "GET /entities/{entity_id}",
        "GET /entities/{entity_id}/flags",
        "GET /entities/{entity_id}/network",
        "GET /entities/{entity_id}/report",
        "GET /search",
        "POST /screenings",
        "POST /measures/check",
    ],
)
def test_fuzzing_reaches_answers(operation: str) -> None:
    """Within the same budget, the generated requests get real answers (200),
    not only refusals, from the lookups: the answering code is fuzzed too.
    Independent of the run above, so it passes alone and in any order."""
    strategy = schema.find_operation_by_label(operation).as_strategy()
    found = find(
        strategy,
        lambda case: case.call(headers={"X-API-Key": ADMIN_KEY}).status_code == 200,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            phases=[Phase.generate],  # the first answer will do: no shrinking
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert f"{found.method} {found.path}" == operation
