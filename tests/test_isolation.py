"""One bad source never stops a run (issue 27): text that no database stores (lone
surrogates, NUL) is made storable at the boundary, in every field, on SQLite and PostgreSQL;
any exception while reading, extracting, storing or clustering one source is recorded on that
source and the run goes on; a host name that is not a valid IDNA name is a clear refusal."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from tests.appserver import AUTH, TOKEN, AppServer
from tests.conftest import clean_environment
from tests.dbs import database_url
from tests.servers import LocalHTTPServer, redirect

from storybrief.library import Library
from storybrief.records import Article
from storybrief.settings import Settings
from storybrief.store import Store

SENTENCE = "The council met on Tuesday and voted to repair the harbor bridge by spring. "
GOOD = "The mayor opened the new city library on Monday, and hundreds of readers came. " * 4


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clean_environment(monkeypatch, tmp_path)
    with database_url(request.param, tmp_path) as url:
        yield Settings(
            data_dir=tmp_path,
            database_url=url,
            fetch={"allowed_hosts": ["127.0.0.1"], "feed_pages": False, "per_host_delay": 0},
            cluster={"vectors": "hashing"},
            serve={"api_token": TOKEN},
        )


def _poisoned_feed() -> bytes:
    """A JSON Feed with a lone surrogate (JSON's "\\ud800" escape) in every string field."""
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Harbor News\ud800",
        "items": [
            {
                "id": "item-1\ud800",
                "url": "https://news.example/bridge\ud800",
                "external_url": "https://wire.example/bridge\ud800",
                "title": "Bridge\ud800 vote",
                "authors": [{"name": "Ann\udfff Lee"}],
                "tags": ["Local\ud800"],
                "content_text": SENTENCE * 3 + "The vote was 7 to 2.\ud800 " + SENTENCE,
            },
            {"id": "item-2\ud800", "external_url": "https://wire.example/x\udc80"},
        ],
    }
    return json.dumps(doc).encode()  # ASCII: the surrogates travel as escapes


def test_a_poisoned_json_feed_is_stored_clean_and_the_run_goes_on(settings, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD)
    with LocalHTTPServer() as server, Library(settings) as lib:
        feed = server.route(
            "/feed.json", body=_poisoned_feed(), headers={"Content-Type": "application/feed+json"}
        )
        report = lib.ingest([feed, str(good)])
        statuses = [(i.location, i.status) for i in report.items]
        assert statuses[0] == ("https://news.example/bridge\ufffd", "new")
        assert statuses[-1] == (str(good), "new")  # the source after it was read
        stored = lib.article(report.items[0].article_id or 0)
        assert stored.title == "Bridge\ufffd vote" and stored.authors == ["Ann\ufffd Lee"]
        assert "7 to 2.\ufffd" in stored.text
        assert stored.url == "https://news.example/bridge\ufffd"
        (source,) = lib.feeds.all()
        assert source.title == "Harbor News\ufffd"
        assert len(lib.stories()) >= 2 and lib.store.articles.unassigned_ids() == []


def test_every_string_is_stored_clean_whatever_the_caller_hands_in(settings):
    """The store's own boundary: any column of any table, JSON documents included."""
    with Store.open(settings) as store:
        store.failures.record("bad\ud800\x00place", "a reason with NUL\x00 and \udcff")
        assert store.failures.recent()[0].reason == "a reason with NUL\ufffd and \ufffd"
        store.feeds.add("https://a.example/\x00\ud800", title="T\x00")
        (feed,) = store.feeds.all()  # as stored
        assert (feed.url, feed.title) == ("https://a.example/\ufffd\ufffd", "T\ufffd")
        article = Article(text="Body with NUL\x00 inside. " * 10, title="x\ud800", authors=["\x00"])
        saved = store.articles.upsert(article).article
        assert store.articles.get(saved.id or 0).title == "x\ufffd"
        story = store.stories.create("s\x00", [saved.id or 0])
        store.stories.save_state(story, centroid=None, state={"entities": {"N\x00\ud800": 1}})
        (state,) = [r.state for r in store.stories.states() if r.id == story]
        assert state == {"entities": {"N\ufffd\ufffd": 1}}
        assert store.search.find("library\x00\ud800").stories == []
        assert store.rate_limits.hit("key\x00", 5, 60, 0.0) == 0


def test_a_posted_article_with_nul_is_stored_and_a_lone_surrogate_is_422(settings):
    import httpx

    from storybrief.serve import create_app

    def post(articles: list[dict]) -> httpx.Response:
        return httpx.post(  # JSON escapes ("\u0000", "\ud800"), the way a client sends them
            f"{server.url}/api/v1/articles",
            content=json.dumps({"articles": articles}),
            headers={**AUTH, "Content-Type": "application/json"},
        )

    with Store.open(settings) as store, AppServer(create_app(settings, store)) as server:
        reply = post([{"text": SENTENCE * 3 + "Zero\x00 byte. " + SENTENCE, "title": "NUL\x00"}])
        assert reply.status_code == 200, reply.text[:300]
        (item,) = reply.json()["items"]
        assert item["status"] == "new" and item["title"] == "NUL\ufffd"
        assert "Zero\ufffd byte." in store.articles.get(item["article_id"]).text
        refused = post([{"text": SENTENCE * 4 + "Lone \ud800 surrogate."}])
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("invalid request (body.articles.0.text: ")


def test_an_unexpected_exception_fails_its_source_alone(test_settings, tmp_path, monkeypatch):
    """A bug or a library's surprise while reading one source is that source's failure,
    recorded with its reason; the sources after it are read."""
    import storybrief.ingest.pipeline as pipeline

    real = pipeline.extract_text

    def surprise(text, **kwargs):  # type: ignore[no-untyped-def]
        if "surprise" in text:
            raise KeyError("a library's surprise")
        return real(text, **kwargs)

    monkeypatch.setattr(pipeline, "extract_text", surprise)
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_text("surprise " + GOOD)
    good.write_text(GOOD)
    with Library(test_settings.changed(**{"cluster.vectors": "hashing"})) as lib:
        report = lib.ingest([bad, good])
        assert [i.status for i in report.items] == ["failed", "new"]
        reason = report.items[0].reason or ""
        assert reason == f'{bad}: unexpected KeyError: "a library\'s surprise"'
        assert lib.failures()[0].reason == reason


def test_an_article_clustering_fails_on_gets_a_story_of_its_own(
    test_settings, tmp_path, monkeypatch
):
    """Clustering that fails on one article: the others are put into stories, that one gets
    a story of its own (so it is not tried again every round) and the reason is recorded."""
    # the library imports clustering when it first assigns (26d6add): its door is the package
    import storybrief.cluster as cluster

    real = cluster.assign
    paths = []
    for name, text in (("a", GOOD), ("b", "The storm flooded the river banks. " * 6)):
        paths.append(tmp_path / f"{name}.txt")
        paths[-1].write_text(text)
    with Library(test_settings.changed(**{"cluster.vectors": "hashing"})) as lib:
        report = lib.ingest(paths, cluster=False)
        poisoned = report.article_ids[0]

        def fails_on_one(store, ids, settings):  # type: ignore[no-untyped-def]
            if poisoned in ids:
                raise FloatingPointError("vectors of nothing")
            return real(store, ids, settings)

        monkeypatch.setattr(cluster, "assign", fails_on_one)
        changes = lib.assign_stories(explain_grown=False)
        assert sorted(len(c.added) for c in changes) == [1, 1]
        assert lib.store.articles.unassigned_ids() == []
        assert "unexpected FloatingPointError: vectors of nothing" in lib.failures()[0].reason


# -- host names that are not valid IDNA --------------------------------------------------------


def test_a_malformed_idna_host_is_refused_wherever_it_comes_from(test_settings, tmp_path):
    opml = tmp_path / "list.opml"
    opml.write_text('<opml><body><outline xmlUrl="http://xn--/"/></body></opml>')
    with LocalHTTPServer() as server, Library(test_settings) as lib:
        moved = server.route("/moved", redirect("http://xn--/next"))
        report = lib.ingest(["http://xn--/", str(opml), moved])
    reasons = [i.reason or "" for i in report.items]
    assert [i.status for i in report.items] == ["failed"] * 3
    assert reasons[0].startswith("invalid URL http://xn--/: its host name is not a valid")
    assert reasons[1].startswith("invalid URL http://xn--/: its host name")
    assert reasons[2].startswith(f"{moved} answered with a redirect to a host name that is not")


# -- text in wide encodings ------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_text_with_a_byte_order_mark_is_read(test_settings, tmp_path, codec):
    boms = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-32-be": codecs.BOM_UTF32_BE}
    path = tmp_path / f"{codec}.txt"
    path.write_bytes(boms.get(codec, b"") + ("Café news. " + GOOD).encode(codec))
    with Library(test_settings) as lib:
        report = lib.ingest([path], cluster=False)
        assert [i.status for i in report.items] == ["new"], report.items[0].reason
        assert lib.article(report.article_ids[0]).text.startswith("Café news.")
