"""The data that flows between pipeline stages, independent of how it is stored: articles and
their sentences, citations of source sentences, and explainers.

Every stage reads and writes these; none of them depends on a stage. (The explainer's JSON
Schema is published by :mod:`storybrief.explain.model`; the checker's verdicts and options live
in :mod:`storybrief.verify`.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    computed_field,
    model_validator,
)

from .text import Sentence, content_hash, split_sentences

_SENTENCES = TypeAdapter(list[Sentence])


class Article(BaseModel):
    """One news article: clean body text, metadata, and its numbered sentences.

    ``id`` is ``None`` until the article is stored. ``sentences`` are derived from ``text``
    (see :func:`storybrief.text.split_sentences`) and are what explainers cite. They are split
    on first use, once (an article found to be a duplicate, or refused, is never split), or
    given when the article is built (the store gives the ones it keeps).
    """

    model_config = ConfigDict(frozen=False)

    id: int | None = None
    text: str
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_at: datetime | None = None
    site_name: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    source: str | None = Field(default=None, description="file path, URL or feed it came from")
    story_id: int | None = None
    fetched_at: datetime | None = None
    topic: str | None = Field(
        default=None, description="a topic label from the publisher (feed category, URL section)"
    )
    # the sentences and the (text, language) they were split from: a changed text is split anew
    _sentences: list[Sentence] | None = PrivateAttr(default=None)
    _split_from: tuple[str, str | None] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _given_sentences(cls, data: Any, handler: Any) -> Article:
        given = None
        if isinstance(data, dict) and data.get("sentences"):
            data = dict(data)
            given = _SENTENCES.validate_python(data.pop("sentences"))
        elif isinstance(data, dict) and "sentences" in data:
            data = {k: v for k, v in data.items() if k != "sentences"}
        article = handler(data)
        if given:
            article._sentences, article._split_from = given, (article.text, article.language)
        return article

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sentences(self) -> list[Sentence]:
        if self._sentences is None or self._split_from != (self.text, self.language):
            self._sentences = split_sentences(self.text, self.language) if self.text else []
            self._split_from = (self.text, self.language)
        return self._sentences

    @sentences.setter
    def sentences(self, value: list[Sentence]) -> None:
        self._sentences, self._split_from = list(value), (self.text, self.language)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def outlet(self) -> str | None:
        """Publisher name, or failing that the host of the article's URL."""
        if self.site_name:
            return self.site_name
        from urllib.parse import urlsplit

        url = self.canonical_url or self.url
        return urlsplit(url).hostname if url else None


# --- citations and explainers -----------------------------------------------------------------

Label = Literal["supported", "partly_supported", "unsupported"]


class Citation(BaseModel):
    """One source sentence: ``article_id`` is the article's id, or its position in the list the
    checker was given when the article has no id yet; ``start``/``end`` are character offsets
    of the sentence in that article's text."""

    model_config = ConfigDict(frozen=True)

    article_id: int
    sentence_index: int
    start: int
    end: int


SectionKey = Literal["whats_happening", "why_its_important", "whats_next", "beyond_the_headlines"]
SentenceKind = Literal["statement", "differ", "change"]

#: The four sections, in the order every explainer has them, with their printed headings.
SECTIONS: dict[SectionKey, str] = {
    "whats_happening": "What's Happening?",
    "why_its_important": "Why It's Important?",
    "whats_next": "What's Next?",
    "beyond_the_headlines": "Beyond the Headlines",
}
SECTION_KEYS: tuple[SectionKey, ...] = tuple(SECTIONS)

#: What an empty section says instead of being padded.
EMPTY_NOTES: dict[SectionKey, str] = {
    "whats_happening": "The sources give no usable account of what happened.",
    "why_its_important": "The sources do not say why this matters.",
    "whats_next": "The sources say nothing about what comes next.",
    "beyond_the_headlines": "The sources give no background or wider context.",
}


class ExplainerSentence(BaseModel):
    """One published sentence, the source sentences it rests on, and (once checked) the
    checker's verdict with its reasons."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    citations: list[Citation] = Field(
        default_factory=list,
        description="source sentences: article id, sentence index and the character span "
        "[start, end) of the cited text in the stored article text",
    )
    verdict: Label | None = Field(default=None, description="filled by the checker")
    reasons: list[str] = Field(default_factory=list, description="the checker's reasons")
    kind: SentenceKind = Field(
        default="statement",
        description="statement: a sentence of the sources; differ: names two sources that give "
        "different values for one thing, quoting each; change: the same for a figure that "
        "changed between an earlier and a later report",
    )


class Section(BaseModel):
    """One of the four sections. An empty section carries a one-line ``note`` saying so."""

    model_config = ConfigDict(extra="forbid")

    key: SectionKey
    title: str = ""
    sentences: list[ExplainerSentence] = Field(default_factory=list)
    note: str | None = Field(
        default=None, description="one honest line shown when the section has no sentences"
    )

    @model_validator(mode="after")
    def _title_and_note(self) -> Section:
        if not self.title:
            self.title = SECTIONS[self.key]
        elif self.title != SECTIONS[self.key]:
            raise ValueError(f"section {self.key!r} is titled {SECTIONS[self.key]!r}")
        if not self.sentences and not self.note:
            self.note = EMPTY_NOTES[self.key]
        return self

    @property
    def text(self) -> str:
        """The section as one paragraph (its note when it is empty)."""
        if not self.sentences:
            return self.note or ""
        return " ".join(s.text for s in self.sentences)


class SourceArticle(BaseModel):
    """An article the explainer was written from, as readers see it in the source list."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="the article's id, or its position in the input when unstored")
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published_at: datetime | None = None

    @classmethod
    def from_article(cls, article: Article, position: int) -> SourceArticle:
        return cls(
            id=article.id if article.id is not None else position,
            title=article.title,
            outlet=article.outlet,
            url=article.canonical_url or article.url,
            published_at=article.published_at,
        )


class Recluster(BaseModel):
    """The story's articles report more than one event: the explainer is written from the
    dominant one, and the others should go back to clustering."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    article_ids: list[int] = Field(description="the articles set aside (another event)")
    note: str | None = Field(
        default=None,
        description="what the reader is told: the story mixes events, which one this "
        "explainer tells, and what became of the other",
    )


def _default_sections() -> list[Section]:
    return [Section(key=key) for key in SECTION_KEYS]


class Explainer(BaseModel):
    """A story's explainer: headline, the four sections in order, who wrote it and from what.

    ``story_id`` and ``version`` are set when the explainer is stored.
    """

    model_config = ConfigDict(extra="forbid")

    headline: str
    sections: list[Section] = Field(default_factory=_default_sections)
    engine: str
    engine_options: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    sources: list[SourceArticle] = Field(default_factory=list)
    story_id: int | None = None
    version: int | None = None
    recluster: Recluster | None = Field(
        default=None, description="set when the articles report more than one event"
    )

    @model_validator(mode="after")
    def _four_sections(self) -> Explainer:
        keys = tuple(s.key for s in self.sections)
        if keys != SECTION_KEYS:
            raise ValueError(f"sections must be {', '.join(SECTION_KEYS)} in this order")
        return self

    def section(self, key: SectionKey) -> Section:
        return self.sections[SECTION_KEYS.index(key)]

    def sentences(self) -> Iterator[tuple[int, int, ExplainerSentence]]:
        """Every sentence as (section index, position in the section, sentence) — the shape
        storage keeps them in."""
        for section_idx, section in enumerate(self.sections):
            for position, sentence in enumerate(section.sentences):
                yield section_idx, position, sentence

    def differences(self) -> list[ExplainerSentence]:
        """The sentences that say where the sources differ (or a figure changed)."""
        return [s for _, _, s in self.sentences() if s.kind != "statement"]

    @property
    def body(self) -> str:
        """The sentences of all sections, in order, without headings or notes."""
        return " ".join(s.text for _, _, s in self.sentences())

    def source_number(self, article_id: int) -> int | None:
        """The 1-based number of an article in :attr:`sources` (how citations are shown)."""
        for n, source in enumerate(self.sources, 1):
            if source.id == article_id:
                return n
        return None


def citation_for(article: Article, position: int, index: int, start: int, end: int) -> Citation:
    """A citation of ``article.text[start:end]`` in sentence ``index``; the article's id, or
    its ``position`` in the input when it has none yet."""
    return Citation(
        article_id=article.id if article.id is not None else position,
        sentence_index=index,
        start=start,
        end=end,
    )


def cited_text(citation: Citation, articles: Sequence[Article]) -> str | None:
    """The text a citation points at, found among ``articles`` by id (or position)."""
    for position, article in enumerate(articles):
        article_id = article.id if article.id is not None else position
        if article_id == citation.article_id:
            if 0 <= citation.start < citation.end <= len(article.text):
                return article.text[citation.start : citation.end]
            return None
    return None
