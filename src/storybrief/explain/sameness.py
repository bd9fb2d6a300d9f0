"""One fact once while choosing: which candidate sentences state what a chosen one states.

Three judgements, cheapest first, each catching what the one before misses:

1. The checker's one-way test (:func:`storybrief.verify.repeats.restates`): one of the two
   sentences claims nothing the other does not (remembered per pair).
2. Meaning (MiniLM, when the model is there): the two are so close they make one point
   (:data:`SAME_POINT`).
3. With the option ``repeats = "pairs"`` (not the default: blind readers preferred
   explainers without it, for the facts it leaves out; see README, "As readers count it"),
   the pair model (``pair_model.json``), for two articles' sentences: a logistic regression
   over what two sentences share (the story's rare words, names, figures, meaning), what the
   later one brings of its own and where each stands in its article, fitted on pairs readers
   marked as saying one fact twice in published explainers (``bench/repeats.py fit``, under
   ``bench/repeats-rule.md``). Each outlet's lead tells the event in its own words: "Sales at
   U.S. retailers sank a record 16.4% in April" and "Retail sales fell 16.4 percent last
   month ..., by far the largest monthly drop on record" share few words, and readers read the
   second as nothing new. It is not asked about two sentences of one article: there about
   half the sentences it flagged said something new by the readers' count (one article
   explains its own lead further down: "The city council approved a new tram line" and "The
   tram line will link the airport with the city centre").

A sentence that one of them flags is not chosen: the section takes the next best instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from ..errors import EngineError
from ..text import content_words, normalise
from ..verify.checker import Checker
from ..verify.claims import find_names, find_numbers, is_calendar
from ..verify.repeats import restates
from .candidates import Candidate
from .options import Embedder
from .rank import Vectors

SAME_FACT_SIM = 0.25  # sentences this similar (TF-IDF cosine) are checked for stating one fact
SAME_POINT = 0.75  # sentences this close in meaning (MiniLM cosine) make one point
MODEL_FILE = "pair_model.json"
LEAD = 2  # an article's first two statements tell its event

PAIR_FEATURES: tuple[str, ...] = (
    "tfidf cosine",
    "share of its words said",
    "share of the earlier's words",
    "names shared",
    "names of its own",
    "figures shared",
    "figures of its own",
    "length ratio",
    "its article's lead",
    "the earlier one its article's lead",
    "one article",
    "meaning cosine",
)


@dataclass(frozen=True)
class Facts:
    """What :func:`pair_features` reads of one sentence (computed once a sentence)."""

    words: frozenset[str]
    names: frozenset[str]
    figures: frozenset[float]
    length: int
    place: tuple[int, int]  # (article, statement index in the article)

    @classmethod
    def of(cls, text: str, place: tuple[int, int]) -> Facts:
        names = {k for n in find_names(text) if not is_calendar(n) for k in n.keys}
        figures = {n.value for n in find_numbers(text) if not (1800 <= n.value <= 2100)}
        return cls(
            frozenset(content_words(text)),
            frozenset(names),
            frozenset(figures),
            len(text.split()),
            place,
        )


def pair_features(
    later: Facts, earlier: Facts, idf: dict[str, float], meaning: float | None
) -> np.ndarray:
    """The pair model's inputs (:data:`PAIR_FEATURES`) for ``later`` read after ``earlier``:
    an IDF-weighted overlap of their words, the share of each one's words the other says, the
    names and figures they share and the later one's own (capped), their length ratio, whether
    each opens its article, whether they come from one article, and their meaning cosine (0
    without the model)."""
    mine, theirs = later.words, earlier.words
    shared = mine & theirs

    def weight(words: frozenset[str]) -> float:
        return sum(idf.get(w, 1.0) ** 2 for w in words)

    cosine = weight(shared) / np.sqrt(weight(mine) * weight(theirs)) if mine and theirs else 0.0
    return np.array(
        [
            cosine,
            len(shared) / len(mine) if mine else 0.0,
            len(shared) / len(theirs) if theirs else 0.0,
            min(len(later.names & earlier.names), 3) / 3,
            min(len(later.names - earlier.names), 3) / 3,
            min(len(later.figures & earlier.figures), 2) / 2,
            min(len(later.figures - earlier.figures), 2) / 2,
            min(later.length / max(1, earlier.length), 3.0) / 3,
            float(later.place[1] < LEAD),
            float(earlier.place[1] < LEAD),
            float(later.place[0] == earlier.place[0]),
            meaning if meaning is not None else 0.0,
        ]
    )


def idf_of(vectors: Vectors) -> dict[str, float]:
    """Each word's IDF in the story's TF-IDF space."""
    return {w: float(vectors.idf[k]) for w, k in vectors.vocabulary.items()}


@dataclass(frozen=True)
class PairModel:
    """Logistic regression over :data:`PAIR_FEATURES` (the meaning cosine's weight is 0 in the
    words-only model); two sentences say one fact twice at ``threshold`` or above."""

    coef: np.ndarray
    intercept: float
    threshold: float
    vectors: bool

    def probability(self, features: np.ndarray) -> float:
        return float(1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept))))

    def to_json(self) -> dict:
        return {
            "features": list(PAIR_FEATURES),
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 4),
            "vectors": self.vectors,
        }

    @classmethod
    def from_json(cls, doc: dict) -> PairModel:
        if list(doc["features"]) != list(PAIR_FEATURES):
            raise EngineError(
                f"{MODEL_FILE}: the pair model reads {list(doc['features'])}, "
                f"not this version's features {list(PAIR_FEATURES)}"
            )
        return cls(
            np.array(doc["coef"], dtype=float),
            float(doc["intercept"]),
            float(doc["threshold"]),
            bool(doc["vectors"]),
        )


@cache
def shipped_pair_model(vectors: bool) -> PairModel | None:
    """The pair model that ships with storybrief, with or without the meaning cosine (None
    when the package holds none)."""
    path = resources.files(__package__).joinpath(MODEL_FILE)
    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    part = doc.get("vectors" if vectors else "words")
    return PairModel.from_json(part) if part else None


class Sameness:
    """Which of one story's candidates state the same fact (rows index ``usable``). The
    meaning model, the vectors it has already given and the pair model are set by the
    selection once it knows them (the TF-IDF similarity is needed before)."""

    def __init__(self, usable: Sequence[Candidate], vectors: Vectors, checker: Checker) -> None:
        self.all = usable
        self.row = {c.idx: i for i, c in enumerate(usable)}
        self.sim = vectors.similarity()
        self.checker = checker
        self.meaning: Embedder | None = None
        self.points: dict[int, np.ndarray] = {}
        self.pairs: PairModel | None = None
        self.idf = idf_of(vectors)
        self._facts: dict[int, Facts] = {}
        self._same: dict[tuple[int, int], bool] = {}

    def max_sim(self, rows: list[int], taken: list[int]) -> float:
        """The highest TF-IDF cosine of any of ``rows`` with any of ``taken``."""
        if not taken:
            return 0.0
        return float(self.sim[np.ix_(rows, taken)].max())

    def restated(self, c: Candidate, taken: list[int]) -> bool:
        """Does ``c`` state the same fact as a chosen sentence (of ``taken``) in other words
        than the similarity cut-off catches, by the checker or MiniLM?"""
        if not taken:
            return False
        row = self.row[c.idx]
        if self.meaning is not None and float(self.cosines(row, taken).max()) >= SAME_POINT:
            return True
        return any(
            self.sim[row, t] >= SAME_FACT_SIM and self.same_fact(c, self.all[t]) for t in taken
        )

    def paired(self, c: Candidate, against: list[int]) -> bool:
        """Does the pair model say ``c`` tells again what a sentence of ``against`` tells (never
        without it; the readers' pairs it was fitted on are nine times in ten a sentence told
        again after "What's Happening?" told it, so the engine asks about those)?"""
        if self.pairs is None or not against:
            return False
        row = self.row[c.idx]
        cosines = self.cosines(row, against) if self.meaning is not None else None
        return any(
            self.said_twice(row, t, None if cosines is None else float(cosines[k]))
            for k, t in enumerate(against)
        )

    def cosines(self, row: int, rows: list[int]) -> np.ndarray:
        points = self.embedded([row, *rows])
        return np.asarray(points[1:] @ points[0])

    def said_twice(self, a: int, b: int, meaning: float | None) -> bool:
        """The pair model's verdict on rows ``a`` and ``b``, read in either order (which one
        a reader meets first is decided later, when sections are arranged)."""
        assert self.pairs is not None
        fa, fb = self.facts(a), self.facts(b)
        if fa.place[0] == fb.place[0]:
            return False  # one article's sentences: see the module's note
        return (
            max(
                self.pairs.probability(pair_features(fa, fb, self.idf, meaning)),
                self.pairs.probability(pair_features(fb, fa, self.idf, meaning)),
            )
            >= self.pairs.threshold
        )

    def facts(self, row: int) -> Facts:
        known = self._facts.get(row)
        if known is None:
            c = self.all[row]
            known = self._facts[row] = Facts.of(c.text, (c.article_pos, c.position))
        return known

    def embedded(self, rows: list[int]) -> np.ndarray:
        """The meaning vectors of the sentences in ``rows`` (embedded once each)."""
        assert self.meaning is not None
        missing = [r for r in dict.fromkeys(rows) if r not in self.points]
        if missing:
            vectors = self.meaning.embed([self.all[r].text for r in missing])
            self.points.update(zip(missing, vectors, strict=True))
        return np.stack([self.points[r] for r in rows])

    def same_fact(self, a: Candidate, b: Candidate) -> bool:
        """Either of two sentences says nothing the other does not (remembered per pair)."""
        key = (min(a.idx, b.idx), max(a.idx, b.idx))
        known = self._same.get(key)
        if known is None:
            if normalise(a.text) == normalise(b.text):
                known = True
            else:
                known = restates(a.text, b.text, self.checker) or restates(
                    b.text, a.text, self.checker
                )
            self._same[key] = known
        return known

    def also_stated(self, c: Candidate) -> list[Candidate]:
        """Sentences of the other articles that state ``c``'s fact (or a part of it, or it
        with more), the most similar of each article: cited with it, as more support."""
        row = self.row[c.idx]
        best: dict[int, Candidate] = {}
        for d in self.all:
            if d.article_pos == c.article_pos or self.sim[row, self.row[d.idx]] < SAME_FACT_SIM:
                continue
            have = best.get(d.article_pos)
            if have is None or self.sim[row, self.row[d.idx]] > self.sim[row, self.row[have.idx]]:
                best[d.article_pos] = d
        return [d for _, d in sorted(best.items()) if self.same_fact(c, d)]
