"""The printable credit report: ``queries.report.CreditReport`` as one HTML page.

Self-contained (inline CSS and an inline SVG map, no script, no URL), with
print CSS so an officer can file it on paper or as PDF from the browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape
from pydantic import BaseModel

from credgraph import __version__
from credgraph.i18n import N_, Lang, current_lang, gettext, term, using
from credgraph.policy import Policy, default_policy
from viz.style import FONT_STACK, PALETTE, JsonDict, edge_label, node_category
from viz.svg import LISTED_UNKNOWN, SvgEdge, SvgNode, legend_items, star_svg, swatch_for

#: Row names of the identity table and other codes the template translates.
FIELD_NAMES = (
    N_("uscc"),
    N_("name"),
    N_("kind"),
    N_("status"),
    N_("established on"),
    N_("registered capital"),
    N_("region"),
    N_("industry"),
    N_("address"),
    N_("phone"),
    N_("email"),
    N_("person id"),
    N_("id type"),
    N_("declared"),
    N_("majority chain"),
)

#: Related parties drawn on the report's map (the strongest first).
MAP_PARTIES = 24

_VERDICT_CLASS = {
    "reject": "bad",
    "not_eligible": "bad",
    "review": "warn",
    "pass": "good",
    "eligible": "good",
}


def _as_dict(report: BaseModel | Mapping[str, Any]) -> JsonDict:
    if isinstance(report, BaseModel):
        return report.model_dump(mode="json")
    return dict(report)


def _names(data: Mapping[str, Any]) -> dict[str, str]:
    names = {str(p["id"]): str(p["name"]) for p in data.get("related_parties") or ()}
    identity = data.get("identity") or {}
    names[str(data["subject_id"])] = str(identity.get("name") or data["subject_id"])
    return names


def _party_roles(party: Mapping[str, Any]) -> str:
    return "; ".join(
        (gettext("holds {role}") if r.get("direction") == "in" else gettext("is {role}")).format(
            role=edge_label(r)
        )
        for r in party.get("roles") or ()
    )


def _citations(data: Any, policy: Policy) -> list[tuple[str, str]]:
    """Every citation quoted in the report, in order of first use, with its clause."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("citation"), str):
                for c, text in policy.quotes(value["citation"]):
                    found.setdefault(c, text)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    return [(c, text) for c, text in found.items() if text]


def _cite(policy: Policy) -> Any:
    def cite(item: Mapping[str, Any]) -> Markup:
        """A citation with its quoted clause as tooltip and a link to the footnote."""
        parts = []
        for c, text in policy.quotes(str(item.get("citation") or "")):
            anchor = "clause-" + c.replace(":", "-")
            parts.append(
                Markup('<a class="cite" href="#{}" title="{}">{}</a>').format(anchor, text, c)
                if text
                else escape(c)
            )
        return Markup("; ").join(parts)

    return cite


def _mini_map(data: Mapping[str, Any]) -> Any:
    subject = str(data["subject_id"])
    is_person = data.get("subject_type") == "person"
    names = _names(data)
    center_node = {"type": data.get("subject_type"), "flags": data.get("flags") or []}
    center = SvgNode(subject, names[subject], is_person, PALETTE[node_category(center_node)])
    parties: Sequence[Mapping[str, Any]] = data.get("related_parties") or ()
    shown = parties[:MAP_PARTIES]
    others = [
        SvgNode(
            str(p["id"]),
            str(p["name"]),
            p.get("type") == "person",
            swatch_for([str(k) for k in p.get("flags") or ()], p.get("type") == "person"),
        )
        for p in shown
    ]
    edges = []
    for p in shown:
        roles = p.get("roles") or []
        if not roles:
            continue
        first = roles[0]
        source, target = (
            (p["id"], subject) if first.get("direction") == "in" else (subject, p["id"])
        )
        more = f" +{len(roles) - 1}" if len(roles) > 1 else ""
        edges.append(SvgEdge(str(source), str(target), edge_label(first) + more))
    total = int(data.get("related_parties_total") or len(parties))
    height = 300 if len(others) <= 6 else 440
    return star_svg(center, others, edges, hidden=max(total - len(shown), 0), height=height)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("viz", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def render_report_html(
    report: BaseModel | Mapping[str, Any], lang: Lang | None = None, policy: Policy | None = None
) -> str:
    """The credit report (``queries.report.credit_report``) as a printable HTML page
    in ``lang`` (default: the language in force).

    Sections: summary of verdicts, credit level, identity, list history with
    each entry's status on the day, flags with their evidence paths (names
    where known), measures per scenario, ownership summary, related parties,
    a small map and the quoted clauses of every citation. Explanations
    (``queries.explain.explain``) are shown where the report carries them.
    """
    data = _as_dict(report)
    names = _names(data)
    lang = lang or current_lang()
    policy = policy or default_policy()
    with using(lang):  # maps, roles and legends in the report's language too
        return _template().render(
            _=lambda message: gettext(message, lang),
            term=lambda kind, code: term(kind, code, lang),
            html_lang="en" if lang == "en" else "zh-CN",
            cite=_cite(policy),
            clauses=_citations(data, policy),
            r=data,
            name=names[str(data["subject_id"])],
            names=names,
            verdict_class=_VERDICT_CLASS,
            party_roles=_party_roles,
            mini_map=_mini_map(data),
            legend=legend_items({"listed": LISTED_UNKNOWN}),
            font_stack=FONT_STACK,
            version=__version__,
        )
