"""SQLAlchemy 2.x models: one schema for SQLite and PostgreSQL.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them);
change the schema by adding a migration, never by editing a landed one. The full-text search
indexes are made by migrations alone; their names are listed at the end of this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A feed, page or file that articles came from; feeds keep their cache validators.

    A feed (``kind == "feed"``) is also a subscription: whether it is polled, how often, and
    how its polls went (migration 0004)."""

    __tablename__ = "sources"
    __table_args__ = (Index("ix_sources_due", "kind", "enabled", "next_poll_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # feed | opml | page | file
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    poll_every_seconds: Mapped[int | None] = mapped_column(Integer)  # None: the default
    fetch_pages: Mapped[bool | None] = mapped_column(Boolean)  # None: the default
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # the items the feed held when last read (not a sum over polls)
    items_seen: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Story(Base):
    """A cluster of articles reporting the same event.

    ``topic`` (the label most of its articles carry), its ``topic_slug``, and its
    ``article_count`` and ``outlet_count`` are kept current as articles join and leave
    (migration 0006): what the front page orders by and the topic pages select on.
    ``unexplainable_at``: its ``updated_at`` when an engine found nothing publishable in its
    articles (migration 0008); not due for an explainer until it changes again.
    ``retired_at``: when it split into other stories or merged into one (migration 0009); a
    retired story has no articles, keeps its explainer versions and is listed nowhere; its
    successors are in ``story_successors``."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_topic_slug", "topic_slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(Text)
    topic_slug: Mapped[str | None] = mapped_column(String(80))
    article_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    outlet_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    first_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unexplainable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    articles: Mapped[list[ArticleRow]] = relationship(back_populates="story")


class StorySuccessor(Base):
    """A retired story and one story that took its articles: ``kind`` is ``split`` (it held
    two events, each now a story of its own) or ``merge`` (it and the successor were one
    event); ``articles``: how many of its articles the successor took (migration 0009)."""

    __tablename__ = "story_successors"
    __table_args__ = (Index("ix_story_successors_successor", "successor_id"),)
    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    successor_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    articles: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    site_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(Text)  # the SOURCE argument it came from
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    topic: Mapped[str | None] = mapped_column(Text)  # migration 0006
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    sentences: Mapped[list[SentenceRow]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        order_by="SentenceRow.idx",
        passive_deletes=True,
    )
    story: Mapped[Story | None] = relationship(back_populates="articles")


class SentenceRow(Base):
    """Sentence ``idx`` of an article, with its character span in the article text."""

    __tablename__ = "article_sentences"
    __table_args__ = (UniqueConstraint("article_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    is_heading: Mapped[bool] = mapped_column(Boolean, default=False)
    article: Mapped[ArticleRow] = relationship(back_populates="sentences")


class ExplainerRow(Base):
    """One version of a story's explainer; ``document`` is the full explainer JSON."""

    __tablename__ = "explainers"
    __table_args__ = (UniqueConstraint("story_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(64))
    engine_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headline: Mapped[str | None] = mapped_column(Text)
    sources_key: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sentences: Mapped[list[ExplainerSentenceRow]] = relationship(
        cascade="all, delete-orphan",
        order_by="(ExplainerSentenceRow.section_idx, ExplainerSentenceRow.position)",
        passive_deletes=True,
    )


class ExplainerSentenceRow(Base):
    __tablename__ = "explainer_sentences"
    id: Mapped[int] = mapped_column(primary_key=True)
    explainer_id: Mapped[int] = mapped_column(ForeignKey("explainers.id", ondelete="CASCADE"))
    section_idx: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    citations: Mapped[list[CitationRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class EngineCallRow(Base):
    """One request an LLM engine sent its model while writing an explainer version, and the
    answer (migration 0013): the messages as sent, the text as received, tokens, seconds. What
    `storybrief logs` shows; readers never see it."""

    __tablename__ = "engine_calls"
    __table_args__ = (Index("ix_engine_calls_explainer", "explainer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    explainer_id: Mapped[int] = mapped_column(ForeignKey("explainers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the request's place in the run, from 0
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[list[Any]] = mapped_column()
    response: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CitationRow(Base):
    __tablename__ = "citations"
    id: Mapped[int] = mapped_column(primary_key=True)
    explainer_sentence_id: Mapped[int] = mapped_column(
        ForeignKey("explainer_sentences.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    sentence_idx: Mapped[int] = mapped_column(Integer)
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)


class FeedbackRow(Base):
    """A reader's answer to "Do you find this article useful?" — one per reader and version."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("explainer_id", "reader_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    explainer_id: Mapped[int] = mapped_column(ForeignKey("explainers.id", ondelete="CASCADE"))
    reader_id: Mapped[str] = mapped_column(String(64))
    useful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class FailureRow(Base):
    """A source or item that could not be ingested, with the one-line reason."""

    __tablename__ = "ingest_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RateLimitEvent(Base):
    """One event a rate limit counts (migration 0005): the web app's limits are kept here so
    that every server process sees the same counts. ``at`` and ``expires`` are Unix times."""

    __tablename__ = "rate_limit_events"
    __table_args__ = (
        Index("ix_rate_limit_events_key_at", "key", "at"),
        Index("ix_rate_limit_events_expires", "expires"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(256))
    at: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)


class WatcherRow(Base):
    """A watcher following the feeds (migration 0010): ``storybrief watch`` or ``serve
    --watch`` on one host, with its ``state`` (running, restarting, stopped), heartbeat,
    failed rounds in a row, restarts and last error, kept current by the watcher itself."""

    __tablename__ = "watchers"
    __table_args__ = (UniqueConstraint("name", "host"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    restarts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OperatorSession(Base):
    """A signed-in operator's session (migration 0011): honoured only while this row is here;
    ``expires`` is a Unix time."""

    __tablename__ = "operator_sessions"
    __table_args__ = (Index("ix_operator_sessions_expires", "expires"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires: Mapped[float] = mapped_column(Float)


class ArticleUrl(Base):
    """A URL an article was read from that the article's own row does not hold (migration
    0012): a syndicated copy's page (the same text as a stored article, from another outlet),
    a feed link that redirected. A feed item whose link is here is not fetched again."""

    __tablename__ = "article_urls"
    __table_args__ = (Index("ix_article_urls_article", "article_id"),)
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContentVersion(Base):
    """One row whose ``version`` moves whenever a transaction changes what readers see
    (migration 0007's triggers on the tables in :data:`CONTENT_TABLES`): what the web app's
    caches check (store/version.py)."""

    __tablename__ = "content_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


#: The tables whose writes move the content version (migrations 0007 and 0009 put triggers on
#: them).
CONTENT_TABLES = frozenset(
    {"stories", "articles", "article_sentences", "explainers", "explainer_sentences",
     "citations", "feedback", "story_successors"}
)  # fmt: skip
#: The tables whose writes no reader sees, so cached pages stay valid across them: feed
#: subscriptions and their polls (the operator page shows them, and is never cached), rate
#: limit events, ingest failures, the watchers, the URLs articles were also read from, what
#: the LLM engines were asked and answered, and the content version itself.
BOOKKEEPING_TABLES = frozenset(
    {
        "sources",
        "rate_limit_events",
        "ingest_failures",
        "watchers",
        "operator_sessions",
        "article_urls",
        "engine_calls",
        "content_version",
    }
)


# -- search indexes (made by migrations 0002 and 0003, not by the models above) -------------


def _tsvector(*columns: str) -> str:
    """An immutable tsvector expression (explicit configuration, ``||`` rather than
    ``concat_ws``), so that PostgreSQL can index it."""
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"to_tsvector('english'::regconfig, {joined})"


#: PostgreSQL: index name -> (table, the tsvector expression a search matches against).
#: ``search`` queries with these same expressions, which is what lets them use the indexes.
SEARCH_VECTORS: dict[str, tuple[str, str]] = {
    "ix_articles_search": ("articles", _tsvector("title", "text")),
    "ix_stories_search": ("stories", _tsvector("title")),
    "ix_explainer_sentences_search": ("explainer_sentences", _tsvector("text")),
}

#: SQLite: the FTS5 tables (and their shadow tables, which share the name as a prefix).
SEARCH_TABLES = ("article_search", "explainer_search", "story_search")
