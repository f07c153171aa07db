"""The audit log of lookups, and objections through the API (003:L32)."""

from __future__ import annotations

from datetime import date

from api_support import AS_OF, Api

DAY = AS_OF.isoformat()


def audit(api: Api, **params: object) -> dict:
    r = api.get("/audit", **params)
    assert r.status_code == 200
    return r.json()


def test_every_lookup_is_audited(api: Api) -> None:
    g = api.graph
    zhang = api.ref("张伟", "public")  # a masked role looks persons up by ref
    api.get(f"/entities/{zhang}", role="public")
    api.get(f"/entities/{g['星辰科技']}/flags", role="procurement", as_of=DAY)
    api.post(
        "/screenings", {"bidders": [g["华盛电子"], g["星辰科技"]], "as_of": DAY}, "procurement"
    )
    api.get("/search", role="investigator", q="华盛物流")
    api.get("/entities/91110000600037341L", role="public")  # unknown: the probe is logged
    records = audit(api)["records"]
    assert [(r["who"], r["role"], r["endpoint"], r["subject_ids"], r["as_of"]) for r in records][
        1:
    ] == [
        ("public-user", "public", "GET /entities/{id}", [g["张伟"]], None),
        ("procurement-user", "procurement", "GET /entities/{id}/flags", [g["星辰科技"]], DAY),
        (
            "procurement-user",
            "procurement",
            "POST /screenings",
            [g["华盛电子"], g["星辰科技"]],
            DAY,
        ),
        ("investigator-user", "investigator", "GET /search?q=华盛物流", [g["华盛物流"]], None),
        ("public-user", "public", "GET /entities/{id} (404)", ["91110000600037341L"], None),
    ]
    # the audit log keeps real ids (admins only) and a time per record
    assert all(r["at"] for r in records)


def test_audit_is_paginated(api: Api) -> None:
    firm = api.graph["华盛电子"]
    for _ in range(5):
        api.get(f"/entities/{firm}", role="public")
    first = audit(api, limit=2)
    assert len(first["records"]) == 2
    second = audit(api, limit=2, after=first["next_after"])
    ids = [r["audit_id"] for r in first["records"] + second["records"]]
    assert ids == sorted(set(ids))
    rest = audit(api, limit=100, after=second["next_after"])
    assert rest["next_after"] is None
    # the audit reads are audited too
    assert rest["records"][-1]["endpoint"] == "GET /audit"


def flagged(api: Api, day: str) -> set[tuple[str, str]]:
    g = api.graph
    out = set()
    for name in ("华盛电子", "张伟", "星辰科技", "华盛物流"):
        for f in api.get(f"/entities/{g[name]}/flags", as_of=day).json():
            out.add((name, f["rule"]))
    return out


ALL_E1 = {("华盛电子", "L0"), ("张伟", "P1"), ("星辰科技", "P2"), ("华盛物流", "P3")}


def file_e1(api: Api, on: str = "2025-02-01") -> dict:
    body = {"entry_id": "E1", "reason": "the tax was paid", "filed_on": on}
    r = api.post("/objections", body, role="investigator")
    assert r.status_code == 201, r.text
    return r.json()


def test_objection_suspends_then_upheld_removes_for_good(api: Api) -> None:
    assert flagged(api, DAY) == ALL_E1
    objection = file_e1(api)
    assert objection["entry_id"] == "E1" and objection["resolved_on"] is None
    assert flagged(api, DAY) == set()  # suspended while verified
    assert flagged(api, "2025-01-31") == ALL_E1  # before filing it applied
    r = api.post(
        f"/objections/{objection['objection_id']}/resolve",
        {"upheld": True, "resolved_on": "2025-03-01"},
    )
    assert r.status_code == 200
    assert r.json()["upheld"] is True
    assert flagged(api, DAY) == set()
    assert flagged(api, "2026-01-01") == set()
    assert flagged(api, "2025-01-31") == ALL_E1  # history is kept
    subjects = [r["subject_ids"] for r in audit(api)["records"] if "objection" in r["endpoint"]]
    assert subjects == [[api.graph["华盛电子"]], [api.graph["华盛电子"]]]


def test_rejected_objection_restores_flags(api: Api) -> None:
    objection = file_e1(api)
    r = api.post(
        f"/objections/{objection['objection_id']}/resolve",
        {"upheld": False, "resolved_on": "2025-03-01"},
    )
    assert r.status_code == 200
    assert flagged(api, DAY) == ALL_E1
    assert flagged(api, "2025-02-15") == set()  # suspended while it was verified


def test_objection_errors(api: Api) -> None:
    unknown = api.post("/objections", {"entry_id": "NOPE", "reason": "x", "filed_on": DAY})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    early = api.post("/objections", {"entry_id": "E1", "reason": "x", "filed_on": "2020-01-01"})
    assert early.status_code == 422
    assert (
        api.post("/objections", {"entry_id": "E1", "reason": "   ", "filed_on": DAY}).status_code
        == 422
    )
    objection = file_e1(api)
    again = api.post("/objections", {"entry_id": "E1", "reason": "again", "filed_on": DAY})
    assert again.status_code == 409
    url = f"/objections/{objection['objection_id']}/resolve"
    assert api.post(url, {"upheld": True, "resolved_on": "2025-01-01"}).status_code == 422
    assert api.post(url, {"upheld": True, "resolved_on": DAY}).status_code == 200
    assert api.post(url, {"upheld": True, "resolved_on": DAY}).status_code == 409
    assert api.post("/objections/999/resolve", {"upheld": True}).status_code == 404
    # investigators file, only admins resolve
    assert api.post(url, {"upheld": True}, role="investigator").status_code == 403


def test_filing_defaults_to_today(api: Api) -> None:
    from credgraph.policy import today

    r = api.post("/objections", {"entry_id": "E2", "reason": "published"}, role="investigator")
    assert r.json()["filed_on"] == today().isoformat()
    assert date.fromisoformat(r.json()["filed_on"]) >= AS_OF


def test_refused_and_missed_lookups_are_audited(api: Api) -> None:
    """Probing ids one by one (404) or knocking on a higher role's door (403)
    leaves a trace in the audit log."""
    from builders import make_uscc

    unknown = make_uscc(9999)
    assert api.get(f"/entities/{unknown}", role="public").status_code == 404  # type: ignore[attr-defined]
    a = api.graph["华盛电子"]
    assert api.get(f"/entities/{a}/ownership", role="public").status_code == 403  # type: ignore[attr-defined]
    records = api.get("/audit", limit=1000).json()["records"]  # type: ignore[attr-defined]
    endpoints = [(r["role"], r["endpoint"], r["subject_ids"]) for r in records]
    assert ("public", "GET /entities/{id} (404)", [unknown]) in endpoints
    assert ("public", "GET /entities/{id}/ownership (403)", [a]) in endpoints
