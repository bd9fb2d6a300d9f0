"""The operator page (`/operator`), its sign-in, the OPML export over HTTP, and the API docs
(`/docs`): through a real uvicorn server on 127.0.0.1 over a real SQLite store with feeds,
failures and reader answers on several days."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import lxml.html
import pytest
from tests.appserver import (
    AUTH,
    TOKEN,
    AppServer,
    Library,
    make_settings,
    populate,
    populated_library,
)
from tests.dbs import database_url
from tests.test_serve import page, text_of

from storybrief.library import Library as StorybriefLibrary
from storybrief.serve import create_app
from storybrief.serve.dashboard import chart, relative
from storybrief.serve.operator import SESSION_COOKIE, new_session, session_ok
from storybrief.serve.security import Signer
from storybrief.store import DailyAnswers, Store

pytest_plugins = ["tests.serve_fixtures"]  # server, client (over this module's library)

NOW = datetime.now(UTC)
FAILING_REASON = "HTTP 503 from 127.0.0.1: Service Unavailable"
NEXT_POLL = NOW + timedelta(hours=14, minutes=30)  # the healthy feed's: not due for hours,
# however long the suite runs before this module's tests (NOW is taken at collection)


def add_operator_data(library: Library) -> dict[str, object]:
    """Two feeds (one healthy, one failing three times), an ingest failure, and readers'
    answers to the example's explainer spread over three days."""
    store = library.store
    healthy = store.feeds.add("https://news.example/world.rss", title="World news")
    store.feeds.record_poll_success(
        healthy.id,
        next_poll_at=NEXT_POLL,
        etag=None,
        last_modified=None,
        items=12,
        at=NOW - timedelta(minutes=1),
    )
    failing = store.feeds.add("https://broken.example/feed.xml")
    for _ in range(3):
        store.feeds.record_poll_failure(
            failing.id, reason=FAILING_REASON, next_poll_at=NOW - timedelta(minutes=2), at=NOW
        )
    store.failures.record("https://broken.example/a.html", "no article text found")
    stored = store.explainers.latest(library.example_story)
    answers = [(0, "r1", True), (0, "r2", True), (0, "r3", False), (1, "r4", False)]
    answers += [(2, "r5", True)]
    for _, reader, useful in answers:
        store.feedback.record(stored.id, reader, useful, None if useful else "Too vague")
    from sqlalchemy import text

    with store.engine.begin() as conn:  # answers given on earlier days
        for days_ago, reader, _ in answers:
            conn.execute(
                text("UPDATE feedback SET updated_at = :at WHERE reader_id = :r"),
                {"at": NOW - timedelta(days=days_ago), "r": reader},
            )
    return {"healthy": healthy, "failing": failing, "explainer": stored}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with populated_library(tmp_path_factory.mktemp("operator")) as populated:
        populated.extra = add_operator_data(populated)  # type: ignore[attr-defined]
        yield populated


def sign_in(client: httpx.Client, token: str = TOKEN) -> httpx.Response:
    form = page(client.get("/operator/login"))
    csrf = form.xpath("//form[@action='/operator/login']//input[@name='csrf']/@value")[0]
    return client.post("/operator/login", data={"token": token, "csrf": csrf})


# -- signing in --------------------------------------------------------------------------------


def test_the_operator_page_needs_the_token(client):
    first = client.get("/operator")
    assert first.status_code == 303 and first.headers["location"] == "/operator/login"
    assert first.headers["cache-control"] == "no-store"
    wrong = client.get("/operator", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    opml = client.get("/operator/feeds.opml")
    assert opml.status_code == 401 and "sign in at /operator/login" in opml.text
    assert client.get("/operator/feeds.opml", headers={"Accept": "application/json"}).json() == {
        "detail": "sign in at /operator/login, or send Authorization: Bearer <api_token>"
    }
    login = page(client.get("/operator/login"))
    assert login.xpath("//input[@name='token'][@type='password']")
    assert "API token" in text_of(login.xpath("//label[@for='token']")[0])


def test_signing_in_sets_a_strict_http_only_cookie(client):
    wrong = sign_in(client, "not-the-token")
    assert wrong.status_code == 401
    assert "That is not this server's API token." in text_of(lxml.html.fromstring(wrong.text))
    assert SESSION_COOKIE not in client.cookies
    signed = sign_in(client)
    assert signed.status_code == 303 and signed.headers["location"] == "/operator"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/operator" in cookie.lower()
    assert "secure" not in attributes  # plain http on loopback; https sets it
    assert TOKEN not in cookie
    assert client.get("/operator").status_code == 200
    assert client.get("/operator/login").headers["location"] == "/operator"
    # signing out forgets it
    doc = page(client.get("/operator"))
    csrf = doc.xpath("//form[@action='/operator/logout']//input[@name='csrf']/@value")[0]
    out = client.post("/operator/logout", data={"csrf": csrf})
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    assert client.get("/operator").status_code == 303


def test_over_https_the_cookie_is_secure(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    settings = make_settings(tmp_path, monkeypatch)
    with (
        Store.open(settings) as store,
        TestClient(create_app(settings, store), base_url="https://testserver") as c,
    ):
        form = page(c.get("/operator/login"))
        csrf = form.xpath("//input[@name='csrf']/@value")[0]
        signed = c.post(
            "/operator/login", data={"token": TOKEN, "csrf": csrf}, follow_redirects=False
        )
        assert signed.status_code == 303
        attributes = [a.strip().lower() for a in signed.headers["set-cookie"].split(";")]
        assert "secure" in attributes and "httponly" in attributes
        assert c.get("/operator").status_code == 200


def test_sign_in_refuses_forged_and_cross_site_posts(server, client):
    page(client.get("/operator/login"))  # a reader cookie, but no form token
    forged = client.post("/operator/login", data={"token": TOKEN, "csrf": "0" * 32})
    assert forged.status_code == 403 and SESSION_COOKIE not in client.cookies
    form = page(client.get("/operator/login"))
    csrf = form.xpath("//input[@name='csrf']/@value")[0]
    cross = client.post(
        "/operator/login",
        data={"token": TOKEN, "csrf": csrf},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403 and "cross-site" in cross.text
    with httpx.Client(base_url=server.url) as fresh:  # no reader cookie at all
        assert fresh.post("/operator/login", data={"token": TOKEN, "csrf": csrf}).status_code == 403


def test_wrong_tokens_are_rate_limited(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch, token_failures_per_minute=3)
    with (
        Store.open(settings) as store,
        AppServer(create_app(settings, store)) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        for _ in range(3):
            assert sign_in(c, "guess").status_code == 401
        limited = sign_in(c)  # even the right token waits now
        assert limited.status_code == 429 and "retry-after" in limited.headers
        assert "token_failures_per_minute is 3" in limited.text
        assert c.get("/operator", headers=AUTH).status_code == 429
        assert SESSION_COOKIE not in c.cookies


def test_without_a_configured_token_the_operator_page_is_off(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch, api_token=None)
    with Store.open(settings) as store, AppServer(create_app(settings, store)) as server:
        answer = httpx.get(server.url + "/operator")
        assert answer.status_code == 403 and "serve.api_token" in answer.text


def test_session_cookies_cannot_be_forged_or_outlive_the_token():
    signer = Signer(b"k" * 32)
    cookie = new_session(signer, "token-a", now=1_000_000, session_id="s1")
    assert session_ok(signer, "token-a", cookie, now=1_000_001) == "s1"
    assert not session_ok(signer, "token-b", cookie, now=1_000_001)  # the token changed
    assert not session_ok(signer, "token-a", cookie, now=1_000_000 + 13 * 3600)  # expired
    expires, session, mac = cookie.split(".")
    assert not session_ok(signer, "token-a", f"{int(expires) + 9999}.{session}.{mac}")
    assert not session_ok(signer, "token-a", f"{expires}.s2.{mac}", now=1_000_001)
    assert not session_ok(Signer(b"x" * 32), "token-a", cookie, now=1_000_001)
    for junk in (None, "", "abc", "1.2.3", "1.2.3.4", "x" * 200):
        assert not session_ok(signer, "token-a", junk, now=1_000_001)


# -- what it shows ------------------------------------------------------------------------------


def test_the_operator_page_shows_feeds_pending_work_failures_and_feedback(library, client):
    assert sign_in(client).status_code == 303
    before = datetime.now(UTC)
    response = client.get("/operator")
    after = datetime.now(UTC)
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    doc = page(response)
    assert text_of(doc.xpath("//h1")[0]) == "Operator"

    rows = doc.xpath("//table[@class='feeds']/tbody/tr")
    assert [r.get("class") for r in rows] == ["failing", "ok"]  # failing feeds first
    failing, healthy = (text_of(r) for r in rows)
    assert "https://broken.example/feed.xml" in failing and "failing (3×)" in failing
    assert FAILING_REASON in failing and "due now" in failing and "never" in failing
    assert "World news" in healthy and "https://news.example/world.rss" in healthy
    # NOW is taken when the module is collected: minutes may pass before this test runs
    assert any(relative(NEXT_POLL, t) in healthy for t in (before, after)), healthy
    assert "none" in healthy and healthy.endswith("12")
    assert "2 feeds, 1 failing" in text_of(doc.xpath("//ul[@class='summary']")[0])

    figures = {
        text_of(d.xpath("dt")[0]): text_of(d.xpath("dd")[0])
        for d in doc.xpath("//dl[@class='figures']/div")
    }
    lib = StorybriefLibrary(library.settings, library.store)
    pending, hour = lib.pending(), lib.throughput(hours=1)
    assert figures["Feeds due"] == str(pending.feeds_due) == "1"
    assert figures["Stories waiting for a first explainer"] == str(
        pending.stories_without_explainer
    )
    assert figures["Stories with nothing publishable (until an article joins)"] == str(
        pending.stories_unexplainable
    )
    assert hour["articles"] == 4 and hour["explainers"] == 3  # what populate() stored
    assert figures["Articles stored, last hour / 24 h"] == "4 / 4"
    assert figures["Explainers written, last hour / 24 h"] == "3 / 3"

    failures = text_of(doc.xpath("//table[@class='failures']")[0])
    assert "https://broken.example/a.html" in failures and "no article text found" in failures

    stored = library.extra["explainer"]  # type: ignore[attr-defined]
    (row,) = doc.xpath("//table[@class='versions']/tbody/tr")
    cells = [text_of(c) for c in row.xpath("th|td")]
    assert cells[0] == f"{stored.document['headline']} v{stored.version}"
    assert row.xpath(".//a/@href") == [f"/stories/{library.example_story}?version=1"]
    assert cells[1:4] == ["3", "2", "60%"]
    assert "“Too vague”" in cells[5]
    (svg,) = row.xpath(".//*[local-name()='svg']")
    assert svg.get("role") == "img"
    title = text_of(svg.xpath("./*[local-name()='title']")[0])
    assert title.endswith(": 3 Yes, 2 No")
    assert any(f"{t:%d %b %Y}" in title for t in (before, after)), title  # the page's today
    days = [text_of(t) for t in svg.xpath(".//*[local-name()='g']/*[local-name()='title']")]
    two_days_ago, yesterday, today = (NOW - timedelta(days=d) for d in (2, 1, 0))
    assert days == [
        f"{two_days_ago:%d %b}: 1 Yes, 0 No",
        f"{yesterday:%d %b}: 0 Yes, 1 No",
        f"{today:%d %b}: 2 Yes, 1 No",
    ]
    assert len(svg.xpath(".//*[local-name()='rect']")) == 4  # today: a Yes bar and a No bar
    overall = doc.xpath("//figure[@class='overall']//*[local-name()='title']")[0]
    assert text_of(overall).endswith(": 3 Yes, 2 No")
    assert not doc.xpath("//script[not(@src)]") and not doc.xpath("//*[@style]")


def test_scripts_use_the_bearer_token_and_export_opml(library, client):
    assert client.get("/operator", headers=AUTH).status_code == 200
    opml = client.get("/operator/feeds.opml", headers=AUTH)
    assert opml.status_code == 200 and opml.headers["content-type"].startswith("text/x-opml")
    assert opml.headers["cache-control"] == "no-store"
    assert "attachment" in opml.headers["content-disposition"]
    assert opml.text == StorybriefLibrary(library.settings, library.store).feeds.export_opml()
    outlines = ET.fromstring(opml.content).findall("./body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [
        "https://news.example/world.rss",
        "https://broken.example/feed.xml",
    ]
    assert outlines[0].get("text") == "World news"
    assert sign_in(client).status_code == 303  # and with the sign-in cookie
    assert client.get("/operator/feeds.opml").text == opml.text


def test_the_chart_draws_yes_up_and_no_down_per_day():
    last = date(2026, 3, 10)
    drawn = chart(
        [
            DailyAnswers(1, date(2026, 3, 8), 4, 0),
            DailyAnswers(2, date(2026, 3, 8), 0, 2),
            DailyAnswers(1, date(2026, 3, 10), 1, 1),
            DailyAnswers(1, date(2026, 1, 1), 9, 9),  # outside the window
        ],
        last=last,
        count=5,
    )
    assert [b.day for b in drawn.bars] == [last - timedelta(days=d) for d in range(4, -1, -1)]
    assert [(b.yes, b.no) for b in drawn.bars] == [(0, 0), (0, 0), (4, 2), (0, 0), (1, 1)]
    assert (drawn.yes, drawn.no) == (5, 3)
    tallest = drawn.middle - 2
    busiest = drawn.bars[2]
    assert busiest.yes_height == pytest.approx(tallest)  # the largest day fills its half
    assert busiest.yes_y == pytest.approx(drawn.middle - tallest)
    assert busiest.no_height == pytest.approx(tallest / 2)
    assert drawn.bars[4].yes_height == pytest.approx(tallest / 4)
    assert drawn.summary == "Answers per day, 06 Mar to 10 Mar 2026: 5 Yes, 3 No"
    empty = chart([], last=last, count=3)
    assert all(b.yes_height == 0 == b.no_height for b in empty.bars)


def test_relative_times_read_at_a_glance():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert relative(now + timedelta(minutes=14, seconds=59), now) == "in 14 min"
    assert relative(now - timedelta(hours=3, minutes=5), now) == "3 h ago"
    assert relative(now + timedelta(days=2), now) == "in 2 d"
    assert relative(now + timedelta(seconds=20), now) == "in under a minute"
    assert relative(None, now) == "never"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_answers_per_day_on_both_databases(backend, tmp_path, monkeypatch):
    settings = make_settings(tmp_path, monkeypatch)
    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        lib = populate(settings, store, tmp_path)
        ids = [store.explainers.latest(s).id for s in (lib.example_story, lib.pair_story)]
        for n, (explainer, useful) in enumerate([(0, True), (0, False), (1, True), (0, True)]):
            store.feedback.record(ids[explainer], f"reader-{n}", useful)
        from sqlalchemy import text

        with store.engine.begin() as conn:
            # every answer at a time the test sets: "today" is NOW's day, even when the test
            # runs past midnight after the module took NOW
            conn.execute(text("UPDATE feedback SET updated_at = :at"), {"at": NOW})
            conn.execute(
                text("UPDATE feedback SET updated_at = :at WHERE reader_id = 'reader-0'"),
                {"at": NOW - timedelta(days=3)},
            )
            conn.execute(
                text("UPDATE feedback SET updated_at = :at WHERE reader_id = 'reader-3'"),
                {"at": NOW - timedelta(days=40)},
            )
        library = StorybriefLibrary(settings, store)
        today, earlier = NOW.date(), (NOW - timedelta(days=3)).date()
        assert library.readers.feedback_by_day(days=30, now=NOW) == [
            DailyAnswers(ids[0], earlier, 1, 0),
            DailyAnswers(ids[0], today, 0, 1),
            DailyAnswers(ids[1], today, 1, 0),
        ]
        assert library.readers.feedback_by_day([ids[1]], days=30, now=NOW) == [
            DailyAnswers(ids[1], today, 1, 0)
        ]
        assert library.readers.feedback_by_day([], now=NOW) == []
        assert len(library.readers.feedback_by_day(days=60, now=NOW)) == 4


# -- API docs -----------------------------------------------------------------------------------


def test_api_docs_are_served_from_the_app_without_inline_script(client):
    response = client.get("/docs")
    doc = page(response)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    scripts = doc.xpath("//script")
    assert scripts and all(s.get("src", "").startswith("/") for s in scripts)
    assert all(not (s.text or "").strip() for s in scripts)
    assert not doc.xpath("//*[@style]")
    urls = [s.get("src") for s in scripts] + doc.xpath("//link[@rel='stylesheet']/@href")
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"] and b"SwaggerUIBundle" in bundle.content
    assert doc.xpath("//main/@data-openapi") == ["/api/v1/openapi.json"]
    assert not [u for u in urls if "//" in u]  # nothing from another host


def test_the_items_column_is_the_feeds_item_count_not_a_sum_over_polls(test_settings):
    """Issue 30: a 40-item feed showed 343 items after some polls. A feed of 2 items polled,
    grown to 3 and polled, then polled unchanged (304): the operator page says 3."""
    from tests.newssite import NewsSite
    from tests.servers import LocalHTTPServer

    from storybrief.serve.dashboard import overview

    settings = test_settings.changed(
        **{"cluster.vectors": "hashing", "fetch.per_host_delay": 0.0, "fetch.obey_robots": False}
    )
    with LocalHTTPServer() as server, StorybriefLibrary(settings) as lib:
        site = NewsSite(server)
        site.publish("bridge", 2)
        (feed,) = lib.feeds.add(site.feed_url)
        counts = []
        for grow in (0, 1, 0):
            if grow:
                site.publish("library", grow)
            report = lib.feeds.poll(feed.id, cluster=False)
            (row,) = overview(lib).feeds
            counts.append((report.status, row.feed.items_seen))
    assert counts == [("ok", 2), ("ok", 3), ("unchanged", 3)]
