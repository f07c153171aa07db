"""HTTP edges and the audit of what was asked (issues 16.11, 16.12, 19.7)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_support import AS_OF, Api, assert_problem
from fastapi import FastAPI

DAY = AS_OF.isoformat()


def audit_records(api: Api) -> list[dict[str, Any]]:
    r = api.get("/audit", limit=1000)
    assert r.status_code == 200  # type: ignore[attr-defined]
    records: list[dict[str, Any]] = r.json()["records"]  # type: ignore[attr-defined]
    return [r for r in records if r["endpoint"] != "GET /audit"]


def test_head_health_answers_like_get(api: Api) -> None:
    get, head = api.client.get("/health"), api.client.head("/health")
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and get.json()["status"] == "ok"
    assert head.headers["content-type"] == get.headers["content-type"]


def test_options_lists_the_allowed_methods(api: Api) -> None:
    r = api.client.options(f"/entities/{api.graph['华盛电子']}/report")
    assert r.status_code == 204
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "OPTIONS"}
    assert "POST" in api.client.options("/screenings").headers["allow"]
    assert_problem(api.client.options("/no/such/thing"), 404)


def test_invalid_parameters_are_audited_with_what_was_asked(api: Api) -> None:
    firm = api.graph["华盛电子"]
    long_id = "9" * 65
    api.get(f"/entities/{firm}/network", role="public", as_of="notadate")
    api.get(f"/entities/{firm}/network", role="public", depth=9, as_of=DAY)
    api.get(f"/entities/{long_id}", role="investigator")
    got = [(r["role"], r["endpoint"], r["subject_ids"], r["as_of"]) for r in audit_records(api)]
    assert got == [
        ("public", "GET /entities/{id}/network?as_of=notadate (422)", [firm], None),
        ("public", "GET /entities/{id}/network?depth=9 (422)", [firm], DAY),
        ("investigator", "GET /entities/{id} (422)", [long_id], None),
    ]


def test_refusals_empty_searches_and_paths_are_audited(api: Api) -> None:
    g = api.graph
    unknown = "91110000600037341L"
    api.get(f"/entities/{g['张伟']}/report.html", role="public", as_of=DAY)
    api.get("/search", role="public", q="没有这个名字")
    api.get("/paths", role="public", **{"from": unknown, "to": g["华盛电子"], "as_of": DAY})
    api.get("/paths", role="public", **{"from": g["李娜"], "to": g["华盛电子"]})
    got = [(r["endpoint"], r["subject_ids"], r["as_of"]) for r in audit_records(api)]
    assert got == [
        ("GET /entities/{id}/report.html (403)", [g["张伟"]], DAY),
        ("GET /search?q=没有这个名字", [], None),
        ("GET /paths (404)", [unknown, g["华盛电子"]], DAY),
        ("GET /paths (403)", [g["李娜"], g["华盛电子"]], None),
    ]


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    import uvicorn

    from api.server import SERVER_OPTIONS

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def raw_get(port: int, target: bytes, key: str) -> tuple[bytes, dict[bytes, bytes], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key.encode() + b"\r\n"
            b"Connection: close\r\n\r\n"
        )
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, body


def test_an_unencoded_url_gets_problem_json(api: Api) -> None:
    import json

    app: Any = api.client.app
    with served(app) as port:
        for target in ("/search?q=华盛".encode(), b"/search?q=a b"):
            status, headers, body = raw_get(port, target, api.keys["public"])
            assert status.startswith(b"HTTP/1.1 400")
            assert headers[b"content-type"] == b"application/problem+json"
            problem = json.loads(body)
            # the parser cannot negotiate: the server's default language (zh)
            assert problem["status"] == 400 and problem["title"] == "请求错误"
            assert "百分号编码" in problem["detail"] and "/search?q=%E5" in problem["detail"]
        status, _, body = raw_get(port, b"/search?q=%E5%8D%8E%E7%9B%9B", api.keys["public"])
        assert status.startswith(b"HTTP/1.1 200") and json.loads(body)["results"]


def test_refused_posts_are_audited_with_the_body_they_sent(api: Api) -> None:
    """A refused or invalid POST names the subjects and the as_of of its
    body in the audit log, as a refused GET names those of its query."""
    g, unknown = api.graph, "91110000600037341L"
    assert (
        api.post(  # type: ignore[attr-defined]
            "/measures/check", {"subject_id": unknown, "scenario": "public_bidding", "as_of": DAY}
        ).status_code
        == 404
    )
    assert (
        api.post(  # type: ignore[attr-defined]
            "/screenings", {"bidders": [g["华盛电子"], "NOT-AN-ID"], "as_of": DAY, "depth": 99}
        ).status_code
        == 422
    )
    assert (
        api.post(  # type: ignore[attr-defined]
            "/measures/check", {"subject_id": g["华盛电子"], "scenario": "nope", "as_of": "soon"}
        ).status_code
        == 422
    )
    got = [(r["endpoint"], r["subject_ids"], r["as_of"]) for r in audit_records(api)]
    assert got == [
        ("POST /measures/check (404)", [unknown], DAY),
        ("POST /screenings (422)", [g["华盛电子"], "NOT-AN-ID"], DAY),
        ("POST /measures/check (422)", [g["华盛电子"]], None),
    ]


def send_head_until_answered(port: int, head: bytes, piece: bytes, most: int) -> tuple[int, bytes]:
    """``head`` then ``piece`` after ``piece`` (the head never ends) until the
    server answers or ``most`` bytes went: (bytes sent, what it answered)."""
    import select

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        sent = 0
        while sent < most and not select.select([conn], [], [], 0.05)[0]:
            conn.sendall(piece)
            sent += len(piece)
        data = b""
        while select.select([conn], [], [], 2)[0] and (chunk := conn.recv(65536)):
            data += chunk
    return sent, data


def test_a_head_that_never_ends_gets_431_problem_json(api: Api) -> None:
    import json

    from api.server import MAX_HEAD_BYTES

    app: Any = api.client.app
    with served(app) as port:
        head = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: "
        sent, data = send_head_until_answered(port, head, b"a" * 8192, 64 * MAX_HEAD_BYTES)
        # refused after the limit and at most a read of the socket more, not
        # buffered for as long as the client sends
        assert sent < 16 * MAX_HEAD_BYTES
        answer, _, body = data.partition(b"\r\n\r\n")
        status, *lines = answer.split(b"\r\n")
        assert status.startswith(b"HTTP/1.1 431")
        assert b"content-type: application/problem+json" in [x.lower() for x in lines]
        assert json.loads(body)["status"] == 431
        # a large head within the limit, sent in several reads, is served
        request = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES // 2)
        request += b"\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            for at in range(0, len(request), 4096):
                conn.sendall(request[at : at + 4096])
                time.sleep(0.002)
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
