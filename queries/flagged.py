"""The flagged browser: who is flagged on a day, filtered by list, rule,
region and decision date (issue 19), newest decision first.

Flags come from :func:`queries.propagation.all_flags` (the materialised ones
when ``propagate`` ran for the day), so a page costs one pass over the flags
of the day plus lookups of the page's names.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from pydantic import BaseModel

from credgraph.i18n import N_
from credgraph.model import Enterprise, Flag, ListKind, NodeKind, Rule
from credgraph.store import GraphStore
from queries.errors import InvalidRequest
from queries.propagation import all_flags

MAX_LIMIT = 100


class FlaggedSubject(BaseModel):
    id: str
    type: NodeKind
    name: str
    region: str | None
    #: the latest decision day among the flags shown
    decided_on: date
    flags: list[Flag]


class FlaggedResult(BaseModel):
    """One page of flagged subjects; ``total`` counts every match."""

    as_of: date
    total: int
    offset: int
    results: list[FlaggedSubject]
    next_offset: int | None


def flagged(
    store: GraphStore,
    as_of: date,
    *,
    lists: Collection[ListKind] = (),
    rules: Collection[Rule] = (),
    region: str | None = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
    limit: int = 20,
    offset: int = 0,
) -> FlaggedResult:
    """Subjects flagged on ``as_of`` by an entry on one of ``lists`` (all when
    empty), under one of ``rules``, decided within ``decided_from`` ..
    ``decided_to`` (inclusive), in a region containing ``region``.

    Raises :class:`InvalidRequest` for a bad ``limit``/``offset`` or range.
    """
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidRequest(N_("limit must be 1–{max} and offset ≥ 0", max=MAX_LIMIT))
    if decided_from and decided_to and decided_from > decided_to:
        raise InvalidRequest(N_("decided_from is after decided_to"))
    chosen = [
        f
        for f in all_flags(store, as_of)
        if (not lists or f.list in lists) and (not rules or f.rule in rules)
    ]
    entries = {e.entry_id: e for e in store.entries(entry_ids={f.entry_id for f in chosen})}
    by_subject: dict[str, list[tuple[date, Flag]]] = {}
    for f in chosen:
        day = entries[f.entry_id].decided_on
        if (decided_from and day < decided_from) or (decided_to and day > decided_to):
            continue
        by_subject.setdefault(f.subject_id, []).append((day, f))
    nodes = store.nodes(by_subject) if region else {}
    if region:
        by_subject = {
            s: v
            for s, v in by_subject.items()
            if isinstance(nodes.get(s), Enterprise) and region in (nodes[s].region or "")  # type: ignore[union-attr]
        }
    ranked = sorted(by_subject, key=lambda s: (-max(d for d, _ in by_subject[s]).toordinal(), s))
    page = ranked[offset : offset + limit]
    names = store.nodes(page)
    results = [
        FlaggedSubject(
            id=s,
            type=by_subject[s][0][1].subject_type,
            name=names[s].name if s in names else s,
            region=getattr(names.get(s), "region", None),
            decided_on=max(d for d, _ in by_subject[s]),
            flags=[
                f
                for _, f in sorted(by_subject[s], key=lambda x: (-x[0].toordinal(), x[1].entry_id))
            ],
        )
        for s in page
    ]
    more = offset + limit < len(ranked)
    return FlaggedResult(
        as_of=as_of,
        total=len(ranked),
        offset=offset,
        results=results,
        next_offset=offset + limit if more else None,
    )
