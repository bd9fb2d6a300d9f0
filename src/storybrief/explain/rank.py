"""How central each sentence is to the story, and how alike two sentences are.

Sentences become TF-IDF vectors of their content words (stemmed, stop words dropped, by
:func:`storybrief.text.content_words`: the rules every stage shares); their cosine similarities
form a graph whose stationary distribution (LexRank: a random walk that follows similarity, with
restarts biased towards article leads and the headlines) is the sentence's centrality. Edges
between sentences of different articles weigh more, so facts that several sources agree on
rank higher. Everything is numpy on matrices of a few hundred rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text import content_words


@dataclass
class Vectors:
    """Row-normalised TF-IDF vectors of some texts (and the vocabulary's IDF)."""

    matrix: np.ndarray  # (n_texts, vocabulary), rows of unit length or zero
    vocabulary: dict[str, int]
    idf: np.ndarray

    def similarity(self) -> np.ndarray:
        return np.asarray(self.matrix @ self.matrix.T)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of further texts in the same space (words not in the vocabulary dropped)."""
        return _rows([Counter(content_words(t)) for t in texts], self.vocabulary, self.idf)


def _rows(bags: Sequence[Counter[str]], vocabulary: dict[str, int], idf: np.ndarray) -> np.ndarray:
    matrix = np.zeros((len(bags), len(vocabulary)))
    for i, bag in enumerate(bags):
        for word, count in bag.items():
            j = vocabulary.get(word)
            if j is not None:
                matrix[i, j] = (1.0 + math.log(count)) * idf[j]
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    return matrix / norms[:, None]


def tfidf(texts: Sequence[str], extra_documents: Sequence[str] = ()) -> Vectors:
    """TF-IDF vectors of ``texts``; ``extra_documents`` (headlines, say) only count towards
    document frequencies."""
    bags = [Counter(content_words(t)) for t in texts]
    extra = [Counter(content_words(t)) for t in extra_documents]
    df: Counter[str] = Counter()
    for bag in (*bags, *extra):
        df.update(bag.keys())
    vocabulary = {w: i for i, w in enumerate(sorted(df))}
    n = len(bags) + len(extra)
    idf = np.ones(len(vocabulary))
    for word, j in vocabulary.items():
        idf[j] = math.log((1.0 + n) / (1.0 + df[word])) + 1.0
    return Vectors(_rows(bags, vocabulary, idf), vocabulary, idf)


def lexrank(
    similarity: np.ndarray,
    groups: Sequence[int],
    prior: np.ndarray,
    *,
    cross_weight: float = 1.5,
    restart: float = 0.15,
    iterations: int = 200,
    tolerance: float = 1e-10,
) -> np.ndarray:
    """Stationary distribution of a random walk on the similarity graph.

    ``groups[i]`` is the article of sentence i; edges between articles are multiplied by
    ``cross_weight``. With probability ``restart`` the walk jumps to a sentence drawn from
    ``prior`` (lead and headline bias). Returns scores summing to 1.
    """
    n = similarity.shape[0]
    if n == 0:
        return np.zeros(0)
    weights = np.clip(similarity, 0.0, None).copy()
    np.fill_diagonal(weights, 0.0)
    group = np.asarray(groups)
    weights *= np.where(group[:, None] != group[None, :], cross_weight, 1.0)
    p = np.clip(np.asarray(prior, dtype=float), 0.0, None)
    p = p / p.sum() if p.sum() > 0 else np.full(n, 1.0 / n)
    row_sums = weights.sum(axis=1)
    transition = np.empty_like(weights)
    has_edges = row_sums > 0
    transition[has_edges] = weights[has_edges] / row_sums[has_edges, None]
    transition[~has_edges] = p  # a sentence with no neighbours restarts
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = restart * p + (1.0 - restart) * (rank @ transition)
        if float(np.abs(updated - rank).sum()) < tolerance:
            rank = updated
            break
        rank = updated
    return np.asarray(rank / rank.sum())


def agreement(similarity: np.ndarray, groups: Sequence[int], threshold: float = 0.2) -> np.ndarray:
    """Share of the *other* articles that have a sentence at least ``threshold`` similar."""
    group = np.asarray(groups)
    articles = sorted(set(groups))
    if len(articles) < 2:
        return np.zeros(len(groups))
    hits = np.zeros(len(groups))
    for g in articles:
        cols = group == g
        best = similarity[:, cols].max(axis=1)
        hits += np.where(group != g, best >= threshold, False)
    return hits / (len(articles) - 1)
