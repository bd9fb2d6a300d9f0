"""Incremental story clustering, in memory: each article joins the story of its event seen
within the time window, or starts a new one. Near-duplicates join their original's story and
do not move its centroid.

Which story is an article's event: the most similar story by vector (the cosine with its
centroid), with the article's names that the story carries and the story's own names that the
article carries added, and less when the two name different years (:mod:`.identity`). A pair
near the threshold gets a second look: the story's most similar recent article, and the
figures both give.

The same algorithm serves ingest (:mod:`storybrief.cluster.assign`, which persists the result)
and the benchmark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .dedupe import NearDuplicates, signature
from .identity import EventProfile, Facts, NameWeights, evidence
from .vectors import Embedder

#: Weights of the evidence beside the cosine, chosen with bench/clustering.py on its dev parts
#: (the UCI stories of one half, ECB+'s train topics; see the README): the share of the
#: story's core names the article carries, and what naming different years takes off; naming
#: other weekdays or dates of the month than the story's usual ones takes off less (0.05 was
#: the best of 0-0.3 on ECB+'s train topics, with either kind of vectors).
CORE_WEIGHT = 0.1
YEAR_PENALTY = 0.5
DAY_PENALTY = 0.05
#: A second look for a pair whose score is within DOUBT of the threshold: part of the gap
#: between the story's most similar recent article and its centroid, and a shared figure.
DOUBT = 0.05
NEAREST_SHARE = 0.5
FIGURE_BONUS = 0.03
RECENT = 8  # member vectors a story keeps for the second look


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
    dated: bool = True  # ``when`` is a publication time (not only when it was fetched)


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
    profile: EventProfile = field(default_factory=EventProfile)
    recent: list[np.ndarray] = field(default_factory=list)  # the latest members' vectors
    dated: bool = True  # ``first`` and ``last`` are publication times of its articles

    def took(self, item: Item) -> None:
        """Its times with the item's: a publication time counts over fetch times."""
        if item.dated and not self.dated:
            self.first = self.last = item.when
            self.dated = True
        elif item.dated or not self.dated:
            self.first = min(self.first, item.when)
            self.last = max(self.last, item.when)

    @property
    def entities(self) -> Counter[str]:
        return self.profile.names

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
        self.names = NameWeights()
        self._story_of: dict[int, tuple[int, float]] = {}  # article key -> (story key, when)
        self._rows: list[int] = []  # story keys, in the order of matrix rows
        self._matrix = np.zeros((0, embedder.dimensions), dtype=np.float32)
        self._last = np.zeros(0, dtype=np.float64)
        self._dated = np.zeros(0, dtype=bool)
        self._next_key = -1
        self._added = 0
        self._newest = float("-inf")
        self._shared: set[int] = set()  # keys of stories resumed as given: copied to change

    # -- resuming from stored stories -------------------------------------------------------

    def resume(
        self,
        stories: Sequence[StoryState],
        centroids: Sequence[np.ndarray],
        names: NameWeights,
        duplicates: NearDuplicates,
        story_of: dict[int, tuple[int, float]],
    ) -> None:
        """Make stored stories the candidates at once, in this order: with their ``centroids``
        (float32), the ``names`` of their articles, an index
        of their articles' signatures (``duplicates``, looked up but not changed) and which
        story holds each article (and when it came). The stories are shared with the caller:
        one that changes is copied first."""
        if self.stories or self._rows:
            raise ValueError("resume: only a clusterer with no stories yet")
        if duplicates.threshold != self.duplicates.threshold:
            raise ValueError("resume: the stories' signatures are indexed at another threshold")
        self.stories = {story.key: story for story in stories}
        self._shared = set(self.stories)
        self.names = names
        self.duplicates = NearDuplicates(self.duplicates.threshold, base=duplicates)
        self._story_of = dict(story_of)
        self._rows = [story.key for story in stories]
        if centroids:
            self._matrix = np.stack(centroids).astype(np.float32, copy=False)
        self._last = np.array([story.last for story in stories], dtype=np.float64)
        self._dated = np.array([story.dated for story in stories], dtype=bool)
        self._newest = max([self._newest, *(story.last for story in stories)])

    def _own(self, key: int) -> StoryState:
        """The story, to change: a copy of a shared one."""
        story = self.stories[key]
        if key in self._shared:
            self._shared.discard(key)
            p = story.profile
            profile = EventProfile(
                p.size, Counter(p.names), Counter(p.years), Counter(p.figures), Counter(p.days)
            )
            story = replace(story, profile=profile, recent=list(story.recent))
            self.stories[key] = story
        return story

    # -- clustering ----------------------------------------------------------------------------

    def add(self, items: Sequence[Item], *, vectors: np.ndarray | None = None) -> list[Decision]:
        """Assign ``items`` in order (their ``vectors`` when already embedded); returns one
        decision per item."""
        if not items:
            return []
        if vectors is None:
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
                story = self._own(story_key)
                story.took(item)
                row = self._rows.index(story_key)
                self._last[row], self._dated[row] = story.last, story.dated
                return Decision(item.key, story_key, False, duplicate_of=original, score=1.0)
        facts = Facts.of(item.text)
        self.names.add(facts.names)
        threshold = self.lead_threshold if item.has_lead else self.threshold
        best, score = self._best(vector, facts, item, threshold)
        if best is None:
            story_key = self._next_key
            self._next_key -= 1
            story = StoryState(story_key, vector.copy(), 1, item.when, item.when, dated=item.dated)
            story.profile.add(facts)
            story.recent.append(vector)
            self.stories[story_key] = story
            self._append_row(story)
            created = True
        else:
            story_key = best
            story = self._own(story_key)
            story.total = story.total + vector
            story.size += 1
            story.profile.add(facts)
            story.recent = [*story.recent[-(RECENT - 1) :], vector]
            story.took(item)
            row = self._rows.index(story_key)
            self._matrix[row] = story.centroid
            self._last[row], self._dated[row] = story.last, story.dated
            created = False
        self.duplicates.add(item.key, sig)
        self._story_of[item.key] = (story_key, item.when)
        return Decision(item.key, story_key, created, score=score)

    def score(self, vector: np.ndarray, facts: Facts, story: StoryState, threshold: float) -> float:
        """How surely an article (its vector and facts) reports the story's event, on the scale
        of the cosine: the join threshold applies to it."""
        cosine = float(story.centroid @ vector)
        found = evidence(facts, story.profile, self.names)
        score = (
            cosine
            + self.entity_weight * found.names_shared
            + CORE_WEIGHT * found.core_shared
            - (YEAR_PENALTY if found.years_differ else 0.0)
            - (DAY_PENALTY if found.days_differ else 0.0)
        )
        if abs(score - threshold) < DOUBT:  # a second look
            if story.recent:
                nearest = max(float(v @ vector) for v in story.recent)
                score += NEAREST_SHARE * max(0.0, nearest - cosine)
            if found.figures_shared:
                score += FIGURE_BONUS
        return score

    def _best(
        self, vector: np.ndarray, facts: Facts, item: Item, threshold: float
    ) -> tuple[int | None, float]:
        if not self._rows:
            return None, 0.0
        # einsum, not BLAS: a small matrix-vector product per article, where a multi-threaded
        # BLAS spends far longer waking its threads (50x slower on a busy 2-core machine)
        sims = np.einsum("ij,j->i", self._matrix, vector)
        if item.dated:  # an undated article is placed by what it says, not by when it came
            sims[(np.abs(self._last - item.when) > self.window) & self._dated] = -1.0
        top = np.argsort(-sims)[:5]
        best, best_score = None, threshold
        reach = self.entity_weight + CORE_WEIGHT + DOUBT * (1 + NEAREST_SHARE)
        for row in top:
            if sims[row] < threshold - reach:
                break
            story = self.stories[self._rows[row]]
            score = self.score(vector, facts, story, threshold)
            if score >= best_score:
                best, best_score = story.key, score
        return best, (best_score if best is not None else 0.0)

    def _append_row(self, story: StoryState) -> None:
        self._rows.append(story.key)
        self._matrix = np.vstack([self._matrix, story.centroid[None, :].astype(np.float32)])
        self._last = np.append(self._last, story.last)
        self._dated = np.append(self._dated, story.dated)

    def _compact(self) -> None:
        """Forget stories (and duplicate candidates) too old to take the newest articles."""
        horizon = self._newest - 2 * self.window
        keep = [i for i, last in enumerate(self._last) if last >= horizon]
        if len(keep) == len(self._rows):
            return
        self._rows = [self._rows[i] for i in keep]
        self._matrix = self._matrix[keep]
        self._last = self._last[keep]
        self._dated = self._dated[keep]
        live = set(self._rows)
        self.stories = {k: s for k, s in self.stories.items() if k in live}
        for key, (_story, when) in list(self._story_of.items()):
            if when < horizon:
                del self._story_of[key]
                self.duplicates.remove(key)
