"""The watchers following the feeds on this database (migration 0010): one row per name
(``watch``, ``serve --watch``) and host, which the watcher keeps current — its state, a
heartbeat, failed rounds in a row, restarts, the last error — so that any process can tell
whether the feeds are being followed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from ..errors import NotFoundError
from .database import Database, aware
from .models import WatcherRow

STATES = ("running", "restarting", "stopped")


@dataclass(frozen=True)
class WatcherRecord:
    id: int
    name: str
    host: str
    pid: int
    state: str  # running | restarting | stopped
    started_at: datetime
    heartbeat_at: datetime
    failures: int  # rounds that failed in a row (0 after one that did not)
    restarts: int  # times its thread died and was started again since it started
    last_error: str | None  # kept after it recovers; failures and state tell health
    last_error_at: datetime | None


def _record(row: WatcherRow) -> WatcherRecord:
    return WatcherRecord(
        id=row.id,
        name=row.name,
        host=row.host,
        pid=row.pid,
        state=row.state,
        started_at=aware(row.started_at) or datetime.now(UTC),
        heartbeat_at=aware(row.heartbeat_at) or datetime.now(UTC),
        failures=row.failures,
        restarts=row.restarts,
        last_error=row.last_error,
        last_error_at=aware(row.last_error_at),
    )


def register(db: Database, name: str, host: str, pid: int, now: datetime) -> WatcherRecord:
    """A watcher starting: its row (the one of the same name and host, started afresh; its
    restarts are counted on when the same process starts it again)."""
    with db.session() as s:
        row = s.scalars(
            select(WatcherRow).where(WatcherRow.name == name, WatcherRow.host == host)
        ).first()
        if row is None:
            row = WatcherRow(name=name[:64], host=host[:255])
            s.add(row)
        if row.pid != pid:  # a new process; the same one restarting its watcher keeps count
            row.restarts = 0
        row.pid, row.state, row.started_at, row.heartbeat_at = pid, "running", now, now
        row.failures = 0
        s.flush()
        return _record(row)


def report(
    db: Database,
    watcher_id: int,
    now: datetime,
    *,
    state: str | None = None,
    error: str | None = None,
    failed: bool | None = None,
    restarted: bool = False,
) -> WatcherRecord:
    """A heartbeat, with what changed: ``state``, a round that ``failed`` (True, with its
    ``error``) or did not (False), a ``restarted`` thread (with the ``error`` it died of)."""
    if state is not None and state not in STATES:
        raise ValueError(f"a watcher's state is one of {', '.join(STATES)}, not {state!r}")
    with db.session() as s:
        row = s.get(WatcherRow, watcher_id)
        if row is None:
            raise NotFoundError(f"no watcher with id {watcher_id}")
        row.heartbeat_at = now
        if state is not None:
            row.state = state
        if failed is not None:
            row.failures = row.failures + 1 if failed else 0
        if restarted:
            row.restarts += 1
        if error is not None:
            row.last_error, row.last_error_at = error[:2000], now
        s.flush()
        return _record(row)


def listed(db: Database) -> list[WatcherRecord]:
    """Every watcher row, the most recently heard from first."""
    with db.session() as s:
        rows = s.scalars(select(WatcherRow).order_by(WatcherRow.heartbeat_at.desc())).all()
        return [_record(r) for r in rows]


class Watchers(Database):
    """The watchers of one database, as the store exposes them: this module's functions with
    the database filled in (``store.watchers.all()`` is ``listed(db)``)."""

    register = register
    report = report
    all = listed
