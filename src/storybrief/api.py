"""The Python API: what the CLI does, callable from Python.

>>> import storybrief
>>> report = storybrief.ingest(["article.txt", "https://example.org/feed.xml"])
>>> [a.title for a in storybrief.articles()]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .ingest import IngestReport, ItemResult
from .ingest import ingest as _ingest
from .records import Article
from .settings import Settings, load_settings
from .store import ArticleSummary, Store


def open_store(settings: Settings | None = None) -> Store:
    """Open (and migrate) the database the settings name."""
    return Store.open(settings or load_settings())


def ingest(
    sources: Iterable[str | Path] | str | Path,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> IngestReport:
    """Ingest files, URLs, feeds (RSS, Atom, JSON Feed) and OPML lists; returns what became
    of each article: new, updated, duplicate, unchanged or failed (with the reason)."""
    if isinstance(sources, str | Path):
        sources = [sources]
    return _ingest(sources, settings=settings, store=store, on_item=on_item)


def articles(
    *, limit: int = 50, offset: int = 0, settings: Settings | None = None
) -> list[ArticleSummary]:
    """Stored articles, newest first."""
    with open_store(settings) as store:
        return store.list_articles(limit=limit, offset=offset)


def article(article_id: int, *, settings: Settings | None = None) -> Article:
    """One stored article with its numbered sentences."""
    with open_store(settings) as store:
        return store.get_article(article_id)
