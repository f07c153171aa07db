"""Objection refusals are ``QueryError``s: the one problem+json handler
answers them with their own type, title and status."""

from __future__ import annotations

from api_support import AS_OF, Api


def test_objection_refusals_are_problems(api: Api) -> None:
    unknown = api.post("/objections/999/resolve", {"upheld": True}, lang="en")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json() == {
        "type": "urn:credgraph:problem:unknown-objection",
        "title": "Unknown objection",
        "status": 404,
        "detail": "no objection 999",
        "instance": "/objections/999/resolve",
    }
    entry = api.post(
        "/objections", {"entry_id": "NOPE", "reason": "x", "filed_on": str(AS_OF)}, lang="en"
    )
    assert entry.json() == {
        "type": "urn:credgraph:problem:objection",
        "title": "Objection refused",
        "status": 404,
        "detail": "unknown list entry 'NOPE'",
        "instance": "/objections",
    }
