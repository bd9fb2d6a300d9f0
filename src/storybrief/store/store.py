"""The storage layer the rest of storybrief talks to: one :class:`Store` over the concern
modules (articles, stories, explainers, feedback, feeds, failures, search, coverage). Each
write is one transaction, so a failed write never leaves half an article (or half a story)
behind.

Layers, each importing only those before it: models <- database <- the concern modules
(search reads articles and stories, coverage articles, stories and explainers) <- this
facade."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..records import Article
from ..settings import Settings
from . import (
    articles,
    coverage,
    explainers,
    failures,
    feedback,
    feeds,
    locks,
    ratelimits,
    search,
    sessions,
    stories,
    watchers,
)
from .articles import ArticleRef, ArticleSummary, UpsertResult
from .coverage import Coverage
from .database import Database, create_db_engine, migrate
from .explainers import StoredExplainer, StoredSentence, StoryActivity
from .failures import Failure
from .feedback import DailyAnswers, FeedbackStats, ReaderAnswer
from .feeds import FeedRecord
from .search import SearchFilters, SearchResults
from .stories import StoryRecord, StorySummary, Successor
from .version import DataVersion
from .watchers import WatcherRecord


class Store:
    """Open with :meth:`open` (runs migrations); use as a context manager or call :meth:`close`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = Database(engine)
        self._data_version: DataVersion | None = None
        self._data_version_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | str) -> Store:
        url = settings if isinstance(settings, str) else settings.resolved_database_url
        engine = create_db_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        if self._data_version is not None:
            self._data_version.close()
        self.engine.dispose()

    def data_version(self) -> str | None:
        """A value that changes whenever any process commits a change to this database
        (``None``: unknown for this database, so nothing derived from it may be reused).
        Cheap: what the web app's caches check on every request (see store/version.py)."""
        if self._data_version is None:
            with self._data_version_lock:
                if self._data_version is None:
                    self._data_version = DataVersion(self.engine)
        return self._data_version()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold the lock ``name`` that every process using this database sees (forming
        stories: ``"stories"``) for the duration; waits while another holds it."""
        with locks.exclusive(self.db, name):
            yield

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back (nothing written) on any error."""
        with self.db.session() as s:
            yield s

    # -- articles ---------------------------------------------------------------------------

    def upsert_article(self, article: Article, *, source_id: int | None = None) -> UpsertResult:
        """Store an article once: the same canonical URL or the same normalised body is a
        duplicate; the same canonical URL with a changed body is an update."""
        return articles.upsert(self.db, article, source_id=source_id)

    def get_article(self, article_id: int) -> Article:
        return articles.get(self.db, article_id)

    def get_articles(self, ids: list[int]) -> list[Article]:
        """These articles, in the order given; any unknown id is a NotFoundError."""
        return articles.get_many(self.db, ids)

    def find_article_by_url(self, url: str) -> ArticleRef | None:
        """Id and fetch time of the article stored from this URL (as fetched or canonical)."""
        return articles.find_by_url(self.db, url)

    def list_articles(self, *, limit: int = 50, offset: int = 0) -> list[ArticleSummary]:
        return articles.summaries(self.db, limit=limit, offset=offset)

    def list_articles_by_id(self, ids: list[int]) -> list[ArticleSummary]:
        """Summaries of these articles, in the order given (unknown ids left out)."""
        return articles.summaries_by_id(self.db, ids)

    def count_articles(self) -> int:
        return articles.count(self.db)

    def counts_since(self, since: datetime) -> dict[str, int]:
        """Articles stored and explainer versions written at or after ``since``."""
        return {
            "articles": articles.stored_since(self.db, since),
            "explainers": explainers.written_since(self.db, since),
        }

    def articles_in_order(self, ids: list[int] | None = None) -> list[Article]:
        """Articles (all, or these) oldest first by published time, else fetched time."""
        return articles.in_order(self.db, ids)

    def unassigned_article_ids(self, *, limit: int = 1000) -> list[int]:
        """Articles in no story yet (say, stored by an ingest that was killed before it
        clustered them), oldest first: what clustering should take up next."""
        return articles.unassigned_ids(self.db, limit=limit)

    def mark_duplicate(self, article_id: int, original_id: int | None) -> None:
        """Record that an article is a near-duplicate of another (None: it is not)."""
        articles.mark_duplicate(self.db, article_id, original_id)

    def search(
        self, query: str, *, limit: int = 20, filters: SearchFilters | None = None
    ) -> SearchResults:
        """Stories (by title and explainer text) and articles matching every word of
        ``query``, best first (SQLite FTS5 or PostgreSQL full text search), within
        ``filters`` (topic, outlet, days); with filters and no words, the newest within them."""
        return search.search(self.db, query, limit=limit, filters=filters)

    def outlets(self, *, limit: int = 200) -> list[tuple[str, int]]:
        """The outlets (site names) articles come from, with how many each, the most first."""
        return search.outlets(self.db, limit=limit)

    # -- stories ------------------------------------------------------------------------------

    def create_story(self, title: str | None, article_ids: list[int]) -> int:
        """A new story holding these articles (one transaction)."""
        return stories.create(self.db, title, article_ids)

    def add_to_story(self, story_id: int, article_ids: list[int], **fields: object) -> None:
        stories.add_articles(self.db, story_id, article_ids, **fields)

    def update_story(self, story_id: int, **fields: object) -> None:
        stories.update(self.db, story_id, **fields)

    def story_states(self, since: datetime | None = None) -> list[StoryRecord]:
        """Stories (last seen at or after ``since``) with what clustering keeps about them."""
        return stories.states(self.db, since)

    def save_story_state(
        self, story_id: int, *, centroid: bytes | None, state: dict, title: str | None = None
    ) -> None:
        stories.save_state(self.db, story_id, centroid=centroid, state=state, title=title)

    def duplicates_in(self, story_id: int) -> dict[int, int]:
        """Near-duplicate articles of a story: article id -> the article it copies."""
        return stories.duplicates_in(self.db, story_id)

    def delete_story(self, story_id: int) -> None:
        """Forget one story and its explainers (its articles stay, without a story)."""
        stories.delete(self.db, story_id)

    def delete_stories(self) -> None:
        """Forget every story (articles stay; explainers go with their stories)."""
        stories.delete_all(self.db)

    def split_story(self, story_id: int, parts: list[tuple[str | None, list[int]]]) -> list[int]:
        """Retire the story; each part (title, article ids) becomes a new story, linked as its
        successor (one transaction). Returns the new stories' ids."""
        return stories.split(self.db, story_id, parts)

    def merge_story(self, story_id: int, into: int) -> None:
        """Move the story's articles into ``into`` and retire it, linked to ``into``."""
        stories.merge(self.db, story_id, into)

    def story_successors(self, story_id: int) -> list[Successor]:
        """The stories that took a retired story's articles (none for a live story)."""
        return stories.successors(self.db, story_id)

    def story_predecessors(self, story_id: int) -> list[Successor]:
        """The retired stories whose articles this story took."""
        return stories.predecessors(self.db, story_id)

    def live_successors(self, story_id: int) -> list[int]:
        """The live stories that hold a retired story's articles now (chains followed)."""
        return stories.live_successors(self.db, story_id)

    def story_is_retired(self, story_id: int) -> bool:
        return stories.is_retired(self.db, story_id)

    def story_article_ids(self, story_id: int) -> list[int]:
        return stories.article_ids(self.db, story_id)

    def get_story(self, story_id: int) -> StorySummary:
        return stories.get(self.db, story_id)

    def front_stories(
        self,
        *,
        explained: bool,
        topic_slug: str | None = None,
        limit: int = 30,
        offset: int = 0,
        min_outlets: int = 1,
    ) -> list[StorySummary]:
        """Stories with an explainer (``explained``) from at least ``min_outlets`` outlets —
        the day of their newest report first, then the most outlets, then the most articles
        — or the others, still waiting for an explainer or for more outlets, newest first;
        only one topic's with ``topic_slug``."""
        return stories.front(
            self.db,
            explained=explained,
            topic_slug=topic_slug,
            limit=limit,
            offset=offset,
            min_outlets=min_outlets,
        )

    def coverage(self, story_id: int) -> Coverage:
        """Who reported the story, how much, when, and how it grew (its timeline)."""
        return coverage.coverage(self.db, story_id)

    def topic_label(self, topic_slug: str) -> str | None:
        """The label of the topic with this slug (None: no story carries it)."""
        return stories.topic_label(self.db, topic_slug)

    def topics(self, *, limit: int = 50) -> list[tuple[str, str, int]]:
        """(label, slug, stories) for each topic, the most stories first."""
        return stories.topics(self.db, limit=limit)

    def list_stories(
        self, *, limit: int = 50, offset: int = 0, ids: list[int] | None = None
    ) -> list[StorySummary]:
        """Stories, most recently updated first, with size, outlets and explainer versions."""
        return stories.summaries(self.db, limit=limit, offset=offset, ids=ids)

    # -- explainers ---------------------------------------------------------------------------

    def save_explainer(
        self,
        story_id: int,
        *,
        engine: str,
        engine_options: dict,
        headline: str | None,
        sources_key: str,
        document: dict,
        sentences: list[StoredSentence],
    ) -> StoredExplainer:
        """Store the next version of a story's explainer with its sentences and citations,
        all in one transaction."""
        return explainers.save(
            self.db,
            story_id,
            engine=engine,
            engine_options=engine_options,
            headline=headline,
            sources_key=sources_key,
            document=document,
            sentences=sentences,
        )

    def explainer_versions(self, story_id: int) -> list[StoredExplainer]:
        """Every version of a story's explainer, newest first."""
        return explainers.versions(self.db, story_id)

    def latest_explainer(self, story_id: int) -> StoredExplainer | None:
        return explainers.latest_of(self.db, [story_id]).get(story_id)

    def explainer_sentences(self, explainer_id: int) -> list[StoredSentence]:
        return explainers.sentences(self.db, explainer_id)

    def get_explainer(self, explainer_id: int) -> StoredExplainer:
        return explainers.get(self.db, explainer_id)

    def latest_explainers(self, story_ids: list[int]) -> dict[int, StoredExplainer]:
        """The newest explainer of each of these stories that has one (one query)."""
        return explainers.latest_of(self.db, story_ids)

    def recent_explainers(
        self, *, limit: int = 50, topic_slug: str | None = None
    ) -> list[StoredExplainer]:
        """Explainer versions, newest first, across all stories or the stories of one topic
        (what feeds publish)."""
        return explainers.recent(self.db, limit=limit, topic_slug=topic_slug)

    def story_activity(self, story_ids: list[int]) -> dict[int, StoryActivity]:
        """Per story: article count, when its newest article was stored, when it last
        changed, and its explainer versions with the time of the newest."""
        return explainers.activity(self.db, story_ids)

    def stories_without_explainer(
        self, *, min_articles: int = 1, limit: int = 100
    ) -> list[StoryActivity]:
        """Stories with at least ``min_articles`` articles and no explainer yet, the most
        recently changed first."""
        return explainers.without_explainer(self.db, min_articles=min_articles, limit=limit)

    def count_unexplainable(self) -> int:
        """Stories marked as holding nothing publishable that have not changed since."""
        return explainers.count_unexplainable(self.db)

    def mark_unexplainable(self, story_id: int) -> None:
        """Remember that the story's articles hold nothing publishable: not due for an
        explainer until they change."""
        explainers.mark_unexplainable(self.db, story_id)

    def stories_changed_since_explainer(self, *, limit: int = 100) -> list[StoryActivity]:
        """Stories whose articles changed after their newest explainer, the longest-waiting
        first."""
        return explainers.changed_since_explainer(self.db, limit=limit)

    # -- feedback -----------------------------------------------------------------------------

    def reader_feedback(self, explainer_id: int, reader_id: str) -> ReaderAnswer | None:
        """This reader's answer for this explainer version (useful, reason), if any."""
        return feedback.reader_answer(self.db, explainer_id, reader_id)

    def feedback_answers_on_story(
        self, story_id: int, version: int | None = None
    ) -> dict[str, ReaderAnswer]:
        """Every reader's answer for the story's explainer version the story page shows (the
        newest unless ``version``), by reader id."""
        return feedback.answers_on_story(self.db, story_id, version)

    def feedback_stats(self, *, limit: int = 100) -> list[FeedbackStats]:
        """Yes and No counts per explainer version that has answers, most recent first."""
        return feedback.stats(self.db, limit=limit)

    def feedback_daily(
        self, explainer_ids: list[int] | None, *, since: datetime
    ) -> list[DailyAnswers]:
        """Yes and No answers to these explainer versions (None: all) per day (UTC) since
        ``since``."""
        return feedback.daily(self.db, explainer_ids, since=since)

    def feedback_reasons(self, explainer_id: int, *, limit: int = 50) -> list[str]:
        """The reasons readers gave with a "No", newest first."""
        return feedback.reasons(self.db, explainer_id, limit=limit)

    def feedback_reasons_of(
        self, explainer_ids: list[int], *, limit: int = 5
    ) -> dict[int, list[str]]:
        """The latest ``limit`` reasons given with a "No" to each of these explainer versions,
        newest first (one query)."""
        return feedback.reasons_of(self.db, explainer_ids, limit=limit)

    def record_feedback(
        self, explainer_id: int, reader_id: str, useful: bool, reason: str | None = None
    ) -> None:
        """One answer per reader and explainer version; answering again changes it."""
        feedback.record(self.db, explainer_id, reader_id, useful, reason)

    def feedback_counts(self, explainer_id: int) -> dict[str, int]:
        """``{"yes": n, "no": m}`` for one explainer version."""
        return feedback.counts(self.db, explainer_id)

    # -- sources and feeds --------------------------------------------------------------------

    def source(self, location: str, kind: str) -> FeedRecord:
        """The source for a feed/page/file location, created on first sight."""
        return feeds.source(self.db, location, kind)

    def update_source(self, source_id: int, **fields: object) -> None:
        """Set these columns of a source (and its last fetch time to now)."""
        feeds.update_source(self.db, source_id, **fields)

    def add_feed(
        self,
        url: str,
        *,
        poll_every_seconds: int | None = None,
        fetch_pages: bool | None = None,
        title: str | None = None,
    ) -> FeedRecord:
        """Subscribe to a feed (already stored: enable it and set what is given)."""
        return feeds.add_feed(
            self.db,
            url,
            poll_every_seconds=poll_every_seconds,
            fetch_pages=fetch_pages,
            title=title,
        )

    def get_feed(self, id_or_url: int | str) -> FeedRecord:
        return feeds.get_feed(self.db, id_or_url)

    def list_feeds(self) -> list[FeedRecord]:
        """Every feed, enabled or not, in the order they were added."""
        return feeds.list_feeds(self.db)

    def remove_feed(self, id_or_url: int | str) -> None:
        """Unsubscribe: forget the feed (its articles stay)."""
        feeds.remove_feed(self.db, id_or_url)

    def update_feed(self, feed_id: int, **fields: Any) -> FeedRecord:
        """Change any of ``enabled``, ``poll_every_seconds``, ``fetch_pages``,
        ``next_poll_at``, ``title``."""
        return feeds.update_feed(self.db, feed_id, **fields)

    def due_feeds(self, now: datetime, *, limit: int = 100) -> list[FeedRecord]:
        """Enabled feeds due for a poll at ``now``, the longest-waiting first."""
        return feeds.due_feeds(self.db, now, limit=limit)

    def record_poll_success(
        self,
        feed_id: int,
        *,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        items: int | None = None,
        status: str = "200",
        at: datetime | None = None,
    ) -> FeedRecord:
        """A poll read the feed (or found it unchanged: ``status="304"``, ``items=None``);
        ``items``: how many items the feed holds now."""
        return feeds.record_poll_success(
            self.db,
            feed_id,
            next_poll_at=next_poll_at,
            etag=etag,
            last_modified=last_modified,
            items=items,
            status=status,
            at=at,
        )

    def record_poll_failure(
        self,
        feed_id: int,
        *,
        reason: str,
        next_poll_at: datetime,
        status: str = "failed",
        at: datetime | None = None,
    ) -> FeedRecord:
        """A poll failed: keep the reason and count one more failure in a row."""
        return feeds.record_poll_failure(
            self.db, feed_id, reason=reason, next_poll_at=next_poll_at, status=status, at=at
        )

    # -- rate limits --------------------------------------------------------------------------

    def rate_limit_hit(self, key: str, limit: int, window: float, now: float) -> float:
        """Count an event under ``key`` (at Unix time ``now``): 0 when it is within ``limit``
        per ``window`` seconds, else the seconds until one more would be (and it is not
        counted). Atomic across processes."""
        return ratelimits.hit(self.db, key, limit, window, now)

    def rate_limit_wait(self, key: str, limit: int, window: float, now: float) -> float:
        """0 when one more event under ``key`` would be allowed, else the seconds to wait."""
        return ratelimits.wait(self.db, key, limit, window, now)

    # -- the operator's sessions ----------------------------------------------------------------

    def open_session(self, session_id: str, expires: float, now: float) -> None:
        """Keep a signed-in operator's session until ``expires`` (Unix time)."""
        sessions.open_session(self.db, session_id, expires, now)

    def session_alive(self, session_id: str, now: float) -> bool:
        """Whether the session is kept and has not expired at ``now``."""
        return sessions.alive(self.db, session_id, now)

    def close_session(self, session_id: str) -> None:
        """Forget a session (signing out): its cookie is honoured no more."""
        sessions.close(self.db, session_id)

    # -- watchers -----------------------------------------------------------------------------

    def register_watcher(self, name: str, host: str, pid: int, now: datetime) -> WatcherRecord:
        """A watcher starting (its row: the one of this name and host, started afresh)."""
        return watchers.register(self.db, name, host, pid, now)

    def report_watcher(self, watcher_id: int, now: datetime, **change: Any) -> WatcherRecord:
        """A watcher's heartbeat and what changed (``state``, ``failed``, ``restarted``,
        ``error``)."""
        return watchers.report(self.db, watcher_id, now, **change)

    def watchers(self) -> list[WatcherRecord]:
        """Every watcher that ever ran on this database, the most recently heard from first."""
        return watchers.listed(self.db)

    # -- failures -----------------------------------------------------------------------------

    def record_failure(self, location: str, reason: str) -> None:
        failures.record(self.db, location, reason)

    def failures(self, *, limit: int = 50) -> list[Failure]:
        """Recent ingest failures, newest first."""
        return failures.recent(self.db, limit=limit)
