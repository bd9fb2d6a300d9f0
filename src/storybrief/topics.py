"""Topic labels a reader understands ("Politics", "World", "Science"), derived from what an
article's publisher says about it: the feed item's categories first, else the section path of
its URL (``/world/europe/...`` → "World"). A story's topic is the label most of its articles
carry (see :mod:`storybrief.store.stories`); each label has a slug for its page and feed."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MAX_LABEL = 40

# URL path segments that name no section: containers, languages, formats, feeds, ids
_NOT_SECTIONS = frozenset(
    [
        "news",
        "article",
        "articles",
        "story",
        "stories",
        "post",
        "posts",
        "content",
        "contents",
        "item",
        "items",
        "p",
        "a",
        "id",
        "amp",
        "www",
        "index",
        "default",
        "home",
        "feed",
        "feeds",
        "rss",
        "atom",
        "blog",
        "blogs",
        "en",
        "us-en",
        "en-us",
        "en-gb",
        "uk-en",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pt",
        "ru",
        "ja",
        "zh",
        "html",
        "htm",
        "php",
        "asp",
        "aspx",
        "jsp",
        "cms",
        "live",
        "video",
        "videos",
        "audio",
        "gallery",
        "galleries",
        "photo",
        "photos",
        "pictures",
        "topic",
        "topics",
        "tag",
        "tags",
        "category",
        "categories",
        "section",
        "sections",
        "latest",
        "breaking",
        "top",
        "headlines",
        "read",
        "view",
        "page",
        "pages",
        "m",
        "mobile",
        "print",
        "world-news",
    ]
)
# words written in capitals in a label
_UPPER = frozenset(
    [
        "us",
        "uk",
        "eu",
        "un",
        "uae",
        "nhs",
        "nfl",
        "nba",
        "mlb",
        "nhl",
        "fifa",
        "uefa",
        "ai",
        "it",
        "tv",
        "bbc",
        "cnn",
        "nasa",
    ]
)
# categories that say nothing a reader could follow
_GENERIC = frozenset(
    [
        "news",
        "uncategorized",
        "uncategorised",
        "general",
        "misc",
        "miscellaneous",
        "other",
        "default",
        "latest",
        "breaking",
        "top",
        "stories",
        "story",
        "article",
        "articles",
        "featured",
        "feature",
        "home",
        "main",
        "all",
    ]
)
_WORD = re.compile(r"^[^\W\d_]+(?:[-_ ][^\W\d_]+)*$")
_TRAILING_ID = re.compile(r"(?:[-_]\d+)+$")


def slug(label: str) -> str:
    """``"Science & Environment"`` → ``"science-environment"``; ASCII, lower case."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:80]


def _label(words: str) -> str:
    """A label from a section name or category: words capitalised (known abbreviations in
    capitals), whitespace collapsed, at most ``MAX_LABEL`` characters."""
    text = " ".join(words.replace("_", " ").split())
    if text.islower() or text.isupper():  # "world-europe", "POLITICS": written as a label
        text = " ".join(
            w.upper() if w.lower() in _UPPER else w.capitalize()
            for w in text.replace("-", " ").split()
        )
    return text[:MAX_LABEL].strip()


def from_categories(categories: Iterable[str]) -> str | None:
    """The first category that reads as a topic: words (no ids, paths or dates), not generic,
    short enough to be a label."""
    for raw in categories:
        text = " ".join(str(raw).split())
        if "/" in text:  # "News/World/Europe": the most specific part that names a topic
            parts = [p for p in text.split("/") if p.strip()]
            text = next(
                (p.strip() for p in reversed(parts) if p.strip().lower() not in _GENERIC), ""
            )
        if not text or len(text) > MAX_LABEL or not re.search(r"[^\W\d_]", text):
            continue
        if text.lower() in _GENERIC or re.search(r"\d{3,}", text):
            continue
        return _label(text)
    return None


def from_url(url: str | None) -> str | None:
    """The section a URL's path names: its first segment that is a word (``/world/...``,
    ``/news/world-europe-68123456`` → "World Europe"), skipping containers, languages and
    dates; None for a URL without one (``/2024/05/01/story-title`` has none)."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    segments = [unquote(s) for s in path.split("/") if s]
    for position, segment in enumerate(segments[:3]):
        name = _TRAILING_ID.sub("", segment.lower())
        if position == len(segments) - 1 and name == segment.lower():
            return None  # the last segment names the article, unless it is section + id
        if name in _NOT_SECTIONS or not _WORD.match(name) or len(name) < 3:
            continue
        if len(name) > 30 or name.count("-") + name.count("_") > 2:
            return None  # a headline-like slug, not a section
        return _label(name)
    return None


def topic_of(categories: Iterable[str] = (), url: str | None = None) -> str | None:
    """An article's topic: from its categories, else its URL's section, else None."""
    return from_categories(categories) or from_url(url)


def dominant(labels: Iterable[str | None]) -> str | None:
    """The label most articles carry (ties: the one seen first); None when none has one.
    Labels that differ only in case or punctuation count as one."""
    seen: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for label in labels:
        if not label:
            continue
        key = slug(label)
        if not key:
            continue
        seen.setdefault(key, label)
        counts[key] += 1
    if not counts:
        return None
    best = max(counts.values())
    return next(seen[k] for k in seen if counts[k] == best)
