"""``storybrief watch``: one process that follows the feeds and keeps every story's explainer
current — poll what is due (several feeds at once, each through the polite fetcher), put new
articles into stories, explain what is due, sleep until the next feed is due.

Every step is a library call that commits as it goes (an article, a story assignment, an
explainer version is each one transaction), so a process killed at any moment and started again
loses nothing committed and repeats nothing: articles left without a story are picked up by the
next assignment, and a story whose explainer was written is no longer due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import StorybriefError
from .follow import PollReport
from .library import Library
from .results import ExplainResult

log = logging.getLogger("storybrief.watch")


@dataclass
class StepReport:
    """What one round of the watcher did."""

    polls: list[PollReport] = field(default_factory=list)
    stories: int = 0  # stories made or grown
    explained: list[tuple[int, int]] = field(default_factory=list)  # (story, version)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (story, reason)

    @property
    def busy(self) -> bool:
        return bool(self.polls or self.stories or self.explained or self.failed)

    @property
    def progressed(self) -> bool:
        """Something new happened (failures alone are not progress)."""
        return bool(self.polls or self.stories or self.explained)

    @property
    def new_articles(self) -> int:
        return sum(p.new for p in self.polls)


Event = Callable[[str, dict], None]


class Watcher:
    """Runs the pipeline over one :class:`Library`. ``on_event(kind, fields)`` hears each
    thing that happens (``poll``, ``stories``, ``explained``, ``explain_failed``, ``idle``),
    for a status line or a log."""

    def __init__(self, library: Library, *, on_event: Event | None = None) -> None:
        self.library = library
        self.settings = library.settings
        self.on_event = on_event or (lambda kind, fields: None)
        self.stop = threading.Event()
        self._local = threading.local()
        self._opened: list[Library] = []
        self._lock = threading.Lock()
        self._failed: dict[int, datetime] = {}  # story -> when explaining it last failed
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.fetch.concurrency, thread_name_prefix="poll"
        )

    # -- one round ---------------------------------------------------------------------------

    def step(self, *, poll_all: bool = False, now: datetime | None = None) -> StepReport:
        """One round from what is due at its start (:meth:`Library.due`): poll the due feeds
        (every enabled feed with ``poll_all``), put the new articles and any waiting into
        stories, explain the stories that were due. A story that the round made or grew is
        explained in the next round, which follows at once (a round that did something does
        not sleep)."""
        report = StepReport()
        due = self.library.due(now)
        feeds = [f for f in self.library.feeds.all() if f.enabled] if poll_all else due.feeds
        if feeds:
            report.polls = self._poll(f.id for f in feeds)
        if self.stop.is_set():
            return report
        if report.new_articles or due.articles_waiting:
            changes = self.library.assign_stories(explain_grown=False)
            report.stories = len(changes)
            if changes:
                self.on_event("stories", {"changed": len(changes)})
        if self.settings.explain.auto_explain:
            self._explain(due.stories, report)
        return report

    def _poll(self, feed_ids: Iterable[int]) -> list[PollReport]:
        """Poll feeds at once (``fetch.concurrency`` threads): a slow host holds one thread."""
        done = list(self._pool.map(self._poll_one, feed_ids))
        return [p for p in done if p is not None]

    def _poll_one(self, feed_id: int) -> PollReport | None:
        if self.stop.is_set():
            return None  # stopping: leave the feed due for next time
        try:
            report = self._thread_library().feeds.poll(feed_id, cluster=False)
        except StorybriefError as exc:  # e.g. the feed was removed meanwhile
            log.warning("feed %s: %s", feed_id, exc)
            return None
        fields = {
            "feed": report.url,
            "status": report.status,
            "new": report.new,
            "error": report.error,
            "next_poll": report.next_poll_at.isoformat(),
        }
        self.on_event("poll", fields)
        return report

    def _thread_library(self) -> Library:
        """Each polling thread has its own connection to the database; all share the polite
        fetcher (robots.txt, per-host pacing and pauses hold across feeds and threads)."""
        own = getattr(self._local, "library", None)
        if own is None:
            own = self._local.library = Library(self.settings, gate=self.library.gate)
            with self._lock:
                self._opened.append(own)
        return own

    def _explain(self, stories: list[tuple[int, str | None]], report: StepReport) -> None:
        now = datetime.now(UTC)
        wait = self.settings.explain.interval_seconds
        for story_id, engine in stories:
            if self.stop.is_set():
                return
            failed_at = self._failed.get(story_id)
            if failed_at is not None and (now - failed_at).total_seconds() < max(wait, 60.0):
                continue  # it failed a moment ago: try again later, not every round
            try:
                result: ExplainResult = self.library.explain(story_id=story_id, engine=engine)
            except StorybriefError as exc:
                self._failed[story_id] = now
                report.failed.append((story_id, str(exc)))
                self.on_event("explain_failed", {"story": story_id, "reason": str(exc)})
                continue
            self._failed.pop(story_id, None)
            report.explained.append((story_id, result.version))
            self.on_event("explained", {"story": story_id, "version": result.version})

    # -- running -------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> StepReport:
        """With ``once``: poll every enabled feed once, process until nothing is pending, and
        return what was done. Otherwise run until :attr:`stop` is set (SIGTERM, Ctrl+C),
        sleeping while nothing is due; the work in hand is finished first."""
        total = StepReport()
        try:
            first = True
            while not self.stop.is_set():
                step = self.step(poll_all=once and first)
                first = False
                _add(total, step)
                if once:
                    if not step.progressed or not self.library.due_stories():
                        break
                    continue
                if not step.busy:
                    self.on_event("idle", {})
                    self.stop.wait(self._sleep_seconds())
        finally:
            self.close()
        return total

    def _sleep_seconds(self) -> float:
        """Until the next feed is due, at most ``watch.idle_sleep_seconds``."""
        idle = self.settings.watch.idle_sleep_seconds
        upcoming = [f.next_poll_at for f in self.library.feeds.all() if f.enabled]
        soonest = min((t for t in upcoming if t is not None), default=None)
        if soonest is None:
            return idle
        wait = (soonest - datetime.now(UTC)).total_seconds()
        return max(0.05, min(idle, wait))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for own in opened:
            own.close()


def _add(total: StepReport, step: StepReport) -> None:
    total.polls += step.polls
    total.stories += step.stories
    total.explained += step.explained
    total.failed += step.failed
