"""The operator page and the API docs as people use them, in headless Chromium at desktop
(1280 px) and phone (390 px) widths, each checked with axe-core (zero serious or critical
violations): sign in with the token, read feed health and the feedback charts, export OPML;
open /docs and find the API's operations listed, with the app's strict CSP in force; the
sign-in, operator and docs pages dark too, by the system's theme or the reader's choice.

Needs Chromium, playwright and axe-core (see tests/browser.py); skipped, saying why, without."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.appserver import TOKEN, Library, populated_library
from tests.browser import CHROMIUM, assert_accessible, chromium
from tests.test_operator import FAILING_REASON, add_operator_data

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright: pip install playwright"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium"
)
pytest_plugins = ["tests.serve_fixtures"]  # server (over this module's library)
WIDTHS = {"desktop": 1280, "phone": 390}
#: set to a directory to keep each page's screenshot and axe results there
REPORT = os.environ.get("STORYBRIEF_BROWSER_REPORT")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with populated_library(tmp_path_factory.mktemp("operator-browser")) as populated:
        add_operator_data(populated)
        yield populated


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def watch_csp(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Console messages that say the Content-Security-Policy refused something."""
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return refused


def keep(page, name: str, violations: list[dict]) -> None:  # type: ignore[no-untyped-def]
    if REPORT:
        Path(REPORT).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(REPORT) / f"{name}.png"), full_page=True)
        summary = [{"id": v["id"], "impact": v["impact"]} for v in violations]
        (Path(REPORT) / f"{name}.axe.json").write_text(json.dumps(summary, indent=2))


@pytest.mark.parametrize("width", WIDTHS)
def test_an_operator_signs_in_and_reads_the_page(server, browser, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    refused = watch_csp(page)
    expect = sync_api.expect
    page.goto(server.url + "/operator")
    expect(page).to_have_url(server.url + "/operator/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator sign-in")
    keep(page, f"login-{width}", assert_accessible(page, f"sign-in page at {width} width"))

    page.get_by_label("API token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That is not this server's API token.")
    assert_accessible(page, f"sign-in page with an error at {width} width")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/operator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator")

    feeds = page.get_by_role("table").first
    failing = feeds.get_by_role("row").nth(1)
    expect(failing).to_contain_text("failing (3×)")
    expect(failing).to_contain_text(FAILING_REASON)
    expect(page.get_by_role("heading", name="Reader feedback")).to_be_visible()
    charts = page.get_by_role("img", name="Answers per day")
    expect(charts).to_have_count(2)  # all explainers, and the one version with answers
    expect(charts.last).to_have_accessible_name(re.compile(r"Answers per day, .*: 3 Yes, 2 No$"))
    bars = page.locator("svg.chart rect.yes").first.bounding_box()
    assert bars is not None and bars["height"] > 0 and bars["width"] > 0
    # at phone width the wide tables scroll inside their own region, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width] + 1
    keep(page, f"operator-{width}", assert_accessible(page, f"operator page at {width} width"))

    with page.expect_download() as download:
        page.get_by_role("link", name="Export the followed feeds as OPML").click()
    assert "https://broken.example/feed.xml" in Path(download.value.path()).read_text()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url + "/operator/login")
    page.goto(server.url + "/operator")
    expect(page).to_have_url(server.url + "/operator/login")
    assert refused == []
    context.close()


def test_operator_tables_scroll_within_their_region_on_a_phone(server, browser):
    """Issue 30: on a 390 px phone the tables were cut at the screen's edge, their rows'
    names scrolling away with the rest. Each table scrolls inside its region (the page does
    not), every column can be brought fully into view, and the row's name stays in view."""
    context = browser.new_context(
        viewport={"width": 390, "height": 900},
        extra_http_headers={"Authorization": f"Bearer {TOKEN}"},
    )
    page = context.new_page()
    page.goto(server.url + "/operator")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    regions = page.locator(".scroll")
    assert regions.count() == 3  # feeds, failures, readers' answers
    for i in range(regions.count()):
        region = regions.nth(i)
        sizes = region.evaluate("r => [r.scrollWidth, r.clientWidth]")
        assert sizes[0] > sizes[1], "the table fits: nothing to scroll"
        region.evaluate("r => { r.scrollLeft = r.scrollWidth; }")
        box = region.bounding_box()
        last = region.locator("thead th").last.bounding_box()
        name = region.locator("tbody tr").first.locator("th, td").first.bounding_box()
        head = region.locator("thead th").first.bounding_box()
        assert box and last and name and head
        assert last["x"] + last["width"] <= box["x"] + box["width"] + 1  # the last column, whole
        assert name["x"] >= box["x"] - 1 and head["x"] >= box["x"] - 1  # the name, still shown
    context.close()


DARK = "rgb(23, 23, 27)"


def background(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(  # type: ignore[no-any-return]
        "getComputedStyle(document.body).backgroundColor === 'rgba(0, 0, 0, 0)'"
        " ? getComputedStyle(document.documentElement).backgroundColor"
        " : getComputedStyle(document.body).backgroundColor"
    )


@pytest.mark.parametrize("how", ["system", "chosen"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_operator_pages_and_docs_in_the_dark_theme(server, browser, width, how):
    """Dark by the system's theme, or chosen in the Theme menu on a light system: the
    sign-in page, the operator page (charts and tables) and /docs are drawn dark and pass
    the axe-core check."""
    scheme = "dark" if how == "system" else "light"
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 900}, color_scheme=scheme
    )
    page = context.new_page()
    refused = watch_csp(page)
    expect = sync_api.expect
    page.goto(server.url + "/operator/login")
    if how == "chosen":
        page.get_by_label("Theme").select_option("dark")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK
    name = f"{width}, dark by {how}"
    keep(page, f"login-{width}-dark-{how}", assert_accessible(page, f"sign-in page ({name})"))
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/operator")
    assert background(page) == DARK
    # the chart's bars take the dark theme's colours, not the light ones
    yes = page.locator("svg.chart rect.yes").first.evaluate("r => getComputedStyle(r).fill")
    assert yes == "rgb(74, 194, 107)", yes
    keep(page, f"operator-{width}-dark-{how}", assert_accessible(page, f"operator page ({name})"))
    page.goto(server.url + "/docs")
    expect(page.locator(".opblock-summary").first).to_be_visible()
    assert background(page) == DARK
    keep(page, f"docs-{width}-dark-{how}", assert_accessible(page, f"API docs ({name})"))
    page.locator(".opblock-summary", has_text="/api/v1/stories").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    answer = page.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_have_text("200")
    assert_accessible(page, f"API docs with an answer shown ({name})")
    assert refused == []
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_api_docs_render_under_the_csp(server, browser, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    refused = watch_csp(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None,
    )
    expect = sync_api.expect
    page.goto(server.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="API", exact=True).click()
    expect(page).to_have_url(server.url + "/docs")
    operations = page.locator(".opblock-summary")
    expect(operations.first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/stories" in [p.strip() for p in paths] and len(paths) >= 10
    keep(page, f"docs-{width}", assert_accessible(page, f"API docs at {width} width"))
    # an operation opens and can be tried against this server
    page.locator(".opblock-summary", has_text="/api/v1/stories").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert_accessible(page, f"API docs with an operation open at {width} width")
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    answer = page.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_have_text("200")  # fetched from this server: connect-src 'self'
    assert_accessible(page, f"API docs with an answer shown at {width} width")
    assert refused == [] and outside == []
    context.close()
