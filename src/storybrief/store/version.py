"""The database's data version: a value that changes whenever any connection, in any
process, commits a change. Caches of what is derived from the database (the web app's
rendered pages) check it on every request, which is what keeps several server processes
from serving something stale after another process (a worker, the watcher, another server
process) wrote.

- SQLite: ``PRAGMA data_version`` on a connection of its own that never writes. SQLite
  changes it when another connection commits, and reads it from the shared WAL index, so a
  check costs a few microseconds and no disk read.
- PostgreSQL: the current snapshot (``pg_current_snapshot()``): it names every transaction
  that is running or has committed, so it is the same exactly while nothing was committed
  (anywhere in the cluster: busier clusters invalidate more often, never too rarely).
- Anything else (an in-memory SQLite database, another dialect): ``None``, which means
  "unknown": nothing derived may be reused.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError


class DataVersion:
    """Call it for the current data version (``None``: unknown, do not reuse anything)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
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
                    row = self._sqlite.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None
            return f"s{row[0]}"
        if self._postgres:
            try:
                with self._engine.connect() as conn:
                    return str(conn.execute(text("SELECT pg_current_snapshot()::text")).scalar())
            except SQLAlchemyError:  # unknown: nothing is reused, and reading says what failed
                return None
        return None

    def close(self) -> None:
        if self._sqlite is not None:
            with self._lock:
                self._sqlite.close()
                self._sqlite = None
