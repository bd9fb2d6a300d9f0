"""Topic labels a reader understands ("Politics", "World", "Science"), derived from what an
article's publisher says about it: the feed item's categories first, else the section path of
its URL (``/world/europe/...`` → "World"). A story's topic is the label most of its articles
carry (see :mod:`storybrief.store.stories`); each label has a slug for its page and feed.

Publishers name one section many ways ("Globe", "International", "World News"; "Money",
"Economy", "Business"), so a publisher's section is filed under one of a small set of reader
sections by one written rule (:func:`section`):

1. the section name is read as lower-case words (anything but letters and digits separates
   them), "and" is left out, and trailing words that name no subject ("news", "live",
   "latest", "today", "updates") are dropped: "World News" → "world";
2. if the whole name, else its last two words, else its last word is one of the names listed
   for a reader section in :data:`SECTIONS`, the topic is that section: "Globe" → World,
   "US Politics" → Politics (English compounds name their kind last), "Science & Environment"
   → Science;
3. any other name stays as the publisher writes it ("Harbour news", "US News", "Weather").

:data:`SECTIONS` is a general English table, not fitted to any one site: the topics of
Google News's sections (World, the reader's own country as "National", Business, Technology,
Entertainment, Sports, Science, Health) and the sections most English-language newspapers
also keep (Politics, Local, Opinion, Lifestyle, Crime, Education), each with the names
newspapers commonly give it. Country names are not listed: "US" is the national section of
an American paper and world news in a British one.
"""

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
#: The reader sections and the names publishers give each (lower-case words; see the rule
#: in the module's docstring).
SECTIONS: dict[str, tuple[str, ...]] = {
    "World": (
        "world", "globe", "global", "international", "foreign", "abroad", "worldnews",
        "europe", "asia", "africa", "americas", "middle east", "asia pacific", "latin america",
        "oceania",
    ),
    "National": ("nation", "national", "domestic", "home news"),
    "Local": ("local", "metro", "regional", "region", "community", "communities"),
    "Politics": (
        "politics", "political", "government", "elections", "election", "campaign",
        "white house", "congress", "parliament", "westminster",
    ),
    "Business": (
        "business", "economy", "economics", "money", "finance", "financial", "markets",
        "market", "companies", "industry", "personal finance", "banking", "investing",
        "wall street", "trade", "jobs",
    ),
    "Technology": (
        "technology", "tech", "digital", "internet", "gadgets", "computing", "cyber",
        "cybersecurity",
    ),
    "Science": ("science", "space", "environment", "climate", "climate change", "nature"),
    "Health": (
        "health", "medicine", "medical", "wellness", "wellbeing", "well being", "coronavirus",
        "covid",
    ),
    "Sports": (
        "sport", "sports", "football", "soccer", "cricket", "tennis", "golf", "rugby",
        "basketball", "baseball", "hockey", "athletics", "olympics", "formula 1", "f1", "nfl",
        "nba", "mlb", "nhl", "boxing", "cycling", "motorsport",
    ),
    "Entertainment": (
        "entertainment", "arts", "culture", "music", "film", "films", "movies", "tv",
        "television", "books", "celebrity", "showbiz", "theatre", "theater",
    ),
    "Lifestyle": (
        "lifestyle", "life", "living", "travel", "food", "style", "fashion", "home garden",
    ),
    "Opinion": (
        "opinion", "opinions", "comment", "commentary", "editorial", "editorials", "op ed",
        "columns", "columnists", "views", "letters",
    ),
    "Crime": ("crime", "courts", "justice", "police"),
    "Education": ("education", "schools", "universities"),
}  # fmt: skip
_SECTION_OF = {name: label for label, names in SECTIONS.items() for name in names}
# trailing words that name no subject ("World News", "Business Live")
_NO_SUBJECT = frozenset(["news", "live", "latest", "today", "update", "updates", "now"])
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


def section(label: str) -> str:
    """The reader section a publisher's section name is filed under, or the name itself when
    it names none (the rule is in the module's docstring): "Globe" → "World", "Money" →
    "Business", "US Politics" → "Politics", "Harbour news" → "Harbour news"."""
    words = [w for w in re.split(r"[\W_]+", label.casefold()) if w and w != "and"]
    while len(words) > 1 and words[-1] in _NO_SUBJECT:
        words.pop()
    for tail in (words, words[-2:], words[-1:]):
        found = _SECTION_OF.get(" ".join(tail))
        if found:
            return found
    return label


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
        return section(_label(text))
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
        return section(_label(name))
    return None


def topic_of(categories: Iterable[str] = (), url: str | None = None) -> str | None:
    """An article's topic: from its categories, else its URL's section, else None."""
    return from_categories(categories) or from_url(url)


def dominant(labels: Iterable[str | None]) -> str | None:
    """The label most articles carry (ties: the one seen first); None when none has one.
    Labels that differ only in case or punctuation count as one, and each is filed under its
    reader section first (:func:`section`; labels stored before it are filed when their story
    is counted again)."""
    seen: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for label in labels:
        if not label:
            continue
        label = section(label)
        key = slug(label)
        if not key:
            continue
        seen.setdefault(key, label)
        counts[key] += 1
    if not counts:
        return None
    best = max(counts.values())
    return next(seen[k] for k in seen if counts[k] == best)
