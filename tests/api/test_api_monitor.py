"""``/watchlists`` and ``GET /changes`` (DESIGN §10): ownership, masking, cursors."""

from __future__ import annotations

from typing import Any

from api_support import AS_OF, Api, assert_problem
from builders import make_uscc
from jsonschema import Draft202012Validator, FormatChecker
from schemas import load_schema

from queries.materialise import propagate

VALIDATOR = Draft202012Validator(load_schema("changes"), format_checker=FormatChecker())


def made(api: Api, role: str, name: str, *names: str) -> Any:
    ids = [api.graph[n] for n in names]
    response = api.post("/watchlists", {"name": name, "ids": ids}, role)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    return response.json()  # type: ignore[attr-defined]


def test_watchlists_belong_to_their_key(api: Api) -> None:
    unknown = make_uscc(999)
    body = api.post(
        "/watchlists",
        {"name": "suppliers", "ids": [api.graph["星辰科技"], unknown]},
        "procurement",
    )
    assert body.status_code == 201  # type: ignore[attr-defined]
    report = body.json()  # type: ignore[attr-defined]
    assert report["added"] == 1 and report["size"] == 1
    assert report["skipped"] == [{"line": 2, "value": unknown, "reason": "not in the store"}]

    assert [w["name"] for w in api.get("/watchlists", "procurement").json()] == ["suppliers"]  # type: ignore[attr-defined]
    assert api.get("/watchlists", "investigator").json() == []  # type: ignore[attr-defined]
    assert_problem(api.get("/watchlists/suppliers", "investigator"), 404)
    assert_problem(api.post("/watchlists/suppliers", {"ids": [unknown]}, "investigator"), 404)
    admin_view = api.get("/watchlists/suppliers", "admin").json()  # type: ignore[attr-defined]
    assert admin_view["owner"] == "procurement-user"
    assert admin_view["ids"] == [api.graph["星辰科技"]]
    assert_problem(api.post("/watchlists", {"name": "suppliers"}, "investigator"), 409)

    added = api.post("/watchlists/suppliers", {"ids": [api.graph["东方贸易"]]}, "procurement")
    assert added.json()["size"] == 2  # type: ignore[attr-defined]
    one = api.client.delete(
        "/watchlists/suppliers",
        params={"id": api.graph["东方贸易"]},
        headers=api.headers("procurement"),
    )
    assert one.status_code == 204
    assert api.get("/watchlists/suppliers", "procurement").json()["size"] == 1  # type: ignore[attr-defined]
    assert_problem(
        api.client.delete("/watchlists/suppliers", headers=api.headers("investigator")), 404
    )
    gone = api.client.delete("/watchlists/suppliers", headers=api.headers("procurement"))
    assert gone.status_code == 204
    assert_problem(api.get("/watchlists/suppliers", "procurement"), 404)


def test_masked_roles_cannot_watch_person_ids(api: Api) -> None:
    body = {"name": "people", "ids": [api.graph["张伟"]]}
    assert_problem(api.post("/watchlists", body, "procurement"), 403)
    assert api.post("/watchlists", body, "investigator").status_code == 201  # type: ignore[attr-defined]
    assert_problem(api.get("/changes", "public", subject=api.graph["张伟"]), 403)


def test_changes_of_a_watchlist_are_masked_and_paged(api: Api) -> None:
    made(api, "procurement", "suppliers", "星辰科技")
    start = api.store.last_seq()
    propagate(api.store, AS_OF)  # first materialisation: every flag is new
    first = api.get("/changes", "procurement", watchlist="suppliers", since=str(start), limit=1)
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    page = first.json()  # type: ignore[attr-defined]
    VALIDATOR.validate(page)
    assert page["has_more"] is True
    rest = api.get("/changes", "procurement", watchlist="suppliers", cursor=page["next_cursor"])
    following = rest.json()  # type: ignore[attr-defined]
    VALIDATOR.validate(following)
    events = page["events"] + following["events"]
    assert [(e["kind"], e["subject_id"]) for e in events] == [
        ("flag_added", api.graph["星辰科技"]),
        ("verdict_changed", api.graph["星辰科技"]),
    ]
    assert events[1]["detail"] == {
        "scenario": "public_bidding",
        "scenario_label": "招标投标",  # words beside codes (zh-CN by default)
        "from": "pass",
        "to": "review",
    }
    # the evidence path runs through 张伟: masked for procurement, whole for admins
    assert api.graph["张伟"] not in rest.text + first.text  # type: ignore[attr-defined]
    unmasked = api.get("/changes", "admin", watchlist="suppliers", since=str(start))
    assert api.graph["张伟"] in unmasked.text  # type: ignore[attr-defined]
    # polling with the last cursor: nothing new yet
    again = api.get(
        "/changes", "procurement", watchlist="suppliers", cursor=following["next_cursor"]
    )
    assert again.json()["events"] == []  # type: ignore[attr-defined]


def test_changes_need_a_watchlist_unless_admin(api: Api) -> None:
    assert_problem(api.get("/changes", "investigator"), 403)
    whole = api.get("/changes", "admin")
    assert whole.status_code == 200  # type: ignore[attr-defined]
    kinds = {e["kind"] for e in whole.json()["events"]}  # type: ignore[attr-defined]
    assert kinds == {"relation_added", "entry_added"}
    assert_problem(api.get("/changes", "admin", cursor="garbage!"), 422)
    assert_problem(api.get("/changes", "admin", since="yesterday"), 422)
    assert_problem(api.get("/changes", "investigator", watchlist="nobody"), 404)
    today_on = api.get("/changes", "admin", since="2000-01-01").json()  # type: ignore[attr-defined]
    assert len(today_on["events"]) == len(whole.json()["events"])  # type: ignore[attr-defined]
    future = api.get("/changes", "admin", since="2199-01-01").json()  # type: ignore[attr-defined]
    assert future["events"] == []


def test_refused_watchlist_posts_are_audited_with_their_ids(api: Api) -> None:
    """A watchlist POST refused (403: a full person id for a masked role) or
    invalid (422) names the ids of its body in the audit log."""
    firm, person = api.graph["星辰科技"], api.graph["张伟"]
    before = api.get("/audit", "admin", limit=1000).json()["records"]  # type: ignore[attr-defined]
    assert_problem(api.post("/watchlists", {"name": "p", "ids": [person]}, "procurement"), 403)
    assert_problem(api.post("/watchlists", {"name": "", "ids": [firm, 7]}, "investigator"), 422)
    records = api.get("/audit", "admin", limit=1000).json()["records"]  # type: ignore[attr-defined]
    got = [
        (r["endpoint"], r["subject_ids"])
        for r in records[len(before) :]
        if r["endpoint"].startswith("POST /watchlists")
    ]
    assert got == [("POST /watchlists (403)", [person]), ("POST /watchlists (422)", [firm])]


def test_history_is_masked_for_masked_roles(api: Api) -> None:
    """Persons in a timeline (roles, flag paths, feed details) reach the
    masked roles as refs, never as full ids; the investigator sees them."""
    propagate(api.store, AS_OF)
    firm = api.graph["华盛电子"]
    persons = [api.graph[n] for n in ("张伟", "李娜", "John Smith")]
    full = api.get(f"/entities/{firm}/history", "investigator", as_of=AS_OF.isoformat())
    assert full.status_code == 200  # type: ignore[attr-defined]
    items = full.json()["items"]  # type: ignore[attr-defined]
    assert {api.graph["张伟"], api.graph["李娜"]} <= {i["other_id"] for i in items}
    for role in ("public", "procurement"):
        r = api.get(f"/entities/{firm}/history", role, as_of=AS_OF.isoformat())
        assert r.status_code == 200  # type: ignore[attr-defined]
        assert not any(p in r.text for p in persons)  # type: ignore[attr-defined]
        others = {i["other_id"] for i in r.json()["items"] if i["other_id"]}  # type: ignore[attr-defined]
        assert api.ref("张伟", role) in others
        person = api.get(f"/entities/{api.ref('张伟', role)}/history", role)
        assert person.status_code == 200  # type: ignore[attr-defined]
        assert api.graph["张伟"] not in person.text  # type: ignore[attr-defined]
        assert person.json()["subject_id"] == api.ref("张伟", role)  # type: ignore[attr-defined]
