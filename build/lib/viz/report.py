"""The printable credit report: ``queries.report.CreditReport`` as one HTML page.

Self-contained (inline CSS and an inline SVG map, no script, no URL), with
print CSS so an officer can file it on paper or as PDF from the browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
from pydantic import BaseModel

from credgraph import __version__
from viz.style import FONT_STACK, PALETTE, JsonDict, edge_label, node_category
from viz.svg import LISTED_UNKNOWN, SvgEdge, SvgNode, legend_items, star_svg, swatch_for

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
        ("holds " if r.get("direction") == "in" else "is ") + edge_label(r)
        for r in party.get("roles") or ()
    )


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


def render_report_html(report: BaseModel | Mapping[str, Any]) -> str:
    """The credit report (``queries.report.credit_report``) as a printable HTML page.

    Sections: summary of verdicts, identity, list history with each entry's
    status on the day, flags with their evidence paths (names where known),
    measures per scenario, ownership summary, related parties and a small map.
    """
    data = _as_dict(report)
    names = _names(data)
    return _template().render(
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
