"""Full-text search over stories (their titles and explainer sentences) and articles (title
and body): SQLite FTS5 indexes (migration 0002) or PostgreSQL's built-in full text search over
GIN expression indexes (migration 0003).

Queries are words, not syntax: every word must match, stemmed and with accents ignored, so
``"bridges reopened"`` finds "Harbor Bridge Reopens". Operators and quotes typed by a reader
are just more words.

Results can be narrowed (:class:`SearchFilters`) to one topic (a story's topic; an article's
story's), one outlet (an article's site name, or its URL's host when it has none; a story that
holds an article of it) and a span of days (an article's publication time, else when it was
fetched; a story reported within the span). With filters and no words, the newest of what
the filters keep are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)

from . import articles, stories
from .articles import ArticleSummary
from .database import Database, utc
from .models import SEARCH_VECTORS, ArticleRow, ExplainerRow, ExplainerSentenceRow, Story
from .stories import StorySummary

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def _vector(index: str) -> ColumnElement[object]:
    """The tsvector expression of a PostgreSQL search index, as a query names its columns."""
    table_name, expression = SEARCH_VECTORS[index]
    qualified = re.sub(r"coalesce\((\w+),", rf"coalesce({table_name}.\1,", expression)
    return literal_column(qualified)


@dataclass
class SearchResults:
    stories: list[StorySummary] = field(default_factory=list)
    articles: list[ArticleSummary] = field(default_factory=list)


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to (see the module's docstring); None: anything."""

    topic_slug: str | None = None
    outlet: str | None = None
    since: datetime | None = None  # reported at or after
    until: datetime | None = None  # reported before

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.topic_slug, self.outlet, self.since, self.until))


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def search(
    db: Database, query: str, *, limit: int = 20, filters: SearchFilters | None = None
) -> SearchResults:
    """Stories (by title and explainer text) and articles matching every word of ``query``,
    best first, within ``filters``; with filters and no words, the newest within them."""
    terms = words(query)
    filters = filters or SearchFilters()
    if not terms and not filters:
        return SearchResults()
    if not terms:
        story_ids, article_ids = _newest(db, filters, limit)
    elif db.dialect == "sqlite":
        story_ids, article_ids = _sqlite(db, terms, limit, filters)
    else:
        story_ids, article_ids = _postgres(db, terms, limit, filters)
    found = {s.id: s for s in stories.summaries(db, ids=story_ids, limit=len(story_ids) or 1)}
    return SearchResults(
        [found[i] for i in story_ids if i in found],
        articles.summaries_by_id(db, article_ids),
    )


def outlets(db: Database, *, limit: int = 200) -> list[tuple[str, int]]:
    """The outlets (site names) articles come from, with how many each, the most first."""
    with db.session() as s:
        rows = s.execute(
            select(ArticleRow.site_name, func.count(ArticleRow.id))
            .where(ArticleRow.site_name.is_not(None), ArticleRow.site_name != "")
            .group_by(ArticleRow.site_name)
            .order_by(func.count(ArticleRow.id).desc(), ArticleRow.site_name)
            .limit(limit)
        ).all()
    return [(name, n) for name, n in rows if name]


# -- filters -------------------------------------------------------------------------------------


def _of_outlet(outlet: str) -> ColumnElement[bool]:
    """An article of this outlet: its site name, or (without one) its URL's host."""
    host = outlet.lower().replace("\\", "").replace("%", "").replace("_", "")
    by_host = [ArticleRow.url.like(f"{scheme}://{host}/%") for scheme in ("http", "https")]
    return or_(
        ArticleRow.site_name == outlet,
        and_(or_(ArticleRow.site_name.is_(None), ArticleRow.site_name == ""), or_(*by_host)),
    )


def _article_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.outlet is not None:
        found.append(_of_outlet(filters.outlet))
    if filters.topic_slug is not None:
        found.append(
            ArticleRow.story_id.in_(select(Story.id).where(Story.topic_slug == filters.topic_slug))
        )
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    if filters.since is not None:
        found.append(when >= utc(filters.since))
    if filters.until is not None:
        found.append(when < utc(filters.until))
    return found


def _story_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.topic_slug is not None:
        found.append(Story.topic_slug == filters.topic_slug)
    if filters.outlet is not None:
        found.append(
            exists(
                select(ArticleRow.id).where(
                    ArticleRow.story_id == Story.id, _of_outlet(filters.outlet)
                )
            )
        )
    if filters.since is not None:  # its latest report on or after the start
        found.append(func.coalesce(Story.last_seen, Story.created_at) >= utc(filters.since))
    if filters.until is not None:  # its first report before the end
        found.append(func.coalesce(Story.first_seen, Story.created_at) < utc(filters.until))
    return found


def _allowed_stories(filters: SearchFilters) -> Select[int] | None:
    conditions = _story_conditions(filters)
    return select(Story.id).where(*conditions) if conditions else None


def _allowed_articles(filters: SearchFilters) -> Select[int] | None:
    conditions = _article_conditions(filters)
    return select(ArticleRow.id).where(*conditions) if conditions else None


def _newest(db: Database, filters: SearchFilters, limit: int) -> tuple[list[int], list[int]]:
    """No words, only filters: the newest stories and articles they keep."""
    with db.session() as s:
        story_ids = list(
            s.scalars(
                select(Story.id)
                .where(*_story_conditions(filters))
                .order_by(func.coalesce(Story.last_seen, Story.created_at).desc(), Story.id.desc())
                .limit(limit)
            )
        )
        when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
        article_ids = list(
            s.scalars(
                select(ArticleRow.id)
                .where(*_article_conditions(filters))
                .order_by(when.desc(), ArticleRow.id.desc())
                .limit(limit)
            )
        )
    return story_ids, article_ids


def _merge(*ranked: list[int], limit: int) -> list[int]:
    """Ids in order of first appearance across the ranked lists, without repeats."""
    out: list[int] = []
    for ids in ranked:
        for i in ids:
            if i is not None and i not in out:
                out.append(i)
    return out[:limit]


def _sqlite(
    db: Database, terms: list[str], limit: int, filters: SearchFilters
) -> tuple[list[int], list[int]]:
    match = " ".join(f'"{t}"' for t in terms)
    allowed_stories = _allowed_stories(filters)
    allowed_articles = _allowed_articles(filters)
    with db.session() as s:

        def ranked(index: str, n: int, allowed: Select[int] | None) -> list[int]:
            fts = table(index, column("rowid"))
            query = select(fts.c.rowid).where(text(f"{index} MATCH :q").bindparams(q=match))
            if allowed is not None:
                query = query.where(fts.c.rowid.in_(allowed))
            return list(s.scalars(query.order_by(text("rank")).limit(n)))

        article_ids = ranked("article_search", limit, allowed_articles)
        titled = ranked("story_search", limit, allowed_stories)
        sentences = None
        if allowed_stories is not None:
            sentences = (
                select(ExplainerSentenceRow.id)
                .join(ExplainerRow, ExplainerRow.id == ExplainerSentenceRow.explainer_id)
                .where(ExplainerRow.story_id.in_(allowed_stories))
            )
        sentence_ids = ranked("explainer_search", limit * 10, sentences)
        explained = _stories_of_sentences(s, sentence_ids)
        via_articles = _allowed(s, _stories_of_articles(s, article_ids), allowed_stories)
    return _merge(titled, explained, via_articles, limit=limit), article_ids


def _postgres(
    db: Database, terms: list[str], limit: int, filters: SearchFilters
) -> tuple[list[int], list[int]]:
    tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), literal(" ".join(terms)))
    story_filter = _story_conditions(filters)
    allowed_stories = _allowed_stories(filters)

    with db.session() as s:
        doc = _vector("ix_articles_search")
        article_ids = list(
            s.scalars(
                select(ArticleRow.id)
                .where(doc.op("@@")(tsquery), *_article_conditions(filters))
                .order_by(func.ts_rank(doc, tsquery).desc(), ArticleRow.id.desc())
                .limit(limit)
            )
        )
        title = _vector("ix_stories_search")
        titled = list(
            s.scalars(
                select(Story.id)
                .where(title.op("@@")(tsquery), *story_filter)
                .order_by(func.ts_rank(title, tsquery).desc(), Story.id.desc())
                .limit(limit)
            )
        )
        sentence = _vector("ix_explainer_sentences_search")
        query = select(ExplainerSentenceRow.id).where(sentence.op("@@")(tsquery))
        if allowed_stories is not None:
            query = query.join(
                ExplainerRow, ExplainerRow.id == ExplainerSentenceRow.explainer_id
            ).where(ExplainerRow.story_id.in_(allowed_stories))
        sentence_ids = list(
            s.scalars(query.order_by(func.ts_rank(sentence, tsquery).desc()).limit(limit * 10))
        )
        explained = _stories_of_sentences(s, sentence_ids)
        via_articles = _allowed(s, _stories_of_articles(s, article_ids), allowed_stories)
    return _merge(titled, explained, via_articles, limit=limit), article_ids


def _allowed(s, story_ids: list[int], allowed: Select[int] | None) -> list[int]:  # type: ignore[no-untyped-def]
    """The stories of ``story_ids`` the filters keep, in the order given."""
    if allowed is None or not story_ids:
        return story_ids
    kept = set(s.scalars(select(Story.id).where(Story.id.in_(story_ids), Story.id.in_(allowed))))
    return [i for i in story_ids if i in kept]


def _stories_of_sentences(s, sentence_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    if not sentence_ids:
        return []
    rows = s.execute(
        select(ExplainerSentenceRow.id, ExplainerRow.story_id)
        .join(ExplainerRow, ExplainerRow.id == ExplainerSentenceRow.explainer_id)
        .where(ExplainerSentenceRow.id.in_(sentence_ids))
    ).all()
    story_of = dict(rows)
    return [story_of[i] for i in sentence_ids if i in story_of]


def _stories_of_articles(s, article_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    if not article_ids:
        return []
    rows = s.execute(
        select(ArticleRow.id, ArticleRow.story_id).where(ArticleRow.id.in_(article_ids))
    ).all()
    story_of = dict(rows)
    return [story_of[i] for i in article_ids if story_of.get(i) is not None]


class Search(Database):
    """The full-text search of one database, as the store exposes them: this module's functions
    with the database filled in (``store.search.find("bridge")`` is ``search(db,
    "bridge")``)."""

    find = search
    outlets = outlets
