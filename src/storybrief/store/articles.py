"""Articles: stored once (deduplicated by canonical URL and by body), with their sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import NotFoundError, StorageError
from ..records import Article
from ..text import Sentence
from ..topics import from_url
from .database import Database, aware, possible_id
from .models import ArticleRow, ArticleUrl, SentenceRow

UpsertStatus = Literal["new", "updated", "duplicate"]


@dataclass(frozen=True)
class UpsertResult:
    status: UpsertStatus
    article: Article


class ArticleRef(NamedTuple):
    """Which stored article came from a URL, and when it was fetched."""

    id: int
    fetched_at: datetime


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    title: str | None
    site_name: str | None
    published_at: datetime | None
    url: str | None
    words: int
    story_id: int | None
    stored_at: datetime | None = None  # when it was first stored: when it reached us
    topic: str | None = None


def upsert(db: Database, article: Article, *, source_id: int | None = None) -> UpsertResult:
    """Store an article once: the same canonical URL or the same normalised body is a
    duplicate; the same canonical URL with a changed body is an update."""
    try:
        return _upsert(db, article, source_id)
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
        # A concurrent writer stored the same article between our lookup and insert.
        return _upsert(db, article, source_id)


def _upsert(db: Database, article: Article, source_id: int | None) -> UpsertResult:
    with db.session() as s:
        row = None
        if article.canonical_url:
            row = s.scalar(
                select(ArticleRow).where(ArticleRow.canonical_url == article.canonical_url)
            )
        owner = row  # the row that has this canonical URL, if any: no other may take it
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
                return UpsertResult("updated", to_record(row))
            row = s.get(ArticleRow, clash)
        if row is None:
            row = s.scalar(
                select(ArticleRow).where(ArticleRow.content_hash == article.content_hash)
            )
        if row is not None:
            # a copy may know what the first lacked, but not a canonical URL another row has
            taken = ("canonical_url",) if owner is not None and owner is not row else ()
            _fill(row, article, replace=False, keep=taken)
            s.flush()
            return UpsertResult("duplicate", to_record(row))
        row = ArticleRow(content_hash=article.content_hash, text=article.text)
        _fill(row, article, replace=True)
        row.source_id = source_id
        row.sentences = _sentence_rows(article.sentences)
        s.add(row)
        s.flush()
        return UpsertResult("new", to_record(row))


def get(db: Database, article_id: int) -> Article:
    with db.session() as s:
        row = (
            s.get(ArticleRow, article_id, options=[selectinload(ArticleRow.sentences)])
            if possible_id(article_id)
            else None
        )
        if row is None:
            raise NotFoundError(f"no article with id {article_id} (see `storybrief articles`)")
        return to_record(row)


def get_many(db: Database, ids: list[int]) -> list[Article]:
    """These articles, in the order given; any unknown id is an error."""
    with db.session() as s:
        rows = s.scalars(
            select(ArticleRow)
            .where(ArticleRow.id.in_([i for i in ids if possible_id(i)]))
            .options(selectinload(ArticleRow.sentences))
        ).all()
        found = {row.id: to_record(row) for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"no article with id {', '.join(map(str, missing))}")
    return [found[i] for i in ids]


def find_by_url(db: Database, url: str) -> ArticleRef | None:
    """The article stored from this URL (as fetched or canonical, or one it was also read
    from: :func:`remember_url`), with when it was fetched from there."""
    with db.session() as s:
        row = s.execute(
            select(ArticleRow.id, ArticleRow.fetched_at)
            .where((ArticleRow.url == url) | (ArticleRow.canonical_url == url))
            .limit(1)
        ).first()
        if row is None:
            row = s.execute(
                select(ArticleUrl.article_id, ArticleUrl.fetched_at).where(ArticleUrl.url == url)
            ).first()
    if row is None:
        return None
    return ArticleRef(row[0], aware(row[1]) or datetime.now(UTC))


def remember_url(db: Database, url: str, article_id: int, fetched_at: datetime) -> None:
    """Remember that ``url`` gave the stored article ``article_id`` (a syndicated copy's page,
    stored once as the article it copies; a link that redirected), so that
    :func:`find_by_url` finds it; a URL the article's row holds already is not kept twice."""
    if len(url) > 2048:  # the column's size; such a URL is fetched again, as before
        return
    try:
        with db.session() as s:
            row = s.get(ArticleRow, article_id)
            if row is None or url in (row.url, row.canonical_url):
                return
            known = s.get(ArticleUrl, url)
            if known is None:
                s.add(ArticleUrl(url=url, article_id=article_id, fetched_at=fetched_at))
            else:  # the page now gives another article, or was read again
                known.article_id, known.fetched_at = article_id, fetched_at
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
        # another process remembered it between our lookup and insert: it is remembered


def _summary_query() -> Select:
    """What an article summary is read from (see :func:`_summary`)."""
    return select(
        ArticleRow.id,
        ArticleRow.title,
        ArticleRow.site_name,
        ArticleRow.published_at,
        func.coalesce(ArticleRow.canonical_url, ArticleRow.url),
        ArticleRow.text,
        ArticleRow.story_id,
        ArticleRow.created_at,
        ArticleRow.topic,
    )


def _summary(r: Any) -> ArticleSummary:
    return ArticleSummary(
        r[0], r[1], r[2], aware(r[3]), r[4], len(r[5].split()), r[6], aware(r[7]), r[8]
    )


def summaries(db: Database, *, limit: int = 50, offset: int = 0) -> list[ArticleSummary]:
    """Summaries, newest stored first."""
    with db.session() as s:
        rows = s.execute(
            _summary_query().order_by(ArticleRow.id.desc()).limit(limit).offset(offset)
        ).all()
    return [_summary(r) for r in rows]


def summaries_by_id(db: Database, ids: list[int]) -> list[ArticleSummary]:
    """Summaries of these articles, in the order given (unknown ids left out)."""
    if not ids:
        return []
    with db.session() as s:
        known = [i for i in ids if possible_id(i)]
        rows = s.execute(_summary_query().where(ArticleRow.id.in_(known))).all()
    found = {r[0]: _summary(r) for r in rows}
    return [found[i] for i in ids if i in found]


def stories_of(db: Database, ids: list[int]) -> list[int]:
    """The stories these articles are in, in the order of the articles, each once (articles
    in no story, and unknown ids, left out)."""
    known = [i for i in ids if possible_id(i)]
    if not known:
        return []
    with db.session() as s:
        rows = s.execute(
            select(ArticleRow.id, ArticleRow.story_id).where(ArticleRow.id.in_(known))
        ).all()
    story = {article_id: story_id for article_id, story_id in rows if story_id is not None}
    return list(dict.fromkeys(story[i] for i in known if i in story))


def count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(ArticleRow.id))) or 0


def stored_since(db: Database, since: datetime) -> int:
    """Articles stored at or after ``since``."""
    with db.session() as s:
        return (
            s.scalar(select(func.count(ArticleRow.id)).where(ArticleRow.created_at >= since)) or 0
        )


def in_order(db: Database, ids: list[int] | None = None) -> list[Article]:
    """Articles (all, or these) oldest first by published time, else fetched time."""
    with db.session() as s:
        query = select(ArticleRow).options(selectinload(ArticleRow.sentences))
        if ids is not None:
            query = query.where(ArticleRow.id.in_(ids))
        records = [to_record(r) for r in s.scalars(query).all()]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(records, key=lambda a: (a.published_at or a.fetched_at or epoch, a.id or 0))


def unassigned_ids(db: Database, *, limit: int = 1000) -> list[int]:
    """Articles that belong to no story, oldest stored first: those an interrupted ingest
    stored but did not get to cluster (they would otherwise stay story-less, since a re-run
    sees them as duplicates), or whose story was removed. Near-duplicates join their
    original's story, so one that is attached is not among them."""
    with db.session() as s:
        return list(
            s.scalars(
                select(ArticleRow.id)
                .where(ArticleRow.story_id.is_(None))
                .order_by(ArticleRow.id)
                .limit(limit)
            )
        )


def mark_duplicate(db: Database, article_id: int, original_id: int | None) -> None:
    """Record that an article is a near-duplicate of another (None: it is not)."""
    with db.session() as s:
        row = s.get(ArticleRow, article_id)
        if row is None:
            raise NotFoundError(f"no article with id {article_id}")
        row.duplicate_of = original_id


def _fill(row: ArticleRow, article: Article, *, replace: bool, keep: tuple[str, ...] = ()) -> None:
    """Copy metadata onto a row: all of it (``replace``) or only what the row lacks, never the
    fields named in ``keep``."""
    if replace:
        row.text = article.text
        row.content_hash = article.content_hash
    for field in ("url", "canonical_url", "title", "published_at", "site_name", "language"):
        if field in keep:
            continue
        value = getattr(article, field)
        if value is not None and (replace or getattr(row, field) is None):
            setattr(row, field, value)
    if article.authors and (replace or not row.authors):
        row.authors = list(article.authors)
    if replace or row.origin is None:
        row.origin = article.source
    topic = article.topic or from_url(article.canonical_url or article.url)
    if topic is not None and (replace or row.topic is None):
        row.topic = topic
    row.fetched_at = article.fetched_at or datetime.now(UTC)


def _sentence_rows(sentences: list[Sentence]) -> list[SentenceRow]:
    return [
        SentenceRow(
            idx=s.index, start_char=s.start, end_char=s.end, text=s.text, is_heading=s.is_heading
        )
        for s in sentences
    ]


def to_record(row: ArticleRow) -> Article:
    article = Article(
        id=row.id,
        text=row.text,
        title=row.title,
        authors=list(row.authors or []),
        published_at=aware(row.published_at),
        site_name=row.site_name,
        url=row.url,
        canonical_url=row.canonical_url,
        language=row.language,
        source=row.origin,
        story_id=row.story_id,
        fetched_at=aware(row.fetched_at),
        topic=row.topic,
    )
    if row.sentences:  # the sentences stored with it, not split again
        article.sentences = [
            Sentence(r.idx, r.text, r.start_char, r.end_char, r.is_heading) for r in row.sentences
        ]
    return article


class Articles(Database):
    """The articles of one database, as the store exposes them: this module's functions with the
    database filled in (``store.articles.get(7)`` is ``get(db, 7)``)."""

    upsert = upsert
    get = get
    get_many = get_many
    find_by_url = find_by_url
    remember_url = remember_url
    summaries = summaries
    summaries_by_id = summaries_by_id
    stories_of = stories_of
    count = count
    stored_since = stored_since
    in_order = in_order
    unassigned_ids = unassigned_ids
    mark_duplicate = mark_duplicate
