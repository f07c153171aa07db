"""Search: Chinese substrings, pinyin, initials, near misses, id prefixes, pages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from api_support import Api, build_graph
from builders import GraphBuilder

from credgraph.model import Batch, Enterprise, IdType, Person
from credgraph.store import EmbeddedStore
from credgraph.store.base import SearchField
from queries.errors import InvalidRequest
from queries.search import search


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "search.db")
    s.upsert(build_graph().batch)
    return s


@pytest.fixture
def g() -> GraphBuilder:
    return build_graph()


def names(store: EmbeddedStore, query: str, **kw: object) -> list[tuple[str, str]]:
    return [(h.name, h.match.value) for h in search(store, query, **kw).results]  # type: ignore[arg-type]


def test_chinese_substring_ranked_prefix_first(store: EmbeddedStore) -> None:
    assert names(store, "华盛") == [("华盛物流有限公司", "name"), ("华盛电子有限公司", "name")]
    assert names(store, "物流")[0] == ("华盛物流有限公司", "name")
    assert names(store, "张伟") == [("张伟", "name")]
    assert ("东方贸易有限公司", "name") in names(store, "贸")


def test_full_pinyin_and_initials(store: EmbeddedStore) -> None:
    assert names(store, "huashengwuliu")[0] == ("华盛物流有限公司", "pinyin")
    assert names(store, "HuaSheng")[:2] == [
        ("华盛物流有限公司", "pinyin"),
        ("华盛电子有限公司", "pinyin"),
    ]
    assert names(store, "zhangwei") == [("张伟", "pinyin")]
    assert names(store, "zhangw") == [("张伟", "pinyin")]  # still typing
    assert names(store, "hswl")[0] == ("华盛物流有限公司", "initials")
    assert names(store, "zw") == [("张伟", "initials")]


def test_homophones_and_near_misses(store: EmbeddedStore) -> None:
    assert names(store, "华胜物流")[0] == ("华盛物流有限公司", "pinyin")  # same sound
    assert ("华盛物流有限公司", "fuzzy") in names(store, "华盛物资")
    assert ("John Smith", "fuzzy") in names(store, "jonh smith")
    assert names(store, "完全无关的名字") == []


def test_latin_names_and_id_prefix(store: EmbeddedStore, g: GraphBuilder) -> None:
    assert names(store, "john") == [("John Smith", "name")]
    hits = search(store, "914419").results
    assert {h.id for h in hits} == {g[n] for n in ("华盛电子", "星辰科技", "华盛物流", "东方贸易")}
    assert {h.match.value for h in hits} == {"id"}
    assert search(store, g["张伟"]).results[0].score == 100.0
    assert search(store, g["张伟"][:10]).results[0].id == g["张伟"]
    assert search(store, g["张伟"][:10], person_id_prefix=False).results == []


def test_pages_with_cursor(store: EmbeddedStore) -> None:
    first = search(store, "有限公司", limit=3)
    assert len(first.results) == 3 and first.next_cursor
    second = search(store, "有限公司", limit=3, cursor=first.next_cursor)
    assert second.next_cursor is None
    ids = [h.id for h in first.results + second.results]
    assert len(ids) == len(set(ids)) == 4
    with pytest.raises(InvalidRequest):
        search(store, "华盛", cursor=first.next_cursor)  # another query's cursor
    with pytest.raises(InvalidRequest):
        search(store, "华盛", cursor="%%%")
    with pytest.raises(InvalidRequest):
        search(store, "   ")


def test_index_follows_renames_and_reloads(store: EmbeddedStore, g: GraphBuilder) -> None:
    generation = store.generation()
    store.upsert(build_graph().batch)  # the same data again: nothing written
    assert store.generation() == generation
    renamed = Enterprise(uscc=g["星辰科技"], name="月亮食品有限公司")
    store.upsert(Batch(enterprises=[renamed]))
    assert names(store, "星辰") == []
    assert names(store, "月亮") == [("月亮食品有限公司", "name")]
    assert names(store, "yueliang") == [("月亮食品有限公司", "pinyin")]


def test_store_search_fields(store: EmbeddedStore, g: GraphBuilder) -> None:
    def ids(query: str, field: SearchField, start: bool = False) -> list[str]:
        return [n.id for n in store.search(query, field=field, start=start)]

    assert ids("盛物", SearchField.NAME) == [g["华盛物流"]]
    assert ids("盛物", SearchField.NAME, start=True) == []
    assert set(ids("华", SearchField.NAME, start=True)) == {g["华盛电子"], g["华盛物流"]}
    assert ids("shengwu", SearchField.PINYIN) == [g["华盛物流"]]
    assert ids("shengwu", SearchField.PINYIN, start=True) == []
    assert ids("swl", SearchField.INITIALS) == [g["华盛物流"]]
    assert ids("E1234", SearchField.ID) == ["E12345678"]
    other = Person(person_id="91441900-P1", id_type=IdType.OTHER, name="Other Number")
    store.upsert(Batch(persons=[other]))
    firms_then_persons = [g[n] for n in ("华盛电子", "星辰科技", "华盛物流", "东方贸易")] + [
        other.person_id
    ]
    for offset in range(6):
        page = store.search("9144", field=SearchField.ID, limit=2, offset=offset)
        assert [n.id for n in page] == firms_then_persons[offset : offset + 2]
    # the original primitive keeps working, now with an offset
    assert [n.id for n in store.search("华盛", limit=1, offset=1)] == [g["华盛物流"]]


def test_old_store_gets_its_index_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    EmbeddedStore(path).upsert(build_graph().batch)
    with sqlite3.connect(path) as conn:  # as written before the search index existed
        for table in ("search_names", "search_sounds", "search_initials"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM search_docs")
        conn.execute("DELETE FROM meta WHERE key = 'search_index'")
    reopened = EmbeddedStore(path)
    assert names(reopened, "huasheng")[0][0] == "华盛物流有限公司"


def test_search_endpoint(api: Api) -> None:
    r = api.get("/search", role="public", q="华盛", limit=1)
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "华盛"
    assert [h["name"] for h in body["results"]] == ["华盛物流有限公司"]
    assert body["results"][0]["type"] == "enterprise"
    nxt = api.get("/search", role="public", q="华盛", limit=1, cursor=body["next_cursor"]).json()
    assert [h["name"] for h in nxt["results"]] == ["华盛电子有限公司"]
