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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    errors: list[str] = field(default_factory=list)  # rounds that failed as a whole

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


#: Seconds between heartbeats a watcher writes while nothing changes.
HEARTBEAT_SECONDS = 10.0
#: The shortest sleep between two rounds when something comes due soon (unless
#: ``watch.idle_sleep_seconds`` is shorter): feeds due within it are polled in one round.
ROUND_FLOOR_SECONDS = 1.0
#: After a round fails as a whole, the watcher waits this long (doubling with each failed
#: round in a row, up to ``MAX_PAUSE_SECONDS``) before the next.
FIRST_PAUSE_SECONDS = 5.0
MAX_PAUSE_SECONDS = 300.0


def pause_after(failures: int) -> float:
    """Seconds to wait after ``failures`` (1, 2, ...) failures in a row: 5, 10, 20 ... 300."""
    return min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** max(0, failures - 1))


class Watcher:
    """Runs the pipeline over one :class:`Library`. ``on_event(kind, fields)`` hears each
    thing that happens (``polling`` as a poll starts, ``poll``, ``stories``, ``explained``,
    ``explain_failed``, ``round_failed``, ``idle``), for a status line or a log.

    A round that fails as a whole (the database went away, say) is logged with its traceback,
    and the next waits a while (5 s, doubling to 5 min): nothing a feed, a page or a story
    does stops the watcher. ``name`` is the watcher's row on the database (``watch``,
    ``serve --watch``; :meth:`Library.watchers`): its state, heartbeat, failed rounds and
    last error, which ``storybrief status``, the operator page and ``/health`` show."""

    def __init__(
        self, library: Library, *, on_event: Event | None = None, name: str = "watch"
    ) -> None:
        self.library = library
        self.settings = library.settings
        self.on_event = on_event or (lambda kind, fields: None)
        self.name = name
        self.watcher_id: int | None = None
        self._beaten = 0.0
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
        self.on_event("polling", {"feed_id": feed_id})  # a first poll may take a minute
        try:
            report = self._thread_library().feeds.poll(feed_id, cluster=False)
        except StorybriefError as exc:  # e.g. the feed was removed meanwhile
            log.warning("feed %s: %s", feed_id, exc)
            return None
        except Exception:  # a bug: logged, and the other feeds are polled
            log.exception("feed %s: polling it failed", feed_id)
            return None
        finally:
            self.beat()
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
            except Exception as exc:  # this story's failure; the others are explained
                if not isinstance(exc, StorybriefError):
                    log.exception("story %s: explaining it failed", story_id)
                reason = str(exc) if isinstance(exc, StorybriefError) else _unexpected(exc)
                self._failed[story_id] = now
                report.failed.append((story_id, reason))
                self.on_event("explain_failed", {"story": story_id, "reason": reason})
                continue
            finally:
                self.beat()
            self._failed.pop(story_id, None)
            report.explained.append((story_id, result.version))
            self.on_event("explained", {"story": story_id, "version": result.version})

    # -- running -------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> StepReport:
        """With ``once``: poll every enabled feed once, process until nothing is pending, and
        return what was done. Otherwise run until :attr:`stop` is set (SIGTERM, Ctrl+C),
        sleeping while nothing is due; the work in hand is finished first."""
        total = StepReport()
        self.watcher_id = self.library.register_watcher(self.name)
        failures = 0
        try:
            first = True
            while not self.stop.is_set():
                try:
                    step = self.step(poll_all=once and first)
                except Exception as exc:  # the round as a whole: logged, and tried again
                    failures += 1
                    reason = _unexpected(exc)
                    total.errors.append(reason)
                    log.error(
                        "round failed",
                        exc_info=True,
                        extra={"fields": {"error": reason, "failures": failures}},
                    )
                    self.beat(failed=True, error=reason)
                    self.on_event("round_failed", {"error": reason, "failures": failures})
                    if once:
                        break
                    self.stop.wait(pause_after(failures))
                    continue
                if failures:
                    failures = 0
                    self.beat(failed=False)
                first = False
                _add(total, step)
                if once:
                    if not step.progressed or not self.library.due_stories():
                        break
                    continue
                if not step.busy:
                    self.on_event("idle", {})
                    self.beat()
                    self.stop.wait(self._sleep_seconds())
        finally:
            self.beat(state="stopped")
            self.close()
        return total

    def beat(self, **change: Any) -> None:
        """Say on the database that this watcher is alive (at most every
        :data:`HEARTBEAT_SECONDS` unless something changed), with what changed."""
        if self.watcher_id is None:
            return
        now = time.monotonic()
        if not change and now - self._beaten < HEARTBEAT_SECONDS:
            return
        self._beaten = now
        try:
            self.library.report_watcher(self.watcher_id, **change)
        except Exception as exc:  # the database may be what is failing: go on
            log.warning("cannot record the watcher's state: %s", exc)

    def _sleep_seconds(self) -> float:
        """Until the next feed or story update is due, at most ``watch.idle_sleep_seconds``."""
        idle = self.settings.watch.idle_sleep_seconds
        upcoming = [self.library.feeds.next_due()]  # one query, not every feed loaded
        if self.settings.explain.auto_explain:
            upcoming += [u.due_at for u in self.library.pending_updates()]
        soonest = min((t for t in upcoming if t is not None), default=None)
        if soonest is None:
            return idle
        wait = (soonest - datetime.now(UTC)).total_seconds()
        # at least a second (or the idle sleep when shorter): the feeds that come due
        # meanwhile are polled in one round, which asks the database what is due once
        return max(min(ROUND_FLOOR_SECONDS, idle), min(idle, wait))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for own in opened:
            own.close()


class Supervisor:
    """A watcher in a thread of its own that is started again when it dies (``serve
    --watch``): after a pause of 5 s, doubling with each death in a row up to 5 min, each
    death logged with its traceback and recorded on the watcher's row (state
    ``restarting``, restarts, the error), where ``status``, the operator page and
    ``/health`` show it. ``make`` builds each new :class:`Watcher`."""

    def __init__(self, library: Library, make: Callable[[], Watcher], *, name: str) -> None:
        self.library = library
        self.make = make
        self.name = name
        self.restarts = 0
        self.watcher: Watcher | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storybrief-watch", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Stop: the watcher finishes the work in hand first (at most ``timeout`` s)."""
        self._stop.set()
        if self.watcher is not None:
            self.watcher.stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        deaths = 0
        while not self._stop.is_set():
            watcher = None
            started = time.monotonic()
            try:
                watcher = self.watcher = self.make()
                if self._stop.is_set():
                    watcher.stop.set()
                watcher.run()
                if self._stop.is_set():
                    return
                raise RuntimeError("the watcher stopped by itself")
            except BaseException as exc:  # whatever killed it; this thread lives on
                if isinstance(exc, SystemExit | KeyboardInterrupt | GeneratorExit):
                    raise
                if time.monotonic() - started > MAX_PAUSE_SECONDS:
                    deaths = 0  # it ran a good while: not a death in a row
                deaths += 1
                self.restarts += 1
                pause = pause_after(deaths)
                reason = _unexpected(exc)
                log.error(
                    "watcher died; starting it again",
                    exc_info=True,
                    extra={"fields": {"error": reason, "restarts": self.restarts, "in": pause}},
                )
                self._record(watcher, reason)
                self._stop.wait(pause)

    def _record(self, watcher: Watcher | None, reason: str) -> None:
        try:
            watcher_id = watcher.watcher_id if watcher is not None else None
            if watcher_id is None:
                watcher_id = self.library.register_watcher(self.name)
            self.library.report_watcher(
                watcher_id, state="restarting", restarted=True, error=reason
            )
        except Exception as exc:  # the database may be what killed it
            log.warning("cannot record the watcher's death: %s", exc)


def _unexpected(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:300]
    if isinstance(exc, StorybriefError):
        return detail or type(exc).__name__
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _add(total: StepReport, step: StepReport) -> None:
    total.polls += step.polls
    total.stories += step.stories
    total.explained += step.explained
    total.failed += step.failed
    total.errors += step.errors
