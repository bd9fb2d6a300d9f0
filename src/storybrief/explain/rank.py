"""How central each sentence is to the story, and how alike two sentences are.

Sentences become TF-IDF vectors of stemmed content words; their cosine similarities form a
graph whose stationary distribution (LexRank: a random walk that follows similarity, with
restarts biased towards article leads and the headlines) is the sentence's centrality. Edges
between sentences of different articles weigh more, so facts that several sources agree on
rank higher. Everything is numpy on matrices of a few hundred rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Function words and reporting verbs: they say nothing about what the story is about.
_STOPWORDS_TEXT = """a about above after again against all also am an and any are aren't as at
    be because been before being below between both but by can cannot could couldn't did didn't
    do does doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's
    i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's will with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    said says say told according mr mrs ms just like also new one two would could may might
    per cent percent s t"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_SUFFIX_TEXT = "ational ization fulness ousness iveness ments ment ings ing edly ies ied ed es ly s"
_SUFFIXES = tuple(_SUFFIX_TEXT.split())


def stem(word: str) -> str:
    """A light suffix stripper: enough to match "elections"/"election", "voted"/"votes"."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return root + "y"
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return root
    return word


def tokens(text: str) -> list[str]:
    """Stemmed content words of a text, lower-cased."""
    out = []
    for match in _TOKEN.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if word in STOPWORDS or len(word) < 2:
            continue
        out.append(stem(word))
    return out


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
        return _rows([Counter(tokens(t)) for t in texts], self.vocabulary, self.idf)


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
    bags = [Counter(tokens(t)) for t in texts]
    extra = [Counter(tokens(t)) for t in extra_documents]
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
