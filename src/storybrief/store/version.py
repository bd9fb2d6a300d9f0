"""The content version: a value that changes whenever any connection, in any process, commits
a change to what readers see (a story, an article, an explainer, feedback: migration 0007's
triggers move a counter), and not when it commits bookkeeping (a feed poll, a rate-limit
event, an ingest failure, a job queue's rows). Caches of what is derived from the database
(the web app's rendered pages) check it on every request, which is what keeps several server
processes from serving something stale after another process (a worker, the watcher, another
server process) wrote, while a watcher polling feeds leaves their pages cached.

- SQLite: read on a connection of its own that never writes. ``PRAGMA data_version``, which
  SQLite changes when another connection commits anything and reads from the shared WAL
  index (a few microseconds, no disk read), says when the counter must be read again.
- PostgreSQL: the counter, one query.
- Anything else (an in-memory SQLite database, another dialect), or a database without the
  counter: ``None``, which means "unknown": nothing derived may be reused.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

_COUNTER = "SELECT version FROM content_version WHERE id = 1"


class DataVersion:
    """Call it for the current content version (``None``: unknown, do not reuse anything)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._seen: tuple[int, str | None] | None = None  # SQLite: (data_version, content)
        self._postgres = engine.dialect.name == "postgresql"
        database = engine.url.database
        on_disk = database not in (None, "", ":memory:") and not str(database).startswith("file:")
        if engine.dialect.name == "sqlite" and database and on_disk:
            # autocommit: the connection never holds a read transaction open, so each check
            # sees the newest commit
            self._sqlite = sqlite3.connect(
                database, check_same_thread=False, isolation_level=None, timeout=5
            )

    def __call__(self) -> str | None:
        if self._sqlite is not None:
            try:
                with self._lock:
                    changed = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
                    if self._seen is None or self._seen[0] != changed:
                        # (a commit between the two reads shows as a new data_version next
                        # time, so the counter is read again: never an old counter kept)
                        row = self._sqlite.execute(_COUNTER).fetchone()
                        self._seen = (changed, None if row is None else f"c{row[0]}")
                    return self._seen[1]
            except sqlite3.Error:
                return None
        if self._postgres:
            try:
                with self._engine.connect() as conn:
                    version = conn.execute(text(_COUNTER)).scalar()
            except SQLAlchemyError:  # unknown: nothing is reused, and reading says what failed
                return None
            return None if version is None else f"c{version}"
        return None

    def close(self) -> None:
        if self._sqlite is not None:
            with self._lock:
                self._sqlite.close()
                self._sqlite = None
