"""An example storybrief engine plugin, "leads": "What's Happening?" is the first sentences of
each article of the story (its lead), each citing itself; the other sections are left to say
that the sources do not cover them. docs/plugins.md walks through it.

storybrief finds it through the entry point in pyproject.toml: the "storybrief.engines" group
names this module, and storybrief calls its ``register_engines(register)`` once, when an
engine is first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storybrief.errors import EngineError
from storybrief.explain import (
    SECTION_KEYS,
    Citation,
    Engine,
    EngineContext,
    Explainer,
    ExplainerSentence,
    Section,
    SourceArticle,
)
from storybrief.records import Article


class LeadsOptions(BaseModel):
    """The engine's options (``-o per_article=2``): a pydantic model; ``extra="forbid"`` makes
    a misspelt option an error that names it."""

    model_config = ConfigDict(extra="forbid")

    per_article: int = Field(
        default=1, ge=1, le=5, description="sentences taken from the top of each article"
    )


class LeadsEngine(Engine):
    """Capabilities are class attributes: it runs here alone (``offline``), and the same
    articles always give the same explainer (``deterministic``). It does not say where
    sources differ (``reconciles`` stays False): the library does that for it."""

    name = "leads"
    offline = True
    deterministic = True

    def __init__(self, options: LeadsOptions, context: EngineContext) -> None:
        self.options = options

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Explainer:
        leads: list[ExplainerSentence] = []
        for position, article in enumerate(articles):
            # an article not stored yet is cited by its place in the list
            article_id = article.id if article.id is not None else position
            body = [s for s in article.sentences if not s.is_heading]
            for sentence in body[: self.options.per_article]:
                cited = Citation(
                    article_id=article_id,
                    sentence_index=sentence.index,
                    start=sentence.start,
                    end=sentence.end,
                )
                leads.append(ExplainerSentence(text=sentence.text, citations=[cited]))
        if not leads:
            raise EngineError("leads engine: the articles have no sentences")
        title = headline or next((a.title for a in articles if a.title), leads[0].text)
        return Explainer(
            headline=title,
            sections=[
                Section(key=key, sentences=leads if key == "whats_happening" else [])
                for key in SECTION_KEYS
            ],
            engine=self.name,
            engine_options=self.options.model_dump(),
            sources=[SourceArticle.from_article(a, i) for i, a in enumerate(articles)],
        )

    def identity(self) -> dict[str, Any]:
        """What decides the text it writes: stored explainers are keyed by it, so asking
        again with the same options returns the stored version."""
        return {"engine": self.name, "options": self.options.model_dump()}


def register_engines(register: Callable[..., None]) -> None:
    """Called by storybrief once: ``register(name, factory, options=..., description=...)``;
    the factory is called as ``factory(options, context)``."""
    register(
        "leads",
        LeadsEngine,
        options=LeadsOptions,
        description="the lead sentences of each article (an example plugin: docs/plugins.md)",
    )
