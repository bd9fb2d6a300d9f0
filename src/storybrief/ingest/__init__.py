"""Ingest: sources (files, URLs, feeds, OPML lists) in, stored articles out."""

from .pipeline import Ingestor, IngestReport, ItemResult, ingest
from .polite import HostGate
from .schedule import PollHints, next_poll, poll_hints

__all__ = [
    "HostGate",
    "IngestReport",
    "Ingestor",
    "ItemResult",
    "PollHints",
    "ingest",
    "next_poll",
    "poll_hints",
]
