"""Lists as big as newsrooms keep (issue 28): an OPML list of thousands of feeds is read whole,
through the library and the CLI, under its own cap (``fetch.max_list_feeds``), separate from the
items read from one feed (``fetch.max_feed_items``); when either cap bites, the report says how
many were left out and names the first few."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storybrief.cli import app
from storybrief.ingest.feed_parser import parse_feed, read_opml
from storybrief.library import Library
from storybrief.settings import Settings

FEEDS = 6_000
SENTENCE = "The council met on Tuesday and voted to repair the harbor bridge by spring. "
LAST = "The ferry company said on Friday that it would add two crossings every evening. "


def _opml(urls: list[str]) -> str:
    outlines = "\n".join(
        f'    <outline type="rss" text="Feed {n}" xmlUrl="{url}"/>' for n, url in enumerate(urls)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
        "  <head><title>A newsroom's feeds</title></head>\n"
        f'  <body>\n  <outline text="Wires">\n{outlines}\n  </outline>\n  </body>\n</opml>\n'
    )


def _rss(items: int, base: str = "https://news.example", text: str = SENTENCE) -> str:
    entries = "".join(
        f"<item><title>Item {i}</title><link>{base}/{i}</link>"
        f"<description>{text * 4}</description></item>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
        f"{entries}</channel></rss>"
    )


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    return test_settings.changed(**{"fetch.feed_pages": False, "cluster.vectors": "hashing"})


@pytest.fixture
def web_list(tmp_path: Path) -> Path:
    """An OPML file of 6,000 feed URLs (the 2,000-feed lists of a few wire services)."""
    path = tmp_path / "newsroom.opml"
    path.write_text(_opml([f"https://feeds{n % 40}.example/desk/{n}.xml" for n in range(FEEDS)]))
    return path


@pytest.fixture
def local_list(tmp_path: Path) -> Path:
    """An OPML file naming 6,000 local feed files: the first and the last each hold an
    article of their own, the rest the first one's again (a duplicate costs little)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    paths = []
    for n in range(FEEDS):
        path = folder / f"{n}.xml"
        last = n == FEEDS - 1
        path.write_text(
            _rss(1, f"https://desk{n}.example", LAST) if last else _rss(1, "https://desk0.example")
        )
        paths.append(str(path))
    listed = tmp_path / "local.opml"
    listed.write_text(_opml(paths))
    return listed


def test_the_default_cap_of_a_list_is_its_own_and_holds_a_newsroom():
    defaults = Settings()
    assert defaults.fetch.max_list_feeds >= 10_000
    assert defaults.fetch.max_feed_items == 500  # items per feed: unchanged, and separate


def test_a_list_of_6000_feeds_is_followed_whole(settings, web_list):
    with Library(settings) as lib:
        followed = lib.feeds.follow(str(web_list))
        assert followed.left_out is None
        assert len(followed.feeds) == FEEDS
        urls = [f.url for f in lib.feeds.all()]
    assert len(urls) == FEEDS
    assert urls[0] == "https://feeds0.example/desk/0.xml"
    assert urls[-1] == f"https://feeds{(FEEDS - 1) % 40}.example/desk/{FEEDS - 1}.xml"


def test_following_a_list_again_keeps_one_subscription_per_feed(settings, web_list):
    with Library(settings) as lib:
        lib.feeds.add("https://feeds0.example/desk/0.xml", every=3600)
        again = lib.feeds.add(str(web_list))
        assert len(again) == FEEDS and len(lib.feeds.all()) == FEEDS
        assert lib.feeds.get("https://feeds0.example/desk/0.xml").poll_every_seconds == 3600


def test_the_list_cap_names_what_it_left_out(settings, web_list):
    capped = settings.changed(**{"fetch.max_list_feeds": 5_000})
    with Library(capped) as lib:
        followed = lib.feeds.follow(str(web_list))
        assert len(followed.feeds) == 5_000 and len(lib.feeds.all()) == 5_000
    left = followed.left_out
    assert left is not None and (left.count, left.kept) == (1_000, 5_000)
    assert left.first == tuple(
        f"https://feeds{n % 40}.example/desk/{n}.xml" for n in (5000, 5001, 5002)
    )
    assert left.message == (
        f"{web_list}: 1,000 feeds left out after the first 5,000 (the cap "
        "fetch.max_list_feeds; raise it to read them): https://feeds0.example/desk/5000.xml, "
        "https://feeds1.example/desk/5001.xml, https://feeds2.example/desk/5002.xml …"
    )


def test_cli_follows_a_6000_feed_list_and_says_what_a_cap_left_out(settings, web_list, monkeypatch):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    added = runner.invoke(app, ["feeds", "add", str(web_list)])
    assert added.exit_code == 0, added.output
    assert "6,000 feeds followed" in added.stdout and "left out" not in added.output
    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)
    assert len(listed) == FEEDS

    monkeypatch.setenv("STORYBRIEF_FETCH__MAX_LIST_FEEDS", "5500")
    again = runner.invoke(app, ["feeds", "add", str(web_list), "--json"])
    assert again.exit_code == 0, again.output
    assert len(json.loads(again.stdout)) == 5_500
    assert "500 feeds left out after the first 5,500" in again.stderr
    assert "https://feeds20.example/desk/5500.xml" in again.stderr


def test_ingest_reads_every_feed_of_a_6000_feed_list(settings, local_list):
    expanded = []
    with Library(settings) as lib:
        report = lib.ingest([str(local_list)], on_expand=expanded.append, cluster=False)
    assert expanded[0] == FEEDS - 1  # the list said 6,000 feeds were coming
    assert report.ok, report.failure_reasons()[:500]
    assert report.left_out == [] and len(report.items) == FEEDS
    assert [item.location for item in report.items if item.status == "new"] == [
        "https://desk0.example/0",
        f"https://desk{FEEDS - 1}.example/0",  # the last feed of the list was read
    ]


def test_ingest_cli_says_what_the_caps_left_out(settings, local_list, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STORYBRIEF_FETCH__FEED_PAGES", "false")
    monkeypatch.setenv("STORYBRIEF_FETCH__MAX_LIST_FEEDS", "5990")
    monkeypatch.setenv("STORYBRIEF_FETCH__MAX_FEED_ITEMS", "2")
    big = tmp_path / "big.xml"
    big.write_text(_rss(12))
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(local_list), str(big), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    feeds, items = report["left_out"]
    assert (feeds["what"], feeds["count"], feeds["kept"]) == ("feeds", 10, 5_990)
    assert feeds["setting"] == "fetch.max_list_feeds"
    assert feeds["first"][0].endswith("5990.xml") and len(feeds["first"]) == 3
    assert (items["what"], items["count"], items["kept"]) == ("items", 10, 2)
    assert items["first"] == [
        "https://news.example/2",
        "https://news.example/3",
        "https://news.example/4",
    ]
    assert "10 items left out after the first 2 (the cap fetch.max_feed_items" in items["message"]
    counts = report["counts"]  # one item of each feed of the list read, two of the big feed
    assert counts["new"] + counts["duplicate"] == 5_990 + 2 and counts["failed"] == 0

    shown = runner.invoke(app, ["ingest", str(big)])
    assert "left out: " in shown.stdout and "10 items left out" in shown.stdout


def test_feed_item_cap_counts_and_names_what_it_left_out():
    feed = parse_feed(_rss(40).encode(), location="https://news.example/feed", max_items=3)
    assert [i.title for i in feed.items] == ["Item 0", "Item 1", "Item 2"]
    assert feed.left_out is not None
    assert (feed.left_out.count, feed.left_out.first[0]) == (37, "https://news.example/3")
    assert parse_feed(_rss(3).encode(), location="x", max_items=3).left_out is None
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": f"https://j.example/{n}", "content_text": SENTENCE} for n in range(9)],
    }
    json_feed = parse_feed(json.dumps(doc).encode(), location="f.json", max_items=4)
    assert json_feed.left_out is not None and json_feed.left_out.count == 5
    assert json_feed.left_out.first == (
        "https://j.example/4",
        "https://j.example/5",
        "https://j.example/6",
    )


def test_a_list_of_100000_feeds_is_capped_and_counted():
    outlines = "".join(f'<outline xmlUrl="https://x.example/{i}"/>' for i in range(100_000))
    data = f"<opml><body>{outlines}</body></opml>".encode()
    listed = read_opml(data, location="https://lists.example/all.opml")
    assert len(listed.urls) == 10_000 and listed.left_out is not None
    assert listed.left_out.count == 90_000


def test_the_api_answer_names_what_a_cap_left_out(tmp_path, monkeypatch, http_server):
    import httpx
    from tests.appserver import TOKEN, AppServer, make_settings

    from storybrief.serve import create_app
    from storybrief.store import Store

    settings = make_settings(tmp_path, monkeypatch).changed(
        **{"fetch.max_feed_items": 2, "fetch.feed_pages": False, "cluster.vectors": "hashing"}
    )
    url = http_server.route(
        "/big.xml", body=_rss(12).encode(), headers={"Content-Type": "application/rss+xml"}
    )
    with Store.open(settings) as store, AppServer(create_app(settings, store)) as server:
        answer = httpx.post(
            f"{server.url}/api/v1/articles",
            json={"urls": [url]},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        )
    assert answer.status_code == 200, answer.text
    (left,) = answer.json()["left_out"]
    assert f"{url}: 10 items left out after the first 2 (the cap fetch.max_feed_items" in left
