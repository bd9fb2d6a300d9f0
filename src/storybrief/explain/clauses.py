"""Clauses of source sentences, and whether two of them speak of the same thing: the shared
ground of the "sources differ" detectors for figures (:mod:`.differ_figures`) and for dates,
officials and speakers (:mod:`.differ_facts`).

A clause is the stretch of a sentence between clause breaks (commas outside numbers,
semicolons, dashes, "and", "while", "but"). Two clauses speak of the same thing when they share
content words and counted nouns, and neither names a period (a month, a year, "last week") or a
subject (a capitalised name) the other does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..text import stem


class Spanned(Protocol):
    """Anything found at a place in a sentence (a value, a date): its offsets."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


# Forecasts, targets and conditions: not reported facts.
CONDITIONAL = re.compile(
    r"\b(?:expect\w*|forecast\w*|project(?:ed|ion|ions|s)|predict\w*|anticipat\w*|"
    r"consensus|target\w*|goal|required|requires?|needs?|needed|threshold|will|would|could|"
    r"might|shall|"
    r"(?-i:may)|if|unless|plans?|planned|propos\w*|request\w*|seek\w*|sought|hopes?|aims?|"
    r"looking for|estimates? (?:of|for)|poll\w*|survey\w*)\b",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CLAUSE_END = re.compile(
    r"(?<!\d),|,(?!\d)|[;:()—–]|\s-\s|\b(?:and|while|whereas|but)\b", re.IGNORECASE
)
_MONTHS_TEXT = (
    "january february march april may june july august september october november december"
)
_MONTHS = _MONTHS_TEXT.split()
_MONTH_RE = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december|"
    r"(?-i:May))\b",
    re.I,
)
_YEAR_RE = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?!\d|,\d|%)")
# General words that say nothing about which quantity is meant.
_VAGUE_TEXT = (
    "about around nearly almost more than over under less fewer least some total number "
    "figure figures people percent cent per million billion thousand trillion new latest "
    "made make making another other report reported reports said says say according data "
    "also just only still now time rose rise rises rising fell fall falls falling increased "
    "decreased climbed jumped dropped declined grew gained lost added sank slipped surged "
    "tumbled"
)
_VAGUE = frozenset(_VAGUE_TEXT.split())
# A few general synonyms, so "prior week" and "previous week" read as one thing.
_SYNONYMS = {"prior": "previous", "preceding": "previous", "earlier": "previous"}


def clause_span(text: str, value: Spanned) -> tuple[int, int]:
    """The clause of ``text`` that holds ``value``: from the last clause break before it to
    the first after it (commas inside numbers do not count)."""
    start = 0
    for m in _CLAUSE_END.finditer(text, 0, value.start):
        start = m.end()
    end = len(text)
    for m in _CLAUSE_END.finditer(text, value.end):
        end = m.start()
        break
    while start < value.start and not text[start].isalnum() and text[start] not in "$£€":
        start += 1
    while end > value.end and not (text[end - 1].isalnum() or text[end - 1] in "%"):
        end -= 1
    return start, end


def snippet(text: str, value: Spanned, max_words: int = 14) -> tuple[int, int]:
    """A short verbatim stretch of the value's clause around it (offsets in ``text``)."""
    start, end = clause_span(text, value)
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) <= max_words:
        return start, end
    inside = [i for i, w in enumerate(words) if start + w.end() > value.start]
    first = inside[0] if inside else 0
    lo = max(0, first - 3)
    hi = min(len(words), lo + max_words)
    lo = max(0, hi - max_words)
    a, b = start + words[lo].start(), start + words[hi - 1].end()
    while b > value.end and not (text[b - 1].isalnum() or text[b - 1] in "%"):
        b -= 1
    return a, b


def _stems(text: str) -> set[str]:
    out = set()
    for w in _WORD.findall(text):
        low = w.lower().replace("’", "'")
        if low.endswith("'s"):
            low = low[:-2]
        low = _SYNONYMS.get(low, low)
        if len(low) < 3 or low in _VAGUE or low in _STOP:
            continue
        out.add(stem(low))
    return out


_STOP_TEXT = (
    "the and for that this with from was were are has have had its their his her they them "
    "which who whom what when where than then into onto upon been being will would could "
    "should may might can did does not nor yet"
)
_STOP = frozenset(_STOP_TEXT.split())


def _head(text: str, value: Spanned) -> str | None:
    """The noun a number counts: the first content word right after it ("212,672 migrants",
    "a 13 percent increase")."""
    for w in _WORD.findall(text[value.end : value.end + 40])[:2]:
        low = _SYNONYMS.get(w.lower(), w.lower())
        if low in _STOP or low in ("of", "in", "on", "to", "a", "an", "at", "by"):
            return None
        if low not in _VAGUE:
            return stem(low)
    return None


_PERIODS: list[tuple[str, re.Pattern[str]]] = [
    (
        "previous",
        re.compile(
            r"\b(?:previous|prior|preceding) (?:week|month|year|quarter|day)|"
            r"\b(?:a|one) (?:week|month|year|quarter) (?:earlier|before)",
            re.I,
        ),
    ),
    ("latest", re.compile(r"\b(?:last|this|past) (?:week|month|year|quarter)\b", re.I)),
    (
        "intraday",
        re.compile(
            r"\b(?:early|midday|intraday|afternoon|morning) trading\b|"
            r"\bat (?:the )?open(?:ing)?\b",
            re.I,
        ),
    ),
    ("close", re.compile(r"\bclos(?:ed|ing)\b|\bat the close\b|\bended the day\b", re.I)),
]


def _times(text: str) -> tuple[set[str], set[str], set[str]]:
    """Months and years a text names, and the periods it speaks of ("last week", "at the
    close"), as comparable labels."""
    months = {m.group().lower() for m in _MONTH_RE.finditer(text)}
    years = set(_YEAR_RE.findall(text))
    periods = {label for label, rx in _PERIODS if rx.search(text)}
    return months, years, periods


@dataclass(frozen=True)
class Statement:
    """A source sentence (or the published part of one) that may hold values: its article's
    position in the input, and where the text sits in the article."""

    article_pos: int
    sentence_index: int
    start: int  # offset of ``text`` in the article's text
    text: str


def same_thing(
    a: Statement, va: Spanned, b: Statement, vb: Spanned, known: frozenset[str] = frozenset()
) -> int:
    """How sure we are that two values speak of the same thing (0 when they clearly do not):
    the same counted noun counts 2, each shared content word of the two clauses 1, a month
    or year both sentences name 1; different months or years in the two clauses rule it out."""
    ca, cb = clause_span(a.text, va), clause_span(b.text, vb)
    clause_a, clause_b = a.text[ca[0] : ca[1]], b.text[cb[0] : cb[1]]
    for labels_a, labels_b in zip(_times(clause_a), _times(clause_b), strict=True):
        if labels_a and labels_b and not labels_a & labels_b:
            return 0  # "in June" and "in July", "last week" and "the week before"
    head_a, head_b = _head(a.text, va), _head(b.text, vb)
    if head_a and head_b and head_a != head_b:
        return 0  # "200 million doses", "300 million people"
    names_a, names_b = _names(a.text, known, ca), _names(b.text, known, cb)
    if names_a - _names(b.text, known) or names_b - _names(a.text, known):
        return 0  # a subject or place only one of them names: "in North Carolina", "in the U.S."
    shared_heads = 2 if head_a and head_a == head_b else 0
    words_a = _stems(clause_a) - {head_a}
    words_b = _stems(clause_b) - {head_b}
    score = shared_heads + len(words_a & words_b)
    if head_a and head_a in words_b or head_b and head_b in words_a:
        score += 1
    if any(x & y for x, y in zip(_times(a.text), _times(b.text), strict=True)):
        score += 1
    return score


_NAME = re.compile(r"\b(?:[A-Z][\w&]*(?:\.[A-Z])*\.?)")
_COMMON_OPENERS_TEXT = """the a an in on at it its this that these those he she they we i you
    but and or as after before when while if although though since for from with by also
    however meanwhile some many most all both each another other such last next one two three
    four five several few no not there here what which who why how where officials police
    authorities experts analysts critics according still even just only now then so yet"""
_COMMON_OPENERS = frozenset(_COMMON_OPENERS_TEXT.split())
_NOT_NAMES_TEXT = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday The A An In On At"
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _opening(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in '.!?"“'


def story_names(texts: Sequence[str]) -> frozenset[str]:
    """Words a story writes capitalised inside sentences and never in lower case: its names
    (so that a name opening a sentence, "Obama won 332 votes", is known for one)."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for m in _WORD.finditer(text):
            word = m.group()
            if word[0].isupper():
                if not _opening(text, m.start()):
                    capitalised.add(word.lower())
            else:
                lower.add(word.lower())
    return frozenset(capitalised - lower)


def _names(text: str, known: frozenset[str], span: tuple[int, int] | None = None) -> set[str]:
    """Capitalised words and acronyms of a sentence (or of a span of it), lower-cased without
    dots, so "U.S." and "US", "COVID" and "Covid" match; not weekdays or months, and a word
    opening the sentence only when the story knows it for a name."""
    lo, hi = span or (0, len(text))
    out = set()
    for m in _NAME.finditer(text, lo, hi):
        word = m.group().rstrip(".")
        if word in _NOT_NAMES or word.lower() in _MONTHS:
            continue
        if _opening(text, m.start()) and (
            word.lower() in _COMMON_OPENERS or word.lower() not in known
        ):
            continue
        out.add(word.replace(".", "").lower())
    return out
