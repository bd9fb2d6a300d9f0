"""Reading a model's answer: find the JSON object in whatever came back (code fences, chatter
before or after, an answer cut off by the token limit), and validate it as a :class:`Draft`."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .prompt import parse_id


class ParseError(ValueError):
    """The answer holds no usable explainer; ``str(error)`` is what the model is told."""


class DraftSentence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    sources: list[str] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _tidy(cls, value: str) -> str:
        """One line; a full stop added when the model left the sentence open."""
        text = " ".join(value.split())
        if text and text[-1] not in ".!?\"'”’)…":
            text += "."
        return text

    @field_validator("sources", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):  # "A1.S2, A1.S3"
            value = re.split(r"[,;\s]+", value)
        if isinstance(value, list):
            out = []
            for raw in value:
                parsed = parse_id(str(raw)) if raw is not None else None
                out.append(parsed if parsed else str(raw))
            return out
        return value


class DraftSections(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whats_happening: list[DraftSentence] = Field(min_length=1)
    why_its_important: list[DraftSentence] = Field(default_factory=list)
    whats_next: list[DraftSentence] = Field(default_factory=list)
    beyond_the_headlines: list[DraftSentence] = Field(default_factory=list)


class Draft(BaseModel):
    """What the model wrote, before checking."""

    model_config = ConfigDict(extra="ignore")

    headline: str = ""
    sections: DraftSections

    def sentences(self) -> list[tuple[str, DraftSentence]]:
        return [
            (name, s)
            for name in DraftSections.model_fields
            for s in getattr(self.sections, name)
            if s.text
        ]


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_object(text: str, *, salvage: bool = True) -> dict[str, Any]:
    """The JSON object in ``text``: in a code fence, or from the first brace. With ``salvage``,
    an object cut off mid-way (the token limit) is closed after its last complete value.
    Failing those, the first complete object anywhere in the text."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        start = candidate.find("{")
        if start < 0:
            continue
        try:
            value, _ = decoder.raw_decode(candidate, start)
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            pass
        if salvage:
            closed = close_truncated(candidate[start:])
            if closed is not None:
                return closed
        for match in re.finditer(r"\{", candidate[start + 1 :]):
            try:
                value, _ = decoder.raw_decode(candidate, start + 1 + match.start())
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise ParseError("the answer contains no JSON object")


def close_truncated(text: str) -> dict[str, Any] | None:
    """Parse a JSON object whose end is missing: cut back to a point right after a complete
    value and add the closing brackets still open there. None when nothing can be saved."""
    cuts: list[tuple[int, list[str]]] = []  # (end of a complete value, closers needed then)
    stack: list[str] = []
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if stack and stack[-1] == "]":
                    cuts.append((i + 1, list(stack)))
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack:
                break
            stack.pop()
            cuts.append((i + 1, list(stack)))
    for end, open_ in reversed(cuts):
        candidate = text[:end].rstrip().rstrip(",") + "".join(reversed(open_))
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_draft(text: str) -> Draft:
    """Validate the model's answer as a :class:`Draft`; :class:`ParseError` says what is wrong
    in words the model can act on."""
    data = extract_object(text)
    # Small models sometimes put the sections at the top level.
    if "sections" not in data and "whats_happening" in data:
        data = {
            "headline": data.get("headline", ""),
            "sections": {k: v for k, v in data.items() if k != "headline"},
        }
    try:
        return Draft.model_validate(data)
    except ValidationError as exc:
        raise ParseError(describe(exc)) from None


def parse_sentence(text: str) -> DraftSentence:
    data = extract_object(text)
    try:
        return DraftSentence.model_validate(data)
    except ValidationError as exc:
        raise ParseError(describe(exc)) from None


def describe(exc: ValidationError, limit: int = 5) -> str:
    """A validation error as short lines: 'sections.whats_happening: Field required'."""
    lines = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "answer"
        lines.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    if more > 0:
        lines.append(f"and {more} more problem(s)")
    return "; ".join(lines)
