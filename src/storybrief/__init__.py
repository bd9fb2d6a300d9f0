"""storybrief: news articles in, explainers out — every sentence supported by, and citing,
the articles it was written from.

The public API is imported lazily so that ``storybrief --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "ingest": "api",
    "articles": "api",
    "article": "api",
    "open_store": "api",
    "explain": "api",
    "check": "api",
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
