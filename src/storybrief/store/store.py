"""The storage layer the rest of storybrief talks to: one :class:`Store`, which opens and
closes the database, runs transactions, holds locks and says when content changed, and
exposes each concern module as an attribute — ``store.articles``, ``store.stories``,
``store.explainers``, ``store.feedback``, ``store.feeds``, ``store.failures``,
``store.search``, ``store.coverage``, ``store.rate_limits``, ``store.watchers``,
``store.operator_sessions`` — whose methods are that module's functions with the database
filled in (``store.feeds.due(now)``). Each write is one transaction, so a failed write never
leaves half an article (or half a story) behind.

Layers, each importing only those before it: models <- database <- the concern modules
(search reads articles and stories, coverage articles, stories and explainers) <- this
module."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..settings import Settings
from . import locks
from .articles import Articles
from .coverage import StoryCoverage
from .database import Database, create_db_engine, migrate
from .explainers import Explainers
from .failures import Failures
from .feedback import Feedback
from .ratelimits import RateLimits
from .search import Search
from .sessions import OperatorSessions
from .stories import Stories
from .subscriptions import Subscriptions
from .version import DataVersion
from .watchers import Watchers


class Store:
    """Open with :meth:`open` (runs migrations); use as a context manager or call :meth:`close`.
    What is stored is reached through the concern attributes (``store.stories.get(7)``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = Database(engine)
        self.articles = Articles(engine)
        self.stories = Stories(engine)
        self.explainers = Explainers(engine)
        self.feedback = Feedback(engine)
        self.feeds = Subscriptions(engine)
        self.failures = Failures(engine)
        self.search = Search(engine)
        self.coverage = StoryCoverage(engine)
        self.rate_limits = RateLimits(engine)
        self.watchers = Watchers(engine)
        self.operator_sessions = OperatorSessions(engine)
        self._data_version: DataVersion | None = None
        self._data_version_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | str) -> Store:
        url = settings if isinstance(settings, str) else settings.resolved_database_url
        engine = create_db_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        if self._data_version is not None:
            self._data_version.close()
        self.engine.dispose()

    def data_version(self) -> str | None:
        """A value that changes whenever any process commits a change to this database
        (``None``: unknown for this database, so nothing derived from it may be reused).
        Cheap: what the web app's caches check on every request (see store/version.py)."""
        if self._data_version is None:
            with self._data_version_lock:
                if self._data_version is None:
                    self._data_version = DataVersion(self.engine)
        return self._data_version()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold the lock ``name`` that every process using this database sees (forming
        stories: ``"stories"``) for the duration; waits while another holds it."""
        with locks.exclusive(self.db, name):
            yield

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back (nothing written) on any error."""
        with self.db.session() as s:
            yield s
