"""What is due to be explained, and when (below :class:`storybrief.library.Library`, whose
``due_stories``, ``pending_updates`` and ``pending`` these are): a story that qualifies and has
no explainer yet, and a story that grew since its latest version, once its burst of new reports
has settled or waited its longest (:func:`storybrief.results.update_due_at`: one rule for the
watcher, the workers and ``explain --pending``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .results import Pending, PendingUpdate, update_due_at

if TYPE_CHECKING:
    from .settings import ExplainSettings
    from .store import Store


def pending_updates(
    store: Store, explain: ExplainSettings, *, limit: int, story_ids: list[int] | None = None
) -> list[PendingUpdate]:
    """The stories that grew since their latest explainer version (of ``story_ids`` only,
    when given), each with its new reports and when its next version is due."""
    updates = []
    for s in store.explainers.changed_since_explainer(limit=limit, story_ids=story_ids):
        if s.latest_explainer_at is None:
            continue
        # an article stored before the version but put in the story after it (or a merge)
        # has no later storing time: the change itself is the first
        first = s.first_new_at or s.changed_at
        due_at = update_due_at(
            version_at=s.latest_explainer_at,
            first_new_at=first,
            last_change_at=s.changed_at,
            settle_seconds=explain.settle_seconds,
            max_wait_seconds=explain.max_wait_seconds,
            floor_seconds=explain.interval_seconds,
        )
        updates.append(
            PendingUpdate(
                s.story_id, s.latest_explainer_at, first, s.changed_at, s.new_articles, due_at
            )
        )
    return updates


def due_stories(
    store: Store, explain: ExplainSettings, *, now: datetime, limit: int
) -> list[tuple[int, str | None]]:
    """Stories whose explainer is due at ``now``, with the engine to use (that of their
    latest version, else None: the default): first those that qualify and have none, then
    those whose update has come; at most ``limit``."""
    due: list[tuple[int, str | None]] = [
        (s.story_id, None)
        for s in store.explainers.without_explainer(min_articles=explain.min_articles, limit=limit)
    ]
    for update in pending_updates(store, explain, limit=limit):
        if update.due_at <= now:
            latest = store.explainers.latest(update.story_id)
            due.append((update.story_id, latest.engine if latest else None))
    return due[:limit]


def pending(store: Store, explain: ExplainSettings, *, now: datetime) -> Pending:
    """How much work is waiting at ``now``."""
    changed = [
        s
        for s in store.explainers.changed_since_explainer(limit=10_000)
        if s.latest_explainer_at is not None
    ]
    return Pending(
        feeds_due=len(store.feeds.due(now, limit=10_000)),
        articles_without_story=len(store.articles.unassigned_ids(limit=100_000)),
        stories_without_explainer=len(
            store.explainers.without_explainer(min_articles=explain.min_articles, limit=100_000)
        ),
        stories_changed=len(changed),
        stories_unexplainable=store.explainers.count_unexplainable(),
    )
