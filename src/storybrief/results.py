"""What the library's verbs hand back (:class:`storybrief.library.Library`): an explainer as
published, a story with its articles, what is due, and the work waiting. Plain data; what a
poll of a feed did is :class:`storybrief.follow.PollReport`, what an ingest did
:class:`storybrief.ingest.IngestReport`, how a story grew :class:`storybrief.store.Coverage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a read-only verb does not load the pipeline's stages
    from .explain import Explainer
    from .ingest import IngestReport
    from .records import Article
    from .store import FeedRecord, WatcherRecord
    from .verify.publish import CheckReport


@dataclass
class ExplainResult:
    """An explainer as published (checked), where it is stored, and how it came about."""

    explainer: Explainer
    check: CheckReport | None  # None when the stored version was reused
    story_id: int
    version: int
    explainer_id: int
    reused: bool = False  # the latest stored version was written from the same sources
    ingest: IngestReport | None = None
    #: the stories this one split into: its articles told more than one event
    split_into: list[int] = field(default_factory=list)


@dataclass
class StoryWithArticles:
    """One story with its articles and which of them copy another."""

    summary: Any
    articles: list[Article]
    duplicates: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Due:
    """What is due at one moment (:meth:`storybrief.library.Library.due`): the feeds to poll,
    whether articles wait for a story, and the stories to explain with the engine to use."""

    feeds: list[FeedRecord]
    articles_waiting: bool  # some article is in no story yet
    stories: list[tuple[int, str | None]]


@dataclass(frozen=True)
class Pending:
    """Work waiting, for `storybrief status`."""

    feeds_due: int
    articles_without_story: int
    stories_without_explainer: int
    stories_changed: int
    #: stories whose articles hold nothing publishable, not asked for until they change
    stories_unexplainable: int


@dataclass(frozen=True)
class PendingUpdate:
    """A story whose explainer is behind its articles (:meth:`Library.pending_updates`):
    ``new_reports`` articles stored since its latest version (written at ``version_at``), the
    first at ``first_new_at``, the last joining at ``last_change_at``; its next version is due
    at ``due_at`` (:func:`update_due_at`)."""

    story_id: int
    version_at: datetime
    first_new_at: datetime
    last_change_at: datetime
    new_reports: int
    due_at: datetime


def update_due_at(
    *,
    version_at: datetime,
    first_new_at: datetime,
    last_change_at: datetime,
    settle_seconds: float,
    max_wait_seconds: float,
    floor_seconds: float = 0.0,
) -> datetime:
    """When a grown story's next explainer version is due — the one rule the watcher and
    the workers both follow: once its burst of reports has settled (``settle_seconds``
    without a new one since ``last_change_at``), and at the latest ``max_wait_seconds``
    after the first report its latest version lacks, however long the burst goes on; never
    within ``floor_seconds`` of that version. A burst that settles within the maximum costs
    one version: the version covers every report stored before it, so only a report stored
    after it makes the story due again."""
    settled = last_change_at + timedelta(seconds=settle_seconds)
    bound = first_new_at + timedelta(seconds=max_wait_seconds)
    return max(min(settled, bound), version_at + timedelta(seconds=floor_seconds))


#: A watcher not heard from for this long is "silent": stuck, or gone without saying so.
SILENT_AFTER_SECONDS = 900.0
#: A silent watcher not heard from for this long is taken for gone for good: still listed,
#: no longer counted against health.
GONE_AFTER_SECONDS = 86_400.0


@dataclass(frozen=True)
class WatcherStatus:
    """A watcher (``storybrief watch``, ``serve --watch``) as seen now: its record and its
    ``health`` — "ok", "failing" (its last round failed), "restarting" (its thread died and
    is started again after a pause), "silent" (not heard from for
    :data:`SILENT_AFTER_SECONDS`), "gone" (silent for a day) or "stopped"."""

    record: WatcherRecord
    health: str
    silent_seconds: float

    @classmethod
    def of(cls, record: WatcherRecord, now: datetime) -> WatcherStatus:
        """The watcher's health at ``now``, from its last heartbeat and state."""
        silent = max(0.0, (now - record.heartbeat_at).total_seconds())
        if record.state == "stopped":
            health = "stopped"
        elif silent >= GONE_AFTER_SECONDS:
            health = "gone"
        elif silent >= SILENT_AFTER_SECONDS:
            health = "silent"
        elif record.state == "restarting":
            health = "restarting"
        else:
            health = "failing" if record.failures else "ok"
        return cls(record, health, silent)

    @property
    def healthy(self) -> bool:
        """Whether this watcher counts as following the feeds; a stopped one, or one gone
        for a day, counts neither way (see :attr:`counts`)."""
        return self.health == "ok"

    @property
    def counts(self) -> bool:
        """Whether its health is the health of the service (not stopped, not long gone)."""
        return self.health not in ("stopped", "gone")
