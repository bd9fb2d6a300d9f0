"""Incremental story clustering, in memory: each article joins the most similar story seen
within the time window, or starts a new one. Near-duplicates join their original's story and
do not move its centroid.

The same algorithm serves ingest (:mod:`storybrief.cluster.assign`, which persists the result)
and the benchmark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .dedupe import NearDuplicates, signature
from .vectors import Embedder, entities


@dataclass(frozen=True)
class Item:
    """One article as clustering sees it. ``when`` is a POSIX timestamp (published, else
    fetched); ``text`` is what is embedded (title and lead); ``body`` is what near-duplicate
    detection compares."""

    key: int
    text: str
    body: str
    when: float
    has_lead: bool = False  # ``text`` is a title and lead sentences, not a headline alone


@dataclass(frozen=True)
class Decision:
    key: int
    story: int  # story key: a stored story id, or a negative key for a story made in this run
    new_story: bool
    duplicate_of: int | None = None
    score: float = 0.0


@dataclass
class StoryState:
    key: int
    total: np.ndarray  # sum of member vectors (duplicates excluded)
    size: int
    first: float
    last: float
    entities: Counter[str] = field(default_factory=Counter)

    @property
    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.total))
        return self.total / norm if norm else self.total


class Clusterer:
    """Single-pass clustering with a time window.

    ``threshold``: the cosine similarity (plus the entity bonus) an article needs with a story's
    centroid to join it; ``lead_threshold`` (default: the same) for an article embedded with
    its lead, whose similarities run higher than a headline's. ``window_hours``: a story takes
    articles only within this many hours of its latest one. ``entity_weight``: bonus for the
    share of the article's names the story already has. ``duplicate_threshold``: estimated
    word-trigram Jaccard similarity at which an article is a near-duplicate of an earlier one.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float,
        lead_threshold: float | None = None,
        window_hours: float,
        entity_weight: float,
        duplicate_threshold: float,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.lead_threshold = threshold if lead_threshold is None else lead_threshold
        self.window = window_hours * 3600.0
        self.entity_weight = entity_weight
        self.duplicates = NearDuplicates(duplicate_threshold)
        self.stories: dict[int, StoryState] = {}
        self._story_of: dict[int, tuple[int, float]] = {}  # article key -> (story key, when)
        self._rows: list[int] = []  # story keys, in the order of matrix rows
        self._matrix = np.zeros((0, embedder.dimensions), dtype=np.float32)
        self._last = np.zeros(0, dtype=np.float64)
        self._next_key = -1
        self._added = 0
        self._newest = float("-inf")

    # -- resuming from stored stories -------------------------------------------------------

    def seed(self, story: StoryState, members: Sequence[tuple[int, str, float]] = ()) -> None:
        """Make a stored story a candidate; ``members`` (article key, body, when) make its
        articles candidates for near-duplicate matches."""
        self.stories[story.key] = story
        self._append_row(story)
        for key, body, when in members:
            self.duplicates.add(key, signature(body))
            self._story_of[key] = (story.key, when)
        self._newest = max(self._newest, story.last)

    # -- clustering ----------------------------------------------------------------------------

    def add(self, items: Sequence[Item]) -> list[Decision]:
        """Assign ``items`` in order; returns one decision per item."""
        if not items:
            return []
        vectors = self.embedder.embed([item.text for item in items])
        return [self._add_one(item, vectors[i]) for i, item in enumerate(items)]

    def _add_one(self, item: Item, vector: np.ndarray) -> Decision:
        self._added += 1
        if self._added % 2000 == 0:
            self._compact()
        self._newest = max(self._newest, item.when)
        sig = signature(item.body)
        original = self.duplicates.find(sig)
        if original is not None and original in self._story_of:
            story_key, when = self._story_of[original]
            if abs(item.when - when) <= self.window and story_key in self.stories:
                self._story_of[item.key] = (story_key, item.when)
                story = self.stories[story_key]
                story.last = max(story.last, item.when)
                story.first = min(story.first, item.when)
                self._last[self._rows.index(story_key)] = story.last
                return Decision(item.key, story_key, False, duplicate_of=original, score=1.0)
        names = entities(item.text)
        threshold = self.lead_threshold if item.has_lead else self.threshold
        best, score = self._best(vector, names, item.when, threshold)
        if best is None:
            story_key = self._next_key
            self._next_key -= 1
            story = StoryState(story_key, vector.copy(), 1, item.when, item.when, Counter(names))
            self.stories[story_key] = story
            self._append_row(story)
            created = True
        else:
            story_key = best
            story = self.stories[story_key]
            story.total = story.total + vector
            story.size += 1
            story.entities.update(names)
            story.first = min(story.first, item.when)
            story.last = max(story.last, item.when)
            row = self._rows.index(story_key)
            self._matrix[row] = story.centroid
            self._last[row] = story.last
            created = False
        self.duplicates.add(item.key, sig)
        self._story_of[item.key] = (story_key, item.when)
        return Decision(item.key, story_key, created, score=score)

    def _best(
        self, vector: np.ndarray, names: set[str], when: float, threshold: float
    ) -> tuple[int | None, float]:
        if not self._rows:
            return None, 0.0
        # einsum, not BLAS: a small matrix-vector product per article, where a multi-threaded
        # BLAS spends far longer waking its threads (50x slower on a busy 2-core machine)
        sims = np.einsum("ij,j->i", self._matrix, vector)
        sims[np.abs(self._last - when) > self.window] = -1.0
        top = np.argsort(-sims)[:5]
        best, best_score = None, threshold
        for row in top:
            if sims[row] < threshold - self.entity_weight:
                break
            story = self.stories[self._rows[row]]
            bonus = 0.0
            if names and self.entity_weight:
                bonus = (
                    self.entity_weight * sum(1 for n in names if n in story.entities) / len(names)
                )
            score = float(sims[row]) + bonus
            if score >= best_score:
                best, best_score = story.key, score
        return best, (best_score if best is not None else 0.0)

    def _append_row(self, story: StoryState) -> None:
        self._rows.append(story.key)
        self._matrix = np.vstack([self._matrix, story.centroid[None, :].astype(np.float32)])
        self._last = np.append(self._last, story.last)

    def _compact(self) -> None:
        """Forget stories (and duplicate candidates) too old to take the newest articles."""
        horizon = self._newest - 2 * self.window
        keep = [i for i, last in enumerate(self._last) if last >= horizon]
        if len(keep) == len(self._rows):
            return
        self._rows = [self._rows[i] for i in keep]
        self._matrix = self._matrix[keep]
        self._last = self._last[keep]
        live = set(self._rows)
        self.stories = {k: s for k, s in self.stories.items() if k in live}
        for key, (_story, when) in list(self._story_of.items()):
            if when < horizon:
                del self._story_of[key]
                self.duplicates.remove(key)
