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
from credgraph.policy import Policy
from queries.screening_files import XLSX_MEDIA_TYPE, bidder_rows, csv_text, evidence, xlsx_bytes
from queries.screening_model import FileScreening, Link, LotResult
from viz.screening_map import layout, render_svg
from viz.style import FONT_STACK

#: headings and words of the report per language (zh first)
TEXT = {
    "zh": {
        "title": "投标人关联关系筛查报告", "scenario": "场景", "as_of": "评价日",
        "generated": "生成时间", "generation": "数据版本", "policy": "规则版本",
        "lot": "标段", "bidders": "投标人", "counts": "（{bidders} 家投标人，{links} 条关联）",
        "uscc": "统一社会信用代码", "name": "名称", "verdict": "结论", "reasons": "理由",
        "map": "关联图", "links": "关联关系", "between": "投标人", "rule": "规则",
        "evidence": "证据", "explanation": "说明", "shared_by": "共用企业数",
        "law": "依据条款", "checked_by": "核查人", "date": "日期", "sep": "：",
        "applies": "本场景适用投标人关联规则：单位负责人为同一人或存在控股、管理关系的投标人，"
                   "相关投标均无效（否决）；其他关联迹象需评标委员会审查。",
        "not_applies": "本场景不适用投标人关联规则：关联关系仅列示，不影响结论。",
        "threshold": "集中登记地址或代理电话（由超过 {threshold} 家企业共用）仅列示，"
                     "不作为关联依据。",
        "more": "另有 {n} 家投标人无关联，未画出",
    },
    "en": {
        "title": "Bidder link screening report", "scenario": "Scenario", "as_of": "Evaluation day",
        "generated": "Generated", "generation": "Data generation", "policy": "Policy",
        "lot": "Lot", "bidders": "Bidders", "counts": "({bidders} bidders, {links} links)",
        "uscc": "USCC", "name": "Name", "verdict": "Verdict", "reasons": "Reasons",
        "map": "Link map", "links": "Links", "between": "Bidders", "rule": "Rule",
        "evidence": "Evidence", "explanation": "Explanation",
        "shared_by": "enterprises sharing it:",
        "law": "Clauses relied on", "checked_by": "Checked by", "date": "Date", "sep": ": ",
        "applies": "The bidder-link rules apply: bids of bidders with the same principal or in "
                   "a control or management relation are void (reject); other signs of a link "
                   "are for the evaluation committee to review.",
        "not_applies": "The bidder-link rules do not apply in this scenario: links are "
                       "listed only.",
        "threshold": "Mass-registration addresses and agency phones (shared by more than "
                     "{threshold} enterprises) are listed only, never evidence of a link.",
        "more": "{n} bidders without links not drawn",
    },
}  # fmt: skip
VERDICTS = {
    "zh": {"reject": "否决", "review": "审查", "pass": "通过", "unknown": "未知",
           "invalid": "无效"},
    "en": {"reject": "reject", "review": "review", "pass": "pass", "unknown": "unknown",
           "invalid": "invalid"},
}  # fmt: skip
RULES = {
    "zh": {"same_principal": "单位负责人为同一人", "control": "控股、管理关系",
           "indicator": "关联迹象", "mass_contact": "集中登记联系方式"},
    "en": {"same_principal": "same principal", "control": "control or management",
           "indicator": "indicator", "mass_contact": "mass-registration contact"},
}  # fmt: skip
SCENARIOS = {
    "zh": {"public_bidding": "招标投标", "government_procurement": "政府采购",
           "administrative_licensing": "行政许可", "fiscal_funding": "财政资金",
           "honours": "评优评先", "financing": "融资信贷", "appointment": "任职"},
}  # fmt: skip


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
    lang = lang if lang in TEXT else "zh"
    data = lot.model_dump(mode="json")
    labels = policy.bidder_links.labels.get(lang, {})
    link_map = layout(data["bidders"], data["links"], labels)
    more = TEXT[lang]["more"].format(n=link_map.unlinked) if link_map.unlinked else ""
    return render_svg(link_map, legend=RULES[lang], more_text=more)


def render_screening_html(
    result: FileScreening,
    *,
    policy: Policy,
    generation: int,
    generated_at: datetime,
    lang: str = "zh",
) -> str:
    """The screening of every lot as a printable HTML page."""
    lang = lang if lang in TEXT else "zh"
    text = dict(TEXT[lang])
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
        lang=lang,
        scenario=SCENARIOS.get(lang, {}).get(result.scenario.value, result.scenario.value),
        applies=applies,
        verdicts=VERDICTS[lang],
        rules=RULES[lang],
        maps=[link_map_svg(lot, policy, lang) for lot in result.lots],
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
