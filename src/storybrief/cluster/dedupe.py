"""Near-duplicates: wire copies, syndicated reprints and updated versions of one text, found
with MinHash signatures and locality-sensitive hashing (datasketch). A near-duplicate counts
once in its story but its outlet is listed.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from datasketch import MinHash, MinHashLSH

from .vectors import words

NUM_PERM = 128
#: Signatures kept for texts seen before, least recently used dropped first (about 1.2 KB
#: each): every batch of new articles meets the recent stories' articles again.
MAX_SIGNATURES = 16_384
_SIGNATURES: OrderedDict[bytes, MinHash] = OrderedDict()
_SIGNATURES_LOCK = threading.Lock()


@functools.cache
def _permutations() -> tuple[Any, str]:
    """datasketch's permutations for ``NUM_PERM`` and its default seed, made once: a MinHash
    makes its own otherwise, which took most of the time of hashing a short text."""
    first = MinHash(num_perm=NUM_PERM)
    return first.permutations, first.scheme


@functools.cache
def _bands(threshold: float) -> tuple[int, int]:
    """datasketch's bands and rows for ``threshold``, found once: it finds them by numeric
    integration (scipy) for every index it makes, ~0.1 s of CPU, and each story healing looks
    at makes one (a fifth of the CPU of an article in bench/memory.py)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def signature(text: str, shingle: int = 3) -> MinHash:
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
    permutations, scheme = _permutations()
    m = MinHash(num_perm=NUM_PERM, permutations=permutations, scheme=scheme)
    m.update_batch([g.encode() for g in grams if g])
    with _SIGNATURES_LOCK:
        _SIGNATURES[digest] = m
        while len(_SIGNATURES) > MAX_SIGNATURES:
            _SIGNATURES.popitem(last=False)
    return m


class NearDuplicates:
    """An LSH index of article signatures; :meth:`find` returns an indexed article whose text
    is at least ``threshold`` similar (estimated Jaccard of word 3-grams), or None.
    ``base``: another index whose articles count as this one's too (looked up, never changed:
    one removed here is only hidden)."""

    def __init__(self, threshold: float = 0.8, *, base: NearDuplicates | None = None) -> None:
        self.threshold = threshold
        # LSH finds candidates at a lower similarity so that pairs just above the threshold
        # are not missed by the banding; the estimated Jaccard then decides.
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=_bands(max(0.1, threshold - 0.2)))
        self._signatures: dict[int, MinHash] = {}
        self._base = base
        self._hidden: set[int] = set()

    def __len__(self) -> int:
        shared = len(self._base) - len(self._hidden) if self._base is not None else 0
        return len(self._signatures) + shared

    def find(self, sig: MinHash) -> int | None:
        best, best_score = self._find(sig)
        if self._base is not None:
            key, score = self._base._find(sig, self._hidden)
            # the better match, the lower key of two as good (as one index holding both finds)
            if key is not None and (best is None or (score, -key) > (best_score, -best)):
                best = key
        return best

    def _find(self, sig: MinHash, hidden: Collection[int] = ()) -> tuple[int | None, float]:
        best, best_score = None, self.threshold
        for key in self._lsh.query(sig):
            if key in hidden:
                continue
            score = sig.jaccard(self._signatures[key])
            if score >= best_score and (best is None or key < best or score > best_score):
                best, best_score = key, score
        return best, best_score

    def add(self, key: int, sig: MinHash) -> None:
        if key not in self._signatures:
            self._lsh.insert(key, sig)
            self._signatures[key] = sig

    def remove(self, key: int) -> None:
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)
        elif self._base is not None and key in self._base._signatures:
            self._hidden.add(key)
