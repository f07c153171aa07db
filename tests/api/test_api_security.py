"""Keys, roles (DESIGN §7) and masking of personal ids."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from api_support import AS_OF, PASSPORT, ROLES, Api, assert_problem

from api.keys import add_key, remove_key
from credgraph.ids import mask_person_id
from credgraph.model import IdType

DAY = AS_OF.isoformat()


def endpoints(api: Api) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    """(method, url, json body, least role) of every keyed endpoint."""
    g = api.graph
    a = g["华盛电子"]
    return [
        ("GET", f"/entities/{a}", None, "public"),
        ("GET", "/search?q=华盛", None, "public"),
        ("GET", f"/entities/{a}/flags", None, "public"),
        ("GET", f"/entities/{a}/network", None, "public"),
        ("GET", f"/paths?from={a}&to={g['华盛物流']}", None, "public"),
        ("GET", f"/entities/{a}/report", None, "public"),
        ("POST", "/screenings", {"bidders": [a, g["星辰科技"]]}, "procurement"),
        ("POST", "/measures/check", {"subject_id": a, "scenario": "honours"}, "procurement"),
        ("GET", f"/entities/{a}/ownership", None, "investigator"),
        (
            "POST",
            "/objections",
            {"entry_id": "E2", "reason": "paid", "filed_on": DAY},
            "investigator",
        ),
        ("POST", "/objections/1/resolve", {"upheld": False, "resolved_on": DAY}, "admin"),
        ("GET", "/audit", None, "admin"),
    ]


def call(api: Api, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    return api.client.request(method, url, json=body, headers=headers)


def test_missing_or_wrong_key_is_401(api: Api) -> None:
    for method, url, body, _ in endpoints(api):
        r = call(api, method, url, body, {})
        assert_problem(r, 401)
        assert "X-API-Key" in r.headers["www-authenticate"]
        assert_problem(call(api, method, url, body, {"X-API-Key": "cg_wrong"}), 401)
        assert_problem(call(api, method, url, body, {"X-API-Key": "x" * 10_000}), 401)


def test_each_role_boundary(api: Api) -> None:
    order = list(ROLES)
    for method, url, body, least in endpoints(api):
        for role in ROLES:
            r = call(api, method, url, body, api.headers(role))
            if order.index(role) < order.index(least):
                problem = assert_problem(r, 403)
                assert least in problem["detail"]
            else:
                assert r.status_code in (200, 201), (method, url, role, r.text)
                if url.startswith("/objections"):
                    break  # filed/resolved once; a second time would conflict


def test_keys_file_is_reread_when_it_changes(api: Api) -> None:
    url = f"/entities/{api.graph['华盛电子']}"
    new_key = add_key(api.keys_file, "late-comer", "public")
    assert api.client.get(url, headers={"X-API-Key": new_key}).status_code == 200
    assert remove_key(api.keys_file, "late-comer")
    assert_problem(api.client.get(url, headers={"X-API-Key": new_key}), 401)


def test_unreadable_keys_file_fails_closed(api: Api) -> None:
    api.keys_file.write_text("not [valid toml", "utf-8")
    os.utime(api.keys_file, ns=(1, 1))
    r = api.client.get(f"/entities/{api.graph['华盛电子']}", headers=api.headers("admin"))
    assert_problem(r, 503)


# -- masking -------------------------------------------------------------------------
def masked(value: str, id_type: IdType = IdType.RESIDENT_ID) -> str:
    return mask_person_id(value, id_type)


def test_mask_shapes() -> None:
    assert masked("110101198001010053") == "1101**********0053"
    assert masked(PASSPORT, IdType.PASSPORT) == "E1*****78"


@pytest.mark.parametrize("role", ["public", "procurement"])
def test_person_ids_masked_everywhere(api: Api, role: str) -> None:
    g = api.graph
    zhang, li = g["张伟"], g["李娜"]
    ref = api.ref("张伟", role)
    bodies = [
        api.get(f"/entities/{ref}", role=role).json(),
        api.get(f"/entities/{g['星辰科技']}/flags", role=role, as_of=DAY).json(),
        api.get(f"/entities/{g['华盛电子']}/network", role=role, as_of=DAY, depth=2).json(),
        api.get("/paths", role=role, **{"from": ref, "to": g["华盛物流"], "as_of": DAY}).json(),
        api.get(f"/entities/{ref}/report", role=role, as_of=DAY).json(),
        api.get(f"/entities/{g['华盛电子']}/report", role=role, as_of=DAY).json(),
        api.get("/search", role=role, q="张伟").json(),
    ]
    text = json.dumps(bodies, ensure_ascii=False)
    for person in (zhang, li, PASSPORT):
        assert person not in text
    assert masked(zhang) in text
    assert masked(li) in text
    # the flag path and the network keep their shape, with the person's ref
    assert bodies[1][0]["path"] == [g["华盛电子"], ref, g["星辰科技"]]
    assert ref in {n["id"] for n in bodies[2]["nodes"]}
    assert ref.startswith(masked(zhang) + "~")
    assert bodies[0]["id"] == bodies[0]["record"]["person_id"] == ref
    # persons' contacts are not shown; enterprises' are
    assert bodies[0]["record"]["phone"] is None and bodies[0]["record"]["address"] is None
    assert bodies[4]["identity"]["phone"] is None
    firm = api.get(f"/entities/{g['华盛电子']}", role=role).json()
    assert firm["record"]["phone"] == "0769-22881234"


def test_passports_masked(api: Api) -> None:
    ref = api.ref("John Smith", "public")
    assert ref.startswith("E1*****78~")
    body = api.get(f"/entities/{ref}", role="public").json()
    assert body["id"] == ref and body["name"] == "John Smith"


def test_screening_links_masked_for_procurement(api: Api) -> None:
    g = api.graph
    body = {"bidders": [g["华盛电子"], g["星辰科技"]], "as_of": DAY}
    links = api.post("/screenings", body, role="procurement").json()["links"]
    shared = next(link for link in links if link["kind"] == "shared_person")
    assert shared["path"][1] == api.ref("张伟", "procurement")


@pytest.mark.parametrize("role", ["investigator", "admin"])
def test_investigators_see_ids(api: Api, role: str) -> None:
    g = api.graph
    body = api.get(f"/entities/{g['张伟']}", role=role).json()
    assert body["id"] == g["张伟"]
    assert body["record"]["phone"] == "13800138000"


def test_public_cannot_enumerate_person_ids_by_prefix(api: Api) -> None:
    zhang = api.graph["张伟"]
    prefix = zhang[:10]
    assert api.get("/search", role="public", q=prefix).json()["results"] == []
    # nor confirm a full id: persons are never matched by id for masked roles
    assert api.get("/search", role="public", q=zhang).json()["results"] == []
    assert [h["id"] for h in api.get("/search", role="investigator", q=prefix).json()["results"]]


def test_person_ids_inside_free_text_are_masked(api: Api) -> None:
    from datetime import date

    from credgraph.model import ListEntry, ListKind, NodeKind

    g = api.graph
    person = g["张伟"]
    entry = ListEntry(
        entry_id="E-TEXT",
        subject_id=g["华盛电子"],
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind.KEY_ATTENTION,
        decided_on=date(2024, 1, 1),
        reason=f"法定代表人身份证号{person}未申报",
        case_no=f"CASE-{person}",
    )
    from credgraph.model import Batch

    api.store.upsert(Batch(entries=[entry]))
    body = api.get(f"/entities/{g['华盛电子']}/report", role="public", as_of=DAY).text  # type: ignore[attr-defined]
    assert person not in body
    assert f"CASE-{mask_person_id(person)}" in body
    full = api.get(f"/entities/{g['华盛电子']}/report", role="investigator", as_of=DAY).text  # type: ignore[attr-defined]
    assert f"CASE-{person}" in full


def test_report_ownership_needs_investigator_like_the_ownership_endpoint(api: Api) -> None:
    a = api.graph["华盛电子"]
    public = api.get(f"/entities/{a}/report", role="public", as_of=DAY).json()  # type: ignore[attr-defined]
    assert public["ownership"] is None
    investigator = api.get(f"/entities/{a}/report", role="investigator", as_of=DAY).json()  # type: ignore[attr-defined]
    assert investigator["ownership"] is not None


def test_every_answer_carries_security_headers(api: Api) -> None:
    r = api.get(f"/entities/{api.graph['华盛电子']}", role="public")
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert "X-API-Key" in headers["vary"]


def test_keys_file_is_private_and_names_are_printable(tmp_path: Any) -> None:
    path = tmp_path / "keys.toml"
    add_key(path, "alice", "public")
    assert os.stat(path).st_mode & 0o077 == 0
    with pytest.raises(ValueError, match="printable"):
        add_key(path, "bad\rname", "public")
