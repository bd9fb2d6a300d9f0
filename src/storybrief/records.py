"""The data that flows between pipeline stages, independent of how it is stored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from .text import Sentence, content_hash, split_sentences


class Article(BaseModel):
    """One news article: clean body text, metadata, and its numbered sentences.

    ``id`` is ``None`` until the article is stored. ``sentences`` are derived from ``text``
    (see :func:`storybrief.text.split_sentences`) and are what explainers cite.
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
    sentences: list[Sentence] = Field(default_factory=list)

    def model_post_init(self, __context: object) -> None:
        if not self.sentences and self.text:
            self.sentences = split_sentences(self.text, self.language)

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
