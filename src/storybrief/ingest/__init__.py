"""Ingest: sources (files, URLs, feeds, OPML lists) in, stored articles out."""

from .pipeline import IngestReport, ItemResult, Ingestor, ingest

__all__ = ["IngestReport", "Ingestor", "ItemResult", "ingest"]
