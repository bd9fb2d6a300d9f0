"""A page's metadata: title, author, canonical URL, date, site name and categories, found the
way ``trafilatura.metadata.extract_metadata`` finds them, without the tags and licence it also
looks for (never used), and faster.

What makes it faster (the same metadata on every page of bench/extraction.py):

* the author search runs on the page's tree rather than on a pruned copy of it, and tests
  trafilatura's expressions only on the few elements whose attributes could satisfy them (see
  :func:`author`);
* the search for category links runs only on pages that link to a category;
* dateparser, which htmldate asks last, loads English once per process (:func:`warm_up`),
  not inside the first page's time limit; its other languages when a page needs them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from lxml.etree import XPath

__all__ = [
    "author",
    "categories",
    "date_only",
    "date_params",
    "markup_time",
    "most_precise",
    "page_metadata",
    "warm_up",
]


@functools.cache
def _discard_tests() -> tuple[Any, Any] | None:
    """XPaths that tell, for one element, whether ``extract_author``'s pruning removes it (it or
    an ancestor matches ``AUTHOR_DISCARD_XPATHS``) and whether it removes something inside it;
    built from trafilatura's own expressions. None when those no longer have the shape this
    expects (then :func:`author` leaves it all to trafilatura)."""
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    paths = [" ".join(xpath.path.split()) for xpath in AUTHOR_DISCARD_XPATHS]
    if len(paths) != 2 or not paths[0].startswith(".//*[") or paths[1] != "//time|//figure":
        return None
    tests = paths[0][4:]  # the predicates: [self::a or ...][@id='comments' or ...]
    namespaces = {"re": "http://exslt.org/regular-expressions"}
    # (.//* does not match the root, and a root cannot be removed anyway: [parent::*])
    return (
        XPath(
            f"ancestor-or-self::*[parent::*]{tests}|ancestor-or-self::time"
            "|ancestor-or-self::figure",
            namespaces=namespaces,
        ),
        XPath(f"descendant::*{tests}|descendant::time|descendant::figure", namespaces=namespaces),
    )


# The category links trafilatura.metadata.extract_catstags("category", ...) keeps.
_CATEGORY_LINK = XPath("//a[contains(@href, '/categor')]")
_SECTION_META = XPath(
    './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'
)


def date_params() -> dict[str, Any]:
    """htmldate's settings as trafilatura sets them, keeping the time of day when pages give it,
    with one change: the page's own meta tags and JSON-LD are read before its URL's date.

    htmldate otherwise returns a date in the URL (``/2026/11/26/``) before reading anything
    else, and a URL's date is the day its address was made, at 00:00, which is not always the
    day the article came out: in issue 30's three-outlet site 12 of 121 articles were dated a
    day or two early by their URL while ``article:published_time``, the feed's ``pubDate`` and
    the byline agreed on a later time. The URL's date stays the answer when the page's meta
    tags and JSON-LD give none."""
    return {
        "original_date": True,
        "extensive_search": True,
        "deferred_url_extractor": True,
        "max_date": datetime.now().astimezone().strftime("%Y-%m-%d"),
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }


#: How far a full time (the feed's ``pubDate``, a ``<time>`` of the page) may be from a bare
#: day (a URL's date) and still replace it: the two days before and after, with time zones.
CLOSE_ENOUGH = timedelta(days=4)


def most_precise(page: datetime | None, other: datetime | None) -> datetime | None:
    """The publication time to keep: the page's, unless it is a bare day (00:00, as a date in
    the URL gives) and the other source (the feed's ``pubDate``, the time the page's markup
    gives) names a full time within :data:`CLOSE_ENOUGH` of it. A full time says more than a
    day, and a URL's day can be off by a day or two (see :func:`date_params`); one weeks away
    is more likely a re-published feed item than the article's time."""
    if page is None or other is None or not isinstance(other, datetime):
        return page or (other if isinstance(other, datetime) else None)
    close = abs(other - page) <= CLOSE_ENOUGH
    return other if date_only(page) and not date_only(other) and close else page


_TIMES = XPath("//time[@datetime]")
_PUBLISHED = re.compile(r"publish|pubdate|posted|created", re.IGNORECASE)
_UPDATED = re.compile(r"updat|modif|edited", re.IGNORECASE)


def markup_time(tree: Any) -> datetime | None:
    """The full publication time a byline's ``<time datetime="...">`` gives (htmldate reads
    such an element as a day alone): the first marked as the publication's (by its own or its
    parents' attributes: "published", "pubdate", "posted"), else the first not marked as an
    update; None when no element gives a time of day."""
    found: list[tuple[int, datetime]] = []
    for element in _TIMES(tree)[:20]:
        value = element.get("datetime", "").strip()
        if len(value) < 16 or value[10] not in "T ":  # a day alone says nothing new
            continue
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if date_only(when):
            continue
        near = (element, *itertools.islice(element.iterancestors(), 4))
        marks = " ".join(" ".join(e.attrib.values())[:500] for e in near)
        rank = 0 if _PUBLISHED.search(marks) else 2 if _UPDATED.search(marks) else 1
        found.append((rank, when))
    best = min(found, key=lambda r: r[0], default=None)
    return best[1] if best is not None and best[0] < 2 else None


def date_only(value: datetime) -> bool:
    """Whether ``value`` is a bare day (00:00:00), as a date without a time is read."""
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def warm_up() -> None:
    """Load what the first page would otherwise load inside its time limit: dateparser, which
    htmldate asks last, builds its patterns for a language the first time it reads a date in
    it. English here (0.15 s of CPU); the others when a page first needs them (the first date
    that is in none: all 205, 1.9 s and ~60 MB, once a process). A stream of feed items may
    never need them (600 NeuS items: not one date left to dateparser); the pages of
    bench/extraction.py need them within their first few hundred."""
    from htmldate.extractors import get_external_parser

    get_external_parser().get_date_data("1 January 2000")


def page_metadata(tree: Any, url: str | None) -> Any:
    """The metadata storybrief keeps (title, author, canonical URL, date, site name, and the
    categories a story's topic comes from) as a trafilatura ``Document``."""
    from htmldate import find_date
    from trafilatura import metadata as tm

    meta = tm.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reading fails on some pages
        meta = tm.extract_meta_json(tree, meta)
    meta.title = meta.title or tm.extract_title(tree)
    meta.author = meta.author or author(tree)
    meta.url = meta.url or tm.extract_url(tree, url)
    meta.date = find_date(tree, **{**date_params(), "url": meta.url})
    meta.sitename = meta.sitename or tm.extract_sitename(tree)
    if not meta.categories:  # category links, else article:section (topics.from_categories)
        meta.categories = categories(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url:
        match = tm.META_URL.match(meta.url)
        if match:
            meta.sitename = match[1]
    meta.clean_and_trim()
    return meta


def author(tree: Any) -> str | None:
    """``trafilatura.metadata.extract_author(tree)``: the first element marked as an author's
    (its ``AUTHOR_XPATHS``), left out if it is in comments, a date or a figure (its
    ``AUTHOR_DISCARD_XPATHS``), whose text is 3-119 characters long.

    trafilatura copies the whole tree and prunes the copy before it searches; here the search
    runs on the tree itself and each element found is tested for being pruned. An element
    with something pruned inside it would read differently in the pruned copy: for such a
    page, trafilatura's own function is asked."""
    from trafilatura.metadata import extract_author, normalize_authors
    from trafilatura.utils import trim

    tests = _discard_tests()
    if tests is None:
        return extract_author(tree)  # pragma: no cover - another trafilatura's expressions
    pruned, prunes_inside = tests
    for element in _author_elements(tree):
        if pruned(element):
            continue
        if prunes_inside(element):
            return extract_author(tree)
        content = trim(" ".join(element.itertext()))
        if content and 2 < len(content) < 120:
            return normalize_authors(None, content)
    return None


# Every literal that trafilatura's AUTHOR_XPATHS compare an attribute with (=, contains(),
# re:test(), all case-sensitive) holds one of these; the expressions' other ways to match are
# an <author> element and a <rel> child element ("rel='me'"). Valid for the expressions whose
# digest is _AUTHOR_XPATHS_DIGEST only: they were read for it.
_AUTHOR_WORDS = re.compile(
    "uthor|yline|byl|BBL|username|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by"
    "|journalist-name|screenname|writer"
)
_AUTHOR_XPATHS_DIGEST = "d521bcedc11f3a64"
# The elements with an attribute those expressions read, an <author> or a <rel> child.
_AUTHOR_CANDIDATES = XPath(
    "//*[@class or @id or @rel or @itemprop or @data-testid or @data-component or rel]|//author"
)


@functools.cache
def _author_tests() -> list[Any] | None:
    """trafilatura's AUTHOR_XPATHS as tests of one element (``//*[..]`` -> ``self::*[..]``), in
    their order; None when the expressions are not the ones :data:`_AUTHOR_WORDS` was read
    from (then every expression is run on the whole tree)."""
    from trafilatura.xpaths import AUTHOR_XPATHS

    paths = [" ".join(xpath.path.split()) for xpath in AUTHOR_XPATHS]
    if _digest(paths) != _AUTHOR_XPATHS_DIGEST:
        return None  # pragma: no cover - another trafilatura's expressions
    namespaces = {"re": "http://exslt.org/regular-expressions"}
    return [
        XPath(
            path.replace("//*[", "self::*[").replace("|//author", "|self::author"),
            namespaces=namespaces,
        )
        for path in paths
    ]


def _digest(paths: list[str]) -> str:
    return hashlib.blake2b("\n".join(paths).encode(), digest_size=8).hexdigest()


def _author_elements(tree: Any) -> Iterator[Any]:
    """What ``for expression in AUTHOR_XPATHS: yield from expression(tree)`` gives, found by
    testing each expression on the elements that could match it rather than on every element
    of the page (each expression walks the whole tree: a third of the metadata's time)."""
    from trafilatura.xpaths import AUTHOR_XPATHS

    tests = _author_tests()
    if tests is None:  # pragma: no cover - another trafilatura's expressions
        for expression in AUTHOR_XPATHS:
            yield from expression(tree)
        return
    candidates = [
        element
        for element in _AUTHOR_CANDIDATES(tree)
        if _AUTHOR_WORDS.search(" ".join(element.attrib.values()))
        or element.tag == "author"
        or element.find("rel") is not None
    ]
    for test in tests:
        for element in candidates:
            if test(element):
                yield element


def categories(tree: Any) -> list[str]:
    """``trafilatura.metadata.extract_catstags("category", tree)``, its link search skipped on
    pages without a link to a category."""
    from trafilatura.metadata import extract_catstags
    from trafilatura.utils import line_processing

    if _CATEGORY_LINK(tree):
        return extract_catstags("category", tree)
    sections = (element.attrib["content"] for element in _SECTION_META(tree))
    return [r for r in dict.fromkeys(line_processing(x) for x in sections if x) if r]
