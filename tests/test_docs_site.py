"""The built documentation site, opened in headless Chromium: the index loads, a notebook
page shows its graphs as SVG pictures, and nothing is fetched from the network.

`make docs` builds site/ (and `make test` builds it before running pytest); without a
built site this test is skipped. Screenshots go to out/docs-site/ to look at.
"""

from __future__ import annotations

import base64
import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
SHOTS = ROOT / "out" / "docs-site"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "index.html").exists():
        pytest.skip("no built site: run `make docs` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _page(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    foreign: list[str] = []

    def refuse_foreign(route):  # the site must work offline: nothing but our server
        url = route.request.url
        if urlparse(url).netloc != urlparse(site_url).netloc and not url.startswith("data:"):
            foreign.append(url)
            return route.abort()
        return route.continue_()

    page.route("**/*", refuse_foreign)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, foreign, errors


def test_index_leads_to_a_notebook_page_that_shows_its_graphs(browser, site_url):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, foreign, errors = _page(browser, site_url)
    page.goto(site_url + "index.html")
    assert "chainrule" in page.title()
    assert page.locator("article img[src$='first_graph.svg']").first.evaluate("i => i.naturalWidth") > 100
    page.screenshot(path=str(SHOTS / "index.png"))

    page.locator("nav a[href$='00_quickstart.html']").first.click()  # through the site's navigation
    page.wait_for_load_state("load")
    assert page.url.endswith("notebooks/00_quickstart.html")
    # nbconvert embeds each SVG output as an <img> of a data: URL; the browser must decode it.
    graphs = page.locator("article .jp-RenderedSVG img[src^='data:image/svg+xml']")
    assert graphs.count() >= 2, "the quickstart draws a graph before and after backward"
    shown = [graphs.nth(i) for i in range(graphs.count())]
    sizes = [g.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]") for g in shown]
    assert all(done and w > 100 and h > 30 for done, w, h in sizes), sizes
    svgs = [base64.b64decode(g.get_attribute("src").split(",", 1)[1]).decode() for g in shown]
    assert all("<svg" in s for s in svgs)
    assert any("grad" in s for s in svgs), "a picture after backward shows gradients"
    shown[-1].scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "quickstart_graph.png"))
    page.screenshot(path=str(SHOTS / "quickstart.png"), full_page=True)
    assert not foreign, f"the page asked the network for {foreign}"
    assert not errors, errors
    page.close()


def test_topic_page_shows_its_executed_pictures(browser, site_url):
    page, foreign, errors = _page(browser, site_url)
    page.goto(site_url + "getting-started.html")
    pictures = page.locator("article svg")
    assert pictures.count() >= 4, "two Value graphs, a Tensor graph, the MNIST curves"
    assert "-0.964" in page.locator("article").inner_text()  # the README's printed numbers
    page.screenshot(path=str(SHOTS / "getting_started.png"), full_page=True)
    assert not foreign, f"the page asked the network for {foreign}"
    assert not errors, errors
    page.close()


def test_the_pictures_page_player_steps(browser, site_url):
    page, foreign, errors = _page(browser, site_url)
    page.goto(site_url + "pictures.html")
    counter = page.locator("article .crp-counter").first
    first = counter.inner_text()
    assert first.startswith("1 / "), first
    page.locator("article [data-act=next]").first.click()
    assert counter.inner_text() == "2 / " + first.split(" / ")[1]
    counter.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "player.png"))
    assert not foreign, f"the page asked the network for {foreign}"
    assert not errors, errors
    page.close()
