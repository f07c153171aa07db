"""Domain vocabulary and records of credgraph.

The core imports nothing of ours outside ``credgraph/``; every other package
builds on these names. Enum values are the contract of ``DESIGN.md`` §2–§3.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, SerializationInfo

# -- identifiers that may name a person (masked for some readers) -------------------
#: the serialisation-context key under which a reader's :class:`IdMasking` travels
MASKING = "credgraph.masking"


class IdMasking(Protocol):
    """How one reader sees personal data: given in the serialisation context
    (``model_dump(context={MASKING: masking})``) it rewrites every field
    typed :data:`NodeId`, :data:`PersonId` or :data:`PersonContact`."""

    def node_id(self, value: str) -> str:
        """An enterprise's or a person's id, as this reader may see it."""

    def person_id(self, value: str) -> str:
        """A person's id, as this reader may see it."""

    def contact(self, value: str) -> str | None:
        """A person's phone or address, or None when hidden."""


def _masking(info: SerializationInfo) -> IdMasking | None:
    context = info.context
    return context.get(MASKING) if isinstance(context, dict) else None


def _node_id(value: str, info: SerializationInfo) -> str:
    masking = _masking(info)
    return value if masking is None else masking.node_id(value)


def _person_id(value: str, info: SerializationInfo) -> str:
    masking = _masking(info)
    return value if masking is None else masking.person_id(value)


def _contact(value: str | None, info: SerializationInfo) -> str | None:
    masking = _masking(info)
    return value if masking is None or value is None else masking.contact(value)


#: the id of an enterprise (USCC) or of a person: where a field can hold either
NodeId = Annotated[str, PlainSerializer(_node_id, return_type=str)]
#: the id of a person (resident id, passport or other number)
PersonId = Annotated[str, PlainSerializer(_person_id, return_type=str)]
#: a person's phone or address (hidden from readers who see ids masked)
PersonContact = Annotated[str | None, PlainSerializer(_contact, return_type=str | None)]


class NodeKind(StrEnum):
    ENTERPRISE = "enterprise"
    PERSON = "person"


class EnterpriseKind(StrEnum):
    COMPANY = "company"
    INDIVIDUAL_BUSINESS = "individual_business"
    BRANCH = "branch"
    SOCIAL_ORG = "social_org"
    PUBLIC_INSTITUTION = "public_institution"
    OTHER = "other"


class EnterpriseStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    OTHER = "other"


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    OTHER = "other"


class Role(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    EXECUTIVE = "executive"
    SHAREHOLDER = "shareholder"
    ACTUAL_CONTROLLER = "actual_controller"
    BRANCH_OF = "branch_of"


#: Roles a natural person must hold (DESIGN §2).
PERSON_ONLY_ROLES = frozenset({Role.LEGAL_REPRESENTATIVE, Role.EXECUTIVE})

#: Order in which a hop's role is reported when several roles link the same
#: pair (DESIGN §3 ``relations``).
ROLE_PREFERENCE = (
    Role.LEGAL_REPRESENTATIVE,
    Role.EXECUTIVE,
    Role.ACTUAL_CONTROLLER,
    Role.SHAREHOLDER,
    Role.BRANCH_OF,
)


class Title(StrEnum):
    CHAIRMAN = "chairman"
    DIRECTOR = "director"
    SUPERVISOR = "supervisor"
    GENERAL_MANAGER = "general_manager"
    MANAGER = "manager"
    OTHER = "other"


class ListKind(StrEnum):
    SERIOUS_DISHONESTY = "serious_dishonesty"
    DISHONEST_DEBTOR = "dishonest_debtor"
    SERIOUS_ILLEGAL = "serious_illegal"
    ABNORMAL_OPERATION = "abnormal_operation"
    KEY_ATTENTION = "key_attention"
    RED = "red"


class RemovalReason(StrEnum):
    REPAIRED = "repaired"
    EXPIRED = "expired"
    REVOKED_ON_OBJECTION = "revoked_on_objection"
    COURT = "court"
    OTHER = "other"


class Category(StrEnum):
    """Serious-dishonesty categories of ``003:L24`` (RULES.md §3)."""

    # 1. health and safety
    FOOD_DRUG = "food_drug"
    ENVIRONMENT = "environment"
    CONSTRUCTION_QUALITY = "construction_quality"
    WORK_SAFETY = "work_safety"
    FIRE_SAFETY = "fire_safety"
    COMPULSORY_CERTIFICATION = "compulsory_certification"
    PRODUCT_RECALL = "product_recall"
    # 2. market and social order
    BRIBERY = "bribery"
    TAX_EVASION = "tax_evasion"
    MALICIOUS_DEBT_EVASION = "malicious_debt_evasion"
    PAYMENT_ARREARS = "payment_arrears"
    WAGE_ARREARS = "wage_arrears"
    ILLEGAL_FUNDRAISING = "illegal_fundraising"
    TELECOM_FRAUD = "telecom_fraud"
    CONTRACT_FRAUD = "contract_fraud"
    PYRAMID_SELLING = "pyramid_selling"
    UNLICENSED_OPERATION = "unlicensed_operation"
    COUNTERFEIT_GOODS = "counterfeit_goods"
    IP_INFRINGEMENT = "ip_infringement"
    QUALIFICATION_LENDING = "qualification_lending"
    BID_RIGGING = "bid_rigging"
    FALSE_ADVERTISING = "false_advertising"
    CONSUMER_INVESTOR_HARM = "consumer_investor_harm"
    CYBERSPACE_DISORDER = "cyberspace_disorder"
    PUBLIC_DISORDER = "public_disorder"
    EXAM_CHEATING = "exam_cheating"
    INSURANCE_FRAUD = "insurance_fraud"
    # 3. refusing court or administrative decisions
    REFUSING_COURT_JUDGMENT = "refusing_court_judgment"
    EVADING_ENFORCEMENT = "evading_enforcement"
    # 4. national defence
    DEFENCE_OBLIGATION = "defence_obligation"


class FlagKind(StrEnum):
    LISTED = "listed"
    RESPONSIBLE_PERSON = "responsible_person"
    RELATED_ENTERPRISE = "related_enterprise"


class Rule(StrEnum):
    L0 = "L0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Scenario(StrEnum):
    GOVERNMENT_PROCUREMENT = "government_procurement"
    PUBLIC_BIDDING = "public_bidding"
    ADMINISTRATIVE_LICENSING = "administrative_licensing"
    FISCAL_FUNDING = "fiscal_funding"
    HONOURS = "honours"
    FINANCING = "financing"
    APPOINTMENT = "appointment"
    GREEN_CHANNEL = "green_channel"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **fields: Any) -> Self:
        """A record from values already validated (by the loader or read
        back from a store), without pydantic's validation: the hot path of
        loads and expansions. Every field must be given."""
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__dict__", fields)
        object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
        object.__setattr__(obj, "__pydantic_extra__", None)
        object.__setattr__(obj, "__pydantic_private__", None)
        return obj


class Enterprise(Record):
    uscc: str
    name: str
    kind: EnterpriseKind = EnterpriseKind.COMPANY
    status: EnterpriseStatus | None = None
    established_on: date | None = None
    registered_capital: float | None = None
    region: str | None = None
    industry: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    #: normalised contacts for shared-contact detection (DESIGN §6)
    phone_norm: str | None = None
    email_norm: str | None = None
    address_norm: str | None = None

    @property
    def id(self) -> str:
        return self.uscc


class Person(Record):
    person_id: PersonId
    id_type: IdType = IdType.RESIDENT_ID
    name: str
    phone: PersonContact = None
    address: PersonContact = None
    phone_norm: PersonContact = None
    address_norm: PersonContact = None

    @property
    def id(self) -> str:
        return self.person_id


Node = Enterprise | Person


class Relation(Record):
    """A role of ``source_id`` in the enterprise ``target_uscc``."""

    source_id: NodeId
    source_type: NodeKind
    target_uscc: str
    role: Role
    title: Title | None = None
    share_pct: float | None = None
    start_on: date | None = None
    end_on: date | None = None

    def active_on(self, day: date) -> bool:
        """True when the role is active on ``day`` (both ends inclusive)."""
        return (self.start_on is None or self.start_on <= day) and (
            self.end_on is None or day <= self.end_on
        )

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        return (
            self.source_id,
            self.target_uscc,
            self.role.value,
            self.title.value if self.title else "",
            self.start_on.isoformat() if self.start_on else "",
        )


class ListEntry(Record):
    entry_id: str
    subject_id: NodeId
    subject_type: NodeKind
    list: ListKind
    category: Category | None = None
    reason: str | None = None
    authority: str | None = None
    case_no: str | None = None
    decided_on: date
    valid_until: date | None = None
    removed_on: date | None = None
    removal_reason: RemovalReason | None = None
    responsible_person_ids: tuple[PersonId, ...] = Field(default_factory=tuple)


class Objection(Record):
    """An objection to a list entry (``003:L32``): suspends it while verified."""

    objection_id: int
    entry_id: str
    reason: str
    filed_on: date
    resolved_on: date | None = None
    upheld: bool | None = None


class Batch(BaseModel):
    """One all-or-nothing write to a store."""

    enterprises: list[Enterprise] = Field(default_factory=list)
    persons: list[Person] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    entries: list[ListEntry] = Field(default_factory=list)

    def __len__(self) -> int:
        return len(self.enterprises) + len(self.persons) + len(self.relations) + len(self.entries)


#: The record types of a load, by table name; a *plain row* of a table is a
#: tuple of its record's field values in declaration order with enums as
#: their values, dates as ISO strings and None for missing values: what a
#: bulk load writes without building a record per row.
PLAIN: dict[str, type[Record]] = {
    "enterprises": Enterprise,
    "persons": Person,
    "relations": Relation,
    "entries": ListEntry,
}


def to_plain(record: Record) -> tuple[Any, ...]:
    """The plain row of a record."""
    return tuple(
        v.value if isinstance(v, StrEnum) else v.isoformat() if isinstance(v, date) else v
        for v in record.__dict__.values()
    )


def _converter(annotation: Any) -> Any:
    """What turns a plain value back into the field's type (None: as is)."""
    kinds = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not type(None)]
    kind = kinds[0] if len(kinds) == 1 else None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind
    if kind is date:
        return date.fromisoformat
    return None


def from_plain(table: str, row: tuple[Any, ...]) -> Record:
    """The record of a plain row of ``table`` (for stores without a plain-row path)."""
    cls = PLAIN[table]
    fields = cls.model_fields
    values = {
        name: (v if v is None or (conv := _converter(f.annotation)) is None else conv(v))
        for (name, f), v in zip(fields.items(), row, strict=True)
    }
    return cls.trusted(**values)


class Flag(BaseModel):
    """A flag with its evidence (DESIGN §3)."""

    model_config = ConfigDict(frozen=True)

    subject_id: NodeId
    subject_type: NodeKind
    flag: FlagKind
    list: ListKind
    entry_id: str
    rule: Rule
    citation: str
    path: builtins.list[NodeId]
    relations: builtins.list[str]
    other_paths: int = 0


class Commitment(BaseModel):
    """A written credit commitment of a subject and its fulfilment (002:L15)."""

    commitment_id: int
    subject_id: str
    matter: str
    promised_by: date
    made_on: date
    fulfilled_on: date | None = None


class AuditRecord(BaseModel):
    """One audited API request: who asked, in which role, about which ids."""

    audit_id: int
    at: datetime
    who: str
    role: str
    endpoint: str
    subject_ids: builtins.list[str]
    as_of: date | None = None
