"""Opening the database: URL handling, SQLite pragmas, transactions, and migrations applied on
first use under a lock, so that many processes opening a fresh database at once migrate it
exactly once."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import MissingExtraError, StorageError
from ..text import storable_value
from .models import SEARCH_TABLES, SEARCH_VECTORS

if TYPE_CHECKING:  # alembic is loaded only when a schema is not current
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

#: How long (milliseconds) a process waits for another one's migration before giving up.
MIGRATION_WAIT_MS = 120_000


def normalise_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise MissingExtraError("PostgreSQL storage", "postgres", "psycopg") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=True, json_serializer=_storable_json)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


# Text is made storable at this one boundary, for every column of every table: whatever a
# feed, a page, a command-line argument or an API client handed in, no write fails (or, on
# PostgreSQL, answers "database unavailable") because a string holds NUL or a lone surrogate.


def _storable_json(value: object) -> str:
    """JSON columns: the strings inside made storable before they are written."""
    return json.dumps(storable_value(value))


def _storable_parameters(  # type: ignore[no-untyped-def]
    conn, cursor, statement, parameters, context, executemany
):
    """Every string parameter of every statement made storable (:func:`text.storable`)."""
    return statement, storable_value(parameters)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL may have to wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: The largest id a row can have: ids are 32-bit integers on PostgreSQL (SQLite's rowids are
#: 64-bit, but counting up from 1 they never pass this either). An id outside 1..MAX_ID names no
#: row on either database, and is answered so before PostgreSQL refuses to compare it.
MAX_ID = 2**31 - 1


def possible_id(value: int) -> bool:
    """Whether ``value`` can be a row's id (1 .. :data:`MAX_ID`)."""
    return 1 <= value <= MAX_ID


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything storybrief stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def utc(value: datetime) -> datetime:
    """A time to store or compare with stored ones: in UTC (naive means UTC already). SQLite
    keeps datetimes as text without the offset, so any other zone would compare wrongly."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """An engine and its sessions: what every part of the store reads and writes through."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back (nothing written) on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise StorageError(f"database write failed: {str(exc).splitlines()[0]}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Schema comparison (autogenerate, tests) skips the search indexes: SQLite's FTS5 tables
    and PostgreSQL's GIN expression indexes, which are made by migrations, not the models."""
    if type_ == "table" and name is not None:
        return not any(name == i or name.startswith(f"{i}_") for i in SEARCH_TABLES)
    if type_ == "index" and name is not None:
        return name not in SEARCH_VECTORS
    return True


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is current).

    The check and the upgrade run under a lock held by the migrating connection: PostgreSQL's
    session-level advisory lock (one per schema), SQLite's write lock (``BEGIN IMMEDIATE``).
    A process that finds the schema current after waiting for the lock does nothing."""
    head = head_revision()
    try:
        with engine.connect() as conn:
            if _current_revision(conn) == head:
                return
            conn.rollback()
            cfg = alembic_config()
            if conn.dialect.name == "sqlite":
                _upgrade_sqlite(conn, cfg, head)
            elif conn.dialect.name == "postgresql":
                _upgrade_postgresql(conn, cfg, head)
            else:  # not supported, but alembic may still manage: no lock to take
                with conn.begin():
                    _upgrade(conn, cfg, head)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(
            f"cannot open database {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from exc


_REVISION = re.compile(r"""^revision\s*=\s*["'](\w+)["']""", re.M)
_DOWN_REVISION = re.compile(r"""^down_revision\s*=\s*["'](\w+)["']""", re.M)


@cache
def head_revision() -> str | None:
    """The newest migration, read from the migration files (each names its ``revision`` and
    the ``down_revision`` it follows) without loading alembic, which is asked only when the
    files do not make one line."""
    revisions, followed = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        followed.update(_DOWN_REVISION.findall(source))
    heads = revisions - followed
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(conn: Connection) -> str | None:
    """The schema's migration as alembic records it (its one-row table), in one query; None
    when there is no such table (a new database) or it does not hold exactly one row."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: Connection, cfg: Config, head: str | None) -> None:
    """Upgrade unless another process did while this one waited for the lock."""
    if _revision(conn) == head:
        return
    from alembic import command

    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _upgrade_sqlite(conn: Connection, cfg: Config, head: str | None) -> None:
    # The driver's own transaction handling would start a deferred transaction, which takes
    # the write lock only at the first write (too late: two processes would both see no
    # tables). Take the connection out of it and begin an immediate one by hand.
    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    conn.exec_driver_sql(f"PRAGMA busy_timeout={MIGRATION_WAIT_MS}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _upgrade(conn, cfg, head)
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=5000")


def _upgrade_postgresql(conn: Connection, cfg: Config, head: str | None) -> None:
    schema = conn.scalar(select(func.current_schema())) or ""
    digest = hashlib.sha256(f"storybrief migrations {schema}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    conn.execute(text(f"SET lock_timeout = {MIGRATION_WAIT_MS}"))
    conn.execute(select(func.pg_advisory_lock(key)))
    conn.commit()  # the lock is the session's: it outlives this transaction
    try:
        with conn.begin():
            _upgrade(conn, cfg, head)
    finally:
        conn.execute(select(func.pg_advisory_unlock(key)))
        conn.execute(text("RESET lock_timeout"))
        conn.commit()
