"""Updates in minutes (issue 28): a story that grew gets its next explainer version soon after
its burst of new reports settles (``explain.settle_seconds``), never later than a bounded
maximum after the first report its version lacks (``explain.max_wait_seconds``), never twice
for one burst; the story page and the API say when an update is pending. One rule
(:func:`storybrief.results.update_due_at` through ``Library.pending_updates``) for the
watcher, the workers and ``explain --pending``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.appserver import AppServer
from tests.newssite import FOLLOWING_SITE, NewsSite

from storybrief.library import Library
from storybrief.results import update_due_at
from storybrief.serve import create_app
from storybrief.settings import Settings
from storybrief.watch import Watcher


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    """The defaults of the debounce (settle 60 s, at most 300 s, no floor)."""
    return test_settings.changed(**FOLLOWING_SITE)


def _explained(lib: Library, site: NewsSite) -> tuple[int, int]:
    """A followed feed and its one story, explained once: (feed id, story id)."""
    site.publish("bridge", 2)
    (feed,) = lib.feeds.add(site.feed_url)
    Watcher(lib).run(once=True)
    (story,) = lib.stories()
    assert story.explainer_versions == 1
    return feed.id, story.id


def _grow(lib: Library, site: NewsSite, feed_id: int, count: int = 1) -> None:
    """New reports of the story, polled and put into it as the watcher does."""
    site.publish("bridge", count)
    lib.feeds.update(feed_id, next_poll_at=datetime.now(UTC))
    assert lib.feeds.poll(feed_id, cluster=False).new == count
    lib.assign_stories(explain_grown=False)


def _versions(lib: Library, story_id: int) -> int:
    return len(lib.store.explainers.versions(story_id))


T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_the_rule_settles_bounds_and_floors():
    def due(first: int, last: int, floor: float = 0.0) -> datetime:
        return update_due_at(
            version_at=T0,
            first_new_at=T0 + timedelta(seconds=first),
            last_change_at=T0 + timedelta(seconds=last),
            settle_seconds=60,
            max_wait_seconds=300,
            floor_seconds=floor,
        )

    assert due(10, 40) == T0 + timedelta(seconds=100)  # the burst settled 60 s after its last
    assert due(10, 290) == T0 + timedelta(seconds=310)  # a long burst: 300 s after its first
    assert due(10, 40, floor=600) == T0 + timedelta(seconds=600)  # never within the floor


def test_a_burst_costs_one_version(site, settings):
    with Library(settings) as lib:
        feed_id, story_id = _explained(lib, site)
        for _ in range(3):  # a burst: three polls, a report each
            _grow(lib, site, feed_id)
        update = lib.pending_update(story_id)
        assert update is not None and update.new_reports == 3
        assert update.due_at == update.last_change_at + timedelta(seconds=60)
        assert update.first_new_at < update.last_change_at
        assert lib.due_stories() == []  # settling
        Watcher(lib).run(once=True)  # a round during the burst writes nothing
        assert _versions(lib, story_id) == 1

        settled = update.due_at + timedelta(seconds=1)
        assert [s for s, _ in lib.due_stories(now=settled)] == [story_id]
        done = lib.explain_pending(now=settled)
        assert [(s, r.version) for s, r in done] == [(story_id, 2)]  # type: ignore[union-attr]
        # the version covers the whole burst: nothing is due for it again, ever
        assert lib.pending_update(story_id) is None
        assert lib.due_stories(now=settled + timedelta(days=1)) == []
        assert lib.explain_pending(now=settled + timedelta(days=1)) == []
        assert _versions(lib, story_id) == 2


def test_an_update_lands_within_the_maximum_however_the_burst_goes_on(site, settings):
    settings = settings.changed(**{"explain.max_wait_seconds": 2.0})
    with Library(settings) as lib:
        feed_id, story_id = _explained(lib, site)
        _grow(lib, site, feed_id)
        first = lib.pending_update(story_id)
        assert first is not None
        assert first.due_at == first.first_new_at + timedelta(seconds=2)  # before it settles
        time.sleep(2.2)
        _grow(lib, site, feed_id)  # the burst goes on, each report within settle_seconds
        update = lib.pending_update(story_id)
        assert update is not None and update.new_reports == 2
        assert update.first_new_at == first.first_new_at  # the bound counts from the first
        assert update.due_at == first.due_at < update.last_change_at + timedelta(seconds=60)
        assert [s for s, _ in lib.due_stories()] == [story_id]  # due now, mid-burst
        Watcher(lib).run(once=True)
        assert _versions(lib, story_id) == 2
        versions = lib.store.explainers.versions(story_id)
        assert versions[0].created_at - first.first_new_at < timedelta(seconds=60)
        _grow(lib, site, feed_id)  # the next report starts the next wait
        later = lib.pending_update(story_id)
        assert later is not None and later.new_reports == 1
        assert later.first_new_at > versions[0].created_at


def test_the_watcher_wakes_when_an_update_is_due(site, settings):
    settings = settings.changed(**{"watch.idle_sleep_seconds": 600.0})
    with Library(settings) as lib:
        feed_id, story_id = _explained(lib, site)
        lib.feeds.update(feed_id, next_poll_at=datetime.now(UTC) + timedelta(hours=1))
        _grow(lib, site, feed_id)
        lib.feeds.update(feed_id, next_poll_at=datetime.now(UTC) + timedelta(hours=1))
        update = lib.pending_update(story_id)
        assert update is not None
        sleep = Watcher(lib)._sleep_seconds()
        assert 0 < sleep <= 60 and sleep == pytest.approx(
            (update.due_at - datetime.now(UTC)).total_seconds(), abs=5
        )


def test_the_page_and_the_api_say_an_update_is_pending(site, settings):
    with Library(settings) as lib:
        feed_id, story_id = _explained(lib, site)
        with (
            AppServer(create_app(settings, lib.store)) as server,
            httpx.Client(base_url=server.url, timeout=10) as client,
        ):
            current = client.get(f"/api/v1/stories/{story_id}").json()
            assert current["update_pending"] is False and current["update_due_at"] is None
            assert "Update coming" not in client.get(f"/stories/{story_id}").text

            _grow(lib, site, feed_id, 2)
            update = lib.pending_update(story_id)
            assert update is not None
            pending = client.get(f"/api/v1/stories/{story_id}").json()
            assert pending["update_pending"] is True and pending["new_reports"] == 2
            assert datetime.fromisoformat(pending["update_due_at"]) == update.due_at
            page = client.get(f"/stories/{story_id}").text
            assert "Update coming: 2 new reports since this version" in page
            assert "the next version is due by <time" in page

            lib.explain_pending(now=update.due_at + timedelta(seconds=1))
            done = client.get(f"/api/v1/stories/{story_id}").json()
            assert done["update_pending"] is False and done["new_reports"] == 0
            assert len(done["versions"]) == 2
            assert "Update coming" not in client.get(f"/stories/{story_id}").text
            _grow(lib, site, feed_id)  # an earlier version's page says nothing of it
            assert "Update coming: 1 new report since" in client.get(f"/stories/{story_id}").text
            earlier = client.get(f"/stories/{story_id}?version=1").text
            assert "an earlier version" in earlier and "Update coming" not in earlier


def test_no_update_is_promised_when_nothing_keeps_explainers_current(site, settings):
    with Library(settings) as lib:
        feed_id, story_id = _explained(lib, site)
        _grow(lib, site, feed_id)
    quiet = settings.changed(**{"explain.auto_explain": False})
    with Library(quiet) as lib:
        assert lib.pending_update(story_id) is None
        assert [u.story_id for u in lib.pending_updates()] == [story_id]  # still behind


def test_the_watcher_sleeps_until_the_next_feed_is_due_batching_a_second(site, settings):
    """Asked with one aggregate query (not every feed loaded, 37 ms at 2,000 feeds), and at
    least a second: the feeds due within it are polled in one round."""
    settings = settings.changed(**{"watch.idle_sleep_seconds": 600.0})
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        (other,) = lib.feeds.add(site.server.url("/other.xml"))
        assert lib.feeds.next_due() is None  # never polled: no next poll time yet
        soon = datetime.now(UTC) + timedelta(seconds=30)
        lib.feeds.update(feed.id, next_poll_at=soon)
        lib.feeds.update(other.id, next_poll_at=soon - timedelta(seconds=20), enabled=False)
        assert lib.feeds.next_due() == soon  # a disabled feed is not waited for
        assert 25 < Watcher(lib)._sleep_seconds() <= 30
        lib.feeds.update(feed.id, next_poll_at=datetime.now(UTC) + timedelta(seconds=0.2))
        assert Watcher(lib)._sleep_seconds() == 1.0
