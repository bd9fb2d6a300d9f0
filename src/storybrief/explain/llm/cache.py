"""A small on-disk cache of LLM-written explainers: one JSON file per key, under
``<data_dir>/cache/explainers/``. The key covers the sources (their content hashes), the engine,
the model, the prompt version and the options that change what is generated, so a hit is the
explainer the same request would write again."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...records import Article
from ..model import Explainer


def cache_key(
    articles: Sequence[Article], engine: str, model: str, prompt_version: str, options: Any
) -> str:
    payload = {
        "sources": [[a.id, a.content_hash] for a in articles],
        "engine": engine,
        "model": model,
        "prompt": prompt_version,
        "options": options,
    }
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ExplainerCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Explainer | None:
        path = self._path(key)
        try:
            return Explainer.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError):
            return None  # absent, unreadable or from an older model: write it again

    def put(self, key: str, explainer: Explainer) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(explainer.model_dump_json())
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time
