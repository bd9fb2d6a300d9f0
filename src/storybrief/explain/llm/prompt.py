"""The one prompt design both LLM engines share: versioned files in ``explain/prompts/``, the
story's numbered source sentences ("[A1.S3] text" = article 1, sentence 3, both from 1), the chat
messages, and the JSON Schema of the answer narrowed to the ids actually shown."""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ...errors import EngineError
from ...records import Article, Citation
from ...text import Sentence
from ..furniture import boilerplate
from . import condense

PROMPT_VERSION = "explainer-v2"

_ID = re.compile(r"^\s*\[?A(\d+)\s*[.:]\s*S(\d+)\]?\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^##\s+(\w+)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

Message = dict[str, str]


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt version: its message templates by name and the JSON Schema of the answer."""

    version: str
    templates: dict[str, str]
    schema: dict[str, Any]

    @classmethod
    def load(cls, version: str = PROMPT_VERSION) -> PromptTemplate:
        return _load(version)

    @property
    def planned(self) -> bool:
        """The prompt rewrites the sentences chosen for each section (``$sections``), rather
        than being shown the story's sentences (``$sources``)."""
        return "$sections" in self.templates.get("user", "")

    def render(self, name: str, **values: object) -> str:
        try:
            template = self.templates[name]
        except KeyError:
            raise EngineError(f"prompt {self.version} has no {name!r} message") from None
        return string.Template(template).substitute({k: str(v) for k, v in values.items()})


@cache
def _load(version: str) -> PromptTemplate:
    folder = resources.files("storybrief.explain").joinpath("prompts")
    try:
        text = folder.joinpath(f"{version}.md").read_text(encoding="utf-8")
        schema = json.loads(folder.joinpath(f"{version}.schema.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"no prompt version {version!r} in storybrief/explain/prompts") from None
    text = _COMMENT.sub("", text)
    parts = _HEADING.split(text)
    templates = {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    return PromptTemplate(version=version, templates=templates, schema=schema)


@dataclass(frozen=True)
class SourceSentence:
    """One citable sentence of the story, with the id the model sees."""

    id: str  # "A1.S3"
    article_pos: int  # position of its article in the story, from 0
    position: int  # position among its article's statements, from 0
    article: Article
    sentence: Sentence

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def citation(self) -> Citation:
        article_id = self.article.id if self.article.id is not None else self.article_pos
        return Citation(
            article_id=article_id,
            sentence_index=self.sentence.index,
            start=self.sentence.start,
            end=self.sentence.end,
        )

    def line(self) -> str:
        return f"[{self.id}] {self.text}"


def number_sources(articles: Sequence[Article]) -> list[SourceSentence]:
    """Every statement of every article, numbered A{article}.S{sentence} from 1 (the number is
    the sentence's own index + 1, so ids stay stable when some are left out). Headings and page
    or feed furniture (bylines, credits, "appeared first on") are left out."""
    out: list[SourceSentence] = []
    for pos, article in enumerate(articles):
        statements = [
            s
            for s in article.sentences
            if not s.is_heading and s.text.strip() and boilerplate(s.text) is None
        ]
        for n, sentence in enumerate(statements):
            out.append(
                SourceSentence(
                    id=f"A{pos + 1}.S{sentence.index + 1}",
                    article_pos=pos,
                    position=n,
                    article=article,
                    sentence=sentence,
                )
            )
    return out


def parse_id(raw: str) -> str | None:
    """``"a1.s3"``, ``"[A1.S3]"`` or ``"A1:S3"`` → ``"A1.S3"``; anything else → None."""
    match = _ID.match(raw)
    return f"A{int(match.group(1))}.S{int(match.group(2))}" if match else None


def estimate_tokens(text: str) -> int:
    """A tokenizer-free upper-ish estimate: English runs near 4 characters a token."""
    return len(text) // 3 + 1


def condense_sources(
    sources: Sequence[SourceSentence],
    budget_tokens: int,
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> list[SourceSentence]:
    """The sources that fit ``budget_tokens``: all when they fit, else the most central."""
    return condense.select(sources, budget_tokens, lambda s: count_tokens(s.line()) + 1)


def messages(template: PromptTemplate, sources: Sequence[SourceSentence]) -> list[Message]:
    return [
        {"role": "system", "content": template.render("system")},
        {"role": "user", "content": template.render("user", sources=render_sources(sources))},
    ]


def render_sources(sources: Sequence[SourceSentence]) -> str:
    return "\n".join(s.line() for s in sources)


def answer_schema(template: PromptTemplate, ids: Sequence[str]) -> dict[str, Any]:
    """The prompt's schema with source ids limited to ``ids`` (grammar-constrained servers then
    cannot emit an id that was not shown)."""
    schema = copy.deepcopy(template.schema)
    schema["$defs"]["source_id"] = {"type": "string", "enum": list(ids)}
    return schema


def sentence_schema(template: PromptTemplate, ids: Sequence[str]) -> dict[str, Any]:
    """Schema of the answer to the "regenerate" message: one sentence, possibly empty."""
    sentence = copy.deepcopy(template.schema["$defs"]["sentence"])
    sentence["properties"]["sources"]["items"] = {"type": "string", "enum": list(ids)}
    sentence["properties"]["sources"]["minItems"] = 0
    return sentence
