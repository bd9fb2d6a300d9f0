"""Publishing a story's explainer (:meth:`storybrief.library.Library.explain`, below the door):
the engine's draft, the requests it recorded taken out of it, made coherent when the engine
does not do that itself, checked, and stored as the story's next version — or the latest
version handed back when it was written from the same articles by the same engine under the
same checker options."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from .errors import NothingToPublishError, StorageError
from .results import ExplainResult
from .store import StoredSentence

log = logging.getLogger("storybrief.library")

# the stages are imported when an explainer is written, so that a read-only command does not
# load them (see storybrief.library)
if TYPE_CHECKING:
    from .explain import Engine, Explainer
    from .explain.engines import Progress
    from .ingest import IngestReport
    from .records import Article
    from .settings import Settings
    from .store import Store
    from .verify import Checker


def engine_calls(explainer: Explainer) -> tuple[Explainer, list[dict[str, Any]]]:
    """The requests an engine recorded in its explainer (``engine_options["generation"]
    ["calls"]``: the LLM engines do), taken out of it: they are stored beside the version
    (`storybrief logs`), not in its document, which readers and the API get."""
    generation = explainer.engine_options.get("generation")
    if not isinstance(generation, dict) or "calls" not in generation:
        return explainer, []
    rest = {k: v for k, v in generation.items() if k != "calls"}
    model = rest.get("model")
    calls = [{"model": model, **c} for c in generation["calls"] if isinstance(c, dict)]
    options = {**explainer.engine_options, "generation": rest}
    return explainer.model_copy(update={"engine_options": options}), calls


def sources_key(
    articles: list[Article], writer: Engine, asked: dict[str, Any], checker: Checker
) -> str:
    """What an explainer is written from: the articles' ids and texts, the engine's identity
    (engine, model, prompt version, options; ``asked``, the name and options asked for, when
    the engine gives none) and the checker's options."""
    payload = {
        "articles": sorted((a.id or 0, a.content_hash) for a in articles),
        "engine": writer.identity() or asked,
        "checker": checker.options.model_dump(mode="json"),
    }
    encoded = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def publish(
    store: Store,
    checker: Checker,
    writer: Engine,
    story_id: int,
    articles: list[Article],
    *,
    key: str,
    regenerate: bool = False,
    progress: Progress | None = None,
    ingest: IngestReport | None = None,
    clustering: Settings | None = None,
) -> ExplainResult:
    """Write, check and store the next explainer version of the story from ``articles``
    (``key``: :func:`sources_key`); the latest version when its key is the same, unless
    ``regenerate``. A story the engine finds nothing to publish in is marked so (not due
    again until its articles change) and the error raised.

    Articles that report more than one event (the engine's ``recluster`` flag, or for an
    engine that does not reconcile, :func:`~storybrief.explain.coherence.split_events`) are
    not told as one account: the explainer tells one event and says so to its readers
    (:func:`~storybrief.explain.coherence.one_event`); with ``clustering`` (the settings
    stories are clustered with) the story is then split, each event a story of its own
    whose explainer comes when it is due, the old URL pointing to them."""
    from .explain import Explainer
    from .explain.coherence import one_event
    from .explain.reconcile import reconcile
    from .verify.publish import check_explainer

    if not regenerate:
        latest = store.explainers.latest(story_id)
        if latest is not None and latest.sources_key == key:
            return ExplainResult(
                Explainer.model_validate(latest.document),
                None,
                story_id,
                latest.version,
                latest.id,
                reused=True,
                ingest=ingest,
            )

    headline = store.stories.get(story_id).title
    try:
        draft = writer.explain(articles, headline=headline, progress=progress)
    except NothingToPublishError:
        store.explainers.mark_unexplainable(story_id)  # not due again until its articles change
        raise
    draft, calls = engine_calls(draft)
    if not writer.reconciles:  # an outside engine: made coherent here
        draft, _ = reconcile(draft, articles, checker)
    draft = one_event(
        draft, articles, detect=not writer.reconciles, splitting=clustering is not None
    )
    published, check = check_explainer(draft, articles, checker)
    stored = store.explainers.save(
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
        calls=calls,
    )
    published = published.model_copy(update={"story_id": story_id, "version": stored.version})
    parts = []
    if published.recluster is not None and clustering is not None:
        parts = split_mixed(store, clustering, story_id, published.recluster.article_ids)
    return ExplainResult(
        published, check, story_id, stored.version, stored.id, ingest=ingest, split_into=parts
    )


def split_mixed(store: Store, clustering: Settings, story_id: int, aside: list[int]) -> list[int]:
    """Split a story whose explainer found it mixes events: the articles its explainer tells
    and those it left out (``aside``) each become a story (:func:`storybrief.cluster.split_into`);
    the new stories' ids, none when either side has no article in the story. The explainer is
    stored by then: a split that fails is logged, not raised (the explainer written when the
    story next changes tries again)."""
    from .cluster import split_into

    with store.exclusive("stories"):  # its articles as they are now, no assignment between
        if store.stories.is_retired(story_id):
            return []
        ids = store.stories.article_ids(story_id)
        parts = [[i for i in ids if i not in aside], [i for i in ids if i in aside]]
        if not all(parts):
            return []
        try:
            return split_into(store, clustering, story_id, parts)
        except StorageError:
            raise
        except Exception as exc:
            log.warning("splitting story %s, which mixes events, failed: %s", story_id, exc)
            return []
