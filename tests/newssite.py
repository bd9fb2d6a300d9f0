"""A small news site on 127.0.0.1 for the watcher's tests: an RSS feed whose items can be added
while it runs, each linking to an article page, about a few distinct events (so that stories
form), with ETag / If-None-Match like a real feed server."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.servers import LocalHTTPServer, RecordedRequest, Reply

#: Settings for following a NewsSite on 127.0.0.1: hashed vectors (no model to load), no pacing
#: between requests to the one local host, no robots.txt to ask for, polls at most every second.
FOLLOWING_SITE = {
    "cluster.vectors": "hashing",
    "fetch.per_host_delay": 0.0,
    "fetch.obey_robots": False,
    "watch.min_poll_seconds": 1.0,
}

#: Events and what each new article about them says (every sentence names the event's place and
#: people, so articles about one event read alike and unlike the others').
EVENTS = {
    "bridge": (
        "Harbor Bridge",
        "The Harbor Bridge in Riverside reopened to traffic on {day} after a two-year repair, "
        "Mayor Dana Whitfield said. Engineer Lee Carver said the Harbor Bridge deck now carries "
        "twelve thousand vehicles a day. Riverside ferry crossings will be cut as Harbor Bridge "
        "traffic returns, the Riverside port authority said in update {n}.",
    ),
    "library": (
        "Library expansion",
        "The Northgate Library will add a new reading wing, librarian Maria Osei said on {day}. "
        "The Northgate Library council approved four million dollars for the Northgate Library "
        "wing, councillor Tom Reyes said. Construction at the Northgate Library starts in spring, "
        "according to notice {n} from the Northgate council.",
    ),
    "storm": (
        "Coastal storm",
        "Storm Alma brought floods to the Bayside coast on {day}, forecaster Ana Lind said. "
        "Bayside officials closed the Bayside coastal road as Storm Alma pushed water inland, "
        "officer Sam Vega said. Storm Alma is expected to weaken by the weekend, according to "
        "Bayside weather bulletin {n}.",
    ),
}


@dataclass(frozen=True)
class Item:
    slug: str
    title: str
    text: str
    published: datetime | None  # None: the page and the feed give no date


class NewsSite:
    """Serve ``/feed.xml`` and ``/news/<slug>`` from a list of items that grows on demand."""

    def __init__(self, server: LocalHTTPServer, *, page_delay: float = 0.0) -> None:
        self.server = server
        self.items: list[Item] = []
        self.page_delay = page_delay
        self._lock = threading.Lock()
        self._start = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
        server.route("/feed.xml", self._feed)
        server.route(
            "/robots.txt",
            Reply(
                body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
            ),
        )

    @property
    def feed_url(self) -> str:
        return self.server.url("/feed.xml")

    def publish(self, event: str, count: int = 1) -> list[Item]:
        """``count`` new articles about ``event``, newest last."""
        label, template = EVENTS[event]
        made = []
        with self._lock:
            for _ in range(count):
                n = len(self.items) + 1
                when = self._start + timedelta(minutes=10 * n)
                text = template.format(day=when.strftime("%A"), n=n)
                item = Item(f"{event}-{n}", f"{label}: update {n}", text, when)
                self.items.append(item)
                self.server.route(f"/news/{item.slug}", self._page(item))
                made.append(item)
        return made

    def publish_article(
        self, slug: str, title: str, text: str, published: datetime | None = None
    ) -> Item:
        """One article written by the test (``published`` None: an undated page, as many are)."""
        item = Item(slug, title, text, published)
        with self._lock:
            self.items.append(item)
            self.server.route(f"/news/{slug}", self._page(item))
        return item

    def _page(self, item: Item) -> Reply:
        dated = (
            f'<meta property="article:published_time" content="{item.published.isoformat()}">'
            if item.published is not None
            else ""
        )
        html = (
            f"<html><head><title>{item.title}</title>{dated}"
            f"</head><body><article><h1>{item.title}</h1>"
            + "".join(f"<p>{s.strip()}.</p>" for s in item.text.split(". ") if s.strip())
            + "</article></body></html>"
        )
        return Reply(
            body=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
            delay=self.page_delay,
        )

    def _feed(self, request: RecordedRequest) -> Reply:
        with self._lock:
            items = list(self.items)
        entries = "".join(
            f"<item><title>{i.title}</title><link>{self.server.url('/news/' + i.slug)}</link>"
            f"<guid>{i.slug}</guid>"
            + (f"<pubDate>{format_datetime(i.published)}</pubDate>" if i.published else "")
            + "</item>"
            for i in reversed(items)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Riverside Wire</title><link>{self.server.url('/')}</link>{entries}"
            "</channel></rss>"
        ).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag})
