"""Stories: clusters of articles reporting the same event, with what clustering keeps about
each (its centroid vector and state)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Text, and_, cast, exists, func, not_, select
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..topics import dominant, slug
from .database import Database, aware, possible_id
from .models import ArticleRow, ExplainerRow, Story, StorySuccessor


@dataclass(frozen=True)
class StorySummary:
    id: int
    title: str | None
    size: int
    outlets: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    explainer_versions: int
    topic: str | None = None
    topic_slug: str | None = None


@dataclass(frozen=True)
class StoryRecord:
    """A story as clustering keeps it: its centroid vector (bytes) and state (JSON text, read
    when asked for: healing reads every recent story's centroid for each story it looks at,
    and parsing every state was most of that)."""

    id: int
    title: str | None
    centroid: bytes | None
    state_json: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    updated_at: datetime | None = None

    @functools.cached_property
    def state(self) -> dict:
        found = json.loads(self.state_json) if self.state_json else None
        return found if isinstance(found, dict) else {}


def _missing(story_id: int) -> NotFoundError:
    return NotFoundError(f"no story with id {story_id} (see `storybrief stories`)")


def _story(s: Session, story_id: int) -> Story:
    """The story; :class:`NotFoundError` when there is none."""
    story = s.get(Story, story_id)
    if story is None:
        raise _missing(story_id)
    return story


def _set(s: Session, story_id: int, fields: dict[str, object]) -> Story:
    """The story, with its ``fields`` set."""
    story = _story(s, story_id)
    for key, value in fields.items():
        setattr(story, key, value)
    return story


def create(db: Database, title: str | None, article_ids: list[int]) -> int:
    """A new story holding these articles (one transaction)."""
    with db.session() as s:
        story = Story(title=title, state={})
        s.add(story)
        s.flush()
        _attach(s, story, article_ids)
        return story.id


def add_articles(db: Database, story_id: int, article_ids: list[int], **fields: object) -> None:
    """Move these articles into the story (and set any of its ``fields``)."""
    with db.session() as s:
        story = _set(s, story_id, fields)
        _attach(s, story, article_ids)


def _attach(s: Session, story: Story, article_ids: list[int]) -> None:
    rows = s.scalars(select(ArticleRow).where(ArticleRow.id.in_(article_ids))).all()
    left = {row.story_id for row in rows if row.story_id not in (None, story.id)}
    for row in rows:
        row.story_id = story.id
    s.flush()
    refresh(s, story)
    for other in s.scalars(select(Story).where(Story.id.in_(left))):
        refresh(s, other)
    times = [aware(r.published_at or r.fetched_at) for r in rows]
    times += [aware(story.first_seen), aware(story.last_seen)]
    known = [t for t in times if t is not None]
    if known:
        story.first_seen, story.last_seen = min(known), max(known)
    story.updated_at = datetime.now(UTC)


def refresh(s: Session, story: Story) -> None:
    """Recount what the story's articles say: how many, from how many outlets, and the topic
    most of them carry."""
    members = s.execute(
        select(ArticleRow.site_name, ArticleRow.url, ArticleRow.topic)
        .where(ArticleRow.story_id == story.id)
        .order_by(ArticleRow.id)
    ).all()
    story.article_count = len(members)
    story.outlet_count = len({o for o in (_outlet(m[0], m[1]) for m in members) if o})
    story.topic = dominant(m[2] for m in members)
    story.topic_slug = slug(story.topic) if story.topic else None


@dataclass(frozen=True)
class Successor:
    """A story that took a retired story's articles: ``kind`` ``split`` or ``merge``."""

    story_id: int
    successor_id: int
    kind: str
    articles: int
    created_at: datetime | None


def split(db: Database, story_id: int, parts: list[tuple[str | None, list[int]]]) -> list[int]:
    """Retire the story and give each part (title, articles) a new story of its own, linked as
    its successors; one transaction. Returns the new stories' ids, in the order given."""
    now = datetime.now(UTC)
    with db.session() as s:
        story = _story(s, story_id)
        made = []
        for title, ids in parts:
            part = Story(title=title, state={})
            s.add(part)
            s.flush()
            _attach(s, part, ids)
            s.add(StorySuccessor(story_id=story_id, successor_id=part.id, kind="split",
                                 articles=len(ids), created_at=now))  # fmt: skip
            made.append(part.id)
        _retire(s, story, now)
        return made


def merge(db: Database, story_id: int, into: int) -> None:
    """Move every article of the story into ``into`` and retire it, linked to ``into`` as its
    successor; one transaction."""
    now = datetime.now(UTC)
    with db.session() as s:
        story, target = s.get(Story, story_id), s.get(Story, into)
        if story is None or target is None:
            raise _missing(story_id if story is None else into)
        ids = list(s.scalars(select(ArticleRow.id).where(ArticleRow.story_id == story_id)))
        _attach(s, target, ids)
        target.updated_at = now  # grown: its next explainer version is due
        s.add(StorySuccessor(story_id=story_id, successor_id=into, kind="merge",
                             articles=len(ids), created_at=now))  # fmt: skip
        _retire(s, story, now)


def _retire(s: Session, story: Story, now: datetime) -> None:
    s.flush()
    refresh(s, story)
    story.retired_at = now
    story.updated_at = now
    story.centroid, story.state = None, {}


def successors(db: Database, story_id: int) -> list[Successor]:
    """The stories that took this retired story's articles (none for a live story), the one
    that took most first."""
    with db.session() as s:
        rows = s.scalars(
            select(StorySuccessor)
            .where(StorySuccessor.story_id == story_id)
            .order_by(StorySuccessor.articles.desc(), StorySuccessor.successor_id)
        ).all()
        return [_successor(r) for r in rows]


def predecessors(db: Database, story_id: int) -> list[Successor]:
    """The retired stories whose articles this story took (a split's part, a merge's target)."""
    with db.session() as s:
        rows = s.scalars(
            select(StorySuccessor)
            .where(StorySuccessor.successor_id == story_id)
            .order_by(StorySuccessor.story_id)
        ).all()
        return [_successor(r) for r in rows]


def live_successors(db: Database, story_id: int) -> list[int]:
    """Where a retired story's articles are now: its successors, and theirs in turn when they
    retired too (the live stories at the end of each chain), the largest share first."""
    out: list[int] = []
    seen = {story_id}
    todo = [story_id]
    with db.session() as s:
        while todo:
            current = todo.pop(0)
            rows = s.execute(
                select(StorySuccessor.successor_id, Story.retired_at)
                .join(Story, Story.id == StorySuccessor.successor_id)
                .where(StorySuccessor.story_id == current)
                .order_by(StorySuccessor.articles.desc(), StorySuccessor.successor_id)
            ).all()
            for successor, retired in rows:
                if successor in seen:
                    continue
                seen.add(successor)
                if retired is None:
                    out.append(successor)
                else:
                    todo.append(successor)
    return out


def is_retired(db: Database, story_id: int) -> bool:
    with db.session() as s:
        story = _story(s, story_id)
        return story.retired_at is not None


def _successor(row: StorySuccessor) -> Successor:
    return Successor(row.story_id, row.successor_id, row.kind, row.articles, aware(row.created_at))


def update(db: Database, story_id: int, *, changed: bool = True, **fields: object) -> None:
    """Set the story's ``fields``. ``changed=False``: what is written does not change the
    story for its readers (a re-clustering that gave it the same articles), so ``updated_at``
    stays as it was and no explainer version falls due."""
    with db.session() as s:
        story = _set(s, story_id, fields)
        if not changed:
            _keep_updated_at(story)


def _keep_updated_at(story: Story) -> None:
    # SET updated_at = updated_at: the column's onupdate (utcnow) fires only when the UPDATE
    # does not set it
    story.updated_at = Story.updated_at  # type: ignore[assignment]


def states(
    db: Database, since: datetime | None = None, *, ids: list[int] | None = None
) -> list[StoryRecord]:
    """Stories (last seen at or after ``since``; of these ``ids``) with what clustering keeps
    about them."""
    columns = (Story.id, Story.title, Story.centroid, cast(Story.state, Text))
    times = (Story.first_seen, Story.last_seen, Story.updated_at)
    with db.session() as s:
        query = select(*columns, *times).where(Story.retired_at.is_(None)).order_by(Story.id)
        if since is not None:
            query = query.where(Story.last_seen >= since)
        if ids is not None:
            query = query.where(Story.id.in_(ids))
        return [
            StoryRecord(i, title, centroid, state, aware(first), aware(last), updated)
            for i, title, centroid, state, first, last, updated in s.execute(query)
        ]


def window_ids(db: Database, since: datetime, before: datetime | None = None) -> list[int]:
    """The live stories last seen at or after ``since`` (and before ``before``)."""
    with db.session() as s:
        query = select(Story.id).where(Story.retired_at.is_(None), Story.last_seen >= since)
        if before is not None:
            query = query.where(Story.last_seen < before)
        return list(s.scalars(query))


@dataclass(frozen=True)
class Written:
    """What was written at or after a time: stories (id, ``updated_at``) and articles (id,
    story id, ``updated_at``), to tell which stories a copy kept in memory must read again."""

    stories: list[tuple[int, datetime]]
    articles: list[tuple[int, int | None, datetime]]


def written_since(db: Database, when: datetime) -> Written:
    with db.session() as s:
        stories = s.execute(select(Story.id, Story.updated_at).where(Story.updated_at >= when))
        articles = s.execute(
            select(ArticleRow.id, ArticleRow.story_id, ArticleRow.updated_at).where(
                ArticleRow.updated_at >= when
            )
        )
        return Written([(i, u) for i, u in stories], [(i, sid, u) for i, sid, u in articles])


def members(db: Database, story_ids: list[int]) -> dict[int, list[tuple[int, datetime, bool]]]:
    """Each story's articles in the order of :func:`article_ids` (oldest published first):
    (article id, its ``updated_at``, whether it is a near-duplicate)."""
    out: dict[int, list[tuple[int, datetime, bool]]] = {i: [] for i in story_ids}
    with db.session() as s:
        rows = s.execute(
            select(
                ArticleRow.story_id, ArticleRow.id, ArticleRow.updated_at, ArticleRow.duplicate_of
            )
            .where(ArticleRow.story_id.in_(story_ids))
            .order_by(ArticleRow.published_at, ArticleRow.id)
        )
        for story_id, article_id, updated, original in rows:
            if story_id is not None:
                out[story_id].append((article_id, updated, original is not None))
    return out


def save_state(
    db: Database,
    story_id: int,
    *,
    centroid: bytes | None,
    state: dict,
    title: str | None = None,
    changed: bool = True,
) -> None:
    """Keep what clustering knows of the story (``changed``: as for :func:`update`)."""
    with db.session() as s:
        story = _story(s, story_id)
        story.centroid, story.state = centroid, state
        if title is not None:
            story.title = title
        if not changed:
            _keep_updated_at(story)


def duplicates_in(db: Database, story_id: int) -> dict[int, int]:
    """Near-duplicate articles of a story: article id -> the article it copies."""
    with db.session() as s:
        rows = s.execute(
            select(ArticleRow.id, ArticleRow.duplicate_of).where(
                ArticleRow.story_id == story_id, ArticleRow.duplicate_of.is_not(None)
            )
        ).all()
        return {article_id: original for article_id, original in rows if original is not None}


def delete(db: Database, story_id: int) -> None:
    """Forget one story and its explainers (its articles stay, without a story)."""
    with db.session() as s:
        for row in s.scalars(select(ArticleRow).where(ArticleRow.story_id == story_id)):
            row.story_id = None
        s.flush()
        story = s.get(Story, story_id)
        if story is not None:
            s.delete(story)


def delete_all(db: Database) -> None:
    """Forget every story (articles stay; explainers go with their stories)."""
    with db.session() as s:
        for row in s.scalars(select(ArticleRow).where(ArticleRow.story_id.is_not(None))):
            row.story_id = None
        s.flush()
        for story in s.scalars(select(Story)):
            s.delete(story)


def article_ids(db: Database, story_id: int) -> list[int]:
    """The story's articles, oldest published first."""
    with db.session() as s:
        if not possible_id(story_id) or s.get(Story, story_id) is None:
            raise _missing(story_id)
        return list(
            s.scalars(
                select(ArticleRow.id)
                .where(ArticleRow.story_id == story_id)
                .order_by(ArticleRow.published_at, ArticleRow.id)
            )
        )


def get(db: Database, story_id: int) -> StorySummary:
    found = summaries(db, ids=[story_id])
    if not found:
        raise _missing(story_id)
    return found[0]


def summaries(
    db: Database, *, limit: int = 50, offset: int = 0, ids: list[int] | None = None
) -> list[StorySummary]:
    """Stories, most recently updated first, with size, outlets and explainer versions."""
    with db.session() as s:
        query = select(Story).order_by(Story.updated_at.desc(), Story.id.desc())
        if ids is not None:
            query = query.where(Story.id.in_([i for i in ids if possible_id(i)]))
        else:  # a listing: retired stories are found only by id
            query = query.where(Story.retired_at.is_(None))
        stories = s.scalars(query.limit(limit).offset(offset)).all()
        found = [story.id for story in stories]
        members: dict[int, list[tuple[str | None, str | None]]] = {i: [] for i in found}
        for story_id, site_name, url in s.execute(
            select(ArticleRow.story_id, ArticleRow.site_name, ArticleRow.url).where(
                ArticleRow.story_id.in_(found)
            )
        ):
            if story_id is not None:
                members[story_id].append((site_name, url))
        versions = dict(
            s.execute(
                select(ExplainerRow.story_id, func.count(ExplainerRow.id))
                .where(ExplainerRow.story_id.in_(found))
                .group_by(ExplainerRow.story_id)
            ).all()
        )
        return [
            StorySummary(
                story.id,
                story.title,
                len(members[story.id]),
                sorted({o for o in (_outlet(*m) for m in members[story.id]) if o}),
                aware(story.first_seen),
                aware(story.last_seen),
                versions.get(story.id, 0),
                story.topic,
                story.topic_slug,
            )
            for story in stories
        ]


def front(
    db: Database,
    *,
    explained: bool,
    topic_slug: str | None = None,
    limit: int = 30,
    offset: int = 0,
    min_outlets: int = 1,
) -> list[StorySummary]:
    """Stories with an explainer from at least ``min_outlets`` outlets (``explained``), or
    the others: still without an explainer, or reported by fewer outlets. Explained ones: the
    day of their newest report first, then those covered by more outlets, then by more
    articles; waiting ones newest first. ``topic_slug`` keeps one topic's. (With
    ``min_outlets`` 1 a story whose articles name no outlet counts as covered.)"""
    has_explainer = exists(select(ExplainerRow.id).where(ExplainerRow.story_id == Story.id))
    newest = func.coalesce(Story.last_seen, Story.created_at)
    shown: ColumnElement[bool] = has_explainer
    if min_outlets > 1:
        shown = and_(has_explainer, Story.outlet_count >= min_outlets)
    query = select(Story.id).where(shown if explained else not_(shown), Story.retired_at.is_(None))
    if topic_slug is not None:
        query = query.where(Story.topic_slug == topic_slug)
    if explained:
        query = query.order_by(
            func.date(newest).desc(),
            Story.outlet_count.desc(),
            Story.article_count.desc(),
            newest.desc(),
            Story.id.desc(),
        )
    else:
        query = query.order_by(newest.desc(), Story.id.desc())
    with db.session() as s:
        ids = list(s.scalars(query.limit(limit).offset(offset)))
    found = {story.id: story for story in summaries(db, limit=len(ids), ids=ids)}
    return [found[i] for i in ids if i in found]


def topic_label(db: Database, topic_slug: str) -> str | None:
    """The label of the topic with this slug, if any story carries it."""
    with db.session() as s:
        return s.scalar(select(func.min(Story.topic)).where(Story.topic_slug == topic_slug))


def topics(db: Database, *, limit: int = 50) -> list[tuple[str, str, int]]:
    """Topics with their slug and how many stories carry each, the most stories first."""
    with db.session() as s:
        rows = s.execute(
            select(Story.topic_slug, func.min(Story.topic), func.count(Story.id))
            .where(Story.topic_slug.is_not(None), Story.retired_at.is_(None))
            .group_by(Story.topic_slug)
            .order_by(func.count(Story.id).desc(), Story.topic_slug)
            .limit(limit)
        ).all()
    return [(label, topic_slug, n) for topic_slug, label, n in rows if label and topic_slug]


def _outlet(site_name: str | None, url: str | None) -> str | None:
    return site_name or (urlsplit(url).hostname if url else None)


class Stories(Database):
    """The stories of one database, as the store exposes them: this module's functions with the
    database filled in (``store.stories.get(7)`` is ``get(db, 7)``)."""

    create = create
    add_articles = add_articles
    update = update
    states = states
    window_ids = window_ids
    written_since = written_since
    members = members
    save_state = save_state
    duplicates_in = duplicates_in
    delete = delete
    delete_all = delete_all
    split = split
    merge = merge
    successors = successors
    predecessors = predecessors
    live_successors = live_successors
    is_retired = is_retired
    article_ids = article_ids
    get = get
    summaries = summaries
    front = front
    topic_label = topic_label
    topics = topics
