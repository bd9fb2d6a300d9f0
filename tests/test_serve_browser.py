"""The pages as a reader uses them, in headless Chromium (Debian's, driven by Playwright):
open the front page, open a story, read a citation's source sentence, follow it, answer
"No" with a reason, reload and find the answer kept; and the same form without JavaScript.

Needs Chromium (apt-get install chromium; or STORYBRIEF_CHROMIUM=/path/to/chrome) and the
playwright package; skipped, with the reason, without them. The README's screenshots and the
accessibility checks are in tests/test_web_browser.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.browser import CHROMIUM, chromium

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright: pip install playwright"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium"
)
pytest_plugins = ["tests.serve_fixtures"]  # library, server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_a_reader_reads_a_story_follows_a_citation_and_answers(library, server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    stored = library.store.explainers.latest(library.example_story)
    page.goto(server.url + "/")
    page.get_by_role("link", name=stored.document["headline"]).click()
    expect(page).to_have_url(f"{server.url}/stories/{library.example_story}")
    expect(page.get_by_role("heading", level=1)).to_have_text(stored.document["headline"])
    for heading in (
        "What's Happening?",
        "Why It's Important?",
        "What's Next?",
        "Beyond the Headlines",
    ):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text("AI Generated Content")).to_be_visible()

    # hovering a citation shows the cited source sentence; so does focusing one
    first = stored.document["sections"][0]["sentences"][0]["citations"][0]
    article = library.store.articles.get(first["article_id"])
    quote = article.text[first["start"] : first["end"]]
    cite = page.locator("a.cite").first
    tip = page.locator("#" + cite.get_attribute("aria-describedby"))
    expect(tip).to_be_hidden()
    cite.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(quote)
    page.mouse.move(0, 0)
    second = page.locator("a.cite").nth(1)
    second.focus()
    expect(page.locator("#" + second.get_attribute("aria-describedby"))).to_be_visible()

    # Esc closes the popover (it sits above its chip, over the line before); following the
    # first citation lands on that sentence of the stored source, highlighted
    page.keyboard.press("Escape")
    expect(page.locator("#" + second.get_attribute("aria-describedby"))).to_be_hidden()
    cite.click()
    expect(page).to_have_url(f"{server.url}/articles/{article.id}#s-{first['sentence_index']}")
    target = page.locator(f"#s-{first['sentence_index']}")
    expect(target).to_have_text(article.sentences[first["sentence_index"]].text)
    assert page.evaluate("document.querySelector(':target').id") == f"s-{first['sentence_index']}"
    page.go_back()

    # "No": recorded at once, then a reason is asked for
    reason_box = page.get_by_label("If not, what could be better? (optional)")
    expect(reason_box).to_be_hidden()
    page.get_by_role("button", name="No", exact=True).click()
    status = page.locator(".feedback .answer")
    expect(status).to_contain_text("Your answer: No")
    expect(reason_box).to_be_visible()
    expect(reason_box).to_be_focused()
    reason_box.fill("It left out the talks with Putin")
    page.get_by_role("button", name="Send “No” with this reason").click()
    expect(status).to_contain_text("(“It left out the talks with Putin”)")

    page.reload()
    expect(status).to_contain_text("Your answer: No (“It left out the talks with Putin”)")
    expect(page.get_by_role("button", name="No", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    counts = library.store.feedback.counts(stored.id)
    assert counts["no"] >= 1
    page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
    context.close()


def test_the_feedback_form_works_without_javascript(library, server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{server.url}/stories/{library.pair_story}")
    reason_box = page.get_by_label("If not, what could be better? (optional)")
    expect(reason_box).to_be_visible()  # no script to reveal it: always there
    reason_box.fill("Too short")
    page.get_by_role("button", name="Send “No” with this reason").click()
    expect(page).to_have_url(f"{server.url}/stories/{library.pair_story}?saved=1#feedback")
    expect(page.locator(".feedback .answer")).to_contain_text("Your answer: No (“Too short”)")
    page.get_by_role("button", name="Yes", exact=True).click()
    expect(page.locator(".feedback .answer")).to_contain_text("Your answer: Yes")
    page.reload()
    expect(page.locator(".feedback .answer")).to_contain_text("Your answer: Yes")
    context.close()


def test_search_from_the_header(library, server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_role("searchbox", name="Search stories and articles").fill("harbor bridge")
    page.keyboard.press("Enter")
    sync_api.expect(page).to_have_url(f"{server.url}/search?q=harbor+bridge")
    sync_api.expect(
        page.locator(
            f'section[aria-labelledby="stories-h"] a[href="/stories/{library.pair_story}"]'
        )
    ).to_be_visible()
    context.close()


def test_no_console_errors_or_csp_violations(library, server, browser):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in (
        "/",
        f"/stories/{library.example_story}",
        f"/stories/{library.hostile_story}",
        "/search?q=parade",
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("load")
    assert problems == []
    context.close()
