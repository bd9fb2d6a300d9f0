"""What the operator page shows, read through the library: feed health, pending work and
throughput, recent failures, and readers' answers per explainer version with the geometry of
a small Yes/No chart per day. Plain data: the template draws it (inline SVG, escaped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..library import Library

if TYPE_CHECKING:
    from ..store import DailyAnswers, FeedRecord

#: how many feeds, failures and explainer versions one page lists
MAX_FEEDS = 500
MAX_FAILURES = 20
MAX_VERSIONS = 30
CHART_DAYS = 30


@dataclass(frozen=True)
class FeedRow:
    feed: FeedRecord
    health: str  # "ok", "failing", "new" (never polled) or "paused"
    next_poll: str  # "in 12 min", "due now", "paused"


@dataclass(frozen=True)
class Bar:
    """One day of a chart: a Yes bar up from the middle line and a No bar down from it."""

    day: date
    yes: int
    no: int
    x: float
    yes_y: float
    yes_height: float
    no_height: float


@dataclass(frozen=True)
class Chart:
    """Yes (up) and No (down) answers per day over ``days`` days ending ``last``."""

    bars: list[Bar]
    first: date
    last: date
    yes: int
    no: int
    width: float
    height: float
    middle: float
    bar_width: float

    @property
    def summary(self) -> str:
        span = f"{self.first:%d %b} to {self.last:%d %b %Y}"
        return f"Answers per day, {span}: {self.yes} Yes, {self.no} No"


@dataclass(frozen=True)
class VersionRow:
    explainer_id: int
    story_id: int
    version: int
    headline: str
    yes: int
    no: int
    reasons: list[str]
    chart: Chart

    @property
    def useful_share(self) -> str:
        total = self.yes + self.no
        return f"{round(100 * self.yes / total)}%" if total else "–"


@dataclass
class Overview:
    now: datetime
    feeds: list[FeedRow]
    feeds_total: int
    failing: int
    pending: Any  # storybrief.results.Pending
    last_hour: dict[str, int]
    last_day: dict[str, int]
    failures: list[Any]
    versions: list[VersionRow]
    chart: Chart
    #: the watchers following the feeds (storybrief.results.WatcherStatus), heard from lately
    watchers: list[Any] = field(default_factory=list)
    chart_days: int = CHART_DAYS
    extra: dict[str, Any] = field(default_factory=dict)


def relative(moment: datetime | None, now: datetime) -> str:
    """``in 12 min``, ``3 h ago``, ``due now``: a time an operator reads at a glance."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - now).total_seconds()
    ahead = seconds > 0
    seconds = abs(seconds)
    if seconds < 60:
        return "in under a minute" if ahead else "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            return f"in {amount}" if ahead else f"{amount} ago"
    return ""  # not reached


def feed_row(feed: FeedRecord, now: datetime) -> FeedRow:
    if not feed.enabled:
        return FeedRow(feed, "paused", "paused")
    if feed.consecutive_failures:
        health = "failing"
    elif feed.last_success_at is None:
        health = "new"
    else:
        health = "ok"
    due = feed.next_poll_at
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    if due is None or due <= now:
        return FeedRow(feed, health, "due now")
    return FeedRow(feed, health, relative(due, now))


def chart(days: list[DailyAnswers], *, last: date, count: int = CHART_DAYS) -> Chart:
    """Bars for the ``count`` days ending ``last``; the taller of the largest Yes and No day
    fills half the height."""
    first = last - timedelta(days=count - 1)
    per_day: dict[date, tuple[int, int]] = {}
    for d in days:
        if not first <= d.day <= last:
            continue
        yes, no = per_day.get(d.day, (0, 0))
        per_day[d.day] = (yes + d.yes, no + d.no)
    step, bar_width, height = 6.0, 4.0, 48.0
    middle = height / 2
    top = max([max(y, n) for y, n in per_day.values()] or [1]) or 1
    bars = []
    for i in range(count):
        day = first + timedelta(days=i)
        yes, no = per_day.get(day, (0, 0))
        up = (middle - 2) * yes / top
        down = (middle - 2) * no / top
        bars.append(Bar(day, yes, no, i * step + 1, middle - up, up, down))
    return Chart(
        bars=bars,
        first=first,
        last=last,
        yes=sum(b.yes for b in bars),
        no=sum(b.no for b in bars),
        width=count * step + 1,
        height=height,
        middle=middle,
        bar_width=bar_width,
    )


def overview(library: Library, *, now: datetime | None = None) -> Overview:
    """Everything the operator page shows, in one pass over the library."""
    now = now or datetime.now(UTC)
    feeds = library.feeds.all()
    rows = [feed_row(f, now) for f in feeds]
    order = {"failing": 0, "new": 1, "ok": 2, "paused": 3}
    rows.sort(key=lambda r: (order[r.health], -r.feed.consecutive_failures, r.feed.id))
    readers = library.readers
    feedback = readers.feedback(limit=MAX_VERSIONS, reasons=3)
    ids = [f.explainer_id for f in feedback]
    daily = readers.feedback_by_day(ids, days=CHART_DAYS, now=now)
    latest = readers.latest_explainers(sorted({f.story_id for f in feedback}))
    versions = []
    for f in feedback:
        stored = latest.get(f.story_id)
        headline = (stored.document.get("headline") if stored else None) or f"Story {f.story_id}"
        versions.append(
            VersionRow(
                explainer_id=f.explainer_id,
                story_id=f.story_id,
                version=f.version,
                headline=str(headline),
                yes=f.yes,
                no=f.no,
                reasons=f.reasons,
                chart=chart(
                    [d for d in daily if d.explainer_id == f.explainer_id], last=now.date()
                ),
            )
        )
    return Overview(
        now=now,
        feeds=rows[:MAX_FEEDS],
        feeds_total=len(rows),
        failing=sum(r.health == "failing" for r in rows),
        pending=library.pending(now=now),
        last_hour=library.throughput(hours=1),
        last_day=library.throughput(hours=24),
        failures=library.failures(limit=MAX_FAILURES),
        versions=versions,
        chart=chart(readers.feedback_by_day(days=CHART_DAYS, now=now), last=now.date()),
        watchers=[w for w in library.watchers(now=now) if w.health != "gone"],
    )
