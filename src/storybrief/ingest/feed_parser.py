"""Feeds in: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.x (which the released
feedparser 6 does not read) from its small JSON schema, and OPML lists of feeds.

Feeds come from strangers. Every parser here sits behind :func:`~storybrief.errors.reading`,
so whatever a document does to it becomes a :class:`FeedError` naming the document, never a
crash of the run; fields of the wrong type are ignored as if absent; and at most
``max_items`` items of a feed (``max_feeds`` feeds of an OPML list) are read, a feed cut before
the rest so the parser never spends time on them. What a cap leaves out is counted and its
first few named (:class:`LeftOut`), so that the caller can say so.
"""

from __future__ import annotations

import calendar
import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from ..errors import FeedError, reading
from ..text import storable, storable_value
from ..topics import from_categories

#: Items read from one feed unless the caller says otherwise (settings.fetch.max_feed_items).
MAX_ITEMS = 500
#: Feeds read from one OPML list unless the caller says otherwise (settings.fetch.max_list_feeds).
MAX_LIST_FEEDS = 10_000
#: How many of the items or feeds a cap left out are named in its message.
NAMED = 3
# The start of an RSS <item> or Atom <entry>, with or without a namespace prefix.
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")


@dataclass
class FeedItem:
    link: str | None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    content_html: str | None = None  # the fullest content the feed carries for the item
    categories: list[str] = field(default_factory=list)  # RSS <category>, Atom <category>

    def metadata(self, site_name: str | None, language: str | None) -> dict[str, Any]:
        """What the feed knows about the item, as extraction fallbacks."""
        meta = {
            "title": self.title,
            "authors": self.authors or None,
            "published_at": self.published_at,
            "site_name": site_name,
            "url": self.link,
            "language": language,
            "topic": from_categories(self.categories),
        }
        return {k: v for k, v in meta.items() if v}


@dataclass(frozen=True)
class LeftOut:
    """What a cap left out of one document: ``count`` items of a feed or feeds of an OPML
    list, after the ``kept`` first; ``first`` names the first few left out (their links,
    or titles when they have none)."""

    location: str
    what: str  # "items" or "feeds"
    kept: int
    count: int
    setting: str  # the setting whose cap bit, e.g. fetch.max_list_feeds
    first: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        named = ", ".join(self.first)
        more = " …" if self.count > len(self.first) else ""
        return (
            f"{self.location}: {self.count:,} {self.what} left out after the first "
            f"{self.kept:,} (the cap {self.setting}; raise it to read them)"
            + (f": {named}{more}" if named else "")
        )


@dataclass
class Feed:
    title: str | None
    language: str | None
    items: list[FeedItem]
    version: str
    #: how often the feed says to look again (RSS <ttl>; sy:updatePeriod / sy:updateFrequency)
    ttl_seconds: float | None = None
    update_period_seconds: float | None = None
    #: the items past ``max_items``, not read (None when the feed had no more)
    left_out: LeftOut | None = None


@dataclass(frozen=True)
class FeedList:
    """The feed addresses an OPML list names, in order and each once; ``left_out`` says
    what was past ``max_feeds`` (None when nothing was)."""

    urls: list[str]
    left_out: LeftOut | None = None


def parse_feed(
    data: bytes, *, location: str, content_type: str | None = None, max_items: int = MAX_ITEMS
) -> Feed:
    """Parse a feed document; a malformed one raises :class:`FeedError` with the reason.
    A feed with a recoverable XML error but readable items is accepted (feedparser's bozo).
    Only the first ``max_items`` items are read."""
    with reading(FeedError, f"the feed {location}"):
        data = _utf8(data)  # UTF-16 and UTF-32 documents read as UTF-8
        if _looks_like_json(data, content_type):
            return _parse_json_feed(data, location, max_items)
        return _parse_xml_feed(data, location, content_type, max_items)


def _parse_xml_feed(data: bytes, location: str, content_type: str | None, max_items: int) -> Feed:
    headers = {"content-location": location}
    if content_type:
        headers["content-type"] = content_type
    # NAMED items more than are read, only to name them when the cap leaves items out
    parsed = feedparser.parse(
        _first_items(data, max_items + NAMED), response_headers=headers, sanitize_html=True
    )
    extra = parsed.entries[max_items:]
    entries = parsed.entries[:max_items]
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
    left_out = None
    if extra:
        count = max(sum(1 for _ in _ITEM_START.finditer(_utf8(data))) - max_items, len(extra))
        named = [_item(entry, location) for entry in extra]
        left_out = _items_left_out(location, max_items, count, named)
    return Feed(
        title=_text(feed.get("title")),
        language=_text(feed.get("language")),
        items=items,
        version=parsed.version or "unknown",
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
        update_period_seconds=_update_period_seconds(
            feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")
        ),
        left_out=left_out,
    )


def _items_left_out(location: str, kept: int, count: int, named: list[FeedItem]) -> LeftOut:
    first = tuple(item.link or item.title or "(untitled)" for item in named[:NAMED])
    return LeftOut(location, "items", kept, count, "fetch.max_feed_items", first)


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


def _first_items(data: bytes, max_items: int) -> bytes:
    """``data`` cut just before its item number ``max_items + 1`` (feedparser reads the cut
    document as far as it goes: the last item is complete, the feed unterminated). A
    UTF-16 or UTF-32 document is made UTF-8 first, so that its items can be found."""
    data = _utf8(data)
    for n, match in enumerate(_ITEM_START.finditer(data)):
        if n == max_items:
            return data[: match.start()]
    return data


# Byte-order marks, and the first bytes of "<?" without one, of the wide encodings.
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32-le", True),  # before UTF-16 LE: it starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be", True),
    (codecs.BOM_UTF16_LE, "utf-16-le", True),
    (codecs.BOM_UTF16_BE, "utf-16-be", True),
    (b"<\0\0\0", "utf-32-le", False),
    (b"\0\0\0<", "utf-32-be", False),
    (b"<\0", "utf-16-le", False),
    (b"\0<", "utf-16-be", False),
)
_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def _utf8(data: bytes) -> bytes:
    """A UTF-16 or UTF-32 document re-encoded as UTF-8 (its declaration saying so); any
    other document as it is."""
    for mark, codec, is_bom in _WIDE:
        if data.startswith(mark):
            text = data[len(mark) if is_bom else 0 :].decode(codec, errors="replace")
            return _DECLARED_ENCODING.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")
    return data


def _text(value: Any) -> str | None:
    """A non-empty string, made storable (:func:`storable`), or None for anything else (feeds
    put numbers, lists, objects in text fields)."""
    return storable(value) if isinstance(value, str) and value.strip() else None


def _absolute(base: str, link: Any) -> str | None:
    """``link`` made absolute against an http(s) ``base``; None for a link that is not a
    string or not a URL at all."""
    link = _text(link)
    if link is None:
        return None
    link = link.strip()
    if not is_web_url(base):
        return link
    try:
        return urljoin(base, link)
    except ValueError:  # "http://[" and the like
        return None


def is_web_url(location: str) -> bool:
    """Whether ``location`` is an http(s) URL (the scheme in any case: ``HTTP://`` too)."""
    try:
        return urlsplit(location).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def _item(entry: Any, base: str) -> FeedItem:
    content = None
    if entry.get("content"):  # Atom content / RSS content:encoded: the fullest body
        values = [_text(c.get("value")) for c in entry.content if isinstance(c, dict)]
        content = max((v for v in values if v), key=len, default=None)
    if not content:
        content = _text(entry.get("summary")) or _text(entry.get("description"))
    authors = [
        name
        for a in entry.get("authors", [])
        if isinstance(a, dict)
        for name in [_text(a.get("name"))]
        if name
    ]
    if not authors and _text(entry.get("author")):
        authors = [_text(entry.get("author")) or ""]
    return FeedItem(
        link=_absolute(base, entry.get("link") or entry.get("id")),
        title=_text(entry.get("title")),
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
        categories=[
            t
            for tag in entry.get("tags") or []
            if isinstance(tag, dict)
            for t in [_text(tag.get("label")) or _text(tag.get("term"))]
            if t
        ][:20],
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):  # year 99999 and the like
        return None


# a JSON escape of a surrogate or of NUL
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type:
        return True
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(data: bytes, location: str, max_items: int) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON feed {location}: {exc}") from exc
    if _UNSTORABLE_ESCAPE.search(data):  # "\ud800" is a lone surrogate, "\u0000" a NUL:
        doc = storable_value(doc)  # every string of the document made storable
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise FeedError(f"{location} is JSON but not a JSON Feed (no jsonfeed.org version)")
    items_in = doc.get("items")
    if not isinstance(items_in, list):
        raise FeedError(f"malformed JSON feed {location}: 'items' is not a list")
    dicts = [raw for raw in items_in if isinstance(raw, dict)]
    items = [_json_item(raw, location) for raw in dicts[:max_items]]
    left_out = None
    if len(dicts) > max_items:
        named = [_json_item(raw, location) for raw in dicts[max_items : max_items + NAMED]]
        left_out = _items_left_out(location, max_items, len(dicts) - max_items, named)
    return Feed(
        title=_text(doc.get("title")),
        language=_text(doc.get("language")),
        items=items,
        version="json" + version.rsplit("/", 1)[-1],
        left_out=left_out,
    )


def _json_item(raw: dict[str, Any], location: str) -> FeedItem:
    """One JSON Feed item; a field of the wrong type counts as absent."""
    authors = raw.get("authors")
    if not isinstance(authors, list):
        authors = [raw.get("author")]
    text = _text(raw.get("content_text"))
    link = _text(raw.get("url")) or _text(raw.get("external_url")) or _text(raw.get("id"))
    return FeedItem(
        link=_absolute(location, link),
        title=_text(raw.get("title")),
        authors=[n for a in authors if isinstance(a, dict) for n in [_text(a.get("name"))] if n],
        published_at=_iso(raw.get("date_published")),
        updated_at=_iso(raw.get("date_modified")),
        content_html=_text(raw.get("content_html"))
        or (_text_to_html(text) if text else None)
        or _text(raw.get("summary")),
        categories=[t for t in (_text(x) for x in _list(raw.get("tags"))[:20]) if t],
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text_to_html(text: str) -> str:
    from html import escape

    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())


def parse_opml(data: bytes, *, location: str, max_feeds: int = MAX_LIST_FEEDS) -> list[str]:
    """The feed addresses (``xmlUrl``) an OPML document lists, in order, without repeats,
    at most ``max_feeds`` of them. Addresses in a document fetched over HTTP are made
    absolute against it (what they lead to is the caller's to check)."""
    return read_opml(data, location=location, max_feeds=max_feeds).urls


def read_opml(data: bytes, *, location: str, max_feeds: int = MAX_LIST_FEEDS) -> FeedList:
    """As :func:`parse_opml`, saying also what the cap ``max_feeds`` left out."""
    with reading(FeedError, f"the OPML list {location}"):
        return _parse_opml(data, location, max_feeds)


def _parse_opml(data: bytes, location: str, max_feeds: int) -> FeedList:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed OPML {location}: {exc}") from exc
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise FeedError(f"{location} is not an OPML document (root <{root.tag}>)")
    seen: dict[str, None] = {}  # in order; a dict, so that a repeat is found at once
    for outline in root.iter("outline"):
        url = _absolute(location, outline.get("xmlUrl") or outline.get("xmlurl"))
        if url:
            seen.setdefault(url)
    if not seen:
        raise FeedError(f"OPML {location} lists no feeds (no outline with xmlUrl)")
    urls = list(seen)
    left_out = None
    if len(urls) > max_feeds:
        rest = urls[max_feeds:]
        first = tuple(rest[:NAMED])
        left_out = LeftOut(location, "feeds", max_feeds, len(rest), "fetch.max_list_feeds", first)
    return FeedList(urls[:max_feeds], left_out)
