"""Near-duplicates: wire copies, syndicated reprints and updated versions of one text, found
with MinHash signatures and locality-sensitive hashing. A near-duplicate counts once in its
story but its outlet is listed.

Both are datasketch's, written here in a few lines of numpy (datasketch's import pulled in
scipy, 41 MB, to find an index's bands): the same hash values as its ``MinHash`` for the
default seed, the same bands as its ``MinHashLSH``, the same candidates
(``tests/test_cluster.py`` compares them when datasketch is installed).
"""

from __future__ import annotations

import functools
import hashlib
import struct
import threading
from collections import OrderedDict
from collections.abc import Collection

import numpy as np

from .vectors import words

NUM_PERM = 128
#: Signatures kept for texts seen before, least recently used dropped first (about 1.1 KB
#: each): every batch of new articles meets the recent stories' articles again.
MAX_SIGNATURES = 16_384
_SIGNATURES: OrderedDict[bytes, Signature] = OrderedDict()
_SIGNATURES_LOCK = threading.Lock()
_MAX_HASH = np.uint32((1 << 32) - 1)
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


class Signature:
    """The MinHash of a text: ``NUM_PERM`` hash values (uint32)."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def jaccard(self, other: Signature) -> float:
        """The estimated Jaccard similarity of the two texts' word 3-grams."""
        same = np.count_nonzero(self.hashvalues == other.hashvalues)
        return float(same) / float(len(self.hashvalues))


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations for ``NUM_PERM`` and its default seed and scheme ("affine32"):
    the hash functions ``a * h + b`` in 32 bits, ``a`` odd."""
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _mix(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, which datasketch applies to each hash once."""
    shift1, times1, shift2, times2 = _FMIX
    hv = hv ^ (hv >> shift1)
    hv = hv * times1
    hv = hv ^ (hv >> shift2)
    hv = hv * times2
    return hv ^ (hv >> shift1)


@functools.cache
def _bands(threshold: float) -> tuple[int, int]:
    """The bands and rows that make the least of false positives and false negatives (weighed
    alike) at ``threshold``: datasketch's choice, with the integrals of its polynomials taken by
    Gauss-Legendre quadrature (exact for their degree) instead of scipy's."""
    nodes, weights = np.polynomial.legendre.leggauss(NUM_PERM // 2 + 1)

    def integral(f: np.ndarray, low: float, high: float) -> float:
        return float((high - low) / 2 * (weights @ f))

    low_s = (threshold / 2) * (nodes + 1)  # nodes on [0, threshold]
    high_s = threshold + (1 - threshold) / 2 * (nodes + 1)  # and on [threshold, 1]
    best, error = (0, 0), float("inf")
    for b in range(1, NUM_PERM + 1):
        for r in range(1, NUM_PERM // b + 1):
            fp = integral(1 - (1 - low_s ** float(r)) ** float(b), 0.0, threshold)
            fn = integral((1 - high_s ** float(r)) ** float(b), threshold, 1.0)
            if fp * 0.5 + fn * 0.5 < error:
                best, error = (b, r), fp * 0.5 + fn * 0.5
    return best


def signature(text: str, shingle: int = 3) -> Signature:
    """The MinHash of ``text``'s word 3-grams (shared with earlier calls for the same text:
    do not change it)."""
    digest = hashlib.blake2b(f"{shingle}:{text}".encode(), digest_size=16).digest()
    with _SIGNATURES_LOCK:
        kept = _SIGNATURES.get(digest)
        if kept is not None:
            _SIGNATURES.move_to_end(digest)
            return kept
    tokens = words(text)
    grams = {" ".join(tokens[i : i + shingle]) for i in range(max(1, len(tokens) - shingle + 1))}
    hashes = [struct.unpack("<I", hashlib.sha1(g.encode()).digest()[:4])[0] for g in grams if g]
    values = np.full(NUM_PERM, _MAX_HASH, dtype=np.uint32)
    if hashes:
        a, b = _permutations()
        hv = _mix(np.array(hashes, dtype=np.uint32).reshape(-1, 1))
        values = np.minimum(values, (hv * a + b).min(axis=0))
    sig = Signature(values)
    with _SIGNATURES_LOCK:
        _SIGNATURES[digest] = sig
        while len(_SIGNATURES) > MAX_SIGNATURES:
            _SIGNATURES.popitem(last=False)
    return sig


class NearDuplicates:
    """An LSH index of article signatures; :meth:`find` returns an indexed article whose text
    is at least ``threshold`` similar (estimated Jaccard of word 3-grams), or None.
    ``base``: another index whose articles count as this one's too (looked up, never changed:
    one removed here is only hidden)."""

    def __init__(self, threshold: float = 0.8, *, base: NearDuplicates | None = None) -> None:
        self.threshold = threshold
        # LSH finds candidates at a lower similarity so that pairs just above the threshold
        # are not missed by the banding; the estimated Jaccard then decides.
        self.bands, self.rows = _bands(max(0.1, threshold - 0.2))
        self._tables: list[dict[bytes, set[int]]] = [{} for _ in range(self.bands)]
        self._signatures: dict[int, Signature] = {}
        self._base = base
        self._hidden: set[int] = set()

    def __len__(self) -> int:
        shared = len(self._base) - len(self._hidden) if self._base is not None else 0
        return len(self._signatures) + shared

    def _keys(self, sig: Signature) -> list[bytes]:
        values = sig.hashvalues
        return [values[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(self.bands)]

    def find(self, sig: Signature) -> int | None:
        best, best_score = self._find(sig)
        if self._base is not None:
            key, score = self._base._find(sig, self._hidden)
            # the better match, the lower key of two as good (as one index holding both finds)
            if key is not None and (best is None or (score, -key) > (best_score, -best)):
                best = key
        return best

    def _find(self, sig: Signature, hidden: Collection[int] = ()) -> tuple[int | None, float]:
        candidates: set[int] = set()
        for table, band in zip(self._tables, self._keys(sig), strict=True):
            candidates.update(table.get(band, ()))
        best, best_score = None, self.threshold
        for key in candidates:
            if key in hidden:
                continue
            score = sig.jaccard(self._signatures[key])
            if score >= best_score and (best is None or key < best or score > best_score):
                best, best_score = key, score
        return best, best_score

    def add(self, key: int, sig: Signature) -> None:
        if key not in self._signatures:
            for table, band in zip(self._tables, self._keys(sig), strict=True):
                table.setdefault(band, set()).add(key)
            self._signatures[key] = sig

    def remove(self, key: int) -> None:
        sig = self._signatures.pop(key, None)
        if sig is not None:
            for table, band in zip(self._tables, self._keys(sig), strict=True):
                keys = table[band]
                keys.discard(key)
                if not keys:
                    del table[band]
        elif self._base is not None and key in self._base._signatures:
            self._hidden.add(key)
