"""One fact once: does a sentence say again what another already says?

A sentence *restates* another when everything it claims is supported by that other sentence
alone: the checker, given the other sentence as the only source, finds the sentence's names,
figures, quotations and content there (and, with the meaning model, its paraphrases). The test
is one-way: "The storm killed 12 people." restates "The storm killed 12 people in Florida on
Monday.", not the other way round, so the more informative wording is the one kept.

The gate (:func:`storybrief.verify.publish.check_explainer`) uses it for every engine: a
published sentence that restates an earlier one is left out, and its citations join the one
kept (more sources, more support). The built-in engine uses it while it chooses.

>>> from storybrief.verify import Checker
>>> restates("The storm killed 12 people.", "The storm killed 12 people in Florida.", Checker())
True
>>> restates("The storm killed 12 people in Florida.", "The storm killed 12 people.", Checker())
False

A clause can say again what an earlier sentence said while the rest of its sentence is new:
"The deal, which makes Hun Sen prime minister, ended three months of deadlock." after "The
parties agreed a deal that makes Hun Sen prime minister." :func:`trimmed` gives the sentence
without such a clause (a relative clause set off by commas: ", which ...,", ", who ...,")
when the sentences published before it state all it claims, taken together; the gate
publishes the shorter sentence once the checker supports it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..records import Article
from ..text import content_words

if TYPE_CHECKING:
    from .checker import Checker

# A sentence shares at least this share of its words with one it might restate (a cheap test
# before the checker's).
_PREFILTER = 0.4
# With the meaning model: two sentences this close (MiniLM cosine) make one point, and the later
# one says it again when it names no one and no figure the earlier one does not. Chosen by
# reading the pairs of DUC 2004 explainers around it (0.7-0.85: "named Sharon foreign minister"
# and "appointed Ariel Sharon ... to be foreign minister", 0.72).
SAME_POINT = 0.75
_NAMES_FIGURES = re.compile(r"\b(?:[A-Z][\w'’-]+|\d[\d,.]*)")


def _words(text: str) -> set[str]:
    """Content words and figures, as keys ("elections" and "election" alike)."""
    return set(content_words(text))


def restates(sentence: str, other: str, checker: Checker) -> bool:
    """Does ``sentence`` claim nothing that ``other`` does not? With the checker's meaning
    model, also when the two make one point (:data:`SAME_POINT`) and ``sentence`` brings no
    name or figure of its own."""
    if checker.semantic is not None and _same_point(sentence, other, checker):
        return True
    mine = _words(sentence)
    if not mine or len(mine & _words(other)) < _PREFILTER * len(mine):
        return False
    verdict = checker.check_sentence(sentence, [Article(id=0, text=other)])
    return verdict.label == "supported"


# A non-restrictive relative clause: ", which makes Hun Sen prime minister," before the rest
# of the sentence (in lower case: the main verb), or at its end.
_RELATIVE_CLAUSE = re.compile(r",\s+(?:which|who)\s+[^,;:()“”\"]+?(?:,\s+(?=[a-z])|(?=[.!?]$))")
MIN_CLAUSE_WORDS = 4  # a shorter clause ("who is 52") is left alone


def trimmed(sentence: str, earlier: list[str], checker: Checker) -> str | None:
    """``sentence`` without a relative clause that the ``earlier`` sentences (together)
    already state; None when no clause does."""
    said = " ".join(earlier)
    if not said:
        return None
    for m in _RELATIVE_CLAUSE.finditer(sentence):
        claim = m.group().strip(" ,.").split(maxsplit=1)[1]  # "makes Hun Sen prime minister"
        if len(claim.split()) >= MIN_CLAUSE_WORDS and restates(claim, said, checker):
            ending = " " if m.group().endswith(" ") else ""
            return sentence[: m.start()] + ending + sentence[m.end() :]
    return None


def _same_point(sentence: str, other: str, checker: Checker) -> bool:
    model = checker.semantic
    assert model is not None
    if model.similarity(sentence, other) < SAME_POINT:
        return False
    theirs = {m.group().lower() for m in _NAMES_FIGURES.finditer(other)}
    first = sentence.split(maxsplit=1)[0] if sentence.split() else ""
    mine = {
        m.group().lower()
        for m in _NAMES_FIGURES.finditer(sentence)
        if m.start() > 0 or m.group() != first  # a capitalised first word is no name
    }
    return mine <= theirs
