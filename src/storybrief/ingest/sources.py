"""Sources as the ingest run meets them: a file's bytes read within the byte cap, what a
document is (a feed, an OPML list, an HTML page or plain text) sniffed from its declared type,
first bytes and name, and the sources in what a pipe gives (``storybrief ingest -``)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..errors import SourceError
from ..extract import decode_bytes
from .feed_parser import is_web_url

Kind = Literal["feed", "opml", "html", "text"]
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
)


@dataclass(frozen=True)
class Document:
    """Bytes from a file or URL with what is known about them."""

    location: str
    data: bytes
    content_type: str | None = None
    charset: str | None = None
    final_url: str | None = None


def read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise SourceError(f"{path} is not a file")
        if size > max_bytes:
            raise SourceError(
                f"{path} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap "
                "(fetch.max_bytes)"
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from exc


# UTF-32 before UTF-16: their little-endian marks start alike
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _head(data: bytes, size: int) -> bytes:
    """The first ``size`` bytes of ``data`` as UTF-8: a UTF-16 or UTF-32 document with a
    byte-order mark (whose NUL bytes would pass for binary data) is decoded first."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            width = 4 if "32" in codec else 2
            wide = data[len(bom) : len(bom) + size * width]
            return wide.decode(codec, errors="replace").encode()[:size]
    return data[:size]


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KB: not a text document."""
    head = _head(data, 8192)
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and controls / len(head) > 0.05


def sniff(doc: Document) -> Kind:
    """What a document is, from its declared type, its first bytes and its name."""
    start = _head(doc.data, 4096)
    head = start[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    ctype = doc.content_type or ""
    if ctype in _FEED_TYPES or (head[:1] == b"{" and b"jsonfeed.org" in start):
        return "feed"
    if b"<opml" in head or ctype == "text/x-opml":
        return "opml"
    if any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    if ctype in ("text/html", "application/xhtml+xml") or any(
        tag in head for tag in (b"<!doctype html", b"<html", b"<head", b"<body", b"<article")
    ):
        return "html"
    name = (doc.final_url or doc.location).lower().split("?")[0]
    if name.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if name.endswith((".xml", ".rss", ".atom")) or ctype in ("application/xml", "text/xml"):
        return "feed"
    return "text"


def input_sources(
    data: bytes, *, max_bytes: int, location: str = "standard input"
) -> list[str | Document]:
    """What ``storybrief ingest -`` reads: http(s) URLs, one per line (blank lines and lines
    starting with ``#`` skipped), or one document — an HTML page, a feed (RSS, Atom, JSON
    Feed), an OPML list, or plain text. Input that starts like a URL list must be one."""
    if len(data) > max_bytes:
        raise SourceError(f"{location} is over the {max_bytes / 1e6:.0f} MB cap (fetch.max_bytes)")
    empty = SourceError(
        f"{location} is empty: give http(s) URLs, one per line, or one document "
        "(an HTML page, a feed, an OPML list or plain text)"
    )
    if not data.strip():
        raise empty
    doc = Document(location, data)
    if sniff(doc) != "text" or looks_binary(data):
        return [doc]  # a binary one fails as any file would, with the reason
    text = decode_bytes(data, None)
    if not text.strip():  # a byte-order mark and white space, say
        raise empty
    lines = [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if not lines:  # comments only: a text, which extraction judges
        return [doc]
    first = lines[0][1].lower()
    if "://" not in first and not first.startswith("www."):
        return [doc]  # plain text: an article
    for n, line in lines:
        if not is_web_url(line) or not urlsplit(line).netloc or any(c.isspace() for c in line):
            raise SourceError(
                f"{location}, line {n}: {line[:100]!r} is not an http(s) URL (give URLs "
                "one per line, or one document: an HTML page, a feed or plain text)"
            )
    return list(dict.fromkeys(line for _, line in lines))
