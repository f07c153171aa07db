"""The bidder-link rules (DESIGN §6, ``bidder_links`` in ``policy.yaml``):
which rule each link between two bidders falls under, what verdict it gives
both bidders in the scenario, and the sentence that explains it.

| rule | link |
|---|---|
| ``same_principal`` | one person is the active legal representative of both |
| ``control`` | a direct holding above ``control_above_pct``, a declared actual controller, a branch |
| ``indicator`` | any other link (minority or indirect holding, control through a chain, a common controller, another shared person, a shared contact) |
| ``mass_contact`` | a shared address/phone of more than ``mass_contact_threshold`` enterprises |

Mass-registration contacts are counted once per distinct contact value
(``GraphStore.contact_usage``), never by scanning the firms at the address.
"""  # noqa: E501 - a table

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from credgraph.model import NodeKind, Relation, Role, Scenario
from credgraph.policy import BidderLinks, Policy
from credgraph.store import GraphStore
from queries.bidder_walk import Walk
from queries.screening_model import (
    LINKED_BIDDER,
    VERDICT_RANK,
    Bidder,
    BidderVerdict,
    Link,
    LinkKind,
    LinkRule,
    ScreeningReason,
)

LANGS = ("zh", "en")
_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Chinese numerals for article numbers: 34 → 三十四, 108 → 一百零八.

    >>> zh_number(34), zh_number(18), zh_number(10), zh_number(108)
    ('三十四', '十八', '十', '一百零八')
    """
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 20:
        return "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _ZH_DIGITS[n // 10] + "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if not rest else ("零" + zh_number(rest) if rest < 10 else zh_number(rest))
    if 10 <= rest < 20:
        tail = "一" + tail
    return _ZH_DIGITS[n // 100 % 10] + "百" + tail


@dataclass
class Words:
    """The templates and labels of one language, and the policy behind them."""

    policy: Policy
    lang: str

    @property
    def links(self) -> BidderLinks:
        return self.policy.bidder_links

    def label(self, key: str) -> str:
        return self.links.labels.get(self.lang, {}).get(key, key.replace("_", " "))

    def text(self, template: str, **fields: Any) -> str:
        return self.links.templates[self.lang][template].format(**fields)

    def ref(self, citation: str) -> str:
        """The law and article of the first clause cited: 《招标投标法实施条例》第三十四条."""
        key, _, number = citation.split("; ")[0].partition(":")
        source = self.policy.sources[key]
        article = int(number.split(".")[0])
        if self.lang == "zh":
            return f"《{source.short_title or source.title}》第{zh_number(article)}条"
        return f"art. {article}, {source.title_en or source.title}"


def words(policy: Policy, lang: str) -> Words:
    return Words(policy, lang if lang in policy.bidder_links.templates else "zh")


# -- rules ---------------------------------------------------------------------
@dataclass
class LinkContext:
    """What classifying and explaining links needs besides the links."""

    walk: Walk
    first: list[Relation]
    names: dict[str, str]
    contacts: dict[str, dict[str, str]]
    usage: dict[str, dict[str, int]]
    #: (person, bidder) -> the person's active relations in the bidder
    person_roles: dict[tuple[str, str], list[Relation]] = field(init=False)

    def __post_init__(self) -> None:
        self.person_roles = _person_roles(self.first)


def contact_usage(
    store: GraphStore, links: Iterable[Link], contacts: dict[str, dict[str, str]]
) -> dict[str, dict[str, int]]:
    """kind -> value -> enterprises in the store with it, for the contacts
    shared by bidders: one indexed count per distinct value."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.kind is LinkKind.SHARED_CONTACT:
            kind = link.relations[0]
            wanted[kind].add(contacts[link.a][kind])
    return {kind: store.contact_usage(kind, values) for kind, values in wanted.items()}


def _person_roles(first: list[Relation]) -> dict[tuple[str, str], list[Relation]]:
    roles: dict[tuple[str, str], list[Relation]] = defaultdict(list)
    for r in first:
        if r.source_type is NodeKind.PERSON:
            roles[(r.source_id, r.target_uscc)].append(r)
    return roles


def classify(link: Link, ctx: LinkContext, rules: BidderLinks) -> None:
    """Set the link's ``rule`` (and ``count`` for a shared contact); a direct
    controlling holding becomes the link's path when a longer chain was the
    strongest."""
    if link.kind is LinkKind.SHARED_PERSON:
        person = link.path[1]
        roles = ctx.person_roles
        both = all(
            any(r.role is Role.LEGAL_REPRESENTATIVE for r in roles[(person, firm)])
            for firm in (link.a, link.b)
        )
        link.rule = LinkRule.SAME_PRINCIPAL if both else LinkRule.INDICATOR
    elif link.kind is LinkKind.OWNERSHIP:
        link.rule = _ownership_rule(link, ctx.walk, rules)
    elif link.kind is LinkKind.SHARED_CONTACT:
        kind = link.relations[0]
        link.count = ctx.usage.get(kind, {}).get(ctx.contacts[link.a][kind])
        mass = kind in rules.mass_contact_kinds and (link.count or 0) > rules.mass_contact_threshold
        link.rule = LinkRule.MASS_CONTACT if mass else LinkRule.INDICATOR
        if mass:
            link.detail = f"{link.detail}; shared by {link.count} enterprises"
    else:
        link.rule = LinkRule.INDICATOR


def _ownership_rule(link: Link, walk: Walk, rules: BidderLinks) -> LinkRule:
    if set(link.relations) != {Role.SHAREHOLDER.value}:  # declared control or a branch
        return LinkRule.CONTROL if len(link.path) == 2 else LinkRule.INDICATOR
    direct = walk.held.get((link.a, link.b), 0.0)
    if direct <= rules.control_above_pct:  # 控股: more than half, held directly
        return LinkRule.INDICATOR
    if len(link.path) > 2:
        link.path, link.relations = [link.a, link.b], [Role.SHAREHOLDER.value]
    return LinkRule.CONTROL


# -- explanations --------------------------------------------------------------
def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _role_words(w: Words, rels: Sequence[Relation]) -> str:
    best = min(rels, key=lambda r: list(Role).index(r.role))
    if best.role is Role.EXECUTIVE and best.title is not None:
        return w.label(best.title.value)
    return w.label(best.role.value)


def _fact(link: Link, ctx: LinkContext, w: Words) -> str:
    """The sentence of a link without its reference to the law."""
    name = ctx.names.get
    a, b = name(link.a, link.a), name(link.b, link.b)
    via = w.label("via_separator").join(name(n, n) for n in link.path[1:-1])
    if link.kind is LinkKind.SHARED_PERSON:
        person = link.path[1]
        if link.rule is LinkRule.SAME_PRINCIPAL:
            return w.text("same_principal", a=a, b=b, person=name(person, ""))
        roles = ctx.person_roles
        return w.text(
            "shared_person",
            a=a,
            b=b,
            person=name(person, ""),
            role_a=_role_words(w, roles[(person, link.a)]),
            role_b=_role_words(w, roles[(person, link.b)]),
        )
    if link.kind is LinkKind.SHARED_CONTACT:
        kind = link.relations[0]
        fields = {
            "contact": w.label(kind),
            "value": ctx.contacts[link.a][kind],
            "count": link.count,
        }
        template = "mass_contact" if link.rule is LinkRule.MASS_CONTACT else "shared_contact"
        return w.text(template, a=a, b=b, threshold=w.links.mass_contact_threshold, **fields)
    if link.kind is LinkKind.COMMON_CONTROLLER:
        controller = ctx.walk.common.get((link.a, link.b), "")
        return w.text("common_controller", a=a, b=b, controller=name(controller, controller))
    return _ownership_fact(link, ctx, w, a, b, via)


def _ownership_fact(link: Link, ctx: LinkContext, w: Words, a: str, b: str, via: str) -> str:
    shares = set(link.relations) == {Role.SHAREHOLDER.value}
    if len(link.path) == 2 and shares:
        template = "control_shares" if link.rule is LinkRule.CONTROL else "minority_holding"
        return w.text(template, a=a, b=b, pct=_pct(ctx.walk.held.get((link.a, link.b), 0.0)))
    if shares:
        return w.text("chain_holding", a=a, b=b, via=via, pct=_pct(link.pct or 0.0))
    if len(link.path) == 2:
        branch = link.relations == [Role.BRANCH_OF.value]
        return w.text("control_branch" if branch else "control_declared", a=a, b=b)
    return w.text("chain_control", a=a, b=b, via=via)


def explain_link(link: Link, ctx: LinkContext, w: Words, scenario: Scenario) -> str:
    """The link's sentence: the fact, then the clause quoted (or that links
    do not decide in this scenario; nothing for a mass-registration contact)."""
    text = _fact(link, ctx, w)
    rule = w.links.rule(scenario, link.rule.value) if link.rule else None
    if rule is not None:
        text += w.text("reference", ref=w.ref(rule.citation), quote=rule.quote)
    elif link.rule is not LinkRule.MASS_CONTACT:
        text += w.text("not_applied")
    return text + w.text("end")


# -- verdicts ------------------------------------------------------------------
def apply_links(
    bidders: list[Bidder], links: list[Link], scenario: Scenario, rules: BidderLinks
) -> None:
    """Give both bidders of each deciding link a ``linked_bidder`` reason and
    raise their verdicts to the strongest reason (DESIGN §6)."""
    by_uscc = {b.uscc: b for b in bidders}
    for link in links:
        rule = rules.rule(scenario, link.rule.value) if link.rule else None
        if rule is None:
            continue
        for this, other in ((link.a, link.b), (link.b, link.a)):
            bidder = by_uscc[this]
            # built from checked values without validating them again (up
            # to 2 × 1,225 reasons for 50 bidders of one hub)
            bidder.reasons.append(
                ScreeningReason.model_construct(
                    code=LINKED_BIDDER,
                    other=other,
                    link=link.kind,
                    rule=link.rule.value if link.rule else None,
                    citation=rule.citation,
                    path=list(link.path),
                    relations=list(link.relations),
                    explanation=link.explanation,
                )
            )
            verdict = BidderVerdict(rule.verdict)
            if VERDICT_RANK[verdict] > VERDICT_RANK.get(bidder.verdict, -1):
                bidder.verdict = verdict


def explain_reason(reason: ScreeningReason, bidder: Bidder, names: dict[str, str], w: Words) -> str:
    """The sentence of a measures reason (listed, related_enterprise, …) or of
    an unknown / invalid bidder."""
    a = bidder.name or bidder.uscc
    if reason.code in ("unknown", "invalid"):
        return w.text(reason.code, a=bidder.uscc, detail=reason.detail or "") + w.text("end")
    if reason.code not in w.links.templates[w.lang]:
        return reason.detail or reason.code
    subject = reason.path[0] if reason.path else bidder.uscc
    chain = [names.get(reason.path[0], reason.path[0])] if reason.path else []
    for node, rel in zip(reason.path[1:], reason.relations, strict=False):
        chain.append(f"—{w.label(rel)}— {names.get(node, node)}")
    fields = {
        "a": a,
        "b": names.get(subject, subject),
        "list": w.label(reason.list.value) if reason.list else "",
        "entry": reason.entry_id or "",
        "citation": reason.citation or "",
        "via": " ".join(chain),
    }
    return w.text(reason.code, **fields) + w.text("end")
