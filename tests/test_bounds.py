"""Time bounds per source (issue 27): a host that cannot be reached is tried once, not once per
feed (an OPML list of 500 feeds on a host that was down waited a second for each); a feed's
items are read within a time budget (fetch.source_seconds), the rest on its next poll; one
POST /api/v1/articles has one budget. Counted, not timed: connection attempts, and a clock
that the test moves."""

from __future__ import annotations

import itertools
import socket
import threading
from pathlib import Path

import pytest
from tests.servers import LocalHTTPServer, RecordedRequest, Reply, redirect

import storybrief.ingest.pipeline as pipeline
import storybrief.ingest.submit as submit_module
from storybrief.ingest.guard import AddressPolicy
from storybrief.library import Library
from storybrief.settings import Settings

SENTENCE = "The council met on Tuesday and voted to repair the harbor bridge by spring. "


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host the fetcher resolves to connect to (the real resolution goes on)."""
    seen: list[str] = []
    real = AddressPolicy.resolve

    def counted(self, host, port):  # type: ignore[no-untyped-def]
        seen.append(f"{host}:{port}")
        return real(self, host, port)

    monkeypatch.setattr(AddressPolicy, "resolve", counted)
    return seen


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    return test_settings.changed(
        **{"fetch.per_host_delay": 0.5, "fetch.feed_pages": False, "cluster.vectors": "hashing"}
    )


def test_an_unreachable_host_is_tried_once_for_all_its_feeds(settings, tmp_path, connects):
    port = _closed_port()
    opml = tmp_path / "list.opml"
    outlines = "".join(
        f'<outline xmlUrl="http://127.0.0.1:{port}/feed-{i}.xml"/>' for i in range(30)
    )
    opml.write_text(f"<opml><body>{outlines}</body></opml>")
    with Library(settings) as lib:
        report = lib.ingest([opml])
    assert [i.status for i in report.items] == ["failed"] * 30
    assert connects == [f"127.0.0.1:{port}"]  # one try, not thirty (each a host turn apart)
    assert "cannot connect for" in (report.items[0].reason or "")
    assert all("could not be reached moments ago" in (i.reason or "") for i in report.items[1:])
    assert "fetch.unreachable_seconds" in (report.items[1].reason or "")


def test_each_feed_is_tried_when_the_memory_is_off(settings, tmp_path, connects):
    port = _closed_port()
    urls = [f"http://127.0.0.1:{port}/feed-{i}.xml" for i in range(3)]
    with Library(settings.changed(**{"fetch.unreachable_seconds": 0})) as lib:
        report = lib.ingest(urls)
    assert [i.status for i in report.items] == ["failed"] * 3 and len(connects) == 3


def test_a_redirect_to_a_dead_host_leaves_the_first_host_reachable(settings, connects):
    dead = f"http://127.0.0.1:{_closed_port()}/gone.xml"
    with LocalHTTPServer() as server, Library(settings) as lib:
        moved = server.route("/moved.xml", redirect(dead))
        page = server.route("/page.txt", Reply(body=(SENTENCE * 4).encode()))
        report = lib.ingest([moved, page])
    assert [i.status for i in report.items] == ["failed", "new"]


def test_a_host_that_answers_again_is_tried_again(settings, tmp_path):
    """The memory is the gate's; a success clears it, and it ends after its time."""
    with LocalHTTPServer() as server:
        port = int(server.route("/x", Reply(body=b"x")).rsplit(":", 1)[1].split("/")[0])
    # the server is gone: its port refuses
    url = f"http://127.0.0.1:{port}/page.txt"
    with Library(settings.changed(**{"fetch.unreachable_seconds": 0.2})) as lib:
        first = lib.ingest([url, url + "?again"])
        assert "could not be reached moments ago" in (first.items[1].reason or "")
        threading.Event().wait(0.3)
        later = lib.ingest([url + "?later"])
        assert "cannot connect for" in (later.items[0].reason or "")


# -- a feed's time budget ------------------------------------------------------------------


class Clock:
    """time.monotonic for the ingest pipeline: each reading moves it on by one second."""

    def __init__(self) -> None:
        self._ticks = itertools.count()
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return float(next(self._ticks))


def _big_feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://news.example/{i}</link>"
        f"<description>{SENTENCE * 4} Number {i}.</description></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def test_a_big_feed_is_read_within_its_budget_and_finished_on_later_polls(settings, monkeypatch):
    monkeypatch.setattr(pipeline, "time", Clock())
    settings = settings.changed(**{"fetch.source_seconds": 40, "fetch.max_feed_items": 120})
    with LocalHTTPServer() as server, Library(settings) as lib:
        body = _big_feed(5000)

        def big(request: RecordedRequest) -> Reply:  # with ETag / If-None-Match
            if request.headers.get("if-none-match") == '"v1"':
                return Reply(304)
            headers = {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
            return Reply(body=body, headers=headers)

        feed = server.route("/big.xml", big)
        (subscribed,) = lib.feeds.add(feed)
        polls = []
        for _ in range(10):
            poll = lib.feeds.poll(subscribed.id, cluster=False)
            polls.append(poll)
            if poll.status == "unchanged":
                break
        first = polls[0].ingest
        left = [i for i in first.items if i.location == feed and i.status == "unchanged"]
        assert polls[0].status == "ok" and len(left) == 1
        assert "items are left for its next poll" in (left[0].reason or "")
        assert 0 < first.counts["new"] < 120
        # every poll went further, none failed, and once all were stored the validators were
        # kept: the next poll was a 304
        assert lib.store.articles.count() == 120
        assert [p.status for p in polls][-1] == "unchanged" and len(polls) > 2
        assert all(p.status == "ok" for p in polls[:-1])
        assert lib.feeds.get(subscribed.id).consecutive_failures == 0


def test_one_post_has_one_budget(settings, monkeypatch):
    monkeypatch.setattr(pipeline, "time", Clock())
    monkeypatch.setattr(submit_module, "time", Clock())
    settings = settings.changed(**{"fetch.source_seconds": 3})
    articles = [{"text": SENTENCE * 4 + f"Number {n}."} for n in range(8)]
    with Library(settings) as lib:
        report = lib.submit([], articles, cluster=False)
    statuses = [i.status for i in report.items]
    assert statuses[:2] == ["new", "new"] and set(statuses[3:]) == {"failed"}
    assert "the request's time budget (fetch.source_seconds, 3 s) was spent" in (
        report.items[-1].reason or ""
    )


def test_a_run_without_a_deadline_reads_every_source(tmp_path: Path, settings, monkeypatch):
    """A run without a deadline (the CLI) reads every source whatever the clock says."""
    monkeypatch.setattr(pipeline, "time", Clock())
    paths = []
    for n in range(5):
        paths.append(tmp_path / f"{n}.txt")
        paths[-1].write_text(SENTENCE * 4 + f"Number {n}.")
    with Library(settings) as lib:
        assert lib.ingest(paths, cluster=False).counts["new"] == 5
