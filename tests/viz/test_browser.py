"""The web explorer in a real browser (issue 8): Debian's headless Chromium,
driven by Playwright against a live uvicorn server over a small real store.

Screenshots go to ``tests/artifacts/`` (git-ignored). ``make chromium``
installs the browser; without it this module is skipped.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from builders import GraphBuilder
from credit_graph import build_graph

from credgraph.policy import today
from credgraph.store import EmbeddedStore
from queries.materialise import propagate

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium missing: `make chromium` installs Debian's chromium (needs root)",
    ),
]

playwright_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Site:
    url: str
    key: str
    graph: GraphBuilder
    requests: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def add_ownership_circle(g: GraphBuilder) -> None:
    """孙七 holds 60 % of O1, O1 80 % of O2, O2 30 % of O3 and O3 10 % of O1 (a circle)."""
    for name in ("O1", "O2", "O3"):
        g.firm(name)
    g.person("孙七")
    g.rel("孙七", "O1", "shareholder", pct=60.0, start="2020-01-01")
    g.rel("O1", "O2", "shareholder", pct=80.0, start="2020-01-01")
    g.rel("O2", "O3", "shareholder", pct=30.0, start="2020-01-01")
    g.rel("O3", "O1", "shareholder", pct=10.0, start="2020-01-01")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    from api.app import create_app
    from api.keys import add_key

    folder = tmp_path_factory.mktemp("explorer")
    graph = build_graph()
    add_ownership_circle(graph)
    store = EmbeddedStore(folder / "store.db")
    store.upsert(graph.batch)
    propagate(store, today())
    store.close()
    keys = folder / "keys.toml"
    key = add_key(keys, "browser-test", "admin")
    app = create_app(str(folder / "store.db"), keys_file=keys)
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        pytest.fail("create_app serves no explorer: api/app.py must call mount_explorer(app)")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Site(url=f"http://127.0.0.1:{port}", key=key, graph=graph)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_context(site: Site) -> Iterator[playwright_api.BrowserContext]:
    profile = tempfile.mkdtemp(prefix="credgraph-chromium-")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 860},
        )
        context.on("request", lambda request: site.requests.append(request.url))
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: playwright_api.BrowserContext) -> Iterator[playwright_api.Page]:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert not errors, errors


def shot(page: playwright_api.Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"explorer-{name}.png"))


def node_count(page: playwright_api.Page) -> int:
    return int(page.locator("#entity-map").get_attribute("data-node-count") or 0)


def click_node(page: playwright_api.Page, node_id: str) -> None:
    """Click where vis-network drew the node."""
    point = page.evaluate(
        """(id) => {
            const net = window.credgraphExplorer.map.network;
            return net.canvasToDOM(net.getPositions([id])[id]);
        }""",
        node_id,
    )
    box = page.locator("#entity-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def sign_in(page: playwright_api.Page, site: Site, path: str = "/") -> None:
    page.goto(site.url + path)
    expect = playwright_api.expect
    expect(page.locator("#key-view")).to_be_visible()
    page.fill("#key-input", site.key)
    page.click("#key-form button")
    expect(page.locator("#key-view")).to_be_hidden()


def test_search_open_expand_and_report(page: playwright_api.Page, site: Site) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site)
    page.fill("#search-input", "A有限公司")
    page.click("#search-form button")
    result = page.locator("#search-results a", has_text="A有限公司")
    expect(result.first).to_be_visible()
    expect(page.locator("#search-results")).to_contain_text(g["A"])
    shot(page, "1-search")

    result.first.click()
    expect(page.locator("#entity-name")).to_have_text("A有限公司")
    expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    listed = page.locator("#flag-list li[data-flag=listed]")
    expect(listed).to_contain_text("列入严重失信主体名单")
    expect(listed).to_contain_text("A有限公司于 2024-03-01 列入严重失信主体名单（条目 E1）。")
    cite = listed.locator("abbr.cite").first
    assert "同步記入其法定代表人" in (cite.get_attribute("title") or "")  # the quoted clause
    before = node_count(page)
    assert before == 4  # A, 张三, 王五 and C: 李四's ended role is not drawn
    shot(page, "2-entity")

    click_node(page, g["张三"])  # expands the person: B appears
    expect(page.locator("#entity-map")).not_to_have_attribute("data-node-count", str(before))
    assert node_count(page) > before
    names = page.evaluate("() => window.credgraphExplorer.map.nodes.get().map((n) => n.label)")
    assert "B有限公司" in names
    expect(page.locator("#node-details")).to_contain_text("张三是A有限公司")
    shot(page, "3-expanded")

    link = page.locator("#report-link")
    assert (link.get_attribute("href") or "") == f"#/report/{g['A']}"  # shareable, no blob:
    with page.expect_popup() as popup_info:
        link.click()
    report = popup_info.value
    report.wait_for_load_state()
    assert f"#/report/{g['A']}" in report.url
    frame = report.frame_locator("#report-frame")
    expect(frame.locator("h1")).to_have_text("A有限公司")
    expect(frame.locator("#list-history")).to_contain_text("严重失信主体名单")
    expect(frame.locator("#clauses")).to_contain_text("003:L24")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report.screenshot(path=str(ARTIFACTS / "explorer-4-report.png"), full_page=True)
    report.close()


def test_selecting_a_flag_highlights_its_evidence_path(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, f"/#/entity/{g['B']}")
    expect(page.locator("#entity-name")).to_have_text("B有限公司")
    expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    flag = page.locator("#flag-list li[data-flag=related_enterprise]")
    expect(flag).to_contain_text("规则 P2")
    expect(flag).to_contain_text(
        "张三是A有限公司（严重失信主体名单，2024-03-01 列入）的法定代表人，"
        "同时任B有限公司的董事长。"
    )
    flag.click()
    path = ",".join([g["A"], g["张三"], g["B"]])
    expect(page.locator("#entity-map")).to_have_attribute("data-highlighted", path)
    expect(flag).to_contain_text("路径：A有限公司 → 张三 → B有限公司")
    drawn = page.evaluate("() => window.credgraphExplorer.map.nodes.getIds()")
    assert g["A"] in drawn  # the listed firm two hops away was fetched onto the map
    shot(page, "5-evidence")


def test_the_explorer_speaks_chinese_and_english_on_request(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, f"/#/entity/{g['B']}")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.locator('.topbar [data-nav="search"]')).to_have_text("查询")
    expect(page.locator("#flag-list")).to_contain_text("同时任B有限公司的董事长")
    shot(page, "7-chinese")
    page.click("#lang-switch")
    expect(page.locator('.topbar [data-nav="search"]')).to_have_text("Search")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("#flag-list")).to_contain_text(
        "张三 is the legal representative of A有限公司 (serious dishonesty list, listed "
        "2024-03-01) and also the chairman of B有限公司."
    )
    expect(page.locator("#flag-list")).not_to_contain_text("同时任")
    shot(page, "8-english")
    page.click("#lang-switch")
    expect(page.locator('.topbar [data-nav="search"]')).to_have_text("查询")


def test_search_badges_a_listed_firm_and_pages_with_more(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, "/#/?q=有限公司&limit=2")
    items = page.locator("#search-results li")
    expect(items).to_have_count(2)
    expect(page.locator("#search-more")).to_be_visible()
    page.click("#search-more")
    expect(items).to_have_count(4)
    page.goto(site.url + "/#/?q=A有限公司")
    hit = page.locator(f'#search-results li[data-id="{g["A"]}"]')
    expect(hit.locator(".flag-badge.severe")).to_have_text("严重失信主体名单")
    expect(hit).to_contain_text("法定代表人：张三")
    shot(page, "9-search-badge")


def test_the_paths_view_lists_paths_with_names_and_roles(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, f"/#/paths?from={g['A']}&to={g['B']}&k=3")
    first = page.locator("#paths-list li").first
    expect(first).to_have_text("A有限公司 —法定代表人— 张三 —高级管理人员— B有限公司")
    expect(page.locator("#paths-status")).to_contain_text("A有限公司")
    assert int(page.locator("#paths-map").get_attribute("data-node-count") or 0) >= 3
    shot(page, "10-paths")


def test_the_ownership_chart_marks_owners_ubos_and_circles(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, f"/#/ownership/{g['O2']}")
    chart = page.locator("#ownership-map")
    expect(chart).to_have_attribute("data-ubo-count", "1")
    expect(chart).to_have_attribute("data-cycle-count", "1")
    expect(page.locator("#ownership-summary")).to_contain_text("受益所有人（≥ 25%）：孙七 48%")
    expect(page.locator("#ownership-summary")).to_contain_text("循环持股")
    drawn = page.evaluate(
        "() => window.credgraphExplorer.ownershipMap.body.data.edges.get()"
        ".map((e) => [e.from, e.to, e.label])"
    )
    assert [g["孙七"], g["O1"], "60%"] in drawn and [g["O1"], g["O2"], "80%"] in drawn
    assert [g["O2"], g["O3"], "30%"] in drawn  # a holding, below the firm
    shot(page, "11-ownership")


def test_the_history_page_is_wired_to_its_endpoint(page: playwright_api.Page, site: Site) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, f"/#/history/{g['A']}")
    expect(page.locator("#history-status")).not_to_have_text("")
    assert any(f"/entities/{g['A']}/history" in u for u in site.requests)


def test_the_flagged_browser_filters(page: playwright_api.Page, site: Site) -> None:
    expect, g = playwright_api.expect, site.graph
    sign_in(page, site, "/#/flagged?rule=P2")
    items = page.locator("#flagged-list > li")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-id", g["B"])
    expect(items.first).to_contain_text("同时任B有限公司的董事长")
    shot(page, "12-flagged")


def test_the_api_docs_list_the_operations(page: playwright_api.Page, site: Site) -> None:
    expect = playwright_api.expect
    page.goto(site.url + "/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20000)
    assert operations.count() >= 15
    expect(page.locator(".swagger-ui")).to_contain_text("/entities/{entity_id}/flags")
    expect(page.locator(".swagger-ui")).to_contain_text("/flagged")
    expect(page.locator(".swagger-ui")).not_to_contain_text("Unable to render")
    page.screenshot(path=str(ARTIFACTS / "docs-1-operations.png"), full_page=False)


def test_the_explorer_fetches_nothing_from_elsewhere(page: playwright_api.Page, site: Site) -> None:
    # its own visit (an entity with its map), so it passes alone and in any order
    sign_in(page, site)
    page.goto(f"{site.url}/#/entity/{site.graph['A']}")
    playwright_api.expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    outside = [u for u in site.requests if not u.startswith((site.url, "blob:", "data:"))]
    assert site.requests and not outside, outside
