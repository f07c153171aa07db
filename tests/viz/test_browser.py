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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    from api.app import create_app
    from api.keys import add_key

    folder = tmp_path_factory.mktemp("explorer")
    graph = build_graph()
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
    expect(page.locator("#flag-list")).to_contain_text("listed · serious_dishonesty · entry E1")
    before = node_count(page)
    assert before == 4  # A, 张三, 王五 and C: 李四's ended role is not drawn
    shot(page, "2-entity")

    click_node(page, g["张三"])  # expands the person: B appears
    expect(page.locator("#entity-map")).not_to_have_attribute("data-node-count", str(before))
    assert node_count(page) > before
    names = page.evaluate("() => window.credgraphExplorer.map.nodes.get().map((n) => n.label)")
    assert "B有限公司" in names
    expect(page.locator("#node-details")).to_contain_text("responsible_person")
    shot(page, "3-expanded")

    with page.expect_popup() as popup_info:
        page.click("#report-button")
    report = popup_info.value
    report.wait_for_load_state()
    expect(report.locator("h1")).to_have_text("A有限公司")
    expect(report.locator("#list-history")).to_contain_text("serious dishonesty")
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
    flag = page.locator("#flag-list li", has_text="related_enterprise")
    expect(flag).to_contain_text("rule P2")
    flag.click()
    path = ",".join([g["A"], g["张三"], g["B"]])
    expect(page.locator("#entity-map")).to_have_attribute("data-highlighted", path)
    expect(flag).to_contain_text("path: A有限公司 → 张三 → B有限公司")
    drawn = page.evaluate("() => window.credgraphExplorer.map.nodes.getIds()")
    assert g["A"] in drawn  # the listed firm two hops away was fetched onto the map
    shot(page, "5-evidence")


def test_the_explorer_fetches_nothing_from_elsewhere(page: playwright_api.Page, site: Site) -> None:
    # its own visit (an entity with its map), so it passes alone and in any order
    sign_in(page, site)
    page.goto(f"{site.url}/#/entity/{site.graph['A']}")
    playwright_api.expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    outside = [u for u in site.requests if not u.startswith((site.url, "blob:", "data:"))]
    assert site.requests and not outside, outside
