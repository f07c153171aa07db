"""The change feed's events of ``save_flags`` in the embedded store.

``flag_removed`` and ``flag_added`` are written set-based: the flags a save
replaces are kept in a temporary table (:func:`snapshot_flags`), and once
the new flags are written one ``INSERT … SELECT`` each compares the two by
key, in key order, with the detail cut out of the flag's JSON by SQLite.
The verdicts of the subjects of those events (``FlagFeed``'s table) come
from the flags in hand and the condition bits of their stored flags, and are
appended in subject order. A save that changes no flag key writes nothing.
Flag and verdict events have a subject index of their own
(``FLAG_CHANGES_INDEX``), so they never split the pages of the index of a
load's events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence

from credgraph.model import Flag, ListKind
from credgraph.store.feed import ChangeKind, FlagFeed, FlagKey
from credgraph.store.sqlite.feed import INSERT, K, statements

_OLD = "temp.feed_old_flags"
_SNAPSHOT_TABLE = f"""CREATE TEMP TABLE IF NOT EXISTS feed_old_flags(
    subject_id TEXT, flag TEXT, entry_id TEXT, data TEXT, PRIMARY KEY(subject_id, flag, entry_id)
) WITHOUT ROWID;
DELETE FROM {_OLD}"""
_IN_SCOPE = "entry_id IN (SELECT value FROM json_each(:scope))"
# the detail of a flag event: its flag's JSON less the fields of the event
# (what is left is list, rule, path and relations, in that order)
_DETAIL = """json_remove({0}.data, '$.subject_id', '$.subject_type', '$.flag', '$.entry_id',
 '$.citation', '$.other_paths')"""
_SAME_KEY = (
    "{0}.subject_id = {1}.subject_id AND {0}.flag = {1}.flag AND {0}.entry_id = {1}.entry_id"
)
_REMOVED = f"""{INSERT}
SELECT {K[ChangeKind.FLAG_REMOVED]}, o.subject_id, NULL, o.entry_id, o.flag, :as_of,
  {_DETAIL.format("o")}
FROM {_OLD} o WHERE NOT EXISTS (SELECT 1 FROM flags n WHERE {_SAME_KEY.format("n", "o")})
ORDER BY o.subject_id, o.flag, o.entry_id"""
_ADDED = f"""{INSERT}
SELECT {K[ChangeKind.FLAG_ADDED]}, n.subject_id, NULL, n.entry_id, n.flag, :as_of,
  {_DETAIL.format("n")}
FROM flags n WHERE {{scope}} n.subject_id IN (SELECT value FROM json_each(:subjects))
  AND NOT EXISTS (SELECT 1 FROM {_OLD} o WHERE {_SAME_KEY.format("n", "o")})
ORDER BY n.subject_id, n.flag, n.entry_id"""
#: flags added: in a save of all flags (False) and of some entries' (True)
_ADDED_IN = {False: _ADDED.format(scope=""), True: _ADDED.format(scope=f"n.{_IN_SCOPE} AND")}
_IN_SUBJECTS = "subject_id IN (SELECT value FROM json_each(:subjects))"
_OLD_HELD = f"SELECT subject_id, flag, data->>'$.list' FROM {_OLD} WHERE {_IN_SUBJECTS}"
# a save of some entries: the subjects' other flags, which it leaves alone
_KEPT = f"""SELECT subject_id, flag, data->>'$.list' FROM flags
WHERE {_IN_SUBJECTS} AND NOT {_IN_SCOPE}"""

# the verdicts that changed, computed in Python: [[subject, from, to], …]
_VERDICTS = f"""{INSERT}
SELECT {K[ChangeKind.VERDICT_CHANGED]}, value->>0, NULL, NULL, NULL, :as_of,
  json_object('scenario', :scenario, 'from', value->>1, 'to', value->>2)
FROM json_each(:changed) ORDER BY key"""


def affected_subjects(old: Mapping[FlagKey, str], new: Mapping[FlagKey, ListKind]) -> list[str]:
    """The subjects whose events a save writes: a flag key removed or added,
    or kept with another list (an entry reloaded on another list changes
    the verdict without a flag event). ``old``: the list of each stored flag
    the save replaces; ``new``: the list of each flag it writes."""
    changed = old.keys() ^ new.keys()
    changed |= {k for k in old.keys() & new.keys() if old[k] != new[k].value}
    return sorted({k[0] for k in changed})


def snapshot_flags(conn: sqlite3.Connection, scope: str | None, subjects: str) -> None:
    """Keep the flags a ``save_flags`` replaces (all, or those of the
    entries of the JSON array ``scope``) of the JSON array ``subjects``
    (:func:`affected_subjects`) for :func:`append_flag_events`."""
    for statement in statements(_SNAPSHOT_TABLE):
        conn.execute(statement)
    where = "" if scope is None else f" AND {_IN_SCOPE}"
    conn.execute(
        f"INSERT INTO {_OLD} SELECT subject_id, flag, entry_id, data FROM flags "
        f"WHERE {_IN_SUBJECTS}{where}",
        {"scope": scope, "subjects": subjects},
    )


def append_flag_events(
    conn: sqlite3.Connection,
    feed: FlagFeed,
    scope: str | None,
    flags: Mapping[FlagKey, Flag],
    subjects: Sequence[str],
    subjects_json: str,
) -> None:
    """Append the events (:class:`FlagFeed`) of a ``save_flags`` that has
    written ``flags`` (by key) after :func:`snapshot_flags` of ``subjects``
    (``subjects_json``: the same, as the JSON array given to it): flags
    removed and added by key, then the verdicts that changed, by subject."""
    params: dict[str, object] = {
        "as_of": feed.as_of.isoformat(),
        "scope": scope or "[]",
        "subjects": subjects_json,
    }
    conn.execute(_REMOVED, params)
    conn.execute(_ADDED_IN[scope is not None], params)
    _append_verdicts(conn, feed, params, flags, subjects, partial=scope is not None)
    conn.execute(f"DELETE FROM {_OLD}")


def _append_verdicts(
    conn: sqlite3.Connection,
    feed: FlagFeed,
    params: dict[str, object],
    flags: Mapping[FlagKey, Flag],
    affected: Sequence[str],
    *,
    partial: bool,
) -> None:
    """``verdict_changed`` for the ``affected`` subjects: those of the flag
    events just written and those whose flags changed list."""
    subjects = dict.fromkeys(affected)
    bits = feed.conditions
    was, now = dict.fromkeys(subjects, 0), dict.fromkeys(subjects, 0)
    # one flag per key, the last one given (as stored); a str enum member
    # is its value as a key
    for (subject, flag, _), written in flags.items():
        if subject in now:
            now[subject] |= bits.get((flag, written.list), 0)
    for subject, flag, listed in conn.execute(_OLD_HELD, params):
        was[subject] |= bits.get((flag, listed), 0)
    if partial:
        for subject, flag, listed in conn.execute(_KEPT, params):
            was[subject] |= bits.get((flag, listed), 0)
            now[subject] |= bits.get((flag, listed), 0)
    changed = [
        (subject, feed.verdicts[was[subject]], feed.verdicts[now[subject]])
        for subject in sorted(subjects)
        if feed.verdicts[was[subject]] != feed.verdicts[now[subject]]
    ]
    params["changed"] = json.dumps(changed, ensure_ascii=False)
    params["scenario"] = feed.scenario
    conn.execute(_VERDICTS, params)
