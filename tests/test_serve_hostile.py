"""The web app against the clients of issue 14: impossible ids, unknown engines, feeds with
control characters, scripts that drop their cookie, and token guessing. Through a real
uvicorn server on 127.0.0.1 over a real SQLite store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import httpx
import lxml.html
import pytest
from tests.appserver import AUTH, EXAMPLE, TOKEN, AppServer, forget_rate_limits
from tests.conftest import clean_environment

from storybrief.api import explain
from storybrief.errors import NothingToPublishError
from storybrief.library import Library
from storybrief.records import Article
from storybrief.serve import create_app
from storybrief.serve.feed_writer import atom, rss, xml_text
from storybrief.settings import Settings
from storybrief.store import Store, StoredExplainer

TOO_BIG = 2**63


def _settings(tmp_path, monkeypatch, **extra) -> Settings:
    """Test settings; ``extra`` are serve settings (``feedback_rate_per_minute=3``)."""
    clean_environment(monkeypatch, tmp_path)
    return Settings(data_dir=tmp_path, serve={"api_token": TOKEN, **extra})


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[Store, int, str]]:
    """A store with the example story explained, served; (store, story id, server URL)."""
    tmp = tmp_path_factory.mktemp("hostile-serve")
    with pytest.MonkeyPatch.context() as mp:
        settings = _settings(tmp, mp)
        with Store.open(settings) as store:
            story = explain(EXAMPLE, settings=settings, store=store).story_id
            assert story is not None
            with AppServer(create_app(settings, store)) as server:
                yield store, story, server.url


# -- 8. client mistakes are 4xx, not 500 ----------------------------------------------------------


@pytest.mark.parametrize("bad", [2**31, 2**63 - 1, TOO_BIG, 10**30, 0, -1])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stories/{id}",
        "/api/v1/stories/{id}/explainers",
        "/api/v1/stories/{id}/explainer",
        "/api/v1/explainers/{id}",
        "/api/v1/articles/{id}",
        "/stories/{id}",
        "/articles/{id}",
    ],
)
def test_impossible_ids_are_422_not_500(site, path, bad):
    _, _, url = site
    reply = httpx.get(url + path.format(id=bad), headers={"Accept": "application/json"})
    assert reply.status_code == 422, reply.text[:300]
    answer = reply.json()
    assert answer["errors"][0]["loc"][0] == "path"
    assert answer["detail"].startswith("invalid request (path.")


def test_an_impossible_id_in_the_browser_is_an_error_page(site):
    _, _, url = site
    reply = httpx.get(f"{url}/stories/{TOO_BIG}", headers={"Accept": "text/html"})
    assert reply.status_code == 422
    assert "less than or equal to 2147483647" in reply.text


def test_the_largest_possible_id_is_simply_not_found(site):
    _, _, url = site
    reply = httpx.get(f"{url}/api/v1/stories/{2**31 - 1}")
    assert reply.status_code == 404


def test_the_id_bound_is_the_store_s():
    from storybrief.serve.security import MAX_ID
    from storybrief.store.database import MAX_ID as STORE_MAX_ID

    assert MAX_ID == STORE_MAX_ID == 2**31 - 1


def test_an_unknown_engine_is_422_naming_the_engines(site):
    _, story, url = site
    reply = httpx.post(
        f"{url}/api/v1/stories/{story}/explain", json={"engine": "nonesuch"}, headers=AUTH
    )
    assert reply.status_code == 422
    (problem,) = reply.json()["errors"]
    assert problem["loc"] == ["body", "engine"]
    assert "no explainer engine named 'nonesuch'; the engines are: " in problem["msg"]
    assert "builtin" in problem["msg"]


NOTHING_PUBLISHABLE = (
    "He said the bridge would reopen in March after the repairs were finished. They agreed "
    "with him at the meeting on Monday evening in the town hall. It will cost more than the "
    "council had planned when the work began last year."
)


def test_a_story_with_nothing_publishable_is_422_saying_why(tmp_path, monkeypatch):
    # every sentence opens with a pronoun: the articles hold nothing an explainer may publish,
    # a fact about them (422 with the engine's reason), not an engine failing (502)
    settings = _settings(tmp_path, monkeypatch)
    with Store.open(settings) as store:
        article = store.articles.upsert(Article(text=NOTHING_PUBLISHABLE)).article
        story = store.stories.create(None, [article.id])
        with Library(settings, store) as lib, pytest.raises(NothingToPublishError) as raised:
            lib.explain(story_id=story)
        with AppServer(create_app(settings, store)) as server:
            reply = httpx.post(
                f"{server.url}/api/v1/stories/{story}/explain", json={}, headers=AUTH
            )
    assert reply.status_code == 422, reply.text[:300]
    assert reply.json() == {"detail": str(raised.value)}


# -- 6. feeds out ---------------------------------------------------------------------------------

NASTY = "Harbor\x01 Festival\x1b Opens\ufffe <b>loud</b> & \x7f\ud800"


def _explainer(headline: str, text: str) -> StoredExplainer:
    document = {
        "headline": headline,
        "sections": [{"key": "happening", "sentences": [{"text": text}]}],
    }
    return StoredExplainer(
        id=1,
        story_id=7,
        version=1,
        engine="builtin",
        sources_key="k",
        document=document,
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
    )


def test_xml_text_drops_what_xml_forbids():
    assert xml_text(NASTY) == "Harbor Festival Opens <b>loud</b> & \x7f"
    assert xml_text("tab\tnew\nline\r😀") == "tab\tnew\nline\r😀"


@pytest.mark.parametrize("build", [rss, atom])
def test_control_characters_leave_the_feeds_parseable(build):
    body = build([_explainer(NASTY, NASTY)], base="http://x.example", title="Site\x02")
    root = ET.fromstring(body)  # raises on invalid XML
    assert root is not None
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title.startswith("Harbor Festival Opens")


def test_rss_descriptions_are_escaped_text_not_markup():
    body = rss([_explainer("H", 'Boats <img src=x onerror="alert(1)"> & music')], base="", title="")
    description = ET.fromstring(body).find("./channel/item/description")
    assert description is not None
    # what a reader gets after XML parsing is HTML; as HTML it must be plain text
    shown = lxml.html.fragment_fromstring(description.text, create_parent="div")
    assert shown.xpath("//img") == []
    assert shown.text_content().startswith('Boats <img src=x onerror="alert(1)"> & music')


def test_served_feeds_parse(site):
    _, _, url = site
    for path in ("/feeds/explainers.rss", "/feeds/explainers.atom"):
        reply = httpx.get(url + path)
        assert reply.status_code == 200
        assert ET.fromstring(reply.content) is not None


# -- 7. rate limits a script cannot walk around ---------------------------------------------------


def _form(client: httpx.Client, story: int) -> dict[str, str]:
    doc = lxml.html.fromstring(client.get(f"/stories/{story}").text)
    (form,) = doc.xpath('//form[@class="feedback-form"]')
    return {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}


def test_feedback_is_limited_per_address_even_with_a_new_reader_each_time(
    site, tmp_path, monkeypatch
):
    store, story, _ = site
    settings = _settings(tmp_path, monkeypatch, feedback_rate_per_minute=3)
    forget_rate_limits(store)  # what other tests sent
    codes = []
    with AppServer(create_app(settings, store)) as server:
        for _ in range(10):
            with httpx.Client(base_url=server.url) as fresh:  # no cookie: a new reader
                fields = _form(fresh, story)
                reply = fresh.post(f"/stories/{story}/feedback", data={**fields, "useful": "yes"})
                codes.append(reply.status_code)
    assert codes == [303] * 3 + [429] * 7


def test_wrong_tokens_are_rate_limited_per_address(site, tmp_path, monkeypatch):
    store, story, _ = site
    settings = _settings(tmp_path, monkeypatch, token_failures_per_minute=3)
    forget_rate_limits(store)  # what other tests sent
    wrong = {"Authorization": "Bearer guess"}
    with AppServer(create_app(settings, store)) as server, httpx.Client(base_url=server.url) as c:
        codes = [c.get("/api/v1/feedback", headers=wrong).status_code for _ in range(5)]
        right = c.get("/api/v1/feedback", headers=AUTH)
    assert codes == [401, 401, 401, 429, 429]
    assert right.status_code == 429  # locked out for the rest of the minute, right token or not
    assert "too many wrong API tokens from this address" in right.json()["detail"]
    assert int(right.headers["retry-after"]) >= 1


def test_the_right_token_is_not_limited_by_its_own_use(site, tmp_path, monkeypatch):
    store, _, _ = site
    settings = _settings(tmp_path, monkeypatch, token_failures_per_minute=1)
    forget_rate_limits(store)  # what other tests sent
    with AppServer(create_app(settings, store)) as server, httpx.Client(base_url=server.url) as c:
        codes = {c.get("/api/v1/feedback", headers=AUTH).status_code for _ in range(5)}
    assert codes == {200}
