"""Stories in the store: put newly ingested articles into stories (:func:`assign`), or rebuild
every story from the stored articles (:func:`recluster`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from ..records import Article
from ..settings import Settings
from ..store import Store
from .clusterer import Clusterer, Decision, Item
from .vectors import Embedder, make_embedder
from .window import forget, window_of

#: Join thresholds per kind of vector, for the score of :meth:`Clusterer.score` (the cosine
#: with the story's centroid plus the evidence of names and years), chosen with
#: bench/clustering.py on its dev parts only: for a headline alone, on the UCI stories of the
#: dev half; for a title with its lead, on ECB+'s train topics (the best B³ F1 of a sweep).
THRESHOLDS = {"minilm": 0.40, "hashing": 0.11}
LEAD_THRESHOLDS = {"minilm": 0.60, "hashing": 0.32}
_EMBEDDERS: dict[str, Embedder] = {}


@dataclass
class StoryChange:
    """What one run did to one story."""

    story_id: int
    created: bool
    added: list[int] = field(default_factory=list)  # articles that joined (duplicates included)
    duplicates: dict[int, int] = field(default_factory=dict)  # article -> the one it copies


def embedder_for(settings: Settings) -> Embedder:
    """The embedder the settings name; the model is loaded once per process. The hashing
    embedder learns word frequencies as it goes, so each run gets a fresh one."""
    kind = settings.cluster.vectors
    if kind == "hashing":
        return make_embedder("hashing")
    if kind not in _EMBEDDERS:
        _EMBEDDERS[kind] = make_embedder(kind)
    embedder = _EMBEDDERS[kind]
    return make_embedder("hashing") if embedder.name == "hashing" else embedder


def clusterer_for(settings: Settings, embedder: Embedder | None = None) -> Clusterer:
    embedder = embedder or embedder_for(settings)
    threshold = settings.cluster.threshold
    return Clusterer(
        embedder,
        threshold=THRESHOLDS[embedder.name] if threshold is None else threshold,
        lead_threshold=LEAD_THRESHOLDS[embedder.name] if threshold is None else threshold,
        window_hours=settings.cluster.window_hours,
        entity_weight=settings.cluster.entity_weight,
        duplicate_threshold=settings.cluster.duplicate_threshold,
    )


def item_of(article: Article) -> Item:
    """Title and lead are what a story is about; the whole body is what a copy shares."""
    lead = " ".join([s.text for s in article.sentences if not s.is_heading][:2])
    text = f"{article.title}. {lead}" if article.title else lead or article.text[:500]
    when = article.published_at or article.fetched_at or datetime.now(UTC)
    assert article.id is not None
    return Item(
        article.id,
        text,
        article.text,
        when.timestamp(),
        has_lead=bool(lead),
        dated=article.published_at is not None,
    )


def assign(store: Store, article_ids: list[int], settings: Settings) -> list[StoryChange]:
    """Put the articles that have no story yet into the best-matching recent story, or new
    ones; near-duplicates join their original's story. Returns the stories that changed."""
    articles = [a for a in store.articles.in_order(article_ids) if a.story_id is None]
    if not articles:
        return []
    clusterer = clusterer_for(settings)
    items = [item_of(a) for a in articles]
    since = datetime.fromtimestamp(min(i.when for i in items), UTC) - timedelta(
        hours=settings.cluster.window_hours
    )
    window = window_of(store, clusterer.embedder.name, clusterer.duplicates.threshold)
    with window.lock:
        window.refresh(store, since, item_of)
        window.seed(clusterer)
    decisions = clusterer.add(items)
    return _persist(store, clusterer, decisions, articles)


def _persist(
    store: Store, clusterer: Clusterer, decisions: list[Decision], articles: list[Article]
) -> list[StoryChange]:
    titles = {a.id: a.title for a in articles}
    changes: dict[int, StoryChange] = {}
    order: list[int] = []
    for d in decisions:
        if d.story not in changes:
            changes[d.story] = StoryChange(d.story, d.new_story)
            order.append(d.story)
        changes[d.story].added.append(d.key)
        if d.duplicate_of is not None:
            changes[d.story].duplicates[d.key] = d.duplicate_of
    out = []
    for key in order:
        change = changes[key]
        if key < 0:  # made in this run
            first = next((i for i in change.added if titles.get(i)), change.added[0])
            change.story_id = store.stories.create(titles.get(first), change.added)
        else:
            store.stories.add_articles(key, change.added)
        for article_id, original in change.duplicates.items():
            store.articles.mark_duplicate(article_id, original)
        _save_state(store, change.story_id, clusterer, key)
        out.append(change)
    return out


def _save_state(
    store: Store, story_id: int, clusterer: Clusterer, key: int, *, changed: bool = True
) -> None:
    """Keep the story's vector sum and names so the next run resumes without re-embedding.
    (A story the clusterer already forgot keeps no state: the next run recomputes it.)"""
    story = clusterer.stories.get(key)
    if story is None:
        store.stories.save_state(story_id, centroid=None, state={}, changed=changed)
        return
    store.stories.save_state(
        story_id,
        centroid=story.total.astype(np.float32).tobytes(),
        state={**story.profile.state(), "vectors": clusterer.embedder.name, "size": story.size},
        changed=changed,
    )


@dataclass(frozen=True)
class ReclusterReport:
    articles: int
    stories: int
    kept: int  # stories that kept their id (and explainers): the best match of a new cluster
    created: int
    removed: int  # old stories no new cluster matched (their explainers went with them)


def recluster(store: Store, settings: Settings) -> ReclusterReport:
    """Rebuild every story from the stored articles, oldest first. Each new cluster keeps the
    id (and explainers) of the old story it shares most articles with."""
    try:
        return _recluster(store, settings)
    finally:  # a story given back its articles keeps its time of change: read all again
        forget(store)


def _recluster(store: Store, settings: Settings) -> ReclusterReport:
    articles = store.articles.in_order()
    clusterer = clusterer_for(settings)
    items = [item_of(a) for a in articles]
    when = {i.key: i.when for i in items}
    decisions = clusterer.add(items)
    clusters: dict[int, list[int]] = {}
    for d in decisions:
        clusters.setdefault(d.story, []).append(d.key)
    old = {r.id: set(store.stories.article_ids(r.id)) for r in store.stories.states()}
    taken: set[int] = set()
    target: dict[int, int | None] = {}
    for key, members in sorted(clusters.items(), key=lambda kv: -len(kv[1])):
        overlaps = [(len(ids & set(members)), -sid, sid) for sid, ids in old.items()]
        overlaps = [o for o in overlaps if o[0] > 0 and o[2] not in taken]
        target[key] = max(overlaps)[2] if overlaps else None
        if target[key] is not None:
            taken.add(target[key])  # type: ignore[arg-type]
    for story_id in set(old) - taken:
        store.stories.delete(story_id)
    titles = {a.id: a.title for a in articles}
    duplicates = {d.key: d.duplicate_of for d in decisions}
    for key, members in clusters.items():
        kept = target[key]
        # a story given back the articles it had has not changed: no explainer falls due
        same = kept is not None and old[kept] == set(members)
        if kept is None:
            story_id = store.stories.create(titles.get(members[0]), members)
        else:
            story_id = kept
            if not same:
                store.stories.add_articles(story_id, members)
        times = [when[m] for m in members]
        store.stories.update(
            story_id,
            changed=not same,
            first_seen=datetime.fromtimestamp(min(times), UTC),
            last_seen=datetime.fromtimestamp(max(times), UTC),
        )
        for article_id in members:
            store.articles.mark_duplicate(article_id, duplicates.get(article_id))
        _save_state(store, story_id, clusterer, key, changed=not same)
    return ReclusterReport(
        len(articles), len(clusters), len(taken), len(clusters) - len(taken), len(old) - len(taken)
    )


def group_as_story(store: Store, article_ids: list[int]) -> int:
    """The story that is these articles. An explicit list of sources is the reader's own
    grouping: a story that lies wholly inside it (the largest) takes in the rest, keeping its
    id and earlier explainers; otherwise a new story is made. Articles are taken out of the
    stories clustering had put them in, and a story left empty is removed."""
    wanted = set(article_ids)
    owners = {a.story_id for a in store.articles.get_many(article_ids)} - {None}
    members = {sid: set(store.stories.article_ids(sid)) for sid in owners if sid is not None}
    inside = [sid for sid, ids in members.items() if ids <= wanted]
    if inside:
        story_id = max(inside, key=lambda sid: (len(members[sid]), -sid))
        if members[story_id] != wanted:
            store.stories.add_articles(story_id, article_ids)
    else:
        story_id = store.stories.create(store.articles.get(article_ids[0]).title, article_ids)
    for other in members:
        if other != story_id and not store.stories.article_ids(other):
            store.stories.delete(other)
    return story_id
