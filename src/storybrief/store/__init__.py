"""Storage: one layer over SQLite (default) and PostgreSQL (by URL)."""

from .database import create_db_engine, migrate
from .store import (
    ArticleSummary,
    Store,
    StoredExplainer,
    StoredSentence,
    StorySummary,
    UpsertResult,
)

__all__ = [
    "ArticleSummary",
    "Store",
    "StoredExplainer",
    "StoredSentence",
    "StorySummary",
    "UpsertResult",
    "create_db_engine",
    "migrate",
]
