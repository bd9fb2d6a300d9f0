"""The operator's sessions (migration 0011): one row per signed-in browser, with when it
expires (a Unix time). A session is honoured only while its row is here; signing out deletes
it, and expired rows go whenever a session is opened."""

from __future__ import annotations

from sqlalchemy import delete, select

from .database import Database
from .models import OperatorSession


def open_session(db: Database, session_id: str, expires: float, now: float) -> None:
    with db.session() as s:
        s.execute(delete(OperatorSession).where(OperatorSession.expires < now))
        s.add(OperatorSession(id=session_id[:64], expires=expires))


def alive(db: Database, session_id: str, now: float) -> bool:
    with db.session() as s:
        expires = s.scalar(
            select(OperatorSession.expires).where(OperatorSession.id == session_id[:64])
        )
    return expires is not None and expires >= now


def close(db: Database, session_id: str) -> None:
    with db.session() as s:
        s.execute(delete(OperatorSession).where(OperatorSession.id == session_id[:64]))


class OperatorSessions(Database):
    """The operator's sessions kept in one database, as the store exposes them: this module's
    functions with the database filled in (``store.operator_sessions.alive(sid, now)`` is
    ``alive(db, sid, now)``)."""

    open = open_session
    alive = alive
    close = close
