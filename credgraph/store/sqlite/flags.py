"""The flag cache of the embedded store: materialised flags and their state.

Flags are stored as the JSON of ``model.Flag`` keyed by (subject_id, flag,
entry_id); the state (as_of, generation, policy key) sits in ``meta``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring
from typing import Any, NamedTuple

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


#: a flag's fields (``vars(flag)``): equal fields, equal JSON
Fields = dict[str, Any]


class _Difference(NamedTuple):
    """Keys added, kept with other data and removed (each sorted); the
    JSON of the rows to write by key (at least the added and changed);
    the list of each stored flag replaced (changed and removed), by key."""

    added: list[FlagKey]
    changed: list[FlagKey]
    removed: list[FlagKey]
    written: dict[FlagKey, str]
    old: dict[FlagKey, str]


@dataclass(frozen=True)
class _Saved:
    """The flags table as a full ``save_flags`` of this store object left
    it, through ``conn``: each flag's fields by key, and in key order. It
    stands for the table while nothing was written since — no other
    connection committed (``PRAGMA data_version``, read inside that save's
    transaction) and this one made no change (``total_changes``, read after
    its commit)."""

    conn: sqlite3.Connection
    data_version: int
    total_changes: int
    fields: dict[FlagKey, Fields]
    ordered: list[Fields]

    @classmethod
    def of(
        cls,
        conn: sqlite3.Connection,
        data_version: int,
        fields: dict[FlagKey, Fields],
        ordered: list[Fields] | None = None,
    ) -> _Saved:
        if ordered is None:
            ordered = [fields[key] for key in sorted(fields)]
        return cls(conn, data_version, conn.total_changes, fields, ordered)

    def current(self, conn: sqlite3.Connection) -> bool:
        return (
            conn is self.conn
            and conn.total_changes == self.total_changes
            and _data_version(conn) == self.data_version
        )

    def holds(self, flags: Sequence[Flag]) -> bool:
        """Whether ``flags`` are the flags held, in key order, once each
        (as a full run gives them): one comparison of two lists of fields,
        no key built; any other order or a repeated key answers False."""
        return len(flags) == len(self.ordered) and list(map(vars, flags)) == self.ordered


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


#: an empty flags table filled with this many rows gets its indexes after them
REBUILD_AT = 10_000


@contextmanager
def _indexes_after(conn: sqlite3.Connection, rebuild: bool) -> Iterator[None]:
    """With ``rebuild``, the flags table's indexes (``flags_by_entry``) are
    dropped for the block and made again after it, from their own SQL: one
    sort of the rows instead of an insert per row in another order (a
    store's first ``propagate`` at 1 M: −0.1 s CPU). In the write
    transaction: readers see the table and its indexes as before."""
    sql = []
    if rebuild:
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'flags' AND sql IS NOT NULL"
        ).fetchall()
        for name, create in found:
            conn.execute(f'DROP INDEX "{name}"')
            sql.append(create)
    yield
    for create in sql:
        conn.execute(create)


class FlagStore(SqliteBase):
    """:class:`~credgraph.store.base.FlagCache` on the store file."""

    #: the flags of the last full save, while they are what the table holds
    #: (their fields: ~40 MB at 1 M enterprises, let go on close)
    _saved: _Saved | None = None

    def close(self) -> None:
        self._saved = None
        super().close()

    def save_flags(
        self,
        as_of: date,
        generation: int,
        flags: Sequence[Flag],
        replace_entries: Collection[str] | None = None,
        policy_key: str = "",
        feed: FlagFeed | None = None,
    ) -> FlagDiff:
        scope = None if replace_entries is None else ids_param(replace_entries)
        saved, self._saved = self._saved, None
        with self.transaction(bump=False) as conn:
            known = saved if scope is None and saved is not None and saved.current(conn) else None
            if known is not None and known.holds(flags):
                # a re-run that finds the flags the table holds: every row
                # is left as it was, the state alone is rewritten
                diff, fields = FlagDiff([], []), known.fields
            else:
                fields_known = None if known is None else known.fields
                diff, fields = self._replace(conn, scope, flags, fields_known, feed)
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES "
                "('flags_as_of', ?), ('flags_generation', ?), ('flags_policy', ?)",
                (as_of.isoformat(), str(generation), policy_key),
            )
            version = _data_version(conn)
        if scope is None:
            ordered = known.ordered if known is not None and known.fields is fields else None
            self._saved = _Saved.of(conn, version, fields, ordered)
        return diff

    def _replace(
        self,
        conn: sqlite3.Connection,
        scope: str | None,
        flags: Sequence[Flag],
        known: Mapping[FlagKey, Fields] | None,
        feed: FlagFeed | None,
    ) -> tuple[FlagDiff, dict[FlagKey, Fields]]:
        """Write the difference of ``flags`` to the stored ones (all, or
        those of the entries of the JSON array ``scope``) and its feed
        events; the difference, and the fields of the flags by key."""
        rows = {(f.subject_id, str(f.flag), f.entry_id): f for f in flags}
        fields = {key: vars(f) for key, f in rows.items()}
        diff = self._difference(conn, scope, rows, fields, known)
        added, changed, removed, written = diff.added, diff.changed, diff.removed, diff.written
        subjects: list[str] = []
        subjects_json = "[]"
        if feed is not None:
            # the events concern only the subjects whose flags change:
            # a key added or removed, or kept with another list
            subjects = affected_subjects(diff.old, {k: rows[k].list for k in (*added, *changed)})
            if subjects:
                subjects_json = json.dumps(subjects, ensure_ascii=False)
                snapshot_flags(conn, scope, subjects_json)
        # only the difference is written: a kept flag's row is left as it was
        conn.executemany(
            "DELETE FROM flags WHERE subject_id = ? AND flag = ? AND entry_id = ?", removed
        )
        # a full save into an empty table (nothing kept, nothing removed)
        empty = scope is None and not removed and len(added) == len(rows)
        with _indexes_after(conn, empty and len(added) >= REBUILD_AT):
            conn.executemany(
                "INSERT INTO flags VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET data = excluded.data",
                ((*key, written[key]) for key in sorted((*added, *changed))),
            )
        if feed is not None and subjects:
            append_flag_events(conn, feed, scope, rows, subjects, subjects_json)
        return FlagDiff(added, removed), fields

    def _difference(
        self,
        conn: sqlite3.Connection,
        scope: str | None,
        rows: Mapping[FlagKey, Flag],
        fields: Mapping[FlagKey, Fields],
        known: Mapping[FlagKey, Fields] | None,
    ) -> _Difference:
        """What the flags ``rows`` (their ``fields``) change in the stored
        ones: compared field by field with ``known``, the stored flags'
        fields when this object knows them (:class:`_Saved`: nothing read,
        JSON made for the rows written only); else with the stored JSON,
        read once (the JSON of every flag made to compare)."""
        if known is not None:
            added, changed, removed = flag_difference(known, fields)
            written = {key: flag_json(rows[key]) for key in (*added, *changed)}
            old = {k: str(known[k]["list"].value) for k in (*removed, *changed)}
            return _Difference(added, changed, removed, written, old)
        stored = self._stored_data(conn, scope)
        written = {key: flag_json(f) for key, f in rows.items()}
        added, changed, removed = flag_difference(stored, written)
        old = {k: json.loads(stored[k])["list"] for k in (*removed, *changed)}
        return _Difference(added, changed, removed, written, old)

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
