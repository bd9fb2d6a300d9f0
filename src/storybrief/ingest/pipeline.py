"""The ingest run: expand each SOURCE into articles, extract, store, and report per item.

One bad page or feed is recorded as a failure with a one-line reason and the run goes on.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import SourceError, StorageError, StorybriefError, reading
from ..extract import decode_bytes, extract_html, extract_text
from ..records import Article
from ..settings import Settings
from ..store import Store
from ..text import storable, storable_value
from .feed_parser import Feed, FeedItem, LeftOut, is_web_url, parse_feed, read_opml
from .fetch import Fetcher, FetchResult
from .polite import HostGate
from .sources import Document, Kind, looks_binary, read_file, sniff

log = logging.getLogger("storybrief.ingest")

Status = Literal["new", "updated", "duplicate", "unchanged", "failed"]


@dataclass(frozen=True)
class ItemResult:
    """What became of one article (or of a whole source that failed or had nothing new)."""

    location: str
    status: Status
    article_id: int | None = None
    title: str | None = None
    reason: str | None = None
    source: str | None = None  # the SOURCE argument this item came from

    def __post_init__(self) -> None:
        # what a report says is printed, stored and sent as JSON: every string storable
        for name in ("location", "title", "reason", "source"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, storable(value))


@dataclass
class FeedPoll:
    """One fetch of a URL in a run: the response (or the error) and the feed it held."""

    fetched: FetchResult | None = None
    error: StorybriefError | None = None
    feed: Feed | None = None


@dataclass
class IngestReport:
    items: list[ItemResult] = field(default_factory=list)
    #: what each URL fetched in this run said (response or error, and the feed parsed from it)
    polls: dict[str, FeedPoll] = field(default_factory=dict)
    #: stories that were made or grew (storybrief.cluster.StoryChange), when clustering ran
    stories: list[Any] = field(default_factory=list)
    #: the stories that hold this run's articles, new or already stored, in the order of the
    #: articles, each once: a run that stored nothing new still says where its articles are
    #: (filled by ``Library.ingest`` and ``Library.submit`` when clustering ran)
    story_ids: list[int] = field(default_factory=list)
    #: (story id, explainer version) written because a story grew, or (story id, error)
    explained: list[tuple[int, int | str]] = field(default_factory=list)
    #: feeds whose items were cut by their time budget (fetch.source_seconds): the rest are
    #: read on the next poll, so their validators were not kept
    cut: list[str] = field(default_factory=list)
    #: what a cap left out: items past fetch.max_feed_items in a feed, feeds past
    #: fetch.max_list_feeds in an OPML list (each says how many and names the first few)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(item.status for item in self.items)
        return {s: counts.get(s, 0) for s in ("new", "updated", "duplicate", "unchanged", "failed")}

    @property
    def ok(self) -> bool:
        return not any(item.status == "failed" for item in self.items)

    @property
    def article_ids(self) -> list[int]:
        """Stored articles of this run, in order, each once."""
        return list(dict.fromkeys(i.article_id for i in self.items if i.article_id is not None))

    def failure_reasons(self) -> str:
        """The failed items' reasons on one line, each naming its source."""
        return "; ".join(
            i.reason if i.location in i.reason else f"{i.location}: {i.reason}"
            for i in self.items
            if i.reason and i.status == "failed"
        )


Progress = Callable[[ItemResult], None]


class Ingestor:
    """Holds the fetcher, its :class:`HostGate` and the store for one run; :meth:`run` ingests
    sources. Pass a long-lived ``gate`` (the watcher's) to keep its robots.txt cache and host
    pauses across runs; it is not closed here. Item pages are fetched on up to ``workers``
    threads (default ``fetch.concurrency``) and stored in the calling thread, in feed order."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        workers: int | None = None,
        gate: HostGate | None = None,
        deadline: float | None = None,
    ) -> None:
        self.settings = settings
        #: time.monotonic() by which the whole run ends (POST /api/v1/articles): sources not
        #: started by then fail, saying so; a feed's items are cut at it too
        self.deadline = deadline
        self.store = store
        self._own_gate = gate is None
        self.gate = gate or HostGate(Fetcher(settings), settings)
        self.fetcher = self.gate.fetcher
        self.workers = workers or settings.fetch.concurrency
        self.polls: dict[str, FeedPoll] = {}
        self.cut: list[str] = []
        self.left_out: list[LeftOut] = []

    def close(self) -> None:
        if self._own_gate:
            self.fetcher.close()

    def run(
        self,
        sources: Iterable[str | Document],
        *,
        on_item: Progress | None = None,
        on_expand: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest every source. ``on_expand(n)`` says n more items are coming (a feed's
        entries); ``on_item`` is called once per finished item, for progress displays."""
        report = IngestReport(polls=self.polls, cut=self.cut, left_out=self.left_out)
        for source in sources:
            given = source if isinstance(source, Document) else None
            name = given.location if given is not None else str(source)
            items = self._source(name, on_expand or (lambda n: None), given=given)
            if self.deadline is not None and time.monotonic() > self.deadline:
                reason = f"{name} not read: the request's time budget was spent; send it again"
                items = iter([ItemResult(name, "failed", reason=reason)])
            while True:
                try:
                    item = next(items, None)
                except Exception as exc:  # a bug or a surprise in one source: that source
                    item = ItemResult(name, "failed", reason=unexpected(name, exc))  # fails
                    items = iter(())
                if item is None:
                    break
                item = replace(item, source=name)
                if item.status == "failed":
                    self._record_failure(item)
                report.items.append(item)
                if on_item:
                    on_item(item)
        return report

    # -- sources ------------------------------------------------------------------------------

    def _source(
        self,
        location: str,
        on_expand: Callable[[int], None],
        depth: int = 0,
        named_by: str | None = None,
        given: Document | None = None,
    ) -> Iterator[ItemResult]:
        """The items of one source; ``named_by`` is the remote document (an OPML list
        fetched over HTTP) that named it, if any: such a source must be an http(s) URL.
        ``given`` is the document itself when it was read already (standard input)."""
        if named_by is not None and not is_web_url(location):
            yield ItemResult(
                location,
                "failed",
                reason=f"{location}: a document fetched from the web ({named_by}) may only "
                "name http(s) URLs, not local files or other schemes",
            )
            return
        try:
            doc, etag_source = (given, None) if given is not None else self._read(location)
        except SourceError as exc:
            yield ItemResult(location, "failed", reason=str(exc))
            return
        if doc is None:  # a feed that has not changed since the last run
            yield ItemResult(location, "unchanged", reason="feed not modified since last fetch")
            return
        kind = sniff(doc)
        try:
            if kind == "opml":
                if depth > 0:
                    raise SourceError(f"{location}: an OPML list inside an OPML list is ignored")
                listed = read_opml(
                    doc.data,
                    location=doc.final_url or location,
                    max_feeds=self.settings.fetch.max_list_feeds,
                )
                self._left_out(listed.left_out)
                on_expand(len(listed.urls) - 1)
                remote = location if etag_source is not None else None
                for n, feed_location in enumerate(listed.urls):
                    if self.deadline is not None and time.monotonic() > self.deadline:
                        yield self._unread(location, listed.urls[n:])
                        return
                    yield from self._source(feed_location, on_expand, depth + 1, remote)
            elif kind == "feed":
                feed = parse_feed(
                    doc.data,
                    location=location,
                    content_type=doc.content_type,
                    max_items=self.settings.fetch.max_feed_items,
                )
                if etag_source is not None:
                    self.store.feeds.update_source(etag_source[0], title=feed.title)
                if location in self.polls:
                    self.polls[location].feed = feed
                self._left_out(feed.left_out)
                on_expand(len(feed.items) - 1)
                whole = yield from self._feed(feed, location)
                if not whole:
                    self.cut.append(location)
                if etag_source is not None and whole:
                    # only now: a run killed half way through the items must not leave
                    # validators that make the next run's conditional GET skip the rest
                    fetched = etag_source[1]
                    self.store.feeds.update_source(
                        etag_source[0], etag=fetched.etag, last_modified=fetched.last_modified
                    )
            else:
                article = self._extract(doc, kind, fallback={})
                yield self._save(article, location)
        except StorybriefError as exc:
            yield ItemResult(location, "failed", reason=str(exc))

    def _left_out(self, left_out: LeftOut | None) -> None:
        if left_out is not None:
            log.warning("%s", left_out.message)
            self.left_out.append(left_out)

    @staticmethod
    def _unread(location: str, rest: list[str]) -> ItemResult:
        """One failure for the feeds of a list not started before the run's deadline."""
        named = ", ".join(rest[:3]) + (" …" if len(rest) > 3 else "")
        return ItemResult(
            location,
            "failed",
            reason=f"{location}: {len(rest):,} feeds of the list not read, the request's time "
            f"budget was spent ({named}); send it again",
        )

    def _read(self, location: str) -> tuple[Document | None, tuple[int, FetchResult] | None]:
        """Read a file or fetch a URL; URLs are conditional GETs against the stored validators."""
        if is_web_url(location):
            source = self.store.feeds.source(location, "url")
            poll = self.polls[location] = FeedPoll()
            try:
                result = self.gate.get(  # named by the operator: no robots.txt check
                    location, etag=source.etag, last_modified=source.last_modified, robots=False
                )
            except StorybriefError as exc:
                poll.error = exc
                raise
            poll.fetched = result
            if result.not_modified:
                self.store.feeds.update_source(source.id, last_status="304")
                return None, None
            doc = Document(
                location, result.content, result.content_type, result.charset, result.url
            )
            if sniff(doc) == "feed":  # the validators are kept once its items are stored
                self.store.feeds.update_source(
                    source.id, kind="feed", last_status=str(result.status), last_error=None
                )
            return doc, (source.id, result)
        if "://" in location:
            raise SourceError(f"{location}: only http(s) URLs and local files are supported")
        return Document(location, read_file(Path(location), self.settings.fetch.max_bytes)), None

    # -- feeds ---------------------------------------------------------------------------------

    def _feed(self, feed: Feed, location: str) -> Generator[ItemResult, None, bool]:
        """Each item's page fetched through the gate on worker threads (hosts in parallel,
        each at its own pace); the database is read and written in this thread only.

        Within ``fetch.source_seconds``: the items not started by then are left for the
        feed's next poll (said by one "unchanged" item, and the feed's validators are not
        kept, so that the next poll reads it again and goes on past the stored items, which
        are duplicates found without a fetch). Returns whether every item was read."""
        budget = self.settings.fetch.source_seconds
        deadline = min(time.monotonic() + budget, self.deadline or float("inf"))
        settled: dict[int, ItemResult] = {}  # known before any fetch: duplicates, bad links
        for i, item in enumerate(feed.items):
            where = item.link or f"{location} item {item.title or '(untitled)'}"
            try:
                with reading(SourceError, f"the feed item {where}"):
                    known = self.store.articles.find_by_url(item.link) if item.link else None
            except StorybriefError as exc:
                settled[i] = ItemResult(where, "failed", title=item.title, reason=str(exc))
                continue
            if known is not None and (
                item.updated_at is None or item.updated_at <= known.fetched_at
            ):
                settled[i] = ItemResult(where, "duplicate", known.id, item.title, "already stored")

        def work(job: tuple[int, FeedItem]) -> Article | ItemResult | None:
            i, item = job
            if i in settled:
                return settled[i]
            if time.monotonic() > deadline:
                return None  # not started: left for the next poll
            where = item.link or f"{location} item {item.title or '(untitled)'}"
            try:
                with reading(SourceError, f"the feed item {where}"):
                    return self._feed_item(item, feed)
            except StorybriefError as exc:
                return ItemResult(where, "failed", title=item.title, reason=str(exc))

        def page_of(job: tuple[int, FeedItem]) -> str | None:
            i, item = job
            return None if i in settled else self._page_url(item)

        jobs = list(enumerate(feed.items))
        outcomes = self.gate.map(work, jobs, page_of, workers=self.workers)
        try:
            for (i, item), outcome in zip(jobs, outcomes, strict=True):
                if outcome is None:
                    left = len(jobs) - i
                    yield ItemResult(
                        location,
                        "unchanged",
                        reason=f"{left} of the feed's {len(jobs)} items are left for its next "
                        f"poll: its time budget (fetch.source_seconds, {budget:g} s) was spent",
                    )
                    return False
                if isinstance(outcome, ItemResult):
                    yield outcome
                else:
                    yield self._save(outcome, item.link or location, link=item.link)
        finally:
            outcomes.close()  # the tasks not started are dropped
        return True

    def _page_url(self, item: FeedItem) -> str | None:
        """The item's web page, when it is to be fetched."""
        web_page = bool(item.link and is_web_url(item.link))
        return item.link if web_page and self.settings.fetch.feed_pages else None

    def _feed_item(self, item: FeedItem, feed: Feed) -> Article:
        """The item's page when it can be fetched; the feed's own content when it cannot."""
        meta = item.metadata(feed.title, feed.language)
        page_error: StorybriefError | None = None
        page = self._page_url(item)
        if page is not None:
            try:
                result = self.gate.get(page)
                doc = Document(
                    page, result.content, result.content_type, result.charset, result.url
                )
                return self._extract(doc, "html", fallback=meta)
            except StorybriefError as exc:
                page_error = exc
        if item.content_html:
            try:
                article = extract_html(
                    f"<html><body><article>{item.content_html}</article></body></html>",
                    url=item.link,
                    settings=self.settings,
                    fallback=meta,
                )
            except StorybriefError as exc:
                raise SourceError(_both(page_error, exc)) from exc
            return article
        raise SourceError(_both(page_error, SourceError("the feed item carries no content")))

    # -- articles ------------------------------------------------------------------------------

    def _extract(self, doc: Document, kind: Kind, *, fallback: dict) -> Article:
        if kind == "html":
            article = extract_html(
                doc.data,
                url=doc.final_url or fallback.get("url"),
                charset=doc.charset,
                settings=self.settings,
                fallback=fallback,
            )
        else:
            if looks_binary(doc.data):
                raise SourceError(f"{doc.location} is binary data, not text, HTML or a feed")
            text = decode_bytes(doc.data, doc.charset)
            article = extract_text(
                text, source=doc.location, settings=self.settings, fallback=fallback
            )
        article.source = doc.location
        return article

    def _save(self, article: Article, location: str, *, link: str | None = None) -> ItemResult:
        """Store the article; a feed item's ``link`` is remembered as giving it, so that the
        page is not fetched again (a syndicated copy is stored as the article it copies, whose
        row holds the first outlet's URL; a redirected link is stored as where it led)."""
        try:
            result = self.store.articles.upsert(storable_article(article))
        except StorageError as exc:
            return ItemResult(location, "failed", title=article.title, reason=str(exc))
        except Exception as exc:  # one article that cannot be stored fails alone
            return ItemResult(
                location, "failed", title=article.title, reason=unexpected(location, exc)
            )
        if link and is_web_url(link) and result.article.id is not None:
            with contextlib.suppress(StorageError):  # at worst, the page is fetched again
                fetched = article.fetched_at or datetime.now(UTC)
                self.store.articles.remember_url(storable(link), result.article.id, fetched)
        return ItemResult(
            location, result.status, article_id=result.article.id, title=result.article.title
        )

    def _record_failure(self, item: ItemResult) -> None:
        # the report still carries the failure; storage trouble shows elsewhere
        with contextlib.suppress(Exception):
            self.store.failures.record(item.location, item.reason or "unknown error")


def unexpected(location: str, exc: Exception) -> str:
    """The one-line reason for an exception nothing expected (a bug, or a library's surprise
    at a hostile input); logged with its traceback at INFO for whoever runs with -v."""
    log.info("%s: unexpected %s", location, type(exc).__name__, exc_info=exc)
    if isinstance(exc, StorybriefError):
        return str(exc)
    detail = " ".join(str(exc).split())[:300] or "no details"
    return f"{location}: unexpected {type(exc).__name__}: {detail}"


def storable_article(article: Article) -> Article:
    """The article with every text field storable (:func:`storable`): NUL and lone
    surrogates, which a posted article or a page may carry, become U+FFFD. Offsets into the
    text hold: one character is replaced by one."""
    for name in type(article).model_fields:
        value = getattr(article, name)
        if isinstance(value, str | list):
            clean = storable_value(value)
            if clean != value:
                setattr(article, name, clean)
    return article


def _both(page_error: StorybriefError | None, content_error: StorybriefError) -> str:
    if page_error is None:
        return str(content_error)
    return f"{page_error}; and the feed's own content failed too: {content_error}"


def ingest(
    sources: Iterable[str | Path | Document],
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_item: Progress | None = None,
    on_expand: Callable[[int], None] | None = None,
    gate: HostGate | None = None,
    deadline: float | None = None,
) -> IngestReport:
    """Ingest files, URLs, feeds and OPML lists; see :class:`IngestReport`. A long-lived
    ``gate`` keeps its robots.txt cache, host pacing and pauses across calls (the watcher's).
    ``deadline`` (``time.monotonic()``) ends the whole run: sources not started by then fail,
    saying so."""
    settings = settings or Settings()
    own_store = store is None
    store = store or Store.open(settings)
    ingestor = Ingestor(settings, store, gate=gate, deadline=deadline)
    try:
        return ingestor.run(
            [s if isinstance(s, Document) else str(s) for s in sources],
            on_item=on_item,
            on_expand=on_expand,
        )
    finally:
        ingestor.close()
        if own_store:
            store.close()
