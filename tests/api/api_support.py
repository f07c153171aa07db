"""API test support: the small graph, the client wrapper, problem assertions.

The graph (``graph`` fixture; as_of 2025-06-01)::

    P1 张伟 --legal_representative--> A 华盛电子      E1 A serious_dishonesty 2024-01-10
    P1 --legal_representative--> B 星辰科技           (P1 responsible → B related)
    P2 李娜 --shareholder 60 %--> A                  E2 D abnormal_operation 2024-03-01
    A --shareholder 70 %--> C 华盛物流                (C related via control)
    P3 John Smith (passport) --executive manager--> D 东方贸易
    D --shareholder 10 %--> B
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from builders import GraphBuilder
from fastapi.testclient import TestClient

from credgraph.model import IdType, Person
from credgraph.store import EmbeddedStore

AS_OF = date(2025, 6, 1)
ROLES = ("public", "procurement", "investigator", "admin")
PASSPORT = "E12345678"


@dataclass
class Api:
    client: TestClient
    store: EmbeddedStore
    graph: GraphBuilder
    keys: dict[str, str]
    keys_file: Path

    def headers(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}

    def get(self, url: str, role: str = "admin", **params: object) -> object:
        return self.client.get(url, headers=self.headers(role), params=params or None)

    def post(self, url: str, body: object, role: str = "admin", lang: str | None = None) -> object:
        params = {"lang": lang} if lang else None
        return self.client.post(url, headers=self.headers(role), json=body, params=params)

    def ref(self, name: str, role: str) -> str:
        """The ref a masked ``role`` is given for the person ``name`` (from
        the network of a firm the person works in, as a reader finds it)."""
        firm = {"张伟": "华盛电子", "李娜": "华盛电子", "John Smith": "东方贸易"}[name]
        r = self.client.get(f"/entities/{self.graph[firm]}/network", headers=self.headers(role))
        assert r.status_code == 200, r.text
        persons = [n for n in r.json()["nodes"] if n["name"] == name]
        assert len(persons) == 1, persons
        ref: str = persons[0]["id"]
        assert "~" in ref and self.graph[name] not in ref
        return ref


def build_graph() -> GraphBuilder:
    g = GraphBuilder()
    g.firm("华盛电子", phone="0769-22881234", address="东莞市南城区1号")
    g.firm("星辰科技")
    g.firm("华盛物流")
    g.firm("东方贸易")
    g.person("张伟", phone="13800138000", address="东莞市东城区2号")
    g.person("李娜")
    g.ids["John Smith"] = PASSPORT
    g.batch.persons.append(Person(person_id=PASSPORT, id_type=IdType.PASSPORT, name="John Smith"))
    g.rel("张伟", "华盛电子", "legal_representative", start="2020-01-01")
    g.rel("张伟", "星辰科技", "legal_representative", start="2021-01-01")
    g.rel("李娜", "华盛电子", "shareholder", pct=60.0, start="2020-01-01")
    g.rel("华盛电子", "华盛物流", "shareholder", pct=70.0, start="2020-01-01")
    g.rel("John Smith", "东方贸易", "executive", title="manager", start="2019-01-01")
    g.rel("东方贸易", "星辰科技", "shareholder", pct=10.0, start="2019-01-01")
    g.entry("E1", "华盛电子", "serious_dishonesty", "2024-01-10", category="tax_evasion")
    g.entry("E2", "东方贸易", "abnormal_operation", "2024-03-01")
    return g


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body
