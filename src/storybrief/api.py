"""Module-level shortcuts over :class:`storybrief.Library`, for one-off calls from Python.

Each builds a library from ``settings`` (default: every settings layer) and ``store`` (default:
the settings' database), calls the method of the same name and closes what it opened. Code that
makes several calls should hold one :class:`~storybrief.library.Library` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .ingest import IngestReport, ItemResult
from .library import Library, checker_options
from .records import Article
from .results import ExplainResult
from .settings import Settings
from .store import ArticleSummary, Store
from .verify import Verdict

__all__ = [
    "ExplainResult",
    "Library",
    "article",
    "articles",
    "check",
    "checker_options",
    "explain",
    "ingest",
    "open_store",
    "stored_verdicts",
]


def open_store(settings: Settings | None = None) -> Store:
    """Open (and migrate) the database the settings name."""
    return Library(settings).store


def ingest(
    sources: Iterable[str | Path] | str | Path,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    on_expand: Callable[[int], None] | None = None,
    cluster: bool = True,
) -> IngestReport:
    """:meth:`Library.ingest`."""
    with Library(settings, store) as lib:
        return lib.ingest(sources, on_item=on_item, on_expand=on_expand, cluster=cluster)


def articles(
    *, limit: int = 50, offset: int = 0, settings: Settings | None = None
) -> list[ArticleSummary]:
    """:meth:`Library.articles`."""
    with Library(settings) as lib:
        return lib.articles(limit=limit, offset=offset)


def article(article_id: int, *, settings: Settings | None = None) -> Article:
    """:meth:`Library.article`."""
    with Library(settings) as lib:
        return lib.article(article_id)


def explain(
    sources: Iterable[str | Path] | str | Path = (),
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    **kwargs: Any,
) -> ExplainResult:
    """:meth:`Library.explain`."""
    with Library(settings, store) as lib:
        return lib.explain(sources, **kwargs)


def check(
    text: str, against: Iterable[str | Path], *, settings: Settings | None = None
) -> list[tuple[str, Verdict]]:
    """:meth:`Library.check`."""
    with Library(settings) as lib:
        return lib.check(text, against)


def stored_verdicts(
    story_id: int, *, settings: Settings | None = None
) -> list[tuple[str, str, list[str]]]:
    """:meth:`Library.stored_verdicts`."""
    with Library(settings) as lib:
        return lib.stored_verdicts(story_id)
