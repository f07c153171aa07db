"""Watchlists (DESIGN §10): named sets of subjects whose changes someone follows.

A watchlist belongs to the API key that made it (the CLI acts as ``cli``
unless told otherwise); admins see every list, others only their own — a
list of someone else's answers like a missing one. Ids are normalised and
must be stored; unknown ones are reported with their line (or argument
position) and skipped, the others are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.ids import normalise_id
from credgraph.store import GraphStore
from credgraph.store.feed import MAX_WATCHLIST_IDS, NameTaken, UnknownWatchlist, Watchlist
from queries.errors import InvalidRequest
from queries.uploads import table_rows
from queries.webhooks import UnknownMonitorName

#: header names (folded) of the id column of an import file
ID_COLUMNS = ("id", "uscc", "统一社会信用代码", "subject_id", "证件号码")
MAX_NAME = 100


class Skipped(BaseModel):
    """An id that was not added: where it stood and why."""

    line: int
    value: str
    reason: str


class WatchReport(BaseModel):
    watchlist: str
    added: int
    already: int
    removed: int = 0
    skipped: list[Skipped]
    size: int


class WatchlistView(Watchlist):
    ids: list[str]
    ids_offset: int = 0


def check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME or not text.isprintable() or "/" in text:
        raise InvalidRequest(
            N_("a watchlist name must be 1-{max} printable characters, no '/'", max=MAX_NAME)
        )
    return text


def visible(store: GraphStore, name: str, owner: str | None) -> Watchlist:
    """The watchlist ``name`` if ``owner`` may see it (None: an admin)."""
    try:
        found = store.watchlist(name)
    except UnknownWatchlist:
        found = None
    if found is None or (owner is not None and found.owner != owner):
        raise UnknownMonitorName(N_("no watchlist named {name!r}", name=name))
    return found


def _ensure(store: GraphStore, name: str, owner: str, admin: bool) -> Watchlist:
    """The list to add to, made for ``owner`` when it does not exist yet."""
    name = check_name(name)
    try:
        return store.create_watchlist(name, owner)
    except NameTaken:
        return visible(store, name, None if admin else owner)


def add_ids(
    store: GraphStore,
    name: str,
    ids: Iterable[tuple[int, str]],
    owner: str,
    admin: bool = False,
) -> WatchReport:
    """Add ``(line, id)`` pairs to the watchlist ``name`` (made if missing)."""
    wanted: dict[str, int] = {}
    skipped: list[Skipped] = []
    for line, raw in ids:
        value = normalise_id(raw)
        if not value:
            skipped.append(Skipped(line=line, value=raw, reason="empty id"))
        elif len(value) > 64:
            skipped.append(Skipped(line=line, value=raw[:64], reason="not an id (too long)"))
        else:
            wanted.setdefault(value, line)
    if len(wanted) > MAX_WATCHLIST_IDS:
        raise InvalidRequest(N_("at most {max:,} ids per watchlist", max=MAX_WATCHLIST_IDS))
    watchlist = _ensure(store, name, owner, admin)
    known = store.existing_ids(wanted)
    skipped += [
        Skipped(line=line, value=value, reason="not in the store")
        for value, line in wanted.items()
        if value not in known
    ]
    skipped.sort(key=lambda s: s.line)
    present = [i for i in wanted if i in known]
    try:
        added = store.watch(watchlist.name, present)
    except ValueError as exc:
        raise InvalidRequest(*exc.args) from None
    return WatchReport(
        watchlist=watchlist.name,
        added=added,
        already=len(present) - added,
        skipped=skipped,
        size=store.watchlist(watchlist.name).size,
    )


def remove(
    store: GraphStore, name: str, ids: Sequence[str] | None, owner: str | None
) -> WatchReport:
    """Remove ids from a watchlist, or (``ids`` None) the list and its webhooks."""
    found = visible(store, name, owner)
    if ids is None:
        store.delete_watchlist(found.name)
        return WatchReport(
            watchlist=found.name, added=0, already=0, removed=found.size, skipped=[], size=0
        )
    removed = store.unwatch(found.name, [normalise_id(i) for i in ids])
    return WatchReport(
        watchlist=found.name,
        added=0,
        already=0,
        removed=removed,
        skipped=[],
        size=store.watchlist(found.name).size,
    )


def view(
    store: GraphStore, name: str, owner: str | None, limit: int = 1000, offset: int = 0
) -> WatchlistView:
    found = visible(store, name, owner)
    ids = store.watched_ids(found.name, limit, offset)
    return WatchlistView(**found.model_dump(), ids=ids, ids_offset=offset)


def listing(store: GraphStore, owner: str | None) -> list[Watchlist]:
    """Every watchlist ``owner`` may see (None: all of them)."""
    return store.watchlists(owner)


# -- import files --------------------------------------------------------------
def read_ids(data: bytes, filename: str = "") -> list[tuple[int, str]]:
    """``(line, id)`` of every non-blank row of a CSV or XLSX file (first
    sheet) whose header has a column ``id`` or ``uscc``.

    Raises :class:`InvalidRequest` when the file is unreadable, has no such
    column or more than :data:`MAX_WATCHLIST_IDS` rows.
    """
    column: int | None = None
    out: list[tuple[int, str]] = []
    for line, cells in table_rows(data, filename, N_("watchlist file"), MAX_WATCHLIST_IDS):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if column is None:
            folded = [c.lstrip("\ufeff").strip().lower() for c in cells]
            found = [folded.index(c) for c in ID_COLUMNS if c in folded]
            if not found:
                raise InvalidRequest(N_("the watchlist file needs a column named id or uscc"))
            column = found[0]
            continue
        out.append((line, cells[column] if column < len(cells) else ""))
        if len(out) > MAX_WATCHLIST_IDS:
            raise InvalidRequest(N_("at most {max:,} ids per watchlist", max=MAX_WATCHLIST_IDS))
    if column is None:
        raise InvalidRequest(N_("the watchlist file is empty (no header row)"))
    return out
