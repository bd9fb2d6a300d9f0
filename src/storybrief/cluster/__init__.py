"""Cluster stage: group articles that report the same event into stories, incrementally.

>>> changes = assign(store, report.article_ids, settings)   # doctest: +SKIP

Each new article joins the most similar story seen within the time window (sentence vectors from
a model shipped on PyPI when installed, hashed TF-IDF otherwise, plus shared names) or starts a
new one; near-duplicates (MinHash/LSH) join their original's story and count once. The
stories an assignment changed are looked at again (:func:`heal`): one holding two events
splits, two holding one merge.
"""

from __future__ import annotations

from .assign import ReclusterReport, StoryChange, assign, group_as_story, recluster
from .clusterer import Clusterer, Decision, Item
from .heal import Healing, heal, split_into

__all__ = [
    "Clusterer",
    "Decision",
    "Healing",
    "Item",
    "ReclusterReport",
    "StoryChange",
    "assign",
    "group_as_story",
    "heal",
    "recluster",
    "split_into",
]
