"""The JSON API's readers' answers: a reader's answer to "Do you find this article useful?"
(``POST /api/v1/explainers/{id}/feedback``, a write) and the counts and reasons per explainer
version (operator, with the API token). Included in the app beside :mod:`.api`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..readers import Readers
from ..views import FeedbackSummary
from .api import ExplainerId, require_read, require_token, require_write

router = APIRouter(tags=["api"], dependencies=[Depends(require_read)])


def _readers(request: Request) -> Readers:
    return request.app.state.library.readers  # type: ignore[no-any-return]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reader_id: str = Field(min_length=1, max_length=64, description="who answers (one per reader)")
    useful: bool
    reason: str | None = Field(default=None, max_length=300)


class FeedbackCounts(BaseModel):
    explainer_id: int
    story_id: int
    version: int
    yes: int
    no: int
    reasons: list[str] = Field(default_factory=list, description="reasons given with a No")


@router.post(
    "/explainers/{explainer_id}/feedback",
    response_model=FeedbackCounts,
    summary="Record a reader's answer to “Do you find this article useful?”",
    dependencies=[Depends(require_write)],
)
def post_feedback(request: Request, explainer_id: ExplainerId, body: FeedbackIn) -> FeedbackCounts:
    readers = _readers(request)
    reason = " ".join((body.reason or "").split()) if not body.useful else ""
    readers.record_answer(explainer_id, body.reader_id, body.useful, reason or None)
    return _counts(readers, explainer_id)


@router.get(
    "/explainers/{explainer_id}/feedback",
    response_model=FeedbackCounts,
    summary="Feedback counts and reasons for one explainer version (operator)",
    dependencies=[Depends(require_token)],
)
def get_feedback(request: Request, explainer_id: ExplainerId) -> FeedbackCounts:
    return _counts(_readers(request), explainer_id)


@router.get(
    "/feedback",
    response_model=list[FeedbackCounts],
    summary="Feedback counts of every explainer version that has answers (operator)",
    dependencies=[Depends(require_token)],
)
def feedback_stats(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    reasons: Annotated[
        int, Query(ge=0, le=50, description="latest reasons given with a No, per version")
    ] = 5,
) -> list[FeedbackCounts]:
    return [_counts_out(f) for f in _readers(request).feedback(limit=limit, reasons=reasons)]


def _counts(readers: Readers, explainer_id: int) -> FeedbackCounts:
    return _counts_out(readers.answers_to(explainer_id))


def _counts_out(answers: FeedbackSummary) -> FeedbackCounts:
    """One version's answers as the API gives them: the fields :class:`FeedbackCounts`
    declares, read from the summary's attributes of the same names."""
    return FeedbackCounts.model_validate(answers, from_attributes=True)
