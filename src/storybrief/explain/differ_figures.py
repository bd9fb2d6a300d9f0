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

Dates, office-holders and the speakers of quotations are compared by :mod:`.differ_facts`;
:func:`find_differences` returns both kinds, ranked together.

The published sentence quotes each source's clause verbatim and names its outlet (or "source
N" by its place in the source list), citing both sentences; the checker verifies it
(:mod:`storybrief.verify.differ_check`): each quotation is in a cited sentence of the named source,
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
from ..verify.differ_check import ACCOUNT_CHANGE_LEAD, CHANGE_LEAD, DIFFER_LEAD, published_label
from .clauses import (
    CONDITIONAL,
    Statement,
    common_names,
    measure,
    same_thing,
    snippet,
    story_names,
)
from .differ_facts import Fact, What, fact_pairs

CLOSE_RATIO = 1.2  # values further apart than this are taken to be different quantities
ABOUT = 0.1  # "about X" covers X plus or minus a tenth
MIN_SCORE = 3  # evidence that two clauses speak of the same thing (see same_thing)
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
    r"\b(?:from|compared (?:with|to)|versus|vs\.?|(?<!more )(?<!less )(?<!fewer )than|"
    r"initially|originally|previously|"
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
_ADDRESS_AFTER = re.compile(r"^\s+block\b", re.I)  # "the 900 block of Springs Drive"
# "another 6.6 million", "an additional $250 billion"; not "more than 250", which is a bound
_INCREMENT_BEFORE = re.compile(
    r"\b(?:another|additional|extra|further|more)\s+(?!than\b)(?:\w+\s+)?$", re.I
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
        if _ADDRESS_AFTER.match(text[m.end() : m.end() + 10]):
            continue
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
@dataclass(frozen=True)
class Side:
    statement: Statement
    value: Value | Fact
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
    what: What = "number"  # or a date, an office's holder, a quotation's speaker

    @property
    def pair(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return (
            (self.first.statement.article_pos, self.first.statement.sentence_index),
            (self.second.statement.article_pos, self.second.statement.sentence_index),
        )


def disagreement(
    a: Statement,
    va: Value,
    b: Statement,
    vb: Value,
    known: frozenset[str] = frozenset(),
    ground: frozenset[str] = frozenset(),
) -> int:
    """The evidence score when ``va`` and ``vb`` disagree about one thing, else 0 (``known``:
    the story's names, see :func:`story_names`; ``ground``: its common ground, see
    :func:`common_names`)."""
    if va.kind != vb.kind or compatible(va, vb) or not close(va, vb):
        return 0
    if va.baseline or vb.baseline or va.increment != vb.increment:
        return 0
    if _conditional(a.text, va) or _conditional(b.text, vb):
        return 0
    if _revision_pair(a.text, va) or _revision_pair(b.text, vb):
        return 0
    score = same_thing(a, va, b, vb, known, counts=va.kind == "count", ground=ground)
    return score if score >= MIN_SCORE else 0


def _conditional(text: str, v: Value) -> bool:
    """Is the value a forecast, target or condition? A word of :data:`CONDITIONAL` in its
    sentence says so, unless the value is a population ("its 23 million people")."""
    return bool(CONDITIONAL.search(text)) and measure(text, v) != "population"


def _bound(v: Value) -> bool:
    return v.hedge in ("above", "below")


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
    ground: frozenset[str] = frozenset(),
) -> int:
    """:func:`disagreement`, unless either statement also reports the other's figure (then
    the two values are about different things). A bound ("at least 60") is no such report:
    it fits any larger figure."""
    if any(va.kind == v.kind and compatible(va, v) and not _bound(v) for v in values_b):
        return 0
    if any(vb.kind == v.kind and compatible(vb, v) and not _bound(v) for v in values_a):
        return 0
    return disagreement(a, va, b, vb, known, ground)


def _ordered(
    first: Side, second: Side, articles: Sequence[Article], score: int, what: What = "number"
) -> Difference:
    """The difference of two sides: a change over time (earlier report first) when both
    articles are dated an hour or more apart, else a disagreement in reading order."""
    a, b = first.statement, second.statement
    kind: Kind = "differ"
    when_a, when_b = (articles[s.article_pos].published_at for s in (a, b))
    if when_a is not None and when_b is not None and abs(when_a - when_b) >= LATER:
        kind = "change"
        if when_b < when_a:
            first, second = second, first
    elif (a.article_pos, a.sentence_index) > (b.article_pos, b.sentence_index):
        first, second = second, first
    return Difference(kind, first, second, score, what)


def find_differences(
    statements: Sequence[Statement],
    articles: Sequence[Article],
    known: frozenset[str] | None = None,
    ground: frozenset[str] | None = None,
) -> list[Difference]:
    """Every pair of statements from different articles with values that disagree, best
    evidence first; one difference per pair of statements (its strongest value pair), and a
    pair of values already covered by a difference is not repeated through another pair of
    statements. ``known``: the story's names, ``ground`` its common ground (default: those
    of ``statements``)."""
    found: dict[tuple[tuple[int, int], tuple[int, int]], Difference] = {}
    values = [find_values(s.text) for s in statements]
    if known is None:
        known = story_names([s.text for s in statements])
    if ground is None:
        ground = common_names(statements, known)
    for i, a in enumerate(statements):
        for j in range(i + 1, len(statements)):
            b = statements[j]
            if a.article_pos == b.article_pos or not values[i] or not values[j]:
                continue
            best: tuple[int, Value, Value] | None = None
            for va in values[i]:
                for vb in values[j]:
                    score = differs(a, va, values[i], b, vb, values[j], known, ground)
                    if score and (best is None or score > best[0]):
                        best = (score, va, vb)
            if best is None:
                continue
            score, va, vb = best
            diff = _ordered(
                Side(a, va, snippet(a.text, va)), Side(b, vb, snippet(b.text, vb)), articles, score
            )
            found[diff.pair] = diff
    for pair in fact_pairs(statements, articles, known):
        diff = _ordered(
            Side(pair.a, pair.fact_a, pair.quote_a),
            Side(pair.b, pair.fact_b, pair.quote_b),
            articles,
            pair.score,
            pair.fact_a.what,
        )
        found.setdefault(diff.pair, diff)  # a pair of statements differing on a figure says so
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
    """A source's clause inside the sentence's quotation marks: its own quotations nested."""
    text = re.sub(r'"([^"]*)"', r"‘\1’", text)
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
    change = CHANGE_LEAD if diff.what == "number" else ACCOUNT_CHANGE_LEAD
    lead = change if diff.kind == "change" else DIFFER_LEAD
    return f"{lead}: {parts[0]}; {parts[1]}."
