"""The flag cache of the embedded store: materialised flags and their state.

Flags are stored as the JSON of ``model.Flag`` keyed by (subject_id, flag,
entry_id); the state (as_of, generation, policy key) sits in ``meta``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from json.encoder import encode_basestring

from credgraph.model import Flag
from credgraph.store.base import FlagDiff, StoredFlags
from credgraph.store.feed import FlagFeed
from credgraph.store.shared import flag_difference
from credgraph.store.sqlite.connection import SqliteBase
from credgraph.store.sqlite.flag_events import (
    affected_subjects,
    append_flag_events,
    snapshot_flags,
)
from credgraph.store.sqlite.records import ids_param

#: (subject_id, flag, entry_id): the key of a stored flag
FlagKey = tuple[str, str, str]


def _template(parts: tuple[str, str, str, str, str]) -> str:
    """The JSON of a flag with its fixed fields (subject_type, flag, list,
    rule, citation) written in, and ``%s``/``%d`` for the others, in
    pydantic's field order."""
    subject_type, flag, kind, rule, citation = (
        encode_basestring(x).replace("%", "%%") for x in parts
    )
    return (
        '{"subject_id":%s,"subject_type":'
        + subject_type
        + ',"flag":'
        + flag
        + ',"list":'
        + kind
        + ',"entry_id":%s,"rule":'
        + rule
        + ',"citation":'
        + citation
        + ',"path":[%s],"relations":[%s],"other_paths":%d}'
    )


_TEMPLATES: dict[tuple[str, str, str, str, str], str] = {}


def flag_json(flag: Flag) -> str:
    """``flag.model_dump_json()``, byte for byte, in a fraction of the time:
    a flag's fields are strings (enum members among them), lists of strings
    and an int, in a fixed order, so the C string encoder writes each as
    pydantic would, without the masking serialisers a stored flag never
    needs; the fixed fields come from a template per combination."""
    f = vars(flag)
    fixed = (f["subject_type"], f["flag"], f["list"], f["rule"], f["citation"])
    template = _TEMPLATES.get(fixed)
    if template is None:
        template = _TEMPLATES[fixed] = _template(fixed)
    enc = encode_basestring
    return template % (
        enc(f["subject_id"]),
        enc(f["entry_id"]),
        ",".join(map(enc, f["path"])),
        ",".join(map(enc, f["relations"])),
        f["other_paths"],
    )


class FlagStore(SqliteBase):
    """:class:`~credgraph.store.base.FlagCache` on the store file."""

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[Flag],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        feed: FlagFeed | None = None,
    ) -> FlagDiff:
        rows = {(f.subject_id, str(f.flag), f.entry_id): f for f in flags}
        scope = None if replace_entries is None else ids_param(replace_entries)
        with self.transaction(bump=False) as conn:
            # the stored flags' JSON, read once: the difference by key, and
            # which kept keys changed data (the only rows rewritten)
            stored = self._stored_data(conn, scope)
            written = {key: flag_json(f) for key, f in rows.items()}
            added, changed, removed = flag_difference(stored, written)
            subjects: list[str] = []
            subjects_json = "[]"
            if feed is not None:
                # the events concern only the subjects whose flags change:
                # a key added or removed, or kept with another list
                old = {k: json.loads(stored[k])["list"] for k in (*removed, *changed)}
                subjects = affected_subjects(old, {k: rows[k].list for k in (*added, *changed)})
                if subjects:
                    subjects_json = json.dumps(subjects, ensure_ascii=False)
                    snapshot_flags(conn, scope, subjects_json)
            # only the difference is written: a re-run that finds the same
            # flags leaves every row as it was and rewrites the state alone
            conn.executemany(
                "DELETE FROM flags WHERE subject_id = ? AND flag = ? AND entry_id = ?", removed
            )
            conn.executemany(
                "INSERT INTO flags VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET data = excluded.data",
                ((*key, written[key]) for key in sorted((*added, *changed))),
            )
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES "
                "('flags_as_of', ?), ('flags_generation', ?), ('flags_policy', ?)",
                (as_of.isoformat(), str(generation), policy_key),
            )
            if feed is not None and subjects:
                append_flag_events(conn, feed, scope, rows, subjects, subjects_json)
        return FlagDiff(added, removed)

    @staticmethod
    def _stored_data(conn: sqlite3.Connection, scope: str | None) -> dict[FlagKey, str]:
        """The JSON of the stored flags of the entries of the JSON array
        ``scope`` (all with None), by (subject_id, flag, entry_id)."""
        sql = "SELECT subject_id, flag, entry_id, data FROM flags"
        if scope is not None:
            sql += " WHERE entry_id IN (SELECT value FROM json_each(?))"
        rows = conn.execute(sql, () if scope is None else (scope,))
        return {(s, f, e): data for s, f, e, data in rows}

    def flags_state(self) -> tuple[date, int] | None:
        meta = dict(
            self._conn()
            .execute("SELECT key, value FROM meta WHERE key IN ('flags_as_of', 'flags_generation')")
            .fetchall()
        )
        if "flags_as_of" not in meta:
            return None
        return date.fromisoformat(meta["flags_as_of"]), int(meta["flags_generation"])

    def flags_policy_key(self) -> str:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'flags_policy'").fetchone()
        return str(row[0]) if row else ""

    def stored_flags(
        self,
        subject_ids: Iterable[str] | None = None,
        entry_ids: Iterable[str] | None = None,
    ) -> StoredFlags | None:
        state = self.flags_state()
        if state is None:
            return None
        where: list[str] = []
        args: list[str] = []
        if subject_ids is not None:
            where.append("subject_id IN (SELECT value FROM json_each(?))")
            args.append(ids_param(subject_ids))
        if entry_ids is not None:
            where.append("entry_id IN (SELECT value FROM json_each(?))")
            args.append(ids_param(entry_ids))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._conn().execute(
            f"SELECT data FROM flags{clause} ORDER BY subject_id, flag, entry_id", args
        )
        return StoredFlags(
            as_of=state[0],
            generation=state[1],
            flags=[Flag.model_validate_json(r[0]) for r in rows],
        )
