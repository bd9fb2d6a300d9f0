"""The reader's pages in headless Chromium at a desktop (1280 px) and a phone (390 px) width,
light and dark (the system's and the theme menu's): every kind of reader page (front, story,
an earlier version, a story with an update coming, one without explainer, search with and
without words and filters, a misspelt day, article, topic, waiting, not found, a split
story's page) passes the axe-core check (zero serious or critical violations), nothing
overflows sideways, every citation chip is a 24 x 24 px target, the citation popover opens
above its chip without covering the lines below and closes with Esc or a click elsewhere,
and a touch works the same. The theme chosen with the theme menu holds across pages, tabs
and /docs and is set before the page is drawn; without JavaScript the system's holds. j / k
(over stories and articles, and from a story's page to its neighbours), Enter, / and ? work
as the shortcut list says, never with a modifier held, and can be turned off; search marks
the matched words and filters by topic, outlet and days; the coverage marks say how many
outlets stand behind each story, and serve.min_outlets lists the fewer-sourced ones as
waiting; a story that grew says an update is coming.

Set STORYBRIEF_SCREENSHOTS=1 to refresh docs/screenshots/*.png (the README shows them)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.appserver import DATA, EXAMPLE, AppServer, make_settings
from tests.browser import CHROMIUM, ROOT, assert_accessible, chromium, needs_axe
from tests.test_coherence import COURIER, GAZETTE, WIRE

from storybrief import Library
from storybrief.records import Article
from storybrief.serve import create_app
from storybrief.store import Store

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright: pip install playwright"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium"
)

SHOTS = ROOT / "docs" / "screenshots"
# read now: the fixtures keep STORYBRIEF_* variables away from the app
SAVE_SHOTS = bool(os.environ.get("STORYBRIEF_SCREENSHOTS"))
WIDTHS = {"desktop": 1280, "phone": 390}
T0 = datetime(2026, 4, 9, 13, 30, tzinfo=UTC)
BRIDGE = [
    (
        "Harbour Post",
        "harbour",
        "The city council approved the new river bridge on Monday by nine votes to four. "
        "Building work is to start in the autumn and take three years. "
        "The bridge will carry buses, bicycles and people on foot, but no cars.",
    ),
    (
        "River Times",
        "rivertimes",
        "Councillors voted nine to four for the river bridge after a four-hour debate. "
        "Opponents said the cost, put at 48 million euros, had doubled since 2024. "
        "A public inquiry into the plan ends in June, the council said.",
    ),
]


@dataclass
class Site:
    library: Library
    claims: int  # three outlets, with a "sources differ" sentence
    example: int
    waiting: int
    article: int
    updating: int  # explained from one report, a second one in since: an update is coming
    url: str = ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web")
    with pytest.MonkeyPatch.context() as mp:
        settings = make_settings(tmp, mp)
        with Store.open(settings) as store, Library(settings, store) as library:
            example = library.explain(EXAMPLE)
            library.explain([DATA / "article-1.html", DATA / "article-2.html"])
            claims = 0
            for i, (outlet, host, text) in enumerate(
                [
                    ("Capital Wire", "capitalwire", WIRE),
                    ("Morning Courier", "courier", COURIER),
                    ("Daily Gazette", "gazette", GAZETTE),
                ]
            ):
                article = Article(
                    text=text,
                    title=f"Jobless claims climb by 6.6 million ({outlet})",
                    site_name=outlet,
                    url=f"https://{host}.example/business/economy/jobless-claims-{i}",
                    published_at=T0 + timedelta(hours=2 * i),
                )
                stored = store.articles.upsert(article).article.id or 0
                if i == 0:
                    first = stored
                    claims = store.stories.create("Jobless claims climb by 6.6 million", [stored])
                    library.explain(story_id=claims)  # version 1 from the first report
                else:
                    store.stories.add_articles(claims, [stored])
            library.explain(story_id=claims)  # version 2 from all three
            waiting_article = Article(
                text="The city ferry will run an extra evening boat from May, the port said. "
                "Tickets go on sale next week at the harbour office and online.",
                title="Extra evening ferry from May",
                site_name="Harbour Post",
                url="https://harbour.example/local/extra-evening-ferry",
                published_at=T0 + timedelta(days=1),
            )
            wid = store.articles.upsert(waiting_article).article.id or 0
            waiting = store.stories.create(waiting_article.title, [wid])
            bridge = [
                Article(
                    text=text,
                    title="Council approves the new river bridge",
                    site_name=outlet,
                    url=f"https://{host}.example/local/river-bridge-approved-{i}",
                    published_at=T0 + timedelta(days=2, hours=i),
                )
                for i, (outlet, host, text) in enumerate(BRIDGE)
            ]
            stored = store.articles.upsert(bridge[0]).article.id or 0
            updating = store.stories.create(bridge[0].title, [stored])
            library.explain(story_id=updating)  # version 1; then a second report joins
            store.stories.add_articles(updating, [store.articles.upsert(bridge[1]).article.id or 0])
            assert library.pending_update(updating) is not None
            yield Site(library, claims, example.story_id, waiting, first, updating)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[AppServer]:
    with AppServer(create_app(site.library.settings, site.library.store)) as running:
        site.url = running.url
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a story that split in two (a site of its own: its parts are not
    explained), answered with the 300 page listing the parts."""
    tmp = tmp_path_factory.mktemp("moved")
    with pytest.MonkeyPatch.context() as mp:
        settings = make_settings(tmp, mp)
        with Store.open(settings) as store:
            ids = [
                store.articles.upsert(
                    Article(
                        text=f"{text} The council said so on Tuesday.",
                        title=title,
                        site_name="Harbour Post",
                        url=f"https://harbour.example/local/{slug}",
                        published_at=T0,
                    )
                ).article.id
                or 0
                for title, slug, text in [
                    ("Library opens late", "library-late", "The library opens until ten."),
                    ("Pool closes for repairs", "pool-repairs", "The pool closes in May."),
                ]
            ]
            story = store.stories.create("Library and pool", ids)
            store.stories.split(story, [(None, ids[:1]), (None, ids[1:])])
            with AppServer(create_app(settings, store)) as running:
                yield f"{running.url}/stories/{story}"


def listed(page: Any, story_id: int, within: Any = None) -> Any:
    """The story's item in the lists of stories of the page's main part (or of ``within``)."""
    where = within if within is not None else page.locator("main")
    return where.locator("li.story-item", has=page.locator(f"a[href='/stories/{story_id}']"))


def pages_of(site: Site) -> dict[str, tuple[str, int]]:
    """Every kind of reader page: its path and the status it answers with."""
    return {
        "front": ("/", 200),
        "story": (f"/stories/{site.claims}", 200),
        "story, an earlier version": (f"/stories/{site.claims}?version=1", 200),
        "story with an update coming": (f"/stories/{site.updating}", 200),
        "story without explainer": (f"/stories/{site.waiting}", 200),
        "search form": ("/search", 200),
        "search": ("/search?q=jobless+claims", 200),
        "search with filters": ("/search?q=claims&outlet=Capital+Wire&since=2026-04-01", 200),
        "search by topic and days": (
            "/search?topic=business&since=2026-04-09&until=2026-04-10",
            200,
        ),
        "search with a day misspelt": ("/search?q=claims&until=April+9", 200),
        "article": (f"/articles/{site.article}", 200),
        "topic": ("/topics/business", 200),
        "waiting": ("/waiting", 200),
        "not found": ("/stories/999999", 404),
    }


@needs_axe
@pytest.mark.parametrize(
    ("width", "scheme", "chosen"),
    [
        ("desktop", "light", None),
        ("desktop", "dark", None),
        ("phone", "light", None),
        ("phone", "dark", None),
        # the theme menu's choice, against the system's
        ("desktop", "light", "dark"),
        ("phone", "dark", "light"),
    ],
)
def test_every_reader_page_passes_axe(site, server, moved, browser, width, scheme, chosen):
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 900}, color_scheme=scheme
    )
    if chosen:  # as the menu keeps it
        context.add_init_script(f"localStorage.setItem('sb-theme', '{chosen}')")
        scheme = f"{chosen} chosen on a {scheme} system"
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    report = {}
    pages = {
        f"{name} page": (server.url + path, status)
        for name, (path, status) in pages_of(site).items()
    }
    pages["split story's page (300)"] = (moved, 300)
    for name, (url, status) in pages.items():
        response = page.goto(url)
        assert response is not None and response.status == status, (name, url)
        page.wait_for_load_state("load")
        # nothing wider than the screen: no sideways scrolling
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the {name} is {overflow}px wider than a {width} screen"
        if chosen:
            assert background(page) == (DARK if chosen == "dark" else WHITE), name
        report[name] = assert_accessible(page, f"{name} ({width}, {scheme})")
        if name == "story page":  # and with a citation popover open
            page.locator("a.cite").first.focus()
            report["story, popover open"] = assert_accessible(page, "story page with popover")
        if name == "front page":  # and with the shortcut list open
            page.keyboard.press("?")
            sync_api.expect(page.get_by_role("dialog")).to_be_visible()
            report["shortcut list"] = assert_accessible(page, "the list of shortcuts")
    # no script errors, no CSP violations (the 404 and 300 answers are logged as errors)
    assert [e for e in errors if "status of 404" not in e and "status of 300" not in e] == []
    print(
        f"\naxe-core {width} {scheme}: "
        + ", ".join(f"{k}: {len(v)} minor/moderate" for k, v in report.items())
    )
    context.close()


@needs_axe
def test_the_accessibility_check_can_fail(browser):
    """The check is real: a page with an unlabelled field and an image without text fails."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="data:,"><input></main>')
    with pytest.raises(AssertionError, match="image-alt.*critical"):
        assert_accessible(page, "broken page")
    context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_search_box_shows_its_whole_placeholder(site, server, browser, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 800})
    page = context.new_page()
    page.goto(server.url + "/")
    box = page.get_by_role("searchbox", name="Search stories and articles")
    placeholder = box.get_attribute("placeholder")
    fits = page.evaluate(
        """el => {
            const style = getComputedStyle(el);
            const canvas = document.createElement('canvas').getContext('2d');
            canvas.font = style.font;
            const text = canvas.measureText(el.placeholder).width;
            const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            const room = el.clientWidth - pad;
            return [text, room];
        }""",
        box.element_handle(),
    )
    assert placeholder and fits[0] <= fits[1], f"placeholder needs {fits[0]}px, has {fits[1]}px"
    context.close()


def test_story_page_headings_coverage_and_targets(site, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{server.url}/stories/{site.claims}")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.get_by_role("heading", level=2, name="What is the story about?")).to_be_visible()
    for name in ("What's Happening?", "Why It's Important?", "What's Next?"):
        expect(page.get_by_role("heading", level=3, name=name)).to_be_visible()
    expect(page.locator(".coverage-line .coverage-mark")).to_have_text("3 outlets")
    expect(page.locator(".coverage-line")).to_contain_text("3 articles")
    expect(page.get_by_role("heading", level=2, name="How the story grew")).to_be_visible()
    # every citation chip, and every other link or button outside running text, is 24 x 24
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('a.cite, button, .topic, .topics a, .pager a')]
              .filter(el => el.getClientRects().length)  // shown ones
              .map(el => { const r = el.getBoundingClientRect();
                           return [el.textContent.trim(), r.width, r.height]; })"""
    )
    small = [(text, w, h) for text, w, h in sizes if w < 24 or h < 24]
    assert sizes and not small, small
    # input borders have 3:1 contrast against the page (WCAG 1.4.11)
    ratio = page.evaluate(
        """() => {
        const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const input = document.querySelector('#q');
        const a = lum(getComputedStyle(input).borderTopColor);
        const b = lum(getComputedStyle(document.body).backgroundColor === 'rgba(0, 0, 0, 0)'
                      ? getComputedStyle(document.documentElement).backgroundColor
                      : getComputedStyle(document.body).backgroundColor);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }"""
    )
    assert ratio >= 3, ratio
    context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_citation_popover_sits_above_and_closes(site, server, browser, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{server.url}/stories/{site.claims}")
    # a chip in the middle of a paragraph, with lines below it
    chip = page.locator("#whats-happening a.cite").first
    chip.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -300)")
    tip = page.locator("#" + chip.get_attribute("aria-describedby"))
    expect(tip).to_be_hidden()
    chip.hover()
    expect(tip).to_be_visible()
    c, t = chip.bounding_box(), tip.bounding_box()
    assert t["y"] + t["height"] <= c["y"], "the popover covers the line below its chip"
    assert t["x"] >= 0 and t["x"] + t["width"] <= WIDTHS[width]
    # the pointer can move onto it without it closing (WCAG 1.4.13)
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=4)
    expect(tip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    chip.focus()
    expect(tip).to_be_visible()
    page.mouse.click(2, 450)  # a click elsewhere closes it
    expect(tip).to_be_hidden()
    context.close()


def test_citation_popover_by_touch(site, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{server.url}/stories/{site.claims}")
    chip = page.locator("#whats-happening a.cite").first
    chip.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -300)")
    tip = page.locator("#" + chip.get_attribute("aria-describedby"))
    chip.tap()  # the first tap shows the sentence, and stays on the page
    expect(tip).to_be_visible()
    expect(page).to_have_url(f"{server.url}/stories/{site.claims}")
    assert tip.bounding_box()["y"] + tip.bounding_box()["height"] <= chip.bounding_box()["y"]
    page.tap("h1")  # a tap elsewhere closes it
    expect(tip).to_be_hidden()
    chip.tap()
    expect(tip).to_be_visible()
    href = chip.get_attribute("href")
    chip.tap()  # the second tap follows the link to the source sentence
    expect(page).to_have_url(f"{server.url}{href}")
    context.close()


def test_screenshots(site, server, browser, tmp_path):
    """The front page, a multi-source story page, the top of a story with an update coming
    and a search (dark theme chosen) at both widths: into docs/screenshots with
    STORYBRIEF_SCREENSHOTS=1, else into a scratch folder (still taken, so they work)."""
    out = SHOTS if SAVE_SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for width, px in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": px, "height": 900}, device_scale_factor=1 if px > 600 else 2
        )
        page = context.new_page()
        page.goto(server.url + "/")
        page.screenshot(path=str(out / f"front-{width}.png"), full_page=True)
        page.goto(f"{server.url}/stories/{site.claims}")
        chip = page.locator("#whats-happening a.cite").nth(1)
        chip.hover()
        page.screenshot(path=str(out / f"story-{width}.png"), full_page=True)
        page.goto(f"{server.url}/stories/{site.updating}")  # its top: the marks
        page.screenshot(path=str(out / f"update-{width}.png"))
        page.get_by_label("Theme").select_option("dark")
        page.goto(f"{server.url}/search?q=jobless+claims&outlet=Morning+Courier")
        page.screenshot(path=str(out / f"search-{width}.png"), full_page=True)
        context.close()
    for name in ("front", "story", "update", "search"):
        for width in WIDTHS:
            assert Path(out / f"{name}-{width}.png").stat().st_size > 10_000


def background(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "getComputedStyle(document.body).backgroundColor === 'rgba(0, 0, 0, 0)'"
        " ? getComputedStyle(document.documentElement).backgroundColor"
        " : getComputedStyle(document.body).backgroundColor"
    )


DARK, WHITE = "rgb(23, 23, 27)", "rgb(255, 255, 255)"


@needs_axe
def test_the_theme_menu_chooses_light_or_dark_and_is_remembered(site, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/")
    menu = page.get_by_label("Theme")
    expect(menu).to_be_visible()
    expect(menu).to_have_value("system")
    assert background(page) == WHITE
    menu.select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK
    assert_accessible(page, "front page, dark chosen on a light system")
    page.goto(f"{server.url}/stories/{site.claims}")  # remembered, from the first paint
    expect(page.get_by_label("Theme")).to_have_value("dark")
    assert background(page) == DARK
    assert_accessible(page, "story page, dark chosen on a light system")
    page.goto(server.url + "/docs")  # the API docs follow it
    sync_api.expect(page.locator(".opblock-summary").first).to_be_visible()
    assert background(page) == DARK
    assert page.evaluate("getComputedStyle(document.getElementById('swagger-ui')).filter") != "none"
    page.goto(server.url + "/")
    page.get_by_label("Theme").select_option("system")
    expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
    assert background(page) == WHITE
    context.close()
    # on a dark system, light can be chosen
    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme="dark")
    page = context.new_page()
    page.goto(server.url + "/")
    assert background(page) == DARK
    page.get_by_label("Theme").select_option("light")
    assert background(page) == WHITE
    assert_accessible(page, "front page, light chosen on a dark system (phone)")
    page.reload()
    assert background(page) == WHITE
    context.close()


@needs_axe
def test_keyboard_shortcuts_move_between_stories_search_and_can_be_turned_off(
    site, server, browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/")
    stories = page.locator("main .stories > li")
    links = [stories.nth(i).locator("h3 a").first for i in range(stories.count())]
    assert len(links) >= 2
    page.keyboard.press("j")
    expect(links[0]).to_be_focused()
    expect(stories.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("j")
    expect(links[1]).to_be_focused()
    page.keyboard.press("k")
    expect(links[0]).to_be_focused()
    second = links[1].get_attribute("href")
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search stories and articles")
    expect(search).to_be_focused()
    page.keyboard.type("jk")  # typing in a field is typing, not a shortcut
    expect(search).to_have_value("jk")
    search.press("Escape")
    page.locator("h1").click()
    # ? lists the shortcuts in a dialog, which passes the accessibility check
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next story")
    assert_accessible(page, "front page with the shortcut list open")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # a story's page: j goes on to the next story of the list the reader came from
    links[0].click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    page.wait_for_load_state("load")  # its script listening
    page.keyboard.press("j")
    expect(page).to_have_url(server.url + second)
    # turned off (WCAG 2.1.4), the keys do nothing, and the choice is kept
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog.get_by_label("Use these one-key shortcuts").uncheck()
    dialog.get_by_role("button", name="Close").click()
    page.goto(server.url + "/")
    page.keyboard.press("j")
    expect(links[0]).not_to_be_focused()
    assert page.locator("main .stories > li.current").count() == 0
    context.close()


def test_a_split_storys_page_lists_its_parts_as_stories(moved, browser):
    """The 300 page of a story that split lists its parts as the front page lists stories:
    styled, each with its coverage mark, and j/k walk them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(moved)
    parts = page.locator("main .stories > li")
    expect(parts).to_have_count(2)
    expect(parts.locator(".coverage-mark")).to_have_text(["Single source", "Single source"])
    assert parts.nth(0).evaluate("e => getComputedStyle(e.parentElement).listStyleType") == "none"
    page.wait_for_load_state("load")  # its script listening
    for i in (0, 1):
        page.keyboard.press("j")
        expect(parts.nth(i)).to_have_class(re.compile(r"\bcurrent\b"))
        expect(parts.nth(i).locator("a").first).to_be_focused()
    page.keyboard.press("k")
    expect(parts.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    context.close()


def test_search_marks_matches_and_filters_by_outlet(site, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/search?q=jobless+claims")
    marks = page.locator("main mark")
    expect(marks.first).to_be_visible()
    assert {t.lower() for t in marks.all_inner_texts()} == {"jobless", "claims"}
    colour = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    articles = page.locator("section[aria-labelledby='articles-h'] li")
    before = articles.count()
    page.get_by_label("Outlet").select_option("Morning Courier")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"outlet=Morning\+Courier"))
    expect(page.get_by_label("Outlet")).to_have_value("Morning Courier")
    assert 0 < articles.count() < before
    for line in articles.all_inner_texts():
        assert "Morning Courier" in line
    expect(page.locator("section[aria-labelledby='stories-h'] li")).to_have_count(1)
    page.get_by_role("link", name="Clear filters").click()
    expect(articles).to_have_count(before)
    context.close()


def test_coverage_marks_on_the_front_and_story_pages(site, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/")
    claims = listed(page, site.claims)
    expect(claims.locator(".coverage-mark")).to_have_text("3 outlets")
    example = listed(page, site.example)
    expect(example.locator(".coverage-mark")).to_have_text("Single source")
    expect(example.locator(".coverage-mark")).to_be_visible()
    # a story waiting for its explainer is listed apart, under its own heading, marked too
    waiting = page.get_by_role("region", name="Waiting for an explainer")
    pending = listed(page, site.waiting, within=waiting)
    expect(pending.locator(".coverage-mark")).to_have_text("Single source")
    page.goto(f"{server.url}/stories/{site.waiting}")
    expect(page.locator(".coverage-line .coverage-mark")).to_have_text("Single source")
    expect(page.locator(".single-note")).to_contain_text("Only Harbour Post has reported")
    context.close()


def test_coverage_marks_on_topic_and_search_pages(site, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/topics/local")
    bridge = listed(page, site.updating)
    expect(bridge.locator(".coverage-mark")).to_have_text("2 outlets")
    expect(bridge.locator(".outlets")).to_have_text("Harbour Post, River Times")
    ferry = listed(page, site.waiting)
    expect(ferry.locator(".coverage-mark")).to_have_text("Single source")
    page.goto(server.url + "/search?q=bridge")
    found = page.locator("section[aria-labelledby='stories-h'] li.story-item")
    expect(found).to_have_count(2)
    expect(found.locator(".coverage-mark")).to_have_text(["2 outlets", "Single source"])
    # the single-source mark stands apart from the plain count: its own colours
    single = page.locator(".coverage-mark.single").first
    plain = found.first.locator(".coverage-mark")
    assert single.evaluate("m => getComputedStyle(m).backgroundColor") != plain.evaluate(
        "m => getComputedStyle(m).backgroundColor"
    )
    context.close()


@needs_axe
def test_operators_minimum_of_outlets_lists_the_rest_as_waiting(site, server, browser):
    """serve.min_outlets 2: the front and topic pages list a story among the explained ones
    only once two outlets report it; the single-source ones (explained or not) wait apart,
    saying why. With the default (1) the same single-source explainer is listed."""
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    example = f"a[href='/stories/{site.example}']"
    page.goto(server.url + "/")
    expect(page.get_by_role("region", name="Explained stories").locator(example)).to_have_count(1)
    settings = site.library.settings.changed(**{"serve.min_outlets": 2})
    with AppServer(create_app(settings, site.library.store)) as strict:
        page.goto(strict.url + "/")
        explained = page.get_by_role("region", name="Explained stories")
        marks = explained.locator(".coverage-mark")
        expect(marks).to_have_text(["2 outlets", "3 outlets"])
        expect(explained.locator(example)).to_have_count(0)
        waiting = page.get_by_role("region", name="Waiting for an explainer")
        expect(waiting).to_contain_text("Stories reported by fewer than 2 outlets so far")
        expect(waiting.locator(example)).to_have_count(1)
        assert set(waiting.locator(".coverage-mark").all_inner_texts()) == {"Single source"}
        assert_accessible(page, "front page with min_outlets 2")
        page.goto(strict.url + "/waiting")
        expect(page.locator("main")).to_contain_text("reported by fewer than 2 outlets so far")
        expect(page.locator(f"main {example}")).to_have_count(1)
        page.goto(strict.url + "/topics/local")
        expect(
            page.get_by_role("region", name="Explained stories").locator(".coverage-mark")
        ).to_have_text(["2 outlets"])
        page.goto(strict.url + f"/stories/{site.example}")  # its page is unchanged
        expect(
            page.get_by_role("heading", level=2, name="What is the story about?")
        ).to_be_visible()
        expect(page.locator(".coverage-line .coverage-mark")).to_have_text("Single source")
    context.close()


def test_a_story_page_says_when_an_update_is_coming(site, server, browser):
    """Issue 28's mark: a story that grew since its latest version says, under its
    headline, how many new reports wait and by when the next version is due; a story whose
    latest version is current says nothing of it."""
    update = site.library.pending_update(site.updating)
    assert update is not None and update.new_reports == 1
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{server.url}/stories/{site.updating}")
    note = page.get_by_role("status").filter(has_text="Update coming")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        re.compile(
            r"^Update coming: 1 new report since this version; "
            r"the next version is due by \d\d \w{3} \d{4}, \d\d:\d\d UTC\.$"
        )
    )
    expect(note.locator("time")).to_have_attribute("datetime", update.due_at.isoformat())
    # under the headline, above the explainer
    headline = page.get_by_role("heading", level=1).bounding_box()
    about = page.get_by_role("heading", level=2, name="What is the story about?").bounding_box()
    box = note.bounding_box()
    assert headline and about and box
    assert headline["y"] < box["y"] < about["y"]
    expect(page.locator(".coverage-line .coverage-mark")).to_have_text("2 outlets")
    page.goto(f"{server.url}/stories/{site.claims}")
    expect(page.locator("main")).not_to_contain_text("Update coming")
    assert site.library.pending_update(site.claims) is None
    context.close()


def test_search_filters_by_topic_and_days(site, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/search")
    stories = page.locator("section[aria-labelledby='stories-h'] li")
    articles = page.locator("section[aria-labelledby='articles-h'] li")
    expect(stories).to_have_count(0)  # nothing asked yet
    page.get_by_label("Topic").select_option("business")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"topic=business"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stories and articles")
    expect(page.get_by_label("Topic")).to_have_value("business")
    expect(stories).to_have_count(1)
    expect(stories.locator(f"a[href='/stories/{site.claims}']")).to_have_count(1)
    expect(articles).to_have_count(3)
    for line in articles.all_inner_texts():
        assert "Jobless claims" in line
    # days: from and to, both included
    page.get_by_label("Topic").select_option("")
    page.get_by_label("From", exact=True).fill("2026-04-10")
    page.get_by_label("To", exact=True).fill("2026-04-11")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"since=2026-04-10&until=2026-04-11"))
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-04-10")
    expect(articles).to_have_count(3)  # the ferry, and the bridge's two reports
    days = articles.locator("time").evaluate_all("ts => ts.map(t => t.dateTime.slice(0, 10))")
    assert sorted(days) == ["2026-04-10", "2026-04-11", "2026-04-11"]
    expect(stories).to_have_count(2)
    page.get_by_label("To", exact=True).fill("2026-04-10")  # one day
    page.get_by_role("button", name="Apply filters").click()
    expect(articles).to_have_count(1)
    expect(articles.first).to_contain_text("Extra evening ferry from May")
    # with words: the filters narrow the search, the words stay marked
    page.get_by_role("searchbox", name="Search stories and articles").fill("bridge")
    page.get_by_role("searchbox", name="Search stories and articles").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “bridge”")
    expect(articles).to_have_count(3)  # the header's search starts afresh
    page.get_by_label("From", exact=True).fill("2026-04-11")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"q=bridge.*since=2026-04-11"))
    expect(articles).to_have_count(2)
    assert {m.lower() for m in page.locator("main mark").all_inner_texts()} == {"bridge"}
    # a day that is no day is named, and the rest of the search still runs
    page.goto(server.url + "/search?q=claims&until=April+9")
    expect(page.get_by_role("alert")).to_have_text(
        "To: 'April 9' is not a day (write it as YYYY-MM-DD); left out."
    )
    expect(articles).to_have_count(3)
    context.close()


def test_shortcuts_open_with_enter_step_back_with_k_and_leave_modified_keys_alone(
    site, server, browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/search?q=bridge")  # two stories, then three articles
    entries = page.locator("main .stories > li, main .articles > li")
    expect(entries).to_have_count(5)
    current = page.locator("main li.current")
    for key in ("Control+j", "Alt+j", "Meta+j", "Control+k"):  # the browser's, not ours
        page.keyboard.press(key)
        expect(current).to_have_count(0)
    for i in range(5):  # j walks the stories, then the articles
        page.keyboard.press("j")
        expect(entries.nth(i)).to_have_class(re.compile(r"\bcurrent\b"))
        expect(entries.nth(i).locator("a").first).to_be_focused()
    page.keyboard.press("j")  # and stops at the last
    expect(entries.nth(4)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(current).to_have_count(1)
    for _ in range(4):
        page.keyboard.press("k")
    expect(entries.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    first = entries.nth(0).locator("a").first.get_attribute("href")
    second = entries.nth(1).locator("a").first.get_attribute("href")
    page.keyboard.press("Enter")  # opens the story chosen
    expect(page).to_have_url(server.url + first)
    page.wait_for_load_state("load")
    page.keyboard.press("j")  # the next story of the search
    expect(page).to_have_url(server.url + second)
    page.wait_for_load_state("load")
    page.keyboard.press("j")  # the last one: nowhere further
    page.wait_for_timeout(300)
    expect(page).to_have_url(server.url + second)
    page.keyboard.press("k")  # back to the one before
    expect(page).to_have_url(server.url + first)
    context.close()


def test_the_theme_is_set_before_the_page_is_drawn(site, server, browser):
    """theme.js, a blocking script in <head>, sets the chosen theme before the body is
    parsed (a theme set later shows the other one first); app.js is not needed for it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/")
    page.get_by_label("Theme").select_option("dark")
    page.add_init_script(
        """new MutationObserver((records, observer) => {
            if (!document.body) return;
            window.themeAtBody = document.documentElement.getAttribute('data-theme');
            observer.disconnect();
        }).observe(document, {childList: true, subtree: true});"""
    )
    page.route("**/static/app.js", lambda route: route.abort())
    for path in (f"/stories/{site.claims}", "/docs"):
        page.goto(server.url + path)
        assert page.evaluate("window.themeAtBody") == "dark", path
        assert background(page) == DARK, path
    page.goto(server.url + "/")
    expect(page.get_by_label("Theme")).to_be_hidden()  # app.js offers the choice
    context.close()


def test_the_theme_follows_a_choice_made_in_another_tab(site, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    one, two = context.new_page(), context.new_page()
    expect = sync_api.expect
    one.goto(server.url + "/")
    two.goto(f"{server.url}/stories/{site.claims}")
    one.get_by_label("Theme").select_option("dark")
    expect(two.locator("html")).to_have_attribute("data-theme", "dark")
    expect(two.get_by_label("Theme")).to_have_value("dark")
    assert background(two) == DARK
    one.get_by_label("Theme").select_option("system")
    expect(two.locator("html")).not_to_have_attribute("data-theme", re.compile("."))
    expect(two.get_by_label("Theme")).to_have_value("system")
    assert background(two) == WHITE
    context.close()


def test_without_javascript_the_system_theme_holds_and_search_still_works(site, server, browser):
    """No script: the theme menu and the shortcuts link (which need it) are not shown, the
    system's dark theme applies, and search with its filters and marks is plain HTML."""
    context = browser.new_context(
        viewport={"width": 390, "height": 900}, color_scheme="dark", java_script_enabled=False
    )
    page = context.new_page()
    expect = sync_api.expect
    page.goto(server.url + "/")
    expect(page.get_by_label("Theme")).to_be_hidden()
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_hidden()
    assert background(page) == DARK
    page.get_by_role("searchbox", name="Search stories and articles").fill("claims")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Outlet").select_option("Daily Gazette")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"q=claims&.*outlet=Daily\+Gazette"))
    articles = page.locator("section[aria-labelledby='articles-h'] li")
    expect(articles).to_have_count(1)
    expect(articles.locator("mark").first).to_have_text(re.compile("claims", re.I))
    context.close()
