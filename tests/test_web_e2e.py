"""Start the real server and drive the page in headless Chromium (Playwright)."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from search_fixtures import write_glossary
from server_fixtures import live_server

from termfit.index import build_index
from termfit.server import Settings, create_app

pytestmark = pytest.mark.slow  # starts a server and a headless browser

CHROMIUM = os.environ.get("TERMFIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_path):
    d = tmp_path_factory.mktemp("web")
    index = build_index(d / "index", [write_glossary(d / "g.jsonl")], tiny_model_path,
                        show_progress=False)
    with live_server(create_app(index, settings=Settings(reload_on_sighup=False))) as url:
        yield url


@contextlib.contextmanager
def _browser():
    """Playwright's sync API and a headless system Chromium, closed afterwards."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield sync_api, browser
        finally:
            browser.close()


def test_korean_query_in_browser(server):
    with _browser() as (sync_api, browser):
        page = browser.new_page(locale="ko-KR")
        page.goto(server + "/")
        assert page.title().startswith("termfit")
        page.locator("#q").press_sequentially("세션 관리 기능이란", delay=20)
        first = page.locator("li.hit").first
        first.wait_for(timeout=15_000)
        sync_api.expect(first).to_have_attribute("data-abbr", "SMF", timeout=15_000)
        text = first.inner_text()
        assert "Session Management Function" in text and "세션 관리 기능" in text
        assert "기술" in text  # category, in Korean
        # switching the interface language keeps the results and relabels them
        page.click("#lang")
        sync_api.expect(page.locator("li.hit").first).to_contain_text("Technical")
        # bad input is shown as an error message, not a broken page
        page.fill("#q", "x" * 300)
        sync_api.expect(page.locator("#status")).to_have_class("error", timeout=15_000)


def test_query_abbreviation_chip_in_browser(server):
    with _browser() as (sync_api, browser):
        page = browser.new_page(locale="en-US")
        page.goto(server + "/")
        page.locator("#q").press_sequentially("CP 길이가 긴 경우 성능은?", delay=10)
        chip = page.locator('#abbrs details.chip[data-abbr="CP"]')
        chip.wait_for(timeout=15_000)
        senses = {"Cyclic Prefix", "Control Plane"}
        chosen = chip.locator(".sense").inner_text()
        (sense,) = [x for x in senses if x in chosen]
        (other,) = senses - {sense}
        # the other sense: in the title (hover) and in the details (tap)
        assert other in chip.locator("summary").get_attribute("title")
        sync_api.expect(chip.locator("ul.alts")).to_be_hidden()
        chip.locator("summary").click()
        sync_api.expect(chip.locator("ul.alts")).to_contain_text(other)
        # both senses are candidates among the hits, found by the abbreviation path
        hits = page.locator('li.hit[data-abbr="CP"]')
        sync_api.expect(hits).to_have_count(2)
        assert all("abbreviation" in (h.get_attribute("data-found-by") or "")
                   for h in hits.all())
        # a query without abbreviations clears the chips
        page.fill("#q", "세션 관리 기능")
        sync_api.expect(page.locator("#abbrs details.chip")).to_have_count(0, timeout=15_000)
