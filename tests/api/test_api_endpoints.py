"""Each endpoint answers with the CLI's JSON (the query result, unchanged)."""

from __future__ import annotations

from typing import Any

from api_support import AS_OF, Api

from credgraph.model import Scenario
from credgraph.store import GraphStore
from queries.explain import explain
from queries.measures import check_measures
from queries.network import ego_network
from queries.ownership import ownership
from queries.paths import find_paths
from queries.propagation import flags_for_subjects
from queries.report import credit_report
from queries.screening import screen_bidders
from queries.supervision.levels import credit_level

DAY = AS_OF.isoformat()


def dump(result: Any, store: GraphStore | None = None) -> Any:
    """The CLI's JSON of a result; with ``store``, with the words the API adds
    in its default language (labels, explanations, clauses: DESIGN §12)."""
    if isinstance(result, list):
        data = [r.model_dump(mode="json", by_alias=True) for r in result]
    else:
        data = result.model_dump(mode="json", by_alias=True)
    return explain(store, data, "zh") if store is not None else data


def test_health_needs_no_key(api: Api) -> None:
    r = api.client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_docs_and_openapi(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    schema = api.client.get("/openapi.json").json()
    assert {"/search", "/screenings", "/audit", "/objections/{objection_id}/resolve"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_entity(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['华盛电子']}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == g["华盛电子"]
    assert body["type"] == "enterprise"
    assert body["name"] == "华盛电子有限公司"
    assert body["record"]["phone"] == "0769-22881234"
    # ids are normalised: lower case and spaces are fine
    assert api.get(f"/entities/%20{g['华盛电子'].lower()}%20").json()["id"] == g["华盛电子"]


def test_flags(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['星辰科技']}/flags", as_of=DAY)
    assert r.status_code == 200
    assert r.json() == dump(flags_for_subjects(api.store, [g["星辰科技"]], AS_OF), api.store)
    assert [(f["rule"], f["entry_id"]) for f in r.json()] == [("P2", "E1")]
    # before the decision there is nothing
    assert api.get(f"/entities/{g['星辰科技']}/flags", as_of="2023-12-31").json() == []


def test_network(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['华盛电子']}/network", as_of=DAY, depth=2, limit=10)
    assert r.status_code == 200
    assert r.json() == dump(
        ego_network(api.store, g["华盛电子"], AS_OF, depth=2, limit=10), api.store
    )
    assert {n["id"] for n in r.json()["nodes"]} >= {g["张伟"], g["李娜"], g["华盛物流"]}


def test_paths(api: Api) -> None:
    g = api.graph
    params = {"from": api.ref("张伟", "public"), "to": g["华盛物流"], "as_of": DAY, "max_depth": 4}
    r = api.client.get("/paths", params=params, headers=api.headers("public"))
    assert r.status_code == 200
    expected = dump(find_paths(api.store, g["张伟"], g["华盛物流"], AS_OF, max_depth=4))
    assert r.json()["paths"][0]["relations"] == ["legal_representative", "shareholder"]
    assert r.json()["to"] == expected["to"]
    assert len(r.json()["paths"]) == len(expected["paths"])


def test_screening(api: Api) -> None:
    g = api.graph
    bidders = [g["华盛电子"], g["星辰科技"], g["东方贸易"]]
    body = {"bidders": bidders, "scenario": "public_bidding", "depth": 4, "as_of": DAY}
    r = api.post("/screenings", body, role="investigator")
    assert r.status_code == 200
    assert r.json() == dump(screen_bidders(api.store, bidders, as_of=AS_OF, depth=4), api.store)
    verdicts = {b["uscc"]: b["verdict"] for b in r.json()["bidders"]}
    # 张伟 is the legal representative of both 华盛电子 and 星辰科技 (same principal)
    assert verdicts == {g["华盛电子"]: "reject", g["星辰科技"]: "reject", g["东方贸易"]: "review"}


def test_screening_answers_unknown_and_invalid_bidders(api: Api) -> None:
    g = api.graph
    unknown = "91110000600037341L"
    body = {"bidders": [g["华盛电子"], unknown, "91441900000000001X"], "as_of": DAY}
    verdicts = [b["verdict"] for b in api.post("/screenings", body).json()["bidders"]]
    assert sorted(verdicts) == ["invalid", "reject", "unknown"]


def test_measures(api: Api) -> None:
    g = api.graph
    body = {"subject_id": g["张伟"], "scenario": "appointment", "as_of": DAY}
    r = api.post("/measures/check", body, role="investigator")
    assert r.status_code == 200
    assert r.json() == dump(
        check_measures(api.store, g["张伟"], Scenario.APPOINTMENT, AS_OF), api.store
    )
    assert r.json()["verdict"] == "reject"


def test_ownership(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['华盛电子']}/ownership", role="investigator", as_of=DAY)
    assert r.status_code == 200
    assert r.json() == dump(ownership(api.store, g["华盛电子"], AS_OF), api.store)
    assert r.json()["ubos"] == [{"person_id": g["李娜"], "pct": 60.0}]


def test_report(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['华盛电子']}/report", role="investigator", as_of=DAY)
    assert r.status_code == 200
    assert r.json() == dump(credit_report(api.store, g["华盛电子"], AS_OF), api.store)


def test_level(api: Api) -> None:
    g = api.graph
    r = api.get(f"/entities/{g['华盛电子']}/level", role="public", as_of=DAY)
    assert r.status_code == 200
    body = r.json()
    assert body == dump(credit_level(api.store, g["华盛电子"], AS_OF), api.store)
    assert body["level"] == "D"  # listed on a severe list (002:L21)
    report = api.get(f"/entities/{g['华盛电子']}/report", role="public", as_of=DAY).json()
    assert report["level"]["level"] == "D"


def test_as_of_defaults_to_today(api: Api) -> None:
    from credgraph.policy import today

    g = api.graph
    body = api.post("/measures/check", {"subject_id": g["华盛电子"], "scenario": "honours"}).json()
    assert body["as_of"] == today().isoformat()


def test_limits(api: Api) -> None:
    g = api.graph
    too_many = {"bidders": [g["华盛电子"]] * 51}
    assert api.post("/screenings", too_many).status_code == 422
    assert api.get(f"/entities/{g['华盛电子']}/network", depth=4).status_code == 422
    assert (
        api.get("/paths", **{"from": g["张伟"], "to": g["李娜"], "max_depth": 99}).status_code
        == 422
    )
    assert api.get("/search", q="x" * 101).status_code == 422
    assert api.get(f"/entities/{g['华盛电子']}/flags", as_of="0001-01-01").status_code == 422
    assert api.get(f"/entities/{'9' * 65}").status_code == 422
