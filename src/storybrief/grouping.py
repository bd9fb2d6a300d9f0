"""Putting articles into stories, below the library's door
(:meth:`storybrief.library.Library.assign_stories`): clustering in which one article's failure
stays its own, and the stories an assignment changed looked at again."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import StorageError

# clustering (numpy, the sentence model) is imported when articles are put into stories
if TYPE_CHECKING:
    from .cluster import StoryChange
    from .settings import Settings
    from .store import Store

log = logging.getLogger("storybrief.library")


def assign_each(store: Store, settings: Settings, article_ids: list[int]) -> list[StoryChange]:
    """Clustering, with one article's failure its own: when a batch fails on something
    unexpected, its articles are put into stories one at a time, and an article that
    fails alone gets a story of its own (so that it is not tried again every round),
    with the reason recorded as an ingest failure."""
    from .cluster import StoryChange, assign
    from .ingest.pipeline import unexpected

    try:
        return assign(store, article_ids, settings)
    except StorageError:
        raise
    except Exception as exc:
        log.warning("clustering %d articles failed (%s): one at a time", len(article_ids), exc)
    changes: list[StoryChange] = []
    for article_id in article_ids:
        try:
            changes += assign(store, [article_id], settings)
        except StorageError:
            raise
        except Exception as exc:
            article = store.articles.get(article_id)
            location = article.url or article.source or f"article {article_id}"
            store.failures.record(location, unexpected(location, exc))
            story_id = store.stories.create(article.title, [article_id])
            changes.append(StoryChange(story_id, True, [article_id]))
    return changes


def heal(store: Store, settings: Settings, story_ids: list[int]) -> None:
    """Look at the stories an assignment changed again: one that holds two events splits,
    one that is another recent story's event merges into it (:func:`cluster.heal`). The
    articles already have their stories: a look that fails is logged, not raised."""
    from .cluster import heal as heal_stories

    try:
        heal_stories(store, settings, story_ids)
    except StorageError:
        raise
    except Exception as exc:
        log.warning("looking again at stories %s failed: %s", story_ids, exc)
