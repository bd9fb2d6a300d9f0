"""What makes pages fast must not make them wrong: the rendered-page cache and conditional
requests never serve something stale (a new explainer version, a new source article, new
feedback, written by this process or another), readers still see their own answer and get
their own CSRF token, and the rate limits hold across several server processes. Real uvicorn
servers on 127.0.0.1, over real databases."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import lxml.html
import pytest
from fastapi.responses import Response
from sqlalchemy import text
from tests.appserver import EXAMPLE, AppServer, Library, make_settings, populated_library
from tests.dbs import database_url

from storybrief.api import explain
from storybrief.records import Article
from storybrief.serve import create_app
from storybrief.serve.cache import ResponseCache
from storybrief.serve.pages import CSRF_PLACEHOLDER
from storybrief.serve.security import SharedRateLimiter
from storybrief.settings import Settings
from storybrief.store import Store

ROOT = Path(__file__).resolve().parent.parent


# a fresh store and server for each test (tests.serve_fixtures makes one per module): each
# test here writes what the caches must notice
@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with populated_library(tmp_path) as populated:
        yield populated


@pytest.fixture
def server(library: Library) -> Iterator[AppServer]:
    with AppServer(create_app(library.settings, library.store)) as running:
        yield running


def text_of(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).text_content().split())


def form_of(html: str) -> dict[str, str]:
    doc = lxml.html.fromstring(html)
    return {
        "csrf": doc.xpath('//input[@name="csrf"]/@value')[0],
        "explainer_id": doc.xpath('//input[@name="explainer_id"]/@value')[0],
    }


def new_version(library: Library, story_id: int) -> int:
    """Write a new explainer version of a story (through another Store: another connection)."""
    with Store.open(library.settings) as other:
        result = explain(story_id=story_id, settings=library.settings, store=other, regenerate=True)
    assert result.version is not None
    return result.version


# -- the cache serves what is current ------------------------------------------------------------


def test_pages_are_kept_and_checked_on_every_request(library, server):
    with httpx.Client(base_url=server.url) as c:
        url = f"/stories/{library.example_story}"
        first = c.get(url)
        cache = server.config.app.state.response_cache
        hits = cache.hits
        again = c.get(url)
        assert again.status_code == 200 and cache.hits == hits + 1  # served from the cache
        # the same page, down to each reader's own token
        assert again.text == first.text
        assert CSRF_PLACEHOLDER not in again.text


def test_no_stale_page_after_a_new_explainer_version(library, server):
    story = library.example_story
    with httpx.Client(base_url=server.url) as c:
        before_page = c.get(f"/stories/{story}").text
        before_json = c.get(f"/api/v1/stories/{story}/explainer").json()
        before_front = c.get("/").text
        assert "version 1" in text_of(before_page)
        version = new_version(library, story)
        assert version == 2
        page = text_of(c.get(f"/stories/{story}").text)
        assert f"version {version}" in page and "Earlier versions" in page
        latest = library.store.explainers.latest(story)
        assert c.get(f"/api/v1/stories/{story}/explainer").json() == latest.document
        assert before_json == library.store.explainers.versions(story)[1].document
        front = c.get("/").text
        assert front != before_front
        # the version asked for by number is still the old one
        old = text_of(c.get(f"/stories/{story}?version=1").text)
        assert "You are reading version 1" in old


def test_no_stale_page_after_a_new_source_article(library, server):
    story = library.pair_story
    with httpx.Client(base_url=server.url) as c:
        assert "The Third Outlet" not in c.get(f"/stories/{story}").text
        assert "The Third Outlet" not in c.get("/").text
        json_before = c.get(f"/api/v1/stories/{story}/explainer").json()
        # a third outlet's report joins the story, written through another connection
        with Store.open(library.settings) as other:
            first = other.articles.get(other.stories.article_ids(story)[0])
            stored = other.articles.upsert(
                Article(
                    text=first.text.replace("said", "told reporters", 1),
                    title=f"{first.title} (third report)",
                    site_name="The Third Outlet",
                    url="https://third.example/report",
                )
            )
            assert stored.article.id is not None
            other.stories.add_articles(story, [stored.article.id])
        page = c.get(f"/stories/{story}").text
        assert (
            "The Third Outlet"
            in lxml.html.fromstring(page)
            .xpath('//p[@class="coverage-line"]/span[@class="outlets"]')[0]
            .text_content()
        )
        assert "The Third Outlet" in c.get("/").text
        # explained again with it: the new source is in the explainer's source list
        new_version(library, story)
        latest = library.store.explainers.latest(story).document
        assert "The Third Outlet" in {s.get("outlet") for s in latest["sources"]}
        assert c.get(f"/api/v1/stories/{story}/explainer").json() == latest != json_before


def test_readers_see_their_own_answer_and_only_theirs(library, server):
    url = f"/stories/{library.example_story}"
    with (
        httpx.Client(base_url=server.url) as alice,
        httpx.Client(base_url=server.url) as bob,
    ):
        bob_before = bob.get(url).text
        fields = form_of(alice.get(url).text)
        answered = alice.post(
            f"{url}/feedback", data={**fields, "useful": "no", "reason": "too short"}
        )
        assert answered.status_code == 303
        saved = text_of(alice.get(answered.headers["location"]).text)
        assert "Your answer: No (“too short”)" in saved and "Thank you" in saved
        again = alice.get(url).text
        assert "Your answer: No (“too short”)" in text_of(again)
        # Bob has not answered: his page (the same page, cached) shows no answer, and his
        # form carries his own token, not Alice's
        bob_after = bob.get(url).text
        assert "Your answer" not in text_of(bob_after)
        assert form_of(bob_after)["csrf"] == form_of(bob_before)["csrf"] != fields["csrf"]
        # a changed answer shows at once
        alice.post(f"{url}/feedback", data={**form_of(again), "useful": "yes"})
        assert "Your answer: Yes" in text_of(alice.get(url).text)


def test_csrf_protection_stays(library, server):
    url = f"/stories/{library.example_story}"
    with (
        httpx.Client(base_url=server.url) as alice,
        httpx.Client(base_url=server.url) as mallory,
    ):
        alice_form = form_of(alice.get(url).text)
        mallory_form = form_of(mallory.get(url).text)
        assert alice_form["csrf"] != mallory_form["csrf"]
        assert re.fullmatch(r"[0-9a-f]{32}", alice_form["csrf"])
        # Mallory's own (valid, cached-page) token does not pass for Alice
        forged = alice.post(f"{url}/feedback", data={**mallory_form, "useful": "yes"})
        assert forged.status_code == 403
        assert (
            alice.post(f"{url}/feedback", data={**alice_form, "useful": "yes"}).status_code == 303
        )


def test_conditional_requests(library, server):
    story = library.example_story
    with httpx.Client(base_url=server.url) as c:
        for url in (f"/stories/{story}", "/", f"/api/v1/stories/{story}/explainer"):
            first = c.get(url)
            etag = first.headers["etag"]
            assert first.headers["cache-control"] == "no-cache"
            same = c.get(url, headers={"If-None-Match": etag})
            assert same.status_code == 304 and same.content == b""
            assert same.headers["etag"] == etag
            assert c.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        # each reader's story page has its own tag (it carries the reader's token)
        with httpx.Client(base_url=server.url) as other:
            assert (
                other.get(f"/stories/{story}").headers["etag"]
                != c.get(f"/stories/{story}").headers["etag"]
            )
        page_tag = c.get(f"/stories/{story}").headers["etag"]
        json_tag = c.get(f"/api/v1/stories/{story}/explainer").headers["etag"]
        new_version(library, story)
        changed = c.get(f"/stories/{story}", headers={"If-None-Match": page_tag})
        assert changed.status_code == 200 and changed.headers["etag"] != page_tag
        changed = c.get(f"/api/v1/stories/{story}/explainer", headers={"If-None-Match": json_tag})
        assert changed.status_code == 200 and changed.headers["etag"] != json_tag


def test_the_same_data_version_in_two_processes_never_gives_two_bodies_one_tag():
    """Each process counts SQLite's data version on its own connection (from 1 at its start),
    so two workers, or one before and after a restart, can keep answers with the same key and
    version for different data: the tag must come from what is sent."""
    one, two = ResponseCache(lambda: "s1"), ResponseCache(lambda: "s1")
    a = one.put(("story", 1), "s1", Response(b"version 1", media_type="text/html"))
    b = two.put(("story", 1), "s1", Response(b"version 2", media_type="text/html"))
    c = two.put(("story", 2), "s9", Response(b"version 1", media_type="text/html"))
    assert a.tag != b.tag and a.tag == c.tag


def test_a_tag_from_before_a_restart_never_matches_other_data(library):
    """SQLite's data version counts from the start of each process's connection, so a server
    started after a write can hold the version an earlier server had for other data: the tag
    names what was sent, and a browser's old tag gets the new page, not a 304."""
    story, url = library.example_story, f"/api/v1/stories/{library.example_story}/explainer"
    with AppServer(create_app(library.settings, library.store)) as first:
        old = httpx.get(first.url + url)
    new_version(library, story)
    with AppServer(create_app(library.settings, library.store)) as second:
        again = httpx.get(second.url + url, headers={"If-None-Match": old.headers["etag"]})
        assert again.status_code == 200 and again.json() != old.json()
        assert again.headers["etag"] != old.headers["etag"]
        same = httpx.get(second.url + url, headers={"If-None-Match": again.headers["etag"]})
        assert same.status_code == 304


def test_private_reads_are_never_answered_from_the_shared_fast_path(library, tmp_path, monkeypatch):
    """With public_read off, an answer kept for a client with the token is not given to one
    without it: only answers the same for everyone skip the route's checks."""
    settings = make_settings(tmp_path, monkeypatch, public_read=False)
    url = f"/api/v1/stories/{library.example_story}/explainer"
    token = {"Authorization": "Bearer test-token-0123456789"}
    with (
        AppServer(create_app(settings, library.store)) as running,
        httpx.Client(base_url=running.url) as c,
    ):
        assert c.get(url, headers=token).status_code == 200
        assert c.get(url, headers=token).status_code == 200  # kept
        assert c.get(url).status_code == 401
        assert c.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert running.config.app.state.response_cache.shared == {}


def test_shared_answers_skip_the_route_and_keep_the_security_headers(library, server):
    with httpx.Client(base_url=server.url) as c:
        first = c.get("/")
        cache = server.config.app.state.response_cache
        assert cache.shared  # the front page is the same for everyone
        fast = cache.fast_answers
        again = c.get("/")
        assert cache.fast_answers == fast + 1 and again.content == first.content
        for name in ("content-security-policy", "x-content-type-options", "etag"):
            assert again.headers[name] == first.headers[name]
        assert again.headers["content-type"] == first.headers["content-type"]
        assert c.head("/").content == b"" and c.head("/").headers["etag"] == first.headers["etag"]
        assert c.get("/", headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_story_views_skip_the_route_with_a_working_reader_cookie_and_answer(library, server):
    """A reader without a cookie cannot have answered: the fast path answers them with a new
    reader cookie and that reader's CSRF token, which work like the route's."""
    url = f"/stories/{library.example_story}"
    signer = server.config.app.state.signer
    with httpx.Client(base_url=server.url) as first:
        first.get(url)  # the route runs and lets the fast path answer the next first visits
    cache = server.config.app.state.response_cache
    assert any(found[1] is not None for found in cache.shared.values())
    for cookie in (None, "sb_reader=forged.0123"):
        headers = {"Cookie": cookie} if cookie else {}
        httpx.get(f"{server.url}{url}")  # kept again (the last answer changed the data)
        with httpx.Client(base_url=server.url, headers=headers) as reader:
            fast = cache.fast_answers
            page = reader.get(url)
            assert cache.fast_answers == fast + 1 and CSRF_PLACEHOLDER not in page.text
            set_cookie = page.headers["set-cookie"]
            assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
            assert "Path=/" in set_cookie and page.headers["vary"] == "Cookie"
            reader.cookies.clear()
            reader.headers.pop("Cookie", None)
            reader.cookies.set("sb_reader", page.cookies["sb_reader"])
            who = signer.reader_of(page.cookies["sb_reader"])
            fields = form_of(page.text)
            assert who is not None and fields["csrf"] == signer.csrf_token(who)
            answered = reader.post(f"{url}/feedback", data={**fields, "useful": "yes"})
            assert answered.status_code == 303
            again = reader.get(url)
            assert "set-cookie" not in again.headers
            assert "Your answer: Yes" in text_of(again.text)
            assert form_of(again.text)["csrf"] == fields["csrf"]
            # nothing changed since: the next view is answered before routing, answer and all
            fast = cache.fast_answers
            third = reader.get(url)
            assert cache.fast_answers == fast + 1 and third.text == again.text
            # and a returning reader who has not answered sees no answer, with their own token
            with httpx.Client(base_url=server.url) as other:
                other.get(url)  # a first visit (the route renders the page without an answer)
                fast = cache.fast_answers
                view = other.get(url)
                assert cache.fast_answers == fast + 1
                assert "Your answer" not in text_of(view.text)
                other_reader = signer.reader_of(other.cookies["sb_reader"])
                assert form_of(view.text)["csrf"] == signer.csrf_token(other_reader)


def test_errors_are_not_kept(library, server):
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/stories/999999").status_code == 404
        assert c.get("/api/v1/stories/999999/explainer").status_code == 404
        assert "etag" not in c.get("/stories/999999").headers


# -- several processes ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_content_version_changes_with_every_content_commit_of_any_process(backend, tmp_path):
    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        first = store.data_version()
        assert first is not None and store.data_version() == first
        code = (
            "import sys\nfrom storybrief.store import Store\n"
            "with Store.open(sys.argv[1]) as s:\n"
            "    s.stories.create('from another process', [])\n"
        )
        subprocess.run([sys.executable, "-c", code, url], check=True, timeout=60)
        second = store.data_version()
        assert second != first
        body = "This process stores an article of its own, with a sentence or two of text. " * 4
        stored = store.articles.upsert(Article(text=body, url="https://example.org/a"))
        third = store.data_version()
        assert third not in (first, second)
        assert stored.article.id is not None
        story = store.stories.create("this process's story", [stored.article.id])
        fourth = store.data_version()
        assert fourth != third
        store.stories.delete(story)
        assert store.data_version() != fourth


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_content_version_stays_while_only_bookkeeping_is_written(backend, tmp_path):
    # a watcher records every poll of every feed: if that made every page render anew, the
    # cache would be of no use while feeds are followed (20 polls/s: 5,266 -> 142 req/s)
    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        feed = store.feeds.add("http://127.0.0.1:9/feed.xml")
        before = store.data_version()
        later = datetime.now(UTC) + timedelta(minutes=5)
        store.feeds.record_poll_success(feed.id, next_poll_at=later, etag="e1", last_modified=None)
        store.feeds.record_poll_failure(feed.id, reason="timed out", next_poll_at=later)
        store.failures.record("http://127.0.0.1:9/broken", "no article text found")
        store.rate_limits.hit("feedback:reader", 5, 60.0, time.time())
        code = (
            "import sys\nfrom datetime import UTC, datetime\n"
            "from storybrief.store import Store\n"
            "with Store.open(sys.argv[1]) as s:\n"
            "    f = s.feeds.add('http://127.0.0.1:9/other.xml')\n"
            "    s.feeds.record_poll_success(f.id, next_poll_at=datetime.now(UTC), etag=None,"
            " last_modified=None, status='304')\n"
        )
        subprocess.run([sys.executable, "-c", code, url], check=True, timeout=60)
        assert store.data_version() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_table_moves_the_content_version_or_is_bookkeeping(backend, tmp_path):
    # a table added later must be one or the other: a content table without the triggers
    # would leave cached pages stale
    from storybrief.store.models import BOOKKEEPING_TABLES, CONTENT_TABLES, Base

    assert set(Base.metadata.tables) == CONTENT_TABLES | BOOKKEEPING_TABLES
    assert not CONTENT_TABLES & BOOKKEEPING_TABLES
    if backend == "sqlite":
        query = (
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%content%'"
        )
    else:
        query = (
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgname LIKE '%content_changed'"
        )
    with (
        database_url(backend, tmp_path) as url,
        Store.open(url) as store,
        store.engine.connect() as conn,
    ):
        with_triggers = {row[0] for row in conn.execute(text(query))}
    assert with_triggers == CONTENT_TABLES


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_shared_rate_limit_window(backend, tmp_path):
    import storybrief

    with database_url(backend, tmp_path) as url, Store.open(url) as store:
        lib = storybrief.Library(Settings(data_dir=tmp_path), store)
        limiter = SharedRateLimiter(lib, "test", 2, window=0.5)
        assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
        assert limiter.wait("a") > 0
        assert 0 < limiter.hit("a") <= 0.5 and limiter.hit("b") == 0.0
        other = SharedRateLimiter(lib, "other", 2, window=0.5)
        assert other.hit("a") == 0.0  # another limit's keys are apart
        time.sleep(0.6)
        assert limiter.wait("a") == 0.0 and limiter.hit("a") == 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(settings: Settings, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`storybrief serve` in a process of its own, over the settings' data directory."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["XDG_CONFIG_HOME"] = str(settings.data_dir / "config")
    env["STORYBRIEF_SERVE__FEEDBACK_RATE_PER_MINUTE"] = str(settings.serve.feedback_rate_per_minute)
    command = [sys.executable, "-c", "from storybrief.cli import main; main()"]
    proc = subprocess.Popen(
        [
            *command,
            "--data-dir",
            str(settings.data_dir),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a generous start-up guard on a busy machine
    while True:
        try:
            httpx.get(f"{url}/static/style.css", timeout=5)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"serve did not start: {proc.communicate()[1]}") from None
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_rate_limit_and_cache_hold_across_two_server_processes(tmp_path, monkeypatch):
    """Two `storybrief serve` processes over one database: a reader's answers count against
    one limit wherever they land, and a new explainer version written by a third process
    shows on both at once."""
    settings = make_settings(tmp_path, monkeypatch, feedback_rate_per_minute=3)
    result = explain(EXAMPLE, settings=settings)
    story = result.story_id
    one, url_one = _serve(settings)
    two, url_two = _serve(settings)
    try:
        with httpx.Client(base_url=url_one) as a:
            page = a.get(f"/stories/{story}")
            fields = form_of(page.text)
            # the same reader (cookie) and address on the other process
            b = httpx.Client(base_url=url_two, cookies=a.cookies)
            assert form_of(b.get(f"/stories/{story}").text)["csrf"] == fields["csrf"]
            codes = []
            for client in (a, b, a, b, a):
                reply = client.post(f"/stories/{story}/feedback", data={**fields, "useful": "yes"})
                codes.append(reply.status_code)
            assert codes == [303, 303, 303, 429, 429]
            # both processes have the page cached; a third process writes a new version
            for client in (a, b):
                assert "version 1" in text_of(client.get(f"/stories/{story}").text)
            code = (
                "import sys\nfrom storybrief.api import explain\n"
                "from storybrief.settings import Settings\n"
                "explain(story_id=int(sys.argv[2]), regenerate=True,\n"
                "        settings=Settings(data_dir=sys.argv[1]))\n"
            )
            subprocess.run(
                [sys.executable, "-c", code, str(tmp_path), str(story)], check=True, timeout=120
            )
            with Store.open(settings) as store:
                latest = store.explainers.latest(story)
            assert latest is not None and latest.version == 2
            for client in (a, b):
                assert "version 2" in text_of(client.get(f"/stories/{story}").text)
                assert client.get(f"/api/v1/stories/{story}/explainer").json() == latest.document
            b.close()
    finally:
        _stop(one)
        _stop(two)


def test_serve_with_two_workers_shares_limits_and_sees_new_versions(tmp_path, monkeypatch):
    """`storybrief serve --workers 2`: two worker processes; answers sent on new connections
    (which the workers share) never pass the limit, and no worker keeps an old page."""
    settings = make_settings(tmp_path, monkeypatch, feedback_rate_per_minute=4)
    result = explain(EXAMPLE, settings=settings)
    story = result.story_id
    proc, url = _serve(settings, "--workers", "2")
    try:
        deadline = time.monotonic() + 60
        while len(workers := [p for p in _children(proc.pid) if _is_worker(p)]) < 2:
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.1)
        assert len(workers) == 2
        with httpx.Client(base_url=url) as reader:
            fields = form_of(reader.get(f"/stories/{story}").text)
            cookies = dict(reader.cookies)
        codes = []
        for _ in range(10):  # a new connection each: they land on either worker
            with httpx.Client(base_url=url, cookies=cookies) as c:
                codes.append(
                    c.post(
                        f"/stories/{story}/feedback", data={**fields, "useful": "no"}
                    ).status_code
                )
        assert codes.count(303) == 4 and codes.count(429) == 6
        assert codes[:4] == [303] * 4
        for _ in range(6):  # warm both workers' caches
            with httpx.Client(base_url=url) as c:
                assert "version 1" in text_of(c.get(f"/stories/{story}").text)
        with Store.open(settings) as other:
            explain(story_id=story, settings=settings, store=other, regenerate=True)
        for _ in range(6):
            with httpx.Client(base_url=url) as c:
                assert "version 2" in text_of(c.get(f"/stories/{story}").text)
    finally:
        _stop(proc)


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def test_worker_processes_get_a_tcp_socket_so_nagle_is_off(monkeypatch):
    """uvicorn binds its workers' socket without saying it is TCP, and asyncio then leaves
    Nagle's algorithm on (each keep-alive request waits for a delayed ACK): run_workers hands
    the supervisor one that says so."""
    import uvicorn.supervisors

    from storybrief.serve import run_workers

    given: list[socket.socket] = []

    class Supervisor:
        def __init__(self, config: object, sockets: list[socket.socket], **_: object) -> None:
            given.extend(sockets)

        def run(self) -> None:
            assert given[0].proto == socket.IPPROTO_TCP
            assert given[0].get_inheritable()

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    run_workers("storybrief.serve:worker_app", workers=2, host="127.0.0.1", port=0)
    assert len(given) == 1 and given[0].fileno() == -1  # closed when the supervisor ends


def test_an_unreachable_database_has_no_data_version():
    """The version is read on every request, before anything else: when the database cannot
    be reached it is unknown (nothing is reused), not an error of its own."""
    pytest.importorskip("psycopg")
    from storybrief.store.database import create_db_engine
    from storybrief.store.version import DataVersion

    port = _free_port()  # nothing listens there
    engine = create_db_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
    try:
        assert DataVersion(engine)() is None
    finally:
        engine.dispose()
