"""Helpers every backend shares: date cells, id lists, the plain search's
merge and the contacts of nodes. Written once so that both backends answer
the ``GraphStore`` primitives the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

from credgraph.model import Enterprise, ListEntry, Node, Relation
from credgraph.store.feed import FlagKey

T = TypeVar("T")


def d(value: str | None) -> date | None:
    """An ISO date cell read back (empty = none).

    >>> d("2024-05-01"), d(None), d("")
    (datetime.date(2024, 5, 1), None, None)
    """
    return date.fromisoformat(value) if value else None


def iso(value: date | None) -> str | None:
    """A date written as an ISO cell (none stays none).

    >>> iso(date(2024, 5, 1)), iso(None)
    ('2024-05-01', None)
    """
    return value.isoformat() if value else None


def unique(ids: Iterable[str]) -> list[str]:
    """``ids`` without repeats, first occurrence first.

    >>> unique(["b", "a", "b"])
    ['b', 'a']
    """
    return list(dict.fromkeys(ids))


def in_order(found: Mapping[str, Node], ids: Iterable[str]) -> list[Node]:
    """The nodes of ``ids`` that were found, in the order of ``ids``."""
    return [found[i] for i in ids if i in found]


def merge_lookups(lookups: Sequence[Callable[[int], Iterable[str]]], limit: int) -> list[str]:
    """Ids from each lookup in turn, without repeats, until ``limit`` are
    found (a lookup is called with ``limit`` and is not called once enough
    were found): the plain search's ids-then-names order.

    >>> merge_lookups([lambda n: ["U1", "U2"], lambda n: ["U2", "P1"]], 10)
    ['U1', 'U2', 'P1']
    >>> merge_lookups([lambda n: ["U1", "U2"], lambda n: 1 / 0], 2)
    ['U1', 'U2']
    """
    ids: list[str] = []
    seen: set[str] = set()
    for lookup in lookups:
        if len(ids) >= limit:
            break
        for found in lookup(limit):
            if found not in seen:
                seen.add(found)
                ids.append(found)
    return ids


def contacts_of(nodes: Iterable[Node]) -> dict[str, dict[str, str]]:
    """Normalised contacts (phone, email, address) of nodes by id; empty
    values are left out (``GraphStore.contacts``)."""
    out: dict[str, dict[str, str]] = {}
    for node in nodes:
        pairs = (
            {"phone": node.phone_norm, "email": node.email_norm, "address": node.address_norm}
            if isinstance(node, Enterprise)
            else {"phone": node.phone_norm, "address": node.address_norm}
        )
        out[node.id] = {k: v for k, v in pairs.items() if v}
    return out


def relation_row(r: Relation) -> tuple[str, str, str, str, str, str, float | None, str | None]:
    """A relation as ``Graph.relation_rows`` gives it (``RelationRow``), for
    a backend that reads records."""
    title = r.title.value if r.title else ""
    start = r.start_on.isoformat() if r.start_on else ""
    return (
        r.source_id,
        r.source_type.value,
        r.target_uscc,
        r.role.value,
        title,
        start,
        r.share_pct,
        iso(r.end_on),
    )


def entry_row(e: ListEntry) -> tuple[str, str, str, str, str, str | None, str | None, str]:
    """An entry as ``Graph.entry_rows`` gives it (``EntryRow``)."""
    return (
        e.entry_id,
        e.subject_id,
        e.subject_type.value,
        e.list.value,
        e.decided_on.isoformat(),
        iso(e.valid_until),
        iso(e.removed_on),
        ";".join(e.responsible_person_ids),
    )


def flag_difference(
    stored: Mapping[FlagKey, T], written: Mapping[FlagKey, T]
) -> tuple[list[FlagKey], list[FlagKey], list[FlagKey]]:
    """The keys added, kept with other data, and removed, each sorted, when
    the flags ``written`` replace ``stored`` (both backends; the data of a
    flag is its JSON, or its fields; one pass over the new flags, the old
    ones only when some are gone)."""
    added: list[FlagKey] = []
    changed: list[FlagKey] = []
    for key, data in written.items():
        old = stored.get(key)
        if old is None:
            added.append(key)
        elif old != data:
            changed.append(key)
    kept = len(written) - len(added)
    removed = [] if kept == len(stored) else [k for k in stored if k not in written]
    return sorted(added), sorted(changed), sorted(removed)
