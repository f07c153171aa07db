"""Problems in the user's language (DESIGN §12): ``title`` and ``detail`` in
Chinese by default, in English by ``?lang=en``, ``Accept-Language`` or
``CREDGRAPH_LANG=en``; ``type``, ``status``, ``instance`` and
``errors[].loc`` never change with the language, and masked roles see no
personal id in either language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, assert_problem, build_graph
from fastapi.testclient import TestClient
from test_api_http import raw_get, send_head_until_answered, served

from api.app import create_app
from api.keys import add_key
from credgraph.i18n import default_lang
from credgraph.settings import RateLimit, Settings
from credgraph.store import EmbeddedStore

UNKNOWN_USCC = "91110000600037341L"
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def english_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``CREDGRAPH_LANG=en``: the server's default language is English."""
    monkeypatch.setenv("CREDGRAPH_LANG", "en")
    default_lang.cache_clear()
    yield
    monkeypatch.undo()
    default_lang.cache_clear()


def both(api: Api, url: str, role: str = "admin", **params: object) -> tuple[Any, Any]:
    """The answer to ``url`` by default (zh) and with ``Accept-Language: en``."""
    zh = api.client.get(url, headers=api.headers(role), params=params or None)
    en = api.client.get(url, headers=api.headers(role) | EN, params=params or None)
    return zh, en


def same_codes(zh: dict[str, Any], en: dict[str, Any]) -> None:
    """Only the words differ between the two languages."""
    for key in ("type", "status", "instance"):
        assert zh.get(key) == en.get(key), key
    assert [e["loc"] for e in zh.get("errors", [])] == [e["loc"] for e in en.get("errors", [])]
    assert zh["title"] != en["title"] and zh["detail"] != en["detail"]


def test_401_unauthorized_in_both_languages(api: Api) -> None:
    zh = assert_problem(api.client.get("/search", params={"q": "华盛"}), 401)
    assert (zh["title"], zh["detail"]) == ("未授权", "缺少 X-API-Key 请求头")
    r = api.client.get("/search", params={"q": "华盛", "lang": "en"}, headers={"X-API-Key": "x"})
    en = assert_problem(r, 401)
    assert (en["title"], en["detail"]) == ("Unauthorized", "invalid API key")
    bad = api.client.get("/search", params={"q": "华盛"}, headers={"X-API-Key": "x"})
    assert assert_problem(bad, 401)["detail"] == "API 密钥无效"


def test_403_and_the_masked_refusal_in_both_languages(api: Api) -> None:
    zh, en = both(api, "/audit", role="public")
    zh_body, en_body = assert_problem(zh, 403), assert_problem(en, 403)
    same_codes(zh_body, en_body)
    assert zh_body["title"] == "无权访问" and en_body["title"] == "Forbidden"
    assert zh_body["detail"] == "角色 public 无权使用此接口（需要 admin 或更高角色）"
    assert en_body["detail"] == "role public may not use this endpoint (needs admin)"
    person = api.graph["张伟"]
    zh, en = both(api, f"/entities/{person}", role="public")
    zh_body, en_body = assert_problem(zh, 403), assert_problem(en, 403)
    same_codes(zh_body, en_body)
    assert zh_body["detail"].startswith("角色 public 只能通过响应中给出的引用编号（…~…）查询个人")
    assert en_body["detail"].startswith("role public looks persons up by the ref given")
    assert zh_body["instance"] == "/entities/{entity_id}"
    assert person not in zh.text and person not in en.text


def test_404_unknown_entity_and_route_in_both_languages(api: Api) -> None:
    zh, en = both(api, f"/entities/{UNKNOWN_USCC}")
    zh_body, en_body = assert_problem(zh, 404), assert_problem(en, 404)
    same_codes(zh_body, en_body)
    assert zh_body["type"] == "urn:credgraph:problem:unknown-entity"
    assert zh_body["title"] == "未找到主体" and en_body["title"] == "Unknown entity"
    assert zh_body["detail"] == f"未找到标识为 '{UNKNOWN_USCC}' 的企业或个人"
    assert en_body["detail"] == f"no enterprise or person with id '{UNKNOWN_USCC}'"
    zh, en = both(api, "/nowhere")
    assert assert_problem(zh, 404)["detail"] == "接口 /nowhere 不存在"
    assert assert_problem(en, 404)["detail"] == "no endpoint /nowhere"
    assert zh.json()["title"] == "未找到" and en.json()["title"] == "Not Found"


def test_405_in_both_languages(api: Api) -> None:
    zh = api.client.delete("/search", headers=api.headers("admin"))
    en = api.client.delete("/search?lang=en", headers=api.headers("admin"))
    zh_body, en_body = assert_problem(zh, 405), assert_problem(en, 405)
    same_codes(zh_body, en_body)
    assert (zh_body["title"], zh_body["detail"]) == (
        "不允许的请求方法",
        "/search 不支持 DELETE 方法",
    )
    assert en_body["detail"] == "DELETE is not allowed on /search"


def test_413_in_both_languages(api: Api) -> None:
    big = {"bidders": [UNKNOWN_USCC] * 2, "scenario": "public_bidding", "pad": "x" * 70_000}
    zh = assert_problem(api.post("/screenings", big), 413)
    en = assert_problem(api.post("/screenings", big, lang="en"), 413)
    same_codes(zh, en)
    assert (zh["title"], zh["detail"]) == ("请求体过大", "请求体超过 65536 字节")
    assert en["detail"] == "request body larger than 65536 bytes"


def test_422_validation_and_identifier_in_both_languages(api: Api) -> None:
    zh, en = both(api, "/search", limit=0)
    zh_body, en_body = assert_problem(zh, 422), assert_problem(en, 422)
    same_codes(zh_body, en_body)
    assert zh_body["title"] == "请求参数无效" and en_body["title"] == "Invalid request"
    assert zh_body["detail"].startswith("参数 query.q 无效：")
    assert en_body["detail"].startswith("query.q: ")
    assert zh_body["errors"] == en_body["errors"]  # pydantic's own words, unchanged
    bad = api.graph["华盛电子"][:-1] + ("0" if api.graph["华盛电子"][-1] != "0" else "1")
    zh, en = both(api, f"/entities/{bad}")
    zh_body, en_body = assert_problem(zh, 422), assert_problem(en, 422)
    same_codes(zh_body, en_body)
    assert zh_body["type"] == "urn:credgraph:problem:invalid-identifier"
    assert (
        zh_body["title"] == "标识无效"
        and zh_body["detail"] == f"'{bad}'：统一社会信用代码校验码错误"
    )
    assert en_body["detail"] == f"'{bad}': USCC check digit is wrong"
    # a query's own refusal (queries/search.py), raised in the endpoint's thread
    zh, en = both(api, "/search", q="华盛", cursor="not-a-cursor")
    assert assert_problem(zh, 422)["detail"] == "游标无效：不是本次检索返回的游标"
    assert assert_problem(en, 422)["detail"] == "cursor is not one this search returned"


def test_429_in_both_languages(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(build_graph().batch)
    store.close()
    keys_file = tmp_path / "keys.toml"
    key = add_key(keys_file, "a", "public")
    settings = Settings(rate_limits={"public": RateLimit(rate=0.01, burst=1)})
    app = create_app(str(tmp_path / "s.db"), keys_file=keys_file, settings=settings)
    with TestClient(app) as client:
        assert client.get("/search", params={"q": "华盛"}, headers={"X-API-Key": key}).is_success
        zh = assert_problem(client.get("/search?q=x", headers={"X-API-Key": key}), 429)
        en = assert_problem(client.get("/search?q=x", headers={"X-API-Key": key} | EN), 429)
    same_codes(zh, en)
    assert zh["title"] == "请求过于频繁" and en["title"] == "Too Many Requests"
    assert zh["detail"].startswith("密钥 a 的请求次数已超出限额，请 ")
    assert zh["detail"].endswith(" 秒后重试")
    assert en["detail"].startswith("key a is over its request budget; retry in ")


def test_500_in_both_languages(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.store, "nodes", broken)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    url = f"/entities/{api.graph['华盛电子']}"
    zh = assert_problem(client.get(url, headers=api.headers("admin")), 500)
    en = assert_problem(client.get(url, headers=api.headers("admin") | EN), 500)
    same_codes(zh, en)
    assert (zh["title"], zh["detail"]) == ("服务器内部错误", "发生意外错误，已记录日志")
    assert en["title"] == "Internal Server Error"


def test_the_query_parameter_wins_over_the_header(api: Api) -> None:
    r = api.client.get(
        f"/entities/{UNKNOWN_USCC}",
        params={"lang": "zh"},
        headers=api.headers("admin") | EN,
    )
    assert assert_problem(r, 404)["title"] == "未找到主体"
    r = api.client.get(
        f"/entities/{UNKNOWN_USCC}", headers=api.headers("admin") | {"Accept-Language": "fr"}
    )
    assert assert_problem(r, 404)["title"] == "未找到主体"  # no supported language: the default


@pytest.mark.usefixtures("english_server")
def test_credgraph_lang_en_makes_english_the_default(api: Api) -> None:
    body = assert_problem(api.get(f"/entities/{UNKNOWN_USCC}"), 404)
    assert body["title"] == "Unknown entity"
    zh = api.client.get(
        f"/entities/{UNKNOWN_USCC}", headers=api.headers("admin") | {"Accept-Language": "zh-CN"}
    )
    assert assert_problem(zh, 404)["title"] == "未找到主体"


@pytest.mark.usefixtures("english_server")
def test_the_parsers_400_and_431_speak_the_servers_language(api: Api) -> None:
    from api.server import MAX_HEAD_BYTES

    app: Any = api.client.app
    with served(app) as port:
        status, _, body = raw_get(port, "/search?q=华盛".encode(), api.keys["public"])
        assert status.startswith(b"HTTP/1.1 400")
        problem = json.loads(body)
        assert problem["title"] == "Bad Request" and "percent-encode" in problem["detail"]
        head = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: "
        _, data = send_head_until_answered(port, head, b"a" * 8192, 64 * MAX_HEAD_BYTES)
        problem = json.loads(data.partition(b"\r\n\r\n")[2])
        assert problem["status"] == 431 and problem["title"] == "Request Header Fields Too Large"
        assert (
            problem["detail"]
            == f"the request line and headers are larger than {MAX_HEAD_BYTES} bytes"
        )


def test_the_parsers_431_in_chinese_by_default(api: Api) -> None:
    from api.server import MAX_HEAD_BYTES

    app: Any = api.client.app
    with served(app) as port:
        head = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: "
        _, data = send_head_until_answered(port, head, b"a" * 8192, 64 * MAX_HEAD_BYTES)
    problem = json.loads(data.partition(b"\r\n\r\n")[2])
    assert problem["title"] == "请求头过大"
    assert problem["detail"] == f"请求行和请求头超过 {MAX_HEAD_BYTES} 字节"
