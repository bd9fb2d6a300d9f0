"""Coverage of a story at a glance: who reported it, how much, when, and how it grew — read
from its articles and its explainer versions (what the story page and ``storybrief story``
show)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from . import articles, explainers, stories
from .database import Database


@dataclass(frozen=True)
class OutletCoverage:
    """One outlet's share of a story."""

    outlet: str
    articles: int


@dataclass(frozen=True)
class CoverageEvent:
    """One step in how a story grew: an article arrived (``kind="article"``), or an
    explainer version was written (``kind="explainer"``)."""

    kind: Literal["article", "explainer"]
    at: datetime | None  # when it was stored here
    article_id: int | None = None
    title: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None  # an article's own publication time
    version: int | None = None  # the explainer version written (or first to use the article)
    added: tuple[int, ...] = ()  # an explainer's articles that the version before lacked


@dataclass(frozen=True)
class Coverage:
    """Coverage at a glance: who reported a story, how much, when, and how it grew."""

    story_id: int
    articles: int
    outlets: list[OutletCoverage]
    first_report: datetime | None  # the earliest publication (else arrival) time
    latest_report: datetime | None
    explainer_versions: int
    timeline: list[CoverageEvent]


def coverage(db: Database, story_id: int) -> Coverage:
    """How many outlets and articles report the story, its first and latest report, and a
    timeline: each article as it arrived, with the explainer version that first used it, and
    each explainer version with the articles it added."""
    members = articles.summaries_by_id(db, stories.article_ids(db, story_id))
    versions = sorted(explainers.versions(db, story_id), key=lambda v: v.version)
    first_use: dict[int, int] = {}
    events: list[CoverageEvent] = []
    seen: set[int] = set()
    for v in versions:
        ids = [
            int(s["id"])
            for s in v.document.get("sources") or []
            if isinstance(s, dict) and isinstance(s.get("id"), int)
        ]
        for i in ids:
            first_use.setdefault(i, v.version)
        added = tuple(i for i in ids if i not in seen)
        seen.update(ids)
        events.append(CoverageEvent("explainer", v.created_at, version=v.version, added=added))
    outlets: dict[str, int] = {}
    for a in members:
        outlet = a.site_name or (urlsplit(a.url).hostname if a.url else None)
        if outlet:
            outlets[outlet] = outlets.get(outlet, 0) + 1
        events.append(
            CoverageEvent(
                "article",
                a.stored_at,
                article_id=a.id,
                title=a.title,
                outlet=outlet,
                published_at=a.published_at,
                version=first_use.get(a.id),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    # in time order; an article before the version written from it at the same moment
    events.sort(key=lambda e: (e.at or far, e.kind != "article", e.article_id or 0))
    reported = [t for a in members if (t := a.published_at or a.stored_at)]
    return Coverage(
        story_id=story_id,
        articles=len(members),
        outlets=[
            OutletCoverage(name, n)
            for name, n in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0].lower()))
        ],
        first_report=min(reported, default=None),
        latest_report=max(reported, default=None),
        explainer_versions=len(versions),
        timeline=events,
    )


class StoryCoverage(Database):
    """The coverage of stories of one database, as the store exposes them: this module's
    functions with the database filled in (``store.coverage.of(7)`` is ``coverage(db, 7)``)."""

    of = coverage
