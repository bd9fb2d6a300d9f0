"""Storage: one layer over SQLite (default) and PostgreSQL (by URL), behind :class:`Store`."""

from .articles import ArticleRef, ArticleSummary, UpsertResult
from .coverage import Coverage, CoverageEvent, OutletCoverage
from .database import create_db_engine, migrate
from .explainers import CitedSpan, EngineCall, StoredExplainer, StoredSentence, StoryActivity
from .failures import Failure
from .feedback import DailyAnswers, FeedbackStats, ReaderAnswer
from .search import SearchFilters, SearchResults
from .store import Store
from .stories import StoryRecord, StorySummary, Successor
from .subscriptions import FeedRecord
from .watchers import WatcherRecord

__all__ = [
    "ArticleRef",
    "ArticleSummary",
    "CitedSpan",
    "Coverage",
    "CoverageEvent",
    "DailyAnswers",
    "EngineCall",
    "Failure",
    "FeedRecord",
    "FeedbackStats",
    "OutletCoverage",
    "ReaderAnswer",
    "SearchFilters",
    "SearchResults",
    "Store",
    "StoredExplainer",
    "StoredSentence",
    "StoryActivity",
    "StoryRecord",
    "StorySummary",
    "Successor",
    "UpsertResult",
    "WatcherRecord",
    "create_db_engine",
    "migrate",
]
