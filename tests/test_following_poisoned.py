"""A poisoned feed under each way of following (issue 27): `watch`, `serve --watch` and the
workers. A JSON Feed whose strings hold lone surrogates (it aborted every round before, and
killed the watcher thread of `serve --watch`), and a feed that redirects to a host name that is
not valid IDNA (it escaped as idna.IDNAError), beside a good feed: every other feed is served,
the bad one is visible with its reason and backoff. And the watcher itself: a round that fails
is logged and recorded, a thread that dies is started again, and both show in `status`,
/operator and /health."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.newssite import FOLLOWING_SITE, NewsSite
from tests.servers import LocalHTTPServer, Reply, redirect
from tests.test_watch import _cli, _env, socket_port

import storybrief.watch as watch_module
from storybrief.errors import StorageError
from storybrief.library import Library
from storybrief.settings import Settings
from storybrief.watch import Supervisor, Watcher

SENTENCE = (
    "The Harbor Bridge in Riverside reopened to traffic on Tuesday, Mayor Dana Whitfield said. "
)


def _poisoned_json() -> bytes:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Wire\ud800",
        "items": [
            {
                "id": "w1\ud800",
                "url": "https://wire.example/storm\ud800",
                "external_url": "https://x.example/\udfff",
                "title": "Storm Alma\ud800 floods Bayside",
                "content_text": "Storm Alma brought floods to the Bayside coast on Monday, "
                "forecaster Ana Lind said. Bayside officials closed the coastal road as Storm "
                "Alma pushed water inland, officer Sam Vega said.\ud800 Storm Alma is expected "
                "to weaken by the weekend, according to the Bayside weather bulletin.",
            }
        ],
    }
    return json.dumps(doc).encode()


class Feeds:
    """A good news site, a poisoned JSON Feed, and a feed that redirects to http://xn--/."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.site = NewsSite(server)
        self.site.publish("bridge", 2)
        self.good = self.site.feed_url
        self.poisoned = server.route(
            "/wire.json",
            Reply(body=_poisoned_json(), headers={"Content-Type": "application/feed+json"}),
        )
        self.bad_host = server.route("/moved.xml", redirect("http://xn--/feed.xml"))

    @property
    def urls(self) -> list[str]:
        return [self.poisoned, self.bad_host, self.good]


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    with LocalHTTPServer() as server:
        yield Feeds(server)


def _status(data: Path, env: dict[str, str]) -> dict:
    shown = subprocess.run(
        _cli(data, "status", "--json"), env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _check_following(status: dict, feeds: Feeds) -> None:
    """Every other feed served; the bad one failing with its reason and a later next poll."""
    by_url = {f["url"]: f for f in status["feeds"]}
    bad = by_url[feeds.bad_host]
    assert bad["failures"] >= 1 and "not a valid internationalised domain" in bad["last_error"]
    next_poll = datetime.fromisoformat(bad["next_poll"])
    assert next_poll.replace(tzinfo=next_poll.tzinfo or UTC) > datetime.now(UTC)
    assert by_url[feeds.good]["failures"] == 0 and by_url[feeds.good]["last_success"]
    assert (
        by_url[feeds.poisoned]["failures"] == 0 and by_url[feeds.poisoned]["title"] == "Wire\ufffd"
    )


def test_watch_follows_every_other_feed_past_a_poisoned_one(feeds, tmp_path):
    env = _env(tmp_path)
    data = tmp_path / "data"
    for url in feeds.urls:
        subprocess.run(_cli(data, "feeds", "add", url), env=env, check=True)
    once = subprocess.run(
        _cli(data, "watch", "--once", "-q"), env=env, capture_output=True, text=True, timeout=300
    )
    assert once.returncode == 1  # a feed failed: said, not a crash
    assert "Traceback" not in once.stderr, once.stderr
    assert "3 feeds polled, 3 new articles" in once.stdout
    status = _status(data, env)
    _check_following(status, feeds)
    assert status["pending"]["stories_without_explainer"] == 0  # both stories explained
    assert [(w["name"], w["health"]) for w in status["watchers"]] == [("watch", "stopped")]


def test_serve_watch_follows_every_other_feed_and_logs_what_it_does(feeds, tmp_path):
    env = _env(tmp_path)
    data = tmp_path / "data"
    for url in feeds.urls:
        subprocess.run(_cli(data, "feeds", "add", url), env=env, check=True)
    with socket_port() as port:
        pass
    serving = subprocess.Popen(
        _cli(data, "serve", "--watch", "--port", str(port), "--log-level", "warning"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        stories: list = []
        while time.monotonic() < deadline:
            assert serving.poll() is None
            try:
                stories = httpx.get(f"http://127.0.0.1:{port}/api/v1/stories").json()
            except httpx.TransportError:
                stories = []
            if len(stories) == 2 and all(s["explainer_versions"] for s in stories):
                break
            time.sleep(0.5)
        assert sorted(s["articles"] for s in stories) == [1, 2]
        assert all(s["explainer_versions"] for s in stories)
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200, health.text
        (watcher,) = health.json()["watchers"]
        assert (watcher["name"], watcher["health"]) == ("serve --watch", "ok")
        status = _status(data, env)
        _check_following(status, feeds)
        assert status["watchers"][0]["name"] == "serve --watch"
    finally:
        serving.terminate()
        _, log = serving.communicate(timeout=60)
    assert "Exception in thread" not in log and "Traceback" not in log, log
    # the watcher's lines, as `watch` logs them: polls that brought articles or failed, the
    # stories made, the explainers written
    assert f"info poll feed={feeds.good} status=ok new=2" in log, log
    assert f"warning poll feed={feeds.bad_host} status=failed new=0" in log
    assert "info stories changed=" in log and "info explained story=" in log


# -- the watcher's own failures ------------------------------------------------------------------


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    return test_settings.changed(
        **FOLLOWING_SITE,
        **{
            "explain.settle_seconds": 0.0,  # a grown story is explained at once
            "watch.idle_sleep_seconds": 0.1,
        },
    )


@pytest.fixture
def quick_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_module, "FIRST_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(watch_module, "HEARTBEAT_SECONDS", 0.0)


def _wait(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_round_that_fails_is_recorded_and_the_watcher_goes_on(
    feeds, settings, quick_pauses, monkeypatch
):
    """The database refusing a write mid-round (here: while stories are formed) fails that
    round: logged, recorded on the watcher's row, and the next round goes on."""
    with Library(settings) as lib:
        lib.feeds.add(feeds.good)
        real = lib.assign_stories
        refusals = [StorageError("database write failed: disk I/O error")] * 2
        looked = threading.Event()

        def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
            if len(refusals) == 1:
                looked.wait(30)  # the second refusal once the test has looked at the first
            if refusals:
                raise refusals.pop()
            return real(*args, **kwargs)

        monkeypatch.setattr(lib, "assign_stories", flaky)
        seen: list[str] = []
        watcher = Watcher(lib, on_event=lambda kind, fields: seen.append(kind))
        thread = threading.Thread(target=watcher.run)
        thread.start()
        try:
            _wait(lambda: seen.count("round_failed") == 1, "a failed round")
            (status,) = lib.watchers()
            assert status.health == "failing" and status.record.failures >= 1
            assert "disk I/O error" in (status.record.last_error or "")
            looked.set()
            _wait(lambda: lib.stories() and lib.stories()[0].explainer_versions, "an explainer")
            _wait(lambda: lib.watchers()[0].health == "ok", "the watcher to be ok again")
        finally:
            watcher.stop.set()
            thread.join(30)
        assert seen.count("round_failed") == 2
        assert lib.watchers()[0].health == "stopped"


def test_the_supervisor_starts_a_dead_watcher_again_and_health_says_so(
    feeds, settings, quick_pauses, tmp_path
):
    """A watcher whose thread dies (here: twice, the database not answering as it starts) is
    started again after a pause; while it waits, /health answers 503 and the operator page
    and `status` name it restarting with the error."""
    from tests.appserver import AUTH, AppServer

    from storybrief.serve import create_app

    settings = settings.changed(**{"serve.api_token": AUTH["Authorization"].split()[1]})
    with Library(settings) as lib, AppServer(create_app(settings, lib.store)) as server:
        lib.feeds.add(feeds.good)
        deaths = [StorageError("cannot open database: connection refused")] * 2
        gate = threading.Event()
        answers: list[int] = []

        def make() -> Watcher:
            if deaths:
                if len(deaths) == 1:  # the second death: look at the service while it waits
                    answers.append(httpx.get(f"{server.url}/health").status_code)
                    gate.set()
                raise deaths.pop()
            return Watcher(lib, name="serve --watch")

        supervisor = Supervisor(lib, make, name="serve --watch").start()
        try:
            _wait(lambda: lib.stories() and lib.stories()[0].explainer_versions, "an explainer")
            assert gate.is_set() and supervisor.restarts == 2
            (status,) = lib.watchers()
            assert status.record.restarts == 2 and status.health == "ok"
            assert "connection refused" in (status.record.last_error or "")
            assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
            page = httpx.get(f"{server.url}/operator", headers=AUTH).text
            assert "serve --watch on" in page and "connection refused" in page
        finally:
            supervisor.stop()
        assert answers == [503]  # while it was restarting
        assert lib.watchers()[0].health == "stopped"


def test_health_is_failing_while_a_watcher_restarts_or_is_silent(settings):
    from tests.appserver import AppServer

    from storybrief.serve import create_app

    with Library(settings) as lib, AppServer(create_app(settings, lib.store)) as server:
        assert httpx.get(f"{server.url}/health").json() == {
            "status": "ok",
            "database": "ok",
            "watchers": [],
        }
        watcher = lib.register_watcher("watch")
        assert httpx.get(f"{server.url}/health").status_code == 200
        lib.report_watcher(watcher, state="restarting", restarted=True, error="boom")
        reply = httpx.get(f"{server.url}/health")
        assert reply.status_code == 503 and reply.json()["watchers"][0]["health"] == "restarting"
        assert "boom" not in reply.text  # error text is for the operator, not the public
        lib.report_watcher(watcher, state="running")
        later = datetime.now(UTC).timestamp() + 3600
        (silent,) = lib.watchers(now=datetime.fromtimestamp(later, UTC))
        assert silent.health == "silent" and not silent.healthy
        lib.report_watcher(watcher, state="stopped")
        assert httpx.get(f"{server.url}/health").status_code == 200


# -- workers -------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_worker_follows_every_other_feed_past_a_poisoned_one(feeds, tmp_path, monkeypatch):
    from tests.conftest import clean_environment
    from tests.dbs import fresh_postgres
    from tests.test_worker import BRIDGE, ENV, HARVEST, RSS, Pool, jobs, rss, settle

    from storybrief.worker import Workers

    with fresh_postgres("database", who="worker tests", extra="worker") as url:
        clean_environment(monkeypatch, tmp_path)
        for key, value in ENV.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("STORYBRIEF_DATABASE_URL", url)
        monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
        settings = Settings()
        with Workers(settings) as workers:
            workers.apply_schema()
            # the workers use the feeds' own text (fetch.feed_pages off): a feed that has it
            good = feeds.server.route("/full.xml", Reply(body=rss([BRIDGE, HARVEST]), headers=RSS))
            for feed_url in (feeds.poisoned, feeds.bad_host, good):
                workers.library.feeds.add(feed_url)
            pool = Pool(settings, tmp_path)
            try:
                pool.start(1)
                workers.ask_tick()
                settle(settings, pool)
                lib = workers.library
                by_url = {f.url: f for f in lib.feeds.all()}
                bad = by_url[feeds.bad_host]
                assert bad.consecutive_failures == 1, pool.logs()
                assert "not a valid internationalised domain" in (bad.last_error or "")
                assert bad.next_poll_at is not None and bad.next_poll_at > datetime.now(UTC)
                assert by_url[feeds.poisoned].last_success_at is not None
                stories = lib.stories()
                assert sorted(s.size for s in stories) == [1, 1, 1], pool.logs()
                assert all(s.explainer_versions for s in stories), pool.logs()
                assert jobs(settings, "poll_feed", "failed") == 0, pool.logs()
            finally:
                pool.stop()
