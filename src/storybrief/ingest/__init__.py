"""Ingest: sources (files, URLs, feeds, OPML lists) in, stored articles out."""

from .pipeline import Document, Ingestor, IngestReport, ItemResult, ingest, input_sources
from .polite import HostGate
from .schedule import PollHints, next_poll, poll_hints

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
