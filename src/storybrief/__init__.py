"""storybrief: news articles in, explainers out — every sentence supported by, and citing,
the articles it was written from.

>>> import storybrief
>>> with storybrief.Library() as lib:                                   # doctest: +SKIP
...     result = lib.explain(["article.html"])

:class:`Library` is the way in: it owns the settings, the store, the checker and the engines.
The pipeline's stages are subpackages named after them (``storybrief.ingest``,
``storybrief.explain``, …), so the verbs live on the library, not on this package. The public
names are imported lazily so that ``storybrief --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "Library": "library",
    "ExplainResult": "results",
    "Settings": "settings",
    "load_settings": "settings",
    "Article": "records",
    "StorybriefError": "errors",
}

__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from importlib import import_module

        return getattr(import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'storybrief' has no attribute {name!r}")
