"""Verify stage: every published sentence must be supported by, and cite, the source articles.

>>> from storybrief.verify import Checker
>>> verdicts = Checker().check_text(explainer_text, articles)   # doctest: +SKIP

The checks are lexical (names, numbers, quotes and their speakers, negation and opposite words,
content coverage); with ``CheckerOptions(use_model=True)`` and the ``checker-model`` extra a
sentence-embedding model also scores meaning.
"""

from __future__ import annotations

from .checker import Checker
from .models import CheckerOptions, Citation, Label, Verdict

__all__ = ["Checker", "CheckerOptions", "Citation", "Label", "Verdict"]
