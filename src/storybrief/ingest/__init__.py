"""Ingest: sources (files, URLs, feeds, OPML lists) in, stored articles out.

The names below are imported when first asked for, so that importing one light module of
this stage (the feed schedule, say) does not load extraction, feedparser and httpx."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import Ingestor, IngestReport, ItemResult, ingest
    from .polite import HostGate
    from .schedule import PollHints, next_poll, poll_hints
    from .sources import Document, input_sources

_WHERE = {
    "Document": "sources",
    "HostGate": "polite",
    "IngestReport": "pipeline",
    "Ingestor": "pipeline",
    "ItemResult": "pipeline",
    "PollHints": "schedule",
    "ingest": "pipeline",
    "input_sources": "sources",
    "next_poll": "schedule",
    "poll_hints": "schedule",
}

__all__ = [
    "Document",
    "HostGate",
    "IngestReport",
    "Ingestor",
    "ItemResult",
    "PollHints",
    "ingest",
    "input_sources",
    "next_poll",
    "poll_hints",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
