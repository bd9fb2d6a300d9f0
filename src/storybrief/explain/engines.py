"""Explainer engines: one contract and a registry keyed by name.

An engine is a subclass of :class:`Engine`: it turns the articles of one story into an
:class:`~storybrief.explain.model.Explainer` and declares what it can do as class attributes
(its capabilities: ``offline``, ``deterministic``, ``streams``, ``reconciles``) and, with
:meth:`Engine.identity`, what decides the text it writes. Engines are registered by plugins:
a module with a function ``register_engines(register)`` that calls
``register(name, factory, options=OptionsModel)``. Every factory is called the same way,
``factory(options, context)``: the validated options (an instance of the options model, or of
:class:`NoOptions` when the engine declares none) and the :class:`EngineContext`, the explain
stage's settings and the library's one checker (so an engine never reads settings itself, and
checks drafts with the same checker that gates publishing). The built-in engines are plugins
like any other (listed in :data:`DEFAULT_PLUGINS`); outside packages add theirs through the
``storybrief.engines`` entry-point group, naming such a module. A new engine is one new file.

>>> engine = get_engine("builtin")                              # doctest: +SKIP
>>> explainer = engine.explain(articles)                        # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import EngineError
from ..records import Article
from ..settings import ExplainSettings
from ..verify import Checker
from .model import Explainer

#: Modules that register the engines storybrief ships (each has ``register_engines``).
DEFAULT_PLUGINS: tuple[str, ...] = ("storybrief.explain.builtin", "storybrief.explain.llm")
ENTRY_POINT_GROUP = "storybrief.engines"


Progress = Callable[[int], None]


class Engine(ABC):
    """Writes an explainer from the articles of one story: the contract every engine keeps.

    Capabilities are declared, not probed: a subclass sets the class attributes that are true
    of it (an instance may set them in ``__init__`` when they depend on its options).

    - ``name``: what the explainers it writes record as their engine;
    - ``offline``: it runs on this machine alone (no network but 127.0.0.0/8);
    - ``deterministic``: the same articles and options always give the same explainer;
    - ``streams``: :meth:`explain` calls ``progress`` with the number of tokens generated so
      far (an engine that does not stream never calls it);
    - ``reconciles``: it says where sources differ and leaves out contradictions itself;
      otherwise the library applies :func:`~storybrief.explain.reconcile.reconcile` to its
      draft.
    """

    name: str = "engine"
    offline: bool = False
    deterministic: bool = False
    streams: bool = False
    reconciles: bool = False

    @abstractmethod
    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,
    ) -> Explainer:
        """Every sentence of the result must be supported by, and cite, ``articles``.
        Raises :class:`~storybrief.errors.EngineError` when no explainer can be written."""

    def identity(self) -> dict[str, Any] | None:
        """What decides the text this engine writes from given sources (engine, model, prompt
        version, options), by which the library keys stored explainers; ``None`` (the
        default): the engine's name and the options it was asked for."""
        return None


class NoOptions(BaseModel):
    """The options of an engine that declares no options model: none may be given."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class EngineContext:
    """What the library hands every engine it builds."""

    settings: ExplainSettings | None = None
    checker: Checker | None = None


EngineFactory = Callable[[Any, EngineContext], Engine]


@dataclass(frozen=True)
class EngineSpec:
    """A registered engine: its factory, called as ``factory(options, context)`` with an
    instance of its options model, and that model."""

    name: str
    factory: EngineFactory
    options: type[BaseModel] = NoOptions
    description: str = ""
    release: Callable[[], None] | None = None  # frees what the engine's instances share


logger = logging.getLogger(__name__)

_REGISTRY: dict[str, EngineSpec] = {}
_FAILED: dict[str, str] = {}
_LOADED = False
_LOCK = threading.RLock()


def register_engine(
    name: str,
    factory: EngineFactory,
    *,
    options: type[BaseModel] | None = None,
    description: str = "",
    replace: bool = False,
    release: Callable[[], None] | None = None,
) -> None:
    """Make an engine available under ``name``. ``factory(options, context)`` builds it, given
    an instance of ``options`` (a pydantic model, best with ``extra="forbid"``; without one,
    :class:`NoOptions`: none may be given) and the :class:`EngineContext`, and must return an
    :class:`Engine`. ``release()``, if given, frees what its engines keep for the whole
    process (a loaded model, say); it is called by :func:`close_engines`, and an engine used
    again afterwards must load it again."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise EngineError(f"engine name {name!r} must be letters, digits, '-' or '_'")
    with _LOCK:
        if name in _REGISTRY and not replace:
            if _REGISTRY[name].factory is factory:
                return
            raise EngineError(f"an engine named {name!r} is already registered")
        _REGISTRY[name] = EngineSpec(name, factory, options or NoOptions, description, release)


def unregister_engine(name: str) -> None:
    """Forget an engine (tests use this to clean up)."""
    with _LOCK:
        _REGISTRY.pop(name, None)


def _register(
    name: str,
    factory: EngineFactory,
    options: type[BaseModel] | None = None,
    description: str = "",
    release: Callable[[], None] | None = None,
) -> None:
    register_engine(name, factory, options=options, description=description, release=release)


def close_engines() -> None:
    """Free what the registered engines keep for the whole process (each ``release``), e.g.
    the loaded llama.cpp model; the library calls it when its last instance closes. A release
    that fails is logged, and the others still run."""
    with _LOCK:
        releases = list(dict.fromkeys(s.release for s in _REGISTRY.values() if s.release))
    for release in releases:
        try:
            release()
        except Exception:  # closing must go on: the other engines' resources, the store
            logger.warning("releasing an engine's resources failed", exc_info=True)


def load_plugins() -> None:
    """Register the built-in engines and those of installed plugins (once). A plugin that
    fails to load is remembered, not raised: the other engines still work, and asking for
    one of the missing engines says what went wrong."""
    global _LOADED
    with _LOCK:
        if _LOADED:
            return
        _LOADED = True
        for module_name in DEFAULT_PLUGINS:
            _load(module_name, partial(import_module, module_name))
        from importlib.metadata import entry_points

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            _load(f"{entry.name} ({entry.value})", entry.load)


def _load(label: str, loader: Callable[[], Any]) -> None:
    try:
        plugin = loader()
        hook = getattr(plugin, "register_engines", plugin)
        hook(_register)
    except Exception as exc:  # one broken plugin must not take the others down
        _FAILED[label] = f"{type(exc).__name__}: {exc}"


def plugin_failures() -> dict[str, str]:
    """Plugins that could not be loaded, with the error each raised."""
    load_plugins()
    return dict(_FAILED)


def available_engines() -> list[str]:
    """Names of the registered engines, sorted."""
    load_plugins()
    return sorted(_REGISTRY)


def engine_spec(name: str) -> EngineSpec:
    load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        failed = "".join(f"; plugin {k} failed to load: {v}" for k, v in _FAILED.items())
        raise EngineError(
            f"no explainer engine named {name!r} (available: {known}){failed}"
        ) from None


def get_engine(
    name: str = "builtin", *, context: EngineContext | None = None, **options: Any
) -> Engine:
    """Build the engine registered as ``name`` with ``options`` (and the library's
    ``context``); unknown or invalid options raise :class:`EngineError` naming them."""
    spec = engine_spec(name)
    try:
        validated = spec.options(**options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'options'}: {err['msg']}"
            for err in exc.errors()
        )
        raise EngineError(f"invalid options for engine {name!r}: {problems}") from None
    engine = spec.factory(validated, context or EngineContext())
    if not isinstance(engine, Engine):
        raise EngineError(
            f"engine {name!r} was built as {type(engine).__name__}, not an Engine: its factory "
            "must return a subclass of storybrief.explain.Engine"
        )
    return engine


def explain_articles(
    articles: Sequence[Article],
    engine: str | Engine = "builtin",
    *,
    headline: str | None = None,
    **options: Any,
) -> Explainer:
    """Write the explainer of one story's ``articles`` with the named engine (or an engine
    instance) and its options."""
    if isinstance(engine, str):
        engine = get_engine(engine, **options)
    elif options:
        raise EngineError("options can only be given with an engine name")
    return engine.explain(articles, headline=headline)
