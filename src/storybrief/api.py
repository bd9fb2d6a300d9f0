"""The Python API: what the CLI does, callable from Python.

>>> import storybrief
>>> report = storybrief.ingest(["article.txt", "https://example.org/feed.xml"])
>>> [a.title for a in storybrief.articles()]
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, NotFoundError, SourceError, StorybriefError
from .explain import Explainer, get_engine
from .ingest import IngestReport, ItemResult
from .ingest import ingest as _ingest
from .records import Article
from .settings import Settings, load_settings
from .store import ArticleSummary, Store
from .store.store import StoredSentence
from .verify import Checker, CheckerOptions, Verdict
from .verify.publish import CheckReport, check_explainer


def open_store(settings: Settings | None = None) -> Store:
    """Open (and migrate) the database the settings name."""
    return Store.open(settings or load_settings())


def ingest(
    sources: Iterable[str | Path] | str | Path,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    on_expand: Callable[[int], None] | None = None,
    cluster: bool = True,
) -> IngestReport:
    """Ingest files, URLs, feeds (RSS, Atom, JSON Feed) and OPML lists; returns what became
    of each article: new, updated, duplicate, unchanged or failed (with the reason).

    New articles then join stories (``report.stories``); a story that grows and already has an
    explainer gets its next version, written with the same engine (``auto_explain``).
    """
    settings = settings or load_settings()
    if store is None:
        with open_store(settings) as opened:
            return ingest(
                sources,
                settings=settings,
                store=opened,
                on_item=on_item,
                on_expand=on_expand,
                cluster=cluster,
            )
    if isinstance(sources, str | Path):
        sources = [sources]
    report = _ingest(sources, settings=settings, store=store, on_item=on_item, on_expand=on_expand)
    if cluster:
        from .cluster import assign

        fresh = [i.article_id for i in report.items if i.status == "new" and i.article_id]
        # and any an interrupted run stored but did not get to put in a story
        fresh = sorted({*fresh, *store.unassigned_article_ids()})
        report.stories = assign(store, fresh, settings)
        if settings.auto_explain:
            for change in report.stories:
                latest = None if change.created else store.latest_explainer(change.story_id)
                if latest is None:
                    continue
                try:
                    result = explain(
                        story_id=change.story_id,
                        engine=latest.engine,
                        settings=settings,
                        store=store,
                    )
                    report.explained.append((change.story_id, result.version or 0))
                except StorybriefError as exc:  # the articles are stored; say what failed
                    report.explained.append((change.story_id, str(exc)))
    return report


def articles(
    *, limit: int = 50, offset: int = 0, settings: Settings | None = None
) -> list[ArticleSummary]:
    """Stored articles, newest first."""
    with open_store(settings) as store:
        return store.list_articles(limit=limit, offset=offset)


def article(article_id: int, *, settings: Settings | None = None) -> Article:
    """One stored article with its numbered sentences."""
    with open_store(settings) as store:
        return store.get_article(article_id)


# -- explain ---------------------------------------------------------------------------------


@dataclass
class ExplainResult:
    """An explainer as published (checked), where it is stored, and how it came about."""

    explainer: Explainer
    check: CheckReport | None  # None when the stored version was reused (``cached``)
    story_id: int
    version: int
    explainer_id: int
    cached: bool = False
    ingest: IngestReport | None = None


def checker_options(settings: Settings) -> CheckerOptions:
    return CheckerOptions(
        policy=settings.check_policy,
        accept_partly=settings.check_accept_partly,
        use_model=settings.check_use_model,
    )


def explain(
    sources: Iterable[str | Path] | str | Path = (),
    *,
    story_id: int | None = None,
    engine: str | None = None,
    options: dict[str, Any] | None = None,
    regenerate: bool = False,
    settings: Settings | None = None,
    store: Store | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExplainResult:
    """Write, check and store the explainer of a story, or of ``sources`` (files, URLs, feeds:
    ingested first). Every sentence passes the checker before it is stored or returned.
    ``progress`` is called with the number of tokens generated so far, by engines that stream
    (the LLM engines).

    The explainer is stored as the next version of its story; when the story's articles, the
    engine and its options are what the latest version was written from, that version is
    returned instead (``cached``) unless ``regenerate``.
    """
    settings = settings or load_settings()
    if store is None:
        with open_store(settings) as opened:
            return explain(
                sources,
                story_id=story_id,
                engine=engine,
                options=options,
                regenerate=regenerate,
                settings=settings,
                store=opened,
                on_item=on_item,
                progress=progress,
            )
    if isinstance(sources, str | Path):
        sources = [sources]
    sources = list(sources)
    if bool(sources) == (story_id is not None):
        raise ConfigError("explain needs either sources or a story id, not both")

    report = None
    if sources:
        # the sources are the story: they are grouped here, not by clustering
        report = ingest(sources, settings=settings, store=store, on_item=on_item, cluster=False)
        ids = report.article_ids
        if not ids:
            raise SourceError(f"no article to explain ({_reasons(report) or 'no sources'})")
        story_id = _story_of(store, ids)
    else:
        assert story_id is not None
        ids = store.story_article_ids(story_id)
        if not ids:
            raise NotFoundError(f"story {story_id} has no articles")
    articles_ = store.get_articles(ids)

    name = engine or settings.engine
    key = _sources_key(articles_, name, options or {}, checker_options(settings))
    if not regenerate:
        latest = store.latest_explainer(story_id)
        if latest is not None and latest.sources_key == key:
            return ExplainResult(
                Explainer.model_validate(latest.document),
                None,
                story_id,
                latest.version,
                latest.id,
                cached=True,
                ingest=report,
            )

    headline = store.get_story(story_id).title
    writer = get_engine(name, **(options or {}))
    if progress is not None and getattr(writer, "streams", False):
        draft = writer.explain(articles_, headline=headline, progress=progress)  # type: ignore[call-arg]
    else:
        draft = writer.explain(articles_, headline=headline)
    published, check = check_explainer(draft, articles_, checker_options(settings))
    stored = store.save_explainer(
        story_id,
        engine=published.engine,
        engine_options=published.engine_options,
        headline=published.headline,
        sources_key=key,
        document=published.model_dump(mode="json"),
        sentences=[
            StoredSentence(
                section_idx,
                position,
                s.text,
                s.verdict,
                list(s.reasons),
                [(c.article_id, c.sentence_index, c.start, c.end) for c in s.citations],
            )
            for section_idx, position, s in published.sentences()
        ],
    )
    published = published.model_copy(update={"story_id": story_id, "version": stored.version})
    return ExplainResult(published, check, story_id, stored.version, stored.id, ingest=report)


def _reasons(report: IngestReport) -> str:
    return "; ".join(
        i.reason if i.location in i.reason else f"{i.location}: {i.reason}"
        for i in report.items
        if i.reason and i.status == "failed"
    )


def _story_of(store: Store, article_ids: list[int]) -> int:
    """The story that is these articles. An explicit list of sources is the reader's own
    grouping: a story that lies wholly inside it (the largest) takes in the rest, keeping its
    id and earlier explainers; otherwise a new story is made. Articles are taken out of the
    stories clustering had put them in, and a story left empty is removed."""
    wanted = set(article_ids)
    owners = {a.story_id for a in store.get_articles(article_ids)} - {None}
    members = {sid: set(store.story_article_ids(sid)) for sid in owners if sid is not None}
    inside = [sid for sid, ids in members.items() if ids <= wanted]
    if inside:
        story_id = max(inside, key=lambda sid: (len(members[sid]), -sid))
        if members[story_id] != wanted:
            store.add_to_story(story_id, article_ids)
    else:
        story_id = store.create_story(store.get_article(article_ids[0]).title, article_ids)
    for other in members:
        if other != story_id and not store.story_article_ids(other):
            store.delete_story(other)
    return story_id


def _sources_key(
    articles_: list[Article], engine: str, options: dict[str, Any], checker: CheckerOptions
) -> str:
    """What an explainer was written from: the articles' ids and texts, the engine, its
    options and the checker's options."""
    payload = {
        "articles": sorted((a.id or 0, a.content_hash) for a in articles_),
        "engine": engine,
        "options": options,
        "checker": checker.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def check(
    text: str, against: Iterable[str | Path], *, settings: Settings | None = None
) -> list[tuple[str, Verdict]]:
    """Check every statement of ``text`` against the articles in ``against`` (files or URLs,
    extracted but not stored): each sentence with the checker's verdict and reasons."""
    settings = settings or load_settings()
    with (
        tempfile.TemporaryDirectory(prefix="storybrief-check-") as scratch,
        Store.open(f"sqlite:///{Path(scratch) / 'check.db'}") as store,
    ):
        report = ingest(list(against), settings=settings, store=store, cluster=False)
        if not report.ok:
            raise SourceError(f"cannot read the articles to check against ({_reasons(report)})")
        found = store.get_articles(report.article_ids)
    return Checker(checker_options(settings)).check_text(text, found)


def stored_verdicts(
    story_id: int, *, settings: Settings | None = None
) -> list[tuple[str, str, list[str]]]:
    """The sentences of a story's latest explainer with the verdict and reasons stored with
    each (sentence, label, reasons)."""
    with open_store(settings) as store:
        latest = store.latest_explainer(story_id)
        if latest is None:
            raise NotFoundError(
                f"story {story_id} has no explainer yet (storybrief explain --story)"
            )
        return [
            (s.text, s.verdict or "unchecked", list(s.reasons))
            for s in store.explainer_sentences(latest.id)
        ]
