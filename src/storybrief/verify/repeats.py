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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..records import Article
from ..text import content_words

if TYPE_CHECKING:
    from .checker import Checker

# A sentence shares at least this share of its words with one it might restate (a cheap test
# before the checker's).
_PREFILTER = 0.4


def _words(text: str) -> set[str]:
    """Content words and figures, as keys ("elections" and "election" alike)."""
    return set(content_words(text))


def restates(sentence: str, other: str, checker: Checker) -> bool:
    """Does ``sentence`` claim nothing that ``other`` does not?"""
    mine = _words(sentence)
    if not mine or len(mine & _words(other)) < _PREFILTER * len(mine):
        return False
    verdict = checker.check_sentence(sentence, [Article(id=0, text=other)])
    return verdict.label == "supported"
