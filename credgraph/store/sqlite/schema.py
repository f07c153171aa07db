"""The embedded store's tables (the audit log has its own file: ``audit.py``).

``SCHEMA_VERSION`` is written to ``PRAGMA user_version``; a store opened
with an older version is brought up to date once, by a writer.
"""

from __future__ import annotations

from credgraph.store.sqlite.fts import SEARCH_SCHEMA

#: 1: the audit log moved to its own file (``<store>-audit``)
#: 2: indexes on the enterprises' normalised contacts (mass-registration
#:    counts) — or, on a store written by the monitoring branch before the
#:    two met, the change feed, watchlists and webhooks
#: 3: both (every upgrade step is idempotent: a version-2 store of either
#:    kind gets what it lacks)
#: 4: the change feed's subject index split in two (flag and verdict events
#:    apart from a load's)
SCHEMA_VERSION = 4

#: page cache (negative = KiB): 256 MiB for queries, 1 GiB during a bulk load
CACHE_KIB = -262_144
BULK_CACHE_KIB = -1_048_576

#: covering index for expansions towards sources (who holds a role in X)
RELATIONS_BY_TARGET = """CREATE INDEX IF NOT EXISTS relations_by_target ON relations(
    target_uscc, source_id, role, title, start_on, share_pct, end_on, source_type)"""

#: indexes on the enterprises' normalised contacts (mass-registration counts)
CONTACT_INDEXES = """CREATE INDEX IF NOT EXISTS enterprises_by_phone ON enterprises(phone_norm)
    WHERE phone_norm IS NOT NULL;
CREATE INDEX IF NOT EXISTS enterprises_by_email ON enterprises(email_norm)
    WHERE email_norm IS NOT NULL;
CREATE INDEX IF NOT EXISTS enterprises_by_address ON enterprises(address_norm)
    WHERE address_norm IS NOT NULL"""

#: secondary indexes a bulk load into an empty table drops and builds once
#: at the end (one sorted build instead of millions of random inserts)
DEFERRED_INDEXES = {
    "relations": (RELATIONS_BY_TARGET,),
    "enterprises": tuple(CONTACT_INDEXES.split(";")),
}

GRAPH_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enterprises(
    uscc TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT,
    established_on TEXT, registered_capital REAL, region TEXT, industry TEXT,
    address TEXT, phone TEXT, email TEXT, phone_norm TEXT, email_norm TEXT, address_norm TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS persons(
    person_id TEXT PRIMARY KEY, id_type TEXT NOT NULL, name TEXT NOT NULL,
    phone TEXT, address TEXT, phone_norm TEXT, address_norm TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relations(
    source_id TEXT NOT NULL, source_type TEXT NOT NULL, target_uscc TEXT NOT NULL,
    role TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', start_on TEXT NOT NULL DEFAULT '',
    share_pct REAL, end_on TEXT,
    PRIMARY KEY(source_id, target_uscc, role, title, start_on)
) WITHOUT ROWID;
{RELATIONS_BY_TARGET};
CREATE TABLE IF NOT EXISTS entries(
    entry_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, subject_type TEXT NOT NULL,
    list TEXT NOT NULL, category TEXT, reason TEXT, authority TEXT, case_no TEXT,
    decided_on TEXT NOT NULL, valid_until TEXT, removed_on TEXT, removal_reason TEXT,
    responsible TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_subject ON entries(subject_id);
CREATE INDEX IF NOT EXISTS entries_by_list ON entries(list);
CREATE TABLE IF NOT EXISTS entry_responsible(
    person_id TEXT NOT NULL, entry_id TEXT NOT NULL, PRIMARY KEY(person_id, entry_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objections(
    objection_id INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL,
    reason TEXT NOT NULL, filed_on TEXT NOT NULL, resolved_on TEXT, upheld INTEGER
);
CREATE INDEX IF NOT EXISTS objections_by_entry ON objections(entry_id);
CREATE TABLE IF NOT EXISTS flags(
    subject_id TEXT NOT NULL, flag TEXT NOT NULL, entry_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY(subject_id, flag, entry_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS flags_by_entry ON flags(entry_id);
CREATE TABLE IF NOT EXISTS commitments(
    commitment_id INTEGER PRIMARY KEY AUTOINCREMENT, subject_id TEXT NOT NULL,
    matter TEXT NOT NULL, promised_by TEXT NOT NULL, made_on TEXT NOT NULL, fulfilled_on TEXT
);
CREATE INDEX IF NOT EXISTS commitments_by_subject ON commitments(subject_id);
{CONTACT_INDEXES};
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
"""

SCHEMA = GRAPH_SCHEMA + SEARCH_SCHEMA

#: contact kind -> its normalised column (shared-contact counts, DESIGN §6)
CONTACT_COLUMNS = {"phone": "phone_norm", "email": "email_norm", "address": "address_norm"}
