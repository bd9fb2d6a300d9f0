"""The readers' side of the library (``lib.readers``): what the web pages and the JSON API
show — the front page, the stories waiting for an explainer, a story with one version of its
explainer (citations resolved to the cited source sentences), its versions, topics, search —
and readers' answers to "Do you find this article useful?". What they get is plain data
(:mod:`storybrief.views`) for the templates (which escape everything) and for the API; no
HTML is built here."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from .errors import NotFoundError
from .explain import Explainer
from .explain.render import web_url
from .records import Article
from .store import (
    DailyAnswers,
    ReaderAnswer,
    SearchFilters,
    SearchResults,
    Store,
    StoredExplainer,
    StorySummary,
)
from .store.search import words as search_words
from .text import stem
from .views import (
    Cite,
    FeedbackSummary,
    Found,
    FrontPage,
    Marked,
    Moved,
    SearchPage,
    SectionView,
    SentenceView,
    SourceView,
    StoryItem,
    StoryPage,
    first_line,
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SNIPPET_CHARS = 240


def _search_key(word: str) -> str:
    """How a word is compared with a searched word: case and accents aside, stemmed."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return stem("".join(c for c in folded if not unicodedata.combining(c)))


def spans(pieces: Marked) -> list[tuple[int, int]]:
    """Where the marked words of :func:`marked`'s pieces are: ``(start, end)`` offsets into
    the text the pieces make up (what the JSON API gives, for clients to mark as they do)."""
    found, at = [], 0
    for text, hit in pieces:
        if hit:
            found.append((at, at + len(text)))
        at += len(text)
    return found


def marked(text: str, terms: list[str]) -> Marked:
    """``text`` in pieces, the words whose stem is a searched word's marked: plain strings,
    which the page's template escapes one by one (a match is wrapped in ``<mark>`` there), so
    nothing of a source's text is ever printed as markup."""
    wanted = {_search_key(t) for t in terms}
    pieces: Marked = []
    last = 0
    for m in _WORD.finditer(text):
        if wanted and _search_key(m.group()) in wanted:
            if m.start() > last:
                pieces.append((text[last : m.start()], False))
            pieces.append((m.group(), True))
            last = m.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def snippet(sentences: list[str], terms: list[str], size: int = SNIPPET_CHARS) -> str | None:
    """The first sentence holding a searched word, cut to about ``size`` characters around
    the first match ("…" where it is cut); None when none holds one."""
    wanted = {_search_key(t) for t in terms}
    for sentence in sentences:
        hit = next((m for m in _WORD.finditer(sentence) if _search_key(m.group()) in wanted), None)
        if hit is None:
            continue
        if len(sentence) <= size:
            return sentence
        start = max(0, min(hit.start() - size // 3, len(sentence) - size))
        start = sentence.rfind(" ", 0, start) + 1 if start else 0
        end = sentence.rfind(" ", start, start + size)
        end = len(sentence) if end <= hit.end() or start + size >= len(sentence) else end
        cut = sentence[start:end].strip()
        return ("… " if start else "") + cut + (" …" if end < len(sentence) else "")
    return None


def _sentences(document: dict) -> list[dict]:
    """The sentences of a stored explainer document, in order (none when it is malformed)."""
    try:
        return [x for sec in document["sections"] for x in sec.get("sentences") or []]
    except (KeyError, TypeError, AttributeError):
        return []


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
        self, readers: Readers, stored: StoredExplainer
    ) -> tuple[Explainer, list[SectionView], list[SourceView]]:
        with self._lock:
            if stored.id in self._items:
                self._items.move_to_end(stored.id)
                return self._items[stored.id]
        derived = readers.derive(stored)
        with self._lock:
            self._items[stored.id] = derived
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return derived


class Readers:
    """What readers see and say, read from (and written to) the library's store. Built by
    :attr:`storybrief.library.Library.readers`; it keeps what a story page derives from an
    explainer version (:class:`PageCache`) for the library's lifetime."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pages = PageCache()

    # -- stories -------------------------------------------------------------------------------

    def story_items(self, stories: list[StorySummary]) -> list[StoryItem]:
        """The stories as the front page and search list them: headline and first line of
        each one's latest explainer."""
        latest = self.store.explainers.latest_of([s.id for s in stories])
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
                    first_seen=s.first_seen,
                )
            )
        return items

    def front_page(
        self,
        *,
        limit: int = 30,
        offset: int = 0,
        topic_slug: str | None = None,
        waiting: int = 10,
        min_outlets: int = 1,
    ) -> FrontPage:
        """Stories with an explainer and at least ``min_outlets`` outlets first (newest
        reports, most outlets, most articles), then up to ``waiting`` of the others, still
        waiting for an explainer or for more outlets; only one topic's with ``topic_slug``."""
        store = self.store
        explained = store.stories.front(
            explained=True,
            topic_slug=topic_slug,
            limit=limit + 1,
            offset=offset,
            min_outlets=min_outlets,
        )
        pending = store.stories.front(
            explained=False, topic_slug=topic_slug, limit=waiting + 1, min_outlets=min_outlets
        )
        return FrontPage(
            items=self.story_items(explained[:limit]),
            waiting=self.story_items(pending[:waiting]),
            offset=offset,
            page_size=limit,
            more=len(explained) > limit,
            more_waiting=len(pending) > waiting,
            topics=store.stories.topics(limit=12),
            topic=next((s.topic for s in explained + pending if s.topic), None),
            topic_slug=topic_slug,
            min_outlets=min_outlets,
        )

    def waiting(
        self, *, limit: int = 30, offset: int = 0, min_outlets: int = 1
    ) -> tuple[list[StoryItem], bool]:
        """One page of the stories still waiting for an explainer (or for ``min_outlets``
        outlets), and whether more follow."""
        found = self.store.stories.front(
            explained=False, limit=limit + 1, offset=offset, min_outlets=min_outlets
        )
        return self.story_items(found[:limit]), len(found) > limit

    def topic_label(self, slug: str) -> str | None:
        """The name of the topic ``slug`` (None: no story is filed under it)."""
        return self.store.stories.topic_label(slug)

    def story(self, story_id: int) -> StorySummary:
        """One story's summary (:class:`NotFoundError` when there is none)."""
        return self.store.stories.get(story_id)

    def moved(self, story_id: int) -> Moved | None:
        """Where the story's articles went when it split or merged (None: it is live).
        :class:`NotFoundError` when there is no such story."""
        if not self.store.stories.is_retired(story_id):
            return None
        links = self.store.stories.successors(story_id)
        live = self.store.stories.live_successors(story_id)
        found = {s.id: s for s in self.store.stories.summaries(limit=len(live), ids=live)}
        return Moved(
            links[0].kind if links else "merge",
            links[0].created_at if links else None,
            [found[i] for i in live if i in found],
        )

    def article_ids(self, story_id: int) -> list[int]:
        """The ids of the story's articles."""
        return self.store.stories.article_ids(story_id)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        topic_slug: str | None = None,
        outlet: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SearchResults:
        """Stories (by title and explainer text) and articles matching every word of
        ``query``, best first; only one topic's, one outlet's, or those reported at or after
        ``since`` and before ``until`` when given (with these and no words: the newest)."""
        filters = SearchFilters(topic_slug, outlet, since, until)
        return self.store.search.find(query, limit=limit, filters=filters)

    def search_page(self, query: str, *, limit: int = 20, **filters: Any) -> SearchPage:
        """:meth:`search` as the search page shows it: each result's title and a snippet
        (the explainer's or article's first sentence holding a searched word) in pieces,
        the matched words marked (:func:`marked`)."""
        found = self.search(query, limit=limit, **filters)
        terms = search_words(query)
        items = self.story_items(found.stories)
        latest = self.latest_explainers([s.id for s in found.stories])
        texts = self.stored_articles([a.id for a in found.articles])
        stories = []
        for item in items:
            stored = latest.get(item.id)
            told = [x["text"] for x in _sentences(stored.document)] if stored else []
            line = snippet(told, terms) or item.first_line or ""
            stories.append(Found(item.id, marked(item.title, terms), marked(line, terms), item))
        articles = []
        for a in found.articles:
            article = texts.get(a.id)
            lines = [x.text for x in article.sentences] if article else []
            title = a.title or "Untitled article"
            articles.append(
                Found(a.id, marked(title, terms), marked(snippet(lines, terms) or "", terms), a)
            )
        return SearchPage(query=query, stories=stories, articles=articles)

    def search_choices(self) -> tuple[list[tuple[str, str, int]], list[str]]:
        """What a search can be narrowed to: the topics (label, slug, stories) and the
        outlets, the most used first."""
        return self.store.stories.topics(limit=50), [
            name for name, _ in self.store.search.outlets(limit=200)
        ]

    # -- explainers ----------------------------------------------------------------------------

    def versions(self, story_id: int) -> list[StoredExplainer]:
        """Every version of the story's explainer, newest first."""
        return self.store.explainers.versions(story_id)

    def explainer(self, explainer_id: int) -> StoredExplainer:
        """One explainer version by id."""
        return self.store.explainers.get(explainer_id)

    def latest_explainer(self, story_id: int) -> StoredExplainer | None:
        return self.store.explainers.latest(story_id)

    def latest_explainers(self, story_ids: list[int]) -> dict[int, StoredExplainer]:
        """The latest explainer version of each of these stories that has one."""
        return self.store.explainers.latest_of(story_ids)

    def recent_explainers(
        self, *, limit: int = 50, topic_slug: str | None = None
    ) -> list[StoredExplainer]:
        """The newest explainer versions (of one topic's stories with ``topic_slug``)."""
        return self.store.explainers.recent(limit=limit, topic_slug=topic_slug)

    def story_page(self, story_id: int, version: int | None = None) -> StoryPage:
        """A story with one version of its explainer (the newest unless ``version``), its
        citations resolved to the cited source sentences, and its source list."""
        story = self.store.stories.get(story_id)
        versions = self.store.explainers.versions(story_id)
        if version is None:
            stored = versions[0] if versions else None
        else:
            stored = next((v for v in versions if v.version == version), None)
            if stored is None:
                raise NotFoundError(f"story {story_id} has no explainer version {version}")
        page = StoryPage(story=story, explainer=None, stored=stored, versions=versions)
        if stored is None:
            return page
        page.explainer, page.sections, page.sources = self.pages.get(self, stored)
        return page

    def derive(
        self, stored: StoredExplainer
    ) -> tuple[Explainer, list[SectionView], list[SourceView]]:
        """What the story page shows of one explainer version (see :class:`PageCache`)."""
        explainer = Explainer.model_validate(stored.document)
        cited_ids = {c.article_id for _, _, s in explainer.sentences() for c in s.citations}
        wanted = sorted(cited_ids | {s.id for s in explainer.sources})
        articles = self.stored_articles(wanted)
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

    def stored_articles(self, ids: list[int]) -> dict[int, Article]:
        """The articles of ``ids`` that are stored, by id (a source deleted since is left out)."""
        store = self.store
        try:
            return {a.id: a for a in store.articles.get_many(ids) if a.id is not None}
        except NotFoundError:  # a source was deleted since: show what is left
            found = {}
            for i in ids:
                try:
                    found[i] = store.articles.get(i)
                except NotFoundError:
                    continue
            return found

    # -- readers' answers ----------------------------------------------------------------------

    def answers(self, story_id: int, version: int | None = None) -> dict[str, ReaderAnswer]:
        """Every reader's answer to the story's explainer version the story page shows (the
        newest unless ``version``), by reader id."""
        return self.store.feedback.answers_on_story(story_id, version)

    def record_answer(
        self, explainer_id: int, reader_id: str, useful: bool, reason: str | None = None
    ) -> None:
        """One answer per reader and explainer version; answering again changes it."""
        self.store.feedback.record(explainer_id, reader_id, useful, reason)

    def answers_to(self, explainer_id: int) -> FeedbackSummary:
        """The Yes and No answers to one explainer version, with every reason given."""
        stored = self.store.explainers.get(explainer_id)
        counts = self.store.feedback.counts(explainer_id)
        return FeedbackSummary(
            explainer_id,
            stored.story_id,
            stored.version,
            counts["yes"],
            counts["no"],
            self.store.feedback.reasons(explainer_id),
        )

    def feedback(self, *, limit: int = 100, reasons: int = 5) -> list[FeedbackSummary]:
        """Readers' answers per explainer version (newest first), with the latest ``reasons``
        given with a No (none asked for with 0)."""
        store = self.store
        stats = store.feedback.stats(limit=limit)
        given = store.feedback.reasons_of([e for e, *_ in stats], limit=reasons)
        return [FeedbackSummary(e, s, v, y, n, given.get(e, [])) for e, s, v, y, n in stats]

    def feedback_by_day(
        self, explainer_ids: list[int] | None = None, *, days: int = 30, now: datetime | None = None
    ) -> list[DailyAnswers]:
        """Yes and No answers to these explainer versions (default: all) per day (UTC), over
        the last ``days`` days, oldest first: what the operator page charts."""
        now = now or datetime.now(UTC)
        start = datetime.combine(now.date() - timedelta(days=days - 1), time(), tzinfo=UTC)
        return self.store.feedback.daily(explainer_ids, since=start)


def _quote(article: Article | None, start: int, end: int) -> str | None:
    if article is None or not 0 <= start < end <= len(article.text):
        return None
    return article.text[start:end]
