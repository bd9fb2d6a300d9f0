"""Feeds in: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.x (which the released
feedparser 6 does not read) from its small JSON schema, and OPML lists of feeds."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from ..errors import FeedError


@dataclass
class FeedItem:
    link: str | None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    content_html: str | None = None  # the fullest content the feed carries for the item

    def metadata(self, site_name: str | None, language: str | None) -> dict[str, Any]:
        """What the feed knows about the item, as extraction fallbacks."""
        meta = {
            "title": self.title,
            "authors": self.authors or None,
            "published_at": self.published_at,
            "site_name": site_name,
            "url": self.link,
            "language": language,
        }
        return {k: v for k, v in meta.items() if v}


@dataclass
class Feed:
    title: str | None
    language: str | None
    items: list[FeedItem]
    version: str
    #: how often the feed says to look again (RSS <ttl>; sy:updatePeriod / sy:updateFrequency)
    ttl_seconds: float | None = None
    update_period_seconds: float | None = None


def parse_feed(data: bytes, *, location: str, content_type: str | None = None) -> Feed:
    """Parse a feed document; a malformed one raises :class:`FeedError` with the reason.
    A feed with a recoverable XML error but readable items is accepted (feedparser's bozo)."""
    if _looks_like_json(data, content_type):
        return _parse_json_feed(data, location)
    headers = {"content-location": location}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    entries = parsed.entries
    if parsed.bozo:  # keep what survived the XML error only if it can become an article
        entries = [e for e in entries if e.get("link") or e.get("content") or e.get("summary")]
    if not entries:
        if parsed.bozo:
            reason = str(parsed.get("bozo_exception", "unreadable")).strip() or "unreadable"
            raise FeedError(f"malformed feed {location}: {reason}")
        if not parsed.version:
            raise FeedError(f"{location} is not an RSS or Atom feed")
    feed = parsed.feed
    items = [_item(entry, location) for entry in entries]
    return Feed(
        title=feed.get("title") or None,
        language=(feed.get("language") or None),
        items=items,
        version=parsed.version or "unknown",
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
        update_period_seconds=_update_period_seconds(
            feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")
        ),
    )


_PERIODS = {
    "hourly": 3600.0,
    "daily": 86_400.0,
    "weekly": 7 * 86_400.0,
    "monthly": 30 * 86_400.0,
    "yearly": 365 * 86_400.0,
}


def _positive(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < float("inf") else None


def _ttl_seconds(value: Any) -> float | None:
    """RSS 2.0 ``<ttl>``: minutes the channel may be cached before it is fetched again."""
    minutes = _positive(value) if value is not None else None
    return minutes * 60 if minutes is not None else None


def _update_period_seconds(period: Any, frequency: Any) -> float | None:
    """The syndication module's ``updatePeriod`` (default daily) divided by its
    ``updateFrequency`` (default 1); None when the feed gives neither, or nonsense."""
    if period is None and frequency is None:
        return None
    seconds = _PERIODS.get(str(period or "daily").strip().lower())
    times = _positive(frequency) if frequency is not None else 1.0
    if seconds is None or times is None:
        return None
    return seconds / times


def _item(entry: Any, base: str) -> FeedItem:
    content = None
    if entry.get("content"):  # Atom content / RSS content:encoded: the fullest body
        content = max((c.get("value", "") for c in entry.content), key=len) or None
    if not content:
        content = entry.get("summary") or entry.get("description") or None
    authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry.author]
    link = entry.get("link") or entry.get("id")
    return FeedItem(
        link=urljoin(base, link) if link and base.startswith("http") else link,
        title=entry.get("title") or None,
        authors=authors,
        published_at=_struct_time(entry.get("published_parsed") or entry.get("created_parsed")),
        # feedparser maps a missing updated_parsed to published_parsed with a warning; ask
        # the dict itself so "updated" means what the feed said
        updated_at=_struct_time(
            dict.get(entry, "updated_parsed")
            if dict.__contains__(entry, "updated_parsed")
            else None
        ),
        content_html=content,
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type:
        return True
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(data: bytes, location: str) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON feed {location}: {exc}") from exc
    if not isinstance(doc, dict) or "jsonfeed.org/version/" not in str(doc.get("version", "")):
        raise FeedError(f"{location} is JSON but not a JSON Feed (no jsonfeed.org version)")
    items_in = doc.get("items")
    if not isinstance(items_in, list):
        raise FeedError(f"malformed JSON feed {location}: 'items' is not a list")
    items = []
    for raw in items_in:
        if not isinstance(raw, dict):
            continue
        authors = raw.get("authors") or ([raw["author"]] if raw.get("author") else [])
        link = raw.get("url") or raw.get("external_url") or raw.get("id")
        text = raw.get("content_text")
        items.append(
            FeedItem(
                link=urljoin(location, link) if link and location.startswith("http") else link,
                title=raw.get("title") or None,
                authors=[a["name"] for a in authors if isinstance(a, dict) and a.get("name")],
                published_at=_iso(raw.get("date_published")),
                updated_at=_iso(raw.get("date_modified")),
                content_html=raw.get("content_html")
                or (_text_to_html(text) if text else None)
                or raw.get("summary"),
            )
        )
    return Feed(
        title=doc.get("title"),
        language=doc.get("language"),
        items=items,
        version="json" + str(doc["version"]).rsplit("/", 1)[-1],
    )


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text_to_html(text: str) -> str:
    from html import escape

    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())


def parse_opml(data: bytes, *, location: str) -> list[str]:
    """The feed addresses (``xmlUrl``) an OPML document lists, in order, without repeats."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed OPML {location}: {exc}") from exc
    if root.tag.lower() != "opml":
        raise FeedError(f"{location} is not an OPML document (root <{root.tag}>)")
    urls: list[str] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url and url not in urls:
            urls.append(urljoin(location, url) if location.startswith("http") else url)
    if not urls:
        raise FeedError(f"OPML {location} lists no feeds (no outline with xmlUrl)")
    return urls
