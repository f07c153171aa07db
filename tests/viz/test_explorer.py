"""The explorer's routes without a browser: the page, its assets, the report page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import GraphBuilder
from credit_graph import AS_OF, build_graph
from fastapi.testclient import TestClient

from credgraph.ids import mask_person_id
from credgraph.store import EmbeddedStore
from queries.materialise import propagate


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]
    graph: GraphBuilder


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    from api.app import create_app
    from api.keys import add_key

    graph = build_graph()
    store = EmbeddedStore(tmp_path / "store.db")
    store.upsert(graph.batch)
    propagate(store, AS_OF)
    store.close()
    keys_file = tmp_path / "keys.toml"
    keys = {role: add_key(keys_file, role, role) for role in ("public", "investigator")}
    with TestClient(create_app(str(tmp_path / "store.db"), keys_file=keys_file)) as client:
        yield Api(client, keys, graph)


def test_the_page_and_its_assets_are_served_from_the_package(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"https?://", page.text)
    for src in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        asset = api.client.get(src)
        assert asset.status_code == 200, src
        assert not re.search(r"(src|href)=\"https?://|url\(https?://", asset.text), src


def report_url(api: Api, name: str) -> str:
    return f"/entities/{api.graph[name]}/report.html?as_of={AS_OF}"


def test_the_report_page_needs_a_key_in_the_header(api: Api) -> None:
    url = report_url(api, "A")
    refused = api.client.get(url)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert api.client.get(url, headers={"X-API-Key": "cg_wrong"}).status_code == 401
    by_header = api.client.get(url, headers={"X-API-Key": api.keys["investigator"]})
    assert by_header.status_code == 200 and "<h1>A有限公司</h1>" in by_header.text
    # never in the URL: a key there ends up in logs and browser history
    by_query = api.client.get(url + f"&key={api.keys['investigator']}")
    assert by_query.status_code == 401
    missing = api.client.get(
        "/entities/914419000000009992/report.html", headers={"X-API-Key": api.keys["public"]}
    )
    assert missing.status_code == 404


def test_the_report_page_masks_personal_ids_for_the_public(api: Api) -> None:
    person = api.graph["张三"]
    public_key = {"X-API-Key": api.keys["public"]}
    # the public reaches a person by the ref it is given, never by the id
    assert api.client.get(report_url(api, "张三"), headers=public_key).status_code == 403
    hits = api.client.get("/search", params={"q": "张三"}, headers=public_key).json()["results"]
    ref = next(h["id"] for h in hits if h["type"] == "person")
    by_ref = api.client.get(f"/entities/{ref}/report.html?as_of={AS_OF}", headers=public_key)
    assert by_ref.status_code == 200
    public = by_ref.text
    full = api.client.get(report_url(api, "张三"), headers={"X-API-Key": api.keys["investigator"]})
    assert person in full.text and person not in public
    assert mask_person_id(person) in public
