"""The library object: one storybrief, with its settings, its store, its checker and its
engines. The CLI, the web app, the watcher and the workers all go through it, and nothing below
it reads settings, environment variables or config files.

>>> import storybrief
>>> with storybrief.Library() as lib:                                    # doctest: +SKIP
...     lib.ingest(["article.html"])
...     result = lib.explain(["article.html"])
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import updates
from .errors import (
    ConfigError,
    NotFoundError,
    SourceError,
    StorybriefError,
)
from .grouping import assign_each, heal
from .publishing import publish, sources_key
from .results import Due, ExplainResult, Pending, PendingUpdate, StoryWithArticles, WatcherStatus
from .settings import Settings, load_settings
from .store import ArticleSummary, Coverage, EngineCall, Store

# The pipeline's stages (clustering, extraction, engines, the checker: lxml, numpy,
# onnxruntime) are imported by the verbs that use them, so that a read-only command
# (`storybrief stories`, `status`, `feeds list`) does not pay for loading them.
if TYPE_CHECKING:
    from .cluster import ReclusterReport, StoryChange
    from .explain import Engine
    from .explain.engines import Progress
    from .follow import Feeds
    from .ingest import Document, HostGate, IngestReport, ItemResult
    from .readers import Readers
    from .records import Article
    from .verify import Checker, CheckerOptions, Verdict


def checker_options(settings: Settings) -> CheckerOptions:
    from .verify import CheckerOptions

    return CheckerOptions(
        policy=settings.check.policy,
        accept_partly=settings.check.accept_partly,
        use_model=settings.check.use_model,
    )


# the libraries not closed yet (and still referenced): the last one to close frees what the
# engines keep for the whole process (the loaded llama.cpp model), which the others may be using
_OPEN: weakref.WeakSet[Library] = weakref.WeakSet()
_OPEN_LOCK = threading.Lock()


class Library:
    """Settings, store, checker and engine registry, built once and passed down.

    ``Library()`` reads the settings layers (defaults → config file → environment);
    ``Library(settings)`` uses exactly the settings given; ``store`` may be an open
    :class:`Store` (the caller closes it) — otherwise the library opens the settings' database
    on first use and closes it in :meth:`close`. When the last open library closes, the
    engines free what they keep for the whole process (a loaded model).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        store: Store | None = None,
        *,
        gate: HostGate | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self._store = store
        self._owns_store = store is None
        self._checker: Checker | None = None
        self._readers: Readers | None = None
        self._feeds: Feeds | None = None
        self._gate = gate
        self._owns_gate = gate is None
        with _OPEN_LOCK:
            _OPEN.add(self)

    @classmethod
    def from_config(cls, config_file: Path | str | None = None, **overrides: Any) -> Library:
        """A library from every settings layer, ``overrides`` (dotted keys) on top."""
        return cls(load_settings(config_file, **overrides))

    # -- what it owns --------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings)
        return self._store

    def open(self) -> Library:
        """Open (and migrate) the database now rather than on first use."""
        _ = self.store
        return self

    def data_version(self) -> str | None:
        """A value that changes whenever any process commits a change to what readers see
        (:meth:`Store.data_version`): what the web app's caches check on every request."""
        return self.store.data_version()

    def rate_limit_hit(self, key: str, limit: int, window: float, now: float) -> float:
        """Count an event under ``key`` in the database (every process on it counts the
        same): 0 when at most ``limit`` fell in the last ``window`` seconds, else the seconds
        until one more would be allowed."""
        return self.store.rate_limits.hit(key, limit, window, now)

    def rate_limit_wait(self, key: str, limit: int, window: float, now: float) -> float:
        """Like :meth:`rate_limit_hit`, without counting."""
        return self.store.rate_limits.wait(key, limit, window, now)

    def open_session(self, session_id: str, expires: float, now: float) -> None:
        """Keep an operator's session on the server until ``expires`` (Unix time): the web
        app honours a signed session cookie only while it is kept (:meth:`session_alive`)."""
        self.store.operator_sessions.open(session_id, expires, now)

    def session_alive(self, session_id: str, now: float) -> bool:
        return self.store.operator_sessions.alive(session_id, now)

    def close_session(self, session_id: str) -> None:
        """Signing out: the session's cookie is honoured no more, by any server process."""
        self.store.operator_sessions.close(session_id)

    @property
    def readers(self) -> Readers:
        """What readers see and say: the front page, stories and their explainer versions,
        topics, search, and readers' answers (:mod:`storybrief.readers`)."""
        if self._readers is None:
            from .readers import Readers

            self._readers = Readers(self.store)
        return self._readers

    @property
    def feeds(self) -> Feeds:
        """The feeds this library follows: subscribe, list, change, drop, poll one
        (:class:`storybrief.follow.Feeds`); a poll fetches through :attr:`gate`."""
        if self._feeds is None:
            from .follow import Feeds

            self._feeds = Feeds(
                self.settings,
                self.store,
                gate=lambda: self.gate,
                assign=lambda report: self.assign_stories(report, explain_grown=False),
            )
        return self._feeds

    @property
    def checker(self) -> Checker:
        """The one checker: it checks LLM drafts and gates every explainer that is published."""
        if self._checker is None:
            from .verify import Checker

            self._checker = Checker(checker_options(self.settings))
        return self._checker

    @property
    def gate(self) -> HostGate:
        """The polite fetcher every fetch of this library goes through: robots.txt, per-host
        pacing and pauses, kept for the library's lifetime (share it with ``gate=``)."""
        if self._gate is None:
            from .ingest import HostGate
            from .ingest.fetch import Fetcher

            self._gate = HostGate(Fetcher(self.settings), self.settings)
        return self._gate

    def close(self) -> None:
        if self._store is not None and self._owns_store:
            self._store.close()
            self._store = None
        self._readers = self._feeds = None  # built over the store; the feeds hold this library
        if self._gate is not None and self._owns_gate:
            self._gate.fetcher.close()
            self._gate = None
        with _OPEN_LOCK:
            last = self in _OPEN and len(_OPEN) == 1
            _OPEN.discard(self)
        if last and "storybrief.explain.engines" in sys.modules:  # else no engine was made
            from .explain.engines import close_engines

            close_engines()  # e.g. the llama.cpp model: hundreds of MB until the process ends

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- engines -------------------------------------------------------------------------------

    def engine(self, name: str | None = None, options: dict[str, Any] | None = None) -> Engine:
        """The engine ``name`` (default: the settings' engine), built with this library's
        settings and checker."""
        from .explain import get_engine
        from .explain.engines import EngineContext

        context = EngineContext(settings=self.settings.explain, checker=self.checker)
        return get_engine(name or self.settings.explain.engine, context=context, **(options or {}))

    @staticmethod
    def engines() -> tuple[list[str], dict[str, str]]:
        """The engines available, and the plugins that failed to load (with the reason)."""
        from .explain import available_engines
        from .explain.engines import plugin_failures

        return available_engines(), plugin_failures()

    # -- ingest --------------------------------------------------------------------------------

    def ingest(
        self,
        sources: Iterable[str | Path | Document] | str | Path,
        *,
        on_item: Callable[[ItemResult], None] | None = None,
        on_expand: Callable[[int], None] | None = None,
        cluster: bool = True,
    ) -> IngestReport:
        """Ingest files, URLs, feeds (RSS, Atom, JSON Feed) and OPML lists; returns what became
        of each article: new, updated, duplicate, unchanged or failed (with the reason).

        New articles then join stories (``report.stories``: the stories made or grown); a story
        that grows and already has an explainer gets its next version, written with the same
        engine (``auto_explain``). ``report.story_ids`` are the stories that hold the run's
        articles, those stored before included."""
        from .ingest import ingest as run_ingest

        if isinstance(sources, str | Path):
            sources = [sources]
        report = run_ingest(
            sources,
            settings=self.settings,
            store=self.store,
            on_item=on_item,
            on_expand=on_expand,
            gate=self.gate,
        )
        if cluster:
            self.assign_stories(report)
            report.story_ids = self.store.articles.stories_of(report.article_ids)
        return report

    def input_sources(self, data: bytes, *, name: str = "standard input") -> list[str | Document]:
        """Sources for :meth:`ingest` from bytes read from a pipe (``storybrief ingest -``):
        the http(s) URLs it lists one per line, or the one document it is (an HTML page, a
        feed, an OPML list or plain text). Over ``fetch.max_bytes``, empty, or a URL list
        with a line that is not a URL: :class:`SourceError` naming the line."""
        from .ingest import input_sources

        return input_sources(data, max_bytes=self.settings.fetch.max_bytes, location=name)

    def submit(
        self, urls: list[str], articles: list[dict[str, Any]], *, cluster: bool = True
    ) -> IngestReport:
        """What the web API is sent: http(s) ``urls`` of pages, feeds and OPML lists, fetched
        through this library's host gate, and ``articles`` given as text or HTML (dicts with
        ``text`` or ``html``, and optionally ``url``, ``title``, ``site_name``,
        ``published_at``), stored after the same extraction; then, as :meth:`ingest`, put
        into stories."""
        from .ingest.submit import submit as run_submit

        report = run_submit(
            urls, articles, settings=self.settings, store=self.store, gate=self.gate
        )
        if cluster:
            self.assign_stories(report)
            report.story_ids = self.store.articles.stories_of(report.article_ids)
        return report

    def assign_stories(
        self, report: IngestReport | None = None, *, explain_grown: bool = True
    ) -> list[StoryChange]:
        """Put the report's new articles, and any article a crash left without a story, into
        stories, and look at the stories that changed again (:func:`storybrief.cluster.heal`:
        one that holds two events splits, one that is another's event merges into it); then
        (``explain_grown`` and ``auto_explain``) write the next version of each grown story
        that has an explainer, at once — the watcher and workers pass False and
        leave that to :meth:`explain_pending`, which debounces. Not safe to run twice at once
        on one database: the watcher runs it in one thread, workers under a lock."""
        from .ingest import IngestReport

        report = report if report is not None else IngestReport()
        fresh = [i.article_id for i in report.items if i.status == "new" and i.article_id]
        # one process at a time per database: two that read the same articles without a
        # story would each make stories of them, and one set would be left empty
        with self.store.exclusive("stories"):
            # and any an interrupted run stored but did not get to put in a story
            fresh = sorted({*fresh, *self.store.articles.unassigned_ids()})
            report.stories = assign_each(self.store, self.settings, fresh)
            if report.stories and self.settings.cluster.heal:
                heal(self.store, self.settings, [c.story_id for c in report.stories])
        if not (explain_grown and self.settings.explain.auto_explain):
            return report.stories
        for change in report.stories:
            latest = None if change.created else self.store.explainers.latest(change.story_id)
            if latest is None:
                continue
            try:
                result = self.explain(story_id=change.story_id, engine=latest.engine)
                report.explained.append((change.story_id, result.version or 0))
            except StorybriefError as exc:  # the articles are stored; say what failed
                report.explained.append((change.story_id, str(exc)))
        return report.stories

    # -- reading -------------------------------------------------------------------------------

    def articles(self, *, limit: int = 50, offset: int = 0) -> list[ArticleSummary]:
        """Stored articles, newest first."""
        return self.store.articles.summaries(limit=limit, offset=offset)

    def article(self, article_id: int) -> Article:
        """One stored article with its numbered sentences."""
        return self.store.articles.get(article_id)

    def failures(self, *, limit: int = 50) -> list[Any]:
        """Recent ingest failures with their reasons, newest first."""
        return self.store.failures.recent(limit=limit)

    def stories(self, *, limit: int = 50, offset: int = 0) -> list[Any]:
        """Stories, most recently updated first."""
        return self.store.stories.summaries(limit=limit, offset=offset)

    def story(self, story_id: int) -> StoryWithArticles:
        """One story with its articles (near-duplicates marked)."""
        summary = self.store.stories.get(story_id)
        members = self.store.articles.get_many(self.store.stories.article_ids(story_id))
        return StoryWithArticles(summary, members, self.store.stories.duplicates_in(story_id))

    def coverage(self, story_id: int) -> Coverage:
        """How many outlets and articles report the story, its first and latest report, and a
        timeline: each article as it arrived, with the explainer version that first used it,
        and each explainer version with the articles it added."""
        return self.store.coverage.of(story_id)

    def recluster(self) -> ReclusterReport:
        """Rebuild every story from the stored articles."""
        from .cluster import recluster

        with self.store.exclusive("stories"):
            return recluster(self.store, self.settings)

    # -- explain -------------------------------------------------------------------------------

    def explain(
        self,
        sources: Iterable[str | Path] | str | Path = (),
        *,
        story_id: int | None = None,
        engine: str | None = None,
        options: dict[str, Any] | None = None,
        regenerate: bool = False,
        on_item: Callable[[ItemResult], None] | None = None,
        progress: Progress | None = None,
    ) -> ExplainResult:
        """Write, check and store the explainer of a story, or of ``sources`` (files, URLs,
        feeds: ingested first, and grouped as one story). Every sentence passes the checker
        before it is stored or returned. ``progress`` is called with the number of tokens
        generated so far, by engines that stream (capability ``streams``: the LLM engines).
        An engine that does not reconcile its draft itself (capability ``reconciles``) has it
        reconciled here: "sources differ" sentences added, one of two sentences giving
        different values for one thing left out (:mod:`storybrief.explain.reconcile`).

        The explainer is stored as the next version of its story. When the latest version was
        written from the same articles by the same engine (engine, model, prompt version,
        options) under the same checker options, that version is returned (``reused``) —
        unless ``regenerate``, which always asks the engine again."""
        from .cluster import group_as_story

        if isinstance(sources, str | Path):
            sources = [sources]
        sources = list(sources)
        if bool(sources) == (story_id is not None):
            raise ConfigError("explain needs either sources or a story id, not both")

        report = None
        store = self.store
        if sources:
            report = self.ingest(sources, on_item=on_item, cluster=False)
            ids = report.article_ids
            if not ids:
                raise SourceError(
                    f"no article to explain ({report.failure_reasons() or 'no sources'})"
                )
            with store.exclusive("stories"):
                story_id = group_as_story(store, ids)
        else:
            assert story_id is not None
            ids = store.stories.article_ids(story_id)
            if not ids:
                raise NotFoundError(f"story {story_id} has no articles")
        articles_ = store.articles.get_many(ids)

        writer = self.engine(engine, options)
        asked = {"engine": engine or self.settings.explain.engine, "options": options or {}}
        key = sources_key(articles_, writer, asked, self.checker)
        return publish(
            store,
            self.checker,
            writer,
            story_id,
            articles_,
            key=key,
            regenerate=regenerate,
            progress=progress,
            ingest=report,
            clustering=None if sources else self.settings,  # the reader's grouping stays
        )

    def engine_calls(
        self,
        *,
        story_id: int | None = None,
        explainer_id: int | None = None,
        limit: int = 20,
    ) -> list[EngineCall]:
        """What the LLM engines were asked and answered while writing the stored explainer
        versions (of one story, or one version): every request as sent and its answer, newest
        version first (`storybrief logs`)."""
        return self.store.explainers.calls(
            story_id=story_id, explainer_id=explainer_id, limit=limit
        )

    def explain_pending(
        self,
        *,
        limit: int | None = None,
        engine: str | None = None,
        now: datetime | None = None,
        on_story: Callable[[int, ExplainResult | StorybriefError], None] | None = None,
    ) -> list[tuple[int, ExplainResult | StorybriefError]]:
        """Explain every story that is due: one that qualifies (``explain.min_articles``) and
        has no explainer, or one that grew since its latest version, once its burst of new
        reports has settled or waited its longest (:meth:`pending_updates`: a burst costs one
        version). A story that
        fails is reported with its error; the others go on."""
        due = self.due_stories(now=now, limit=limit)
        done: list[tuple[int, ExplainResult | StorybriefError]] = []
        for story_id, engine_name in due:
            outcome: ExplainResult | StorybriefError
            try:
                outcome = self.explain(story_id=story_id, engine=engine or engine_name)
            except StorybriefError as exc:
                outcome = exc
            done.append((story_id, outcome))
            if on_story is not None:
                on_story(story_id, outcome)
        return done

    def due_stories(
        self, *, now: datetime | None = None, limit: int | None = None
    ) -> list[tuple[int, str | None]]:
        """Stories whose explainer is due, with the engine to use (that of their latest
        version, else the default): first those that qualify and have none, then those that
        grew since their latest version whose update has come (:meth:`pending_updates`)."""
        now = now or datetime.now(UTC)
        return updates.due_stories(self.store, self.settings.explain, now=now, limit=limit or 1000)

    def pending_updates(
        self, *, limit: int = 1000, story_ids: list[int] | None = None
    ) -> list[PendingUpdate]:
        """The stories that grew since their latest explainer version (of ``story_ids``
        only, when given), each with its new reports and when its next version is due:
        ``explain.settle_seconds`` after the last report joined, at the latest
        ``explain.max_wait_seconds`` after the first its latest version lacks, never within
        ``explain.interval_seconds`` of that version (:func:`~storybrief.results.update_due_at`:
        the one rule of the watcher, the workers and ``explain --pending``)."""
        return updates.pending_updates(
            self.store, self.settings.explain, limit=limit, story_ids=story_ids
        )

    def pending_update(self, story_id: int) -> PendingUpdate | None:
        """The story's next explainer version when one is coming (:meth:`pending_updates`);
        None when its latest version is current, or nothing keeps explainers current
        (``explain.auto_explain`` off)."""
        if not self.settings.explain.auto_explain:
            return None
        found = self.pending_updates(story_ids=[story_id], limit=1)
        return found[0] if found else None

    def due(self, now: datetime | None = None, *, limit: int = 1000) -> Due:
        """What is due at ``now``: the feeds whose next poll has come, whether an article is
        in no story yet, and the stories whose explainer is due (:meth:`due_stories`); at most
        ``limit`` feeds and stories. The watcher starts each round from it, the workers' tick
        asks for a job for each."""
        now = now or datetime.now(UTC)
        return Due(
            feeds=self.feeds.due(now, limit=limit),
            articles_waiting=bool(self.store.articles.unassigned_ids(limit=1)),
            stories=self.due_stories(now=now, limit=limit),
        )

    def explain_if_due(self, story_id: int, *, now: datetime | None = None) -> ExplainResult | None:
        """Explain the story if it is due (see :meth:`due_stories`); otherwise None."""
        for due_id, engine in self.due_stories(now=now):
            if due_id == story_id:
                return self.explain(story_id=story_id, engine=engine)
        return None

    def pending(self, *, now: datetime | None = None) -> Pending:
        """How much work is waiting."""
        return updates.pending(self.store, self.settings.explain, now=now or datetime.now(UTC))

    # -- watchers -------------------------------------------------------------------------------

    def register_watcher(self, name: str) -> int:
        """A watcher of this process starting (``watch``, ``serve --watch``): its id, for
        :meth:`report_watcher`. One row per name and host: a restart takes it over."""
        now = datetime.now(UTC)
        return self.store.watchers.register(name, socket.gethostname(), os.getpid(), now).id

    def report_watcher(self, watcher_id: int, **change: Any) -> None:
        """A watcher's heartbeat, with what changed: ``state`` ("running", "restarting",
        "stopped"), a round that ``failed`` (with its ``error``) or not, a ``restarted``
        thread (with the ``error`` it died of)."""
        self.store.watchers.report(watcher_id, datetime.now(UTC), **change)

    def watchers(self, *, now: datetime | None = None) -> list[WatcherStatus]:
        """The watchers that followed the feeds on this database, the most recently heard
        from first, each with its health (:class:`WatcherStatus`)."""
        now = now or datetime.now(UTC)
        return [WatcherStatus.of(record, now) for record in self.store.watchers.all()]

    def throughput(self, *, hours: float = 1.0) -> dict[str, int]:
        """Articles stored and explainer versions written in the last ``hours``."""
        since = datetime.now(UTC) - timedelta(hours=hours)
        return {
            "articles": self.store.articles.stored_since(since),
            "explainers": self.store.explainers.written_since(since),
        }

    # -- check ---------------------------------------------------------------------------------

    def check(self, text: str, against: Iterable[str | Path]) -> list[tuple[str, Verdict]]:
        """Check every statement of ``text`` against the articles in ``against`` (files or
        URLs, extracted but not stored): each sentence with the checker's verdict and reasons."""
        from .ingest import ingest as run_ingest

        with (
            tempfile.TemporaryDirectory(prefix="storybrief-check-") as scratch,
            Store.open(f"sqlite:///{Path(scratch) / 'check.db'}") as store,
        ):
            report = run_ingest(list(against), settings=self.settings, store=store)
            if not report.ok:
                raise SourceError(
                    f"cannot read the articles to check against ({report.failure_reasons()})"
                )
            found = store.articles.get_many(report.article_ids)
        return self.checker.check_text(text, found)

    def stored_verdicts(self, story_id: int) -> list[tuple[str, str, list[str]]]:
        """The sentences of a story's latest explainer with the verdict and reasons stored
        with each (sentence, label, reasons)."""
        latest = self.store.explainers.latest(story_id)
        if latest is None:
            raise NotFoundError(
                f"story {story_id} has no explainer yet (storybrief explain --story)"
            )
        return [
            (s.text, s.verdict or "unchecked", list(s.reasons))
            for s in self.store.explainers.sentences(latest.id)
        ]
