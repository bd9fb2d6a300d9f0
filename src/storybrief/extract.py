"""Extract: bytes or text in, a clean :class:`~storybrief.records.Article` out.

HTML goes through trafilatura (body text plus title, authors, date, site name, canonical URL and
language); plain text is taken as it is, with a short first line read as the title. Both strip
feed boilerplate such as "The post … appeared first on …", which would otherwise end up in an
explainer as if it were a fact of the story.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .errors import ExtractionError
from .records import Article
from .settings import Settings
from .text import looks_like_heading, normalise

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


def decode_bytes(data: bytes, declared_charset: str | None = None) -> str:
    """Text of ``data``: the declared charset when it decodes cleanly, UTF-8 when that does,
    otherwise charset-normalizer's best guess. Never raises for undecodable bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    for encoding in (declared_charset, "utf-8"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("utf-8", errors="replace")


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
    page does not carry. Raises :class:`ExtractionError` when the page has no article text."""
    import trafilatura

    settings = settings or Settings()
    fallback = fallback or {}
    source = html if isinstance(html, str) else decode_bytes(html, charset)
    try:
        doc = trafilatura.bare_extraction(
            source,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile input
        raise ExtractionError(f"cannot parse the HTML ({type(exc).__name__}: {exc})") from exc
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page")
    text, boiler = strip_feed_boilerplate(_tidy(doc.text))
    if len(text) < settings.min_text_chars:
        raise ExtractionError(
            f"no article text found: only {len(text)} characters of body text "
            f"(min_text_chars is {settings.min_text_chars})"
        )
    canonical = doc.url if doc.url and doc.url.startswith(("http://", "https://")) else None
    return _article(
        text,
        title=doc.title or boiler.get("title"),
        authors=_split_authors(doc.author),
        published_at=_parse_date(doc.date),
        site_name=doc.sitename or boiler.get("site_name"),
        url=url,
        canonical_url=canonical or url,
        language=doc.language,
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
    fallback = fallback or {}
    text, boiler = strip_feed_boilerplate(_tidy(text))
    title = None
    first, _, rest = text.partition("\n")
    if rest.strip() and looks_like_heading(first) and not first.rstrip().endswith("?"):
        title, text = first.strip(), rest.strip()
    if len(text) < settings.min_text_chars:
        raise ExtractionError(
            f"no article text found: only {len(text)} characters "
            f"(min_text_chars is {settings.min_text_chars})"
        )
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


def _article(text: str, *, fallback: dict[str, Any], **fields: Any) -> Article:
    for key, value in fallback.items():
        if not fields.get(key) and key in Article.model_fields:
            fields[key] = value
    if not fields.get("language"):
        fields["language"] = _detect_language(text)
    return Article(text=text, fetched_at=datetime.now(timezone.utc), **fields)


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
    try:
        import py3langid as langid
    except ImportError:  # pragma: no cover - a core dependency
        return None
    lang, _score = langid.classify(text[:5000])
    return str(lang) if lang else None
