"""Worker mode: storybrief on many machines, with Procrastinate on PostgreSQL.

Every worker process (``storybrief worker``, on as many machines as wanted) takes jobs from
one queue kept in the same PostgreSQL database as the articles. Each job is a thin call into
:class:`storybrief.Library`:

``poll_feed(feed_id)``
    polls one feed and stores its new articles, then asks for ``assign_stories``. Its lock and
    queueing lock are ``feed:<id>``: a feed is never polled by two workers at once, and never
    waits in the queue twice.
``assign_stories()``
    puts every article without a story into one. Lock and queueing lock ``stories``: it runs on
    one worker at a time (two workers that receive articles of the same new event at the same
    moment never create two stories), and a burst of new articles collapses into one waiting
    job. It then asks for ``explain_story`` for each story that is due.
``explain_story(story_id)``
    explains the story if it is still due. Lock and queueing lock ``story:<id>``: one worker
    explains a story at a time, and a burst of growth costs one explainer.
``tick()``
    Procrastinate's periodic task, every minute: the database lets one worker defer it per
    minute, so it is the one scheduler. It asks for a poll of every due feed, for
    ``assign_stories`` when an article has no story, for ``explain_story`` for each due
    story, and runs again the jobs of workers that died (silent for
    ``worker.stalled_after_seconds``).
``remove_old_jobs()``
    periodic too, every hour: deletes the jobs (and their events) that finished — succeeded,
    failed, cancelled or aborted — more than ``worker.keep_jobs_hours`` ago, with Procrastinate's
    builtin ``remove_old_jobs``; without it the job table grows by every poll and tick forever.

Asking for a job that is already waiting (the queueing lock) is not an error: that job will do
the work. A job that fails on a database or storybrief error is asked for again later, with an
exponential backoff, as a new job with the same locks. Procrastinate's own ``RetryStrategy``
puts the *same* job back in the queue, which fails when a twin is already waiting under the
same queueing lock and leaves the failed job holding its lock (procrastinate issues 1446 and
1543); a new job meets the queueing lock like any other, and a twin that is waiting already is
the retry.

Procrastinate is an optional dependency: ``pip install 'storybrief[worker]'``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    MissingExtraError,
    NotFoundError,
    NothingToPublishError,
    StorybriefError,
)
from .library import Library
from .settings import Settings

if TYPE_CHECKING:
    import procrastinate

logger = logging.getLogger(__name__)

POLL, ASSIGN, EXPLAIN, TICK, PURGE = (
    "storybrief.poll_feed",
    "storybrief.assign_stories",
    "storybrief.explain_story",
    "storybrief.tick",
    "storybrief.remove_old_jobs",
)
#: The period of the tick (its cron is every minute).
TICK_SECONDS = 60.0
# one queue per stage, so that a machine can work on some stages only (--queue); the periodic
# jobs go with forming stories, which some worker always takes
QUEUES = {POLL: "feeds", ASSIGN: "stories", EXPLAIN: "explain", TICK: "stories", PURGE: "stories"}
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 10.0  # the n-th retry waits BACKOFF_SECONDS * 2 ** (n - 1)
DUE_LIMIT = 1000  # feeds and stories asked for per tick; the next tick asks for the rest


def _procrastinate() -> Any:
    try:
        import procrastinate
    except ImportError:
        raise MissingExtraError("storybrief worker", "worker", "procrastinate") from None
    return procrastinate


def _retryable(exc: BaseException) -> bool:
    """Worth running again: storybrief's and the database's errors, but not a feed or story
    that is gone, a setting that is wrong, nor articles with nothing publishable (the same
    articles give the same answer)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, NotFoundError | ConfigError | NothingToPublishError):
        return False
    return isinstance(exc, StorybriefError | DBAPIError)


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, …): 10, 20, 40, 80 s."""
    return BACKOFF_SECONDS * 2 ** (attempt - 1)


def conninfo(settings: Settings) -> str:
    """The psycopg connection string of the settings' database; worker mode needs PostgreSQL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings.resolved_database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database_url {url!r} is not a database URL") from None
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            "storybrief worker needs PostgreSQL (its jobs live in the same database): set "
            "database_url (STORYBRIEF_DATABASE_URL) to postgresql+psycopg://user@host/db, "
            f"not {parsed.get_backend_name()}"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class TickReport:
    """What one tick asked for."""

    polls: list[int] = field(default_factory=list)  # feed ids
    assign: bool = False
    explains: list[int] = field(default_factory=list)  # story ids
    already_waiting: int = 0  # asked for, but the same job was waiting already
    recovered: list[int] = field(default_factory=list)  # job ids of dead workers run again
    superseded: list[int] = field(default_factory=list)  # … or dropped: a twin was waiting


class Workers:
    """The Procrastinate app of one storybrief database: its tasks, bound to one library.

    ``Workers(settings)`` builds the app (no connection yet); :meth:`run` runs a worker;
    :meth:`apply_schema` creates Procrastinate's tables; :meth:`defer` (in a worker) and
    :meth:`defer_now` (anywhere else, once :meth:`open`) ask for jobs.
    """

    def __init__(self, settings: Settings, library: Library | None = None) -> None:
        engine = _procrastinate()
        worker = settings.worker
        if worker.stalled_after_seconds < 2 * worker.heartbeat_seconds:
            raise ConfigError(
                f"worker.stalled_after_seconds ({worker.stalled_after_seconds:g}) must be at "
                f"least twice worker.heartbeat_seconds ({worker.heartbeat_seconds:g}), or live "
                "workers would be taken for dead"
            )
        self.settings = settings
        self.library = library or Library(settings)
        self.app: procrastinate.App = engine.App(
            connector=engine.PsycopgConnector(conninfo=conninfo(settings))
        )
        self._register(self.app)

    # -- the tasks -----------------------------------------------------------------------------

    def _register(self, app: procrastinate.App) -> None:
        async def poll_feed(feed_id: int, attempt: int = 0, if_due: bool = False) -> str:
            if if_due and not await asyncio.to_thread(self.library.feeds.is_due, feed_id):
                return "not due"  # polled meanwhile, by the job this one waited behind
            report = await self._retrying(
                POLL,
                f"feed:{feed_id}",
                attempt,
                {"feed_id": feed_id, "if_due": if_due},
                lambda: asyncio.to_thread(self.library.feeds.poll, feed_id, cluster=False),
            )
            if report.new:
                await self.defer(ASSIGN, "stories")
            await self._poll_when_due(feed_id, report.next_poll_at)
            return f"{report.status}, {report.new} new"

        async def assign_stories(attempt: int = 0) -> str:
            changes = await self._retrying(
                ASSIGN,
                "stories",
                attempt,
                {},
                # explainers are written by explain_story jobs (one at a time per story, and
                # only once due), not by assign_stories itself as in one process
                lambda: asyncio.to_thread(self.library.assign_stories, explain_grown=False),
            )
            asked = await self._explain_due()
            return f"{len(changes or [])} stories changed, {asked} explainers asked for"

        async def explain_story(story_id: int, attempt: int = 0) -> str:
            try:
                result = await self._retrying(
                    EXPLAIN,
                    f"story:{story_id}",
                    attempt,
                    {"story_id": story_id},
                    lambda: asyncio.to_thread(self.library.explain_if_due, story_id),
                )
            except NothingToPublishError as exc:  # a fact about the articles, not a failure
                logger.warning("story %s: no explainer: %s", story_id, exc)
                return f"nothing to publish: {exc}"
            if result is None:  # a report joined meanwhile: its burst has not settled yet
                update = await asyncio.to_thread(self.library.pending_update, story_id)
                if update is not None:
                    await self._explain_when_due(story_id, update.due_at)
                return "not due"
            return f"version {result.version}"

        async def tick(timestamp: int) -> str:
            report = await self.tick()
            return (
                f"{len(report.polls)} polls, assign {report.assign}, "
                f"{len(report.explains)} explainers, {len(report.recovered)} recovered"
            )

        for name, func in (
            (POLL, poll_feed),
            (ASSIGN, assign_stories),
            (EXPLAIN, explain_story),
        ):
            app.task(name=name, queue=QUEUES[name])(func)
        # Never two ticks waiting. No lock: a tick left running by a dead worker must not stop
        # the next one, which is what runs that worker's jobs again (two ticks at once only
        # ask twice for the same jobs, and the queueing locks keep one of each).
        periodic = app.periodic(cron="* * * * *", periodic_id="tick")
        periodic(app.task(name=TICK, queue=QUEUES[TICK], queueing_lock="tick")(tick))

        keep_hours = self.settings.worker.keep_jobs_hours

        async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> str:
            from procrastinate import builtin_tasks

            await builtin_tasks.remove_old_jobs(
                context,
                max_hours=keep_hours,
                remove_failed=True,
                remove_cancelled=True,
                remove_aborted=True,
            )
            return f"jobs finished more than {keep_hours} hours ago deleted"

        hourly = app.periodic(cron="0 * * * *", periodic_id="remove_old_jobs")
        purge = app.task(
            name=PURGE, queue=QUEUES[PURGE], queueing_lock="remove_old_jobs", pass_context=True
        )
        hourly(purge(remove_old_jobs))

    async def _retrying(
        self,
        task: str,
        key: str,
        attempt: int,
        kwargs: dict[str, Any],
        call: Callable[[], Awaitable[Any]],
    ) -> Any:
        try:
            return await call()
        except Exception as exc:
            if _retryable(exc) and attempt + 1 < MAX_ATTEMPTS:
                delay = backoff(attempt + 1)
                queued = await self.defer(task, key, delay=delay, attempt=attempt + 1, **kwargs)
                logger.warning(
                    "%s(%s) failed (%s: %s); %s",
                    task,
                    kwargs,
                    type(exc).__name__,
                    exc,
                    f"runs again in {delay:g} s" if queued else "the same job is waiting",
                )
            raise

    async def _poll_when_due(self, feed_id: int, due: datetime) -> None:
        """Ask for the feed's next poll at the time it is due, when that comes within a tick's
        period: the minute tick finds a due feed up to a minute late. A later poll is left to
        the ticks, so that a feed changed meanwhile (`feeds set`) is never held to a job asked
        for long before (the queueing lock keeps one waiting job per feed). ``due``: the poll's
        report's ``next_poll_at`` (in UTC)."""
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait < TICK_SECONDS:
            # (at least a second: a feed due again at once must not make polls run back to back)
            await self.defer(
                POLL, f"feed:{feed_id}", delay=max(wait, 1.0), feed_id=feed_id, if_due=True
            )

    async def _explain_due(
        self,
        report: TickReport | None = None,
        stories: list[tuple[int, str | None]] | None = None,
    ) -> int:
        """Ask for an explain job for each story that is due (``stories``: what the tick found
        due; otherwise asked for now), and for one at its due time for each story whose update
        comes before the next tick (:meth:`Library.pending_updates`: the watcher's rule)."""
        if not self.settings.explain.auto_explain:
            return 0
        if stories is None:
            stories = await asyncio.to_thread(self.library.due_stories, limit=DUE_LIMIT)
        asked = 0
        for story_id, _engine in stories:
            queued = await self.defer(EXPLAIN, f"story:{story_id}", story_id=story_id)
            asked += queued
            if report is not None:
                report.explains.append(story_id)
                report.already_waiting += not queued
        due_now = {story_id for story_id, _ in stories}
        for update in await asyncio.to_thread(self.library.pending_updates, limit=DUE_LIMIT):
            if update.story_id not in due_now:
                await self._explain_when_due(update.story_id, update.due_at)
        return asked

    async def _explain_when_due(self, story_id: int, due: datetime) -> None:
        """Ask for the story's next version at the time it is due, when that comes within a
        tick's period (the minute tick would find it up to a minute late); a later one is
        left to the ticks. The job asks :meth:`Library.explain_if_due` again when it runs."""
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait < TICK_SECONDS:
            await self.defer(EXPLAIN, f"story:{story_id}", delay=max(wait, 0.5), story_id=story_id)

    async def tick(self, *, now: datetime | None = None) -> TickReport:
        """Ask for a job for what is due (:meth:`Library.due`), and run again the jobs of
        workers that died."""
        report = TickReport()
        await self._recover_stalled(report)
        due = await asyncio.to_thread(self.library.due, now, limit=DUE_LIMIT)
        for feed in due.feeds:
            queued = await self.defer(POLL, f"feed:{feed.id}", feed_id=feed.id, if_due=True)
            report.polls.append(feed.id)
            report.already_waiting += not queued
        if due.articles_waiting:
            report.assign = True
            report.already_waiting += not await self.defer(ASSIGN, "stories")
        await self._explain_due(report, due.stories)
        return report

    async def _recover_stalled(self, report: TickReport) -> None:
        """Jobs left running by a worker whose heartbeat stopped go back to the queue, unless
        a twin waits under the same queueing lock already (then that one does the work)."""
        procrastinate = _procrastinate()
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.worker.stalled_after_seconds
        )
        for job in stalled:
            assert job.id is not None
            try:
                try:
                    await manager.retry_job(job)
                    report.recovered.append(job.id)
                except procrastinate.exceptions.UniqueViolation:
                    await manager.finish_job(
                        job, status=procrastinate.jobs.Status.FAILED, delete_job=False
                    )
                    report.superseded.append(job.id)
            except procrastinate.exceptions.ConnectorException as exc:
                # another tick (or a worker starting) took care of it meanwhile
                logger.info("job %s of a dead worker: %s", job.id, exc)
                continue
            logger.warning("job %s (%s) of a dead worker: run again", job.id, job.call_string)

    # -- asking for jobs -----------------------------------------------------------------------

    def _deferrer(self, task: str, key: str, delay: float | None) -> Any:
        return self.app.configure_task(
            task,
            allow_unknown=False,
            lock=key,
            queueing_lock=key,
            schedule_in={"seconds": delay} if delay else None,
        )

    async def defer(
        self, task: str, key: str, *, delay: float | None = None, **kwargs: Any
    ) -> bool:
        """Ask for a job (in a worker); False when the same job is waiting already."""
        try:
            await self._deferrer(task, key, delay).defer_async(**kwargs)
        except _procrastinate().exceptions.AlreadyEnqueued:
            return False
        return True

    def defer_now(self, task: str, key: str, *, delay: float | None = None, **kwargs: Any) -> bool:
        """Ask for a job from outside a worker (the app :meth:`open`); False when the same job
        is waiting already."""
        try:
            self._deferrer(task, key, delay).defer(**kwargs)
        except _procrastinate().exceptions.AlreadyEnqueued:
            return False
        return True

    def poll(self, feed_id: int) -> bool:
        return self.defer_now(POLL, f"feed:{feed_id}", feed_id=feed_id)

    def explain(self, story_id: int) -> bool:
        return self.defer_now(EXPLAIN, f"story:{story_id}", story_id=story_id)

    def assign(self) -> bool:
        return self.defer_now(ASSIGN, "stories")

    def ask_tick(self) -> bool:
        return self.defer_now(TICK, "tick", timestamp=0)

    # -- running -------------------------------------------------------------------------------

    def open(self) -> Workers:
        """Connect (synchronously), to ask for jobs or apply the schema from outside a worker."""
        self.app.open()
        return self

    def close(self) -> None:
        self.app.close()
        self.library.close()

    def __enter__(self) -> Workers:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def apply_schema(self) -> bool:
        """Create Procrastinate's tables, functions and types in the database unless they are
        there already (True when it created them). Storybrief's own tables are migrated by the
        store when it opens. Run it once per database: ``storybrief worker --apply-schema``."""
        if self.app.check_connection():
            return False
        self.app.schema_manager.apply_schema()
        return True

    def run(
        self,
        *,
        concurrency: int | None = None,
        once: bool = False,
        queues: list[str] | None = None,
        name: str | None = None,
    ) -> None:
        """Run a worker until it is stopped (SIGINT, SIGTERM) — or, with ``once``, until no
        job is left that it can take. ``queues``: only the jobs of these stages (feeds,
        stories, explain)."""
        known = sorted(set(QUEUES.values()))
        if queues and not set(queues) <= set(known):
            raise ConfigError(
                f"unknown queue(s) {', '.join(sorted(set(queues) - set(known)))}: "
                f"the queues are {', '.join(known)}"
            )
        self.library.open()  # open and migrate the database before the first job
        asyncio.run(
            self._run(concurrency=concurrency, once=once, queues=queues or known, name=name)
        )

    async def _run(
        self, *, concurrency: int | None, once: bool, queues: list[str], name: str | None
    ) -> None:
        worker = self.settings.worker
        async with self.app.open_async():
            if not await self.app.check_connection_async():
                raise ConfigError(
                    "the database has no job tables yet: run `storybrief worker --apply-schema` "
                    "once (with the same database_url)"
                )
            await self._recover_stalled(TickReport())  # a restarted worker resumes at once
            await self.app.run_worker_async(
                concurrency=concurrency or worker.concurrency,
                wait=not once,
                queues=queues,
                name=name or "storybrief",
                update_heartbeat_interval=worker.heartbeat_seconds,
                stalled_worker_timeout=worker.stalled_after_seconds,
                fetch_job_polling_interval=worker.fetch_interval_seconds,
                abort_job_polling_interval=worker.fetch_interval_seconds,
            )
