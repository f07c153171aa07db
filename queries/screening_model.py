"""The bidder screening result (DESIGN §6): bidders with verdicts and reasons,
links between bidders with the rule they fall under."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from credgraph.model import NodeId, Scenario
from queries.measures import Reason


class BidderVerdict(StrEnum):
    REJECT = "reject"
    REVIEW = "review"
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    UNKNOWN = "unknown"
    INVALID = "invalid"


#: how strong a verdict is: a bidder's verdict is the strongest of its reasons
VERDICT_RANK = {BidderVerdict.PASS: 0, BidderVerdict.REVIEW: 1, BidderVerdict.REJECT: 2}


class LinkKind(StrEnum):
    SHARED_PERSON = "shared_person"
    OWNERSHIP = "ownership"
    COMMON_CONTROLLER = "common_controller"
    SHARED_CONTACT = "shared_contact"


class LinkRule(StrEnum):
    """Which bidder-link rule of ``policy.yaml`` (``bidder_links``) a link falls under."""

    SAME_PRINCIPAL = "same_principal"
    CONTROL = "control"
    INDICATOR = "indicator"
    MASS_CONTACT = "mass_contact"


LINKED_BIDDER = "linked_bidder"


class ScreeningReason(Reason):
    """A reason of a bidder's verdict. ``linked_bidder`` reasons name the
    ``other`` bidder, the ``link`` kind and the link ``rule``; every reason
    has an ``explanation`` sentence in the chosen language."""

    other: str | None = None
    link: LinkKind | None = None
    explanation: str | None = None


class Bidder(BaseModel):
    uscc: str
    name: str | None = None
    verdict: BidderVerdict
    reasons: list[ScreeningReason]
    #: the input line (header = 1) when the bidder came from a file
    line: int | None = None


class Link(BaseModel):
    """A link between bidders ``a`` and ``b`` with its evidence path (one
    relation per hop). For ``ownership`` ``a`` is the owner (or controller)
    and the path runs from owner to owned; otherwise ``a`` comes first among
    the bidders. ``names`` are the display names along ``path``; ``count``
    how many enterprises in the store share a ``shared_contact``."""

    a: str
    b: str
    kind: LinkKind
    path: list[NodeId]
    relations: list[str]
    pct: float | None = None
    detail: str | None = None
    rule: LinkRule | None = None
    count: int | None = None
    names: list[str] = Field(default_factory=list)
    explanation: str | None = None


class ScreeningResult(BaseModel):
    """The screening JSON of DESIGN §6."""

    scenario: Scenario
    as_of: date
    bidders: list[Bidder]
    links: list[Link]


class LotResult(ScreeningResult):
    """The screening of one lot of a bidder file (``lot`` None: no lot column)."""

    lot: str | None = None


class FileScreening(BaseModel):
    """A bidder file screened lot by lot, in the order lots first appear."""

    scenario: Scenario
    as_of: date
    lots: list[LotResult]
