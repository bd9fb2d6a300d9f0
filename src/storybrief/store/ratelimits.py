"""Rate limits kept in the database, so that every server process counts the same events: at
most ``limit`` events per key in any ``window`` seconds (a sliding window over the events
themselves). Each hit is one short transaction that holds the key's lock while it counts and
adds: SQLite's write lock (taken by the first statement, a write), PostgreSQL's transaction
advisory lock on the key. Events out of their window are deleted as keys are hit, and all
expired ones now and then."""

from __future__ import annotations

import random

from sqlalchemy import delete, func, select

from .database import Database
from .models import RateLimitEvent

#: One hit in this many also deletes every expired event (of keys not hit since).
PURGE_ONE_IN = 200


def hit(db: Database, key: str, limit: int, window: float, now: float) -> float:
    """Count an event; 0 when allowed, else the seconds until one more would be."""
    with db.session() as s:
        if db.dialect == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
        s.execute(
            delete(RateLimitEvent).where(
                RateLimitEvent.key == key, RateLimitEvent.at <= now - window
            )
        )
        if random.randrange(PURGE_ONE_IN) == 0:
            s.execute(delete(RateLimitEvent).where(RateLimitEvent.expires <= now))
        count, oldest = s.execute(
            select(func.count(), func.min(RateLimitEvent.at)).where(
                RateLimitEvent.key == key, RateLimitEvent.at > now - window
            )
        ).one()
        if count >= limit:
            return max(float(oldest) + window - now, 0.001)
        s.add(RateLimitEvent(key=key, at=now, expires=now + window))
    return 0.0


def wait(db: Database, key: str, limit: int, window: float, now: float) -> float:
    """Like :func:`hit` without counting: 0 when one more event would be allowed."""
    with db.session() as s:
        count, oldest = s.execute(
            select(func.count(), func.min(RateLimitEvent.at)).where(
                RateLimitEvent.key == key, RateLimitEvent.at > now - window
            )
        ).one()
    if count < limit:
        return 0.0
    return max(float(oldest) + window - now, 0.001)


class RateLimits(Database):
    """The rate-limit events of one database, as the store exposes them: this module's functions
    with the database filled in (``store.rate_limits.hit(key, 5, 60, now)`` is ``hit(db, key, 5,
    60, now)``)."""

    hit = hit
    wait = wait
