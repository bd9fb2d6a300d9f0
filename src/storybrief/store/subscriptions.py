"""Sources, and feeds as subscriptions.

Every feed, page or file that articles came from is a source; a URL keeps its HTTP cache
validators. A feed (``kind == "feed"``) is also a subscription, whether it was added with
:func:`add_feed` or first met by ``storybrief ingest``: the watcher polls the enabled ones when
they are due (:func:`due_feeds`) and records how each poll went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ConfigError, NotFoundError, SourceError, StorageError
from .database import Database, aware, possible_id, utc
from .models import Source

FEED = "feed"
#: What :func:`update_feed` may change (the rest is kept by the polls themselves).
SETTABLE = ("enabled", "poll_every_seconds", "fetch_pages", "next_poll_at", "title")


@dataclass(frozen=True)
class FeedRecord:
    """A source as stored. For a feed, also its subscription: ``enabled``,
    ``poll_every_seconds`` and ``fetch_pages`` (None: the settings' default), and the state of
    its polls."""

    id: int
    url: str
    kind: str  # feed | url (a page, or a URL not fetched yet) | file | opml
    title: str | None
    enabled: bool
    poll_every_seconds: int | None
    fetch_pages: bool | None
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None
    last_fetched_at: datetime | None
    last_status: str | None
    last_success_at: datetime | None
    last_error: str | None  # kept after a later success; consecutive_failures tells health
    last_error_at: datetime | None
    consecutive_failures: int
    items_seen: int
    created_at: datetime

    @property
    def location(self) -> str:
        """The name ingest gives it: the URL (or path) as it was given."""
        return self.url


def _record(row: Source) -> FeedRecord:
    return FeedRecord(
        id=row.id,
        url=row.location,
        kind=row.kind,
        title=row.title,
        enabled=bool(row.enabled),
        poll_every_seconds=row.poll_every_seconds,
        fetch_pages=row.fetch_pages,
        etag=row.etag,
        last_modified=row.last_modified,
        next_poll_at=aware(row.next_poll_at),
        last_fetched_at=aware(row.last_fetched_at),
        last_status=row.last_status,
        last_success_at=aware(row.last_success_at),
        last_error=row.last_error,
        last_error_at=aware(row.last_error_at),
        consecutive_failures=row.consecutive_failures or 0,
        items_seen=row.items_seen or 0,
        created_at=aware(row.created_at) or datetime.now(UTC),
    )


# -- sources (what ingest reads) -------------------------------------------------------------


def source(db: Database, location: str, kind: str) -> FeedRecord:
    """The source for a feed/page/file location, created on first sight."""
    try:
        return _source(db, location, kind)
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
        return _source(db, location, kind)  # another writer created it meanwhile


def _source(db: Database, location: str, kind: str) -> FeedRecord:
    with db.session() as s:
        row = s.scalar(select(Source).where(Source.location == location))
        if row is None:
            row = Source(location=location, kind=kind)
            s.add(row)
            s.flush()
        return _record(row)


def update_source(db: Database, source_id: int, **fields: object) -> None:
    """Set these columns of a source (and its last fetch time to now)."""
    with db.session() as s:
        row = s.get(Source, source_id)
        if row is None:
            raise NotFoundError(f"no source with id {source_id}")
        for key, value in fields.items():
            setattr(row, key, value)
        row.last_fetched_at = datetime.now(UTC)


# -- subscriptions -------------------------------------------------------------------------


def _check_settings(poll_every_seconds: object, fetch_pages: object) -> None:
    if poll_every_seconds is not None and (
        not isinstance(poll_every_seconds, int) or poll_every_seconds < 1
    ):
        raise ConfigError(
            f"poll_every_seconds must be a whole number of seconds >= 1, "
            f"not {poll_every_seconds!r} (None: the default)"
        )
    if fetch_pages is not None and not isinstance(fetch_pages, bool):
        raise ConfigError(f"fetch_pages must be true, false or None, not {fetch_pages!r}")


def add_feed(
    db: Database,
    url: str,
    *,
    poll_every_seconds: int | None = None,
    fetch_pages: bool | None = None,
    title: str | None = None,
) -> FeedRecord:
    """Subscribe to a feed (an http(s) URL). Adding one that is already stored (say, by an
    earlier ingest) enables it and sets what is given here, keeping its validators."""
    return _subscribe(db, [url.strip()], poll_every_seconds, fetch_pages, title)[0]


def add_feeds(
    db: Database,
    urls: list[str],
    *,
    poll_every_seconds: int | None = None,
    fetch_pages: bool | None = None,
) -> list[FeedRecord]:
    """:func:`add_feed` for many URLs in one transaction (an OPML list of thousands), in
    their order, each once. A URL that is not http(s) is refused before any is stored."""
    cleaned = list(dict.fromkeys(url.strip() for url in urls))
    return _subscribe(db, cleaned, poll_every_seconds, fetch_pages)


def _subscribe(
    db: Database,
    urls: list[str],
    poll_every_seconds: int | None,
    fetch_pages: bool | None,
    title: str | None = None,
) -> list[FeedRecord]:
    """The feeds at ``urls`` subscribed to in one transaction, once every URL and setting is
    found good; tried once more when an ingest stored one of them meanwhile."""
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise SourceError(f"{url!r}: a feed to subscribe to must be an http(s) URL")
    _check_settings(poll_every_seconds, fetch_pages)
    given = {"poll_every_seconds": poll_every_seconds, "fetch_pages": fetch_pages, "title": title}
    given = {key: value for key, value in given.items() if value is not None}
    try:
        return _add_feeds(db, urls, given)
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
        return _add_feeds(db, urls, given)  # ingest stored one of them meanwhile


def _add_feeds(db: Database, urls: list[str], given: dict[str, Any]) -> list[FeedRecord]:
    with db.session() as s:
        rows: dict[str, Source] = {}
        for start in range(0, len(urls), 500):  # bound the parameters of one statement
            chunk = urls[start : start + 500]
            rows.update(
                (row.location, row)
                for row in s.scalars(select(Source).where(Source.location.in_(chunk)))
            )
        for url in urls:
            row = rows.get(url)
            if row is None:
                row = rows[url] = Source(location=url, kind=FEED)
                s.add(row)
            row.kind, row.enabled = FEED, True
            for key, value in given.items():
                setattr(row, key, value)
        s.flush()
        return [_record(rows[url]) for url in urls]


def _which(id_or_url: int | str) -> ColumnElement[bool]:
    if isinstance(id_or_url, int):
        return Source.id == id_or_url if possible_id(id_or_url) else false()
    return Source.location == id_or_url.strip()


def _not_found(id_or_url: int | str) -> NotFoundError:
    return NotFoundError(f"no feed {id_or_url!r} (see `storybrief feeds`)")


def get_feed(db: Database, id_or_url: int | str) -> FeedRecord:
    with db.session() as s:
        row = s.scalar(select(Source).where(_which(id_or_url), Source.kind == FEED))
        if row is None:
            raise _not_found(id_or_url)
        return _record(row)


def list_feeds(db: Database) -> list[FeedRecord]:
    """Every feed, enabled or not, in the order they were added."""
    with db.session() as s:
        rows = s.scalars(select(Source).where(Source.kind == FEED).order_by(Source.id)).all()
        return [_record(r) for r in rows]


def remove_feed(db: Database, id_or_url: int | str) -> None:
    """Unsubscribe: forget the feed (its articles stay)."""
    with db.session() as s:
        done = s.execute(delete(Source).where(_which(id_or_url), Source.kind == FEED))
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise _not_found(id_or_url)


def update_feed(db: Database, feed_id: int, **fields: Any) -> FeedRecord:
    """Change a feed's subscription: any of ``enabled``, ``poll_every_seconds``,
    ``fetch_pages``, ``next_poll_at`` and ``title``."""
    unknown = sorted(set(fields) - set(SETTABLE))
    if unknown:
        raise ConfigError(
            f"a feed has no setting {', '.join(unknown)}; these can be changed: "
            f"{', '.join(SETTABLE)}"
        )
    _check_settings(fields.get("poll_every_seconds"), fields.get("fetch_pages"))
    if "enabled" in fields and not isinstance(fields["enabled"], bool):
        raise ConfigError(f"enabled must be true or false, not {fields['enabled']!r}")
    if fields.get("next_poll_at") is not None:
        fields["next_poll_at"] = utc(fields["next_poll_at"])
    with db.session() as s:
        row = s.scalar(select(Source).where(Source.id == feed_id, Source.kind == FEED))
        if row is None:
            raise _not_found(feed_id)
        for key, value in fields.items():
            setattr(row, key, value)
        s.flush()
        return _record(row)


def due_feeds(db: Database, now: datetime, *, limit: int = 100) -> list[FeedRecord]:
    """Enabled feeds due for a poll at ``now`` (never polled, or their next poll time has
    come), the longest-waiting first."""
    with db.session() as s:
        rows = s.scalars(
            select(Source)
            .where(
                Source.kind == FEED,
                Source.enabled.is_(True),
                or_(Source.next_poll_at.is_(None), Source.next_poll_at <= utc(now)),
            )
            .order_by(Source.next_poll_at.asc().nulls_first(), Source.id)
            .limit(limit)
        ).all()
        return [_record(r) for r in rows]


def next_poll_due(db: Database) -> datetime | None:
    """The soonest next poll time of the enabled feeds that have one (None: no such feed),
    in one aggregate query: what the watcher sleeps until, without loading every feed."""
    with db.session() as s:
        soonest = s.scalar(
            select(func.min(Source.next_poll_at)).where(
                Source.kind == FEED, Source.enabled.is_(True), Source.next_poll_at.is_not(None)
            )
        )
    return aware(soonest)


def _record_poll(db: Database, feed_id: int, values: dict[str, Any]) -> FeedRecord:
    with db.session() as s:
        done = s.execute(
            update(Source)
            .where(Source.id == feed_id, Source.kind == FEED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise _not_found(feed_id)
        row = s.get(Source, feed_id, populate_existing=True)
        assert row is not None
        return _record(row)


def record_poll_success(
    db: Database,
    feed_id: int,
    *,
    next_poll_at: datetime,
    etag: str | None,
    last_modified: str | None,
    items: int | None = None,
    status: str = "200",
    at: datetime | None = None,
) -> FeedRecord:
    """A poll that read the feed (``status`` "304": it had not changed): keep its new cache
    validators, the number of ``items`` the feed holds now (None: unchanged, as after a 304;
    ``items_seen`` is that count, not a sum over polls), reset the failure count, and set
    the next poll."""
    at = utc(at or datetime.now(UTC))
    fields: dict[str, object] = {
        "etag": etag,
        "last_modified": last_modified,
        "last_status": status,
        "last_fetched_at": at,
        "last_success_at": at,
        "next_poll_at": utc(next_poll_at),
        "consecutive_failures": 0,
    }
    if items is not None:
        fields["items_seen"] = max(items, 0)
    return _record_poll(db, feed_id, fields)


def record_poll_failure(
    db: Database,
    feed_id: int,
    *,
    reason: str,
    next_poll_at: datetime,
    status: str = "failed",
    at: datetime | None = None,
) -> FeedRecord:
    """A poll that failed: keep the reason, count one more failure in a row, set the next
    poll (the caller backs off using ``consecutive_failures``)."""
    at = utc(at or datetime.now(UTC))
    return _record_poll(
        db,
        feed_id,
        {
            "last_error": reason,
            "last_error_at": at,
            "last_status": status,
            "last_fetched_at": at,
            "next_poll_at": utc(next_poll_at),
            "consecutive_failures": Source.consecutive_failures + 1,
        },
    )


class Subscriptions(Database):
    """The sources and followed feeds of one database, as the store exposes them: this module's
    functions with the database filled in (``store.feeds.due(now)`` is ``due_feeds(db,
    now)``)."""

    source = source
    update_source = update_source
    add = add_feed
    add_many = add_feeds
    get = get_feed
    all = list_feeds
    remove = remove_feed
    update = update_feed
    due = due_feeds
    next_due = next_poll_due
    record_poll_success = record_poll_success
    record_poll_failure = record_poll_failure
