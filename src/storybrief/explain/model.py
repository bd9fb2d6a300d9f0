"""The explainer's published JSON form.

The models themselves (:class:`Explainer`, its :class:`Section` and :class:`ExplainerSentence`
records) are records that flow between stages and live in :mod:`storybrief.records`; they are
re-exported here. The JSON form is published as ``explain/schema/explainer.schema.json``,
generated from those models by :func:`explainer_json_schema` (``python -m
storybrief.explain.model`` rewrites it).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..records import (
    EMPTY_NOTES,
    SECTION_KEYS,
    SECTIONS,
    Citation,
    Explainer,
    ExplainerSentence,
    Label,
    Recluster,
    Section,
    SectionKey,
    SentenceKind,
    SourceArticle,
    citation_for,
    cited_text,
)

__all__ = [
    "EMPTY_NOTES",
    "SECTIONS",
    "SECTION_KEYS",
    "SCHEMA_ID",
    "Citation",
    "Explainer",
    "ExplainerSentence",
    "Label",
    "Recluster",
    "Section",
    "SectionKey",
    "SentenceKind",
    "SourceArticle",
    "citation_for",
    "cited_text",
    "explainer_json_schema",
    "published_schema",
    "schema_text",
    "write_schema",
]

SCHEMA_ID = "https://storybrief.invalid/schema/explainer.schema.json"


def explainer_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an explainer's JSON form, from the models."""
    schema = Explainer.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(explainer_json_schema(), indent=2, ensure_ascii=False) + "\n"


def published_schema() -> dict[str, Any]:
    """The schema file shipped with the package."""
    path = resources.files("storybrief.explain").joinpath("schema", "explainer.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_schema(path: Path | None = None) -> Path:
    """(Re)generate the published schema file from the models."""
    target = path or Path(__file__).with_name("schema") / "explainer.schema.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_text(), encoding="utf-8")
    return target


if __name__ == "__main__":
    print(write_schema())
