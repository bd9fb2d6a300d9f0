"""Publishing a story's explainer (:meth:`storybrief.library.Library.explain`, below the door):
the engine's draft, the requests it recorded taken out of it, made coherent when the engine
does not do that itself, checked, and stored as the story's next version — or the latest
version handed back when it was written from the same articles by the same engine under the
same checker options."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from .errors import NothingToPublishError
from .results import ExplainResult
from .store import StoredSentence

# the stages are imported when an explainer is written, so that a read-only command does not
# load them (see storybrief.library)
if TYPE_CHECKING:
    from .explain import Engine, Explainer
    from .explain.engines import Progress
    from .ingest import IngestReport
    from .records import Article
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
) -> ExplainResult:
    """Write, check and store the next explainer version of the story from ``articles``
    (``key``: :func:`sources_key`); the latest version when its key is the same, unless
    ``regenerate``. A story the engine finds nothing to publish in is marked so (not due
    again until its articles change) and the error raised."""
    from .explain import Explainer
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
    return ExplainResult(published, check, story_id, stored.version, stored.id, ingest=ingest)
