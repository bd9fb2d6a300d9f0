"""Condensing a long story to fit a model's context: keep the most central source sentences, in
reading order, rather than truncating. Centrality is the built-in engine's (TF-IDF LexRank over
all the story's sentences, cross-article agreement weighing more, restarts biased to leads:
:mod:`storybrief.explain.rank`), so both kinds of engine agree on what the story is about."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np

from .. import rank


class Numbered(Protocol):
    """What condensing needs of a source sentence."""

    @property
    def text(self) -> str: ...

    @property
    def article_pos(self) -> int: ...

    @property
    def position(self) -> int: ...  # index among its article's statements, from 0


T = TypeVar("T", bound=Numbered)


def centrality(sentences: Sequence[Numbered]) -> list[float]:
    """LexRank scores, with a restart prior that favours each article's first sentences."""
    if not sentences:
        return []
    vectors = rank.tfidf([s.text for s in sentences])
    prior = np.array([1.0 / (1.0 + s.position) for s in sentences])
    scores = rank.lexrank(vectors.similarity(), [s.article_pos for s in sentences], prior)
    return [float(x) for x in scores]


def select(sentences: Sequence[T], budget: int, cost: Callable[[T], int]) -> list[T]:
    """The most central sentences whose total ``cost`` (tokens) fits ``budget``, in their
    original order; each article's first sentence is kept first. All when all fit."""
    if sum(cost(s) for s in sentences) <= budget:
        return list(sentences)
    scores = centrality(sentences)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    leads = [i for i, s in enumerate(sentences) if s.position == 0]
    chosen: set[int] = set()
    spent = 0
    for i in [*leads, *order]:
        if i in chosen:
            continue
        c = cost(sentences[i])
        if spent + c <= budget:
            chosen.add(i)
            spent += c
    return [sentences[i] for i in sorted(chosen)]
