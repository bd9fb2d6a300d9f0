"""Readers' answers to "Do you find this article useful?": one per reader and explainer
version, with an optional reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import case, func, select

from ..errors import NotFoundError
from .database import Database
from .models import ExplainerRow, FeedbackRow


class ReaderAnswer(NamedTuple):
    """One reader's answer to one explainer version."""

    useful: bool
    reason: str | None


class FeedbackStats(NamedTuple):
    """How many readers answered Yes and No to one explainer version."""

    explainer_id: int
    story_id: int
    version: int
    yes: int
    no: int


def reader_answer(db: Database, explainer_id: int, reader_id: str) -> ReaderAnswer | None:
    """This reader's answer for this explainer version, if any."""
    with db.session() as s:
        row = s.execute(
            select(FeedbackRow.useful, FeedbackRow.reason).where(
                FeedbackRow.explainer_id == explainer_id, FeedbackRow.reader_id == reader_id
            )
        ).first()
    return ReaderAnswer(bool(row[0]), row[1]) if row is not None else None


def answers_on_story(db: Database, story_id: int, version: int | None) -> dict[str, ReaderAnswer]:
    """Every reader's answer for a story's explainer version (the newest unless ``version``),
    by reader id: one query, for the story page."""
    shown = select(ExplainerRow.id).where(ExplainerRow.story_id == story_id)
    if version is None:
        shown = shown.order_by(ExplainerRow.version.desc()).limit(1)
    else:
        shown = shown.where(ExplainerRow.version == version)
    with db.session() as s:
        rows = s.execute(
            select(FeedbackRow.reader_id, FeedbackRow.useful, FeedbackRow.reason).where(
                FeedbackRow.explainer_id == shown.scalar_subquery()
            )
        ).all()
    return {reader: ReaderAnswer(bool(useful), reason) for reader, useful, reason in rows}


def stats(db: Database, *, limit: int = 100) -> list[FeedbackStats]:
    """Answers per explainer version that has any, most recent explainers first."""
    with db.session() as s:
        yes = func.sum(case((FeedbackRow.useful.is_(True), 1), else_=0))
        no = func.sum(case((FeedbackRow.useful.is_(False), 1), else_=0))
        rows = s.execute(
            select(ExplainerRow.id, ExplainerRow.story_id, ExplainerRow.version, yes, no)
            .join(FeedbackRow, FeedbackRow.explainer_id == ExplainerRow.id)
            .group_by(ExplainerRow.id, ExplainerRow.story_id, ExplainerRow.version)
            .order_by(ExplainerRow.id.desc())
            .limit(limit)
        ).all()
    return [FeedbackStats(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0)) for r in rows]


class DailyAnswers(NamedTuple):
    """Yes and No answers to one explainer version, by the day they were last given."""

    explainer_id: int
    day: date
    yes: int
    no: int


def daily(db: Database, explainer_ids: list[int] | None, *, since: datetime) -> list[DailyAnswers]:
    """Answers to these explainer versions (None: all) per day (UTC) at or after ``since``,
    oldest day first; an answer changed later counts on the day of its change."""
    if explainer_ids is not None and not explainer_ids:
        return []
    wanted = [FeedbackRow.updated_at >= since]
    if explainer_ids is not None:
        wanted.append(FeedbackRow.explainer_id.in_(explainer_ids))
    with db.session() as s:
        day = func.date(FeedbackRow.updated_at)  # SQLite and PostgreSQL both have date()
        yes = func.sum(case((FeedbackRow.useful.is_(True), 1), else_=0))
        no = func.sum(case((FeedbackRow.useful.is_(False), 1), else_=0))
        rows = s.execute(
            select(FeedbackRow.explainer_id, day, yes, no)
            .where(*wanted)
            .group_by(FeedbackRow.explainer_id, day)
            .order_by(day, FeedbackRow.explainer_id)
        ).all()
    return [DailyAnswers(r[0], _day(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows]


def _day(value: object) -> date:
    """date() is a string on SQLite, a date on PostgreSQL."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def reasons(db: Database, explainer_id: int, *, limit: int = 50) -> list[str]:
    """The reasons readers gave with a "No", newest first."""
    with db.session() as s:
        return list(
            s.scalars(
                select(FeedbackRow.reason)
                .where(
                    FeedbackRow.explainer_id == explainer_id,
                    FeedbackRow.useful.is_(False),
                    FeedbackRow.reason.is_not(None),
                )
                .order_by(FeedbackRow.updated_at.desc())
                .limit(limit)
            )
        )


def reasons_of(db: Database, explainer_ids: list[int], *, limit: int = 5) -> dict[int, list[str]]:
    """The latest ``limit`` reasons given with a "No" to each of these explainer versions,
    newest first, in one query (a version without any is left out)."""
    if not explainer_ids or limit <= 0:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=FeedbackRow.explainer_id,
            order_by=(FeedbackRow.updated_at.desc(), FeedbackRow.id.desc()),
        )
        .label("rank")
    )
    latest = (
        select(FeedbackRow.explainer_id, FeedbackRow.reason, rank)
        .where(
            FeedbackRow.explainer_id.in_(explainer_ids),
            FeedbackRow.useful.is_(False),
            FeedbackRow.reason.is_not(None),
        )
        .subquery()
    )
    out: dict[int, list[str]] = {}
    with db.session() as s:
        for explainer_id, reason, _ in s.execute(
            select(latest.c.explainer_id, latest.c.reason, latest.c.rank)
            .where(latest.c.rank <= limit)
            .order_by(latest.c.explainer_id, latest.c.rank)
        ):
            out.setdefault(explainer_id, []).append(reason)
    return out


def record(
    db: Database, explainer_id: int, reader_id: str, useful: bool, reason: str | None = None
) -> None:
    """One answer per reader and explainer version; answering again changes it."""
    with db.session() as s:
        if s.get(ExplainerRow, explainer_id) is None:
            raise NotFoundError(f"no explainer with id {explainer_id}")
        row = s.scalar(
            select(FeedbackRow).where(
                FeedbackRow.explainer_id == explainer_id, FeedbackRow.reader_id == reader_id
            )
        )
        if row is None:
            row = FeedbackRow(explainer_id=explainer_id, reader_id=reader_id, useful=useful)
            s.add(row)
        row.useful, row.reason = useful, (reason or None)


def counts(db: Database, explainer_id: int) -> dict[str, int]:
    """``{"yes": n, "no": m}`` for one explainer version."""
    with db.session() as s:
        rows = s.execute(
            select(FeedbackRow.useful, func.count())
            .where(FeedbackRow.explainer_id == explainer_id)
            .group_by(FeedbackRow.useful)
        ).all()
    out = {"yes": 0, "no": 0}
    for useful, n in rows:
        out["yes" if useful else "no"] = n
    return out


class Feedback(Database):
    """The readers' answers of one database, as the store exposes them: this module's functions
    with the database filled in (``store.feedback.counts(7)`` is ``counts(db, 7)``)."""

    record = record
    reader_answer = reader_answer
    answers_on_story = answers_on_story
    counts = counts
    stats = stats
    daily = daily
    reasons = reasons
    reasons_of = reasons_of
