"""Text utilities shared by every stage: sentence segmentation with character spans,
normalisation for duplicate detection, and headings inside article bodies.

Sentences are the unit of citation: an article's sentences are numbered from 0 in reading
order, and each keeps its character span in the stored article text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    text: str
    start: int  # character offsets into the article text: text == body[start:end]
    end: int
    is_heading: bool = False


_TERMINAL = ".!?…\"”’'):;"


def looks_like_heading(line: str) -> bool:
    """A short line without terminal punctuation, e.g. "Why It Matters" or "What Happens Next?"
    (a question of a few title-cased words counts too)."""
    line = line.strip()
    words = line.split()
    if not words or len(words) > 10 or len(line) > 80:
        return False
    if line.endswith("?"):
        capitalised = sum(1 for w in words if w[:1].isupper())
        return len(words) <= 6 and capitalised >= max(1, len(words) - 2)
    return line[-1] not in _TERMINAL


@lru_cache(maxsize=4)
def _segmenter(language: str):  # type: ignore[no-untyped-def]
    import pysbd

    try:
        return pysbd.Segmenter(language=language, clean=False, char_span=True)
    except ValueError:  # pysbd does not know this language: English rules are a fair default
        return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str, language: str | None = None) -> list[Sentence]:
    """Split an article body into sentences with their character spans.

    Paragraphs (lines) are segmented separately, so a heading line never merges with the
    sentence after it; pysbd handles quotes, abbreviations ("U.S.", "Jan.") and decimals.
    """
    segmenter = _segmenter((language or "en").split("-")[0].lower())
    out: list[Sentence] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if not line.strip():
            continue
        base = match.start()
        if looks_like_heading(line):
            lead = len(line) - len(line.lstrip())
            out.append(
                Sentence(len(out), line.strip(), base + lead, base + lead + len(line.strip()), True)
            )
            continue
        for span in segmenter.segment(line):
            raw = span.sent
            stripped = raw.strip()
            if not stripped:
                continue
            start = base + span.start + (len(raw) - len(raw.lstrip()))
            out.append(Sentence(len(out), stripped, start, start + len(stripped)))
    return out


_WS = re.compile(r"\s+")
_PUNCT_MAP = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """Case-, whitespace- and typography-insensitive form of a text."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()
    return _WS.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """Hash of the normalised body: two copies of one article hash alike."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 does not allow (feeds out, OPML out)."""
    return _NOT_XML.sub("", text)
