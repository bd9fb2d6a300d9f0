"""The built-in engine: the extractive explainer of :mod:`.selection`, offline, deterministic
and fast. Every sentence is a source sentence, so it cannot say anything its sources do not."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import MissingExtraError
from ..records import Article
from .engines import Engine, EngineContext, Progress
from .model import Explainer
from .selection import BuiltinOptions, Embedder, select_explainer


class BuiltinEngine(Engine):
    """Extractive explainer engine (offline, deterministic, fast). With the ``checker-model``
    extra installed it tells two sentences that make one point in other words apart by their
    MiniLM vectors (option ``meaning``), and decides which sentences answer Why, Next and Beyond
    with the role model that reads those vectors too (option ``roles``; the checker's model
    when the library's checker runs one)."""

    name = "builtin"
    offline = True
    deterministic = True
    reconciles = True  # says where sources differ itself, while it selects (option coherence)

    def __init__(
        self, options: BuiltinOptions | None = None, context: EngineContext | None = None
    ) -> None:
        self.options = options or BuiltinOptions()
        self.checker = context.checker if context is not None else None
        self.semantic: Embedder | None = self.checker.semantic if self.checker is not None else None
        self.meaning: Embedder | None = self.semantic or _meaning_model(self.options.meaning)
        if self.semantic is None and self.options.roles != "words":
            self.semantic = _meaning_model(self.options.roles)

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,  # it does not stream
    ) -> Explainer:
        return select_explainer(
            articles,
            self.options,
            headline=headline,
            semantic=self.semantic,
            checker=self.checker,
            meaning=self.meaning,
            engine=self.name,
        )


def _meaning_model(kind: str) -> Embedder | None:
    """The MiniLM model (one shared instance) for telling one point once or for the roles:
    ``model`` (its extra must be installed), ``auto`` (when installed), ``words`` (never)."""
    if kind == "words":
        return None
    from ..semantic import SemanticModel

    try:
        return SemanticModel.shared()
    except MissingExtraError:
        if kind == "model":
            raise
        return None


def register_engines(register: Callable[..., None]) -> None:
    """Plugin hook: storybrief registers its built-in engine through it like any other."""
    register(
        "builtin",
        BuiltinEngine,
        options=BuiltinOptions,
        description="extractive, offline: every sentence is a source sentence",
    )
