"""What the pages show, read from the store: plain data for the templates (which escape
everything) and for the JSON API. No HTML is built here except through the templates."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from ..explain import Explainer
from ..explain.render import AI_LABEL, FEEDBACK_PROMPT, INTRO, web_url
from ..records import Article
from ..store import Store, StoredExplainer, StorySummary


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


def story_items(store: Store, stories: list[StorySummary]) -> list[StoryItem]:
    latest = store.latest_explainers([s.id for s in stories])
    items = []
    for s in stories:
        stored = latest.get(s.id)
        headline = stored.document.get("headline") if stored else None
        items.append(
            StoryItem(
                id=s.id,
                title=headline or s.title or f"Story {s.id}",
                outlets=s.outlets,
                last_seen=s.last_seen,
                size=s.size,
                versions=s.explainer_versions,
                first_line=first_line(stored.document if stored else None),
                updated=stored.created_at if stored else s.last_seen,
                topic=s.topic,
                topic_slug=s.topic_slug,
            )
        )
    return items


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


def front_page(
    store: Store,
    *,
    limit: int = 30,
    offset: int = 0,
    topic_slug: str | None = None,
    waiting: int = 10,
) -> FrontPage:
    """Stories with an explainer first (newest reports, most outlets, most articles), then
    up to ``waiting`` of those still waiting for one; only one topic's with ``topic_slug``."""
    explained = store.front_stories(
        explained=True, topic_slug=topic_slug, limit=limit + 1, offset=offset
    )
    pending = store.front_stories(explained=False, topic_slug=topic_slug, limit=waiting + 1)
    return FrontPage(
        items=story_items(store, explained[:limit]),
        waiting=story_items(store, pending[:waiting]),
        offset=offset,
        page_size=limit,
        more=len(explained) > limit,
        more_waiting=len(pending) > waiting,
        topics=store.topics(limit=12),
        topic=next((s.topic for s in explained + pending if s.topic), None),
        topic_slug=topic_slug,
    )


class PageCache:
    """Explainer versions never change once stored, so what a page derives from one (its
    sections with resolved citations, its source list) is kept, for the newest ``size``."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[Explainer, list[SectionView], list[SourceView]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(
        self, store: Store, stored: StoredExplainer
    ) -> tuple[Explainer, list[SectionView], list[SourceView]]:
        with self._lock:
            if stored.id in self._items:
                self._items.move_to_end(stored.id)
                return self._items[stored.id]
        derived = derive(store, stored)
        with self._lock:
            self._items[stored.id] = derived
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return derived


def story_page(
    store: Store, story_id: int, version: int | None = None, cache: PageCache | None = None
) -> StoryPage:
    """A story with one version of its explainer (the newest unless ``version``), its
    citations resolved to the cited source sentences, and its source list."""
    from ..errors import NotFoundError

    story = store.get_story(story_id)
    versions = store.explainer_versions(story_id)
    if version is None:
        stored = versions[0] if versions else None
    else:
        stored = next((v for v in versions if v.version == version), None)
        if stored is None:
            raise NotFoundError(f"story {story_id} has no explainer version {version}")
    page = StoryPage(story=story, explainer=None, stored=stored, versions=versions)
    if stored is None:
        return page
    page.explainer, page.sections, page.sources = (
        cache.get(store, stored) if cache is not None else derive(store, stored)
    )
    return page


def derive(
    store: Store, stored: StoredExplainer
) -> tuple[Explainer, list[SectionView], list[SourceView]]:
    explainer = Explainer.model_validate(stored.document)
    cited_ids = {c.article_id for _, _, s in explainer.sentences() for c in s.citations}
    wanted = sorted(cited_ids | {s.id for s in explainer.sources})
    articles = stored_articles(store, wanted)
    outlets = {s.id: s.outlet for s in explainer.sources}
    counter = 0
    sections = []
    for section in explainer.sections:
        views = []
        for sentence in section.sentences:
            cites = []
            for c in sentence.citations:
                counter += 1
                cites.append(
                    Cite(
                        number=explainer.source_number(c.article_id),
                        article_id=c.article_id,
                        sentence_index=c.sentence_index,
                        quote=_quote(articles.get(c.article_id), c.start, c.end),
                        outlet=outlets.get(c.article_id),
                        anchor=f"cite-{counter}",
                    )
                )
            views.append(SentenceView(sentence.text, sentence.verdict, cites, sentence.kind))
        sections.append(SectionView(section.key, section.title, views, section.note))
    sources = []
    for n, source in enumerate(explainer.sources, 1):
        article = articles.get(source.id)
        sources.append(
            SourceView(
                number=n,
                article_id=source.id,
                title=source.title or source.url or f"Article {source.id}",
                outlet=source.outlet,
                url=web_url(source.url),
                published_at=source.published_at or (article.published_at if article else None),
                retrieved_at=article.fetched_at if article else None,
                stored=article is not None,
            )
        )
    return explainer, sections, sources


def stored_articles(store: Store, ids: list[int]) -> dict[int, Article]:
    from ..errors import NotFoundError

    try:
        return {a.id: a for a in store.get_articles(ids) if a.id is not None}
    except NotFoundError:  # a source was deleted since: show what is left
        found = {}
        for i in ids:
            try:
                found[i] = store.get_article(i)
            except NotFoundError:
                continue
        return found


def _quote(article: Article | None, start: int, end: int) -> str | None:
    if article is None or not 0 <= start < end <= len(article.text):
        return None
    return article.text[start:end]


def json_ld(page: StoryPage, url: str, publisher: str) -> str | None:
    """schema.org NewsArticle for the story page, safe to place inside a <script> element."""
    if page.explainer is None or page.stored is None:
        return None
    explainer = page.explainer
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": explainer.headline[:110],
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": (page.versions[-1].created_at).isoformat(),
        "dateModified": page.stored.created_at.isoformat(),
        "description": first_line(page.stored.document),
        "articleBody": "\n\n".join(
            f"{s.title}\n{' '.join(x.text for x in s.sentences) or (s.note or '')}"
            for s in explainer.sections
        ),
        "articleSection": [s.title for s in explainer.sections],
        "publisher": {"@type": "Organization", "name": publisher},
        "author": {"@type": "Organization", "name": publisher},
        "creativeWorkStatus": "AI Generated Content",
        "version": str(page.stored.version),
        "isBasedOn": [
            {
                "@type": "NewsArticle",
                "headline": s.title,
                **({"url": s.url} if s.url else {}),
                **({"publisher": {"@type": "Organization", "name": s.outlet}} if s.outlet else {}),
                **({"datePublished": s.published_at.isoformat()} if s.published_at else {}),
            }
            for s in page.sources
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    # Nothing inside may end the script element or open a comment.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
