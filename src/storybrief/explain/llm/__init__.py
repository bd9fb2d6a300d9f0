"""LLM explainer engines, held to the same truth as the built-in one: every sentence a model
drafts goes through the checker and is published only when the sources support it.

- ``openai``: any OpenAI-compatible chat-completions server (:mod:`.openai_engine`).
- ``llamacpp``: a GGUF model in process via llama-cpp-python (:mod:`.llamacpp_engine`).

Both share one versioned prompt (``explain/prompts/explainer-v1.md`` and its JSON Schema), the
numbering of source sentences (``[A1.S3]``), condensing of long stories, parsing and repair of
answers, checking, and the on-disk cache (:mod:`.engine`). Importing this package imports
neither httpx clients nor llama.cpp: engines are built on demand through the registry.

>>> from storybrief.explain.engines import get_engine                        # doctest: +SKIP
>>> engine = get_engine("openai", base_url="http://127.0.0.1:8080/v1")      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import Completion, Dropped, Generation, LLMEngine, LLMOptions, generation_of
from .prompt import PROMPT_VERSION

__all__ = [
    "PROMPT_VERSION",
    "Completion",
    "Dropped",
    "Generation",
    "LLMEngine",
    "LLMOptions",
    "generation_of",
    "register_engines",
]


def _openai(options: Any) -> Any:
    from .openai_engine import OpenAIEngine

    return OpenAIEngine(options)


def _llamacpp(options: Any) -> Any:
    from .llamacpp_engine import LlamaCppEngine

    return LlamaCppEngine(options)


def register_engines(register: Callable[..., None]) -> None:
    """The plugin hook (see :mod:`storybrief.explain.engines`)."""
    from .llamacpp_engine import LlamaCppOptions
    from .openai_engine import OpenAIOptions

    register(
        "openai",
        _openai,
        options=OpenAIOptions,
        description="any OpenAI-compatible chat-completions server (base_url, model, api_key)",
    )
    register(
        "llamacpp",
        _llamacpp,
        options=LlamaCppOptions,
        description="a local GGUF model via llama-cpp-python (pip install "
        "'storybrief[llamacpp,llamacpp-model]')",
    )
