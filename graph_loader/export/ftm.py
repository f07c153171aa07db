"""FollowTheMoney export (DESIGN §5 ``export ftm``): entities one JSON object
a line, for OpenSanctions / yente / Aleph users, streamed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path

from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy
from followthemoney.util import make_entity_id

from credgraph.model import (
    Enterprise,
    EnterpriseKind,
    IdType,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    Role,
)
from credgraph.outputs import atomic_write
from credgraph.store import GraphStore
from credgraph.store.shared import iso as _iso

log = logging.getLogger(__name__)


def _v(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


# -- FollowTheMoney -------------------------------------------------------------------
#: Lists whose entries are FtM ``Sanction``s (DESIGN §3 severe lists: binding
#: joint punishment); abnormal_operation and key_attention are ``Risk``s.
FTM_SANCTION_LISTS = frozenset(
    {ListKind.SERIOUS_DISHONESTY, ListKind.DISHONEST_DEBTOR, ListKind.SERIOUS_ILLEGAL}
)
# Red-list entries are commendations: exported as Risk they would read as
# adverse findings to every screening tool, so they are left out.
_FTM_SKIPPED_LISTS = frozenset({ListKind.RED})
_ORGANIZATION_KINDS = frozenset({EnterpriseKind.SOCIAL_ORG, EnterpriseKind.PUBLIC_INSTITUTION})
_FTM_PREFIX = "credgraph"


def ftm_id(kind: str, *parts: str) -> str:
    """The deterministic FtM id of a credgraph node, relation or entry, e.g.
    ``ftm_id("enterprise", uscc)``, ``ftm_id("person", person_id)``."""
    entity_id = make_entity_id(_FTM_PREFIX, kind, *parts)
    assert entity_id is not None  # parts are never all empty
    return entity_id


def _node_id(node_id: str, kind: NodeKind) -> str:
    return ftm_id(kind.value, node_id)


def _entity(schema: str, kind: str, *parts: str) -> EntityProxy:
    proxy = ftm_model.make_entity(schema)
    proxy.make_id(_FTM_PREFIX, kind, *parts)
    return proxy


def _ftm_enterprise(e: Enterprise) -> EntityProxy:
    schema = "Organization" if e.kind in _ORGANIZATION_KINDS else "Company"
    c = _entity(schema, NodeKind.ENTERPRISE.value, e.uscc)
    c.add("jurisdiction", "cn")
    c.add("name", e.name)
    c.add("uscCode", e.uscc)
    c.add("legalForm", e.kind.value)
    c.add("status", _v(e.status))
    c.add("incorporationDate", _iso(e.established_on))
    c.add("address", e.address)
    c.add("phone", e.phone, format="cn")  # national numbers are dialled in China
    c.add("email", e.email)
    c.add("sector", e.industry)
    if schema == "Company" and e.registered_capital is not None:
        c.add("capital", e.registered_capital)
        c.add("currency", "CNY")
    return c


def _ftm_person(p: Person) -> EntityProxy:
    entity = _entity("Person", NodeKind.PERSON.value, p.person_id)
    entity.add("name", p.name)
    if p.id_type is IdType.PASSPORT:
        entity.add("passportNumber", p.person_id)
    else:
        entity.add("idNumber", p.person_id)
    if p.id_type is IdType.RESIDENT_ID:
        entity.add("nationality", "cn")
    return entity


def _ftm_relation(r: Relation) -> EntityProxy:
    source = _node_id(r.source_id, r.source_type)
    target = _node_id(r.target_uscc, NodeKind.ENTERPRISE)
    if r.role in (Role.LEGAL_REPRESENTATIVE, Role.EXECUTIVE):
        link = _entity("Directorship", "relation", *r.identity)
        link.add("director", source)
        link.add("organization", target)
        role = r.title.value if r.role is Role.EXECUTIVE and r.title else r.role.value
        link.add("role", role.replace("_", " "))
    elif r.role is Role.SHAREHOLDER:
        link = _entity("Ownership", "relation", *r.identity)
        link.add("owner", source)
        link.add("asset", target)
        link.add("percentage", r.share_pct)
    elif r.role is Role.ACTUAL_CONTROLLER:
        link = _entity("Control", "relation", *r.identity)
        link.add("controller", source)
        link.add("controlled", target)
        link.add("controlType", "actual controller")
    else:  # a branch is part of its parent, not owned by it
        link = _entity("UnknownLink", "relation", *r.identity)
        link.add("subject", source)
        link.add("object", target)
        link.add("role", "branch of")
    link.add("startDate", _iso(r.start_on))
    link.add("endDate", _iso(r.end_on))
    return link


def _ftm_entry(e: ListEntry) -> EntityProxy:
    sanction = e.list in FTM_SANCTION_LISTS
    entity = _entity("Sanction" if sanction else "Risk", "entry", e.entry_id)
    entity.add("entity", _node_id(e.subject_id, e.subject_type))
    entity.add("program", e.list.value)
    entity.add("recordId", e.entry_id)
    entity.add("authority", e.authority)
    entity.add("reason", e.reason)
    entity.add("summary", _v(e.category))
    entity.add("listingDate", e.decided_on.isoformat())
    entity.add("startDate", e.decided_on.isoformat())
    ends = [d for d in (e.removed_on, e.valid_until) if d is not None]
    entity.add("endDate", _iso(min(ends)) if ends else None)
    if e.removed_on is not None:
        entity.add("status", f"removed: {_v(e.removal_reason) or 'other'}")
    if sanction:
        entity.add("authorityId", e.case_no)
    else:
        entity.add("topics", "reg.warn")
        entity.add("description", f"case no. {e.case_no}" if e.case_no else None)
    return entity


def _ftm_entities(
    store: GraphStore, as_of: date | None, entries: Iterable[ListEntry]
) -> Iterator[EntityProxy]:
    for node in store.iter_nodes(NodeKind.ENTERPRISE):
        assert isinstance(node, Enterprise)
        yield _ftm_enterprise(node)
    for node in store.iter_nodes(NodeKind.PERSON):
        assert isinstance(node, Person)
        yield _ftm_person(node)
    for r in store.iter_relations():
        if as_of is None or r.active_on(as_of):
            yield _ftm_relation(r)
    for e in entries:
        if e.list not in _FTM_SKIPPED_LISTS:
            yield _ftm_entry(e)


def export_ftm(
    store: GraphStore,
    path: Path,
    as_of: date | None = None,
    entries: Iterable[ListEntry] | None = None,
) -> dict[str, int]:
    """Write FollowTheMoney entities, one JSON object a line; return the
    count per schema.

    Enterprises are ``Company`` (``Organization`` for social organisations
    and public institutions) with ``uscCode`` and jurisdiction ``cn``;
    persons ``Person`` (``idNumber`` and nationality ``cn`` for resident
    ids, ``passportNumber`` for passports). Relations, with ``startDate`` /
    ``endDate``: legal representatives and executives ``Directorship``,
    shareholders ``Ownership`` (``percentage``), actual controllers
    ``Control``, branches ``UnknownLink`` (role "branch of"). Entries of the
    severe lists are ``Sanction``, abnormal_operation and key_attention
    ``Risk`` (topic ``reg.warn``), with ``program`` the list code and
    ``endDate`` the removal or expiry; red-list entries are left out. Ids
    are ``make_id("credgraph", kind, *identity)``, stable across runs.

    With ``as_of``, only relations active that day are written; pass the
    entries in force that day as ``entries`` (default: every entry).

    Returns the entities written per schema (``counts["Company"]``).
    """
    counts: dict[str, int] = {}
    with atomic_write(path, private=True) as out:
        for entity in _ftm_entities(store, as_of, store.entries() if entries is None else entries):
            out.write(json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            counts[entity.schema.name] = counts.get(entity.schema.name, 0) + 1
    log.info("FtM %s: %s", path, counts)
    return counts
