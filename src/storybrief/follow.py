"""Following feeds (``lib.feeds``): subscriptions, and one poll of a feed — the step that
``storybrief watch`` (one process) and ``storybrief worker`` (many) both run. The library
builds its :class:`Feeds` with its settings, store and host gate.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from .errors import ConfigError, FetchError, SourceError, StorageError
from .store import FeedRecord
from .text import xml_text

# ingest (feedparser, lxml, httpx, extraction) is imported by the verbs that fetch or read a
# list, so that listing the feeds does not load it
if TYPE_CHECKING:
    from .ingest import HostGate, IngestReport
    from .ingest.feed_parser import FeedList, LeftOut
    from .settings import Settings
    from .store import Store

log = logging.getLogger("storybrief.follow")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``30s``, ``15m``, ``2h``, ``1d`` or plain seconds, in seconds."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else "s"
    number = value[:-1] if value[-1:] in _UNITS else value
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise ConfigError(f"{text!r} is not a duration (like 30s, 15m, 2h, 1d)") from None
    if seconds <= 0:
        raise ConfigError(f"a poll interval must be positive, not {text!r}")
    return seconds


@dataclass(frozen=True)
class Followed:
    """What :meth:`Feeds.follow` subscribed to, and what the cap of an OPML list
    (``fetch.max_list_feeds``) left out, if anything."""

    feeds: list[FeedRecord]
    left_out: LeftOut | None = None


@dataclass(frozen=True)
class PollReport:
    """What one poll of a feed did."""

    feed_id: int
    url: str
    status: str  # "ok", "unchanged" or "failed"
    new: int  # articles stored for the first time
    error: str | None
    next_poll_at: datetime
    ingest: IngestReport


class Feeds:
    """The feeds a library follows: subscribe, list, change, drop, export as OPML, and poll
    one. ``gate`` gives the library's polite fetcher (made when first needed); ``assign``
    puts a poll's new articles into stories (the library's ``assign_stories``)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        gate: Callable[[], HostGate],
        assign: Callable[[IngestReport], object],
    ) -> None:
        self.settings = settings
        self.store = store
        self._gate = gate
        self._assign = assign

    def add(
        self,
        source: str,
        *,
        every: float | None = None,
        fetch_pages: bool | None = None,
    ) -> list[FeedRecord]:
        """Subscribe to a feed URL, or to every feed an OPML file lists. An interval
        below the operator's floor (``watch.min_poll_seconds``) is refused. Feeds of a list
        past ``fetch.max_list_feeds`` are left out, with a warning in the log
        (:meth:`follow` says what was left out)."""
        return self.follow(source, every=every, fetch_pages=fetch_pages).feeds

    def follow(
        self,
        source: str,
        *,
        every: float | None = None,
        fetch_pages: bool | None = None,
    ) -> Followed:
        """:meth:`add`, saying also what the cap of an OPML list left out."""
        from .ingest.feed_parser import FeedList, is_web_url

        if every is not None and every < self.settings.watch.min_poll_seconds:
            raise ConfigError(
                f"every {every:g} s is more often than the floor watch.min_poll_seconds "
                f"({self.settings.watch.min_poll_seconds:g} s)"
            )
        listed = FeedList([source]) if is_web_url(source) else self._opml_feeds(source)
        if listed.left_out is not None:
            log.warning("%s", listed.left_out.message)
        seconds = round(every) if every is not None else None
        added = self.store.feeds.add_many(
            listed.urls, poll_every_seconds=seconds, fetch_pages=fetch_pages
        )
        return Followed(added, listed.left_out)

    def _opml_feeds(self, source: str) -> FeedList:
        from .ingest.feed_parser import FeedList, is_web_url, read_opml

        path = Path(source)
        if not path.is_file():
            raise SourceError(f"{source}: not an http(s) feed URL nor an OPML file")
        max_bytes = self.settings.fetch.max_bytes
        if path.stat().st_size > max_bytes:
            raise SourceError(f"{source} is larger than the {max_bytes:,} byte cap")
        listed = read_opml(
            path.read_bytes(), location=source, max_feeds=self.settings.fetch.max_list_feeds
        )
        return FeedList([u for u in listed.urls if is_web_url(u)], listed.left_out)

    def all(self) -> list[FeedRecord]:
        """Every followed feed, in the order they were added."""
        return self.store.feeds.all()

    def get(self, id_or_url: int | str) -> FeedRecord:
        """One followed feed, by id or URL."""
        return self.store.feeds.get(id_or_url)

    def due(self, now: datetime, *, limit: int = 100) -> list[FeedRecord]:
        """The enabled feeds whose next poll has come at ``now``, the longest waiting first."""
        return self.store.feeds.due(now, limit=limit)

    def next_due(self) -> datetime | None:
        """When the next enabled feed is due (None: none has a next poll time yet)."""
        return self.store.feeds.next_due()

    def is_due(self, feed_id: int, now: datetime | None = None) -> bool:
        """Whether the feed is enabled and its next poll has come (a feed never polled has)."""
        feed = self.store.feeds.get(feed_id)
        due = feed.next_poll_at
        if due is not None and due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        return feed.enabled and (due is None or due <= (now or datetime.now(UTC)))

    def remove(self, id_or_url: int | str) -> None:
        """Stop following a feed (its articles stay)."""
        self.store.feeds.remove(id_or_url)

    def update(self, id_or_url: int | str, **fields: Any) -> FeedRecord:
        """Change a feed's own settings: ``enabled``, ``poll_every_seconds``, ``fetch_pages``."""
        feed = self.store.feeds.get(id_or_url)
        return self.store.feeds.update(feed.id, **fields)

    def export_opml(self) -> str:
        """The followed feeds as an OPML 2.0 document."""
        title = self.settings.serve.site_title
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<opml version="2.0">',
            f"  <head><title>{escape(xml_text(title))} feeds</title></head>",
            "  <body>",
        ]
        for feed in self.all():
            name = feed.title or feed.url
            lines.append(
                f'    <outline type="rss" text={quoteattr(xml_text(name))} '
                f"title={quoteattr(xml_text(name))} xmlUrl={quoteattr(xml_text(feed.url))}/>"
            )
        lines += ["  </body>", "</opml>"]
        return "\n".join(lines) + "\n"

    # -- one poll --------------------------------------------------------------------------

    def poll(
        self,
        feed_id: int,
        *,
        cluster: bool = True,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> PollReport:
        """Poll one feed: a conditional GET, its new items stored (pages fetched politely),
        the outcome and the next poll time recorded — from the feed's own hints, its interval,
        backoff after failures, the operator's floor and ceiling, and jitter. With ``cluster``
        the new articles (and any a crash left without one) are then put into stories."""
        from .ingest import IngestReport, ItemResult, next_poll, poll_hints
        from .ingest import ingest as run_ingest
        from .ingest.pipeline import unexpected

        feed = self.store.feeds.get(feed_id)
        settings = self.settings
        if feed.fetch_pages is not None and feed.fetch_pages != settings.fetch.feed_pages:
            settings = settings.changed(**{"fetch.feed_pages": feed.fetch_pages})
        try:
            report = run_ingest([feed.url], settings=settings, store=self.store, gate=self._gate())
        except StorageError:
            raise  # the database, not the feed: the caller retries
        except Exception as exc:  # anything else is this feed's failure, with backoff
            failure = ItemResult(feed.url, "failed", reason=unexpected(feed.url, exc))
            report = IngestReport(items=[failure])
        now = now or datetime.now(UTC)
        poll = report.polls.get(feed.url)
        failed = [i for i in report.items if i.status == "failed" and i.location == feed.url]
        interval = float(feed.poll_every_seconds) if feed.poll_every_seconds else None
        if failed or poll is None or poll.fetched is None:
            error = failed[0].reason if failed else "the feed could not be read"
            error_seen = poll.error if poll and isinstance(poll.error, FetchError) else None
            hints = poll_hints(error_seen, now=now)
            due = next_poll(
                now,
                hints,
                feed_interval=interval,
                consecutive_failures=feed.consecutive_failures + 1,
                watch_settings=self.settings.watch,
                rng=rng,
            )
            self.store.feeds.record_poll_failure(
                feed.id, reason=error or "failed", next_poll_at=due, at=now
            )
            return PollReport(feed.id, feed.url, "failed", 0, error, due, report)
        hints = poll_hints(poll.fetched, poll.feed, now=now)
        due = next_poll(
            now, hints, feed_interval=interval, watch_settings=self.settings.watch, rng=rng
        )
        unchanged = poll.fetched.not_modified
        new = report.counts["new"]
        whole = feed.url not in report.cut
        if not whole:  # its time budget cut it: the rest soon, with no validators to skip it
            due = now + timedelta(seconds=self.settings.watch.min_poll_seconds)
        self.store.feeds.record_poll_success(
            feed.id,
            next_poll_at=due,
            etag=(poll.fetched.etag if whole else None) or feed.etag,
            last_modified=(poll.fetched.last_modified if whole else None) or feed.last_modified,
            items=None if unchanged else len(poll.feed.items if poll.feed else report.items),
            status="304" if unchanged else str(poll.fetched.status),
            at=now,
        )
        if cluster:
            self._assign(report)
        return PollReport(
            feed.id, feed.url, "unchanged" if unchanged else "ok", new, None, due, report
        )


def feed_summary(feed: FeedRecord) -> dict[str, Any]:
    """A feed's row for `feeds list` and `status`."""
    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "enabled": feed.enabled,
        "every": feed.poll_every_seconds,
        "fetch_pages": feed.fetch_pages,
        "last_success": feed.last_success_at,
        "last_error": feed.last_error,
        "failures": feed.consecutive_failures,
        "next_poll": feed.next_poll_at,
        "items": feed.items_seen,
    }
