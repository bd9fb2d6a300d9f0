"""What the web API's submit endpoint stores (:meth:`storybrief.library.Library.submit`):
URLs ingested through the normal pipeline (with its fetch safety: no private addresses unless
settings allow them; and through the caller's host gate), and articles given as text or HTML,
stored after the same extraction. Never a server-side file path."""

from __future__ import annotations

import time
from typing import Any

from ..errors import SourceError, StorageError
from ..extract import extract_html, extract_text
from ..settings import Settings
from ..store import Store
from ..text import storable_value
from .pipeline import IngestReport, ItemResult, ingest, storable_article, unexpected
from .polite import HostGate


def submit(
    urls: list[str],
    articles: list[dict[str, Any]],
    *,
    settings: Settings,
    store: Store,
    gate: HostGate | None = None,
) -> IngestReport:
    """Ingest ``urls`` (through ``gate``: a long-lived one keeps its robots.txt cache, host
    pacing and pauses) and store ``articles`` (dicts with ``text`` or ``html``, and optionally
    ``url``, ``title``, ``site_name``, ``published_at``)."""
    if any(not u.startswith(("http://", "https://")) for u in urls):
        raise SourceError("only http and https URLs can be submitted")
    # one request, one budget: what is not started within fetch.source_seconds fails, saying
    # so, instead of a request of 50 URLs and 20 pages taking minutes
    budget = settings.fetch.source_seconds
    deadline = time.monotonic() + budget
    report = (
        ingest(urls, settings=settings, store=store, gate=gate, deadline=deadline)
        if urls
        else IngestReport()
    )
    for n, given in enumerate(articles, 1):
        location = str(given.get("url") or f"submitted article {n}")
        if time.monotonic() > deadline:
            reason = (
                f"{location} not read: the request's time budget (fetch.source_seconds, "
                f"{budget:g} s) was spent; send it again"
            )
            item = ItemResult(location, "failed", reason=reason, source="api")
            report.items.append(item)
            continue
        try:
            item = _store_one(storable_value(given), n, settings, store)  # type: ignore[arg-type]
        except StorageError:  # the database is down: the request fails (503), not the article
            raise
        except Exception as exc:  # one article that cannot be stored fails alone
            item = ItemResult(location, "failed", reason=unexpected(location, exc), source="api")
        if item.status == "failed":
            _record_failure(store, item)
        report.items.append(item)
    return report


def _record_failure(store: Store, item: ItemResult) -> None:
    try:
        store.failures.record(item.location, item.reason or "unknown error")
    except Exception:  # the answer still carries the failure
        return


def _store_one(given: dict[str, Any], n: int, settings: Settings, store: Store) -> ItemResult:
    url = str(given["url"]) if given.get("url") else None
    location = url or f"submitted article {n}"
    fallback = {
        k: v
        for k, v in {
            "title": given.get("title"),
            "site_name": given.get("site_name"),
            "published_at": given.get("published_at"),
            "url": url,
            "canonical_url": url,
        }.items()
        if v
    }
    try:
        if given.get("html"):
            article = extract_html(given["html"], url=url, settings=settings, fallback=fallback)
        elif given.get("text"):
            article = extract_text(given["text"], settings=settings, fallback=fallback)
        else:
            raise SourceError("an article needs text or html")
    except SourceError as exc:
        return ItemResult(location, "failed", reason=str(exc), source="api")
    article.source = "api"
    result = store.articles.upsert(storable_article(article))
    return ItemResult(
        location,
        result.status,
        article_id=result.article.id,
        title=result.article.title,
        source="api",
    )
