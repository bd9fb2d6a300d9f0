"""The reader's pages (issue 17) and coverage at a glance (issue 15): topics derived from what
publishers say, a front page that leads with explained stories and keeps waiting ones apart,
topic pages and feeds, a story page with its coverage and its articles even before it has an
explainer, per-story Atom feeds, and the same coverage record from the library and the JSON
API. Served by a real uvicorn server on 127.0.0.1 over a real SQLite store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import lxml.html
import pytest
from sqlalchemy import inspect, text
from tests.appserver import AppServer, make_settings
from tests.dbs import database_url
from tests.test_store import alembic_config

from storybrief import Library
from storybrief.ingest.feed_parser import parse_feed
from storybrief.records import Article
from storybrief.serve import create_app
from storybrief.store import Store
from storybrief.topics import dominant, from_categories, from_url, section, slug, topic_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def body(topic: str, n: int, outlet: str) -> str:
    return (
        f"The {topic} council of Rivertown approved plan number {n} on Monday after a long "
        f"debate, {outlet} reported.\n"
        f"The plan {n} sets aside 4.{n} million dollars for new {topic} projects over two years.\n"
        f"Critics of plan {n} said the council had moved too fast and ignored local residents.\n"
        f"A final vote on plan {n} is expected next month, officials of the {topic} office said.\n"
    )


# -- topics --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.bbc.co.uk/news/world-europe-68123456", "World"),
        ("https://paper.example/world/europe/2024/05/talks-resume", "World"),
        ("https://paper.example/us-news/2024/may/01/budget-vote", "US News"),
        ("https://paper.example/en/politics/vote.html", "Politics"),
        ("https://paper.example/2024/05/01/budget-vote", None),
        ("https://paper.example/budget-vote", None),
        ("https://paper.example/news/story/123456", None),
        ("https://paper.example/this-is-a-very-long-headline-slug/x", None),
        (None, None),
    ],
)
def test_a_topic_comes_from_the_url_section(url, label):
    assert from_url(url) == label


def test_a_topic_comes_from_feed_categories_first():
    assert from_categories(["News", "Science & Environment"]) == "Science"
    assert from_categories(["News/World/Europe"]) == "World"
    assert from_categories(["Harbour news"]) == "Harbour news"
    assert from_categories(["123456", "2024-05-01", "uncategorized"]) is None
    assert from_categories(["POLITICS"]) == "Politics"
    assert topic_of(["Health"], "https://paper.example/world/x/y") == "Health"
    assert topic_of([], "https://paper.example/world/x/y") == "World"
    assert slug("Science & Environment") == "science-environment"
    assert slug("Économie") == "economie"
    # the label most articles carry; case and punctuation do not split a topic
    assert dominant(["World", "world", None, "Politics"]) == "World"
    assert dominant([None, None]) is None


@pytest.mark.parametrize(
    ("published", "reader"),
    [
        ("Nation", "National"),
        ("Globe", "World"),
        ("Money", "Business"),
        ("Economy", "Business"),
        ("World News", "World"),
        ("International", "World"),
        ("US Politics", "Politics"),
        ("Science & Environment", "Science"),
        ("Arts and Culture", "Entertainment"),
        ("Op-Ed", "Opinion"),
        ("Formula 1", "Sports"),
        ("Tech", "Technology"),
        ("Business Live", "Business"),
        # names that are no reader section's stay as written
        ("Harbour news", "Harbour news"),
        ("US News", "US News"),
        ("Weather", "Weather"),
        ("World Cup", "World Cup"),
    ],
)
def test_publisher_sections_are_filed_under_reader_sections(published, reader):
    assert section(published) == reader


def test_seven_publisher_sections_make_five_topics():
    """Issue 30: three outlets' "Nation", "Globe", "Money" beside "Politics", "World",
    "Economy" and "Science" gave 7 topic pills for 5 real sections."""
    published = ["Nation", "Globe", "Money", "Politics", "World", "Economy", "Science"]
    filed = {dominant([label]) for label in published}
    assert filed == {"National", "World", "Business", "Politics", "Science"}
    # a story whose outlets call it "Globe", "World" and "International" is one topic
    assert dominant(["Globe", "International", "Politics"]) == "World"


def test_feed_categories_reach_the_stored_article(tmp_path, test_settings):
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>
    <item><title>Budget passes</title><link>https://ledger.example/2026/budget</link>
    <category>Local Politics</category><description>x</description></item>
    </channel></rss>"""
    feed = parse_feed(rss, location="https://ledger.example/rss")
    (item,) = feed.items
    assert item.categories == ["Local Politics"]
    assert item.metadata("Ledger", None)["topic"] == "Politics"
    with Store.open(test_settings) as store:
        stored = store.articles.upsert(
            Article(text=body("budget", 1, "Ledger"), topic="Local Politics")
        ).article
        assert stored.topic == "Local Politics"  # stored as given; stories file it (dominant)
        by_url = store.articles.upsert(
            Article(text=body("sport", 2, "Ledger"), url="https://l.example/sport/2026/x")
        ).article
        assert by_url.topic == "Sports"


def test_ingested_pages_and_feed_items_carry_their_topic(tmp_path, test_settings):
    """End to end: a page's article:section meta, a feed item's category, else the URL."""
    paragraph = " ".join(body("harbor", 5, "Ledger").split("\n"))
    page_file = tmp_path / "page.html"
    page_file.write_text(
        '<html><head><meta property="article:section" content="Harbour news">'
        f"<title>Ferry</title></head><body><article><p>{paragraph}</p></article></body></html>",
        encoding="utf-8",
    )
    feed_file = tmp_path / "feed.xml"
    feed_file.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>'
        "<item><title>Parks</title><link>https://ledger.example/2026/parks</link>"
        f"<category>Environment</category><description>{body('parks', 6, 'Ledger')}"
        "</description></item></channel></rss>",
        encoding="utf-8",
    )
    with Library(test_settings) as library:
        report = library.ingest([page_file, feed_file])
        topics = {library.article(i).topic for i in report.article_ids}
    assert topics == {"Harbour news", "Science"}


# -- a site to read ------------------------------------------------------------------------------


@dataclass
class Site:
    library: Library
    big: int  # 3 outlets, 2 explainer versions, topic Politics
    small: int  # 1 outlet, explained, topic Politics
    other: int  # explained, topic Science
    waiting: int  # no explainer yet, 1 article
    server: AppServer


def add(
    store: Store, topic: str, n: int, outlet: str, *, day: int, section: str, later: int = 0
) -> int:
    article = Article(
        text=body(topic, n, outlet),
        title=f"{topic.title()} plan {n} approved",
        site_name=outlet,
        url=f"https://{outlet.lower().replace(' ', '')}.example/{section}/plan-{n}-approved",
        published_at=T0 + timedelta(days=day, hours=n, minutes=later),
    )
    return store.articles.upsert(article).article.id or 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("reader")
    with pytest.MonkeyPatch.context() as mp:
        settings = make_settings(tmp, mp)
        with Store.open(settings) as store, Library(settings, store) as library:
            a = add(store, "transport", 1, "Capital Wire", day=1, section="politics")
            big = store.stories.create("Transport plan approved", [a])
            library.explain(story_id=big)
            b = add(store, "transport", 1, "Morning Courier", day=1, section="politics", later=20)
            c = add(store, "transport", 1, "Daily Gazette", day=1, section="world", later=40)
            store.stories.add_articles(big, [b, c])
            library.explain(story_id=big)
            small = store.stories.create(
                "Parks plan", [add(store, "parks", 2, "Capital Wire", day=1, section="politics")]
            )
            library.explain(story_id=small)
            other = store.stories.create(
                "Science plan",
                [add(store, "science", 3, "Daily Gazette", day=0, section="science")],
            )
            library.explain(story_id=other)
            waiting = store.stories.create(
                "Harbor plan", [add(store, "harbor", 4, "Morning Courier", day=2, section="local")]
            )
            with AppServer(create_app(settings, store)) as server:
                yield Site(library, big, small, other, waiting, server)


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.server.url, timeout=10) as c:
        yield c


def page(response: httpx.Response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    return lxml.html.fromstring(response.text)


def words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def story_links(element: lxml.html.HtmlElement) -> list[str]:
    return [a.get("href") for a in element.xpath('.//li[contains(@class, "story-item")]//h3/a')]


# -- the front page ------------------------------------------------------------------------------


def test_stories_keep_their_topic_and_counts(site):
    store = site.library.store
    big = store.stories.get(site.big)
    assert (big.topic, big.topic_slug, big.size, len(big.outlets)) == (
        "Politics",
        "politics",
        3,
        3,
    )
    assert store.stories.get(site.other).topic == "Science"
    topics = store.stories.topics()
    assert topics[0] == ("Politics", "politics", 2)
    assert {t[1] for t in topics} == {"politics", "science", "local"}


def test_front_page_leads_with_explained_stories_by_day_then_coverage(site, client):
    doc = page(client.get("/"))
    (explained,) = doc.xpath('//section[@aria-labelledby="explained-h"]')
    # day 1 first (the 3-outlet story before the 1-outlet one), then day 0
    assert story_links(explained) == [
        f"/stories/{site.big}",
        f"/stories/{site.small}",
        f"/stories/{site.other}",
    ]
    first = explained.xpath('.//li[contains(@class, "story-item")]')[0]
    assert "Capital Wire, Daily Gazette, Morning Courier" in words(first)
    assert "3 outlets Capital Wire, Daily Gazette, Morning Courier 3 articles" in words(first)
    assert first.xpath('.//p[@class="first-line"]') and first.xpath(".//time/@datetime")
    assert first.xpath('.//a[@class="topic"]/@href') == ["/topics/politics"]
    # the waiting story is apart, under its own heading, and not among the explained
    (waiting,) = doc.xpath('//section[@class="waiting-list"]')
    assert words(waiting.xpath(".//h2")[0]) == "Waiting for an explainer"
    assert story_links(waiting) == [f"/stories/{site.waiting}"]
    assert "No explainer yet" not in words(doc)
    # topics to browse
    assert "/topics/politics" in doc.xpath('//nav[@class="topics"]//a/@href')


def test_front_page_pages(site, client, monkeypatch):
    from storybrief.serve import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    # pages kept by the other tests were rendered 30 to a page, and the cache's fast path
    # answers them without asking the route (whose key names the page size): forget them
    # before, and these 2-to-a-page ones after
    cache = site.server.config.app.state.response_cache
    cache.clear()
    try:
        first = page(client.get("/"))
        assert len(story_links(first.xpath('//section[@aria-labelledby="explained-h"]')[0])) == 2
        (older,) = first.xpath('//nav[@class="pager"]//a[@rel="next"]')
        second = page(client.get(older.get("href")))
        (explained,) = second.xpath('//section[@aria-labelledby="explained-h"]')
        assert story_links(explained) == [f"/stories/{site.other}"]
        assert second.xpath('//nav[@class="pager"]//a[@rel="prev"]')
        assert not second.xpath('//section[@class="waiting-list"]')  # shown on the first page
        waiting = page(client.get("/waiting"))
        assert story_links(waiting) == [] and f"/stories/{site.waiting}" in [
            a.get("href") for a in waiting.xpath("//main//h2/a")
        ]
    finally:
        cache.clear()


def test_topic_page_and_feed(site, client):
    doc = page(client.get("/topics/politics"))
    assert words(doc.xpath("//h1")[0]) == "Politics"
    (explained,) = doc.xpath('//section[@aria-labelledby="explained-h"]')
    assert story_links(explained) == [f"/stories/{site.big}", f"/stories/{site.small}"]
    assert doc.xpath('//link[@rel="alternate"][@href="/topics/politics/feed.atom"]')
    feed = client.get("/topics/politics/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    ET.fromstring(feed.content)
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and parsed.feed.title.endswith("Politics")
    stories = {e.link.split("/stories/")[1].split("?")[0] for e in parsed.entries}
    assert stories == {str(site.big), str(site.small)}
    assert len(parsed.entries) == 3  # two versions of one story, one of the other
    assert client.get("/topics/nothing-here").status_code == 404
    assert client.get("/topics/nothing-here/feed.atom").status_code == 404
    assert client.get("/topics/Bad Slug!").status_code in (404, 422)


# -- the story page ------------------------------------------------------------------------------


def test_story_page_shows_coverage_and_how_the_story_grew(site, client):
    doc = page(client.get(f"/stories/{site.big}"))
    (line,) = doc.xpath('//p[@class="coverage-line"]')
    assert "Capital Wire, Daily Gazette, Morning Courier" in words(line)
    assert "3 outlets Capital Wire, Daily Gazette, Morning Courier 3 articles" in words(line)
    assert not doc.xpath('//*[contains(@class, "single")]')
    assert "first report" in words(line) and "latest" in words(line)
    (timeline,) = doc.xpath('//section[@class="coverage"]//ol[@class="timeline"]')
    steps = [(li.get("class"), words(li)) for li in timeline.xpath("./li")]
    kinds = [k for k, _ in steps]
    # one article, version 1 from it, two more articles, version 2 from them
    assert kinds == ["report", "version", "report", "report", "version"]
    assert "Explainer version 1 from 1 new article" in steps[1][1]
    assert "Explainer version 2 from 2 new articles" in steps[4][1]
    assert doc.xpath(f'//a[@href="/stories/{site.big}/feed.atom"]')
    assert doc.xpath(f'//link[@rel="alternate"][@href="/stories/{site.big}/feed.atom"]')


def test_coverage_is_shown_plainly_and_single_source_stories_are_marked(site, client):
    """Issue 30: how many outlets stand behind each story, on the front page, the story page
    and in the API; a story one outlet alone reports is marked as such."""
    doc = page(client.get("/"))
    marks = {
        link.get("href"): words(
            link.xpath("ancestor::li[1]//*[@class][contains(@class, 'coverage-mark')]")[0]
        )
        for link in doc.xpath(
            '//li[contains(@class, "story-item")]//a[starts-with(@href, "/stories/")]'
        )
    }
    assert marks[f"/stories/{site.big}"] == "3 outlets"
    assert marks[f"/stories/{site.small}"] == "Single source"
    assert marks[f"/stories/{site.waiting}"] == "Single source"
    small = page(client.get(f"/stories/{site.small}"))
    (line,) = small.xpath('//p[@class="coverage-line"]')
    assert words(line).startswith("Single source Capital Wire 1 article")
    (note,) = small.xpath('//p[@class="single-note"]')
    assert words(note).startswith("Only Capital Wire has reported this story so far")
    listed = {s["id"]: s["single_source"] for s in client.get("/api/v1/stories").json()}
    assert listed[site.big] is False and listed[site.small] is True
    assert client.get(f"/api/v1/stories/{site.small}").json()["single_source"] is True


def test_operators_set_how_many_outlets_put_a_story_on_the_front_page(site, monkeypatch):
    """serve.min_outlets = 2: only the 3-outlet story is among the explained ones of the
    front and topic pages; the explained single-source ones wait with the unexplained one."""
    settings = make_settings(site.library.settings.data_dir, monkeypatch, min_outlets=2)
    with (
        AppServer(create_app(settings, site.library.store)) as server,
        httpx.Client(base_url=server.url, timeout=10) as c,
    ):
        front = page(c.get("/"))
        topic = page(c.get("/topics/politics"))
        waiting = page(c.get("/waiting"))
    (explained,) = front.xpath('//section[@aria-labelledby="explained-h"]')
    assert story_links(explained) == [f"/stories/{site.big}"]
    (rest,) = front.xpath('//section[@class="waiting-list"]')
    assert set(story_links(rest)) == {
        f"/stories/{site.small}",
        f"/stories/{site.other}",
        f"/stories/{site.waiting}",
    }
    assert "fewer than 2 outlets" in words(rest)
    (on_topic,) = topic.xpath('//section[@aria-labelledby="explained-h"]')
    assert story_links(on_topic) == [f"/stories/{site.big}"]
    assert f"/stories/{site.small}" in story_links(
        topic.xpath('//section[@class="waiting-list"]')[0]
    )
    assert len(waiting.xpath('//li[contains(@class, "story-item")]')) == 3
    with pytest.raises(ValueError, match="min_outlets"):
        make_settings(site.library.settings.data_dir, monkeypatch, min_outlets=0)


def test_a_story_without_an_explainer_lists_its_articles(site, client):
    doc = page(client.get(f"/stories/{site.waiting}"))
    assert "no explainer yet" in words(doc.xpath('//p[@class="empty"]')[0])
    (reports,) = doc.xpath('//section[@class="coverage"]')
    assert words(reports.xpath("./h2")[0]) == "Reports so far"
    (article_id,) = site.library.store.stories.article_ids(site.waiting)
    assert reports.xpath(f'.//a[@href="/articles/{article_id}"]')
    assert "Morning Courier" in words(reports)


def test_story_feed_has_one_entry_per_explainer_version(site, client):
    feed = client.get(f"/stories/{site.big}/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and parsed.version == "atom10"
    links = [e.link for e in parsed.entries]
    assert [link.split("?version=")[1] for link in links] == ["2", "1"]
    empty = feedparser.parse(client.get(f"/stories/{site.waiting}/feed.atom").content)
    assert not empty.bozo and empty.entries == []
    assert client.get("/stories/999999/feed.atom").status_code == 404


# -- coverage in the library and the JSON API ---------------------------------------------------


def test_library_and_api_give_the_same_coverage(site, client):
    coverage = site.library.coverage(site.big)
    assert coverage.articles == 3 and coverage.explainer_versions == 2
    assert [o.outlet for o in coverage.outlets] == [
        "Capital Wire",
        "Daily Gazette",
        "Morning Courier",
    ]
    assert coverage.first_report == T0 + timedelta(days=1, hours=1)
    arrivals = [e for e in coverage.timeline if e.kind == "article"]
    assert [e.version for e in arrivals] == [1, 2, 2]
    versions = [e for e in coverage.timeline if e.kind == "explainer"]
    assert [len(v.added) for v in versions] == [1, 2]
    detail = client.get(f"/api/v1/stories/{site.big}").json()
    assert detail["topic"] == "Politics"
    got = detail["coverage"]
    assert got["articles"] == 3 and got["explainer_versions"] == 2
    assert [o["outlet"] for o in got["outlets"]] == [o.outlet for o in coverage.outlets]
    assert [(e["kind"], e["version"]) for e in got["timeline"]] == [
        (e.kind, e.version) for e in coverage.timeline
    ]


def test_the_cli_shows_the_same_coverage(site):
    import json

    from typer.testing import CliRunner

    from storybrief.cli import app as cli

    data_dir = str(site.library.settings.data_dir)
    shown = CliRunner().invoke(cli, ["--data-dir", data_dir, "story", str(site.big)])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "first report 2026-03-03 10:00, latest 2026-03-03 10:40" in flat
    assert "topic Politics" in flat
    assert "Capital Wire (1), Daily Gazette (1), Morning Courier (1)" in flat
    assert "explainer version 2 from 2 new article(s)" in flat
    as_json = CliRunner().invoke(cli, ["--data-dir", data_dir, "story", str(site.big), "--json"])
    coverage = json.loads(as_json.stdout)["coverage"]
    assert [e["kind"] for e in coverage["timeline"]] == [
        "article",
        "explainer",
        "article",
        "article",
        "explainer",
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_front_order_and_topics_on_both_databases(backend, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch)
    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        library = Library(settings, store)
        older = store.stories.create(
            "Old", [add(store, "roads", 7, "Wire", day=0, section="world")]
        )
        one = store.stories.create("One", [add(store, "rail", 8, "Wire", day=3, section="world")])
        three = store.stories.create(
            "Three",
            [
                add(store, "bus", 9, "Wire", day=3, section="world"),
                add(store, "bus", 9, "Courier", day=3, section="world", later=5),
                add(store, "bus", 9, "Gazette", day=3, section="politics", later=9),
            ],
        )
        waiting = store.stories.create("Wait", [add(store, "tram", 1, "Wire", day=4, section="x")])
        for story in (older, one, three):
            library.explain(story_id=story)
        assert [s.id for s in store.stories.front(explained=True)] == [three, one, older]
        assert [s.id for s in store.stories.front(explained=True, offset=1, limit=1)] == [one]
        assert [s.id for s in store.stories.front(explained=False)] == [waiting]
        # at least 2 outlets: the single-outlet explained stories wait, newest first
        assert [s.id for s in store.stories.front(explained=True, min_outlets=2)] == [three]
        waits = store.stories.front(explained=False, min_outlets=2)
        assert [s.id for s in waits] == [waiting, one, older]
        assert store.stories.topics() == [("World", "world", 3)]
        assert [s.id for s in store.stories.front(explained=True, topic_slug="world")] == [
            three,
            one,
            older,
        ]
        assert (
            store.stories.topic_label("world") == "World"
            and store.stories.topic_label("nope") is None
        )
        assert [e.story_id for e in store.explainers.recent(topic_slug="world")] == [
            three,
            one,
            older,
        ]


# -- the migration -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0006_fills_topics_and_counts_of_stored_stories(backend, tmp_path: Path):
    from alembic import command

    from storybrief.store.database import create_db_engine

    with database_url(backend, tmp_path) as url:
        engine = create_db_engine(url)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0005")
            conn.execute(
                text(
                    "INSERT INTO stories (id, title, state, created_at, updated_at) "
                    "VALUES (7, 'Old', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            for i, (site_name, url_) in enumerate(
                [
                    ("Wire", "https://wire.example/world/a-b"),
                    ("Wire", "https://wire.example/world/c-d"),
                    (None, "https://gazette.example/politics/e-f"),
                ]
            ):
                conn.execute(
                    text(
                        "INSERT INTO articles (url, content_hash, text, site_name, story_id, "
                        "authors, created_at, updated_at) VALUES (:u, :h, 'x', :s, 7, '[]', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"u": url_, "h": f"h{i}", "s": site_name},
                )
        engine.dispose()
        with Store.open(url) as store:
            story = store.stories.get(7)
            assert (story.topic, story.topic_slug, story.size) == ("World", "world", 3)
            assert store.stories.front(explained=False)[0].id == 7
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
            assert "topic" not in {c["name"] for c in inspect(conn).get_columns("stories")}
        engine.dispose()


# -- nothing stale (runs last: it explains the waiting story) -----------------------------------


def test_new_pages_are_fresh_after_a_new_explainer(site, client):
    """The topic page, the waiting list and the story's feed are kept rendered (serve/cache.py)
    and change as soon as an explainer is written."""
    assert client.get(f"/stories/{site.waiting}/feed.atom").status_code == 200
    assert f"/stories/{site.waiting}" not in client.get("/topics/local").text.split("waiting-h")[0]
    tagged = client.get("/topics/local")
    etag = tagged.headers["etag"]
    assert client.get("/topics/local", headers={"If-None-Match": etag}).status_code == 304
    site.library.explain(story_id=site.waiting)
    feed = feedparser.parse(client.get(f"/stories/{site.waiting}/feed.atom").content)
    assert len(feed.entries) == 1
    topic = client.get("/topics/local", headers={"If-None-Match": etag})
    assert topic.status_code == 200
    (explained,) = page(topic).xpath('//section[@aria-labelledby="explained-h"]')
    assert story_links(explained) == [f"/stories/{site.waiting}"]
    assert f"/stories/{site.waiting}" not in client.get("/waiting").text
