"""Ingest failures: a source or item that could not be ingested, with the one-line reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select

from .database import Database, aware
from .models import FailureRow


class Failure(NamedTuple):
    location: str
    reason: str
    occurred_at: datetime


def record(db: Database, location: str, reason: str) -> None:
    with db.session() as s:
        s.add(FailureRow(location=location[:2048], reason=reason))


def recent(db: Database, *, limit: int = 50) -> list[Failure]:
    """The newest failures first."""
    with db.session() as s:
        rows = s.execute(
            select(FailureRow.location, FailureRow.reason, FailureRow.occurred_at)
            .order_by(FailureRow.id.desc())
            .limit(limit)
        ).all()
    return [Failure(r[0], r[1], aware(r[2]) or datetime.now(UTC)) for r in rows]


class Failures(Database):
    """The ingest failures of one database, as the store exposes them: this module's functions
    with the database filled in (``store.failures.recent()`` is ``recent(db)``)."""

    record = record
    recent = recent
