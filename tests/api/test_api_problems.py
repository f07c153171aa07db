"""Errors are application/problem+json (RFC 9457); user input never gives a 500."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, assert_problem
from builders import make_rid
from fastapi.testclient import TestClient

VALID_UNKNOWN_USCC = "91110000600037341L"
VALID_UNKNOWN_RID = make_rid(999, born="19900307")


def test_unknown_ids_are_404(api: Api) -> None:
    for url in (
        f"/entities/{VALID_UNKNOWN_USCC}",
        f"/entities/{VALID_UNKNOWN_RID}/flags",
        "/entities/E99999999/network",
        f"/entities/{VALID_UNKNOWN_USCC}/ownership",
        f"/entities/{VALID_UNKNOWN_USCC}/report",
    ):
        problem = assert_problem(api.get(url), 404)
        assert problem["type"] == "urn:credgraph:problem:unknown-entity"
        assert problem["instance"] == url
    body = {"subject_id": VALID_UNKNOWN_USCC, "scenario": "honours"}
    assert_problem(api.post("/measures/check", body), 404)
    params = {"from": VALID_UNKNOWN_USCC, "to": api.graph["华盛电子"]}
    assert_problem(api.get("/paths", **params), 404)


def test_bad_check_digit_is_422_with_the_reason(api: Api) -> None:
    bad_uscc = api.graph["华盛电子"][:-1] + ("0" if api.graph["华盛电子"][-1] != "0" else "1")
    problem = assert_problem(api.get(f"/entities/{bad_uscc}", lang="en"), 422)
    assert "check digit" in problem["detail"]
    assert problem["type"] == "urn:credgraph:problem:invalid-identifier"
    bad_rid = api.graph["张伟"][:-1] + ("1" if api.graph["张伟"][-1] != "1" else "2")
    report = api.get(f"/entities/{bad_rid}/report", lang="en")
    assert "check digit" in assert_problem(report, 422)["detail"]
    assert_problem(api.get("/entities/%E5%8D%8E%E7%9B%9B/flags"), 422)  # 华盛 is no id
    body = {"subject_id": bad_uscc, "scenario": "honours"}
    check = api.post("/measures/check", body, lang="en")
    assert "check digit" in assert_problem(check, 422)["detail"]


def test_validation_errors_list_each_problem(api: Api) -> None:
    r = api.post("/measures/check", {"subject_id": "", "scenario": "nope", "extra": 1}, lang="en")
    problem = assert_problem(r, 422)
    assert problem["title"] == "Invalid request"
    locs = {tuple(e["loc"]) for e in problem["errors"]}
    assert {("body", "subject_id"), ("body", "scenario"), ("body", "extra")} <= locs
    assert_problem(api.get("/search"), 422)  # q is required
    assert_problem(api.get(f"/entities/{api.graph['华盛电子']}/flags", as_of="yesterday"), 422)
    assert_problem(api.get("/audit", limit=0), 422)
    assert_problem(api.get("/search", q="华盛", cursor="not-a-cursor"), 422)


def test_malformed_json_is_422(api: Api) -> None:
    r = api.client.post(
        "/screenings",
        content=b"{not json",
        headers={**api.headers("admin"), "content-type": "application/json"},
    )
    assert_problem(r, 422)


def test_body_too_large_is_413(api: Api) -> None:
    big = {"bidders": ["91110000600037341L"] * 2, "scenario": "public_bidding", "pad": "x" * 70_000}
    problem = assert_problem(api.post("/screenings", big), 413)
    assert "65536" in problem["detail"]

    def chunks() -> Any:  # streamed without Content-Length
        for _ in range(100):
            yield b"x" * 1024

    r = api.client.post("/screenings", content=chunks(), headers=api.headers("admin"))
    assert_problem(r, 413)


def test_unknown_route_and_method(api: Api) -> None:
    problem = assert_problem(api.client.get("/nowhere?lang=en"), 404)
    assert problem["type"] == "about:blank" and problem["title"] == "Not Found"
    r = api.client.delete("/search", headers=api.headers("admin"))
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"]


def test_unexpected_errors_are_500_without_trace(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(api.store, "nodes", broken)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    r = client.get(f"/entities/{api.graph['华盛电子']}?lang=en", headers=api.headers("admin"))
    problem = assert_problem(r, 500)
    assert "secret" not in r.text and "Traceback" not in r.text
    assert problem["title"] == "Internal Server Error"


@pytest.mark.parametrize(
    "url",
    [
        "/entities/%00",
        "/entities/..%2F..%2Fetc",
        "/entities/' OR 1=1 --",
        "/entities/%F0%9F%98%80",
        "/search?q=%25%25%25",
        "/search?q=_",
        '/search?q="*^:()',
        "/search?q=NEAR(a b)",
        "/search?q=a OR b AND NOT c",
        "/search?q=x&limit=100000",
        "/entities/E1/network?depth=-1",
        "/paths?from=a&to=b",
        "/audit?after=-5",
    ],
)
def test_hostile_input_never_500(api: Api, url: str) -> None:
    # raise_server_exceptions (the default) makes any 500 fail this test
    r = api.client.get(url, headers=api.headers("admin"))
    assert r.status_code < 500


def test_docs_are_served_offline(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "https://" not in page.text
    assert api.client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
