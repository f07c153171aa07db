"""Watchlists, webhooks and their delivery log.

``(:Watchlist {name})`` with one ``(:Watched {key: name|id})`` per id,
``(:Webhook {name})`` holding its cursor, lease and pending delivery, and
``(:Delivery {attempt_id})`` per attempt (``credgraph.store.neo4j.monitor``).
"""

from __future__ import annotations

from typing import Any, Final

CONSTRAINT_WATCHLIST_NAME = """
CREATE CONSTRAINT watchlist_name IF NOT EXISTS FOR (w:Watchlist) REQUIRE w.name IS UNIQUE
"""
CONSTRAINT_WATCHED_KEY = """
CREATE CONSTRAINT watched_key IF NOT EXISTS FOR (w:Watched) REQUIRE w.key IS UNIQUE
"""
INDEX_WATCHED_LIST = """
CREATE INDEX watched_list IF NOT EXISTS FOR (w:Watched) ON (w.watchlist)
"""
INDEX_WATCHED_SUBJECT = """
CREATE INDEX watched_subject IF NOT EXISTS FOR (w:Watched) ON (w.subject_id)
"""
CONSTRAINT_WEBHOOK_NAME = """
CREATE CONSTRAINT webhook_name IF NOT EXISTS FOR (h:Webhook) REQUIRE h.name IS UNIQUE
"""
INDEX_DELIVERY_WEBHOOK = """
CREATE INDEX delivery_webhook IF NOT EXISTS FOR (d:Delivery) ON (d.webhook)
"""
#: run at start-up with ``schema.SCHEMA`` (idempotent)
SCHEMA: Final = (
    CONSTRAINT_WATCHLIST_NAME,
    CONSTRAINT_WATCHED_KEY,
    INDEX_WATCHED_LIST,
    INDEX_WATCHED_SUBJECT,
    CONSTRAINT_WEBHOOK_NAME,
    INDEX_DELIVERY_WEBHOOK,
)
CREATE_WATCHLIST = """
OPTIONAL MATCH (old:Watchlist {name: $name})
WITH old WHERE old IS NULL
CREATE (w:Watchlist {name: $name, owner: $owner, created_at: $at})
RETURN w.name AS name
"""
WATCHLIST = """
MATCH (w:Watchlist)
WHERE ($name IS NULL OR w.name = $name) AND ($owner IS NULL OR w.owner = $owner)
RETURN w.name AS name, w.owner AS owner, w.created_at AS created_at,
       COUNT { MATCH (x:Watched {watchlist: w.name}) } AS size
ORDER BY name
"""
DELETE_WATCHLIST = """
MATCH (w:Watchlist {name: $name})
OPTIONAL MATCH (x:Watched {watchlist: $name})
DETACH DELETE x
WITH DISTINCT w
OPTIONAL MATCH (h:Webhook {watchlist: $name})
DETACH DELETE h
WITH DISTINCT w
DETACH DELETE w
RETURN count(*) AS deleted
"""
LOCK_WATCHLIST = """
MATCH (w:Watchlist {name: $name})
SET w._lock = true
REMOVE w._lock
RETURN COUNT { MATCH (x:Watched {watchlist: $name}) } AS size
"""
WATCH = """
UNWIND $ids AS id
MERGE (:Watched {key: $name + '|' + id, watchlist: $name, subject_id: id})
"""
UNWATCH = """
UNWIND $ids AS id
MATCH (x:Watched {key: $name + '|' + id})
DELETE x
RETURN count(*) AS removed
"""
WATCHED_IDS = """
MATCH (x:Watched {watchlist: $name})
RETURN x.subject_id AS id
ORDER BY id
SKIP $offset LIMIT $limit
"""
ADD_WEBHOOK = """
MATCH (w:Watchlist {name: $watchlist})
OPTIONAL MATCH (old:Webhook {name: $name})
WITH w, old WHERE old IS NULL
OPTIONAL MATCH (m:Meta {key: 'change_seq'})
CREATE (h:Webhook {name: $name, url: $url, watchlist: $watchlist, owner: $owner,
                   secret: $secret, fingerprint: $fingerprint, created_at: $at,
                   cursor: coalesce(m.value, 0), failures: 0})
RETURN h.name AS name
"""
WEBHOOKS = """
MATCH (h:Webhook)
WHERE $name IS NULL OR h.name = $name
RETURN properties(h) AS hook
ORDER BY h.name
"""
LOCK_WEBHOOK = """
MATCH (h:Webhook {name: $name})
SET h._lock = true
REMOVE h._lock
RETURN properties(h) AS hook
"""
SET_WEBHOOK = """
MATCH (h:Webhook {name: $name})
SET h += $props
"""
APPEND_DELIVERY = """
MERGE (m:Meta {key: 'delivery_seq'}) ON CREATE SET m.value = 0
SET m.value = m.value + 1
CREATE (d:Delivery {attempt_id: m.value})
SET d += $props
"""
DELETE_WEBHOOK = """
MATCH (h:Webhook {name: $name})
DETACH DELETE h
"""
RELEASE_WEBHOOK = """
MATCH (h:Webhook {name: $name})
WHERE h.lease_holder = $holder
REMOVE h.lease_holder, h.lease_until
"""
SKIP_TO = """
MATCH (h:Webhook {name: $name})
WHERE h.pending_id IS NULL AND h.cursor < $seq
SET h.cursor = $seq
"""
DELIVERIES = """
MATCH (d:Delivery {webhook: $name})
RETURN properties(d) AS attempt
ORDER BY d.attempt_id DESC
LIMIT $limit
"""


_HOOK = {
    "name": "h",
    "url": "https://example.org/h",
    "watchlist": "w",
    "owner": "o",
    "secret": "0123456789abcdef",
    "fingerprint": "sha256:0",
    "at": "2024-01-01T00:00:00",
}
PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    **{
        name: {}
        for name in (
            "CONSTRAINT_WATCHLIST_NAME",
            "CONSTRAINT_WATCHED_KEY",
            "INDEX_WATCHED_LIST",
            "INDEX_WATCHED_SUBJECT",
            "CONSTRAINT_WEBHOOK_NAME",
            "INDEX_DELIVERY_WEBHOOK",
        )
    },
    "CREATE_WATCHLIST": {"name": "w", "owner": "o", "at": "2024-01-01T00:00:00"},
    "WATCHLIST": {"name": "w", "owner": None},
    "DELETE_WATCHLIST": {"name": "w"},
    "LOCK_WATCHLIST": {"name": "w"},
    "WATCH": {"name": "w", "ids": ["U1"]},
    "UNWATCH": {"name": "w", "ids": ["U1"]},
    "WATCHED_IDS": {"name": "w", "offset": 0, "limit": 10},
    "ADD_WEBHOOK": _HOOK,
    "WEBHOOKS": {"name": "h"},
    "LOCK_WEBHOOK": {"name": "h"},
    "SET_WEBHOOK": {"name": "h", "props": {"failures": 1}},
    "APPEND_DELIVERY": {"props": {"webhook": "h", "ok": True}},
    "DELETE_WEBHOOK": {"name": "h"},
    "RELEASE_WEBHOOK": {"name": "h", "holder": "host:1:x"},
    "SKIP_TO": {"name": "h", "seq": 10},
    "DELIVERIES": {"name": "h", "limit": 50},
}
