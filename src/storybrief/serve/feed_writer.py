"""Feeds out: RSS 2.0 and Atom documents of new and updated explainers (each stored version is
an entry), built with ElementTree so every text is escaped.

Text that came from sources can hold anything: characters XML 1.0 forbids (control
characters such as ``\x01`` or ``\x1b``, ``\ufffe``) are dropped, or the whole feed would be
unreadable; and an RSS ``<description>`` is HTML to feed readers, so it carries the summary
as escaped plain text, never as markup.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..text import xml_text
from ..views import first_line

if TYPE_CHECKING:
    from ..store import StoredExplainer

ATOM_NS = "http://www.w3.org/2005/Atom"


def _headline(e: StoredExplainer) -> str:
    return xml_text(str(e.document.get("headline") or f"Story {e.story_id}"))


def _summary(e: StoredExplainer) -> str:
    """What's Happening as one paragraph, then the AI label."""
    sections = e.document.get("sections") or []
    if sections and sections[0].get("sentences"):
        text = " ".join(s["text"] for s in sections[0]["sentences"])
    else:
        text = first_line(e.document) or ""
    return xml_text(f"{text} (AI Generated Content, version {e.version})".strip())


def _link(base: str, e: StoredExplainer) -> str:
    return f"{base}/stories/{e.story_id}?version={e.version}"


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def rss(explainers: list[StoredExplainer], *, base: str, title: str) -> bytes:
    base, title = xml_text(base), xml_text(title)
    root = ET.Element("rss", version="2.0", attrib={"xmlns:atom": ATOM_NS})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = f"{title}: explainers"
    ET.SubElement(channel, "link").text = f"{base}/"
    ET.SubElement(
        channel, "description"
    ).text = "New and updated news explainers; every sentence cites its sources."
    ET.SubElement(
        channel,
        "atom:link",
        href=f"{base}/feeds/explainers.rss",
        rel="self",
        type="application/rss+xml",
    )
    if explainers:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(
            _utc(max(e.created_at for e in explainers))
        )
    for e in explainers:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _headline(e)
        ET.SubElement(item, "link").text = _link(base, e)
        ET.SubElement(item, "guid", isPermaLink="true").text = _link(base, e)
        ET.SubElement(item, "pubDate").text = format_datetime(_utc(e.created_at))
        # readers take the description as HTML: escape it once more, so it shows as text
        ET.SubElement(item, "description").text = html.escape(_summary(e), quote=False)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class MovedEntry:
    """A story's split or merge, for its feed: the kind, when, and the successors (id, title)."""

    kind: str
    at: datetime | None
    successors: list[tuple[int, str]]


def atom(
    explainers: list[StoredExplainer],
    *,
    base: str,
    title: str,
    path: str = "/feeds/explainers.atom",
    subject: str = "explainers",
    page: str = "/",
    moved: MovedEntry | None = None,
) -> bytes:
    """An Atom feed of these explainer versions: the site's (``/feeds/explainers.atom``), a
    story's (``path`` and ``page`` of that story, one entry per version) or a topic's. A
    story that split or merged (``moved``) gets an entry first saying so, linking to the
    stories that hold its articles now."""
    ET.register_namespace("", ATOM_NS)
    base, title, subject = xml_text(base), xml_text(title), xml_text(subject)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "title", f"{title}: {subject}")
    sub(feed, "id", f"{base}{path}")
    sub(feed, "link", href=f"{base}{path}", rel="self")
    sub(feed, "link", href=f"{base}{page}", rel="alternate", type="text/html")
    newest = max((e.created_at for e in explainers), default=datetime(1970, 1, 1, tzinfo=UTC))
    if moved is not None and moved.at is not None:
        newest = max(newest, _utc(moved.at))
    sub(feed, "updated", _utc(newest).isoformat())
    author = sub(feed, "author")
    sub(author, "name", title)
    if moved is not None:
        entry = sub(feed, "entry")
        names = "; ".join(xml_text(t) for _, t in moved.successors)
        if moved.kind == "split":
            heading = f"This story split into {len(moved.successors)} stories"
            text = f"It held more than one event; each is now a story of its own: {names}."
        else:
            heading = "This story continues in another story"
            text = f"It was the same event as another story, which holds its articles: {names}."
        sub(entry, "title", heading)
        sub(entry, "id", f"{base}{page}#moved")
        for story_id, _ in moved.successors:
            sub(entry, "link", href=f"{base}/stories/{story_id}", rel="related", type="text/html")
        sub(entry, "updated", _utc(moved.at or newest).isoformat())
        sub(entry, "summary", text)
    for e in explainers:
        entry = sub(feed, "entry")
        sub(entry, "title", _headline(e))
        sub(entry, "id", _link(base, e))
        sub(entry, "link", href=_link(base, e), rel="alternate", type="text/html")
        sub(entry, "updated", _utc(e.created_at).isoformat())
        sub(entry, "summary", _summary(e))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
