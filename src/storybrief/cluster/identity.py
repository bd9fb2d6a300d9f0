"""Event identity: what tells two reports of one event from reports of two events of the same
kind, beyond how alike their words are.

- **who and where**: the names an article gives (people, organisations, places), weighted by
  how rare each is among the articles seen (a name every story carries says little);
- **when**: the years its title and lead mention. Two reports that name different years and no
  year in common are taken for different events (the 2019 ruling and the 2021 one), unless
  their words are alike enough to say otherwise; the weekdays and dates of the month it names
  likewise, with less weight ("on Saturday" against a story told "on Thursday"). Publication
  dates keep their own rule: a story takes articles only within ``window_hours`` of its latest
  one;
- **what**: the figures it gives (a magnitude, a toll, a price), which a second look at a
  doubtful pair compares.

A story's articles can also say that it holds two events of one kind (:func:`two_events`):
two days, years or figures each given by several of its articles and never together, each
side with a fact of its own ("23 pirates ... on Saturday ... INS Mysore" against "26 pirates
... on Thursday ... INS Sukanya").

Everything here is a few regular expressions and counters: it adds no measurable time to an
article's vector.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..text import STOPWORDS, word_list

_WORD = re.compile(r"[A-Za-z0-9][\w’'&.-]*\w|[A-Za-z]")
# sentence ends, a headline's " | " or " - " joints, and line breaks start a new segment: a
# capitalised first word there says nothing about being a name
_SEGMENT = re.compile(r"(?<=[.!?])\s+|\s+\|\s+|\n+|\s+[-–—:]\s+")
_YEAR = re.compile(r"(?<![\d$.,])(?:19[5-9]\d|20[0-4]\d)(?!\d|[.,]\d|\s?%)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
DAY_SHARE = 3
#: Articles (at the least) that must give each of two facts for :func:`two_events`.
SPLIT_LEAST = 3
_WEEKDAY = re.compile(r"\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b", re.I)
_MONTH = (
    r"(Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
# "December 18", "Sept. 13", "18 December", "13th of September" (not "March 2014", "June 17.5")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?![.:,]?\d)")
_DAY_MONTH = re.compile(rf"(?<![\d.,])\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?!\w)")
#: Capitalised words of headlines that name nothing.
_NOT_NAMES = frozenset(
    word_list(
        "new news says report reports update updated breaking video photos watch live "
        "exclusive analysis opinion today"
    )
)


def names(text: str) -> set[str]:
    """The words of the names in ``text``, lower-cased: capitalised words, acronyms and words
    with digits ("MH370"), stop words left out. A capitalised word opening a sentence counts
    only when the next one is capitalised too ("Lindsay Lohan checks in" gives both)."""
    found: set[str] = set()
    for segment in _SEGMENT.split(text):
        words = [m.group() for m in _WORD.finditer(segment)]
        for i, word in enumerate(words):
            if word[0].isdigit():
                continue
            if not word[0].isupper() and not any(c.isdigit() for c in word[1:]):
                continue
            if (
                i == 0
                and not (len(words) > 1 and words[1][0].isupper())
                and not (word.isupper() and len(word) > 1)
            ):
                continue
            key = word.lower().replace("’", "'")
            key = key[:-2] if key.endswith("'s") else key
            key = key.strip(".'")
            if len(key) > 1 and key not in STOPWORDS and key not in _NOT_NAMES:
                found.add(key)
    return found


def years(text: str) -> set[int]:
    """The years 1950-2049 that ``text`` mentions (not amounts such as "$2,014" or "2014%")."""
    return {int(y) for y in _YEAR.findall(text)}


def days(text: str) -> set[str]:
    """The days ``text`` says things happened on: weekdays ("wd:thu") and dates of the month
    ("md:12-18"), so that "on Saturday" and "on Thursday" tell two events of one kind apart."""
    out = {"wd:" + m.group(1)[:3].lower() for m in _WEEKDAY.finditer(text)}
    for m in _MONTH_DAY.finditer(text):
        out.add(_month_day(m.group(1), m.group(2)))
    for m in _DAY_MONTH.finditer(text):
        out.add(_month_day(m.group(2), m.group(1)))
    return {d for d in out if d}


def _month_day(month: str, day: str) -> str:
    number = int(day)
    if not 1 <= number <= 31:
        return ""
    return f"md:{_MONTH_NUMBERS[month[:3].lower()]:02d}-{number:02d}"


_MONTH_NUMBERS = {
    m: n
    for n, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def figures(text: str) -> set[str]:
    """The figures ``text`` gives, other than years and small counts: "6.1", "40", "1.8"."""
    out = set()
    for match in _NUMBER.finditer(text):
        raw = match.group()
        if _YEAR.fullmatch(raw):
            continue
        value = raw.replace(",", "")
        try:
            number = float(value)
        except ValueError:
            continue
        if number >= 10 or "." in value:
            out.add(value)
    return out


@dataclass(frozen=True)
class Facts:
    """What an article says about its event, beside its vector."""

    names: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    figures: frozenset[str] = frozenset()
    days: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str) -> Facts:
        """What ``text`` says: remembered for the latest texts, since every assignment reads
        the window's stories' articles again, and healing the changed stories' and their
        neighbours' (11% of an article's CPU in bench/memory.py, the names most of it)."""
        return _facts_of(text)


@functools.lru_cache(maxsize=4096)
def _facts_of(text: str) -> Facts:
    return Facts(
        frozenset(names(text)),
        frozenset(years(text)),
        frozenset(figures(text)),
        frozenset(days(text)),
    )


@dataclass
class NameWeights:
    """How rare each name is among the articles seen: an inverse document frequency learnt as
    articles arrive (and from the stories a run resumes), so "Lohan" weighs more than "Court"."""

    counts: Counter[str] = field(default_factory=Counter)
    documents: int = 0

    def add(self, found: Iterable[str]) -> None:
        """One more article, with these names."""
        self.counts.update(set(found))
        self.documents += 1

    def weight(self, name: str) -> float:
        return math.log((1 + self.documents) / (1 + self.counts[name])) + 1.0


@dataclass
class EventProfile:
    """What a story's articles say about its event: how many carry each name, figure and year."""

    size: int = 0
    names: Counter[str] = field(default_factory=Counter)
    years: Counter[int] = field(default_factory=Counter)
    figures: Counter[str] = field(default_factory=Counter)
    days: Counter[str] = field(default_factory=Counter)
    _core: list[str] | None = field(default=None, repr=False, compare=False)

    def add(self, facts: Facts) -> None:
        self.size += 1
        self.names.update(facts.names)
        self.years.update(facts.years)
        self.figures.update(facts.figures)
        self.days.update(facts.days)
        self._core = None

    def merged(self, other: EventProfile) -> EventProfile:
        return EventProfile(
            self.size + other.size,
            self.names + other.names,
            self.years + other.years,
            self.figures + other.figures,
            self.days + other.days,
        )

    def core(self) -> list[str]:
        """The names that at least half of its articles carry (kept until it changes)."""
        if self._core is None:
            least = max(1.0, self.size / 2)
            self._core = [name for name, n in self.names.items() if n >= least]
        return self._core

    def main_days(self) -> list[str]:
        """The days it names most: each at least a third as often as the most named one."""
        if not self.days:
            return []
        most = max(self.days.values())
        return [d for d, n in self.days.items() if n * DAY_SHARE >= most]

    def state(self) -> dict:
        """For the story's stored state (JSON)."""
        return {
            "size": self.size,
            "entities": dict(self.names.most_common(50)),
            "years": {str(y): n for y, n in self.years.most_common(10)},
            "figures": dict(self.figures.most_common(20)),
            "days": dict(self.days.most_common(20)),
        }

    @classmethod
    def from_state(cls, state: dict, size: int) -> EventProfile:
        return cls(
            size,
            Counter(state.get("entities", {})),
            Counter({int(y): n for y, n in state.get("years", {}).items()}),
            Counter(state.get("figures", {})),
            Counter(state.get("days", {})),
        )


@dataclass(frozen=True)
class Evidence:
    """How an article's facts bear on a story's event."""

    names_shared: float  # weighted share of the article's names the story carries
    core_shared: float  # weighted share of the story's core names the article carries
    years_differ: bool  # both name years, and no year in common
    figures_shared: bool
    days_differ: bool = False  # both name weekdays (or dates of the month), none in common


def evidence(facts: Facts, profile: EventProfile, weights: NameWeights) -> Evidence:
    own = sum(weights.weight(n) for n in facts.names)
    shared = sum(weights.weight(n) for n in facts.names if n in profile.names)
    core = profile.core()
    core_weight = sum(weights.weight(n) for n in core)
    core_found = sum(weights.weight(n) for n in core if n in facts.names)
    return Evidence(
        shared / own if own else 0.0,
        core_found / core_weight if core_weight else 0.0,
        bool(facts.years and profile.years and not facts.years & profile.years.keys()),
        bool(facts.figures & profile.figures.keys()),
        _differ(facts.days, profile.main_days(), "wd:")
        or _differ(facts.days, profile.main_days(), "md:"),
    )


def _differ(mine: frozenset[str], theirs: Iterable[str], kind: str) -> bool:
    """Both name days of this kind, and none in common."""
    a = {d for d in mine if d.startswith(kind)}
    b = {d for d in theirs if d.startswith(kind)}
    return bool(a and b and not a & b)


def _kinds(facts: Facts) -> set[str]:
    """The facts that tell two events of one kind apart by their values: the days, years and
    figures an article gives, each tagged with its kind."""
    return set(facts.days) | {f"yr:{y}" for y in facts.years} | {f"fg:{x}" for x in facts.figures}


@dataclass(frozen=True)
class TwoEvents:
    """Two events in one group of articles, told apart by two facts of one kind: the articles
    that give ``first`` (by index), those that give ``second``; the rest belong to neither
    by their facts."""

    first: str
    second: str
    with_first: list[int]
    with_second: list[int]
    own: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())  # each side's facts

    def side_of(self, facts: Facts) -> int | None:
        """0 or 1: the side whose own facts (given by two of its articles, by none of the
        other's) an article gives more of; None when they tie."""
        mine = _tagged(facts)
        counts = [len(mine & own) for own in self.own]
        return None if counts[0] == counts[1] else int(counts[1] > counts[0])


def two_events(facts: list[Facts], share: float, least: int = SPLIT_LEAST) -> TwoEvents | None:
    """Whether these articles report two events of one kind, by what they say: two facts of
    one kind (weekdays, dates of the month, years, figures) each given by at least ``share``
    of the articles (and ``least``), never by one article together — "23 pirates" and "26
    pirates", "on Saturday" and "on Thursday" — and each side with a fact of its own beside
    it (another kind of fact, or a name, that two of its articles give and the other side's
    never do), so that one stray figure does not cut a story in two. The pair given by the
    most articles wins; None when there is none."""
    tagged = [_kinds(f) for f in facts]
    every = [_tagged(f) for f in facts]
    support = Counter(x for t in tagged for x in t)
    need = max(least, share * len(facts))
    candidates = sorted(x for x, n in support.items() if n >= need)
    best: tuple[int, TwoEvents] | None = None
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            if a[:3] != b[:3] or any(a in t and b in t for t in tagged):
                continue
            sides = [[n for n, t in enumerate(tagged) if x in t] for x in (a, b)]
            if not all(
                _own_fact(every, mine, theirs, a[:3]) for mine, theirs in (sides, sides[::-1])
            ):
                continue
            weight = min(support[a], support[b])
            if best is None or weight > best[0]:
                own = (_own(every, *sides), _own(every, *sides[::-1]))
                best = (weight, TwoEvents(a, b, sides[0], sides[1], own))
    return best[1] if best else None


def _tagged(facts: Facts) -> set[str]:
    return _kinds(facts) | {f"nm:{n}" for n in facts.names}


def _own(every: list[set[str]], mine: list[int], theirs: list[int]) -> frozenset[str]:
    """The facts two of ``mine`` give and none of ``theirs``."""
    counts = Counter(x for n in mine for x in every[n])
    other = {x for n in theirs for x in every[n]}
    return frozenset(x for x, c in counts.items() if c >= 2 and x not in other)


def _own_fact(every: list[set[str]], mine: list[int], theirs: list[int], kind: str) -> bool:
    """A fact of another kind that two of ``mine`` give and none of ``theirs``."""
    return any(not x.startswith(kind) for x in _own(every, mine, theirs))
