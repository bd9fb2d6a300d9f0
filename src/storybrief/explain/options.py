"""The built-in engine's options and what its selection needs of a sentence-vector model
(kept apart from :mod:`.selection`, which re-exports both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import numpy as np


class BuiltinOptions(BaseModel):
    """Options of the built-in engine. The defaults give sections of two to five sentences,
    about 70 to 110 words each, like a hand-written explainer."""

    model_config = ConfigDict(extra="forbid")

    min_sentences: int = Field(default=2, ge=1, le=10, description="a section aims for this many")
    max_sentences: int = Field(default=8, ge=1, le=20, description="most sentences per section")
    target_words: int = Field(
        default=70, ge=10, le=1000, description="a section stops growing at this many words"
    )
    max_words: int = Field(
        default=110, ge=10, le=2000, description="a section does not grow past this many words"
    )
    redundancy: float = Field(
        default=0.4,
        gt=0.0,
        le=1.0,
        description="similarity (TF-IDF cosine) at which two sentences count as one",
    )
    diversity: float = Field(
        default=0.5, ge=0.0, le=2.0, description="MMR penalty on similarity to chosen sentences"
    )
    lead_weight: float = Field(
        default=0.1, ge=0.0, le=5.0, description="weight of a sentence's position in its article"
    )
    headline_weight: float = Field(
        default=0.3, ge=0.0, le=5.0, description="weight of similarity to the headlines"
    )
    agreement_weight: float = Field(
        default=0.3, ge=0.0, le=5.0, description="weight of other articles saying the same"
    )
    cross_article_weight: float = Field(
        default=1.5, ge=1.0, le=10.0, description="LexRank edge weight between articles"
    )
    coherence: bool = Field(
        default=True,
        description="say where the sources differ, never publish two contradicting values as "
        "plain statements, and write from the dominant event when articles report several",
    )
    max_differences: int = Field(
        default=3, ge=0, le=10, description="most 'sources differ' sentences per explainer"
    )
    meaning: Literal["auto", "model", "words"] = Field(
        default="auto",
        description="how two sentences are found to make one point: the MiniLM model "
        "(storybrief[checker-model]) and words, words alone, or auto (the model when installed)",
    )
    repeats: Literal["checker", "pairs"] = Field(
        default="checker",
        description="how a fact told twice is found: 'checker', what the checker or MiniLM "
        "finds restated; 'pairs' adds the pair model fitted on readers' pairs (two outlets "
        "telling one event in other words): a third fewer facts told twice, but readers "
        "preferred the default for the facts it leaves out",
    )
    roles: Literal["auto", "model", "words"] = Field(
        default="auto",
        description="which sentences answer Why, Next and Beyond: the role model with MiniLM "
        "sentence vectors (storybrief[checker-model]), the words-only one, or auto (vectors "
        "when installed); What's Happening is the words-only model's to say either way",
    )

    @model_validator(mode="after")
    def _consistent(self) -> BuiltinOptions:
        if self.min_sentences > self.max_sentences:
            raise ValueError("min_sentences must not exceed max_sentences")
        if self.target_words > self.max_words:
            raise ValueError("target_words must not exceed max_words")
        return self


class Embedder(Protocol):
    """What the role model needs of the semantic model: sentence vectors."""

    def embed(self, texts: list[str]) -> np.ndarray: ...
