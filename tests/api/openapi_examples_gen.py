"""Regenerates api/openapi_examples.json: real answers of the API on the API test graph.

Run from the repository root: .venv/bin/python tests/api/openapi_examples_gen.py
(tests/api/test_docs.py checks the stored examples against the live schema).
"""

import json
import pathlib
import sys
import tempfile

sys.path[:0] = [".", "tests", "tests/api"]
# ruff: noqa: E402 - the imports need the paths above
from api_support import AS_OF, build_graph
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import add_key
from credgraph.store import EmbeddedStore

d = pathlib.Path(tempfile.mkdtemp())
g = build_graph()
s = EmbeddedStore(d / "s.db")
s.upsert(g.batch)
s.close()
key = add_key(d / "k.toml", "docs", "admin")
c = TestClient(create_app(str(d / "s.db"), keys_file=d / "k.toml"))
H = {"X-API-Key": key}
day = AS_OF.isoformat()
A, B = g["华盛电子"], g["星辰科技"]


def trim(v, n=2):
    if isinstance(v, list):
        return [trim(x, n) for x in v[:n]]
    if isinstance(v, dict):
        return {k: trim(x, n) for k, x in v.items()}
    return v


ex = {}


def get(path, url, **params):
    r = c.get(url, headers=H, params=params)
    assert r.status_code == 200, (url, r.text)
    ex["GET " + path] = {"response": trim(r.json())}


def post(path, url, body):
    r = c.post(url, headers=H, json=body)
    assert r.status_code in (200, 201), (url, r.text)
    ex["POST " + path] = {"request": body, "response": trim(r.json())}


r = c.get("/health")
ex["GET /health"] = {"response": r.json()}
get("/entities/{entity_id}", f"/entities/{A}")
get("/entities/{entity_id}/flags", f"/entities/{B}/flags", as_of=day)
get("/entities/{entity_id}/network", f"/entities/{A}/network", as_of=day, limit=3)
get("/entities/{entity_id}/ownership", f"/entities/{A}/ownership", as_of=day)
get("/entities/{entity_id}/level", f"/entities/{B}/level", as_of=day)
get("/entities/{entity_id}/report", f"/entities/{B}/report", as_of=day)
get("/search", "/search", q="华盛", as_of=day)
get("/flagged", "/flagged", as_of=day, limit=2)
cursor = c.get("/search", headers=H, params={"q": "华盛", "limit": 1}).json()["next_cursor"]
get("/paths", "/paths", **{"from": A, "to": B, "as_of": day})
post(
    "/screenings",
    "/screenings",
    {"bidders": [A, B, g["华盛物流"]], "scenario": "public_bidding", "as_of": day},
)
post(
    "/measures/check",
    "/measures/check",
    {"subject_id": B, "scenario": "government_procurement", "as_of": day},
)
post(
    "/objections",
    "/objections",
    {"entry_id": "E2", "reason": "已补报年报，申请移出经营异常名录", "filed_on": "2025-06-02"},
)
oid = ex["POST /objections"]["response"]["objection_id"]
post(
    "/objections/{objection_id}/resolve",
    f"/objections/{oid}/resolve",
    {"upheld": True, "resolved_on": "2025-06-20"},
)
post("/watchlists", "/watchlists", {"name": "suppliers", "ids": [A]})
post("/watchlists/{name}", "/watchlists/suppliers", {"ids": [B]})
get("/watchlists", "/watchlists")
get("/watchlists/{name}", "/watchlists/suppliers", limit=20)
r = c.delete("/watchlists/suppliers", headers=H, params={"id": B})
assert r.status_code == 204, r.text
ex["DELETE /watchlists/{name}"] = {}
get("/changes", "/changes", watchlist="suppliers", since="0", limit=2)
# GET /changes pages with its own cursor (a feed position), not a search cursor
ex["GET /changes"]["parameters"] = {"cursor": ex["GET /changes"]["response"]["next_cursor"]}
get("/entities/{entity_id}/history", f"/entities/{B}/history", as_of=day)
get("/audit", "/audit", limit=2)
ex["parameters"] = {
    "entity_id": B,
    "as_of": day,
    "q": "华盛",
    "from": A,
    "to": B,
    "objection_id": oid,
    "lang": "zh",
    "limit": 20,
    "depth": 1,
    "max_depth": 4,
    "include_ended": False,
    "after": 0,
    "cursor": cursor,
    "list": ["serious_dishonesty"],
    "rule": ["P2"],
    "region": "东莞",
    "decided_from": "2024-01-01",
    "decided_to": "2025-06-01",
    "offset": 0,
    "name": "suppliers",
    "id": B,
    "watchlist": "suppliers",
    "subject": B,
    "since": "0",
}
with open("api/openapi_examples.json", "w", encoding="utf-8") as out:
    json.dump(ex, out, ensure_ascii=False, indent=1)
print(sorted(ex))
