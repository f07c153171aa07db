"""The OpenAPI schema documents every operation with a summary and examples,
and the examples are real answers that validate against it (issue 19)."""

from __future__ import annotations

from typing import Any

from api_support import Api
from jsonschema import Draft202012Validator


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def test_every_operation_has_a_summary_and_examples(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    ops = operations(schema)
    assert len(ops) >= 15
    for method, path, op in ops:
        where = f"{method.upper()} {path}"
        assert op["summary"] and not op["summary"].startswith(("Get ", "Post ")), where
        for param in op.get("parameters", []):
            assert "example" in param or "examples" in param, (where, param["name"])
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        assert body is None or "example" in body, where
        ok = op["responses"].get("200") or op["responses"].get("201") or {}  # 204: no body
        for media, content in ok.get("content", {}).items():
            assert "example" in content, (where, media)


def test_the_examples_validate_against_the_schema(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    checked = 0
    for method, path, op in operations(schema):
        candidates = [op.get("requestBody", {}).get("content", {}).get("application/json")]
        ok = op["responses"].get("200") or op["responses"].get("201") or {}  # 204: no body
        candidates.append(ok.get("content", {}).get("application/json"))
        for content in candidates:
            if content is None:
                continue
            root = {**content["schema"], "components": schema["components"]}
            errors = list(Draft202012Validator(root).iter_errors(content["example"]))
            assert not errors, (method, path, errors[0].message)
            checked += 1
    assert checked >= 15


def test_the_docs_page_has_no_inline_script(api: Api) -> None:
    page = api.client.get("/docs").text
    assert '<script src="/static/docs-init.js">' in page
    assert "<script>" not in page and "https://" not in page
    bundle = api.client.get("/docs-assets/swagger-ui-bundle.js").text
    assert 'version:"5.' in bundle or '"5.' in bundle  # Swagger UI 5 reads OpenAPI 3.1


def test_cursor_examples_are_accepted_by_their_own_operation(api: Api) -> None:
    """ "Try it out" with the documented cursor pages on: each operation shows
    a cursor of its own kind (a feed position for /changes, a search cursor
    for /search), so the example is never a 422."""
    schema = api.client.get("/openapi.json").json()
    tried = 0
    for method, path, op in operations(schema):
        params = {p["name"]: p.get("example") for p in op.get("parameters", [])}
        if method != "get" or "cursor" not in params or "{" in path:
            continue
        wanted = {k: v for k, v in params.items() if k in ("cursor", "q") and v is not None}
        answer = api.client.get(path, headers=api.headers("admin"), params=wanted)
        assert answer.status_code == 200, (path, wanted, answer.text)
        tried += 1
    assert tried >= 2
