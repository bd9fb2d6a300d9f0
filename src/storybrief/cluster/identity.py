"""Event identity: what tells two reports of one event from reports of two events of the same
kind, beyond how alike their words are.

- **who and where**: the names an article gives (people, organisations, places), weighted by
  how rare each is among the articles seen (a name every story carries says little);
- **when**: the years its title and lead mention. Two reports that name different years and no
  year in common are taken for different events (the 2019 ruling and the 2021 one), unless
  their words are alike enough to say otherwise. Publication dates keep their own rule: a story
  takes articles only within ``window_hours`` of its latest one;
- **what**: the figures it gives (a magnitude, a toll, a price), which a second look at a
  doubtful pair compares.

Everything here is a few regular expressions and counters: it adds no measurable time to an
article's vector.
"""

from __future__ import annotations

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

    @classmethod
    def of(cls, text: str) -> Facts:
        return cls(frozenset(names(text)), frozenset(years(text)), frozenset(figures(text)))


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

    def add_story(self, profile: EventProfile) -> None:
        """The articles of a story a run resumes."""
        self.counts.update(profile.names)
        self.documents += profile.size

    def weight(self, name: str) -> float:
        return math.log((1 + self.documents) / (1 + self.counts[name])) + 1.0


@dataclass
class EventProfile:
    """What a story's articles say about its event: how many carry each name, figure and year."""

    size: int = 0
    names: Counter[str] = field(default_factory=Counter)
    years: Counter[int] = field(default_factory=Counter)
    figures: Counter[str] = field(default_factory=Counter)
    _core: list[str] | None = field(default=None, repr=False, compare=False)

    def add(self, facts: Facts) -> None:
        self.size += 1
        self.names.update(facts.names)
        self.years.update(facts.years)
        self.figures.update(facts.figures)
        self._core = None

    def merged(self, other: EventProfile) -> EventProfile:
        return EventProfile(
            self.size + other.size,
            self.names + other.names,
            self.years + other.years,
            self.figures + other.figures,
        )

    def core(self) -> list[str]:
        """The names that at least half of its articles carry (kept until it changes)."""
        if self._core is None:
            least = max(1.0, self.size / 2)
            self._core = [name for name, n in self.names.items() if n >= least]
        return self._core

    def state(self) -> dict:
        """For the story's stored state (JSON)."""
        return {
            "size": self.size,
            "entities": dict(self.names.most_common(50)),
            "years": {str(y): n for y, n in self.years.most_common(10)},
            "figures": dict(self.figures.most_common(20)),
        }

    @classmethod
    def from_state(cls, state: dict, size: int) -> EventProfile:
        return cls(
            size,
            Counter(state.get("entities", {})),
            Counter({int(y): n for y, n in state.get("years", {}).items()}),
            Counter(state.get("figures", {})),
        )


@dataclass(frozen=True)
class Evidence:
    """How an article's facts bear on a story's event."""

    names_shared: float  # weighted share of the article's names the story carries
    core_shared: float  # weighted share of the story's core names the article carries
    years_differ: bool  # both name years, and no year in common
    figures_shared: bool


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
    )
