"""Records to Neo4j properties and back (the Neo4j backend's conversions).

Neo4j has no null property: an absent field is an absent property. Empty
lists are not stored either (their element type would be unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from neo4j import Record

from credgraph.model import (
    AuditRecord,
    Category,
    Commitment,
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    Flag,
    IdType,
    ListEntry,
    ListKind,
    Node,
    NodeKind,
    Objection,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)
from credgraph.store.neo4j.search import search_keys
from credgraph.store.shared import d, iso


# -- records to properties ------------------------------------------------------------
def props(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}


def enterprise_props(e: Enterprise) -> dict[str, Any]:
    return props(
        {
            "uscc": e.uscc,
            "name": e.name,
            **search_keys(e.name),
            "kind": e.kind.value,
            "status": e.status.value if e.status else None,
            "established_on": iso(e.established_on),
            "registered_capital": e.registered_capital,
            "region": e.region,
            "industry": e.industry,
            "address": e.address,
            "phone": e.phone,
            "email": e.email,
            "phone_norm": e.phone_norm,
            "email_norm": e.email_norm,
            "address_norm": e.address_norm,
        }
    )


def person_props(p: Person) -> dict[str, Any]:
    return props(
        {
            "person_id": p.person_id,
            "id_type": p.id_type.value,
            "name": p.name,
            **search_keys(p.name),
            "phone": p.phone,
            "address": p.address,
            "phone_norm": p.phone_norm,
            "address_norm": p.address_norm,
        }
    )


def relation_row(r: Relation) -> dict[str, Any]:
    source_id, target_uscc, _, title, start_on = r.identity
    return {
        "source_id": source_id,
        "source_type": r.source_type.value,
        "target_uscc": target_uscc,
        "props": props(
            {
                "title": title,
                "start_on": start_on,
                "share_pct": r.share_pct,
                "end_on": iso(r.end_on),
            }
        ),
    }


def entry_props(e: ListEntry) -> dict[str, Any]:
    return props(
        {
            "entry_id": e.entry_id,
            "subject_id": e.subject_id,
            "subject_type": e.subject_type.value,
            "list": e.list.value,
            "category": e.category.value if e.category else None,
            "reason": e.reason,
            "authority": e.authority,
            "case_no": e.case_no,
            "decided_on": e.decided_on.isoformat(),
            "valid_until": iso(e.valid_until),
            "removed_on": iso(e.removed_on),
            "removal_reason": e.removal_reason.value if e.removal_reason else None,
            "responsible_person_ids": list(e.responsible_person_ids),
        }
    )


def flag_row(flag: Flag) -> dict[str, Any]:
    return {
        "subject_id": flag.subject_id,
        "flag": flag.flag.value,
        "entry_id": flag.entry_id,
        "data": flag.model_dump_json(),
        "subject_type": flag.subject_type.value,
        "list": flag.list.value,
        "rule": flag.rule.value,
    }


# -- properties to records ------------------------------------------------------------
def node(kind: str, p: Mapping[str, Any]) -> Node:
    if kind == NodeKind.ENTERPRISE.value:
        return Enterprise.model_construct(
            uscc=p["uscc"],
            name=p["name"],
            kind=EnterpriseKind(p["kind"]),
            status=EnterpriseStatus(p["status"]) if p.get("status") else None,
            established_on=d(p.get("established_on")),
            registered_capital=p.get("registered_capital"),
            region=p.get("region"),
            industry=p.get("industry"),
            address=p.get("address"),
            phone=p.get("phone"),
            email=p.get("email"),
            phone_norm=p.get("phone_norm"),
            email_norm=p.get("email_norm"),
            address_norm=p.get("address_norm"),
        )
    return Person.model_construct(
        person_id=p["person_id"],
        id_type=IdType(p["id_type"]),
        name=p["name"],
        phone=p.get("phone"),
        address=p.get("address"),
        phone_norm=p.get("phone_norm"),
        address_norm=p.get("address_norm"),
    )


def relation(r: Record) -> Relation:
    return Relation.model_construct(
        source_id=r["source_id"],
        source_type=NodeKind(r["source_type"]),
        target_uscc=r["target_uscc"],
        role=Role(r["rel_type"].lower()),
        title=Title(r["title"]) if r["title"] else None,
        start_on=d(r["start_on"]),
        share_pct=r["share_pct"],
        end_on=d(r["end_on"]),
    )


def entry(r: Record) -> ListEntry:
    p = r["props"]
    return ListEntry.model_construct(
        entry_id=p["entry_id"],
        subject_id=p["subject_id"],
        subject_type=NodeKind(p["subject_type"]),
        list=ListKind(p["list"]),
        category=Category(p["category"]) if p.get("category") else None,
        reason=p.get("reason"),
        authority=p.get("authority"),
        case_no=p.get("case_no"),
        decided_on=date.fromisoformat(p["decided_on"]),
        valid_until=d(p.get("valid_until")),
        removed_on=d(r["removed_on"]),
        removal_reason=RemovalReason(r["removal_reason"]) if r["removal_reason"] else None,
        responsible_person_ids=tuple(p.get("responsible_person_ids") or ()),
    )


def objection(p: Mapping[str, Any]) -> Objection:
    return Objection.model_construct(
        objection_id=int(p["objection_id"]),
        entry_id=p["entry_id"],
        reason=p["reason"],
        filed_on=date.fromisoformat(p["filed_on"]),
        resolved_on=d(p.get("resolved_on")),
        upheld=p.get("upheld"),
    )


def audit_record(p: Mapping[str, Any]) -> AuditRecord:
    return AuditRecord(
        audit_id=int(p["audit_id"]),
        at=datetime.fromisoformat(p["at"]),
        who=p["who"],
        role=p["role"],
        endpoint=p["endpoint"],
        subject_ids=list(p.get("subject_ids") or []),
        as_of=d(p.get("as_of")),
    )


def stream_order(r: Record) -> tuple[str, ...]:
    return (r["source_id"], r["target_uscc"], r["rel_type"], r["title"], r["start_on"])


def by_source(r: Relation) -> tuple[str, ...]:
    return r.identity


def by_target(r: Relation) -> tuple[str, ...]:
    source_id, target_uscc, *rest = r.identity
    return (target_uscc, source_id, *rest)


def commitment(p: Mapping[str, Any]) -> Commitment:
    return Commitment(
        commitment_id=int(p["commitment_id"]),
        subject_id=p["subject_id"],
        matter=p["matter"],
        promised_by=date.fromisoformat(p["promised_by"]),
        made_on=date.fromisoformat(p["made_on"]),
        fulfilled_on=d(p.get("fulfilled_on")),
    )
