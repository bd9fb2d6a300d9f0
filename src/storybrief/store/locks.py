"""Work that only one process may do at a time on one database (forming stories): a lock
that every process using the database sees, held for as long as the work takes.

PostgreSQL: a session-level advisory lock (one key per schema and name), held by a connection
of its own. SQLite file: an OS file lock beside the database file (``filelock``), so that
holding it for the seconds clustering takes never blocks another process's writes, as a
database write lock would. A database in memory belongs to one process: a thread lock. A
process that dies releases its lock with its connection or file."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from .database import Database

_THREAD_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_GUARD = threading.Lock()


@contextmanager
def exclusive(db: Database, name: str) -> Iterator[None]:
    """Hold the database-wide lock ``name`` for the duration (waiting for it first)."""
    if db.dialect == "postgresql":
        with _advisory(db, name):
            yield
        return
    path = db.engine.url.database if db.dialect == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:"):
        from filelock import FileLock  # here: a command that takes no lock does not load it

        lock = FileLock(str(Path(path).expanduser()) + f".{name}.lock")
        with lock:
            yield
        return
    with _GUARD:
        held = _THREAD_LOCKS.setdefault((id(db.engine), name), threading.Lock())
    with held:
        yield


@contextmanager
def _advisory(db: Database, name: str) -> Iterator[None]:
    with db.engine.connect() as conn:
        schema = conn.scalar(select(func.current_schema())) or ""
        digest = hashlib.sha256(f"storybrief {name} {schema}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        conn.execute(select(func.pg_advisory_lock(key)))
        conn.commit()  # the lock is the session's: it outlives this transaction
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(key)))
            conn.commit()
