"""The explorer's monitoring pages in a real browser (DESIGN §10): watch an
entity from its page, see the watchlist's unread changes, mark them read,
and read an entity's timeline. Same set-up as ``test_browser.py``."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import GraphBuilder
from credit_graph import build_graph
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port

from credgraph.model import Batch
from credgraph.policy import today
from credgraph.store import EmbeddedStore
from queries.materialise import Change, propagate, refresh

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium missing: `make chromium`"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Site:
    url: str
    key: str
    graph: GraphBuilder
    db: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    from api.app import create_app
    from api.keys import add_key

    folder = tmp_path_factory.mktemp("monitor-explorer")
    graph = build_graph()
    store = EmbeddedStore(folder / "store.db")
    store.upsert(graph.batch)
    propagate(store, today())
    store.close()
    keys = folder / "keys.toml"
    key = add_key(keys, "browser-monitor", "admin")
    app = create_app(str(folder / "store.db"), keys_file=keys)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Site(url=f"http://127.0.0.1:{port}", key=key, graph=graph, db=folder / "store.db")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(site: Site) -> Iterator[playwright_api.Page]:
    profile = tempfile.mkdtemp(prefix="credgraph-chromium-")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 860},
        )  # fmt: skip
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(site.url + "/")
        page.fill("#key-input", site.key)
        page.click("#key-form button")
        yield page
        context.close()
        assert not errors, errors
    shutil.rmtree(profile, ignore_errors=True)


def list_on_watch_list(site: Site, firm: str) -> None:
    """A load while the explorer is open: ``firm`` goes on the abnormal-operation list."""
    new = GraphBuilder()
    new.ids = dict(site.graph.ids)
    entry = new.entry("E9", firm, "abnormal_operation", today().isoformat())
    store = EmbeddedStore(site.db)
    before = store.generation()
    batch = Batch(entries=[entry])
    store.upsert(batch)
    refresh(store, Change.of_batch(batch), before)
    store.close()


def test_watch_from_the_entity_page_and_read_the_changes(
    page: playwright_api.Page, site: Site
) -> None:
    expect, g = playwright_api.expect, site.graph
    page.goto(f"{site.url}/#/entity/{g['B']}")
    expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    page.click("#watch-button")
    page.fill("#watch-name", "suppliers")
    page.click("#watch-form button[type=submit]")
    expect(page.locator("#watch-form-status")).to_contain_text("suppliers")

    page.goto(f"{site.url}/#/watchlists?name=suppliers")
    expect(page.locator("#watch-ids")).to_contain_text(g["B"])
    # everything before the first visit is unread: read it
    expect(page.locator("#watch-changes tbody tr").first).to_be_visible()
    page.click("#watch-read")
    expect(page.locator("#watch-changes tbody tr")).to_have_count(0)
    expect(page.locator("#watch-read")).to_be_hidden()

    list_on_watch_list(site, "B")
    page.reload()
    badge = page.locator('.unread[data-watchlist="suppliers"]')
    expect(badge).to_contain_text("2")
    rows = page.locator("#watch-changes tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#watch-changes tr.change-entry_added")).to_contain_text(g["B"])
    expect(page.locator("#watch-changes tr.change-flag_added")).to_contain_text("E9")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer-watchlist.png"), full_page=True)
    page.click("#watch-read")
    expect(rows).to_have_count(0)
    expect(badge).to_have_class("badge unread none")


def test_the_timeline_of_an_entity(page: playwright_api.Page, site: Site) -> None:
    expect, g = playwright_api.expect, site.graph
    page.goto(f"{site.url}/#/entity/{g['A']}")
    expect(page.locator("#entity-map")).to_have_attribute("data-stabilized", "true")
    page.click("#timeline-button")
    expect(page).to_have_url(f"{site.url}/#/history/{g['A']}")
    table = page.locator("#history-table")
    expect(table.locator("tr.timeline-listed")).to_have_count(2)  # E0 and E1
    expect(table.locator("tr.timeline-removed")).to_contain_text("repaired")
    expect(table.locator("tr.timeline-flag_gained").first).to_contain_text("2019-01-01")
    expect(table.locator("tr.timeline-role_ended")).to_contain_text("2022-12-31")
    expect(page.locator("#history-status")).not_to_have_text("")
    page.screenshot(path=str(ARTIFACTS / "explorer-timeline.png"), full_page=True)
