"""The JSON API's record of what the LLM engines were asked and answered while writing an
explainer version (``GET /api/v1/explainers/{id}/calls``, operator, with the API token): what
`storybrief logs` prints. Included in the app beside :mod:`.api`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from .api import ExplainerId, require_read, require_token

router = APIRouter(tags=["api"], dependencies=[Depends(require_read)])


class Message(BaseModel):
    role: str
    content: str


class CallOut(BaseModel):
    explainer_id: int
    story_id: int
    version: int
    position: int
    engine: str
    model: str | None
    messages: list[Message]
    response: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    seconds: float
    created_at: datetime


@router.get(
    "/explainers/{explainer_id}/calls",
    response_model=list[CallOut],
    summary="What the engine was asked and answered for one explainer version (operator)",
    dependencies=[Depends(require_token)],
)
def engine_calls(request: Request, explainer_id: ExplainerId) -> list[CallOut]:
    """Each request the engine sent its model, as sent, and the answer, in order; an empty
    list for a version an engine without a model (``builtin``) wrote."""
    library = request.app.state.library
    library.readers.explainer(explainer_id)  # 404 for an unknown version
    calls = library.engine_calls(explainer_id=explainer_id, limit=1000)
    return [CallOut.model_validate(c, from_attributes=True) for c in calls]
