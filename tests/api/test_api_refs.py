"""No person-id oracle (issue 16.3, DESIGN §7): masked roles get the same 403
for any lookup by a full person id, reach persons by per-key refs, and every
key has a request budget."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from api_support import AS_OF, PASSPORT, Api, assert_problem, build_graph
from fastapi.testclient import TestClient

from api.app import create_app
from api.budget import Budgets
from api.keys import ApiRole, add_key
from api.refs import RefCodec
from credgraph.ids import mask_person_id
from credgraph.model import IdType
from credgraph.settings import RateLimit, Settings
from credgraph.store import EmbeddedStore

DAY = AS_OF.isoformat()
UNKNOWN_RID = "110101199003079999"


def lookups(api: Api, person: str, role: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every way ``role`` may ask about ``person`` (an id or a ref)."""
    firm = api.graph["华盛物流"]
    measures = [("POST", "/measures/check", {"subject_id": person, "scenario": "honours"})]
    return [
        ("GET", f"/entities/{person}", None),
        ("GET", f"/entities/{person}/flags", None),
        ("GET", f"/entities/{person}/network", None),
        ("GET", f"/entities/{person}/level", None),
        ("GET", f"/entities/{person}/report", None),
        ("GET", f"/entities/{person}/report.html", None),
        ("GET", f"/paths?from={person}&to={firm}", None),
        ("GET", f"/paths?from={firm}&to={person}", None),
        *(measures if role == "procurement" else []),
    ]


def answer(api: Api, role: str, method: str, url: str, body: Any) -> Any:
    return api.client.request(method, url, json=body, headers=api.headers(role))


def refusal(response: Any) -> tuple[int, str, str]:
    body = assert_problem(response, 403)
    return body["status"], body["title"], body["detail"]


@pytest.mark.parametrize("role", ["public", "procurement"])
def test_any_full_person_id_gets_the_same_403(api: Api, role: str) -> None:
    g = api.graph
    asked = [g["张伟"], g["张伟"].lower(), UNKNOWN_RID, PASSPORT, "E00000000", "ZZ-1234567"]
    seen = set()
    for person in asked:
        for method, url, body in lookups(api, person, role):
            r = answer(api, role, method, url, body)
            seen.add(refusal(r))
            assert person.upper() not in r.text.upper()
    assert len(seen) == 1  # existing or not, resident id or passport: one answer
    # an enterprise id still answers, an unknown USCC is the usual 404
    assert answer(api, role, "GET", f"/entities/{g['华盛电子']}", None).status_code == 200
    assert_problem(answer(api, role, "GET", "/entities/91110000600037341L", None), 404)


@pytest.mark.parametrize("role", ["public", "procurement"])
def test_refs_are_accepted_wherever_an_id_is(api: Api, role: str) -> None:
    ref = api.ref("张伟", role)
    for method, url, body in lookups(api, ref, role):
        r = answer(api, role, method, url, body)
        assert r.status_code == 200, (url, r.text)
        assert api.graph["张伟"] not in r.text
    flags = answer(api, role, "GET", f"/entities/{ref}/flags?as_of={DAY}", None).json()
    assert {f["subject_id"] for f in flags} == {ref}


def test_refs_are_stable_per_key_and_useless_to_another(api: Api) -> None:
    public, again = api.ref("张伟", "public"), api.ref("张伟", "public")
    procurement = api.ref("张伟", "procurement")
    assert public == again != procurement
    assert public.startswith(mask_person_id(api.graph["张伟"]) + "~")
    assert procurement.startswith(mask_person_id(api.graph["张伟"]) + "~")
    # another key's ref, an edited token and a made-up one: the same 403
    shown, _, token = public.partition("~")
    forged = [procurement, f"{shown}~{token[:-2]}AA", f"{shown}~x", "1101**********0053~abc"]
    answers = {refusal(answer(api, "public", "GET", f"/entities/{f}", None)) for f in forged}
    assert len(answers) == 1
    # investigators see full ids and may still use ids
    r = answer(api, "investigator", "GET", f"/entities/{api.graph['张伟']}", None)
    assert r.json()["id"] == api.graph["张伟"]


def test_a_ref_survives_a_restart_and_names_no_id() -> None:
    codec = RefCodec(bytes(range(64)))
    ref = codec.ref("alice", "110101199003074477", IdType.RESIDENT_ID)
    assert ref == RefCodec(bytes(range(64))).ref("alice", "110101199003074477", IdType.RESIDENT_ID)
    assert "199003" not in ref.partition("~")[2]
    assert codec.person_id("alice", ref) == "110101199003074477"
    assert codec.person_id("bob", ref) is None
    assert RefCodec(bytes(64)).person_id("alice", ref) is None
    # the readable part must match the token
    assert codec.person_id("alice", "1101**********0000~" + ref.partition("~")[2]) is None


def test_the_token_bucket() -> None:
    now = [0.0]
    budgets = Budgets({"public": RateLimit(rate=2, burst=3)}, clock=lambda: now[0])
    assert [budgets.take("k", ApiRole.PUBLIC) for _ in range(3)] == [None, None, None]
    wait = budgets.take("k", ApiRole.PUBLIC)
    assert wait == pytest.approx(0.5)
    assert budgets.take("other", ApiRole.PUBLIC) is None  # per key
    now[0] += 0.5
    assert budgets.take("k", ApiRole.PUBLIC) is None
    assert budgets.take("k", ApiRole.ADMIN) is None  # no limit for the role
    assert Budgets.retry_after(0.2) == "1" and Budgets.retry_after(2.1) == "3"


def test_past_its_budget_a_key_gets_429_with_retry_after(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(build_graph().batch)
    store.close()
    keys_file = tmp_path / "keys.toml"
    key, other = add_key(keys_file, "a", "public"), add_key(keys_file, "b", "public")
    settings = Settings(rate_limits={"public": RateLimit(rate=0.01, burst=3)})
    app = create_app(str(tmp_path / "s.db"), keys_file=keys_file, settings=settings)
    with TestClient(app) as client:
        statuses = [
            client.get("/search", params={"q": "华盛"}, headers={"X-API-Key": key}).status_code
            for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        r = client.get("/search", params={"q": "华盛", "lang": "en"}, headers={"X-API-Key": key})
        problem = assert_problem(r, 429)
        assert int(r.headers["retry-after"]) >= 1 and "budget" in problem["detail"]
        assert client.get("/search", params={"q": "华盛"}, headers={"X-API-Key": other}).is_success
        assert client.get("/health").status_code == 200  # no key, no budget


def test_repeated_misses_by_one_key_are_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="api.audit")
    for n in range(25):
        api.get(f"/entities/91110000600037{n:03d}X", role="public")
    warnings = [r for r in caplog.records if "public-user" in r.getMessage()]
    assert len(warnings) == 1
    assert "refused or unanswered" in warnings[0].getMessage()


def test_a_person_id_spelled_like_a_uscc_is_no_bidder(api: Api) -> None:
    from builders import make_rid

    from credgraph.ids import is_uscc
    from credgraph.model import Batch, Person

    both = [r for r in (make_rid(n, "19750101") for n in range(1000)) if is_uscc(r)]
    stored, unknown = both[0], both[1]
    api.store.upsert(Batch(persons=[Person(person_id=stored, name="某人")]))
    firm = api.graph["华盛电子"]
    verdicts = []
    for person in (stored, unknown):
        body = {"bidders": [firm, person], "as_of": DAY}
        r = api.post("/screenings", body, role="procurement")
        assert r.status_code == 200  # type: ignore[attr-defined]
        bidder = r.json()["bidders"][1]  # type: ignore[attr-defined]
        verdicts.append((bidder["verdict"], [x["code"] for x in bidder["reasons"]]))
    assert verdicts[0] == verdicts[1] == ("unknown", ["unknown"])
