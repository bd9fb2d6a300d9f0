"""Full-text search over stories (their titles and explainer sentences) and articles (title
and body): SQLite FTS5 indexes (migration 0002) or PostgreSQL's built-in full text search over
GIN expression indexes (migration 0003).

Queries are words, not syntax: every word must match, stemmed and with accents ignored, so
``"bridges reopened"`` finds "Harbor Bridge Reopens". Operators and quotes typed by a reader
are just more words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, literal, literal_column, select, text

from . import articles, stories
from .articles import ArticleSummary
from .database import Database
from .models import SEARCH_VECTORS, ArticleRow, ExplainerRow, ExplainerSentenceRow, Story
from .stories import StorySummary

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def _vector(index: str) -> ColumnElement[object]:
    """The tsvector expression of a PostgreSQL search index, as a query names its columns."""
    table, expression = SEARCH_VECTORS[index]
    qualified = re.sub(r"coalesce\((\w+),", rf"coalesce({table}.\1,", expression)
    return literal_column(qualified)


@dataclass
class SearchResults:
    stories: list[StorySummary] = field(default_factory=list)
    articles: list[ArticleSummary] = field(default_factory=list)


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def search(db: Database, query: str, *, limit: int = 20) -> SearchResults:
    """Stories (by title and explainer text) and articles matching every word of ``query``,
    best first."""
    terms = words(query)
    if not terms:
        return SearchResults()
    if db.dialect == "sqlite":
        story_ids, article_ids = _sqlite(db, terms, limit)
    else:
        story_ids, article_ids = _postgres(db, terms, limit)
    found = {s.id: s for s in stories.summaries(db, ids=story_ids, limit=len(story_ids) or 1)}
    return SearchResults(
        [found[i] for i in story_ids if i in found],
        articles.summaries_by_id(db, article_ids),
    )


def _merge(*ranked: list[int], limit: int) -> list[int]:
    """Ids in order of first appearance across the ranked lists, without repeats."""
    out: list[int] = []
    for ids in ranked:
        for i in ids:
            if i is not None and i not in out:
                out.append(i)
    return out[:limit]


def _sqlite(db: Database, terms: list[str], limit: int) -> tuple[list[int], list[int]]:
    match = " ".join(f'"{t}"' for t in terms)
    with db.session() as s:

        def ranked(index: str, n: int) -> list[int]:
            rows = s.execute(
                text(f"SELECT rowid FROM {index} WHERE {index} MATCH :q ORDER BY rank LIMIT :n"),
                {"q": match, "n": n},
            )
            return [r[0] for r in rows]

        article_ids = ranked("article_search", limit)
        titled = ranked("story_search", limit)
        sentence_ids = ranked("explainer_search", limit * 10)
        explained = _stories_of_sentences(s, sentence_ids)
        via_articles = _stories_of_articles(s, article_ids)
    return _merge(titled, explained, via_articles, limit=limit), article_ids


def _postgres(db: Database, terms: list[str], limit: int) -> tuple[list[int], list[int]]:
    tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), literal(" ".join(terms)))

    with db.session() as s:
        doc = _vector("ix_articles_search")
        article_ids = list(
            s.scalars(
                select(ArticleRow.id)
                .where(doc.op("@@")(tsquery))
                .order_by(func.ts_rank(doc, tsquery).desc(), ArticleRow.id.desc())
                .limit(limit)
            )
        )
        title = _vector("ix_stories_search")
        titled = list(
            s.scalars(
                select(Story.id)
                .where(title.op("@@")(tsquery))
                .order_by(func.ts_rank(title, tsquery).desc(), Story.id.desc())
                .limit(limit)
            )
        )
        sentence = _vector("ix_explainer_sentences_search")
        sentence_ids = list(
            s.scalars(
                select(ExplainerSentenceRow.id)
                .where(sentence.op("@@")(tsquery))
                .order_by(func.ts_rank(sentence, tsquery).desc())
                .limit(limit * 10)
            )
        )
        explained = _stories_of_sentences(s, sentence_ids)
        via_articles = _stories_of_articles(s, article_ids)
    return _merge(titled, explained, via_articles, limit=limit), article_ids


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
