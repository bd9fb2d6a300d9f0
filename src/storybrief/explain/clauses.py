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


# What a toll counts, by the words of its clause nearest the number: "killing 65 people",
# "3,963 COVID-19 deaths", "the death toll ... climbing to 19,882", "injured 162".
_MEASURES: list[tuple[str, re.Pattern[str]]] = [
    (
        "death",
        re.compile(r"\b(?:kill(?:ed|ing|s)?|dead|deaths?|died|dies|fatalit(?:y|ies))\b", re.I),
    ),
    ("injury", re.compile(r"\b(?:injur(?:ed|ing|ies|y)|wound(?:ed|ing|s)?|hurt)\b", re.I)),
    ("case", re.compile(r"\b(?:cases?|infections?)\b", re.I)),
    ("missing", re.compile(r"\bmissing\b", re.I)),
    ("arrest", re.compile(r"\b(?:arrest(?:ed|s)?|detained)\b", re.I)),
    ("seat", re.compile(r"\bseats?\b", re.I)),
]
MEASURE_REACH = 40  # characters between the number and the word that says what it counts
# "to feed its 23 million people", "North Korea's 22 million people": a population
_POPULATION_BEFORE = re.compile(r"(?:['’]s|\bits|\btheir)\s+(?:estimated\s+)?$", re.I)
_POPULATION_AFTER = re.compile(r"^\s+(?:people|residents|inhabitants|citizens)\b", re.I)


def measure(text: str, value: Spanned) -> str | None:
    """What a number counts when a word of its clause close to it says so ("death",
    "injury", "case", "missing", "arrest", "seat"), the nearest such word deciding; or
    "population" for a place's people ("its 23 million people")."""
    if _POPULATION_BEFORE.search(text[max(0, value.start - 20) : value.start]) and (
        _POPULATION_AFTER.match(text[value.end : value.end + 20])
    ):
        return "population"
    lo, hi = clause_span(text, value)
    best: tuple[int, str] | None = None
    for label, rx in _MEASURES:
        for m in rx.finditer(text, lo, hi):
            gap = m.start() - value.end if m.start() >= value.end else value.start - m.end()
            if gap <= MEASURE_REACH and (best is None or gap < best[0]):
                best = (gap, label)
    return best[1] if best else None


def same_thing(
    a: Statement,
    va: Spanned,
    b: Statement,
    vb: Spanned,
    known: frozenset[str] = frozenset(),
    counts: bool = False,
    ground: frozenset[str] = frozenset(),
) -> int:
    """How sure we are that two values speak of the same thing (0 when they clearly do not):
    the same counted noun or the same measure (deaths, injuries, cases: :func:`measure`)
    counts 2, each shared content word of the two clauses 1, a month or year both sentences
    name 1; different months or years in the two clauses, different counted nouns or
    measures rule it out, and so does a name (a subject, a place) only one of the clauses
    gives, unless it is the story's common ground (``ground``: :func:`common_names`).
    Measures are read only when the values are ``counts``."""
    ca, cb = clause_span(a.text, va), clause_span(b.text, vb)
    clause_a, clause_b = a.text[ca[0] : ca[1]], b.text[cb[0] : cb[1]]
    for labels_a, labels_b in zip(_times(clause_a), _times(clause_b), strict=True):
        if labels_a and labels_b and not labels_a & labels_b:
            return 0  # "in June" and "in July", "last week" and "the week before"
    head_a, head_b = _head(a.text, va), _head(b.text, vb)
    if head_a and head_b and head_a != head_b:
        return 0  # "200 million doses", "300 million people"
    measure_a, measure_b = (measure(a.text, va), measure(b.text, vb)) if counts else (None, None)
    if measure_a and measure_b and measure_a != measure_b:
        return 0  # "killing 60", "injuring 65"
    names_a, names_b = _names(a.text, known, ca) - ground, _names(b.text, known, cb) - ground
    if _uncovered(names_a, _names(b.text, known)) or _uncovered(names_b, _names(a.text, known)):
        return 0  # a subject or place only one of them names: "in North Carolina", "in the U.S."
    shared_heads = 2 if head_a and head_a == head_b or measure_a and measure_a == measure_b else 0
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


COMMON_SHARE = 0.75  # a name in at least this share of a story's articles is its common ground


def common_names(statements: Sequence[Statement], known: frozenset[str]) -> frozenset[str]:
    """Names that three quarters of a story's articles (two or more) give: where and who the
    story is about ("Sweden" in a story of a fire in Gothenburg), which a figure's clause
    naming them does not set apart from another source's figure."""
    per_article: dict[int, set[str]] = {}
    for s in statements:
        per_article.setdefault(s.article_pos, set()).update(_names(s.text, known))
    if len(per_article) < 2:
        return frozenset()
    counts: dict[str, int] = {}
    for names in per_article.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    need = max(2, COMMON_SHARE * len(per_article))
    return frozenset(name for name, n in counts.items() if n >= need)


def _akin(x: str, y: str) -> bool:
    """One name in two forms: a place and its people ("Sweden", "Swedish"; "Israel",
    "Israeli"): a shared beginning of four letters or more, most of the shorter word."""
    n = 0
    for cx, cy in zip(x, y, strict=False):
        if cx != cy:
            break
        n += 1
    return n >= 4 and n >= 0.6 * min(len(x), len(y))


def _uncovered(names: set[str], other: set[str]) -> bool:
    """Does ``names`` hold a name that ``other`` gives in no form?"""
    return any(n not in other and not any(_akin(n, o) for o in other) for n in names)


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
    if {"united", "states"} <= out:
        out -= {"united", "states"}
        out.add("us")  # "the United States" and "the U.S." are one name
    return out
