"""Ingest: sources (files, URLs, feeds, OPML lists) in, stored articles out."""

from .pipeline import Ingestor, IngestReport, ItemResult, ingest

__all__ = ["IngestReport", "Ingestor", "ItemResult", "ingest"]
