"""The screening page in a real browser (issue 18): upload a bidder file with two
lots, see a ``reject`` with its explanation quoting the clause, the link map drawn
by the server, the links by name, download the XLSX, print view; screenshot in
``tests/artifacts/``. Fixtures (live server, Chromium) come from test_browser."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from builders import make_uscc
from test_browser import (  # noqa: F401 - fixtures used by name
    ARTIFACTS,
    Site,
    browser_context,
    page,
    playwright_api,
    shot,
    sign_in,
    site,
)


def test_upload_screens_lots_and_explains_a_reject(
    page: playwright_api.Page,  # noqa: F811
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    expect, g = playwright_api.expect, site.graph
    page.add_init_script("localStorage.setItem('credgraph.lang', 'zh')")
    sign_in(page, site, "/#/screening")
    bidders = tmp_path / "投标人名单.csv"
    rows = [["uscc", "name", "lot"], [g["A"], "", "1"], [g["C"], "", "1"], [g["B"], "", "1"],
            [g["G"], "", "2"], [g["W"], "", "2"], [make_uscc(999), "未登记公司", "2"],
            ["NOT-A-USCC", "", "2"]]  # fmt: skip
    bidders.write_text("\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    page.set_input_files("#screening-file", str(bidders))
    page.click("#screening-form button[type=submit]")

    lot1 = page.locator('.screening-lot[data-lot="1"]')
    expect(lot1.locator("tbody tr")).to_have_count(3)
    c_row = lot1.locator(f'tr[data-uscc="{g["C"]}"]')
    expect(c_row).to_have_attribute("data-verdict", "reject")
    expect(c_row.locator("td.verdict")).to_have_text("否决")
    explanation = c_row.locator('li[data-code="linked_bidder"]')
    expect(explanation).to_contain_text(
        "投标人A有限公司直接持有投标人C有限公司 60% 的股份，存在控股关系"
    )
    expect(explanation).to_contain_text("《招标投标法实施条例》第三十四条")
    expect(explanation).to_contain_text("相关投标均无效")
    expect(c_row).to_contain_text("C有限公司")  # names, not only USCCs
    b_row = lot1.locator(f'tr[data-uscc="{g["B"]}"]')
    expect(b_row).to_have_attribute("data-verdict", "review")
    expect(b_row).to_contain_text("张三同时任投标人A有限公司的法定代表人和投标人B有限公司的董事长")

    links = lot1.locator(".link-list")
    expect(links).to_contain_text("A有限公司 ↔ C有限公司")
    expect(links.locator('li[data-rule="control"]')).to_have_count(1)
    expect(lot1.locator(".link-map")).to_have_attribute("data-loaded", "true")
    size = lot1.locator(".link-map img").evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
    assert size[0] > 200 and size[1] > 100

    lot2 = page.locator('.screening-lot[data-lot="2"]')
    expect(lot2.locator('tr[data-verdict="invalid"]')).to_contain_text("NOT-A-USCC")
    expect(lot2.locator('tr[data-verdict="unknown"]')).to_contain_text("未登记公司")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screening-upload.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#screening-download")
    saved = tmp_path / "result.xlsx"
    download_info.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    verdicts = {row[1].value: row[3].value for row in book["bidders"].iter_rows(min_row=2)}
    assert verdicts[g["A"]] == "reject" and verdicts[g["C"]] == "reject"

    page.emulate_media(media="print")
    expect(page.locator("#screening-form")).to_be_hidden()
    expect(lot1.locator(".link-map")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "screening-print.png"), full_page=True)


def test_the_screening_page_speaks_chinese_then_english_on_the_switch(
    page: playwright_api.Page,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    """zh-CN first (DESIGN §12): labels, verdicts, rule names and explanations;
    the language switch re-asks the server and everything turns English."""
    expect, g = playwright_api.expect, site.graph
    page.add_init_script("localStorage.setItem('credgraph.lang', 'zh')")
    sign_in(page, site, "/#/screening")
    view = page.locator("#screening-view")
    expect(view.locator("h1")).to_have_text("投标人关联关系审查")
    expect(page.locator("#screening-form button[type=submit]")).to_have_text("审查投标人")
    page.fill("#screening-input", "\n".join([g["A"], g["C"], g["B"]]))
    page.click("#screening-form button[type=submit]")

    c_row = page.locator(f'#screening-lots tr[data-uscc="{g["C"]}"]')
    expect(c_row.locator("td.verdict")).to_have_text("否决")
    b_row = page.locator(f'#screening-lots tr[data-uscc="{g["B"]}"]')
    expect(b_row.locator("td.verdict")).to_have_text("人工复核")
    linked = c_row.locator('li[data-code="linked_bidder"]')
    expect(linked).to_contain_text("投标人A有限公司直接持有投标人C有限公司 60% 的股份")
    hover = linked.get_attribute("title") or ""
    assert hover.startswith("关联投标人") and "BIDLAW-IR:34.2：单位负责人为同一人" in hover
    rules = page.locator("#screening-lots .link-list .rule")
    expect(rules.first).to_be_visible()
    assert "控股、管理关系" in rules.all_inner_texts()
    expect(page.locator("#screening-status")).to_contain_text("招标投标")
    shot(page, "13-screening-zh")

    page.click("#lang-switch")
    expect(view.locator("h1")).to_have_text("Bidder screening")
    expect(c_row.locator("td.verdict")).to_have_text("reject")
    expect(b_row.locator("td.verdict")).to_have_text("review")
    expect(linked).to_contain_text("Bidder A有限公司 directly holds 60% of bidder C有限公司")
    expect(page.locator("#screening-status")).to_contain_text("public bidding")
    assert "control or management" in rules.all_inner_texts()
    expect(page.locator("#screening-lots")).not_to_contain_text("否决")
    shot(page, "14-screening-en")
    page.click("#lang-switch")
    expect(view.locator("h1")).to_have_text("投标人关联关系审查")
