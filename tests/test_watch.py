"""Following feeds: subscriptions, the watcher's rounds (poll, stories, explainers), its
debounce, conditional GETs, failing feeds, and SIGKILL at many moments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.newssite import FOLLOWING_SITE, NewsSite
from tests.servers import LocalHTTPServer, Reply
from typer.testing import CliRunner

from storybrief.cli import app
from storybrief.errors import ConfigError
from storybrief.follow import parse_duration
from storybrief.library import Library
from storybrief.settings import Settings
from storybrief.store import Store
from storybrief.watch import Watcher


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    # a grown story is explained at once
    return test_settings.changed(**FOLLOWING_SITE, **{"explain.settle_seconds": 0.0})


def test_durations():
    assert parse_duration("30s") == 30 and parse_duration("15m") == 900
    assert parse_duration("2h") == 7200 and parse_duration("90") == 90
    with pytest.raises(ConfigError, match="not a duration"):
        parse_duration("soon")


def test_feeds_add_list_export_remove(site, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STORYBRIEF_WATCH__MIN_POLL_SECONDS", "10")
    runner = CliRunner()
    added = runner.invoke(app, ["feeds", "add", site.feed_url, "--every", "15m", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)[0]["every"] == 900
    too_often = runner.invoke(app, ["feeds", "add", site.feed_url, "--every", "5s"])
    assert too_often.exit_code == 2 and "watch.min_poll_seconds" in too_often.output
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="A" xmlUrl="https://a.example/rss"/>'
        '<outline text="B" xmlUrl="https://b.example/atom"/>'
        '<outline text="local" xmlUrl="/etc/passwd"/>'
        "</body></opml>"
    )
    assert runner.invoke(app, ["feeds", "add", str(opml)]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)
    assert [f["url"] for f in listed] == [
        site.feed_url,
        "https://a.example/rss",
        "https://b.example/atom",
    ]
    exported = runner.invoke(app, ["feeds", "export"]).stdout
    assert exported.startswith("<?xml") and 'xmlUrl="https://b.example/atom"' in exported
    # the export is an OPML list storybrief reads back
    from storybrief.ingest.feed_parser import parse_opml

    assert parse_opml(exported.encode(), location="export") == [f["url"] for f in listed]
    assert runner.invoke(app, ["feeds", "set", "2", "--disable", "--no-pages"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)[1]["enabled"] is False
    assert runner.invoke(app, ["feeds", "remove", "https://a.example/rss"]).exit_code == 0
    assert len(json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)) == 2


def test_a_feed_read_by_ingest_is_a_subscription(site, settings):
    site.publish("bridge")
    with Library(settings) as lib:
        lib.ingest([site.feed_url])
        assert [f.url for f in lib.feeds.all()] == [site.feed_url]


def test_due_is_what_the_watcher_and_the_workers_tick_start_from(site, settings):
    """Library.due: the feeds whose next poll has come, whether an article waits for a
    story, the stories whose explainer is due; each leaves it once done."""
    site.publish("bridge", 2)
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        due = lib.due()
        assert [f.id for f in due.feeds] == [feed.id]  # never polled
        assert not due.articles_waiting and due.stories == []
        lib.feeds.poll(feed.id, cluster=False)
        due = lib.due()
        assert due.feeds == [] and due.articles_waiting and due.stories == []
        assert lib.feeds.is_due(feed.id, datetime.now(UTC) + timedelta(days=2))
        lib.assign_stories(explain_grown=False)
        (story,) = lib.stories()
        due = lib.due()
        assert not due.articles_waiting and due.stories == [(story.id, None)]
        lib.explain(story_id=story.id)
        assert lib.due().stories == [] and not lib.feeds.is_due(feed.id)


def test_watch_once_explains_every_story_and_new_versions_follow_growth(site, settings):
    site.publish("bridge", 2)
    site.publish("library", 2)
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        first = Watcher(lib).run(once=True)
        assert first.new_articles == 4
        stories = {s.id: s for s in lib.stories()}
        assert sorted(s.size for s in stories.values()) == [2, 2]
        assert all(s.explainer_versions == 1 for s in stories.values())  # every story explained
        # the feed grows: the grown story gets version 2, the new one its first
        site.publish("bridge")
        site.publish("storm")
        lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
        second = Watcher(lib).run(once=True)
        assert second.new_articles == 2
        versions = sorted((s.size, s.explainer_versions) for s in lib.stories())
        assert versions == [(1, 1), (2, 1), (3, 2)]
        # nothing new: a conditional GET, answered 304, and no explainer written; a status
        # line hears each poll start before its end (a first poll may take a minute)
        events: list[str] = []
        third = Watcher(lib, on_event=lambda kind, fields: events.append(kind)).run(once=True)
        assert events.index("polling") < events.index("poll")
        assert [p.status for p in third.polls] == ["unchanged"] and not third.explained
        assert site.server.requests_to("/feed.xml")[-1].headers.get("if-none-match")


def test_the_watcher_reads_robots_once_across_polls_and_threads(site, settings):
    """One polite fetcher for the library's lifetime: robots.txt is read once for the host,
    across polls and polling threads (tests/test_polite.py covers what it disallows)."""
    settings = settings.changed(**{"fetch.obey_robots": True})
    site.publish("bridge", 2)
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        Watcher(lib).run(once=True)
        site.publish("bridge", 2)
        lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
        Watcher(lib).run(once=True)
        assert len(site.server.requests_to("/robots.txt")) == 1
        assert lib.stories()[0].size == 4


def test_a_burst_of_growth_costs_one_explainer_per_interval(site, settings):
    settings = settings.changed(**{"explain.interval_seconds": 3600.0})
    site.publish("bridge", 2)
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        Watcher(lib).run(once=True)
        (story,) = lib.stories()
        assert story.explainer_versions == 1
        for _ in range(3):  # three bursts within the interval
            site.publish("bridge", 3)
            lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
            Watcher(lib).run(once=True)
        (story,) = lib.stories()
        assert story.size == 11 and story.explainer_versions == 1  # debounced
        # once the interval has passed, one new version covers the whole burst
        later = datetime.now(UTC) + timedelta(hours=2)
        assert [sid for sid, _ in lib.due_stories(now=later)] == [story.id]
        lib.explain_pending(now=later)
        (story,) = lib.stories()
        assert story.explainer_versions == 2


def test_explain_pending_explains_stories_that_have_none(site, settings):
    site.publish("bridge", 2)
    site.publish("storm", 1)
    with Library(settings) as lib:
        lib.ingest([site.feed_url])  # ingest alone explains nothing new
        assert all(s.explainer_versions == 0 for s in lib.stories())
        runner = CliRunner()
        env = {"STORYBRIEF_DATA_DIR": str(settings.data_dir)}
        out = runner.invoke(app, ["explain", "--pending", "--format", "json"], env=env)
        assert out.exit_code == 0, out.output
        assert len(json.loads(out.stdout)["explained"]) == 2
        assert all(s.explainer_versions == 1 for s in lib.stories())


def test_a_failing_feed_backs_off_and_keeps_its_reason(settings):
    with LocalHTTPServer() as server:
        url = server.route("/feed.xml", Reply(500, b"oops", {"Content-Type": "text/plain"}))
        with Library(settings) as lib:
            lib.feeds.add(url)
            now = datetime.now(UTC)
            first = lib.feeds.poll(lib.feeds.all()[0].id, now=now)
            second = lib.feeds.poll(lib.feeds.all()[0].id, now=now)
            feed = lib.feeds.all()[0]
        assert first.status == "failed" and "500" in (first.error or "")
        assert feed.consecutive_failures == 2 and "500" in (feed.last_error or "")
        gap_1 = (first.next_poll_at - now).total_seconds()
        gap_2 = (second.next_poll_at - now).total_seconds()
        assert gap_2 > gap_1 * 1.5  # exponential backoff


def test_status_reports_feeds_pending_work_and_throughput(site, settings, monkeypatch):
    site.publish("bridge", 2)
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        lib.ingest([site.feed_url])
    shown = CliRunner().invoke(app, ["status", "--json"])
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.stdout)
    assert status["feeds"][0]["url"] == site.feed_url
    assert status["pending"]["stories_without_explainer"] == 1
    assert status["last_hour"]["articles"] == 2


# -- killed at many moments --------------------------------------------------------------------


def _cli(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from storybrief.cli import main; main()", "--data-dir",
            str(data_dir), *args]  # fmt: skip


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env.update(
        STORYBRIEF_FETCH__ALLOWED_HOSTS='["127.0.0.1"]',
        STORYBRIEF_FETCH__PER_HOST_DELAY="0",
        STORYBRIEF_FETCH__OBEY_ROBOTS="false",
        STORYBRIEF_CLUSTER__VECTORS="hashing",
        STORYBRIEF_EXPLAIN__SETTLE_SECONDS="0",
        STORYBRIEF_WATCH__MIN_POLL_SECONDS="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no user config file
    )
    return env


def _snapshot(data_dir: Path) -> tuple[set, set, list]:
    """Article URLs, the stories as sets of URLs, and every story's explainer sources keys."""
    with Store.open(f"sqlite:///{data_dir / 'storybrief.db'}") as store:
        summaries = store.articles.summaries(limit=10_000)
        urls = {a.url for a in summaries}
        assert all(a.story_id for a in summaries), "an article was left without a story"
        stories = set()
        keys = []
        for story in store.stories.summaries(limit=10_000):
            members = store.articles.get_many(store.stories.article_ids(story.id))
            stories.add(frozenset(a.url for a in members))
            versions = [v.sources_key for v in store.explainers.versions(story.id)]
            assert versions, f"story {story.id} has no explainer"
            keys.append(versions)
        return urls, stories, keys


@pytest.mark.slow
def test_watch_killed_at_many_moments_loses_and_repeats_nothing(tmp_path):
    """SIGKILL a real `storybrief watch` at several moments of its work, start it again each
    time, and compare the database with an uninterrupted run: the same articles, the same
    stories, every article in a story, every story explained, no explainer written twice from
    the same sources."""
    env = _env(tmp_path)
    with LocalHTTPServer() as server:
        site = NewsSite(server, page_delay=0.05)
        for event in ("bridge", "library", "storm"):
            site.publish(event, 4)
        clean = tmp_path / "clean"
        subprocess.run(_cli(clean, "feeds", "add", site.feed_url), env=env, check=True)
        done = subprocess.run(_cli(clean, "watch", "--once", "-q"), env=env, timeout=300)
        assert done.returncode == 0
        expected_urls, expected_stories, _ = _snapshot(clean)
        assert len(expected_urls) == 12

        killed = tmp_path / "killed"
        subprocess.run(_cli(killed, "feeds", "add", site.feed_url), env=env, check=True)
        kills = 0
        for moment in (0.6, 1.2, 1.8, 2.6, 3.5, 5.0):
            watcher = subprocess.Popen(
                _cli(killed, "watch", "-q"), env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(moment)
            if watcher.poll() is None:
                watcher.send_signal(signal.SIGKILL)
                kills += 1
            watcher.wait(timeout=30)
        # the feed stays due until a poll has been recorded; make sure the last run polls it
        final = subprocess.run(_cli(killed, "watch", "--once", "-q"), env=env, timeout=300)
        assert final.returncode == 0
    assert kills >= 4
    urls, stories, keys = _snapshot(killed)
    assert urls == expected_urls
    assert stories == expected_stories
    for versions in keys:
        assert len(versions) == len(set(versions)), "an explainer was written twice"


def test_watch_logs_json_lines_and_stops_cleanly_on_sigterm(tmp_path):
    env = _env(tmp_path)
    with LocalHTTPServer() as server:
        site = NewsSite(server)
        site.publish("bridge", 2)
        data = tmp_path / "data"
        subprocess.run(_cli(data, "feeds", "add", site.feed_url), env=env, check=True)
        once = subprocess.run(
            _cli(data, "watch", "--once", "--log-format", "json"),
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert once.returncode == 0, once.stderr
        events = [json.loads(line) for line in once.stderr.splitlines() if line.strip()]
        assert {e["event"] for e in events} >= {"poll", "stories", "explained"}
        assert next(e for e in events if e["event"] == "poll")["new"] == 2
        # running until stopped: SIGTERM ends it cleanly (exit 0), quickly
        running = subprocess.Popen(
            _cli(data, "watch", "-q"),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert running.stderr is not None
        assert " info watching feeds=1" in running.stderr.readline()  # up, and idle
        running.send_signal(signal.SIGTERM)
        _, rest = running.communicate(timeout=60)
        assert running.returncode == 0 and "info stopped" in rest


def test_serve_with_watch_follows_feeds_in_one_process(tmp_path):
    import httpx

    env = _env(tmp_path)
    with LocalHTTPServer() as server:
        site = NewsSite(server)
        site.publish("storm", 2)
        data = tmp_path / "data"
        subprocess.run(_cli(data, "feeds", "add", site.feed_url), env=env, check=True)
        with socket_port() as port:
            pass  # the port is free again for the server
        serving = subprocess.Popen(
            _cli(data, "serve", "--watch", "--port", str(port), "--log-level", "warning"),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180  # a start-up guard, generous on a busy machine
            stories: list = []
            while time.monotonic() < deadline:
                assert serving.poll() is None, serving.communicate()[1]
                try:
                    stories = httpx.get(f"http://127.0.0.1:{port}/api/v1/stories").json()
                except httpx.TransportError:
                    stories = []
                if stories and stories[0]["explainer_versions"]:
                    break
                time.sleep(0.5)
            assert stories and stories[0]["articles"] == 2 and stories[0]["explainer_versions"]
        finally:
            serving.terminate()
            serving.communicate(timeout=60)


class socket_port:
    """A free TCP port on 127.0.0.1."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_run_killed_half_way_through_a_feed_leaves_no_validators(site, settings, monkeypatch):
    """The feed's ETag is kept only once its items are stored: otherwise the next run's
    conditional GET is answered 304 and the items after the crash are never read."""
    from storybrief.ingest.pipeline import Ingestor

    site.publish("bridge", 3)
    saved: list[str] = []
    real_save = Ingestor._save

    def dies_after_one(self, article, location, **kw):  # type: ignore[no-untyped-def]
        if saved:
            raise KeyboardInterrupt  # the process dies here
        saved.append(location)
        return real_save(self, article, location, **kw)

    monkeypatch.setattr(Ingestor, "_save", dies_after_one)
    with Library(settings) as lib, pytest.raises(KeyboardInterrupt):
        lib.ingest([site.feed_url])
    monkeypatch.setattr(Ingestor, "_save", real_save)
    with Library(settings) as lib:
        again = lib.ingest([site.feed_url])
        assert again.counts["new"] == 2 and again.counts["duplicate"] == 1
        assert lib.store.articles.count() == 3
        # and once every item is stored, the validators are kept: the next poll is a 304
        assert lib.ingest([site.feed_url]).items[0].status == "unchanged"


NOTHING_PUBLISHABLE = (
    "He said the bridge would reopen in March after the repairs were finished. They agreed "
    "with him at the meeting on Monday evening in the town hall. It will cost more than the "
    "council had planned when the work began last year."
)


def test_a_story_with_nothing_publishable_waits_until_its_articles_change(settings, tmp_path):
    """Every sentence opens with a pronoun: no explainer may be published, and the same
    articles always say so. The story is not asked for again until an article joins it."""
    from storybrief.errors import NothingToPublishError
    from storybrief.records import Article

    page = tmp_path / "pronouns.txt"
    page.write_text(NOTHING_PUBLISHABLE)
    with Library(settings) as lib:
        lib.ingest([page], cluster=False)
        story = lib.store.stories.create(None, lib.store.articles.unassigned_ids())
        assert [sid for sid, _ in lib.due_stories()] == [story]
        first = Watcher(lib).run(once=True)
        assert [sid for sid, _ in first.failed] == [story] and not first.explained
        with pytest.raises(NothingToPublishError):
            lib.explain(story_id=story)  # asked directly, it still says why
        assert lib.due_stories() == []
        assert not Watcher(lib).run(once=True).failed  # not asked again
        assert lib.pending().stories_unexplainable == 1  # what `storybrief status` shows
        more = lib.store.articles.upsert(
            Article(text="The Harbor Bridge reopened on Tuesday after two years of repairs.")
        ).article
        lib.store.stories.add_articles(story, [more.id])
        assert [sid for sid, _ in lib.due_stories()] == [story]  # it changed: due again
        assert Watcher(lib).run(once=True).explained
        assert lib.pending().stories_unexplainable == 0


def test_a_story_that_cannot_be_explained_does_not_hold_the_watcher(site, settings):
    """An engine error is reported once per interval for that story, and `watch --once` still
    ends (a story that always fails must not keep it polling for ever)."""
    from storybrief.errors import EngineError
    from storybrief.explain.engines import Engine, register_engine, unregister_engine

    class Broken(Engine):
        def explain(self, articles, *, headline=None, progress=None):  # type: ignore[no-untyped-def]
            raise EngineError("no sentence of the articles can stand on its own")

    register_engine("broken", lambda options, context: Broken())
    try:
        site.publish("bridge", 2)
        with Library(settings.changed(**{"explain.engine": "broken"})) as lib:
            lib.feeds.add(site.feed_url)
            done = Watcher(lib).run(once=True)
        assert len(done.failed) == 1 and "stand on its own" in done.failed[0][1]
        assert not done.explained
    finally:
        unregister_engine("broken")
