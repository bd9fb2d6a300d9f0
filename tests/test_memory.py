"""What keeps a process's memory and CPU per article down (issues 27 and 28; measured by
bench/memory.py): what is loaded once is loaded once whatever the threads, the sentence model
runs in bounded batches, what it keeps of a text it saw is its sentence vector, and what is
worked out once is not worked out again for every story."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from storybrief import semantic
from storybrief.extract import core


def test_the_extractors_are_warmed_up_once_when_threads_ask_at_once(monkeypatch) -> None:
    # the fetcher's 8 threads reach the first page together: each warmed the extractors up
    # (functools.cache does not make the others wait), each with its own language model and
    # stop lists, ~690 MB at once
    calls: list[int] = []

    def slow_warm_up() -> None:
        calls.append(threading.get_ident())
        time.sleep(0.2)

    monkeypatch.setitem(core._WARM_UPS, "html", slow_warm_up)
    monkeypatch.setattr(core, "_WARMED", set())
    start = threading.Barrier(8)

    def first_page() -> None:
        start.wait()
        core._load_extractors("html")

    threads = [threading.Thread(target=first_page) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    core._load_extractors("html")
    assert len(calls) == 1


class Tokenizer:
    """A word a piece, with [CLS] and [SEP]; piece ids from the words' lengths."""

    def encode(self, text: str) -> SimpleNamespace:
        words = text.split()
        spans, at = [], 0
        for w in words:
            at = text.index(w, at)
            spans.append((at, at + len(w)))
            at += len(w)
        ids = [101, *(1000 + len(w) for w in words), 102]
        return SimpleNamespace(ids=ids, offsets=[(0, 0), *spans, (0, 0)])


class Session:
    """A piece's vector depends on its id alone, so a text's vectors do not depend on the
    batch it ran in; the shape of every run is kept."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, int]] = []

    def run(self, _outputs: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feeds["input_ids"]
        self.shapes.append(ids.shape)
        out = np.zeros((*ids.shape, 384), dtype=np.float32)
        out[..., 0] = 1.0
        out[..., 1] = ids % 7
        out[..., 2] = ids % 11
        return [out]


def test_the_model_runs_texts_shortest_first_in_batches_of_bounded_word_pieces() -> None:
    # 16 texts of 256 pieces in one run left ~375 MB in onnxruntime's arena, and a short text
    # padded to a long one's width was work for nothing
    session = Session()
    model = semantic.SemanticModel(session, Tokenizer())
    texts = [" ".join(["word"] * n) for n in (3, 200, 5, 250, 40, 7, 120, 2, 90, 60)]
    texts += [f"short text number {n}" for n in range(40)]
    vectors = model.embed(texts)
    assert vectors.shape == (len(texts), 384)
    for rows, width in session.shapes:
        assert rows <= semantic.BATCH_ROWS
        assert rows == 1 or rows * width <= semantic.BATCH_TOKENS
    widths = [width for _, width in session.shapes]
    assert widths == sorted(widths)
    one_by_one = semantic.SemanticModel(Session(), Tokenizer())
    alone = np.stack([one_by_one.embed([t])[0] for t in texts])
    assert np.allclose(vectors, alone, atol=1e-6)  # each text's vector, in the order asked


def test_embedding_keeps_sentence_vectors_not_word_pieces() -> None:
    # a watcher embeds every new article's lead and a story's sentences: what it keeps of a
    # text is its vector (1.5 KB), not 1.5 KB a word piece; the checker's paraphrase look
    # (word pieces) keeps its own, bounded in bytes
    session = Session()
    model = semantic.SemanticModel(session, Tokenizer())
    texts = [f"lead of article {n} " + "word " * 60 for n in range(20)]
    first = model.embed(texts)
    runs = len(session.shapes)
    assert not model._cache and model._cache_bytes == 0
    assert len(model._vectors) == 20
    assert np.array_equal(model.embed(texts[::-1]), first[::-1])
    assert len(session.shapes) == runs  # known texts: no run
    model.tokens(texts[:2])
    assert len(model._cache) == 2
    assert np.allclose(model.embed(texts[:2]), first[:2])
    # a text whose word pieces the checker already has gets its vector from them, no run
    fresh = "a sentence the checker read first " + "word " * 10
    model.tokens([fresh])
    runs = len(session.shapes)
    vector = model.embed([fresh])
    assert len(session.shapes) == runs
    model._vectors.clear()
    model._cache.clear()
    assert np.allclose(model.embed([fresh]), vector)  # as a run gives it


def test_the_vectors_kept_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(semantic, "MAX_VECTORS", 50)
    model = semantic.SemanticModel(Session(), Tokenizer())
    for n in range(20):
        model.embed([f"text {n} {k}" for k in range(10)])
        assert len(model._vectors) <= 50
    assert "text 19 9" in model._vectors and "text 0 0" not in model._vectors


def test_the_model_runs_on_one_thread_without_a_memory_pattern() -> None:
    # two threads spent twice the CPU for the same vectors on a shared two-core machine (one
    # thread: 12.7 ms of CPU a lead, two: 24.3); a memory pattern is planned per input shape,
    # and each batch has its own
    onnxruntime = pytest.importorskip("onnxruntime")
    options = semantic.session_options(onnxruntime)
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert options.enable_mem_pattern is False


def test_near_duplicate_indexes_work_out_their_bands_once() -> None:
    # an index's bands come from a search over every (bands, rows) pair, ~40 ms of CPU, and
    # healing makes a clusterer (an index) for every story it looks at: a fifth of an
    # article's CPU when each index searched again
    from storybrief.cluster import dedupe

    dedupe._bands.cache_clear()
    indexes = [dedupe.NearDuplicates(0.8) for _ in range(5)]
    assert dedupe._bands.cache_info().misses == 1
    assert len({(i.bands, i.rows) for i in indexes}) == 1


def test_what_an_article_says_is_read_once_per_text() -> None:
    # every assignment reads the window's stories' articles again (and healing the changed
    # stories' and their neighbours'): their names, years, figures and days were found anew
    # each time, 11% of an article's CPU
    from storybrief.cluster.identity import Facts

    text = "Mayor Ada Lovelace said on Tuesday that 40 bridges built in 1990 need repair."
    first = Facts.of(text)
    assert "lovelace" in first.names and 1990 in first.years
    assert Facts.of(text) is first
    assert Facts.of(text + " Again.") is not first
