"""The printable screening report: a bidder file's screening as one HTML page.

Self-contained (inline CSS and inline SVG link maps, no script, no URL),
stamped with the evaluation day, the scenario, when it was made, the data
generation of the store and the policy key, and ending with the quoted
clauses of the laws the link rules rest on.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import jinja2
from markupsafe import Markup

from credgraph import __version__
from credgraph.i18n import N_, TERMS, Lang, gettext, parse_lang, term
from credgraph.policy import Policy
from queries.screening_files import XLSX_MEDIA_TYPE, bidder_rows, csv_text, evidence, xlsx_bytes
from queries.screening_model import FileScreening, Link, LotResult
from viz.screening_map import layout, render_svg
from viz.style import FONT_STACK

#: headings and words of the report: English msgids, translated through the
#: gettext catalog (credgraph.i18n, DESIGN §12)
TEXT = {
    "title": N_("Bidder link screening report"), "scenario": N_("Scenario"),
    "as_of": N_("Evaluation day"), "generated": N_("Generated"),
    "generation": N_("Data generation"), "policy": N_("Policy"), "lot": N_("Lot"),
    "bidders": N_("Bidders"), "counts": N_("({bidders} bidders, {links} links)"),
    "uscc": N_("USCC"), "name": N_("Name"), "verdict": N_("Verdict"), "reasons": N_("Reasons"),
    "map": N_("Link map"), "links": N_("Links"), "between": N_("Bidders"), "rule": N_("Rule"),
    "evidence": N_("Evidence"), "explanation": N_("Explanation"),
    "shared_by": N_("enterprises sharing it:"), "law": N_("Clauses relied on"),
    "checked_by": N_("Checked by"), "date": N_("Date"), "sep": N_(": "),
    "applies": N_(
        "The bidder-link rules apply: bids of bidders with the same principal or in a "
        "control or management relation are void (reject); other signs of a link are for "
        "the evaluation committee to review."
    ),
    "not_applies": N_(
        "The bidder-link rules do not apply in this scenario: links are listed only."
    ),
    "threshold": N_(
        "Mass-registration addresses and agency phones (shared by more than {threshold} "
        "enterprises) are listed only, never evidence of a link."
    ),
    "more": N_("{n} bidders without links not drawn"),
}  # fmt: skip


def _words(kind: str, lang: Lang) -> dict[str, str]:
    """The names of the codes of ``kind`` (verdict, linkrule) in ``lang``."""
    return {code: term(kind, code, lang) for code in TERMS[kind]}


def _lang(lang: str) -> Lang:
    return parse_lang(lang) or "zh"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("viz", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("screening.html.j2")


def link_map_svg(lot: LotResult, policy: Policy, lang: str = "zh") -> Markup:
    """The lot's link map as an SVG element (empty when no links)."""
    chosen = _lang(lang)
    data = lot.model_dump(mode="json")
    labels = policy.bidder_links.labels.get(chosen, {})
    link_map = layout(data["bidders"], data["links"], labels)
    more = gettext(TEXT["more"], chosen).format(n=link_map.unlinked) if link_map.unlinked else ""
    return render_svg(link_map, legend=_words("linkrule", chosen), more_text=more)


def render_screening_html(
    result: FileScreening,
    *,
    policy: Policy,
    generation: int,
    generated_at: datetime,
    lang: str = "zh",
) -> str:
    """The screening of every lot as a printable HTML page."""
    chosen = _lang(lang)
    text = {key: gettext(msgid, chosen) for key, msgid in TEXT.items()}
    text["threshold"] = text["threshold"].format(
        threshold=policy.bidder_links.mass_contact_threshold
    )
    applies = result.scenario in policy.bidder_links.scenarios
    cited = {
        key
        for rules in policy.bidder_links.scenarios.values()
        for rule in rules.values()
        for key in (c.partition(":")[0] for c in rule.citation.split("; "))
    }
    return _template().render(
        r=result.model_dump(mode="json"),
        t=text,
        lang=chosen,
        scenario=term("scenario", result.scenario, chosen),
        applies=applies,
        verdicts=_words("verdict", chosen),
        rules=_words("linkrule", chosen),
        maps=[link_map_svg(lot, policy, chosen) for lot in result.lots],
        evidence=lambda x: evidence(Link.model_validate(x)),
        sources={k: v for k, v in policy.sources.items() if k in cited},
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M"),
        generation=generation,
        policy_key=policy.key(),
        font_stack=FONT_STACK,
        version=__version__,
    )


OUTPUT_MEDIA_TYPES = (XLSX_MEDIA_TYPE, "text/csv", "text/html", "image/svg+xml")


def render_screening(
    result: FileScreening,
    media_type: str,
    *,
    policy: Policy,
    generation: int,
    generated_at: datetime,
    lang: str = "zh",
) -> tuple[bytes, str]:
    """The screening as a file of one of :data:`OUTPUT_MEDIA_TYPES`, with a
    file name: the workbook, the bidders as CSV, the printable report, or the
    link map of the first lot that has links."""
    stem = f"screening-{result.scenario.value}-{result.as_of}"
    if media_type == XLSX_MEDIA_TYPE:
        return xlsx_bytes(result), f"{stem}.xlsx"
    if media_type == "text/csv":
        return csv_text(bidder_rows(result)).encode("utf-8"), f"{stem}.csv"
    if media_type == "image/svg+xml":
        lot = next((lot for lot in result.lots if lot.links), result.lots[0])
        svg = str(link_map_svg(lot, policy, lang)) or '<svg xmlns="http://www.w3.org/2000/svg"/>'
        return svg.encode("utf-8"), f"{stem}.svg"
    html = render_screening_html(
        result, policy=policy, generation=generation, generated_at=generated_at, lang=lang
    )
    return html.encode("utf-8"), f"{stem}.html"
