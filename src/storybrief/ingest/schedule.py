"""When a feed is next due: pure functions over what the feed and its server said.

The rule (docs/architecture.md, "Fetching politely"):

1. The base interval is the feed's own statement of how often it changes, where it makes one
   (RSS ``<ttl>``, ``sy:updatePeriod`` / ``sy:updateFrequency``; the longer if both), else
   the feed's own ``poll_every_seconds`` when set, else ``watch.poll_every_seconds``.
2. A failing feed backs off: the interval doubles with each consecutive failure.
3. What the server said about this response is a lower bound, never a reason to come sooner:
   ``Cache-Control: max-age`` and ``Expires`` (how long the document stays fresh) and, on a
   429 or 503, ``Retry-After``.
4. The result is clamped to [``watch.min_poll_seconds``, ``watch.max_poll_seconds``]: no feed
   is polled more often than the operator's floor, whatever it says.
5. A random share of up to ``watch.jitter`` is added, so feeds added together drift apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from ..errors import FetchError, HostPausedError, HTTPStatusError
from .feed_parser import Feed
from .fetch import FetchResult

__all__ = [
    "PollHints",
    "WatchLimits",
    "backoff_interval",
    "base_interval",
    "next_poll",
    "parse_cache_control_max_age",
    "parse_http_date",
    "parse_retry_after",
    "poll_hints",
    "poll_interval",
]

#: consecutive failures beyond this do not double the interval any further (2**16 × 60 s is
#: already past any sensible ceiling; the clamp to max_poll_seconds does the rest)
MAX_BACKOFF_DOUBLINGS = 16


class WatchLimits(Protocol):
    """The watch settings the schedule reads (``settings.watch``)."""

    poll_every_seconds: float
    min_poll_seconds: float
    max_poll_seconds: float
    jitter: float


@dataclass(frozen=True)
class PollHints:
    """What one poll of a feed said about the next one, in seconds (None: not said)."""

    ttl_seconds: float | None = None  # RSS <ttl>
    update_period_seconds: float | None = None  # sy:updatePeriod / sy:updateFrequency
    max_age_seconds: float | None = None  # Cache-Control: max-age
    expires_seconds: float | None = None  # Expires, counted from the response's Date
    retry_after_seconds: float | None = None  # Retry-After on a 429 or 503, or a paused host

    @property
    def stated_interval(self) -> float | None:
        """How often the feed itself says it changes (the longer of its statements)."""
        stated = [s for s in (self.ttl_seconds, self.update_period_seconds) if s]
        return max(stated) if stated else None

    @property
    def not_before(self) -> float | None:
        """The server's lower bound on the wait: freshness lifetime or Retry-After."""
        bounds = [
            s for s in (self.max_age_seconds, self.expires_seconds, self.retry_after_seconds) if s
        ]
        return max(bounds) if bounds else None


# -- reading the hints ------------------------------------------------------------------------


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110 IMF-fixdate, or the obsolete forms) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delay-seconds or an HTTP date (a date in the
    past means 0); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    when = parse_http_date(text)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def parse_cache_control_max_age(value: str | None) -> float | None:
    """``max-age`` of a Cache-Control header, in seconds; None when absent, zero, or when the
    response may not be reused at all (``no-store``, ``no-cache``)."""
    if not value:
        return None
    max_age = None
    for directive in value.split(","):
        name, _, arg = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return None
        if name == "max-age":
            arg = arg.strip().strip('"')
            if arg.isdigit():
                max_age = float(int(arg))
    return max_age or None


def _expires_seconds(headers: dict[str, str], now: datetime) -> float | None:
    expires = parse_http_date(headers.get("expires"))
    if expires is None:  # an invalid Expires ("0", "-1") means "already expired"
        return None
    served = parse_http_date(headers.get("date")) or now
    seconds = (expires - served).total_seconds()
    return seconds if seconds > 0 else None


def poll_hints(
    fetch_result: FetchResult | FetchError | None,
    feed: Feed | None = None,
    *,
    now: datetime | None = None,
) -> PollHints:
    """The hints of one poll: the feed's ``<ttl>`` and syndication period, the response's
    Cache-Control and Expires, and Retry-After when the fetch failed with a 429 or 503
    (``fetch_result`` may be the :class:`FetchError` it raised) or the host is paused."""
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {}
    retry_after = None
    if isinstance(fetch_result, FetchResult):
        headers = {k.lower(): v for k, v in fetch_result.headers.items()}
    elif isinstance(fetch_result, HTTPStatusError):
        if fetch_result.status in (429, 503):
            retry_after = parse_retry_after(fetch_result.headers.get("retry-after"), now)
    elif isinstance(fetch_result, HostPausedError):
        retry_after = fetch_result.wait_seconds
    return PollHints(
        ttl_seconds=feed.ttl_seconds if feed else None,
        update_period_seconds=feed.update_period_seconds if feed else None,
        max_age_seconds=parse_cache_control_max_age(headers.get("cache-control")),
        expires_seconds=_expires_seconds(headers, now),
        retry_after_seconds=retry_after,
    )


# -- the rule ------------------------------------------------------------------------------------


def base_interval(
    hints: PollHints, *, feed_interval: float | None, watch_settings: WatchLimits
) -> float:
    """Rule 1: the feed's stated interval, else its configured one, else the global one."""
    return hints.stated_interval or feed_interval or watch_settings.poll_every_seconds


def backoff_interval(interval: float, consecutive_failures: int) -> float:
    """Rule 2: ``interval × 2^n`` for n consecutive failures (n capped, see
    :data:`MAX_BACKOFF_DOUBLINGS`; the clamp to ``max_poll_seconds`` caps the result)."""
    return interval * 2 ** min(max(consecutive_failures, 0), MAX_BACKOFF_DOUBLINGS)


def poll_interval(
    hints: PollHints,
    *,
    feed_interval: float | None = None,
    consecutive_failures: int = 0,
    watch_settings: WatchLimits,
) -> float:
    """Rules 1-4: seconds until the next poll, before jitter."""
    interval = backoff_interval(
        base_interval(hints, feed_interval=feed_interval, watch_settings=watch_settings),
        consecutive_failures,
    )
    if hints.not_before is not None:
        interval = max(interval, hints.not_before)
    return min(max(interval, watch_settings.min_poll_seconds), watch_settings.max_poll_seconds)


def next_poll(
    now: datetime,
    hints: PollHints,
    *,
    feed_interval: float | None = None,
    consecutive_failures: int = 0,
    watch_settings: WatchLimits,
    rng: random.Random | None = None,
) -> datetime:
    """When the feed is next due: ``now`` + :func:`poll_interval` + up to ``jitter`` of it."""
    interval = poll_interval(
        hints,
        feed_interval=feed_interval,
        consecutive_failures=consecutive_failures,
        watch_settings=watch_settings,
    )
    share = (rng or random).random() * watch_settings.jitter
    return now + timedelta(seconds=interval * (1 + share))
