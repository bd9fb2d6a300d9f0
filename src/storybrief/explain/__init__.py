"""Explain stage: the articles of one story in, an explainer out — a headline and four
sections ("What's Happening?", "Why It's Important?", "What's Next?", "Beyond the Headlines")
whose every sentence cites the source sentences it rests on.

>>> from storybrief.explain import explain_articles, to_text
>>> print(to_text(explain_articles(articles)))               # doctest: +SKIP

Engines keep one contract (:class:`Engine`: ``explain`` and declared capabilities), are built
by one factory signature, ``factory(options, context)``, and are found in a registry keyed by
name; the built-in engine (``"builtin"``) is extractive and offline.
"""

from __future__ import annotations

from ..records import Citation
from .engines import (
    Engine,
    EngineContext,
    EngineSpec,
    NoOptions,
    available_engines,
    engine_spec,
    explain_articles,
    get_engine,
    register_engine,
    unregister_engine,
)
from .model import (
    EMPTY_NOTES,
    SECTION_KEYS,
    SECTIONS,
    Explainer,
    ExplainerSentence,
    Section,
    SectionKey,
    SourceArticle,
    explainer_json_schema,
    published_schema,
)
from .render import FORMATS, render, to_html, to_json, to_markdown, to_text

__all__ = [
    "EMPTY_NOTES",
    "FORMATS",
    "SECTIONS",
    "SECTION_KEYS",
    "Citation",
    "Engine",
    "EngineContext",
    "EngineSpec",
    "Explainer",
    "ExplainerSentence",
    "NoOptions",
    "Section",
    "SectionKey",
    "SourceArticle",
    "available_engines",
    "engine_spec",
    "explain_articles",
    "explainer_json_schema",
    "get_engine",
    "published_schema",
    "register_engine",
    "render",
    "to_html",
    "to_json",
    "to_markdown",
    "to_text",
    "unregister_engine",
]
