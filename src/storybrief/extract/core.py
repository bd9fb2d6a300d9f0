"""The article in an HTML page or a plain text: a clean :class:`~storybrief.records.Article`.

HTML goes through trafilatura (body text plus title, authors, date, site name, canonical URL and
language); plain text is taken as it is, with a short first line read as the title. Both strip
feed boilerplate such as "The post … appeared first on …", which would otherwise end up in an
explainer as if it were a fact of the story.

How well the body text matches human-marked article bodies, beside plain trafilatura, is
measured by ``bench/extraction.py``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from ..errors import ExtractionError, reading
from ..records import Article
from ..settings import Settings
from ..text import looks_like_heading, normalise
from ..topics import from_categories
from .charset import decode_bytes
from .language import classify
from .limits import DeadlineExceeded, cap_elements, cap_tag_attributes, count_nodes, deadline
from .metadata import (
    date_only,
    date_params,
    markup_time,
    most_precise,
    page_metadata,
    warm_up,
)

__all__ = ["extract_html", "extract_text", "most_precise", "strip_feed_boilerplate"]

# "The post <title> appeared first on <site>." -- WordPress' feed footer. It may be glued to the
# last sentence ("...contributed.The post ...") when a feed drops the paragraph break.
_APPEARED_FIRST = re.compile(
    r"The post (?P<title>[^\n]+?) appeared first on (?P<site>[^\n]+?)\.?\s*$"
)
# Other lines that are never part of a story.
_BOILERPLATE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:click|tap) here to (?:subscribe|sign up|read more)\b.*$",
        r"^(?:subscribe|sign up) (?:to|for) (?:our|the) [\w\s]*newsletter\b.*$",
        r"^(?:read|see) (?:more|also)\s*:.*$",
        r"^(?:advertisement|continue reading below|story continues below)\.?$",
        r"^this (?:article|story) (?:was )?originally (?:appeared|published) (?:on|in) .*$",
    )
]
# Body text with more undecodable/control characters, or fewer letters and digits, is not text.
MAX_UNREADABLE_SHARE = 0.01
MIN_ALNUM_SHARE = 0.5
_UNREADABLE = {"Cc", "Co", "Cs", "Cn"}  # control, private use, surrogate, unassigned
_WHITESPACE = re.compile(r"\s+")  # str.isspace()
_NOT_ALNUM = re.compile(r"[\W_]+")  # what str.isalnum() is not
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace (not U+00A0)
_COLLAPSIBLE = re.compile(r"[\t\n\r\f]|  ")  # text that _SPACES would change
_KEEP_WHITESPACE = {"pre", "textarea", "listing", "plaintext", "script", "style"}
# How much of a page the second date search reads: the markup that dates a page (meta tags,
# <time>) comes early, and the search costs time in proportion to the page.
_DATE_SEARCH_CHARS = 500_000
# jusText's paragraph-making block elements, and how many of them a page may have for
# trafilatura to still try its fallback extractors on it (see _trafilatura).
_BLOCKS = (
    "blockquote", "caption", "center", "col", "colgroup", "dd", "div", "dl", "dt", "fieldset",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "legend", "li", "optgroup", "option", "p",
    "pre", "table", "td", "textarea", "tfoot", "th", "thead", "tr", "ul",
)  # fmt: skip
MAX_FALLBACK_BLOCKS = 2_000
# How much of the body language detection reads: on the 777 benchmark pages storybrief extracts
# (bench/extraction.py), 1,000 characters name the same language as 5,000 on every one, in a
# quarter of the time.
LANGUAGE_SAMPLE_CHARS = 1_000
# trafilatura's table text: the rule under a header row, and the separator between cells
# (a "|" inside a cell is written "\|").
_TABLE_RULE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_TABLE_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
# A page whose extracted text is mostly whole links (menus, lists of headlines) has no article.
MAX_LINK_SHARE = 0.5


def strip_feed_boilerplate(text: str) -> tuple[str, dict[str, str]]:
    """Remove feed and page boilerplate; return the clean text and what the boilerplate said
    (``title`` and ``site_name`` from "The post … appeared first on …")."""
    meta: dict[str, str] = {}
    match = _APPEARED_FIRST.search(text)
    if match:
        meta = {"title": match["title"].strip(), "site_name": match["site"].strip()}
        text = text[: match.start()].rstrip()
    lines = [
        line
        for line in text.split("\n")
        if not any(p.match(line.strip()) for p in _BOILERPLATE_LINES)
    ]
    return "\n".join(lines).strip(), meta


def extract_html(
    html: bytes | str,
    *,
    url: str | None = None,
    charset: str | None = None,
    settings: Settings | None = None,
    fallback: dict[str, Any] | None = None,
) -> Article:
    """The article in an HTML page. ``fallback`` (e.g. from a feed item) fills metadata the
    page does not carry. Raises :class:`ExtractionError` when the page has no article text.

    The body is trafilatura's balanced default without comments. Tables are kept (figures in
    them are facts of the story a checker can find), one row a line: a row of several cells
    as trafilatura writes it, ``| Greens | 12,400 |`` (explainers do not publish such a line
    as a sentence; ``explain.candidates``), a one-cell row -- a table used for layout -- as
    the paragraph it holds. There is deliberately no recall-oriented second pass for
    pages where it finds nothing: that pass takes footers and asides, so a login page with a
    cookie notice would pass for an article.

    Hostile pages are bounded: at most ``max_tag_attributes`` attributes per tag and
    ``max_page_elements`` elements reach trafilatura, at most ``max_text_chars`` characters in
    ``max_paragraphs`` paragraphs are kept, and it all takes at most ``extract.timeout``.
    """
    settings = settings or Settings()
    with _deadline(settings, "the page", "html"), reading(ExtractionError, "the page"):
        return _extract_html(html, url, charset, settings, fallback or {})


def _extract_html(
    html: bytes | str,
    url: str | None,
    charset: str | None,
    settings: Settings,
    fallback: dict[str, Any],
) -> Article:
    source = html if isinstance(html, str) else decode_bytes(html, charset)
    if not re.search(r"<(?:html|head|body)\b", source[:4096], re.IGNORECASE):
        source = f"<html><body>{source}</body></html>"  # a fragment, e.g. a feed item's content
    source, _ = cap_tag_attributes(source, settings.extract.max_tag_attributes)
    doc, links, markup_date = _trafilatura(source, url, settings.extract.max_page_elements)
    text = _body_text(doc)
    if doc is None or not text:
        raise ExtractionError("no article text found in the page")
    text, boiler = strip_feed_boilerplate(_cap_text(text, settings))
    text = _trim_link_lines(text, links)
    if len(text) < settings.extract.min_text_chars:
        raise ExtractionError(
            f"no article text found: only {len(text)} characters of body text "
            f"(extract.min_text_chars is {settings.extract.min_text_chars})"
        )
    _check_readable(text)
    share = _link_share(text, links)
    if share > MAX_LINK_SHARE:
        raise ExtractionError(
            f"no article text found: {share:.0%} of the page's text is links "
            "(a menu or a list of headlines, not an article)"
        )
    canonical = doc.url if doc.url and doc.url.startswith(("http://", "https://")) else None
    return _article(
        text,
        title=doc.title or boiler.get("title"),
        authors=_split_authors(doc.author),
        published_at=_published(doc.date, source, url, markup_date),
        site_name=doc.sitename or boiler.get("site_name"),
        url=url,
        canonical_url=canonical or url,
        language=doc.language,
        # the page's own section (article:section, category links); else the feed's category
        topic=from_categories(getattr(doc, "categories", None) or []),
        fallback=fallback,
    )


def extract_text(
    text: str,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    fallback: dict[str, Any] | None = None,
) -> Article:
    """An article from plain text. A short first line without closing punctuation is the title."""
    settings = settings or Settings()
    with _deadline(settings, "the text", "text"), reading(ExtractionError, "the text"):
        return _extract_text(text, settings, fallback or {})


def _extract_text(text: str, settings: Settings, fallback: dict[str, Any]) -> Article:
    # a first cut before tidying, which copies the text a few times over: tidying shrinks
    # whitespace, rarely to less than a quarter
    text = text[: settings.extract.max_text_chars * 4]
    text, boiler = strip_feed_boilerplate(_cap_text(_tidy(text), settings))
    title = None
    first, _, rest = text.partition("\n")
    if rest.strip() and _title_like(first):
        title, text = first.strip(), rest.strip()
    if len(text) < settings.extract.min_text_chars:
        raise ExtractionError(
            f"no article text found: only {len(text)} characters "
            f"(extract.min_text_chars is {settings.extract.min_text_chars})"
        )
    _check_readable(text)
    return _article(
        text,
        title=title or boiler.get("title"),
        authors=[],
        published_at=None,
        site_name=boiler.get("site_name"),
        url=None,
        canonical_url=None,
        language=None,
        fallback=fallback,
    )


#: What each kind of input loads before its first deadline starts, once (see _load_extractors).
_WARMED: set[str] = set()
_LOADING = threading.RLock()  # (the HTML warm-up warms the text one up)


def _load_extractors(kind: str) -> None:
    """Load what a ``kind`` of input (``"text"`` or ``"html"``) needs, once, before any
    deadline starts: a cold start is not the page's cost (and an import must never be cut
    off half way by one). Once in the process, whatever the threads: the fetcher's 8 threads
    each ran it at the start of a first feed (``functools.cache`` does not make them wait), and
    each loaded its own language model and jusText stop lists, ~690 MB at once.

    Plain text (a text file, a text posted to the API) needs the language model and the
    sentence splitter only; HTML (a page, a feed item's content) trafilatura and htmldate too.
    dateparser's other languages and jusText's stop lists are loaded by the first page that
    needs them (see :func:`_warm_html`, :func:`.metadata.warm_up`)."""
    if kind in _WARMED:
        return
    with _LOADING:
        if kind not in _WARMED:
            _WARM_UPS[kind]()
            _WARMED.add(kind)


def _warm_text() -> None:
    from ..text import split_sentences

    _detect_language("Warm the language model up.")
    split_sentences("Warm the sentence splitter up. Twice.", "en")


def _warm_html() -> None:
    import htmldate  # noqa: F401
    import trafilatura
    from trafilatura.utils import load_html  # noqa: F401

    _load_extractors("text")
    # a page with a paragraph: trafilatura's own extraction and readability's, not jusText's
    # (its stop lists of every language, ~33 MB, 0.2 s of CPU: loaded by the first page that
    # needs them; feed items, a paragraph or more, seldom do)
    trafilatura.bare_extraction(f"<html><body><article><p>{_WARM_TEXT}</p></article></body></html>")
    warm_up()


_WARM_TEXT = "A paragraph long enough for trafilatura to need no fallback but readability. " * 5


_WARM_UPS = {"text": _warm_text, "html": _warm_html}


@contextmanager
def _deadline(settings: Settings, what: str, kind: str) -> Iterator[None]:
    _load_extractors(kind)
    try:
        with deadline(settings.extract.timeout):
            yield
    except DeadlineExceeded:
        raise ExtractionError(
            f"extracting {what} took longer than {settings.extract.timeout:g} s "
            "(extract.timeout): too large or too complex"
        ) from None


def _cap_text(text: str, settings: Settings) -> str:
    """At most ``max_paragraphs`` lines and ``max_text_chars`` characters, cut at a line."""
    lines = text.split("\n", settings.extract.max_paragraphs)[: settings.extract.max_paragraphs]
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > settings.extract.max_text_chars + 1:
            if not kept:  # one huge paragraph: cut it at the last space before the cap
                kept.append(line[: settings.extract.max_text_chars].rsplit(" ", 1)[0])
            break
        kept.append(line)
    return "\n".join(kept)


def _trafilatura(
    source: str, url: str | None, max_elements: int
) -> tuple[Any, set[str], datetime | None]:
    """trafilatura's document for ``source`` (None when it finds nothing), the texts of the
    page's links, and the date its markup alone gives when the date found is a bare day (see
    :func:`_published`). Never ``deduplicate=True``: its cache is global and drops later pages'
    text."""
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(source)
        if tree is None:
            return None, set(), None
        cap_elements(tree, max_elements)
        # trafilatura's fallbacks (readability, jusText) take time in proportion to the
        # square of a page's blocks (jusText compares each short paragraph with all its
        # neighbours: 3,000 "<p>x</p>" take 20 s); a page with that many goes without them
        fast = count_nodes(tree, *_BLOCKS) > MAX_FALLBACK_BLOCKS
        # trafilatura prunes the tree it is given: read the links first.
        links = {_link_key("".join(a.itertext())) for a in tree.iter("a")} - {""}
        _collapse_whitespace(tree)
        meta = page_metadata(tree, url)
        date = _parse_date(meta.date)
        # before trafilatura prunes the tree (htmldate reads a copy of it)
        markup_date = None
        if url and date and date_only(date):
            markup_date = markup_time(tree) or _markup_date(tree)
        doc: Any = trafilatura.bare_extraction(
            tree,
            url=url or meta.url,
            include_comments=False,
            include_tables=True,
            fast=fast,
        )
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile input
        raise ExtractionError(f"cannot parse the HTML ({type(exc).__name__}: {exc})") from exc
    if doc is not None:
        doc.title, doc.author, doc.url = meta.title, meta.author, meta.url
        doc.date, doc.sitename = meta.date, meta.sitename
        doc.categories = meta.categories
    return doc, links, markup_date


def _body_text(doc: Any) -> str:
    return _table_rows(_tidy(doc.text or "")) if doc is not None else ""


def _table_rows(text: str) -> str:
    """trafilatura's table rows (``| a | b |``) without the header rule under the first row
    (``|---|---|``), and with a one-cell row written as the text it holds."""
    if "|" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        if line.startswith("|") and line.endswith("|"):
            if _TABLE_RULE.fullmatch(line):
                continue
            cells = _TABLE_CELL_SEPARATOR.split(line[1:-1].strip())
            if len(cells) == 1:
                line = cells[0].replace("\\|", "|").strip()
                if not line:
                    continue
        lines.append(line)
    return "\n".join(lines)


def _collapse_whitespace(tree: Any) -> None:
    """Whitespace runs in text become one space, as a browser shows them, so a paragraph
    hard-wrapped in the HTML source stays one line; ``<br>`` and blocks still break lines."""
    keep = {inner for outer in tree.iter(*_KEEP_WHITESPACE) for inner in outer.iter()}
    if keep:
        for element in tree.iter():
            text = element.text
            collapse = text and _COLLAPSIBLE.search(text) and isinstance(element.tag, str)
            if collapse and element not in keep:
                element.text = _SPACES.sub(" ", text)
            tail = element.tail
            if tail and _COLLAPSIBLE.search(tail) and element.getparent() not in keep:
                element.tail = _SPACES.sub(" ", tail)
        return
    search, sub = _COLLAPSIBLE.search, _SPACES.sub  # the same, for most pages: nothing to keep
    for element in tree.iter():
        text = element.text
        if text and search(text) and isinstance(element.tag, str):
            element.text = sub(" ", text)
        tail = element.tail
        if tail and search(tail):
            element.tail = sub(" ", tail)


def _check_readable(text: str) -> None:
    """Refuse text that is not language: undecodable bytes, control characters, or too few
    letters and digits (binary data, or a page decoded with the wrong charset)."""
    chars = _WHITESPACE.sub("", text)
    if not chars:
        raise ExtractionError("no article text found in the page")
    bad = chars.count("\ufffd")
    if not chars.isprintable():  # some control, private-use or unassigned characters (or Cf)
        bad = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in _UNREADABLE)
    alnum = len(_NOT_ALNUM.sub("", chars))
    if bad / len(chars) > MAX_UNREADABLE_SHARE or alnum / len(chars) < MIN_ALNUM_SHARE:
        raise ExtractionError(
            f"no article text found: the text is not readable ({bad / len(chars):.0%} "
            f"undecodable or control characters, {alnum / len(chars):.0%} letters and digits); "
            "binary data, or a wrong charset?"
        )


def _link_key(text: str) -> str:
    return " ".join(text.split()).casefold()  # (str.split's whitespace is re's \s)


def _is_link_line(line: str, links: set[str]) -> bool:
    return _link_key(line.lstrip("-•* ")) in links


def _trim_link_lines(text: str, links: set[str]) -> str:
    """Drop lines that are a whole link from the start and end of the body: breadcrumbs, menus,
    tags and "related stories" lists, which are not part of the story."""
    lines = text.split("\n")
    start, end = 0, len(lines)
    while start < end and _is_link_line(lines[start], links):
        start += 1
    while end > start and _is_link_line(lines[end - 1], links):
        end -= 1
    return "\n".join(lines[start:end])


def _link_share(text: str, links: set[str]) -> float:
    """Share of ``text``'s characters on lines that are a whole link (menus, related links)."""
    if not text or not links:
        return 0.0
    linked = sum(len(line) for line in text.split("\n") if _is_link_line(line, links))
    return linked / len(text)


def _article(text: str, *, fallback: dict[str, Any], **fields: Any) -> Article:
    for key, value in fallback.items():
        if not fields.get(key) and key in Article.model_fields:
            fields[key] = value
    fields["published_at"] = most_precise(fields.get("published_at"), fallback.get("published_at"))
    if not fields.get("language"):
        fields["language"] = _detect_language(text)
    return Article(text=text, fetched_at=datetime.now(timezone.utc), **fields)


_NOT_A_TITLE = re.compile(
    r"^(?:by|from|posted|published|updated|photo|image|video|advertisement|share|"
    r"filed under|listen)\b|^\W*$|^[\d\W]+$|\b(?:am|pm|gmt|utc|edt|est|bst)\b|\d:\d\d|"
    r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}\b",
    re.IGNORECASE,
)


def _title_like(line: str) -> bool:
    """Does a plain text's first line look like its title? A short line without closing
    punctuation (not a question) of at least two words, not a byline, a date or time, a
    share or photo line, nor a kicker in capitals ("WORLD NEWS")."""
    line = line.strip()
    words = line.split()
    if not looks_like_heading(line) or line.endswith("?") or len(words) < 2:
        return False
    if _NOT_A_TITLE.search(line):
        return False
    letters = [c for c in line if c.isalpha()]
    return not (letters and all(c.isupper() for c in letters))


def _tidy(text: str) -> str:
    """Normalise whitespace per line and drop empty lines; keep one paragraph per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    parts = re.split(r"\s*(?:;|,|\band\b|&)\s*", value)
    seen: dict[str, None] = {}
    for part in parts:
        name = re.sub(r"^by\s+", "", part.strip(), flags=re.IGNORECASE).strip()
        if name and normalise(name) not in (normalise(s) for s in seen):
            seen[name] = None
    return list(seen)


def _published(
    value: str | None, source: str, url: str | None, markup_date: datetime | None
) -> datetime | None:
    """The publication date trafilatura (htmldate) found. htmldate's last resort is a year alone
    -- a copyright notice, a bare "2024" -- given as 1 January, 00:00; such a date is kept only
    when the page's markup (meta tags, <time>, URL), searched without free text, gives it too.
    ``markup_date``: what the markup alone gives (:func:`_markup_date`), looked up when the
    date found is a bare day."""
    published = _parse_date(value)
    if published is not None and url and date_only(published):
        # a date-only find is often the URL's /2026/11/28/: the page's own markup may say when
        published = most_precise(published, markup_date)
    if published is None or not re.fullmatch(r"\d{4}-01-01(?:T00:00:00)?", value or ""):
        return published
    from htmldate import find_date

    try:
        confirmed = find_date(
            source[:_DATE_SEARCH_CHARS],
            url=url,
            **{**date_params(), "extensive_search": False},
        )
    except Exception:  # htmldate on hostile input; the date is optional
        return None
    return published if _parse_date(confirmed) == published else None


def _markup_date(source: Any) -> datetime | None:
    """The date the page's markup alone gives (meta tags, <time>, JSON-LD; not the URL), from
    its text or its parsed tree (which htmldate copies before it prunes)."""
    from htmldate import find_date

    try:
        return _parse_date(find_date(source, **{**date_params(), "extensive_search": False}))
    except Exception:  # htmldate on hostile input; the date is optional
        return None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _detect_language(text: str) -> str | None:
    return classify(text[:LANGUAGE_SAMPLE_CHARS])
