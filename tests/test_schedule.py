"""When a feed is next due (storybrief.ingest.schedule): each hint, then the clamp, backoff and
jitter rules; the hints read from real responses of a server on 127.0.0.1."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from storybrief.errors import HostPausedError, HTTPStatusError
from storybrief.ingest import ingest
from storybrief.ingest.feed_parser import parse_feed
from storybrief.ingest.fetch import Fetcher, FetchResult
from storybrief.ingest.schedule import (
    PollHints,
    next_poll,
    parse_cache_control_max_age,
    parse_retry_after,
    poll_hints,
    poll_interval,
)
from storybrief.settings import WatchSettings
from storybrief.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def limits(**fields: float) -> WatchSettings:
    """settings.watch with the defaults, but no jitter unless asked for."""
    return WatchSettings(**{"jitter": 0.0, **fields})


def rss(channel_extra: str = "") -> bytes:
    return f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
<title>T</title>{channel_extra}<item><link>http://example.org/a</link></item>
</channel></rss>""".encode()


@pytest.mark.parametrize(
    ("extra", "ttl", "period"),
    [
        ("", None, None),
        ("<ttl>30</ttl>", 1800.0, None),
        ("<ttl>soon</ttl>", None, None),
        ("<ttl>0</ttl>", None, None),
        ("<sy:updatePeriod>hourly</sy:updatePeriod>", None, 3600.0),
        (
            "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
            None,
            900.0,
        ),
        ("<sy:updateFrequency>2</sy:updateFrequency>", None, 43_200.0),  # period: daily
        ("<sy:updatePeriod>fortnightly</sy:updatePeriod>", None, None),
        ("<ttl>60</ttl><sy:updatePeriod>weekly</sy:updatePeriod>", 3600.0, 604_800.0),
    ],
)
def test_feed_states_its_interval(extra, ttl, period):
    feed = parse_feed(rss(extra), location="http://example.org/rss")
    assert (feed.ttl_seconds, feed.update_period_seconds) == (ttl, period)


def test_retry_after_seconds_or_http_date():
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:05:00 GMT", NOW) == 300.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0.0  # already past
    assert parse_retry_after("later", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("-5", NOW) is None


def test_cache_control_max_age():
    assert parse_cache_control_max_age("public, max-age=600") == 600.0
    assert parse_cache_control_max_age('max-age="300", must-revalidate') == 300.0
    assert parse_cache_control_max_age("max-age=0") is None  # says nothing about changes
    assert parse_cache_control_max_age("no-cache, max-age=600") is None
    assert parse_cache_control_max_age("private") is None
    assert parse_cache_control_max_age(None) is None


def test_hints_from_a_real_feed_response(http_server, test_settings):
    expires = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    url = http_server.route(
        "/rss.xml",
        body=rss("<ttl>20</ttl>"),
        headers={
            "Content-Type": "application/rss+xml",
            "Cache-Control": "max-age=1200",
            "Expires": expires,  # the server adds its Date; Expires counts from it
        },
    )
    with Fetcher(test_settings) as fetcher:
        result = fetcher.get(url)
    feed = parse_feed(result.content, location=url, content_type=result.content_type)
    hints = poll_hints(result, feed, now=NOW)
    assert (hints.ttl_seconds, hints.max_age_seconds) == (1200.0, 1200.0)
    assert hints.expires_seconds is not None and 3590 <= hints.expires_seconds <= 3601
    assert hints.update_period_seconds is None and hints.retry_after_seconds is None
    assert hints.stated_interval == 1200.0 and hints.not_before == hints.expires_seconds


def test_expires_without_date_counts_from_now():
    feed = parse_feed(rss(), location="http://example.org/rss")
    result = FetchResult("http://example.org/rss", 200, b"", None, None, None, None)
    stale = replace(result, headers={"expires": "0"})
    fresh = replace(result, headers={"Expires": "Sun, 01 Mar 2026 12:30:00 GMT"})
    assert poll_hints(stale, feed, now=NOW) == PollHints()
    assert poll_hints(fresh, feed, now=NOW) == PollHints(expires_seconds=1800.0)


@pytest.mark.parametrize(("status", "expected"), [(429, 90.0), (503, 90.0), (500, None)])
def test_retry_after_from_a_real_error_response(http_server, test_settings, status, expected):
    url = http_server.route("/rss.xml", status=status, headers={"Retry-After": "90"})
    with Fetcher(test_settings) as fetcher, pytest.raises(HTTPStatusError) as raised:
        fetcher.get(url)
    assert raised.value.status == status and str(status) in str(raised.value)
    assert poll_hints(raised.value, None, now=NOW).retry_after_seconds == expected


def test_retry_after_from_a_paused_host():
    paused = HostPausedError("example.org is paused", wait_seconds=42.0)
    assert poll_hints(paused).retry_after_seconds == 42.0


# -- the rule ---------------------------------------------------------------------------------


def interval(hints=PollHints(), **kwargs) -> float:
    watch = limits(**kwargs.pop("watch", {}))
    return poll_interval(hints, watch_settings=watch, **kwargs)


def test_global_interval_then_feed_interval_then_feed_statement():
    assert interval() == 900.0
    assert interval(feed_interval=300.0) == 300.0
    assert interval(PollHints(ttl_seconds=1800.0), feed_interval=300.0) == 1800.0
    assert interval(PollHints(update_period_seconds=600.0)) == 600.0  # sooner, as it says
    both = PollHints(ttl_seconds=1800.0, update_period_seconds=3600.0)
    assert interval(both) == 3600.0  # the longer statement


def test_server_freshness_and_retry_after_only_delay():
    assert interval(PollHints(max_age_seconds=3600.0)) == 3600.0
    assert interval(PollHints(max_age_seconds=120.0)) == 900.0  # never sooner than planned
    assert interval(PollHints(expires_seconds=7200.0, max_age_seconds=60.0)) == 7200.0
    assert interval(PollHints(retry_after_seconds=5000.0)) == 5000.0
    assert interval(PollHints(retry_after_seconds=5.0), consecutive_failures=1) == 1800.0


def test_clamped_to_the_operators_floor_and_ceiling():
    assert interval(PollHints(ttl_seconds=60.0), watch={"min_poll_seconds": 300.0}) == 300.0
    assert interval(feed_interval=1.0) == 60.0  # a feed's own setting cannot beat the floor
    assert interval(PollHints(update_period_seconds=365 * 86_400.0)) == 86_400.0
    assert interval(PollHints(retry_after_seconds=10**9)) == 86_400.0


def test_failing_feed_backs_off_exponentially_up_to_the_ceiling():
    assert [interval(consecutive_failures=n) for n in range(5)] == [
        900.0,
        1800.0,
        3600.0,
        7200.0,
        14_400.0,
    ]
    assert interval(consecutive_failures=10_000) == 86_400.0


def test_jitter_adds_up_to_its_share_and_is_reproducible():
    watch = limits(jitter=0.1)
    dues = [
        next_poll(NOW, PollHints(), watch_settings=watch, rng=random.Random(seed))
        for seed in range(50)
    ]
    assert all(NOW + timedelta(seconds=900) <= d <= NOW + timedelta(seconds=990) for d in dues)
    assert len(set(dues)) > 40  # they spread
    again = next_poll(NOW, PollHints(), watch_settings=watch, rng=random.Random(7))
    assert again == dues[7]
    assert next_poll(NOW, PollHints(), watch_settings=limits()) == NOW + timedelta(seconds=900)


def test_jitter_never_takes_a_feed_below_the_floor():
    watch = limits(jitter=0.5, min_poll_seconds=120.0)
    due = next_poll(NOW, PollHints(ttl_seconds=1.0), watch_settings=watch, rng=random.Random(1))
    assert due >= NOW + timedelta(seconds=120)


def test_ingest_reports_what_each_feed_said(http_server, test_settings):
    test_settings.fetch.feed_pages = False
    good = http_server.route(
        "/rss.xml",
        body=rss("<ttl>45</ttl>"),
        headers={"Content-Type": "application/rss+xml", "Cache-Control": "max-age=600"},
    )
    busy = http_server.route("/busy.xml", status=429, headers={"Retry-After": "300"})
    with Store.open(test_settings) as store:
        report = ingest([good, busy], settings=test_settings, store=store)
    polled, refused = report.polls[good], report.polls[busy]
    hints = poll_hints(polled.fetched, polled.feed, now=NOW)
    assert hints == PollHints(ttl_seconds=2700.0, max_age_seconds=600.0)
    assert poll_hints(refused.error, now=NOW).retry_after_seconds == 300.0  # the host paused
