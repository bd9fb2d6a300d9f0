"""Where the sources differ: statements of one story's articles that give different values for
the same quantity, and the sentence that says so.

A *value* is a count, an amount of money or a percentage written in digits, with its hedge
("about", "more than", "nearly") and the words of its clause. Two values from different
articles disagree when all of these hold:

* same kind (a percentage with a percentage, dollars with dollars, a count with a count);
* they cannot both be true: each value stands for an interval — its rounding ("6.9 million" is
  6.85–6.95 million, a round "200,000" anything that rounds to it), widened by its hedge
  ("more than 178,000" is 178,000 or more, "about" is within a tenth) — and the two intervals
  do not overlap;
* they are close (within a fifth of each other): two reports of one quantity differ a
  little, while far-apart values of one kind are usually two different quantities;
* their clauses speak of the same thing: the same noun after the number ("a 12% increase",
  "a 13 percent increase") or shared content words around it ("revised ... prior week",
  "previous week ... revised"); not a different counted noun, month, year or named subject;
* both are reported facts: not a forecast, target or condition ("expected", "needed to",
  "would"), not a baseline or earlier figure ("from 3.7%", "initially reported 8.7%"), not
  an increment on one side only ("another $250 billion"), not a date ("Sept. 11"), a
  compound ("a 16-page report"), an end of a range ("between 45,000 and 49,000") or a span of
  time ("12 years in prison", "44,000 years ago": ages and terms are mostly of different
  people or things).

Precision comes first: a false "sources differ" is a wrong statement, so anything unsure is
left alone. When both articles are dated and one was published later, the difference is a
change over time ("the figure changed between reports"), not a disagreement.

The published sentence quotes each source's clause verbatim and names its outlet (or "source
N" by its place in the source list), citing both sentences; the checker verifies it
(:mod:`storybrief.verify.differ`): each quotation is in a cited sentence of the named source,
and the quoted values differ.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from ..records import Article
from ..text import stem
from ..verify.differ import CHANGE_LEAD, DIFFER_LEAD, published_label

CLOSE_RATIO = 1.2  # values further apart than this are taken to be different quantities
ABOUT = 0.1  # "about X" covers X plus or minus a tenth
MIN_SCORE = 3  # evidence that two clauses speak of the same thing (see _same_thing)
LATER = timedelta(hours=1)  # a report this much later may carry an update

Kind = Literal["differ", "change"]

# --- values -----------------------------------------------------------------------------------

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9}
_CURRENCY = {"$": "dollar", "£": "pound", "€": "euro"}
_NUMBER = re.compile(
    r"(?<![\w.,$£€/:-])(?P<cur>[$£€])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b))?"
    r"(?:\s(?P<scale>thousand|million|billion|trillion|bn)\b)?"
    r"(?:\s?(?P<pct2>%|percent\b|per cent\b))?"
    r"(?![\w/:]|[.,]\d|-[^\W\d_])",
    re.IGNORECASE,
)
_MONTH_BEFORE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+$", re.I
)
_BASELINE_BEFORE = re.compile(
    r"\b(?:from|compared (?:with|to)|versus|vs\.?|than|initially|originally|previously|"
    r"first|down|up)\s+(?:the |a |an |its |their )?(?:[\w’']+ ){0,4}$",
    re.I,
)
_BASELINE_AFTER = re.compile(
    r"^\S*\s+(?:\w+\s+){0,3}?(?:initially|originally|previously|first) (?:reported|"
    r"estimated|announced|said)\b",
    re.I,
)
_RANGE = re.compile(
    r"\b(?:ages?|aged|between)\s+$|\d\s*(?:to|-|–|and)\s*$"
    r"|^\s*(?:to|-|–)\s*\d|^\s*(?:and|or) (?:older|over|up|above|younger|under|more|less)\b",
    re.I,
)
_SPAN_AFTER = re.compile(
    r"^[\s-]*(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|"
    r"century)\b",
    re.I,
)
_INCREMENT_BEFORE = re.compile(r"\b(?:another|additional|extra|further|more)\s+(?:\w+\s+)?$", re.I)
_CONDITIONAL = re.compile(
    r"\b(?:expect\w*|forecast\w*|project(?:ed|ion|ions|s)|predict\w*|anticipat\w*|"
    r"consensus|target\w*|goal|required|requires?|needs?|needed|threshold|will|would|could|"
    r"might|shall|"
    r"(?-i:may)|if|unless|plans?|planned|propos\w*|request\w*|seek\w*|sought|hopes?|aims?|"
    r"looking for|estimates? (?:of|for)|poll\w*|survey\w*)\b",
    re.I,
)
_HEDGES: list[tuple[str, re.Pattern[str]]] = [
    (
        "above",
        re.compile(
            r"\b(?:more than|over|above|at least|upwards of|in excess of|topping|exceeding|"
            r"surpassing|beyond|passed|tops?)\s+(?:a |an |the )?$",
            re.I,
        ),
    ),
    (
        "below",
        re.compile(
            r"\b(?:nearly|almost|close to|just under|under|below|less than|fewer than|up to|"
            r"as many as|as much as|as high as|no more than|at most|shy of)\s+(?:a |an |the )?$",
            re.I,
        ),
    ),
    (
        "about",
        re.compile(
            r"\b(?:about|around|roughly|approximately|some|an estimated|estimated|"
            r"approx\.|circa|more or less|or so)\s+$",
            re.I,
        ),
    ),
]
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


@dataclass(frozen=True)
class Value:
    """A number in a sentence: its value, kind, hedge and where it is (offsets in the text)."""

    value: float
    kind: str  # "percent", "money:dollar", "count"
    surface: str
    start: int
    end: int
    hedge: str | None  # "above", "below", "about" or None
    low: float
    high: float
    baseline: bool = False  # "from 3.7%", "the 8.7% initially reported": an earlier figure
    increment: bool = False  # "another 6.6 million", "an additional $250 billion"


def _precision(num: str, scale: float) -> float:
    """The rounding step of a written number: 6.9 million -> 0.1 million; 200,000 -> 100,000
    (a round number may stand for any value that rounds to it); 212,672 -> 1."""
    digits = num.replace(",", "")
    if "." in digits:
        return 10.0 ** -len(digits.split(".")[1]) * scale
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    return 10.0**zeros * scale


def find_values(text: str) -> list[Value]:
    """Counts, amounts and percentages written in digits (years, times, ordinals and numbers
    inside names or codes are not values)."""
    out = []
    for m in _NUMBER.finditer(text):
        num = m.group("num")
        plain = num.replace(",", "")
        scale = _SCALES.get((m.group("scale") or "").lower(), 1.0)
        pct = m.group("pct") or m.group("pct2")
        cur = m.group("cur")
        value = float(plain) * scale
        if not pct and not cur and scale == 1.0:
            if "," not in num and "." not in num and 1900 <= value <= 2100:
                continue  # a year
            if re.match(r"\s?(?:st|nd|rd|th)\b", text[m.end() :]):
                continue
        if value == 0 or _MONTH_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue  # "Sept. 11" is a date
        if _RANGE.search(text[max(0, m.start() - 12) : m.start()]) or _RANGE.match(
            text[m.end() : m.end() + 15]
        ):
            continue  # an end of a range ("18 to 64", "65 and older"): a bound, not a value
        if _SPAN_AFTER.match(text[m.end() : m.end() + 20]):
            continue  # a span of time: "12 years", "a 10-day"
        kind = "percent" if pct else f"money:{_CURRENCY[cur]}" if cur else "count"
        step = _precision(num, scale) / 2
        low, high = value - step, value + step
        before = text[max(0, m.start() - 30) : m.start()]
        hedge = next((name for name, rx in _HEDGES if rx.search(before)), None)
        if hedge == "above":
            low, high = value, math.inf
        elif hedge == "below":
            low, high = -math.inf, value
        elif hedge == "about":
            low, high = min(low, value * (1 - ABOUT)), max(high, value * (1 + ABOUT))
        baseline = bool(
            _BASELINE_BEFORE.search(before) or _BASELINE_AFTER.match(text[m.end() : m.end() + 60])
        )
        increment = bool(_INCREMENT_BEFORE.search(before))
        surface = m.group().strip()
        out.append(
            Value(value, kind, surface, m.start(), m.end(), hedge, low, high, baseline, increment)
        )
    return out


def compatible(a: Value, b: Value) -> bool:
    """Could both be true? Their intervals share more than a boundary point."""
    if a.value == b.value:
        return True
    return min(a.high, b.high) - max(a.low, b.low) > 1e-9 * max(abs(a.value), abs(b.value))


def close(a: Value, b: Value) -> bool:
    small, large = sorted((abs(a.value), abs(b.value)))
    return small > 0 and large / small <= CLOSE_RATIO


# --- clauses ----------------------------------------------------------------------------------


def clause_span(text: str, value: Value) -> tuple[int, int]:
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


def snippet(text: str, value: Value, max_words: int = 14) -> tuple[int, int]:
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


def _head(text: str, value: Value) -> str | None:
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


@dataclass(frozen=True)
class Side:
    statement: Statement
    value: Value
    quote: tuple[int, int]  # offsets of the quoted snippet in the statement's text

    @property
    def quoted(self) -> str:
        return self.statement.text[self.quote[0] : self.quote[1]]


@dataclass(frozen=True)
class Difference:
    """Two statements from different articles that give different values for one thing."""

    kind: Kind
    first: Side
    second: Side
    score: int

    @property
    def pair(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return (
            (self.first.statement.article_pos, self.first.statement.sentence_index),
            (self.second.statement.article_pos, self.second.statement.sentence_index),
        )


def _same_thing(
    a: Statement, va: Value, b: Statement, vb: Value, known: frozenset[str] = frozenset()
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


def disagreement(
    a: Statement, va: Value, b: Statement, vb: Value, known: frozenset[str] = frozenset()
) -> int:
    """The evidence score when ``va`` and ``vb`` disagree about one thing, else 0 (``known``:
    the story's names, see :func:`story_names`)."""
    if va.kind != vb.kind or compatible(va, vb) or not close(va, vb):
        return 0
    if va.baseline or vb.baseline or va.increment != vb.increment:
        return 0
    if _CONDITIONAL.search(a.text) or _CONDITIONAL.search(b.text):
        return 0
    if _revision_pair(a.text, va) or _revision_pair(b.text, vb):
        return 0
    score = _same_thing(a, va, b, vb, known)
    return score if score >= MIN_SCORE else 0


_FROM_TO = re.compile(r"\bfrom\b(?:[^,;]|,\d){0,40}\bto\b", re.I)


def _revision_pair(text: str, value: Value) -> bool:
    """A value inside "from X to Y": the sentence itself reports a change."""
    window = text[max(0, value.start - 50) : value.end + 50]
    return bool(_FROM_TO.search(window)) and len(find_values(window)) >= 2


def differs(
    a: Statement,
    va: Value,
    values_a: list[Value],
    b: Statement,
    vb: Value,
    values_b: list[Value],
    known: frozenset[str] = frozenset(),
) -> int:
    """:func:`disagreement`, unless either statement also reports the other's figure (then
    the two values are about different things)."""
    if any(va.kind == v.kind and compatible(va, v) for v in values_b):
        return 0
    if any(vb.kind == v.kind and compatible(vb, v) for v in values_a):
        return 0
    return disagreement(a, va, b, vb, known)


def find_differences(
    statements: Sequence[Statement], articles: Sequence[Article]
) -> list[Difference]:
    """Every pair of statements from different articles with values that disagree, best
    evidence first; one difference per pair of statements (its strongest value pair), and a
    pair of values already covered by a difference is not repeated through another pair of
    statements."""
    found: dict[tuple[tuple[int, int], tuple[int, int]], Difference] = {}
    values = [find_values(s.text) for s in statements]
    known = story_names([s.text for s in statements])
    for i, a in enumerate(statements):
        for j in range(i + 1, len(statements)):
            b = statements[j]
            if a.article_pos == b.article_pos or not values[i] or not values[j]:
                continue
            best: tuple[int, Value, Value] | None = None
            for va in values[i]:
                for vb in values[j]:
                    score = differs(a, va, values[i], b, vb, values[j], known)
                    if score and (best is None or score > best[0]):
                        best = (score, va, vb)
            if best is None:
                continue
            score, va, vb = best
            first, second = Side(a, va, snippet(a.text, va)), Side(b, vb, snippet(b.text, vb))
            kind: Kind = "differ"
            when_a, when_b = (articles[s.article_pos].published_at for s in (a, b))
            if when_a is not None and when_b is not None and abs(when_a - when_b) >= LATER:
                kind = "change"
                if when_b < when_a:
                    first, second = second, first
            elif (a.article_pos, a.sentence_index) > (b.article_pos, b.sentence_index):
                first, second = second, first
            diff = Difference(kind, first, second, score)
            found[diff.pair] = diff
    ranked = sorted(found.values(), key=lambda d: (-d.score, d.pair))
    out: list[Difference] = []
    seen: set[tuple[int, str, str]] = set()
    for d in ranked:
        key = (d.first.statement.article_pos, d.first.value.surface, d.second.value.surface)
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out


# --- the sentence -------------------------------------------------------------------------------


def source_label(articles: Sequence[Article], pos: int) -> str:
    """How a sentence names a source: its outlet when that is unique among the story's
    articles, else "source N" (its number in the explainer's source list)."""
    outlet = articles[pos].outlet
    if outlet and sum(1 for a in articles if a.outlet == outlet) == 1:
        return outlet
    return f"source {pos + 1}"


def _quote(text: str) -> str:
    return text.replace("“", "‘").replace("”", "’").replace('"', "'")


def sentence_text(diff: Difference, articles: Sequence[Article]) -> str:
    """The published sentence: each source named, with its clause quoted."""
    parts = []
    for side in (diff.first, diff.second):
        pos = side.statement.article_pos
        who = source_label(articles, pos)
        if diff.kind == "change":
            other = diff.second if side is diff.first else diff.first
            when = articles[pos].published_at
            then = articles[other.statement.article_pos].published_at
            assert when is not None and then is not None
            parts.append(f"{who} ({published_label(when, then)}) reported “{_quote(side.quoted)}”")
        else:
            parts.append(f"{who} reports “{_quote(side.quoted)}”")
    lead = CHANGE_LEAD if diff.kind == "change" else DIFFER_LEAD
    return f"{lead}: {parts[0]}; {parts[1]}."
