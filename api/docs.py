"""OpenAPI docs at ``/docs``, offline: Swagger UI 5 (reads OpenAPI 3.1) from the
``fastapi-offline`` package, started by a script of our own (no inline script,
no CDN, nothing from another origin), and a schema in which every operation
has a summary and examples (``api/openapi_examples.json``, real answers of the
API on a small graph; a test checks them against the schema).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS = "/docs-assets"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>credgraph API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body>
</html>
"""


def swagger_ui_dir() -> Path:
    """Swagger UI 5's bundle as shipped by ``fastapi-offline``."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


#: what an answer in a file format looks like (its first bytes)
FILE_EXAMPLES = {
    "text/html": '<!DOCTYPE html><html lang="zh-CN">…</html>',
    "text/csv": "lot,uscc,name,verdict,reasons,line\r\n,91441900000000001W,华盛电子,reject,…",
    "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" …>…</svg>',
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "(XLSX workbook)",
}


@cache
def examples() -> dict[str, Any]:
    text = resources.files("api").joinpath("openapi_examples.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].strip().rstrip(".")


def annotate(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation: a summary (the first line of its description) and the
    examples of ``openapi_examples.json`` for its parameters, request body and
    successful answer."""
    known = examples()
    params = known.get("parameters", {})
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            op["summary"] = first_line(op.get("description")) or op.get("summary", "")
            # HEAD answers like GET (its example is GET's)
            sample = known.get(f"{method.upper()} {path}") or known.get(f"GET {path}", {})
            # an operation's own parameter examples (e.g. its kind of cursor) come first
            own = {**params, **sample.get("parameters", {})}
            for param in op.get("parameters", []):
                if param["name"] in own:
                    param.setdefault("example", own[param["name"]])
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and "request" in sample:
                body["example"] = sample["request"]
            for status in ("200", "201"):
                for media, content in (
                    op.get("responses", {}).get(status, {}).get("content", {}).items()
                ):
                    if media == "application/json" and "response" in sample:
                        content["example"] = sample["response"]
                    elif media in FILE_EXAMPLES:
                        content["example"] = FILE_EXAMPLES[media]
    return schema


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets, and annotate the OpenAPI schema."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = annotate(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def docs() -> HTMLResponse:
        page = PAGE.format(assets=DOCS_ASSETS, openapi=app.openapi_url or "/openapi.json")
        return HTMLResponse(page)

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
