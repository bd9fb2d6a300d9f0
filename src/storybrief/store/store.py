"""The storage layer the rest of storybrief talks to. Each write is one transaction, so a
failed write never leaves half an article (or half a story) behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, Select, case, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..errors import NotFoundError, StorageError
from ..records import Article
from ..settings import Settings
from ..text import Sentence
from .database import create_db_engine, migrate
from .models import (
    ArticleRow,
    CitationRow,
    ExplainerRow,
    ExplainerSentenceRow,
    FailureRow,
    FeedbackRow,
    SentenceRow,
    Source,
    Story,
)
from .search import SearchResults

UpsertStatus = Literal["new", "updated", "duplicate"]


@dataclass(frozen=True)
class UpsertResult:
    status: UpsertStatus
    article: Article


@dataclass(frozen=True)
class StorySummary:
    id: int
    title: str | None
    size: int
    outlets: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    explainer_versions: int


@dataclass(frozen=True)
class StoryRecord:
    """A story as clustering keeps it: its centroid vector (bytes) and state."""

    id: int
    title: str | None
    centroid: bytes | None
    state: dict
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True)
class StoredSentence:
    """An explainer sentence as stored: section number, text, verdict and citations
    (article id, sentence index, start, end)."""

    section_idx: int
    position: int
    text: str
    verdict: str | None
    reasons: list[str]
    citations: list[tuple[int, int, int, int]]


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
class ArticleSummary:
    id: int
    title: str | None
    site_name: str | None
    published_at: datetime | None
    url: str | None
    words: int
    story_id: int | None


def _summary_query() -> Select:
    """What an article summary is read from (see :func:`_article_summary`)."""
    return select(
        ArticleRow.id,
        ArticleRow.title,
        ArticleRow.site_name,
        ArticleRow.published_at,
        func.coalesce(ArticleRow.canonical_url, ArticleRow.url),
        ArticleRow.text,
        ArticleRow.story_id,
    )


def _article_summary(r: Any) -> ArticleSummary:
    return ArticleSummary(r[0], r[1], r[2], _aware(r[3]), r[4], len(r[5].split()), r[6])


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything storybrief stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Store:
    """Open with :meth:`open` (runs migrations); use as a context manager or call :meth:`close`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings | str) -> Store:
        url = settings if isinstance(settings, str) else settings.resolved_database_url
        engine = create_db_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back (nothing written) on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise StorageError(f"database write failed: {str(exc).splitlines()[0]}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # -- articles ---------------------------------------------------------------------------

    def upsert_article(self, article: Article, *, source_id: int | None = None) -> UpsertResult:
        """Store an article once: the same canonical URL or the same normalised body is a
        duplicate; the same canonical URL with a changed body is an update."""
        try:
            return self._upsert(article, source_id)
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # A concurrent writer stored the same article between our lookup and insert.
            return self._upsert(article, source_id)

    def _upsert(self, article: Article, source_id: int | None) -> UpsertResult:
        with self.session() as s:
            row = None
            if article.canonical_url:
                row = s.scalar(
                    select(ArticleRow).where(ArticleRow.canonical_url == article.canonical_url)
                )
            if row is not None and row.content_hash != article.content_hash:
                clash = s.scalar(
                    select(ArticleRow.id).where(ArticleRow.content_hash == article.content_hash)
                )
                if clash is None:
                    _fill(row, article, replace=True)
                    row.sentences.clear()
                    s.flush()  # old sentences go before new ones reuse their indexes
                    row.sentences = _sentence_rows(article.sentences)
                    s.flush()
                    return UpsertResult("updated", _to_record(row))
                row = s.get(ArticleRow, clash)
            if row is None:
                row = s.scalar(
                    select(ArticleRow).where(ArticleRow.content_hash == article.content_hash)
                )
            if row is not None:
                _fill(row, article, replace=False)  # a copy may know what the first lacked
                s.flush()
                return UpsertResult("duplicate", _to_record(row))
            row = ArticleRow(content_hash=article.content_hash, text=article.text)
            _fill(row, article, replace=True)
            row.source_id = source_id
            row.sentences = _sentence_rows(article.sentences)
            s.add(row)
            s.flush()
            return UpsertResult("new", _to_record(row))

    def get_article(self, article_id: int) -> Article:
        with self.session() as s:
            row = s.get(ArticleRow, article_id, options=[selectinload(ArticleRow.sentences)])
            if row is None:
                raise NotFoundError(f"no article with id {article_id} (see `storybrief articles`)")
            return _to_record(row)

    def get_articles(self, ids: list[int]) -> list[Article]:
        with self.session() as s:
            rows = s.scalars(
                select(ArticleRow)
                .where(ArticleRow.id.in_(ids))
                .options(selectinload(ArticleRow.sentences))
            ).all()
            found = {row.id: _to_record(row) for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(f"no article with id {', '.join(map(str, missing))}")
        return [found[i] for i in ids]

    def find_article_by_url(self, url: str) -> tuple[int, datetime] | None:
        """Id and fetch time of the article stored from this URL (as fetched or canonical)."""
        with self.session() as s:
            row = s.execute(
                select(ArticleRow.id, ArticleRow.fetched_at)
                .where((ArticleRow.url == url) | (ArticleRow.canonical_url == url))
                .limit(1)
            ).first()
        if row is None:
            return None
        return row[0], _aware(row[1]) or datetime.now(UTC)

    def list_articles(self, *, limit: int = 50, offset: int = 0) -> list[ArticleSummary]:
        with self.session() as s:
            rows = s.execute(
                _summary_query().order_by(ArticleRow.id.desc()).limit(limit).offset(offset)
            ).all()
        return [_article_summary(r) for r in rows]

    def list_articles_by_id(self, ids: list[int]) -> list[ArticleSummary]:
        """Summaries of these articles, in the order given (unknown ids left out)."""
        if not ids:
            return []
        with self.session() as s:
            rows = s.execute(_summary_query().where(ArticleRow.id.in_(ids))).all()
        found = {r[0]: _article_summary(r) for r in rows}
        return [found[i] for i in ids if i in found]

    def search(self, query: str, *, limit: int = 20) -> SearchResults:
        """Stories (by title and explainer text) and articles matching every word of
        ``query``, best first (SQLite FTS5 or PostgreSQL full text search)."""
        from .search import search

        return search(self, query, limit=limit)

    def count_articles(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count(ArticleRow.id))) or 0

    # -- stories ------------------------------------------------------------------------------

    def create_story(self, title: str | None, article_ids: list[int]) -> int:
        """A new story holding these articles (one transaction)."""
        with self.session() as s:
            story = Story(title=title, state={})
            s.add(story)
            s.flush()
            self._attach(s, story, article_ids)
            return story.id

    def add_to_story(self, story_id: int, article_ids: list[int], **fields: object) -> None:
        with self.session() as s:
            story = s.get(Story, story_id)
            if story is None:
                raise NotFoundError(f"no story with id {story_id} (see `storybrief stories`)")
            for key, value in fields.items():
                setattr(story, key, value)
            self._attach(s, story, article_ids)

    @staticmethod
    def _attach(s: Session, story: Story, article_ids: list[int]) -> None:
        rows = s.scalars(select(ArticleRow).where(ArticleRow.id.in_(article_ids))).all()
        for row in rows:
            row.story_id = story.id
        times = [_aware(r.published_at or r.fetched_at) for r in rows]
        times += [_aware(story.first_seen), _aware(story.last_seen)]
        known = [t for t in times if t is not None]
        if known:
            story.first_seen, story.last_seen = min(known), max(known)
        story.updated_at = datetime.now(UTC)

    def update_story(self, story_id: int, **fields: object) -> None:
        with self.session() as s:
            story = s.get(Story, story_id)
            if story is None:
                raise NotFoundError(f"no story with id {story_id}")
            for key, value in fields.items():
                setattr(story, key, value)

    def story_states(self, since: datetime | None = None) -> list[StoryRecord]:
        """Stories (last seen at or after ``since``) with what clustering keeps about them."""
        with self.session() as s:
            query = select(Story).order_by(Story.id)
            if since is not None:
                query = query.where(Story.last_seen >= since)
            return [
                StoryRecord(
                    r.id,
                    r.title,
                    r.centroid,
                    dict(r.state or {}),
                    _aware(r.first_seen),
                    _aware(r.last_seen),
                )
                for r in s.scalars(query)
            ]

    def save_story_state(
        self, story_id: int, *, centroid: bytes | None, state: dict, title: str | None = None
    ) -> None:
        with self.session() as s:
            story = s.get(Story, story_id)
            if story is None:
                raise NotFoundError(f"no story with id {story_id}")
            story.centroid, story.state = centroid, state
            if title is not None:
                story.title = title

    def mark_duplicate(self, article_id: int, original_id: int | None) -> None:
        """Record that an article is a near-duplicate of another (None: it is not)."""
        with self.session() as s:
            row = s.get(ArticleRow, article_id)
            if row is None:
                raise NotFoundError(f"no article with id {article_id}")
            row.duplicate_of = original_id

    def duplicates_in(self, story_id: int) -> dict[int, int]:
        """Near-duplicate articles of a story: article id -> the article it copies."""
        with self.session() as s:
            rows = s.execute(
                select(ArticleRow.id, ArticleRow.duplicate_of).where(
                    ArticleRow.story_id == story_id, ArticleRow.duplicate_of.is_not(None)
                )
            ).all()
            return {article_id: original for article_id, original in rows if original is not None}

    def articles_in_order(self, ids: list[int] | None = None) -> list[Article]:
        """Articles (all, or these) oldest first by published time, else fetched time."""
        with self.session() as s:
            query = select(ArticleRow).options(selectinload(ArticleRow.sentences))
            if ids is not None:
                query = query.where(ArticleRow.id.in_(ids))
            rows = s.scalars(query).all()
            records = [_to_record(r) for r in rows]
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(records, key=lambda a: (a.published_at or a.fetched_at or epoch, a.id or 0))

    def delete_story(self, story_id: int) -> None:
        """Forget one story and its explainers (its articles stay, without a story)."""
        with self.session() as s:
            for row in s.scalars(select(ArticleRow).where(ArticleRow.story_id == story_id)):
                row.story_id = None
            s.flush()
            story = s.get(Story, story_id)
            if story is not None:
                s.delete(story)

    def delete_stories(self) -> None:
        """Forget every story (articles stay; explainers go with their stories)."""
        with self.session() as s:
            for row in s.scalars(select(ArticleRow).where(ArticleRow.story_id.is_not(None))):
                row.story_id = None
            s.flush()
            for story in s.scalars(select(Story)):
                s.delete(story)

    def story_article_ids(self, story_id: int) -> list[int]:
        with self.session() as s:
            if s.get(Story, story_id) is None:
                raise NotFoundError(f"no story with id {story_id} (see `storybrief stories`)")
            return list(
                s.scalars(
                    select(ArticleRow.id)
                    .where(ArticleRow.story_id == story_id)
                    .order_by(ArticleRow.published_at, ArticleRow.id)
                )
            )

    def get_story(self, story_id: int) -> StorySummary:
        found = self.list_stories(ids=[story_id])
        if not found:
            raise NotFoundError(f"no story with id {story_id} (see `storybrief stories`)")
        return found[0]

    def list_stories(
        self, *, limit: int = 50, offset: int = 0, ids: list[int] | None = None
    ) -> list[StorySummary]:
        """Stories, most recently updated first, with size and outlets."""
        with self.session() as s:
            query = select(Story).order_by(Story.updated_at.desc(), Story.id.desc())
            if ids is not None:
                query = query.where(Story.id.in_(ids))
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
                    _aware(story.first_seen),
                    _aware(story.last_seen),
                    versions.get(story.id, 0),
                )
                for story in stories
            ]

    # -- explainers and feedback ------------------------------------------------------------

    def save_explainer(
        self,
        story_id: int,
        *,
        engine: str,
        engine_options: dict,
        headline: str | None,
        sources_key: str,
        document: dict,
        sentences: list[StoredSentence],
    ) -> StoredExplainer:
        """Store the next version of a story's explainer with its sentences and citations,
        all in one transaction."""
        with self.session() as s:
            if s.get(Story, story_id) is None:
                raise NotFoundError(f"no story with id {story_id}")
            last = s.scalar(
                select(func.max(ExplainerRow.version)).where(ExplainerRow.story_id == story_id)
            )
            row = ExplainerRow(
                story_id=story_id,
                version=(last or 0) + 1,
                engine=engine,
                engine_options=engine_options,
                headline=headline,
                sources_key=sources_key,
                document={**document, "story_id": story_id, "version": (last or 0) + 1},
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
            return _explainer(row)

    def explainer_versions(self, story_id: int) -> list[StoredExplainer]:
        """Every version of a story's explainer, newest first."""
        with self.session() as s:
            rows = s.scalars(
                select(ExplainerRow)
                .where(ExplainerRow.story_id == story_id)
                .order_by(ExplainerRow.version.desc())
            ).all()
            return [_explainer(r) for r in rows]

    def latest_explainer(self, story_id: int) -> StoredExplainer | None:
        versions = self.explainer_versions(story_id)
        return versions[0] if versions else None

    def explainer_sentences(self, explainer_id: int) -> list[StoredSentence]:
        with self.session() as s:
            row = s.get(ExplainerRow, explainer_id)
            if row is None:
                raise NotFoundError(f"no explainer with id {explainer_id}")
            return [
                StoredSentence(
                    x.section_idx,
                    x.position,
                    x.text,
                    x.verdict,
                    list(x.reasons),
                    [(c.article_id, c.sentence_idx, c.start_char, c.end_char) for c in x.citations],
                )
                for x in row.sentences
            ]

    def get_explainer(self, explainer_id: int) -> StoredExplainer:
        with self.session() as s:
            row = s.get(ExplainerRow, explainer_id)
            if row is None:
                raise NotFoundError(f"no explainer with id {explainer_id}")
            return _explainer(row)

    def latest_explainers(self, story_ids: list[int]) -> dict[int, StoredExplainer]:
        """The newest explainer of each of these stories that has one (one query)."""
        if not story_ids:
            return {}
        with self.session() as s:
            newest = (
                select(ExplainerRow.story_id, func.max(ExplainerRow.version).label("version"))
                .where(ExplainerRow.story_id.in_(story_ids))
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
            return {r.story_id: _explainer(r) for r in rows}

    def recent_explainers(self, *, limit: int = 50) -> list[StoredExplainer]:
        """Explainer versions, newest first, across all stories (what feeds publish)."""
        with self.session() as s:
            rows = s.scalars(
                select(ExplainerRow)
                .order_by(ExplainerRow.created_at.desc(), ExplainerRow.id.desc())
                .limit(limit)
            ).all()
            return [_explainer(r) for r in rows]

    def reader_feedback(self, explainer_id: int, reader_id: str) -> tuple[bool, str | None] | None:
        """This reader's answer for this explainer version (useful, reason), if any."""
        with self.session() as s:
            row = s.execute(
                select(FeedbackRow.useful, FeedbackRow.reason).where(
                    FeedbackRow.explainer_id == explainer_id, FeedbackRow.reader_id == reader_id
                )
            ).first()
        return (bool(row[0]), row[1]) if row is not None else None

    def feedback_stats(self, *, limit: int = 100) -> list[tuple[int, int, int, int, int]]:
        """Answers per explainer version with any: (explainer id, story id, version, yes, no),
        most recent explainers first."""
        with self.session() as s:
            yes = func.sum(case((FeedbackRow.useful.is_(True), 1), else_=0))
            no = func.sum(case((FeedbackRow.useful.is_(False), 1), else_=0))
            rows = s.execute(
                select(ExplainerRow.id, ExplainerRow.story_id, ExplainerRow.version, yes, no)
                .join(FeedbackRow, FeedbackRow.explainer_id == ExplainerRow.id)
                .group_by(ExplainerRow.id, ExplainerRow.story_id, ExplainerRow.version)
                .order_by(ExplainerRow.id.desc())
                .limit(limit)
            ).all()
        return [(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0)) for r in rows]

    def feedback_reasons(self, explainer_id: int, *, limit: int = 50) -> list[str]:
        """The reasons readers gave with a "No", newest first."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(FeedbackRow.reason)
                    .where(
                        FeedbackRow.explainer_id == explainer_id,
                        FeedbackRow.useful.is_(False),
                        FeedbackRow.reason.is_not(None),
                    )
                    .order_by(FeedbackRow.updated_at.desc())
                    .limit(limit)
                )
            )

    def record_feedback(
        self, explainer_id: int, reader_id: str, useful: bool, reason: str | None = None
    ) -> None:
        """One answer per reader and explainer version; answering again changes it."""
        with self.session() as s:
            if s.get(ExplainerRow, explainer_id) is None:
                raise NotFoundError(f"no explainer with id {explainer_id}")
            row = s.scalar(
                select(FeedbackRow).where(
                    FeedbackRow.explainer_id == explainer_id, FeedbackRow.reader_id == reader_id
                )
            )
            if row is None:
                row = FeedbackRow(explainer_id=explainer_id, reader_id=reader_id, useful=useful)
                s.add(row)
            row.useful, row.reason = useful, (reason or None)

    def feedback_counts(self, explainer_id: int) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(
                select(FeedbackRow.useful, func.count())
                .where(FeedbackRow.explainer_id == explainer_id)
                .group_by(FeedbackRow.useful)
            ).all()
        counts = {"yes": 0, "no": 0}
        for useful, n in rows:
            counts["yes" if useful else "no"] = n
        return counts

    # -- sources and failures ---------------------------------------------------------------

    def source(self, location: str, kind: str) -> Source:
        """The source row for a feed/page/file location, created on first sight."""
        with self.session() as s:
            row = s.scalar(select(Source).where(Source.location == location))
            if row is None:
                row = Source(location=location, kind=kind)
                s.add(row)
                s.flush()
            return row

    def update_source(self, source_id: int, **fields: object) -> None:
        with self.session() as s:
            row = s.get(Source, source_id)
            if row is None:
                raise NotFoundError(f"no source with id {source_id}")
            for key, value in fields.items():
                setattr(row, key, value)
            row.last_fetched_at = datetime.now(UTC)

    def record_failure(self, location: str, reason: str) -> None:
        with self.session() as s:
            s.add(FailureRow(location=location[:2048], reason=reason))

    def failures(self, *, limit: int = 50) -> list[tuple[str, str, datetime]]:
        with self.session() as s:
            rows = s.execute(
                select(FailureRow.location, FailureRow.reason, FailureRow.occurred_at)
                .order_by(FailureRow.id.desc())
                .limit(limit)
            ).all()
        return [(r[0], r[1], _aware(r[2])) for r in rows]  # type: ignore[misc]


def _fill(row: ArticleRow, article: Article, *, replace: bool) -> None:
    """Copy metadata onto a row: all of it (``replace``) or only what the row lacks."""
    if replace:
        row.text = article.text
        row.content_hash = article.content_hash
    for field in ("url", "canonical_url", "title", "published_at", "site_name", "language"):
        value = getattr(article, field)
        if value is not None and (replace or getattr(row, field) is None):
            setattr(row, field, value)
    if article.authors and (replace or not row.authors):
        row.authors = list(article.authors)
    if replace or row.origin is None:
        row.origin = article.source
    row.fetched_at = article.fetched_at or datetime.now(UTC)


def _sentence_rows(sentences: list[Sentence]) -> list[SentenceRow]:
    return [
        SentenceRow(
            idx=s.index, start_char=s.start, end_char=s.end, text=s.text, is_heading=s.is_heading
        )
        for s in sentences
    ]


def _to_record(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        text=row.text,
        title=row.title,
        authors=list(row.authors or []),
        published_at=_aware(row.published_at),
        site_name=row.site_name,
        url=row.url,
        canonical_url=row.canonical_url,
        language=row.language,
        source=row.origin,
        story_id=row.story_id,
        fetched_at=_aware(row.fetched_at),
        sentences=[
            Sentence(r.idx, r.text, r.start_char, r.end_char, r.is_heading) for r in row.sentences
        ],
    )


def _explainer(row: ExplainerRow) -> StoredExplainer:
    return StoredExplainer(
        row.id,
        row.story_id,
        row.version,
        row.engine,
        row.sources_key,
        dict(row.document),
        _aware(row.created_at) or datetime.now(UTC),
    )


def _outlet(site_name: str | None, url: str | None) -> str | None:
    from urllib.parse import urlsplit

    return site_name or (urlsplit(url).hostname if url else None)
