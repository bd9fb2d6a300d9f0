"""What readers see, as plain data (built by :class:`storybrief.readers.Readers`): the front
page's story items, a story page with one explainer version (its sections, sentences with
their resolved citations, its sources), where a retired story went, readers' answers, and
search results with their matched words in pieces. The templates escape everything; no HTML
is built here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .explain import Explainer
from .explain.render import AI_LABEL, FEEDBACK_PROMPT, INTRO, mixed_note
from .store import StoredExplainer, StorySummary
from .verify.differ_check import DIFFER_LEAD

#: A text in pieces: each a run of the text and whether it is a word the search matched.
Marked = list[tuple[str, bool]]


@dataclass
class StoryItem:
    """A story on the front page or in search results."""

    id: int
    title: str
    outlets: list[str]
    last_seen: datetime | None
    size: int
    versions: int
    first_line: str | None
    updated: datetime | None
    topic: str | None = None
    topic_slug: str | None = None
    first_seen: datetime | None = None

    @property
    def outlet_count(self) -> int:
        """How many outlets report the story (articles whose outlet is unknown count as one)."""
        return len(self.outlets) or (1 if self.size else 0)

    @property
    def single_source(self) -> bool:
        """Whether one outlet alone reports the story so far."""
        return self.outlet_count == 1


@dataclass
class Cite:
    number: int | None  # the source's number in the source list
    article_id: int
    sentence_index: int
    quote: str | None  # the cited source sentence
    outlet: str | None
    anchor: str  # unique id of this citation's tooltip


@dataclass
class SentenceView:
    text: str
    verdict: str | None
    cites: list[Cite]
    kind: str = "statement"  # or "differ" / "change": listed under the differ heading
    shown: str | None = None  # what the page prints, when not ``text`` (see SectionView)

    @property
    def display(self) -> str:
        return self.shown if self.shown is not None else self.text


#: What heads a section's differ sentences: sources that disagree, reports that changed over
#: time, or both.
DIFFER_HEADINGS = {
    frozenset({"differ"}): "Sources differ",
    frozenset({"change"}): "How reports changed",
    frozenset({"differ", "change"}): "Where reports differ or changed",
}


@dataclass
class SectionView:
    key: str
    title: str
    sentences: list[SentenceView]
    note: str | None

    def __post_init__(self) -> None:
        # Under the heading "Sources differ" a sentence's own lead ("Sources differ: source 2
        # reports ...") would say it a second time: the page prints the sentence without it.
        # The leads that say more than the heading ("The figure changed between reports"
        # under "Where reports differ or changed") stay.
        if self.differ_heading != DIFFER_HEADINGS[frozenset({"differ"})]:
            return
        lead = f"{DIFFER_LEAD}:"
        for s in self.sentences:
            if s.kind == "differ" and s.text.startswith(lead):
                rest = s.text[len(lead) :].strip()
                if rest:
                    s.shown = rest[0].upper() + rest[1:]

    @property
    def differ_heading(self) -> str:
        """The heading that fits the section's differ sentences (see :data:`DIFFER_HEADINGS`)."""
        kinds = frozenset(s.kind for s in self.sentences if s.kind != "statement")
        return DIFFER_HEADINGS.get(kinds, DIFFER_HEADINGS[frozenset({"differ"})])


@dataclass
class SourceView:
    number: int
    article_id: int
    title: str
    outlet: str | None
    url: str | None
    published_at: datetime | None
    retrieved_at: datetime | None  # when the source gives no publication time
    stored: bool  # whether a copy is in the store (linkable as /articles/ID)


@dataclass
class StoryPage:
    story: StorySummary
    explainer: Explainer | None
    stored: StoredExplainer | None
    versions: list[StoredExplainer]
    sections: list[SectionView] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    intro: str = INTRO
    ai_label: str = AI_LABEL
    feedback_prompt: str = FEEDBACK_PROMPT

    @property
    def latest(self) -> StoredExplainer | None:
        return self.versions[0] if self.versions else None

    @property
    def mixed(self) -> str | None:
        """What readers are told first when the reports tell more than one event."""
        return mixed_note(self.explainer) if self.explainer is not None else None

    @property
    def is_latest(self) -> bool:
        return (
            self.stored is not None
            and self.latest is not None
            and (self.stored.id == self.latest.id)
        )

    @property
    def title(self) -> str:
        if self.explainer is not None:
            return self.explainer.headline
        return self.story.title or f"Story {self.story.id}"


def first_line(document: dict | None) -> str | None:
    """The first sentence of What's Happening (or its note when empty)."""
    if not document:
        return None
    try:
        section = document["sections"][0]
        if section.get("sentences"):
            return str(section["sentences"][0]["text"])
        return section.get("note")
    except (KeyError, IndexError, TypeError):
        return None


@dataclass(frozen=True)
class Moved:
    """Where a retired story's articles went: ``split`` (it held two events or more, each now
    a story) or ``merge`` (it was the same event as another story); ``successors``: the live
    stories holding them now, the one that took most first."""

    kind: str
    at: datetime | None
    successors: list[StorySummary]


@dataclass
class FrontPage:
    """Explained stories (one page of them), the stories still waiting for an explainer, and
    the topics to browse."""

    items: list[StoryItem]
    waiting: list[StoryItem]
    offset: int
    page_size: int
    more: bool  # another page of explained stories follows
    more_waiting: bool
    topics: list[tuple[str, str, int]]
    topic: str | None = None  # a topic page: its label
    topic_slug: str | None = None
    min_outlets: int = 1  # outlets a story needs to be among the explained ones


@dataclass(frozen=True)
class FeedbackSummary:
    """Readers' Yes / No answers to one explainer version."""

    explainer_id: int
    story_id: int
    version: int
    yes: int
    no: int
    reasons: list[str]


@dataclass
class Found:
    """One search result as the search page shows it: its title and snippet in pieces."""

    id: int
    title: Marked
    snippet: Marked
    item: Any  # a story's StoryItem, or an article's ArticleSummary


@dataclass
class SearchPage:
    query: str
    stories: list[Found]
    articles: list[Found]
