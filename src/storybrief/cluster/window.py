"""The stories of the clustering window, kept in memory between assignments.

Every assignment needs the recent stories as the clusterer sees them: each one's vector sum,
what its articles say, its times, and its articles' signatures for near-duplicates. Reading them
all back from the database each time cost more with every story in the window (135 ms of CPU an
article after 300 articles, 413 by 3,000 in bench/memory.py). A :class:`StoryWindow` keeps them
and reads again only the stories written since its last look: those whose row, or one of whose
articles' rows, has an ``updated_at`` at or after that look (less :data:`SLACK`, for a write
whose transaction commits a little after it took its time) — so that another process's new
stories and changes (a second watcher, workers on PostgreSQL, healing, a hand-made grouping)
are seen at the next assignment. What a kept window hands the clusterer is what a new window,
reading every story of the window back, hands it, story for story (``tests/test_window.py``).

Not seen: a write that keeps ``updated_at`` as it was (``storybrief recluster`` giving a story
back the same articles); a recluster in this process forgets the window
(:func:`forget`), one in another process is seen when the story next changes.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from ..records import Article
from ..store import Store, StoryRecord
from .clusterer import Clusterer, Item, StoryState
from .dedupe import NearDuplicates, Signature, signature
from .identity import EventProfile, Facts, NameWeights

#: How far before its last look a window reads writes again: a write takes its time before
#: its transaction commits (a SQLite writer may wait for the lock; a PostgreSQL one for a row).
SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class _Article:
    """One article of a kept story, as clustering sees it (``updated``: its row's
    ``updated_at`` when read)."""

    updated: datetime
    when: float
    dated: bool
    text: str
    facts: Facts
    signature: Signature


@dataclass
class _Kept:
    id: int
    updated: datetime | None
    last_seen: datetime
    state: StoryState  # shared with each run's clusterer, which copies it to change it
    centroid: np.ndarray
    members: list[tuple[int, bool]]  # (article, whether it is a near-duplicate)
    embed: bool  # kept without vectors of this kind: its originals are embedded each run


class StoryWindow:
    """The live stories last seen at or after :attr:`since`, as the database had them at the
    last :meth:`refresh` (each story with at least one article)."""

    def __init__(self, vectors: str, duplicate_threshold: float = 0.8) -> None:
        self.vectors = vectors
        self.since: datetime | None = None
        self._looked: datetime | None = None
        self._kept: dict[int, _Kept] = {}
        self._owner: dict[int, int] = {}  # article -> the kept story holding it
        self._articles: dict[int, _Article] = {}
        self._names: Counter[str] = Counter()  # the kept stories' names
        self._documents = 0
        # the kept stories' articles' signatures, at the clusterer's near-duplicate threshold
        self._duplicates = NearDuplicates(duplicate_threshold)
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def refresh(self, store: Store, since: datetime, item_of: Callable[[Article], Item]) -> None:
        """Keep the stories last seen at or after ``since``, as the database has them now."""
        now = datetime.now(UTC)
        dirty: set[int] = set()
        if self.since is None or self._looked is None:
            dirty.update(store.stories.window_ids(since))
        else:
            if since < self.since:
                dirty.update(store.stories.window_ids(since, before=self.since))
            for old in [k.id for k in self._kept.values() if k.last_seen < since]:
                self._drop(old)
            written = store.stories.written_since(self._looked - SLACK)
            for story_id, updated in written.stories:
                kept = self._kept.get(story_id)
                if kept is None or kept.updated != updated:
                    dirty.add(story_id)
            for article_id, holder, updated in written.articles:
                seen = self._articles.get(article_id)
                owner = self._owner.get(article_id)
                if seen is not None and seen.updated == updated and owner == holder:
                    continue
                dirty.update(s for s in (holder, owner) if s is not None)
        self.since, self._looked = since, now
        if dirty:
            self._read(store, sorted(dirty), item_of)

    def _read(self, store: Store, ids: list[int], item_of: Callable[[Article], Item]) -> None:
        """Read these stories again (those no longer live in the window are let go); their
        articles are read only when new to the window or written since."""
        assert self.since is not None
        known: dict[int, _Article] = {}
        for story_id in ids:
            known.update(self._drop(story_id))
        records = store.stories.states(self.since, ids=ids)
        members = store.stories.members([r.id for r in records])
        updated = {a: u for rows in members.values() for a, u, _ in rows}
        for article_id, article in list(known.items()):
            if updated.get(article_id) != article.updated:
                del known[article_id]
        wanted = [
            a
            for a, u in updated.items()
            if a not in known and (a not in self._articles or self._articles[a].updated != u)
        ]
        for found in store.articles.get_many(wanted) if wanted else []:
            item = item_of(found)
            known[item.key] = _Article(
                updated[item.key], item.when, item.dated, item.text, Facts.of(item.text),
                signature(item.body),
            )  # fmt: skip
        for record in records:
            rows = members[record.id]
            if rows and record.last_seen is not None:
                kept = [(a, duplicate) for a, _, duplicate in rows]
                self._keep(self._kept_of(record, kept, known), known)

    def _kept_of(
        self, record: StoryRecord, members: list[tuple[int, bool]], known: dict[int, _Article]
    ) -> _Kept:
        """A story as :func:`~storybrief.cluster.assign.assign` read it back from its row and
        articles."""
        assert record.last_seen is not None
        articles = [known.get(a) or self._articles[a] for a, _ in members]
        originals = [
            a for a, (_, duplicate) in zip(articles, members, strict=True) if not duplicate
        ]
        embed = not (record.centroid and record.state.get("vectors") == self.vectors)
        profile = EventProfile()
        for article in originals:
            profile.add(article.facts)
        dated = [a.when for a in articles if a.dated]
        times = dated or [a.when for a in articles]
        total = np.frombuffer(record.centroid or b"", dtype=np.float32).copy()
        state = StoryState(
            record.id,
            total.astype(np.float32),
            max(1, len(originals)),
            min(times),
            max(times),
            profile,
            dated=bool(dated),
        )
        centroid = state.total if embed else state.centroid.astype(np.float32)
        return _Kept(
            record.id, record.updated_at, record.last_seen, state, centroid, members, embed
        )

    def _keep(self, kept: _Kept, known: dict[int, _Article]) -> None:
        self._kept[kept.id] = kept
        self._names.update(kept.state.profile.names)
        self._documents += kept.state.profile.size
        for article_id, _ in kept.members:
            article = known.get(article_id) or self._articles[article_id]
            self._owner[article_id] = kept.id
            self._articles[article_id] = article
            self._duplicates.add(article_id, article.signature)

    def _drop(self, story_id: int) -> dict[int, _Article]:
        """Let the story go, with its articles (returned)."""
        kept = self._kept.pop(story_id, None)
        if kept is None:
            return {}
        self._names -= kept.state.profile.names  # (drops the names no kept story has)
        self._documents -= kept.state.profile.size
        out = {}
        for article_id, _ in kept.members:
            if self._owner.get(article_id) == story_id:
                del self._owner[article_id]
                self._duplicates.remove(article_id)
                out[article_id] = self._articles.pop(article_id)
        return out

    def seed(self, clusterer: Clusterer) -> None:
        """Make the kept stories the clusterer's candidates, in the order of their ids."""
        stories, centroids = [], []
        story_of: dict[int, tuple[int, float]] = {}
        for story_id in sorted(self._kept):
            kept = self._kept[story_id]
            state, centroid = kept.state, kept.centroid
            if kept.embed:  # as before: its originals embedded by this run's embedder
                texts = [self._articles[a].text for a, duplicate in kept.members if not duplicate]
                total = clusterer.embedder.embed(texts).sum(axis=0).astype(np.float32)
                state = StoryState(
                    state.key, total, state.size, state.first, state.last, state.profile,
                    dated=state.dated,
                )  # fmt: skip
                centroid = state.centroid.astype(np.float32)
            stories.append(state)
            centroids.append(centroid)
            for article_id, _ in kept.members:
                story_of[article_id] = (story_id, self._articles[article_id].when)
        names = NameWeights(+self._names, self._documents)
        clusterer.resume(stories, centroids, names, self._duplicates, story_of)


_WINDOWS: weakref.WeakKeyDictionary[Store, dict[tuple[str, float], StoryWindow]] = (
    weakref.WeakKeyDictionary()
)
_WINDOWS_LOCK = threading.Lock()


def window_of(store: Store, vectors: str, duplicate_threshold: float = 0.8) -> StoryWindow:
    """The window this store's assignments keep, for vectors of this kind and this
    near-duplicate threshold."""
    key = (vectors, duplicate_threshold)
    with _WINDOWS_LOCK:
        kept = _WINDOWS.setdefault(store, {})
        if key not in kept:
            kept[key] = StoryWindow(vectors, duplicate_threshold)
        return kept[key]


def forget(store: Store) -> None:
    """Drop what this store's windows keep (after rebuilding every story)."""
    with _WINDOWS_LOCK:
        _WINDOWS.pop(store, None)
