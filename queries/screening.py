"""Bidder screening (DESIGN §6): a verdict per bidder, the links between
bidders, and the bidder-link rules that turn links into verdicts.

Each bidder's verdict starts from the measures policy
(:mod:`queries.measures`); the links between every pair of known bidders
come from one bounded walk (:mod:`queries.bidder_walk`); in the scenarios of
``bidder_links`` in ``policy.yaml`` (public_bidding, government_procurement)
each link gives both bidders a ``linked_bidder`` reason and the verdict is
the strongest reason (:mod:`queries.bidder_links`). Every reason and link
has an ``explanation`` sentence (zh-CN, or English with ``lang="en"``).

``screen_bidders(store, [A, B], as_of=date(2026, 1, 1)).links`` lists, for
example, ``Link(a=A, b=B, kind="shared_person", rule="same_principal", ...)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credgraph.i18n import N_
from credgraph.ids import InvalidIdentifier, normalise_id, validate_uscc
from credgraph.model import Flag, NodeKind, Scenario
from credgraph.policy import Policy, default_policy, today
from credgraph.store import Direction, GraphStore
from queries import bidder_walk as walking
from queries.bidder_links import (
    LinkContext,
    Words,
    apply_links,
    classify,
    contact_usage,
    explain_link,
    explain_reason,
    words,
)
from queries.errors import InvalidRequest
from queries.measures import evaluate_measures, parse_scenario
from queries.propagation import flags_for_subjects
from queries.screening_model import (
    Bidder,
    BidderVerdict,
    FileScreening,
    Link,
    LinkKind,
    LinkRule,
    LotResult,
    ScreeningReason,
    ScreeningResult,
)

__all__ = [
    "Bidder",
    "BidderInput",
    "BidderVerdict",
    "FileScreening",
    "Link",
    "LinkKind",
    "LinkRule",
    "LotResult",
    "ScreeningResult",
    "screen_bidders",
    "screen_lots",
]

MIN_BIDDERS, MAX_BIDDERS = 2, 50
DEFAULT_DEPTH, MAX_DEPTH = 4, 8
#: at most this many lots in one bidder file
MAX_LOTS = 200
HUB_LIMIT = walking.HUB_LIMIT
_KIND_ORDER = {k: i for i, k in enumerate(LinkKind)}


@dataclass(frozen=True)
class BidderInput:
    """One bidder to screen: its normalised USCC, why it is not a valid USCC
    (None when it is), and where it came from in a file."""

    uscc: str
    problem: str | None = None
    line: int | None = None
    name: str | None = None
    lot: str | None = None


def bidder_inputs(bidders: Sequence[str]) -> list[BidderInput]:
    """Validate and normalise USCCs (input order kept, duplicates dropped)."""
    out: dict[str, BidderInput] = {}
    for raw in bidders:
        try:
            uscc = validate_uscc(raw)
            out.setdefault(uscc, BidderInput(uscc))
        except InvalidIdentifier as exc:
            bad = normalise_id(raw)
            out.setdefault(bad, BidderInput(bad, exc.reason))
    return list(out.values())


def _check_options(scenario: Scenario | str, depth: int) -> Scenario:
    chosen = parse_scenario(scenario)
    if chosen is Scenario.GREEN_CHANNEL:
        raise InvalidRequest(N_("green_channel is not a screening scenario: use measures"))
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidRequest(
            N_("depth must be between 1 and {max}, got {depth}", max=MAX_DEPTH, depth=depth)
        )
    return chosen


def screen_bidders(
    store: GraphStore,
    bidders: Sequence[str],
    scenario: Scenario | str = Scenario.PUBLIC_BIDDING,
    as_of: date | None = None,
    depth: int = DEFAULT_DEPTH,
    policy: Policy | None = None,
    lang: str = "zh",
) -> ScreeningResult:
    """Screen 2–50 bidders of one lot on as_of (default today in
    Asia/Shanghai): the verdict of each bidder with its reasons, and every
    link between two known bidders with its evidence path and rule.

    Raises :class:`InvalidRequest` for fewer than 2 or more than 50 distinct
    bidders, a depth outside 1..8, or a scenario that is not a screening one.
    Unknown and malformed bidders are answered (``unknown`` / ``invalid``).
    """
    if isinstance(bidders, str):
        raise InvalidRequest(N_("bidders must be a list of USCCs, not one string"))
    chosen = _check_options(scenario, depth)
    inputs = bidder_inputs(bidders)
    if not MIN_BIDDERS <= len(inputs) <= MAX_BIDDERS:
        raise InvalidRequest(
            N_(
                "screening needs {min} to {max} distinct bidders, got {count}",
                min=MIN_BIDDERS,
                max=MAX_BIDDERS,
                count=len(inputs),
            )
        )
    rules = policy or default_policy()
    return _screen(store, inputs, chosen, as_of or today(), depth, words(rules, lang))


def screen_lots(
    store: GraphStore,
    rows: Sequence[BidderInput],
    scenario: Scenario | str = Scenario.PUBLIC_BIDDING,
    as_of: date | None = None,
    depth: int = DEFAULT_DEPTH,
    policy: Policy | None = None,
    lang: str = "zh",
) -> FileScreening:
    """Screen the bidders of a file lot by lot (1–50 distinct bidders per
    lot; lots in the order they first appear). Bad rows come back as
    ``invalid`` bidders with their line and reason."""
    chosen = _check_options(scenario, depth)
    lots: dict[str | None, dict[str, BidderInput]] = defaultdict(dict)
    for row in rows:
        key = row.uscc if row.problem is None else f"{row.uscc}\0{row.line}"
        lots[row.lot].setdefault(key, row)
    if not lots:
        raise InvalidRequest(N_("the bidder file has no bidders"))
    if len(lots) > MAX_LOTS:
        raise InvalidRequest(
            N_("at most {max} lots in one file, got {count}", max=MAX_LOTS, count=len(lots))
        )
    for lot, members in lots.items():
        if len(members) > MAX_BIDDERS:
            where = N_("lot {lot}", lot=lot) if lot is not None else N_("the file")
            raise InvalidRequest(
                N_(
                    "{where} has {count} distinct bidders: at most {max} per lot",
                    where=where,
                    count=len(members),
                    max=MAX_BIDDERS,
                )
            )
    day = as_of or today()
    w = words(policy or default_policy(), lang)
    results = []
    for lot, members in lots.items():
        screened = _screen(store, list(members.values()), chosen, day, depth, w)
        results.append(LotResult(lot=lot, **dict(screened)))
    return FileScreening(scenario=chosen, as_of=day, lots=results)


def _screen(
    store: GraphStore,
    inputs: Sequence[BidderInput],
    scenario: Scenario,
    day: date,
    depth: int,
    w: Words,
) -> ScreeningResult:
    valid = [b.uscc for b in inputs if b.problem is None]
    kinds = store.existing_ids(valid)
    known = [b for b in valid if kinds.get(b) is NodeKind.ENTERPRISE]
    names = {i: n.name for i, n in store.nodes(known).items()}
    flags_of: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags_for_subjects(store, known, day, w.policy):
        flags_of[flag.subject_id].append(flag)
    bidders = []
    for row in inputs:
        bidder = Bidder(
            uscc=row.uscc,
            name=names.get(row.uscc, row.name),
            verdict=BidderVerdict.INVALID,
            reasons=[],
            line=row.line,
        )
        if row.problem is not None:
            bidder.reasons = [ScreeningReason(code="invalid", detail=row.problem)]
        elif kinds.get(row.uscc) is not NodeKind.ENTERPRISE:  # a person's id is no bidder
            bidder.verdict = BidderVerdict.UNKNOWN
            detail = "no enterprise with this USCC in the store"
            bidder.reasons = [ScreeningReason(code="unknown", detail=detail)]
        else:
            measured = evaluate_measures(
                store, row.uscc, NodeKind.ENTERPRISE, scenario, day, w.policy, flags_of[row.uscc]
            )
            bidder.verdict = BidderVerdict(measured.verdict)
            bidder.reasons = [ScreeningReason(**dict(r)) for r in measured.reasons]
        bidders.append(bidder)

    links = _links(store, known, scenario, day, depth, w, names) if len(known) >= 2 else []
    for bidder in bidders:
        for reason in bidder.reasons:
            reason.explanation = explain_reason(reason, bidder, names, w)
    apply_links(bidders, links, scenario, w.links)
    return ScreeningResult(scenario=scenario, as_of=day, bidders=bidders, links=links)


def _links(
    store: GraphStore,
    known: list[str],
    scenario: Scenario,
    day: date,
    depth: int,
    w: Words,
    names: dict[str, str],
) -> list[Link]:
    """Every link between two known bidders, with its rule, names and
    explanation, in bidder order (``names`` gets the names along the paths)."""
    first = store.expand(known, Direction.IN, None, day)
    walk = walking.walk_up(store, known, first, day, depth, w.policy.control_threshold_pct)
    people = {r.source_id for r in first if r.source_type is NodeKind.PERSON}
    tops = {c for b in known for c in walk.control[b]} - set(known)
    names.update({i: n.name for i, n in store.nodes(people | tops).items()})
    contacts = store.contacts(known)
    links = [
        *walking.shared_person_links(known, first, names),
        *walking.ownership_links(walk),
        *walking.control_links(known, walk),
        *walking.common_controller_links(known, walk, names),
        *walking.shared_contact_links(known, contacts),
    ]
    ctx = LinkContext(walk, first, names, contacts, contact_usage(store, links, contacts))
    for link in links:
        classify(link, ctx, w.links)
    missing = {n for link in links for n in link.path} - names.keys()
    names.update({i: n.name for i, n in store.nodes(missing).items()})
    for link in links:
        link.names = [names.get(n, n) for n in link.path]
        link.explanation = explain_link(link, ctx, w, scenario)
    position = {b: i for i, b in enumerate(known)}
    links.sort(key=lambda x: (sorted((position[x.a], position[x.b])), _KIND_ORDER[x.kind], x.path))
    return links
