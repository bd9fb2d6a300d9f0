"""The language of an article's text: py3langid's model and answers, in half its memory.

py3langid finds a text's byte n-grams with an Aho-Corasick automaton that it holds as a full
transition table: 38,346 distinct rows of 256 four-byte entries (37 MB), a Python int per
state for its feature and another for its row (8 MB): RSS +75 MB once loaded, +103 MB at its
peak while loading. The automaton's state after a byte is, by construction, the longest suffix
of the text read so far that is a node of its trie (n-grams of at most 6 bytes), so the same
states are found here by looking each position's last 1..6 bytes up in the sorted keys of the
104,583 trie nodes (0.8 MB), all positions at once: RSS +35 MB (27 of them its feature table),
+45 MB at the peak. The naive Bayes scores are then py3langid's own (its
``LanguageIdentifier``, its feature table and its arithmetic, in its order), so every answer is
py3langid's: ``tests/test_language.py`` checks the scores on texts in many languages; on the
778 pages bench/extraction.py extracts, the same language for every one.

A packaged model of another layout than the one read here is used through py3langid's own
identifier.
"""

from __future__ import annotations

import functools
import lzma
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = ["classify"]

#: The longest n-gram (trie depth) the layout read here may have; a deeper model is refused.
MAX_DEPTH = 6

_LOCK = threading.Lock()


def classify(text: str) -> str | None:
    """py3langid's language code for ``text`` (its ``classify``), None when it gives none."""
    lang, _score = _identifier().classify(text)
    return str(lang) if lang else None


@functools.cache
def _cached() -> Any:
    return _load()


def _identifier() -> Any:
    with _LOCK:  # (functools.cache alone lets threads that ask at once each load one)
        return _cached()


def _load() -> Any:
    import py3langid.langid as langid

    model = _read(Path(langid.MODEL_DIR) / "data" / "model.npz.xz")
    if model is None:
        return langid._get_identifier()
    return _suffix_identifier(langid.LanguageIdentifier)(*model)


def _read(path: Path) -> tuple[Any, ...] | None:
    """(feature table, class priors, classes, sorted node keys, their features), or None
    when the file is not the automaton this module reads."""
    import numpy as np

    # the npz is read from a temporary file, as py3langid does, not held whole in memory
    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(path) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            if not {"ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat"} <= set(
                data.files
            ):
                return None
            rows = data["nextmove"].reshape(-1, 256)
            row_of = data["nextmove_row"]
            found = _node_keys(rows, row_of)
            if found is None:
                return None
            keys, states = found
            out = data["out_feat"].astype(np.int32)[states]
            del rows, row_of
            return data["ptc"], data["pc"], data["classes"].tolist(), keys, out


def _node_keys(rows: Any, row_of: Any) -> tuple[Any, Any] | None:
    """The automaton's trie, read from its transition table breadth first: an edge to a state
    not yet reached leads one byte deeper, so that state's string is its parent's plus the
    byte. Returns the nodes' keys (each node's bytes as one big-endian integer), sorted, and the
    state of each; None when the table is not such an automaton (a state deeper than
    :data:`MAX_DEPTH`)."""
    import numpy as np

    count = len(row_of)
    value = np.zeros(count, dtype=np.uint64)  # the node's bytes, big-endian
    depth = np.full(count, -1, dtype=np.int64)
    depth[0] = 0
    frontier = np.array([0])
    while len(frontier):
        level = int(depth[frontier[0]]) + 1
        children = []
        for start in range(0, len(frontier), 256):  # (a few MB at a time)
            parents = frontier[start : start + 256]
            targets = rows[row_of[parents]].astype(np.int64)  # (parents, 256)
            parent, byte = np.nonzero(depth[targets] < 0)
            child = targets[parent, byte]
            child, first = np.unique(child, return_index=True)  # one parent each, in a trie
            depth[child] = level
            value[child] = (value[parents[parent[first]]] << np.uint64(8)) | byte[first].astype(
                np.uint64
            )
            children.append(child)
        frontier = np.concatenate(children)
    if (depth < 0).any() or depth.max() > MAX_DEPTH:
        return None
    keys = value | (np.uint64(1) << (np.uint64(8) * depth.astype(np.uint64)))
    keys[0] = 0  # the root: no bytes, never looked up
    order = np.argsort(keys)
    return keys[order], order


def _suffix_identifier(base: type) -> type:
    """py3langid's ``LanguageIdentifier`` with the automaton walk replaced by the suffix
    look-up (the scores, language subsets and aliases are its own code)."""
    import numpy as np

    class SuffixIdentifier(base):  # type: ignore[misc, valid-type]
        def __init__(self, ptc: Any, pc: Any, classes: list[str], keys: Any, out: Any) -> None:
            empty: list[int] = []
            super().__init__(np.asarray(ptc), np.asarray(pc), classes, empty, empty, tk_row=empty)
            self.node_keys = keys
            self.node_features = out

        def _raw_score(self, text: bytes) -> Any:
            visits = self.visits(text)
            if visits:
                return self._sparse_score(visits, self.nb_ptc)
            fill = 0.0 if self._norm_probs else float(np.finfo(np.float32).min)
            return np.full(len(self.nb_classes), fill, dtype=np.float32)

        def visits(self, text: bytes) -> dict[int, int]:
            """{feature: times seen} in the order first seen, as py3langid's walk counts
            them: at each byte, the feature of the longest trie node ending there."""
            data = np.frombuffer(text, dtype=np.uint8).astype(np.uint64)
            n = len(data)
            if not n:
                return {}
            # keys[length - 1, i]: the ``length`` bytes ending at i, with their length's bit
            keys = np.zeros((MAX_DEPTH, n), dtype=np.uint64)
            keys[0] = data
            for length in range(2, MAX_DEPTH + 1):
                keys[length - 1, length - 1 :] = (keys[length - 2, length - 2 : n - 1] << 8) | data[
                    length - 1 :
                ]
            keys |= np.left_shift(1, 8 * np.arange(1, MAX_DEPTH + 1, dtype=np.uint64))[:, None]
            at = np.searchsorted(self.node_keys, keys)
            at[at >= len(self.node_keys)] = 0
            hit = self.node_keys[at] == keys
            for length in range(2, MAX_DEPTH + 1):
                hit[length - 1, : length - 1] = False  # (fewer bytes than that read there)
            # the longest suffix found at each position (none: the root, 0)
            longest = MAX_DEPTH - 1 - np.argmax(hit[::-1], axis=0)
            state = np.where(hit.any(axis=0), at[longest, np.arange(n)], 0)
            features = self.node_features[state]
            features = features[features >= 0]
            if not len(features):
                return {}
            found, first, counts = np.unique(features, return_index=True, return_counts=True)
            order = np.argsort(first)
            return dict(zip(found[order].tolist(), counts[order].tolist(), strict=True))

    return SuffixIdentifier
