"""Stories that heal: after each assignment, the stories it changed are looked at again.

- A story whose articles, clustered afresh on their own, form two events or more, or whose
  articles say two events of one kind apart (two days, years or figures never given together,
  :func:`~storybrief.cluster.identity.two_events`), **splits**:
  each event becomes a story of its own (and gets its explainer), and the old story retires,
  linked to them, so that its URL points to them.
- A story that reports the same event as another recent story **merges** into it (the one with
  more articles, else the older, stays): the other retires, linked to it — unless their
  articles together say two events apart.

Both ask the question assignment asks — how surely does an article report a story's event
(:meth:`Clusterer.score`) — averaged over the articles of one side, with a margin: two groups
split only when each scores below the join threshold by ``MARGIN`` with the other, two stories
merge only when they score above it by ``MARGIN``, so a story never flips back and forth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from ..records import Article
from ..settings import Settings
from ..store import Store
from .assign import clusterer_for, embedder_for, item_of
from .clusterer import Clusterer, Item, StoryState
from .identity import EventProfile, Facts, two_events

log = logging.getLogger("storybrief.cluster")

MARGIN = 0.05
#: Stories larger than this are not re-clustered after each assignment (by hand they are:
#: ``storybrief recluster``).
MAX_ARTICLES = 200
#: Other stories a changed story is compared with for a merge (the closest by vector).
MERGE_CANDIDATES = 3
#: A story also splits when its articles say two events apart (:func:`two_events`): two
#: facts of one kind each given by this share of its articles, never together. Chosen with
#: bench/clustering.py on ECB+'s train topics (the best B³ F1 of 0.1-0.3, with either kind
#: of vectors).
SPLIT_SHARE = 0.2


@dataclass
class Healing:
    """What one look did: the stories that split (old id -> the new stories' ids) and merged
    (old id -> the story it merged into)."""

    split: dict[int, list[int]] = field(default_factory=dict)
    merged: dict[int, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.split or self.merged)


@dataclass
class _Group:
    """Some articles as one event: their items, vectors and what they say."""

    items: list[Item]
    vectors: np.ndarray

    def state(self, key: int = 0) -> StoryState:
        profile = EventProfile()
        for item in self.items:
            profile.add(Facts.of(item.text))
        times = [i.when for i in self.items]
        total = self.vectors.sum(axis=0).astype(np.float32)
        recent = list(self.vectors[-8:])
        return StoryState(key, total, len(self.items), min(times), max(times), profile, recent)


def agreement(clusterer: Clusterer, a: _Group, b: _Group) -> float:
    """How surely the articles of each group report the other's event: the lower of the two
    averages of :meth:`Clusterer.score` (an article against the other group as a story)."""
    sides = []
    for mine, other in ((a, b), (b, a)):
        story = other.state()
        scores = [
            clusterer.score(
                vector,
                Facts.of(item.text),
                story,
                clusterer.lead_threshold if item.has_lead else clusterer.threshold,
            )
            - (clusterer.lead_threshold if item.has_lead else clusterer.threshold)
            for item, vector in zip(mine.items, mine.vectors, strict=True)
        ]
        sides.append(float(np.mean(scores)))
    return min(sides)


def split_groups(
    clusterer: Clusterer, items: list[Item], vectors: np.ndarray
) -> list[_Group] | None:
    """The articles (with their vectors) as two events or more, when they are clearly apart;
    else None. Clustered afresh on their own, into groups that each score below the join
    threshold by ``MARGIN`` with every other; failing that, by what they say
    (:func:`by_facts`)."""
    decisions = clusterer.add(items, vectors=vectors)
    groups: dict[int, list[int]] = {}
    for n, d in enumerate(decisions):
        groups.setdefault(d.story, []).append(n)
    parts = [_Group([items[n] for n in rows], vectors[rows]) for rows in groups.values()]
    apart = len(parts) > 1 and all(
        agreement(clusterer, a, b) <= -MARGIN for i, a in enumerate(parts) for b in parts[i + 1 :]
    )
    return parts if apart else by_facts(items, vectors)


def by_facts(items: list[Item], vectors: np.ndarray) -> list[_Group] | None:
    """Two events, when the articles' facts say so (:func:`two_events`): the articles that
    give the one fact, those that give the other, and each of the rest with the side whose
    vectors it is closer to."""
    facts = [Facts.of(i.text) for i in items]
    found = two_events(facts, SPLIT_SHARE)
    if found is None:
        return None
    sides = [list(found.with_first), list(found.with_second)]
    centroids = [vectors[rows].sum(axis=0) for rows in sides]
    placed = set(sides[0]) | set(sides[1])
    for n in range(len(items)):
        if n not in placed:
            side = found.side_of(facts[n])
            if side is None:
                side = int(vectors[n] @ centroids[1] > vectors[n] @ centroids[0])
            sides[side].append(n)
    return [_Group([items[n] for n in sorted(rows)], vectors[sorted(rows)]) for rows in sides]


def may_merge(a: _Group, b: _Group) -> bool:
    """Whether the two groups' articles together say nothing of two events (a merge that
    :func:`by_facts` would split again is not made)."""
    return two_events([Facts.of(i.text) for i in a.items + b.items], SPLIT_SHARE) is None


def heal(store: Store, settings: Settings, story_ids: list[int]) -> Healing:
    """Look again at these stories: split each that holds two events, merge each that is one
    event with another recent story. Each split and merge is one transaction."""
    done = Healing()
    for story_id in dict.fromkeys(story_ids):
        if story_id in done.merged or store.stories.is_retired(story_id):
            continue
        parts = _split(store, settings, story_id)
        if parts:
            made = _split_story(store, settings, story_id, parts)
            done.split[story_id] = made
            log.info("story %s held %d events: split into %s", story_id, len(made), made)
            continue
        into = _merge_target(store, settings, story_id)
        if into is not None:
            keep, leave = into
            store.stories.merge(leave, keep)
            done.merged[leave] = keep
            log.info("story %s was one event with story %s: merged into it", leave, keep)
    return done


def split_into(
    store: Store, settings: Settings, story_id: int, parts: list[list[int]]
) -> list[int]:
    """Split the story into these parts (article ids; a part of none is left out), each a
    story of its own with what assignment keeps about it, the old one retired and linked to
    them (the largest part first); one transaction. Returns the new stories' ids. For a
    story found to hold two events by other means than :func:`heal`'s (an explainer's
    engine telling its events apart)."""
    parts = sorted((p for p in parts if p), key=len, reverse=True)
    clusterer = clusterer_for(settings)
    groups = []
    for ids in parts:
        items = sorted(
            (item_of(a) for a in store.articles.get_many(ids)), key=lambda i: (i.when, i.key)
        )
        groups.append((ids, _Group(items, clusterer.embedder.embed([i.text for i in items]))))
    made = _split_story(store, settings, story_id, groups)
    log.info("story %s told %d events apart: split into %s", story_id, len(made), made)
    return made


def _split_story(
    store: Store, settings: Settings, story_id: int, parts: list[tuple[list[int], _Group]]
) -> list[int]:
    """Split the story into these parts (article ids, and what assignment keeps about them),
    each named after its first articles; the new stories' ids."""
    titles = [_title(store.articles.get_many(ids[:5])) for ids, _ in parts]
    made = store.stories.split(story_id, list(zip(titles, [ids for ids, _ in parts], strict=True)))
    for new_id, (_, group) in zip(made, parts, strict=True):
        _save_state(store, settings, new_id, group)
    return made


def _members(store: Store, story_id: int) -> tuple[list[Item], dict[int, int]]:
    ids = store.stories.article_ids(story_id)
    if len(ids) > MAX_ARTICLES:
        return [], {}
    duplicates = store.stories.duplicates_in(story_id)
    items = sorted(
        (item_of(a) for a in store.articles.get_many(ids)), key=lambda i: (i.when, i.key)
    )
    return items, duplicates


def _split(
    store: Store, settings: Settings, story_id: int
) -> list[tuple[list[int], _Group]] | None:
    """The story's articles as two events or more (a copy with its original), when they are
    clearly apart; else None."""
    items, duplicates = _members(store, story_id)
    originals = [i for i in items if i.key not in duplicates]
    if len(originals) < 2:
        return None
    clusterer = clusterer_for(settings)
    vectors = clusterer.embedder.embed([i.text for i in originals])
    parts = split_groups(clusterer, originals, vectors)
    if parts is None:
        return None  # not clearly two events: leave the story as it is
    out = [[i.key for i in p.items] for p in parts]
    for copy, original in duplicates.items():  # a copy goes with its original
        for part in out:
            if original in part:
                part.append(copy)
                break
        else:
            out[0].append(copy)
    return [(sorted(keys), part) for keys, part in zip(out, parts, strict=True)]


def _save_state(store: Store, settings: Settings, story_id: int, group: _Group) -> None:
    """What assignment keeps about a story, for a part that became one."""
    state = group.state()
    store.stories.save_state(
        story_id,
        centroid=state.total.astype(np.float32).tobytes(),
        state={
            **state.profile.state(),
            "vectors": embedder_for(settings).name,
            "size": state.size,
        },
    )


def _merge_target(store: Store, settings: Settings, story_id: int) -> tuple[int, int] | None:
    """(the story that stays, the one that merges into it), or None."""
    items, duplicates = _members(store, story_id)
    mine = [i for i in items if i.key not in duplicates]
    if not mine:
        return None
    clusterer = clusterer_for(settings)
    window = timedelta(hours=settings.cluster.window_hours)
    first = datetime.fromtimestamp(min(i.when for i in mine), UTC)
    last = datetime.fromtimestamp(max(i.when for i in mine), UTC)
    own = _Group(mine, clusterer.embedder.embed([i.text for i in mine]))
    centroid = own.state().centroid
    closest = []  # by the centroid each story keeps (its articles are read for the few closest)
    for record in store.stories.states(first - window):
        if record.id == story_id or record.first_seen is None or record.first_seen > last + window:
            continue
        if not record.centroid or len(record.centroid) != centroid.nbytes:
            continue  # kept with other vectors, or none: the next assignment keeps them
        kept = np.frombuffer(record.centroid, dtype=np.float32)
        norm = float(np.linalg.norm(kept))
        if norm:
            closest.append((float(kept @ centroid) / norm, record.id))
    candidates = []
    for _, other_id in sorted(closest, reverse=True)[:MERGE_CANDIDATES]:
        other, other_duplicates = _members(store, other_id)
        theirs = [i for i in other if i.key not in other_duplicates]
        if theirs:
            vectors = clusterer.embedder.embed([i.text for i in theirs])
            candidates.append((0.0, other_id, _Group(theirs, vectors)))
    for _, other_id, group in candidates[:MERGE_CANDIDATES]:
        if agreement(clusterer, own, group) >= MARGIN and may_merge(own, group):
            sizes = {story_id: len(mine), other_id: len(group.items)}
            keep = max(sizes, key=lambda s: (sizes[s], -s))
            return keep, other_id if keep == story_id else story_id
    return None


def _title(articles: list[Article]) -> str | None:
    return next((a.title for a in articles if a.title), None)
