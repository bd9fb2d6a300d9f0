"""Worker mode (storybrief worker): Procrastinate on a real PostgreSQL database, with several
real worker processes, a real feed server on 127.0.0.1, and a worker killed with SIGKILL.

Each test gets a fresh database on the server that STORYBRIEF_TEST_POSTGRES_URL names (skipped,
with the reason, without it), so storybrief's tables and Procrastinate's start clean."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import clean_environment
from tests.dbs import fresh_postgres
from tests.servers import LocalHTTPServer, RecordedRequest, Reply

from storybrief.errors import ConfigError, MissingExtraError
from storybrief.settings import Settings

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).parents[1]
RSS = {"Content-Type": "application/rss+xml"}


# -- a fresh database, and the settings every process shares ------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres("database", who="worker tests", extra="worker") as url:
        yield url


# every process: 127.0.0.1 allowed, feed content used as is, hashed vectors (no model to load
# in each worker), explainers as soon as a story grows, and a worker taken for dead after 2 s
ENV = {
    "STORYBRIEF_FETCH__ALLOWED_HOSTS": '["127.0.0.1"]',
    "STORYBRIEF_FETCH__FEED_PAGES": "false",
    "STORYBRIEF_FETCH__PER_HOST_DELAY": "0",
    "STORYBRIEF_FETCH__TIMEOUT": "30",
    "STORYBRIEF_CLUSTER__VECTORS": "hashing",
    "STORYBRIEF_EXPLAIN__SETTLE_SECONDS": "0",  # a grown story is explained at once
    "STORYBRIEF_WORKER__HEARTBEAT_SECONDS": "0.5",
    "STORYBRIEF_WORKER__STALLED_AFTER_SECONDS": "2",
    "STORYBRIEF_WORKER__FETCH_INTERVAL_SECONDS": "0.2",
}


@pytest.fixture
def settings(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    clean_environment(monkeypatch, tmp_path)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("STORYBRIEF_DATABASE_URL", pg_url)
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    return Settings()


@pytest.fixture
def workers(settings: Settings) -> Iterator[Any]:
    """The test's own handle on the queue: it applies the schema and asks for jobs."""
    from storybrief.worker import Workers

    with Workers(settings) as handle:
        assert handle.apply_schema() is True
        assert handle.apply_schema() is False  # idempotent
        yield handle


class Pool:
    """Worker processes (`storybrief worker`), their logs in tmp_path."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        (tmp_path / "none.toml").write_text("")

    def start(self, n: int = 1, *args: str) -> list[subprocess.Popen[bytes]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
        env.update(ENV)
        env["STORYBRIEF_DATABASE_URL"] = str(self.settings.database_url)
        env["STORYBRIEF_DATA_DIR"] = str(self.tmp_path)
        env["STORYBRIEF_CONFIG"] = str(self.tmp_path / "none.toml")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        started = []
        for _ in range(n):
            log = open(self.tmp_path / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, "-c", "from storybrief.cli import main; main()", "worker", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tmp_path,
            )
            log.close()
            self.procs.append(proc)
            started.append(proc)
        wait_for(lambda: live_workers(self.settings) >= self.alive(), "workers to start", 60)
        return started

    def alive(self) -> int:
        return sum(p.poll() is None for p in self.procs)

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {i}\n" + (self.tmp_path / f"worker-{i}.log").read_text(errors="replace")
            for i in range(len(self.procs))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def pool(settings: Settings, workers: Any, tmp_path: Path) -> Iterator[Pool]:
    running = Pool(settings, tmp_path)
    try:
        yield running
    finally:
        running.stop()


# -- looking at the database -------------------------------------------------------------------


def sql(settings: Settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    from storybrief.worker import conninfo

    with psycopg.connect(conninfo(settings), autocommit=True) as conn:
        cursor = conn.execute(query, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def live_workers(settings: Settings) -> int:
    return sql(settings, "SELECT count(*) FROM procrastinate_workers")[0][0]


def jobs(settings: Settings, task: str, status: str) -> int:
    return sql(
        settings,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status = %s",
        f"storybrief.{task}",
        status,
    )[0][0]


def idle(settings: Settings) -> bool:
    """No job waiting (now) or running."""
    rows = sql(
        settings,
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
        "OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))",
    )
    return rows[0][0] == 0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def settle(settings: Settings, pool: Pool, timeout: float = 90) -> None:
    """Wait until the queue is idle, and stays idle for a moment (a finished job may defer
    the next one)."""
    try:
        for _ in range(3):
            wait_for(lambda: idle(settings), "the queue to drain", timeout)
            time.sleep(0.5)
    except AssertionError:
        raise AssertionError(pool.logs()) from None


# -- feeds -------------------------------------------------------------------------------------


@dataclass
class Story:
    title: str
    text: str
    guid: str = field(default_factory=lambda: uuid.uuid4().hex)


def rss(items: list[Story]) -> bytes:
    entries = "".join(
        f"<item><title>{s.title}</title><guid isPermaLink='false'>{s.guid}</guid>"
        f"<link>https://news.example/{s.guid}</link>"
        "<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[{s.text}]]></content:encoded></item>"
        for s in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Test feed</title><link>https://news.example/</link>{entries}</channel></rss>"
    ).encode()


BRIDGE = Story(
    "Harbor Bridge reopens after a two-year repair",
    "<p>The Harbor Bridge reopened to traffic on Tuesday morning after a two-year repair that "
    "replaced its deck and cables, the city transport department said.</p><p>Engineers found "
    "corrosion in the main cables in 2024 and closed the bridge to cars, sending commuters onto "
    "ferries and a long detour through the northern tunnel.</p><p>The repair cost 210 million "
    "dollars, forty million more than planned, because the steel had to be imported.</p>",
)
ORCHESTRA = Story(
    "City orchestra names a new music director",
    "<p>The city symphony orchestra named the violinist Maren Holt as its new music director, "
    "the first woman to lead the ensemble in its ninety-year history.</p><p>Holt will conduct "
    "twelve concerts next season, including a cycle of Sibelius symphonies and three new "
    "commissions from young composers.</p><p>The board said ticket sales rose by a fifth last "
    "year and that the orchestra would tour Japan in the spring.</p>",
)
HARVEST = Story(
    "Drought cuts the wheat harvest by a third",
    "<p>Farmers in the eastern plains harvested a third less wheat than last year after the "
    "driest summer in half a century, the agriculture ministry reported on Friday.</p><p>Grain "
    "prices rose by nine percent at the regional exchange, and millers warned that bread would "
    "cost more by winter.</p><p>The ministry will pay drought relief to farms that lost more "
    "than half of their crop.</p>",
)


# -- without a server or workers ---------------------------------------------------------------


def test_worker_mode_refuses_sqlite_naming_the_setting(tmp_path, monkeypatch):
    from storybrief.worker import Workers

    clean_environment(monkeypatch, tmp_path)
    with pytest.raises(ConfigError, match="database_url.*PostgreSQL|PostgreSQL.*database_url"):
        Workers(Settings(data_dir=tmp_path))


def test_worker_mode_without_the_extra_names_the_pip_line(tmp_path, monkeypatch):
    from storybrief.worker import Workers

    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setitem(sys.modules, "procrastinate", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'storybrief\[worker\]'"):
        Workers(Settings(data_dir=tmp_path, database_url="postgresql+psycopg://x@h/db"))


def test_a_heartbeat_slower_than_the_stall_timeout_is_refused(tmp_path, monkeypatch):
    from storybrief.worker import Workers

    clean_environment(monkeypatch, tmp_path)
    settings = Settings(
        database_url="postgresql+psycopg://x@h/db",
        worker={"heartbeat_seconds": 20, "stalled_after_seconds": 30},
    )
    with pytest.raises(ConfigError, match="stalled_after_seconds"):
        Workers(settings)


# -- the queue, without worker processes -------------------------------------------------------


def test_a_job_waits_in_the_queue_once(workers):
    feed = workers.library.store.feeds.add("http://127.0.0.1:9/feed.xml")
    assert workers.poll(feed.id) is True
    assert workers.poll(feed.id) is False  # the queueing lock: the waiting job will do it
    assert workers.explain(7) is True and workers.explain(7) is False
    assert workers.explain(8) is True
    assert workers.assign() is True and workers.assign() is False
    assert jobs(workers.settings, "poll_feed", "todo") == 1
    assert jobs(workers.settings, "explain_story", "todo") == 2


def test_tick_asks_for_due_feeds_and_runs_a_dead_workers_jobs_again(workers):
    """A job left 'doing' by a worker whose heartbeat stopped goes back to the queue; one whose
    twin already waits under the same queueing lock is closed instead (retrying it would
    break the queueing lock's unique index: procrastinate issue 1446)."""
    settings = workers.settings
    store = workers.library.store
    first = store.feeds.add("http://127.0.0.1:9/a.xml")
    second = store.feeds.add("http://127.0.0.1:9/b.xml")

    async def scenario() -> Any:
        manager = workers.app.job_manager
        async with workers.app.open_async():
            dead = await manager.register_worker()
            for feed in (first, second):
                assert await workers.defer(
                    "storybrief.poll_feed", f"feed:{feed.id}", feed_id=feed.id
                )
                assert (await manager.fetch_job(queues=None, worker_id=dead)) is not None
            # a twin of the second poll waits; the first's does not
            assert await workers.defer(
                "storybrief.poll_feed", f"feed:{second.id}", feed_id=second.id
            )
            sql(
                settings,
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'",
            )
            return await workers.tick()

    report = asyncio.run(scenario())
    assert len(report.recovered) == 1 and len(report.superseded) == 1
    statuses = sql(settings, "SELECT lock, status FROM procrastinate_jobs ORDER BY id")
    assert statuses == [
        (f"feed:{first.id}", "todo"),  # run again
        (f"feed:{second.id}", "failed"),  # its twin does the work
        (f"feed:{second.id}", "todo"),
    ]
    # both feeds were due: the tick asked for both polls, and found them waiting
    assert sorted(report.polls) == sorted([first.id, second.id])
    assert report.already_waiting == 2


def test_a_failed_job_is_asked_for_again_with_backoff_unless_it_cannot_succeed(
    workers, monkeypatch
):
    from storybrief.errors import NotFoundError, NothingToPublishError, StorageError

    settings = workers.settings
    explain = workers.app.tasks["storybrief.explain_story"].func
    failures = iter(
        [
            StorageError("database went away"),
            NotFoundError("story 5 is gone"),
            NothingToPublishError("no sentence of the articles can stand on its own"),
        ]
    )

    def failing(story_id: int, **_: Any) -> None:
        raise next(failures)

    monkeypatch.setattr(workers.library, "explain_if_due", failing)

    async def run(**kwargs: Any) -> None:
        async with workers.app.open_async():
            await explain(**kwargs)

    with pytest.raises(StorageError):
        asyncio.run(run(story_id=5, attempt=2))
    ((args, lock, wait),) = sql(
        settings,
        "SELECT args, lock, extract(epoch FROM scheduled_at - now()) FROM procrastinate_jobs",
    )
    assert args == {"story_id": 5, "attempt": 3} and lock == "story:5"
    assert 30 < wait <= 40  # the third retry waits 40 s
    sql(settings, "DELETE FROM procrastinate_jobs")
    with pytest.raises(NotFoundError):
        asyncio.run(run(story_id=5))
    assert sql(settings, "SELECT count(*) FROM procrastinate_jobs") == [(0,)]

    # articles with nothing publishable: not a failure, and asking again changes nothing
    async def result(**kwargs: Any) -> str:
        async with workers.app.open_async():
            return str(await explain(**kwargs))

    assert asyncio.run(result(story_id=5)).startswith("nothing to publish: no sentence")
    assert sql(settings, "SELECT count(*) FROM procrastinate_jobs") == [(0,)]


# -- with worker processes ---------------------------------------------------------------------


class Counting:
    """A feed route that takes ``seconds`` to answer and counts requests in flight."""

    def __init__(self, body: bytes, seconds: float) -> None:
        self.body = body
        self.seconds = seconds
        self.lock = threading.Lock()
        self.now = self.most = self.total = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        with self.lock:
            self.now += 1
            self.total += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
        return Reply(body=self.body, headers=RSS)


def test_a_feed_due_within_the_minute_is_polled_when_due_not_at_the_next_tick(
    workers, pool, http_server: LocalHTTPServer, monkeypatch
):
    # every 2 s: five polls within 20 s need each poll to ask for the next at its time; the
    # ticks (one as the worker starts, then one a minute) would give two or three
    monkeypatch.setitem(ENV, "STORYBRIEF_WATCH__MIN_POLL_SECONDS", "1")
    feed_route = Counting(rss([BRIDGE]), 0.0)
    store = workers.library.store
    feed = store.feeds.add(http_server.route("/often.xml", feed_route), poll_every_seconds=2)
    pool.start(1)
    workers.poll(feed.id)  # (unless the tick, as the worker starts, asked for it first)
    wait_for(lambda: feed_route.total >= 5, "five polls of a feed due every 2 s", 20)
    assert feed_route.most == 1  # one at a time
    # a feed due later than a tick's period is left to the ticks: no job waits for it
    slow = store.feeds.add(http_server.route("/slow.xml", Counting(rss([ORCHESTRA]), 0.0)))
    workers.poll(slow.id)  # (unless a tick asked for it first)
    wait_for(lambda: store.feeds.get(slow.id).last_success_at is not None, "the slow poll", 20)
    time.sleep(1)
    waiting = sql(
        workers.settings,
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' AND lock = %s",
        f"feed:{slow.id}",
    )
    assert waiting == [(0,)]


def test_a_feed_is_never_polled_by_two_workers_at_once(workers, pool, http_server: LocalHTTPServer):
    settings = workers.settings
    locked, unlocked = Counting(rss([BRIDGE]), 0.4), Counting(rss([ORCHESTRA]), 0.4)
    store = workers.library.store
    feed = store.feeds.add(http_server.route("/locked.xml", locked))
    control = store.feeds.add(http_server.route("/unlocked.xml", unlocked))
    pool.start(3)

    # the instrument works: the same polls asked for without the locks overlap
    for _ in range(6):
        workers.app.configure_task("storybrief.poll_feed").defer(feed_id=control.id)
    settle(settings, pool)
    # (a tick, deferred as the workers start, may have asked for a poll of each feed too)
    assert unlocked.total >= 6 and unlocked.most >= 2

    asked = 0
    for _ in range(20):  # over about 4 s, while polls of that feed run
        asked += workers.poll(feed.id)
        time.sleep(0.2)
    settle(settings, pool)
    assert locked.most == 1, f"{locked.most} polls of one feed at once"
    assert locked.total >= asked >= 3  # several polls ran, one after the other
    assert jobs(settings, "poll_feed", "failed") == 0
    ran_on = sql(
        settings,
        "SELECT DISTINCT worker_id FROM procrastinate_jobs WHERE lock = %s",
        f"feed:{feed.id}",
    )
    print(f"{asked} polls of one feed by {len(ran_on)} workers; without the lock {unlocked.most}")
    assert store.articles.count() == 2


def test_a_worker_logs_json_lines(workers, pool, http_server: LocalHTTPServer):
    """`--log-format json` (the formatter of `storybrief watch`): every line on stderr is one
    JSON object, Procrastinate's job lines with their action, job and task; `--quiet` leaves
    nothing else on stdout."""
    feed = workers.library.store.feeds.add(
        http_server.route("/feed.xml", Reply(body=rss([BRIDGE]), headers=RSS))
    )
    pool.start(1, "--log-format", "json", "--quiet")
    workers.poll(feed.id)
    settle(workers.settings, pool)
    pool.stop()
    lines = [line for line in pool.logs().splitlines()[1:] if line.strip()]
    events = [json.loads(line) for line in lines]  # stdout and stderr: JSON lines only
    polls = [e for e in events if e.get("task") == "storybrief.poll_feed"]
    assert {e.get("action") for e in polls} == {"job_success"}, lines  # one line a job
    done = next(e for e in polls if e["action"] == "job_success")
    assert done["level"] == "info" and done["logger"] == "procrastinate.worker"
    assert "ok, 1 new" in done["event"] and isinstance(done["job"], int)
    actions = {e["action"] for e in events if "action" in e}
    assert actions >= {"start_worker", "stop_worker"}
    # at INFO no line per HTTP request, nor the queue's set-up, deferrals and job starts
    assert not [e for e in events if e["event"].startswith("HTTP Request")], lines
    assert not actions & {"loading_blueprint", "registering_periodic_task", "start_job"}, lines


def test_apply_schema_prints_one_line(workers, pool):
    """`worker --apply-schema` says what it did, without the task queue's start-up lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env.update(ENV)
    env["STORYBRIEF_DATABASE_URL"] = str(workers.settings.database_url)
    env["STORYBRIEF_DATA_DIR"] = str(pool.tmp_path)
    env["STORYBRIEF_CONFIG"] = str(pool.tmp_path / "none.toml")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-c", "from storybrief.cli import main; main()", "worker"]
        + ["--apply-schema"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (run.stdout, run.stderr) == ("storybrief: job tables already there\n", "")


def test_a_worker_killed_mid_poll_loses_nothing(workers, pool, http_server: LocalHTTPServer):
    settings = workers.settings
    stalled, release = threading.Event(), threading.Event()
    calls: list[float] = []

    def stall_first(request: RecordedRequest) -> Reply:
        calls.append(time.monotonic())
        if len(calls) == 1:
            stalled.set()
            release.wait(20)  # the worker asking is killed meanwhile
        return Reply(body=rss([BRIDGE, ORCHESTRA, HARVEST]), headers=RSS)

    store = workers.library.store
    feed = store.feeds.add(http_server.route("/feed.xml", stall_first))
    (victim,) = pool.start(1)
    workers.poll(feed.id)  # False when the worker's first tick asked for it already: either way
    assert stalled.wait(30), pool.logs()
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    release.set()
    assert jobs(settings, "poll_feed", "doing") == 1  # left running by the dead worker

    pool.start(2)
    # the dead worker's heartbeat ages past worker.stalled_after_seconds; then a tick (or a
    # worker starting) puts its job back in the queue, and another worker runs it
    deadline = time.monotonic() + 30
    while jobs(settings, "poll_feed", "succeeded") == 0:
        assert time.monotonic() < deadline, pool.logs()
        workers.ask_tick()
        time.sleep(0.5)
    settle(settings, pool)

    assert len(calls) == 2  # polled again once
    # the dead worker's job ran again, or was closed for a twin the tick had asked for
    assert jobs(settings, "poll_feed", "doing") == jobs(settings, "poll_feed", "todo") == 0
    # the database is as if the poll had run once: three articles, each in its own story, and
    # one explainer for each story
    assert store.articles.count() == 3
    stories = store.stories.summaries()
    assert len(stories) == 3
    assert sorted(len(store.stories.article_ids(s.id)) for s in stories) == [1, 1, 1]
    assert [len(store.explainers.versions(s.id)) for s in stories] == [1, 1, 1]
    assert store.articles.unassigned_ids() == []


def test_articles_of_one_new_event_at_the_same_moment_make_one_story(
    workers, pool, http_server: LocalHTTPServer
):
    settings = workers.settings
    both = threading.Barrier(2, timeout=20)
    other = Story(
        "Harbor Bridge open again after two years of repairs",
        BRIDGE.text.replace("Tuesday morning", "Tuesday").replace(
            "the city transport department said", "officials said"
        ),
    )

    def together(body: bytes) -> Callable[[RecordedRequest], Reply]:
        def reply(request: RecordedRequest) -> Reply:
            both.wait()  # both feeds answer at the same moment
            return Reply(body=body, headers=RSS)

        return reply

    store = workers.library.store
    first = store.feeds.add(http_server.route("/a.xml", together(rss([BRIDGE]))))
    second = store.feeds.add(http_server.route("/b.xml", together(rss([other]))))
    pool.start(3)
    assert workers.poll(first.id) and workers.poll(second.id)
    settle(settings, pool)

    assert store.articles.count() == 2
    stories = store.stories.summaries()
    assert len(stories) == 1, pool.logs()
    assert len(store.stories.article_ids(stories[0].id)) == 2
    # one explainer — or two when, on a busy machine, the first article was put in its story
    # (and explained) before the second was stored: explain.settle_seconds is 0 here, so the
    # grown story is explained again; never twice from the same articles, and the latest is
    # current
    versions = [v.sources_key for v in store.explainers.versions(stories[0].id)]
    assert 1 <= len(versions) <= 2 and len(set(versions)) == len(versions), pool.logs()
    assert workers.library.due_stories() == []


def test_a_burst_of_growth_costs_one_explainer(workers, pool, tmp_path):
    from storybrief.library import Library

    settings = workers.settings
    first, second = tmp_path / "first.html", tmp_path / "second.html"
    first.write_text(f"<html><h1>{BRIDGE.title}</h1>{BRIDGE.text}</html>")
    second.write_text(
        "<html><h1>Harbor Bridge traffic returns to normal</h1>"
        + BRIDGE.text.replace("Tuesday morning", "Tuesday")
        + "<p>Traffic on the Harbor Bridge returned to its level before the repair within a "
        "day, and the ferry company said it would cut its timetable.</p></html>"
    )
    quiet = settings.changed(**{"explain.auto_explain": False})
    with Library(quiet) as lib:
        lib.ingest([first])
        (story,) = lib.stories()
        assert lib.explain(story_id=story.id).version == 1
        lib.ingest([second])  # the story grows: its explainer is due
        assert len(lib.story(story.id).articles) == 2
        assert [s for s, _ in lib.due_stories()] == [story.id]

    pool.start(3)
    asked = 0
    for _ in range(30):  # a burst: thirty asks in about three seconds
        asked += workers.explain(story.id)
        time.sleep(0.1)
    settle(settings, pool)
    ran = jobs(settings, "explain_story", "succeeded")
    versions = workers.library.store.explainers.versions(story.id)
    print(f"{asked} of 30 asks queued, {ran} jobs ran, {len(versions)} versions")
    assert [v.version for v in versions] == [1, 2] or [v.version for v in versions] == [2, 1]
    assert ran >= 1  # the asks that were queued, and any the workers' ticks added


def test_finished_jobs_are_deleted_once_older_than_the_setting(
    workers, pool, http_server: LocalHTTPServer
):
    """An hourly periodic job (Procrastinate's builtin remove_old_jobs) deletes the jobs that
    finished more than worker.keep_jobs_hours ago, succeeded or failed, with their events;
    recent ones and jobs still waiting stay."""
    from storybrief.worker import PURGE

    settings = workers.settings
    assert settings.worker.keep_jobs_hours == 72
    periodic = workers.app.periodic_registry.periodic_tasks.values()
    assert [p.cron for p in periodic if p.task.name == PURGE] == ["0 * * * *"]  # hourly

    feed = workers.library.store.feeds.add(
        http_server.route("/feed.xml", Reply(body=rss([BRIDGE]), headers=RSS))
    )
    pool.start(1)
    workers.poll(feed.id)  # succeeds (or a tick asked for it already)
    workers.poll(feed.id + 1000)  # fails: no such feed
    workers.defer_now("storybrief.explain_story", "story:5", delay=7200, story_id=5)  # waits
    settle(settings, pool)

    def jobs_by_status() -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for job_id, status in sql(settings, "SELECT id, status FROM procrastinate_jobs"):
            found.setdefault(status, set()).add(job_id)
        return found

    old = jobs_by_status()
    assert old.keys() == {"succeeded", "failed", "todo"}, old
    # all of that happened 73 hours ago (the waiting job was asked for then, too) …
    sql(settings, "UPDATE procrastinate_events SET at = at - interval '73 hours'")
    # … and this feed was polled just now
    assert workers.poll(feed.id)
    settle(settings, pool)
    recent = jobs_by_status()["succeeded"] - old["succeeded"]
    assert recent
    events = sql(settings, "SELECT count(*) FROM procrastinate_events")[0][0]

    assert workers.defer_now(PURGE, "remove_old_jobs", timestamp=0)
    settle(settings, pool)
    after = jobs_by_status()
    assert not after["succeeded"] & old["succeeded"]  # gone: finished long ago
    assert not after.get("failed", set()) & old["failed"]  # failed ones too
    assert after["succeeded"] >= recent  # kept: finished just now
    assert after["todo"] >= old["todo"]  # kept: still waiting, however old
    orphans = sql(
        settings,
        "SELECT count(*) FROM procrastinate_events e "
        "LEFT JOIN procrastinate_jobs j ON j.id = e.job_id WHERE j.id IS NULL",
    )
    assert orphans == [(0,)]
    assert sql(settings, "SELECT count(*) FROM procrastinate_events")[0][0] < events


def test_a_burst_is_explained_once_when_it_settles_not_at_a_tick(
    workers, pool, tmp_path, monkeypatch
):
    """Workers follow the watcher's rule (Library.pending_updates): an assign job that finds
    a grown story still settling asks for its explain job at the time it is due, so the
    update lands then (not at the next minute's tick, nor before it settles), once."""
    from storybrief.library import Library

    monkeypatch.setitem(ENV, "STORYBRIEF_EXPLAIN__SETTLE_SECONDS", "4")  # the workers'
    settings = workers.settings.changed(**{"explain.settle_seconds": 4.0})
    pages = []
    for n, (title, extra) in enumerate(
        [
            (BRIDGE.title, ""),
            ("Harbor Bridge traffic returns to normal", "Traffic returned within a day."),
            ("Ferries cut as Harbor Bridge reopens", "The ferry company cut its timetable."),
        ]
    ):
        page = tmp_path / f"page-{n}.html"
        text = BRIDGE.text if not extra else BRIDGE.text.replace("Tuesday morning", "Tuesday")
        page.write_text(f"<html><h1>{title}</h1>{text}<p>{extra}</p></html>")
        pages.append(page)
    with Library(settings.changed(**{"explain.auto_explain": False})) as lib:
        lib.ingest([pages[0]])
        (story,) = lib.stories()
        assert lib.explain(story_id=story.id).version == 1
        lib.ingest([pages[1]])
        lib.ingest([pages[2]])  # a burst of two reports
        (update,) = lib.pending_updates()
        assert update.story_id == story.id and update.new_reports == 2
        assert lib.due_stories() == []  # settling

    pool.start(1)
    assert workers.assign()  # finds the story settling: its explain job is asked for at due_at
    wait_for(
        lambda: len(workers.library.store.explainers.versions(story.id)) == 2,
        "the update",
        60,
    )
    settle(settings, pool)
    versions = workers.library.store.explainers.versions(story.id)
    assert [v.version for v in versions] == [2, 1], pool.logs()  # once for the burst
    assert versions[0].created_at >= update.due_at  # not before it settled
    assert workers.library.due_stories() == []
    scheduled = sql(
        settings,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND scheduled_at IS NOT NULL",
        "storybrief.explain_story",
    )[0][0]
    assert scheduled >= 1  # asked for at its due time
    print(f"update landed {(versions[0].created_at - update.due_at).total_seconds():.1f} s late")
