"""Explainers: numbered versions per story, each with its sentences and their citations, and
what an LLM engine was asked and answered for it (:class:`EngineCall`); and what a scheduler
needs to decide which stories to explain next (:class:`StoryActivity`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..errors import NotFoundError
from .database import Database, aware, possible_id
from .models import (
    ArticleRow,
    CitationRow,
    EngineCallRow,
    ExplainerRow,
    ExplainerSentenceRow,
    Story,
)


class CitedSpan(NamedTuple):
    """What an explainer sentence cites: a span of one sentence of one article."""

    article_id: int
    sentence_idx: int
    start: int
    end: int


@dataclass(frozen=True)
class StoredSentence:
    """An explainer sentence as stored: section number, text, verdict and citations
    (article id, sentence index, start, end)."""

    section_idx: int
    position: int
    text: str
    verdict: str | None
    reasons: list[str]
    citations: Sequence[tuple[int, int, int, int]]  # CitedSpan when read back


@dataclass(frozen=True)
class StoredExplainer:
    id: int
    story_id: int
    version: int
    engine: str
    sources_key: str
    document: dict
    created_at: datetime


@dataclass(frozen=True)
class EngineCall:
    """One request an engine sent its model while writing an explainer version, and the
    answer: the messages as sent (role and content), the text as received."""

    explainer_id: int
    story_id: int
    version: int
    position: int  # the request's place in the run, from 0
    engine: str
    model: str | None
    messages: list[dict[str, str]]
    response: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    seconds: float
    created_at: datetime


@dataclass(frozen=True)
class StoryActivity:
    """A story's articles and explainers over time, for deciding when to explain it:
    a story with no explainer yet, or one that ``changed_at`` after ``latest_explainer_at``."""

    story_id: int
    title: str | None
    articles: int
    latest_article_at: datetime | None  # when its newest article was stored
    changed_at: datetime  # when articles last joined it (or it was otherwise changed)
    explainer_versions: int
    latest_explainer_at: datetime | None
    #: articles stored after the latest version, and the first one's time (filled by
    #: :func:`changed_since_explainer` only): what the next version is waiting for
    new_articles: int = 0
    first_new_at: datetime | None = None

    @property
    def changed_since_explainer(self) -> bool:
        return self.latest_explainer_at is None or self.changed_at > self.latest_explainer_at


def _missing(explainer_id: int) -> NotFoundError:
    return NotFoundError(f"no explainer with id {explainer_id}")


def save(
    db: Database,
    story_id: int,
    *,
    engine: str,
    engine_options: dict,
    headline: str | None,
    sources_key: str,
    document: dict,
    sentences: list[StoredSentence],
    calls: Sequence[dict[str, Any]] = (),
) -> StoredExplainer:
    """Store the next version of a story's explainer with its sentences and citations, and
    the ``calls`` its engine made (each a dict of :class:`EngineCall`'s fields from
    ``messages`` on; ``model`` as the engine recorded it), all in one transaction."""
    with db.session() as s:
        if s.get(Story, story_id) is None:
            raise NotFoundError(f"no story with id {story_id}")
        last = s.scalar(
            select(func.max(ExplainerRow.version)).where(ExplainerRow.story_id == story_id)
        )
        version = (last or 0) + 1
        row = ExplainerRow(
            story_id=story_id,
            version=version,
            engine=engine,
            engine_options=engine_options,
            headline=headline,
            sources_key=sources_key,
            document={**document, "story_id": story_id, "version": version},
        )
        row.sentences = [
            ExplainerSentenceRow(
                section_idx=x.section_idx,
                position=x.position,
                text=x.text,
                verdict=x.verdict,
                reasons=list(x.reasons),
                citations=[
                    CitationRow(article_id=a, sentence_idx=i, start_char=b, end_char=e)
                    for a, i, b, e in x.citations
                ],
            )
            for x in sentences
        ]
        s.add(row)
        s.flush()
        s.add_all(_call_row(row.id, engine, n, call) for n, call in enumerate(calls))
        return _record(row)


def _call_row(explainer_id: int, engine: str, position: int, call: dict[str, Any]) -> EngineCallRow:
    return EngineCallRow(
        explainer_id=explainer_id,
        position=position,
        engine=engine,
        model=call.get("model"),
        messages=list(call.get("messages") or []),
        response=str(call.get("response") or ""),
        prompt_tokens=int(call.get("prompt_tokens") or 0),
        completion_tokens=int(call.get("completion_tokens") or 0),
        finish_reason=call.get("finish_reason"),
        seconds=float(call.get("seconds") or 0.0),
    )


def calls(
    db: Database,
    *,
    story_id: int | None = None,
    explainer_id: int | None = None,
    limit: int = 20,
) -> list[EngineCall]:
    """What the engines were asked and answered, newest explainer version first, each
    version's requests in the order they were sent; of one story or one version, or all."""
    query = (
        select(EngineCallRow, ExplainerRow.story_id, ExplainerRow.version)
        .join(ExplainerRow, ExplainerRow.id == EngineCallRow.explainer_id)
        .order_by(EngineCallRow.explainer_id.desc(), EngineCallRow.position)
        .limit(limit)
    )
    for wanted, column in ((story_id, ExplainerRow.story_id), (explainer_id, ExplainerRow.id)):
        if wanted is not None:
            if not possible_id(wanted):
                return []
            query = query.where(column == wanted)
    with db.session() as s:
        rows = s.execute(query).all()
    return [
        EngineCall(
            r.explainer_id,
            story,
            version,
            r.position,
            r.engine,
            r.model,
            list(r.messages),
            r.response,
            r.prompt_tokens,
            r.completion_tokens,
            r.finish_reason,
            r.seconds,
            aware(r.created_at) or datetime.now(UTC),
        )
        for r, story, version in rows
    ]


def versions(db: Database, story_id: int) -> list[StoredExplainer]:
    """Every version of a story's explainer, newest first."""
    if not possible_id(story_id):
        return []
    with db.session() as s:
        rows = s.scalars(
            select(ExplainerRow)
            .where(ExplainerRow.story_id == story_id)
            .order_by(ExplainerRow.version.desc())
        ).all()
        return [_record(r) for r in rows]


def sentences(db: Database, explainer_id: int) -> list[StoredSentence]:
    if not possible_id(explainer_id):
        raise _missing(explainer_id)
    with db.session() as s:
        row = s.get(
            ExplainerRow,
            explainer_id,
            options=[
                selectinload(ExplainerRow.sentences).selectinload(ExplainerSentenceRow.citations)
            ],
        )
        if row is None:
            raise _missing(explainer_id)
        return [
            StoredSentence(
                x.section_idx,
                x.position,
                x.text,
                x.verdict,
                list(x.reasons),
                [
                    CitedSpan(c.article_id, c.sentence_idx, c.start_char, c.end_char)
                    for c in x.citations
                ],
            )
            for x in row.sentences
        ]


def get(db: Database, explainer_id: int) -> StoredExplainer:
    with db.session() as s:
        row = s.get(ExplainerRow, explainer_id) if possible_id(explainer_id) else None
        if row is None:
            raise _missing(explainer_id)
        return _record(row)


def latest_of(db: Database, story_ids: list[int]) -> dict[int, StoredExplainer]:
    """The newest explainer of each of these stories that has one (one query)."""
    if not story_ids:
        return {}
    with db.session() as s:
        newest = (
            select(ExplainerRow.story_id, func.max(ExplainerRow.version).label("version"))
            .where(ExplainerRow.story_id.in_([i for i in story_ids if possible_id(i)]))
            .group_by(ExplainerRow.story_id)
            .subquery()
        )
        rows = s.scalars(
            select(ExplainerRow).join(
                newest,
                (ExplainerRow.story_id == newest.c.story_id)
                & (ExplainerRow.version == newest.c.version),
            )
        ).all()
        return {r.story_id: _record(r) for r in rows}


def recent(
    db: Database, *, limit: int = 50, topic_slug: str | None = None
) -> list[StoredExplainer]:
    """Explainer versions, newest first, across all stories or one topic's (what feeds
    publish)."""
    query = select(ExplainerRow)
    if topic_slug is not None:
        query = query.join(Story, Story.id == ExplainerRow.story_id).where(
            Story.topic_slug == topic_slug
        )
    with db.session() as s:
        rows = s.scalars(
            query.order_by(ExplainerRow.created_at.desc(), ExplainerRow.id.desc()).limit(limit)
        ).all()
        return [_record(r) for r in rows]


def _record(row: ExplainerRow) -> StoredExplainer:
    return StoredExplainer(
        row.id,
        row.story_id,
        row.version,
        row.engine,
        row.sources_key,
        dict(row.document),
        aware(row.created_at) or datetime.now(UTC),
    )


# -- scheduling -----------------------------------------------------------------------------


def _activity_query() -> tuple[Select, Subquery, Subquery]:
    """Stories with their article and explainer counts and latest times, and the two
    aggregate subqueries (articles, explainers) to filter on."""
    members = (
        select(
            ArticleRow.story_id.label("story_id"),
            func.count(ArticleRow.id).label("n"),
            func.max(ArticleRow.created_at).label("latest"),
        )
        .where(ArticleRow.story_id.is_not(None))
        .group_by(ArticleRow.story_id)
        .subquery()
    )
    written = (
        select(
            ExplainerRow.story_id.label("story_id"),
            func.count(ExplainerRow.id).label("n"),
            func.max(ExplainerRow.created_at).label("latest"),
        )
        .group_by(ExplainerRow.story_id)
        .subquery()
    )
    query = (
        select(
            Story.id,
            Story.title,
            func.coalesce(members.c.n, 0).label("articles"),
            members.c.latest.label("latest_article_at"),
            Story.updated_at,
            func.coalesce(written.c.n, 0).label("versions"),
            written.c.latest.label("latest_explainer_at"),
        )
        .outerjoin(members, members.c.story_id == Story.id)
        .outerjoin(written, written.c.story_id == Story.id)
    )
    return query, members, written


def _activity(row: tuple) -> StoryActivity:
    return StoryActivity(
        row[0],
        row[1],
        int(row[2]),
        aware(row[3]),
        aware(row[4]) or datetime.now(UTC),
        int(row[5]),
        aware(row[6]),
    )


def activity(db: Database, story_ids: list[int]) -> dict[int, StoryActivity]:
    """Articles and explainers of these stories (unknown ids left out)."""
    if not story_ids:
        return {}
    with db.session() as s:
        query, _, _ = _activity_query()
        known = [i for i in story_ids if possible_id(i)]
        rows = s.execute(query.where(Story.id.in_(known))).all()
    return {r[0]: _activity(tuple(r)) for r in rows}


def without_explainer(
    db: Database, *, min_articles: int = 1, limit: int = 100
) -> list[StoryActivity]:
    """Stories with at least ``min_articles`` articles and no explainer yet, the most recently
    changed first."""
    query, members, written = _activity_query()
    with db.session() as s:
        rows = s.execute(
            query.where(
                written.c.n.is_(None),
                func.coalesce(members.c.n, 0) >= min_articles,
                _explainable(),
            )
            .order_by(Story.updated_at.desc(), Story.id.desc())
            .limit(limit)
        ).all()
    return [_activity(tuple(r)) for r in rows]


def changed_since_explainer(
    db: Database, *, limit: int = 100, story_ids: list[int] | None = None
) -> list[StoryActivity]:
    """Stories that have an explainer but changed (articles joined) after its newest version,
    the longest-waiting first (of ``story_ids`` only, when given), each with the articles
    stored since that version (``new_articles``, ``first_new_at``)."""
    query, _, written = _activity_query()
    since = (  # the articles of each story stored after its newest version
        select(
            ArticleRow.story_id.label("story_id"),
            func.count(ArticleRow.id).label("n"),
            func.min(ArticleRow.created_at).label("first"),
        )
        .join(written, written.c.story_id == ArticleRow.story_id)
        .where(ArticleRow.created_at > written.c.latest)
        .group_by(ArticleRow.story_id)
        .subquery()
    )
    query = query.add_columns(func.coalesce(since.c.n, 0), since.c.first).outerjoin(
        since, since.c.story_id == Story.id
    )
    query = query.where(
        written.c.latest.is_not(None), Story.updated_at > written.c.latest, _explainable()
    )
    if story_ids is not None:
        query = query.where(Story.id.in_([i for i in story_ids if possible_id(i)]))
    with db.session() as s:
        rows = s.execute(query.order_by(written.c.latest, Story.id).limit(limit)).all()
    return [
        replace(_activity(tuple(r[:7])), new_articles=int(r[7]), first_new_at=aware(r[8]))
        for r in rows
    ]


def _explainable() -> ColumnElement[bool]:
    """Not found unexplainable since it last changed (see :func:`mark_unexplainable`), nor
    retired (split or merged into other stories: migration 0009)."""
    return and_(Story.retired_at.is_(None), _not_marked())


def _not_marked() -> ColumnElement[bool]:
    return or_(Story.unexplainable_at.is_(None), Story.updated_at > Story.unexplainable_at)


def mark_unexplainable(db: Database, story_id: int) -> None:
    """Remember that the story's articles, as they are now, hold nothing an explainer may
    publish: it is not due again until an article joins or leaves (which moves
    ``updated_at`` past the mark). ``updated_at`` itself is left as it is."""
    with db.session() as s:
        s.execute(
            update(Story)
            .where(Story.id == story_id)
            .values(unexplainable_at=Story.updated_at, updated_at=Story.updated_at)
        )


def count_unexplainable(db: Database) -> int:
    """Stories marked by :func:`mark_unexplainable` that have not changed since."""
    with db.session() as s:
        query = select(func.count(Story.id)).where(Story.retired_at.is_(None), ~_not_marked())
        return s.scalar(query) or 0


def written_since(db: Database, since: datetime) -> int:
    """Explainer versions written at or after ``since``."""
    with db.session() as s:
        return (
            s.scalar(select(func.count(ExplainerRow.id)).where(ExplainerRow.created_at >= since))
            or 0
        )


class Explainers(Database):
    """The explainer versions of one database, as the store exposes them: this module's
    functions with the database filled in (``store.explainers.versions(7)`` is ``versions(db,
    7)``)."""

    save = save
    calls = calls
    versions = versions
    sentences = sentences
    get = get
    latest_of = latest_of
    recent = recent
    activity = activity
    without_explainer = without_explainer
    changed_since_explainer = changed_since_explainer
    mark_unexplainable = mark_unexplainable
    count_unexplainable = count_unexplainable
    written_since = written_since

    def latest(self, story_id: int) -> StoredExplainer | None:
        """The newest version of the story's explainer (None: it has none)."""
        return self.latest_of([story_id]).get(story_id)
