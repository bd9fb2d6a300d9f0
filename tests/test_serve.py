"""`storybrief serve`: pages, feedback, JSON API, feeds, search and safety, through a real
uvicorn server on 127.0.0.1 over a real SQLite store filled through the library."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import feedparser
import httpx
import jsonschema
import lxml.html
import pytest
from tests.appserver import (
    AUTH,
    HOSTILE_TITLE,
    AppServer,
    Library,
    forget_rate_limits,
    make_settings,
    populate,
)
from tests.dbs import database_url
from typer.testing import CliRunner

from storybrief.api import explain
from storybrief.cli import app as cli
from storybrief.errors import ConfigError
from storybrief.explain import published_schema
from storybrief.serve import create_app
from storybrief.serve.security import Signer, check_bind
from storybrief.store import SearchFilters, Store

pytest_plugins = ["tests.serve_fixtures"]  # library, server, client

HEADINGS = ["What's Happening?", "Why It's Important?", "What's Next?", "Beyond the Headlines"]


def page(response: httpx.Response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


# -- pages ---------------------------------------------------------------------------------------


def test_front_page_lists_latest_stories_with_outlets_time_and_first_line(library, client):
    doc = page(client.get("/"))
    items = doc.xpath('//li[@class="story-item"]')
    assert len(items) == 3
    by_link = {i.xpath(".//h3/a/@href")[0]: i for i in items}
    example = by_link[f"/stories/{library.example_story}"]
    stored = library.store.explainers.latest(library.example_story)
    first = stored.document["sections"][0]["sentences"][0]["text"]
    assert text_of(example.xpath('.//p[@class="first-line"]')[0]) == first
    assert "Newsweek" in text_of(example.xpath('.//span[@class="outlets"]')[0])
    assert example.xpath(".//time/@datetime")[0].startswith(str(stored.created_at.year))
    pair = by_link[f"/stories/{library.pair_story}"]
    assert "The Riverside Ledger" in text_of(pair)


def test_story_page_has_the_explainer_layout_in_order(library, client):
    doc = page(client.get(f"/stories/{library.example_story}"))
    article = doc.xpath('//article[@class="explainer"]')[0]
    # h1 the headline, h2 "What is the story about?", h3 its four sections
    assert [text_of(h) for h in article.xpath(".//h1")] == [library_headline(library)]
    (about,) = article.xpath('.//section[@class="about"]')
    assert text_of(about.xpath("./h2")[0]) == "What is the story about?"
    headings = [text_of(h) for h in about.xpath("./section/h3")]
    assert headings == HEADINGS
    flat = text_of(article)
    marks = [
        "What is the story about?",
        *HEADINGS,
        "AI Generated Content",
        "Do you find this article useful?",
        "Sources",
    ]
    positions = [flat.index(m) for m in marks]
    assert positions == sorted(positions)
    stored = library.store.explainers.latest(library.example_story)
    for section in stored.document["sections"]:
        shown = text_of(doc.xpath(f'//section[@aria-labelledby="h-{section["key"]}"]/p')[0])
        for sentence in section["sentences"]:
            assert sentence["text"] in shown


def library_headline(library: Library) -> str:
    return str(library.store.explainers.latest(library.example_story).document["headline"])


def test_citations_link_to_the_cited_sentence_and_show_it(library, client):
    doc = page(client.get(f"/stories/{library.example_story}"))
    cites = doc.xpath('//a[@class="cite"]')
    stored = library.store.explainers.latest(library.example_story)
    expected = [
        c for s in stored.document["sections"] for x in s["sentences"] for c in x["citations"]
    ]
    assert len(cites) == len(expected) >= 8
    for link, citation in zip(cites, expected, strict=True):
        article = library.store.articles.get(citation["article_id"])
        assert link.get("href") == f"/articles/{article.id}#s-{citation['sentence_index']}"
        assert text_of(link) == "1"
        tip = doc.get_element_by_id(link.get("aria-describedby"))
        assert tip.get("role") == "tooltip"
        quote = article.text[citation["start"] : citation["end"]]
        assert f"“{quote}”" in tip.text_content()
        # following the link lands on that very sentence of the stored source
        target = lxml.html.fromstring(client.get(link.get("href").split("#")[0]).text)
        anchor = target.get_element_by_id(link.get("href").split("#")[1])
        assert anchor.text_content() == article.sentences[citation["sentence_index"]].text


def test_source_list_has_outlet_time_and_links(library, client):
    doc = page(client.get(f"/stories/{library.pair_story}"))
    sources = doc.xpath('//section[@class="sources"]//li')
    assert len(sources) == 2
    texts = [text_of(s) for s in sources]
    assert any("Harbor Bridge Reopens" in t and "The Riverside Ledger" in t for t in texts)
    assert all(s.xpath(".//time/@datetime") for s in sources)
    assert "https://ledger.example/news/harbor-bridge-reopens" in [
        a.get("href") for s in sources for a in s.xpath('.//a[@class="original"]')
    ]


def test_json_ld_describes_the_story_as_a_news_article(library, client):
    doc = page(client.get(f"/stories/{library.example_story}"))
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@type"] == "NewsArticle" and data["@context"] == "https://schema.org"
    stored = library.store.explainers.latest(library.example_story)
    assert data["headline"] == stored.document["headline"][:110]
    assert data["isBasedOn"][0]["publisher"]["name"] == "Newsweek"
    assert data["articleSection"] == HEADINGS


def test_earlier_versions_are_listed_and_readable(library, client):
    regenerated = explain(
        story_id=library.pair_story, regenerate=True, settings=library.settings, store=library.store
    )
    latest = regenerated.version
    assert latest and latest >= 2
    doc = page(client.get(f"/stories/{library.pair_story}"))
    versions = doc.xpath('//section[@class="versions"]//li')
    assert len(versions) == latest
    assert "(shown)" in text_of(versions[0]) and "latest" in text_of(versions[0])
    old = page(client.get(f"/stories/{library.pair_story}?version=1"))
    assert "earlier version" in text_of(old.xpath('//p[@class="notice"]')[0])
    assert client.get(f"/stories/{library.pair_story}?version=99").status_code == 404


def test_source_markup_is_always_escaped(library, client):
    for url in ("/", f"/stories/{library.hostile_story}", "/search?q=festival"):
        response = client.get(url)
        assert response.status_code == 200
        assert "<script>alert" not in response.text and "<img src=x" not in response.text
        assert "<b>boats</b>" not in response.text
    story = client.get(f"/stories/{library.hostile_story}").text
    assert "&lt;script&gt;" in story
    doc = lxml.html.fromstring(story)
    assert doc.xpath("//script[not(@src) and not(@type='application/ld+json')]") == []
    assert doc.xpath("//img") == []
    (ld,) = doc.xpath('//script[@type="application/ld+json"]')
    assert "</" not in ld.text and json.loads(ld.text)["headline"].startswith("Harbor")
    article_id = library.store.stories.article_ids(library.hostile_story)[0]
    article = client.get(f"/articles/{article_id}").text
    assert "<script>alert" not in article and unescape("&lt;script&gt;") in unescape(article)
    assert HOSTILE_TITLE in text_of(lxml.html.fromstring(article))


def test_errors_are_pages_for_browsers_and_json_for_the_api(client):
    missing = client.get("/stories/999999")
    assert missing.status_code == 404 and "no story with id 999999" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    bad = client.get("/stories/not-a-number")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/stories/999999")
    assert api.status_code == 404 and api.json() == {
        "detail": "no story with id 999999 (see `storybrief stories`)"
    }
    invalid = client.get("/api/v1/stories", params={"limit": 0})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"] == ["query", "limit"]


def test_security_headers_on_pages_api_and_static(client):
    for url in ("/", "/api/v1/stories", "/static/style.css", "/no-such-page"):
        response = client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


# -- feedback ----------------------------------------------------------------------------------


def _form(client: httpx.Client, story_id: int) -> dict[str, str]:
    doc = page(client.get(f"/stories/{story_id}"))
    (form,) = doc.xpath('//form[@class="feedback-form"]')
    assert form.get("method") == "post"
    return {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}


def test_feedback_works_as_a_plain_form_and_is_kept_per_reader(library, server, client):
    stored = library.store.explainers.latest(library.example_story)
    before = library.store.feedback.counts(stored.id)
    fields = _form(client, library.example_story)
    assert fields["explainer_id"] == str(stored.id)
    sent = client.post(
        f"/stories/{library.example_story}/feedback",
        data={**fields, "useful": "no", "reason": "  Too   long  "},
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("#feedback")
    shown = page(client.get(sent.headers["location"]))
    assert "Your answer: No (“Too long”)" in text_of(shown.xpath('//p[@class="answer"]')[0])
    assert shown.xpath('//button[@value="no"][@aria-pressed="true"]')
    assert library.store.feedback.counts(stored.id)["no"] == before["no"] + 1
    # the same reader changes the answer: still one answer
    client.post(f"/stories/{library.example_story}/feedback", data={**fields, "useful": "yes"})
    again = page(client.get(f"/stories/{library.example_story}"))
    assert "Your answer: Yes" in text_of(again.xpath('//p[@class="answer"]')[0])
    after = library.store.feedback.counts(stored.id)
    assert (after["yes"], after["no"]) == (before["yes"] + 1, before["no"])
    # another reader counts separately
    with httpx.Client(base_url=server.url) as other:
        other_fields = _form(other, library.example_story)
        assert other_fields["csrf"] != fields["csrf"]
        other.post(
            f"/stories/{library.example_story}/feedback", data={**other_fields, "useful": "no"}
        )
    final = library.store.feedback.counts(stored.id)
    assert (final["yes"], final["no"]) == (before["yes"] + 1, before["no"] + 1)


def test_feedback_answers_json_for_the_page_script(library, client):
    fields = _form(client, library.pair_story)
    reply = client.post(
        f"/stories/{library.pair_story}/feedback",
        data={**fields, "useful": "no", "reason": "missing context"},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 200
    assert reply.json() == {
        "explainer_id": int(fields["explainer_id"]),
        "useful": False,
        "reason": "missing context",
    }


def test_feedback_refuses_forged_and_cross_site_posts(library, server, client):
    url = f"/stories/{library.example_story}/feedback"
    fields = _form(client, library.example_story)
    forged = client.post(url, data={**fields, "csrf": "0" * 32, "useful": "yes"})
    assert forged.status_code == 403 and "reload the page" in forged.text
    cross = client.post(
        url, data={**fields, "useful": "yes"}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    fetch_meta = client.post(
        url, data={**fields, "useful": "yes"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert fetch_meta.status_code == 403
    with httpx.Client(base_url=server.url) as no_cookie:
        refused = no_cookie.post(url, data={**fields, "useful": "yes"})
        assert refused.status_code == 403 and "cookie" in refused.text
    missing = client.post(url, data={"explainer_id": fields["explainer_id"], "useful": "yes"})
    assert missing.status_code == 422
    wrong_story = client.post(
        f"/stories/{library.pair_story}/feedback", data={**fields, "useful": "yes"}
    )
    assert wrong_story.status_code == 404


def test_feedback_and_writes_are_rate_limited(library, tmp_path, monkeypatch):
    settings = make_settings(
        tmp_path, monkeypatch, feedback_rate_per_minute=2, write_rate_per_minute=1
    )
    forget_rate_limits(library.store)  # what the other tests sent
    with (
        AppServer(create_app(settings, library.store)) as running,
        httpx.Client(base_url=running.url) as c,
    ):
        fields = _form(c, library.example_story)
        url = f"/stories/{library.example_story}/feedback"
        codes = [c.post(url, data={**fields, "useful": "yes"}).status_code for _ in range(3)]
        assert codes == [303, 303, 429]
        body = {"urls": [], "articles": [{"text": "x"}]}
        first = c.post("/api/v1/articles", json=body, headers=AUTH)
        second = c.post("/api/v1/articles", json=body, headers=AUTH)
        assert first.status_code == 200 and second.status_code == 429
        assert int(second.headers["retry-after"]) >= 1


def test_signed_reader_cookies_cannot_be_forged():
    signer = Signer(b"k" * 32)
    reader, cookie = signer.new_reader()
    assert signer.reader_of(cookie) == reader
    assert signer.reader_of(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert signer.reader_of(f"{reader}x.{cookie.split('.')[1]}") is None
    assert Signer(b"j" * 32).reader_of(cookie) is None
    assert signer.csrf_ok(reader, signer.csrf_token(reader))
    assert not signer.csrf_ok(reader, Signer(b"j" * 32).csrf_token(reader))


# -- JSON API -----------------------------------------------------------------------------------


def test_api_lists_and_gets_stories_with_versions(library, client):
    stories = client.get("/api/v1/stories").json()
    assert {s["id"] for s in stories} == {
        library.example_story,
        library.pair_story,
        library.hostile_story,
    }
    detail = client.get(f"/api/v1/stories/{library.example_story}").json()
    assert detail["outlets"] == ["Newsweek"] and detail["articles"] == 1
    assert detail["article_ids"] == library.store.stories.article_ids(library.example_story)
    assert detail["versions"][0]["version"] == detail["explainer_versions"]
    assert detail["url"].endswith(f"/stories/{library.example_story}")
    versions = client.get(f"/api/v1/stories/{library.example_story}/explainers").json()
    assert versions == detail["versions"]


def test_api_explainer_in_every_format(library, client):
    base = f"/api/v1/stories/{library.example_story}/explainer"
    document = client.get(base).json()
    jsonschema.validate(document, published_schema())
    stored = library.store.explainers.latest(library.example_story)
    assert document["headline"] == stored.document["headline"]
    assert document["version"] == stored.version
    by_id = client.get(f"/api/v1/explainers/{stored.id}").json()
    assert by_id == document
    markdown = client.get(base, params={"format": "markdown"})
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "## What's Happening?" in markdown.text and "## Sources" in markdown.text
    html = client.get(base, params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith('<article class="storybrief-explainer">')
    text = client.get(base, params={"format": "text"}).text
    assert text.splitlines()[0] == "What is the story about?" and "[1:1]" in text
    assert client.get(base, params={"format": "pdf"}).status_code == 422
    assert client.get(base, params={"version": 99}).status_code == 404


def test_api_articles_and_search(library, client):
    listed = client.get("/api/v1/articles", params={"limit": 2}).json()
    assert len(listed) == 2
    one = client.get(f"/api/v1/articles/{listed[0]['id']}").json()
    assert one["sentences"] and one["text"][one["sentences"][0]["start"] :].startswith(
        one["sentences"][0]["text"]
    )
    found = client.get("/api/v1/search", params={"q": "bridge repairs"}).json()
    assert library.pair_story in [s["id"] for s in found["stories"]]
    assert any("Harbor Bridge" in (a["title"] or "") for a in found["articles"])
    assert client.get("/api/v1/search", params={"q": ""}).status_code == 422


def test_api_writes_need_the_token(library, client):
    body = {"articles": [{"text": "x"}]}
    assert client.post("/api/v1/articles", json=body).status_code == 401
    wrong = client.post("/api/v1/articles", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    stored = library.store.explainers.latest(library.example_story)
    assert client.get(f"/api/v1/explainers/{stored.id}/feedback").status_code == 401
    assert client.get("/api/v1/feedback").status_code == 401


def test_api_without_a_configured_token_refuses_writes(library, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch, api_token=None)
    with AppServer(create_app(settings, library.store)) as running:
        reply = httpx.post(f"{running.url}/api/v1/articles", json={"urls": []}, headers=AUTH)
        assert reply.status_code == 403 and "api_token" in reply.json()["detail"]
        assert httpx.get(f"{running.url}/api/v1/stories").status_code == 200


def test_private_reads_need_the_token(library, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch, public_read=False)
    with AppServer(create_app(settings, library.store)) as running:
        assert httpx.get(f"{running.url}/api/v1/stories").status_code == 401
        assert httpx.get(f"{running.url}/api/v1/stories", headers=AUTH).status_code == 200


def test_api_submits_urls_through_the_apps_host_gate(library, http_server, tmp_path, monkeypatch):
    """Submitted URLs are fetched through the library's one host gate, as the watcher's are:
    robots.txt is asked for once per host for the app's lifetime (a gate per request, as
    before, asked for it again on every request, and knew no pacing or pause of the others)."""
    data = Path(__file__).parent / "data" / "ingest"
    robots = b"User-agent: *\nAllow: /\n"
    http_server.route("/robots.txt", body=robots, headers={"Content-Type": "text/plain"})
    feeds = []
    for n in (1, 2):
        page = http_server.route(
            f"/gate/page-{n}.html",
            body=(data / f"article-{n}.html").read_bytes(),
            headers={"Content-Type": "text/html"},
        )
        rss = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gate {n}</title>'
            f"<link>{http_server.url()}</link><description>Feed {n}</description>"
            f"<item><title>Item {n}</title><link>{page}</link></item></channel></rss>"
        )
        feeds.append(
            http_server.route(
                f"/gate/feed-{n}.xml",
                body=rss.encode(),
                headers={"Content-Type": "application/rss+xml"},
            )
        )
    settings = make_settings(tmp_path, monkeypatch)
    forget_rate_limits(library.store)  # what the other tests sent
    with (
        AppServer(create_app(settings, library.store)) as running,
        httpx.Client(base_url=running.url, timeout=20) as c,
    ):
        for feed in feeds:
            reply = c.post("/api/v1/articles", json={"urls": [feed]}, headers=AUTH)
            assert reply.status_code == 200, reply.text
    assert [len(http_server.requests_to(f"/gate/page-{n}.html")) for n in (1, 2)] == [1, 1]
    assert len(http_server.requests_to("/robots.txt")) == 1


def test_api_submits_articles_and_urls_then_explains(library, client, http_server):
    html = (Path(__file__).parent / "data" / "ingest" / "article-2.html").read_bytes()
    url = http_server.route("/library.html", body=html, headers={"Content-Type": "text/html"})
    text = (
        "Council Votes To Extend Night Buses\n"
        "The city council voted on Tuesday to extend night bus service on four routes. "
        "The change takes effect in June and costs 1.2 million dollars a year, officials said. "
        "Riders had asked for later buses for two years, according to a transit survey."
    )
    reply = client.post(
        "/api/v1/articles",
        json={"urls": [url], "articles": [{"text": text, "site_name": "City Desk"}]},
        headers=AUTH,
    )
    assert reply.status_code == 200, reply.text
    report = reply.json()
    statuses = [i["status"] for i in report["items"]]
    assert statuses[0] in ("duplicate", "new") and statuses[1] == "new"
    new_id = report["items"][1]["article_id"]
    assert client.get(f"/api/v1/articles/{new_id}").json()["site_name"] == "City Desk"
    assert (
        client.post(
            "/api/v1/articles", json={"urls": ["file:///etc/passwd"]}, headers=AUTH
        ).status_code
        == 422
    )
    cached = client.post(
        f"/api/v1/stories/{library.example_story}/explain", json={}, headers=AUTH
    ).json()
    assert cached["reused"] and cached["story_id"] == library.example_story
    jsonschema.validate(cached["explainer"], published_schema())


def test_api_feedback_and_operator_statistics(library, client):
    stored = library.store.explainers.latest(library.hostile_story)
    url = f"/api/v1/explainers/{stored.id}/feedback"
    for reader, useful, reason in [
        ("r1", True, None),
        ("r2", False, "Too short"),
        ("r1", False, None),
    ]:
        reply = client.post(
            url, json={"reader_id": reader, "useful": useful, "reason": reason}, headers=AUTH
        )
        assert reply.status_code == 200
    counts = client.get(url, headers=AUTH).json()
    assert (counts["yes"], counts["no"]) == (0, 2) and counts["reasons"] == ["Too short"]
    stats = client.get("/api/v1/feedback", headers=AUTH).json()
    assert {
        "explainer_id": stored.id,
        "story_id": library.hostile_story,
        "version": stored.version,
        "yes": 0,
        "no": 2,
        "reasons": ["Too short"],  # as the per-version endpoint gives them
    } in stats
    bare = client.get("/api/v1/feedback?reasons=0", headers=AUTH).json()
    assert all(row["reasons"] == [] for row in bare)
    too_long = client.post(
        url, json={"reader_id": "r3", "useful": False, "reason": "x" * 301}, headers=AUTH
    )
    assert too_long.status_code == 422


def test_request_bodies_are_capped(library, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch, max_request_bytes=2000)
    with AppServer(create_app(settings, library.store)) as running:
        big = httpx.post(
            f"{running.url}/api/v1/articles",
            json={"articles": [{"text": "word " * 1000}]},
            headers=AUTH,
        )
        assert big.status_code == 413 and "larger than 2000" in big.json()["detail"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(10):
                yield b"a" * 500

        streamed = httpx.post(
            f"{running.url}/api/v1/articles",
            content=chunks(),
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413


def test_every_route_is_in_the_openapi_document_and_answers_as_it_says(library, client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    from storybrief.serve import api, api_articles, api_calls, api_feedback
    from storybrief.serve.app import API_PREFIX

    routes = {
        (API_PREFIX + r.path, m)
        for router in (api.router, api_articles.router, api_feedback.router, api_calls.router)
        for r in router.routes
        for m in r.methods
        if m != "HEAD"
    }
    documented = {(p, m.upper()) for p, ops in spec["paths"].items() for m in ops}
    assert routes == documented
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

    stored = library.store.explainers.latest(library.example_story)
    article_id = library.store.stories.article_ids(library.example_story)[0]
    params = {
        "story_id": library.example_story,
        "explainer_id": stored.id,
        "article_id": article_id,
    }
    from urllib.parse import quote

    from referencing import Registry, Resource

    resource = Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}
    )
    registry = Registry().with_resource("urn:openapi", resource)
    checked = 0
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        names = {p["name"] for p in ops["get"].get("parameters", [])}
        query = {"q": "parade"} if "q" in names else {}
        reply = client.get(path.format(**params), params=query, headers=AUTH)
        responses = ops["get"]["responses"]
        assert str(reply.status_code) in responses, (path, reply.status_code)
        content = responses[str(reply.status_code)].get("content", {})
        if "schema" in content.get("application/json", {}) and reply.headers[
            "content-type"
        ].startswith("application/json"):
            pointer = "/".join(
                part.replace("~", "~0").replace("/", "~1")
                for part in [
                    "paths",
                    path,
                    "get",
                    "responses",
                    str(reply.status_code),
                    "content",
                    "application/json",
                    "schema",
                ]
            )
            validator = jsonschema.Draft202012Validator(
                {"$ref": f"urn:openapi#/{quote(pointer)}"}, registry=registry
            )
            validator.validate(reply.json())
            checked += 1
    assert checked >= 8


# -- feeds and search ---------------------------------------------------------------------------


def test_feeds_list_new_and_updated_explainers(library, client):
    explainers = library.store.explainers.recent(limit=50)
    rss = client.get("/feeds/explainers.rss")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    ET.fromstring(rss.content)  # well-formed
    parsed = feedparser.parse(rss.content)
    assert not parsed.bozo and parsed.version == "rss20"
    assert len(parsed.entries) == len(explainers)
    newest = explainers[0]
    assert parsed.entries[0].title == newest.document["headline"]
    assert parsed.entries[0].link.endswith(f"/stories/{newest.story_id}?version={newest.version}")
    head = client.head("/feeds/explainers.rss")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == rss.headers["content-type"]
    atom = feedparser.parse(client.get("/feeds/explainers.atom").content)
    assert not atom.bozo and atom.version == "atom10" and len(atom.entries) == len(explainers)
    hostile = [e for e in atom.entries if "Festival" in e.title]
    assert hostile and "<script>" in hostile[0].title  # carried as text, escaped in the XML
    assert client.get(hostile[0].link.replace(str(client.base_url), "")).status_code == 200


def test_search_page_finds_stories_and_articles(library, client):
    doc = page(client.get("/search", params={"q": "Kim parade"}))
    links = doc.xpath('//section[@aria-labelledby="stories-h"]//a/@href')
    assert f"/stories/{library.example_story}" in links
    assert doc.xpath('//section[@aria-labelledby="articles-h"]//a')
    nothing = page(client.get("/search", params={"q": "zzzqqq"}))
    assert "No story matches." in text_of(nothing)
    for hostile_query in ['"', "AND OR NOT (", "*", "NEAR(a b)", "' OR 1=1 --"]:
        assert client.get("/search", params={"q": hostile_query}).status_code == 200


def test_search_marks_the_matched_words_and_never_prints_source_markup(library, client):
    """Issue 30: the words a search matched are marked (<mark>), in titles and in a snippet
    of the explainer or article; the source's own markup (a title holding <script>) stays
    text: every piece is escaped, and nothing but <mark> is added."""
    response = client.get("/search", params={"q": "festival script"})
    assert "<script>alert" not in response.text and "<b>boats</b>" not in response.text
    doc = page(response)
    (story,) = [
        li
        for li in doc.xpath('//section[@aria-labelledby="stories-h"]//li')
        if li.xpath(f'.//a[@href="/stories/{library.hostile_story}"]')
    ]
    title = story.xpath(".//h3/a")[0]
    assert [m.text for m in title.xpath(".//mark")] == ["script", "script", "Festival"]
    assert text_of(title) == HOSTILE_TITLE  # the markup, as text
    assert not title.xpath(".//*[not(self::mark)]")  # no element but the marks
    snippet = story.xpath('.//p[@class="first-line"]')[0]
    assert "festival" in [m.text.lower() for m in snippet.xpath(".//mark")]
    articles = doc.xpath('//section[@aria-labelledby="articles-h"]//li')
    assert any(li.xpath('.//p[@class="snippet"]/mark') for li in articles)
    # stemmed like the search: "bridges reopened" marks "Bridge" and "Reopens"
    doc = page(client.get("/search", params={"q": "bridges reopened"}))
    assert {m.text for m in doc.xpath("//main//mark")} == {"Bridge", "Reopens", "reopened"}
    # the API gives plain text and where the matches are, for a client to mark
    (first, *_) = client.get("/api/v1/search", params={"q": "bridges reopened"}).json()["stories"]
    assert [first["title"][a:b] for a, b in first["match"]["title"]] == ["Bridge", "Reopens"]
    snippet = first["match"]["snippet"]
    assert [snippet[a:b] for a, b in first["match"]["snippet_marks"]] == ["Bridge", "reopened"]


def test_marked_pieces_and_snippets():
    from storybrief.readers import marked, snippet, spans

    pieces = marked("Économie: the <b>elections</b> & Election day", ["economie", "election"])
    assert pieces == [
        ("Économie", True),
        (": the <b>", False),
        ("elections", True),
        ("</b> & ", False),
        ("Election", True),
        (" day", False),
    ]
    assert spans(pieces) == [(0, 8), (17, 26), (33, 41)]
    assert marked("nothing here", ["bridge"]) == [("nothing here", False)]
    long = " ".join(f"word{i}" for i in range(80)) + " the bridge " + "tail " * 60
    cut = snippet(["No match here.", long], ["bridges"])
    assert cut is not None and "bridge" in cut and cut.startswith("… ") and cut.endswith(" …")
    assert len(cut) <= 250
    assert snippet(["Short bridge line."], ["bridge"]) == "Short bridge line."
    assert snippet(["nothing"], ["bridge"]) is None


def test_search_filters_by_topic_outlet_and_day(library, client):
    """Filters on the page and in the API: topic, outlet, days (both ends included); a day
    that cannot be read is named and left out, the rest of the search still runs."""
    store = library.store
    pair = store.stories.get(library.pair_story)
    (outlet,) = pair.outlets[:1]
    by_outlet = client.get("/api/v1/search", params={"q": "bridge", "outlet": outlet}).json()
    assert [s["id"] for s in by_outlet["stories"]] == [library.pair_story]
    assert by_outlet["articles"] and all(a["site_name"] == outlet for a in by_outlet["articles"])
    other = client.get("/api/v1/search", params={"q": "bridge", "outlet": "Nobody Times"}).json()
    assert other["stories"] == [] and other["articles"] == []
    # only filters: the newest they keep
    listed = client.get("/api/v1/search", params={"outlet": outlet}).json()
    assert library.pair_story in [s["id"] for s in listed["stories"]]
    # days: the articles' own publication days
    published = [
        a.published_at for a in store.articles.summaries(limit=100) if a.site_name == outlet
    ]
    day = min(p for p in published if p).date()
    inside = client.get(
        "/api/v1/search", params={"q": "bridge", "since": str(day), "until": str(day)}
    ).json()
    assert inside["articles"] and inside["since"] == str(day)
    before = client.get("/api/v1/search", params={"q": "bridge", "until": "2000-01-01"}).json()
    assert before["stories"] == [] and before["articles"] == []
    # a topic: the story's
    if pair.topic_slug:
        kept = client.get("/api/v1/search", params={"q": "bridge", "topic": pair.topic_slug})
        assert library.pair_story in [s["id"] for s in kept.json()["stories"]]
    none = client.get("/api/v1/search", params={"q": "bridge", "topic": "no-such-topic"}).json()
    assert none["stories"] == [] and none["articles"] == []
    # the API refuses what it cannot read, naming it
    assert client.get("/api/v1/search").status_code == 422
    assert "since" in client.get("/api/v1/search?q=a&since=2026-13-01").text
    assert client.get("/api/v1/search?q=a&since=2026-02-02&until=2026-02-01").status_code == 422
    # the page: the filters are a form; a bad day is named and the search still runs
    doc = page(client.get("/search", params={"q": "bridge", "outlet": outlet, "since": "soon"}))
    assert doc.xpath(f'//select[@name="outlet"]/option[@selected][@value="{outlet}"]')
    (problem,) = doc.xpath('//p[@role="alert"]')
    assert "'soon' is not a day" in text_of(problem)
    assert f"/stories/{library.pair_story}" in doc.xpath(
        '//section[@aria-labelledby="stories-h"]//a/@href'
    )
    nobody = page(client.get("/search", params={"q": "bridge", "outlet": "Nobody Times"}))
    assert "No story matches." in text_of(nobody)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_store_search_on_both_databases(backend, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch)
    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        library = populate(settings, store, tmp_path)
        results = store.search.find("bridges reopened")  # stemmed: bridge, reopen
        assert results.stories[0].id == library.pair_story
        assert "Harbor Bridge" in (results.articles[0].title or "")
        by_name = store.search.find("PYONGYANG")
        assert [s.id for s in by_name.stories] == [library.example_story]
        assert store.search.find("festival fireworks").stories[0].id == library.hostile_story
        assert store.search.find("zzzqqq").stories == [] and store.search.find("   ").articles == []
        # filters: an outlet, a topic, days, and filters alone
        pair = store.stories.get(library.pair_story)
        outlet = pair.outlets[0]
        kept = store.search.find("bridges", filters=SearchFilters(outlet=outlet))
        assert [s.id for s in kept.stories] == [library.pair_story]
        assert all(a.site_name == outlet for a in kept.articles) and kept.articles
        gone = store.search.find("bridges", filters=SearchFilters(outlet="Nobody Times"))
        assert gone.stories == [] and gone.articles == []
        old = datetime(2000, 1, 1, tzinfo=UTC)
        assert store.search.find("bridges", filters=SearchFilters(until=old)).articles == []
        assert store.search.find("bridges", filters=SearchFilters(since=old)).articles
        topical = store.search.find("", filters=SearchFilters(topic_slug=pair.topic_slug or "x"))
        assert [s.id for s in topical.stories] == ([library.pair_story] if pair.topic_slug else [])
        alone = store.search.find("", filters=SearchFilters(outlet=outlet))
        assert library.pair_story in [s.id for s in alone.stories]
        assert (outlet, len(alone.articles)) in store.search.outlets()
        if backend == "postgresql":
            assert_search_reads_the_indexes(store)


def assert_search_reads_the_indexes(store: Store) -> None:
    """The statements a search sends can be answered from the GIN indexes of migration 0003
    (sequential scans are switched off so that the planner shows whether it can)."""
    from sqlalchemy import event, text

    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "@@" in statement:
            sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.search.find("bridges reopened")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert len(sent) == 3
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plans = [
            "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
            for sql, params in sent
        ]
        names = set(conn.execute(text("SELECT indexname FROM pg_indexes")).scalars())
    for index in ("ix_articles_search", "ix_stories_search", "ix_explainer_sentences_search"):
        assert index in names
        assert any(index in plan for plan in plans), (index, plans)


# -- serving -----------------------------------------------------------------------------------


def test_binding_beyond_loopback_needs_a_token(tmp_path, monkeypatch):
    open_settings = make_settings(tmp_path, monkeypatch, api_token=None)
    check_bind("127.0.0.1", open_settings)
    check_bind("::1", open_settings)
    check_bind("localhost", open_settings)
    with pytest.raises(ConfigError, match="needs an API token"):
        check_bind("0.0.0.0", open_settings)
    check_bind("0.0.0.0", make_settings(tmp_path, monkeypatch))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "needs an API token" in result.output


def test_settings_secret_key_is_created_once_and_kept(tmp_path, monkeypatch):
    from storybrief.serve.security import secret_key

    settings = make_settings(tmp_path, monkeypatch)
    first = secret_key(settings)
    assert len(first) == 32 and secret_key(settings) == first
    assert (tmp_path / "serve-secret").stat().st_mode & 0o077 == 0
    fixed = make_settings(tmp_path, monkeypatch, secret_key="s3cret")
    assert secret_key(fixed) == b"s3cret"


def test_app_is_built_per_call_and_opens_its_own_store(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    settings = make_settings(tmp_path, monkeypatch)
    with TestClient(create_app(settings)) as c:
        assert "No stories yet" in c.get("/").text
    assert re.search(r"storybrief\.db$", settings.resolved_database_url)


def test_the_serve_command_serves_the_explained_example(tmp_path):
    """What a new user does: explain the example, then `storybrief serve`, then open it."""
    import os
    import socket
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    command = [sys.executable, "-c", "from storybrief.cli import main; main()"]
    common = [*command, "--data-dir", str(tmp_path)]
    explained = subprocess.run(
        [*common, "explain", "--example"], env=env, capture_output=True, text=True, timeout=120
    )
    assert explained.returncode == 0, explained.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*common, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # a generous start-up guard on a busy machine
        while True:
            try:
                front = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "storybrief serve did not start"
                time.sleep(0.1)
        doc = page(front)
        (link,) = doc.xpath('//li[@class="story-item"]//h3/a')
        assert "Kim" in text_of(link)
        story = page(httpx.get(f"http://127.0.0.1:{port}{link.get('href')}", timeout=5))
        assert "What is the story about?" in text_of(story)
        assert story.xpath('//a[@class="cite"]')
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out


def test_only_web_urls_become_links(library, client):
    """A source whose URL is javascript: (or data:) is shown without a link."""
    from storybrief.records import Article

    text = " ".join(
        f"The harbour authority said on Monday that ferry number {n} would resume service."
        for n in range(1, 8)
    )
    stored = library.store.articles.upsert(
        Article(text=text, title="Ferries resume", url="javascript:alert(1)")
    ).article
    hrefs = page(client.get(f"/articles/{stored.id}")).xpath("//a/@href")
    assert hrefs and not any(h.strip().lower().startswith(("javascript:", "data:")) for h in hrefs)
    safe = library.store.articles.upsert(
        Article(text=text + " More.", title="Ferries", url="https://news.example/ferries")
    ).article
    links = page(client.get(f"/articles/{safe.id}")).xpath("//a/@href")
    assert "https://news.example/ferries" in links
