"""Polite fetching (storybrief.ingest.polite): robots.txt, per-host concurrency and delay,
Retry-After pauses, and hosts that do not stall each other. Two servers on 127.0.0.1 with
different ports are two hosts (a host is an origin: scheme, name and port)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from tests.servers import LocalHTTPServer, RecordedRequest, Reply

from storybrief.errors import (
    FetchError,
    HostPausedError,
    HTTPStatusError,
    RobotsDisallowedError,
)
from storybrief.ingest import Ingestor, ingest
from storybrief.ingest.fetch import Fetcher
from storybrief.ingest.polite import HostGate, host_key
from storybrief.store import Store

HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
TOLERANCE = 0.02  # timer slack; never an upper bound
JITTER = 0.1  # how much later than the client one request may reach the server than another


class Clocked:
    """A route that records when each request reached the server, and how many were being
    served at once; ``hold`` keeps each request busy that long."""

    def __init__(self, reply: Reply, *, hold: float = 0.0) -> None:
        self.reply, self.hold = reply, hold
        self.starts: list[float] = []
        self.active = self.most_active = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.starts.append(time.monotonic())
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(self.hold)
        with self._lock:
            self.active -= 1
        return self.reply


@pytest.fixture
def settings(test_settings):
    test_settings.fetch.per_host_delay = 0.05
    test_settings.fetch.per_host_concurrency = 2
    test_settings.fetch.concurrency = 4
    # the first extraction in a process loads its models, which on a busy machine can take
    # longer than the default deadline; deadlines are not what these tests are about
    test_settings.extract.timeout = 120
    return test_settings


@pytest.fixture
def second_server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def gate(settings) -> Iterator[HostGate]:
    with Fetcher(settings) as fetcher:
        yield HostGate(fetcher, settings)


SYLLABLES = ("ba", "ko", "mi", "tu", "re", "sa")
WORDS = [a + b for a in SYLLABLES for b in ("ron", "lit", "mev", "dus", "kan", "pel")]


def page(title: str) -> bytes:
    """An article page whose text differs from every other title's (no near-duplicates)."""
    rng = random.Random(title)
    text = ". ".join(" ".join(rng.choices(WORDS, k=12)).capitalize() for _ in range(8))
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{text}</p></article></body></html>".encode()
    )


def fetch_all(gate: HostGate, urls: list[str]) -> list[str]:
    """Each URL through gate.map: "200" or the error's message."""

    def work(url: str) -> str:
        try:
            return str(gate.get(url).status)
        except FetchError as exc:
            return str(exc)

    return list(gate.map(work, urls, lambda url: url))


def test_host_key_is_the_origin():
    assert host_key("https://Example.org/a?b") == "https://example.org:443"
    assert host_key("http://example.org:8080/") == "http://example.org:8080"
    assert host_key("http://[::1]/x") == "http://[::1]:80"
    assert host_key("ftp://example.org/") is None and host_key("not a url") is None


# -- robots.txt -----------------------------------------------------------------------------------


def test_robots_disallowed_page_is_not_fetched_and_says_why(http_server, gate):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", headers=TEXT)
    http_server.route("/private/a", body=page("Secret"), headers=HTML)
    ok = http_server.route("/news/a", body=page("Open"), headers=HTML)
    with pytest.raises(RobotsDisallowedError) as raised:
        gate.get(http_server.url("/private/a?x=1"))
    assert (
        str(raised.value) == f"robots.txt of 127.0.0.1:{http_server.port} disallows /private/a?x=1"
    )
    assert gate.get(ok).status == 200
    assert http_server.requests_to("/private/a") == []


def test_robots_rules_for_storybrief_by_name(http_server, gate):
    robots = b"User-agent: *\nDisallow: /\n\nUser-agent: storybrief\nDisallow: /members/\n"
    http_server.route("/robots.txt", body=robots, headers=TEXT)
    http_server.route("/news/a", body=page("Open"), headers=HTML)
    assert gate.get(http_server.url("/news/a")).status == 200
    with pytest.raises(RobotsDisallowedError, match="disallows /members/x"):
        gate.get(http_server.url("/members/x"))
    assert http_server.requests_to("/robots.txt")[0].headers["user-agent"] == gate.user_agent


def test_robots_fetched_once_for_many_pages(http_server, gate):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /no\n", headers=TEXT)
    urls = [http_server.route(f"/p{i}", body=b"ok", headers=TEXT) for i in range(6)]
    assert fetch_all(gate, urls) == ["200"] * 6
    assert gate.get(urls[0]).status == 200  # later calls use the cache too
    assert len(http_server.requests_to("/robots.txt")) == 1


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(404), "200"),  # no robots.txt: everything allowed
        (Reply(403), "200"),  # "unavailable" (RFC 9309 2.3.1.3): allowed
        (Reply(500), "could not be read (HTTP 500)"),  # unreachable: disallow all
        (Reply(429, headers={"Retry-After": "30"}), "could not be read (HTTP 429)"),
    ],
)
def test_robots_status_decides(http_server, gate, reply, outcome):
    http_server.route("/robots.txt", reply)
    url = http_server.route("/a", body=b"ok", headers=TEXT)
    assert outcome in fetch_all(gate, [url])[0]
    if outcome != "200":
        assert http_server.requests_to("/a") == []


def test_robots_unreachable_disallows_with_the_reason(http_server, settings):
    settings.fetch.timeout = 0.5
    http_server.route("/robots.txt", body=b"", delay=2)
    url = http_server.route("/a", body=b"ok", headers=TEXT)
    with Fetcher(settings) as fetcher:
        reason = fetch_all(HostGate(fetcher, settings), [url])[0]
    assert "robots.txt of 127.0.0.1" in reason and "timed out" in reason
    assert http_server.requests_to("/a") == []


def test_obey_robots_off_fetches_anyway(http_server, settings):
    settings.fetch.obey_robots = False
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers=TEXT)
    url = http_server.route("/a", body=b"ok", headers=TEXT)
    with Fetcher(settings) as fetcher:
        assert HostGate(fetcher, settings).get(url).status == 200
    assert http_server.requests_to("/robots.txt") == []


def test_operator_named_url_skips_robots(http_server, gate):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers=TEXT)
    url = http_server.route("/feed.xml", body=b"<rss/>", headers=TEXT)
    assert gate.get(url, robots=False).status == 200


# -- pace: per-host delay and concurrency ---------------------------------------------------------


def gaps(starts: list[float]) -> list[float]:
    starts = sorted(starts)
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


def test_per_host_delay_between_request_starts(http_server, settings):
    settings.fetch.per_host_delay = 0.3
    clock = Clocked(Reply(body=b"ok", headers=TEXT))
    robots = Clocked(Reply(404))
    http_server.route("/robots.txt", robots)
    urls = [http_server.route(f"/p{i}", clock) for i in range(4)]
    with Fetcher(settings) as fetcher:
        assert fetch_all(HostGate(fetcher, settings), urls) == ["200"] * 4
    starts = clock.starts + robots.starts  # robots.txt is a request to the host too
    assert len(starts) == 5
    assert max(starts) - min(starts) >= 4 * 0.3 - TOLERANCE
    assert min(gaps(starts)) >= 0.3 - JITTER


def test_crawl_delay_raises_the_host_delay(http_server, gate):
    clock = Clocked(Reply(body=b"ok", headers=TEXT))
    http_server.route("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.3\n", headers=TEXT)
    urls = [http_server.route(f"/p{i}", clock) for i in range(3)]
    assert fetch_all(gate, urls) == ["200"] * 3
    assert max(clock.starts) - min(clock.starts) >= 2 * 0.3 - TOLERANCE
    assert min(gaps(clock.starts)) >= 0.3 - JITTER


def test_per_host_concurrency(http_server, settings):
    settings.fetch.per_host_delay = 0.0
    settings.fetch.concurrency = 6
    clock = Clocked(Reply(body=b"ok", headers=TEXT), hold=0.2)
    urls = [http_server.route(f"/p{i}", clock) for i in range(6)]
    with Fetcher(settings) as fetcher:
        assert fetch_all(HostGate(fetcher, settings), urls) == ["200"] * 6
    assert clock.most_active == 2  # fetch.per_host_concurrency


def test_a_slow_host_does_not_stall_another(http_server, second_server, settings):
    settings.fetch.per_host_concurrency = 1
    settings.fetch.concurrency = 3
    slow = Clocked(Reply(body=b"ok", headers=TEXT), hold=0.6)
    fast = Clocked(Reply(body=b"ok", headers=TEXT))
    urls = [http_server.route(f"/slow{i}", slow) for i in range(3)]
    urls += [second_server.route(f"/fast{i}", fast) for i in range(4)]
    with Fetcher(settings) as fetcher:
        assert fetch_all(HostGate(fetcher, settings), urls) == ["200"] * 7
    # the slow host's later pages were queued first, yet the fast host never waited for them
    assert max(fast.starts) < sorted(slow.starts)[1]


# -- 429 / 503 and Retry-After --------------------------------------------------------------------


def test_429_pauses_that_host_while_another_host_is_fetched(http_server, second_server, settings):
    settings.fetch.per_host_concurrency = 1  # a2 cannot be on its way when a1 meets the 429
    answered: list[float] = []

    def limited(request: RecordedRequest) -> Reply:
        answered.append(time.monotonic())
        if len(answered) == 1:
            return Reply(429, b"slow down", {"Retry-After": "1"})
        return Reply(body=b"ok", headers=TEXT)

    other = Clocked(Reply(body=b"ok", headers=TEXT))
    a1 = http_server.route("/a1", limited)
    a2_clock = Clocked(Reply(body=b"ok", headers=TEXT))
    a2 = http_server.route("/a2", a2_clock)
    b = [second_server.route(f"/b{i}", other) for i in range(3)]
    with Fetcher(settings) as fetcher:
        results = fetch_all(HostGate(fetcher, settings), [a1, a2, *b])
    assert results == ["200"] * 5  # a1 was tried once more, after the pause
    paused_at = answered[0]
    assert len(answered) == 2
    later = answered[1:] + a2_clock.starts
    assert min(later) >= paused_at + 1.0 - TOLERANCE  # nothing sent to the host meanwhile
    assert max(other.starts) < paused_at + 1.0  # the other host went on meanwhile


def test_paused_host_is_not_sent_anything(http_server, gate):
    url = http_server.route("/a", status=503, headers={"Retry-After": "600"})
    with pytest.raises(HostPausedError) as first:
        gate.get(url)
    assert "HTTP 503" in str(first.value) and "left alone for 600 s" in str(first.value)
    with pytest.raises(HostPausedError, match="asked for a pause") as second:
        gate.get(http_server.url("/b"))
    assert 590 < second.value.wait_seconds <= 600
    assert 590 < gate.paused_for(url) <= 600
    assert [r.path for r in http_server.requests if r.path != "/robots.txt"] == ["/a"]


def test_long_pause_fails_pages_at_once_with_the_reason(http_server, settings):
    settings.fetch.per_host_concurrency = 1
    http_server.route("/a", status=429, headers={"Retry-After": "3600"})
    urls = [http_server.url("/a"), http_server.route("/b", body=b"ok", headers=TEXT)]
    started = time.monotonic()
    with Fetcher(settings) as fetcher:
        first, second = fetch_all(HostGate(fetcher, settings), urls)
    assert time.monotonic() - started < 5  # not waited for
    assert "HTTP 429" in first and "Retry-After 3600 s" in first
    assert "asked for a pause" in second
    assert http_server.requests_to("/b") == []


def test_503_without_retry_after_is_a_plain_failure(http_server, gate):
    url = http_server.route("/a", status=503)
    with pytest.raises(HTTPStatusError) as raised:
        gate.get(url)
    assert not isinstance(raised.value, HostPausedError) and gate.paused_for(url) == 0.0


def test_retry_after_as_http_date(http_server, gate):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    url = http_server.route("/a", status=429, headers={"Retry-After": when})
    with pytest.raises(HostPausedError):
        gate.get(url)
    assert 100 < gate.paused_for(url) <= 120


# -- through ingest -------------------------------------------------------------------------------


def rss(items: list[tuple[str, str | None]]) -> bytes:
    body = "".join(
        f"<item><title>{link.rsplit('/', 1)[-1]}</title><link>{link}</link>"
        + (f"<description>{content}</description>" if content else "")
        + "</item>"
        for link, content in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}'
        "</channel></rss>".encode()
    )


@pytest.fixture
def store(settings):
    with Store.open(settings) as opened:
        yield opened


def test_ingest_records_a_robots_refusal_and_keeps_feed_order(
    http_server, second_server, settings, store
):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", headers=TEXT)
    hidden = http_server.url("/private/hidden")
    http_server.route("/private/hidden", body=page("Hidden"), headers=HTML)
    pages = [
        http_server.route(f"/news/a{i}", body=page(f"Alpha {i}"), headers=HTML) for i in range(2)
    ]
    pages += [
        second_server.route(f"/news/b{i}", body=page(f"Bravo {i}"), headers=HTML) for i in range(2)
    ]
    items = [(pages[0], None), (hidden, None), (pages[2], None), (pages[1], None), (pages[3], None)]
    feed = http_server.route(
        "/feed.xml", body=rss(items), headers={"Content-Type": "application/rss+xml"}
    )
    seen: list[str] = []
    report = ingest(
        [feed], settings=settings, store=store, on_item=lambda i: seen.append(i.location)
    )
    assert [i.location for i in report.items] == [link for link, _ in items] == seen
    assert [i.status for i in report.items] == ["new", "failed", "new", "new", "new"]
    failed = report.items[1]
    assert f"robots.txt of 127.0.0.1:{http_server.port} disallows /private/hidden" in failed.reason
    assert http_server.requests_to("/private/hidden") == []
    assert store.failures.recent()[0][0] == hidden
    titles = [store.articles.get(i.article_id).title for i in report.items if i.article_id]
    assert titles == ["Alpha 0", "Bravo 0", "Alpha 1", "Bravo 1"]


def test_ingest_uses_the_feeds_content_when_robots_disallow_the_page(http_server, settings, store):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers=TEXT)
    text = " ".join(["The council approved the new library plan on Monday evening."] * 6)
    feed = http_server.route(
        "/feed.xml",
        body=rss([(http_server.url("/story"), text)]),
        headers={"Content-Type": "application/rss+xml"},
    )
    report = ingest([feed], settings=settings, store=store)
    assert report.counts["new"] == 1 and http_server.requests_to("/story") == []


def test_a_shared_gate_keeps_robots_and_stays_open_across_runs(http_server, settings, gate, store):
    http_server.route("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", headers=TEXT)
    links = [http_server.route(f"/news/{n}", body=page(n), headers=HTML) for n in ("one", "two")]
    feeds = [
        http_server.route(
            f"/feed{i}.xml",
            body=rss([(link, None)]),
            headers={"Content-Type": "application/rss+xml"},
        )
        for i, link in enumerate(links)
    ]
    ingestor = Ingestor(gate.fetcher.settings, store, gate=gate)
    assert ingestor.run([feeds[0]]).counts["new"] == 1
    ingestor.close()
    assert ingest([feeds[1]], settings=settings, store=store, gate=gate).counts["new"] == 1
    assert len(http_server.requests_to("/robots.txt")) == 1
    assert gate.get(links[0]).status == 200  # the gate's fetcher is still open
