"""The stories of the clustering window kept in memory between assignments
(:mod:`storybrief.cluster.window`): what another process writes to the same database — a new
story, an article added to a kept one, a story retired — is seen at the next assignment, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from tests.dbs import database_url
from tests.test_cluster import BRIDGE_A, BRIDGE_B, LIBRARY, T0, WIRE_COPY, article

from storybrief.cluster import assign
from storybrief.cluster.assign import clusterer_for, item_of
from storybrief.cluster.dedupe import NearDuplicates, signature
from storybrief.cluster.window import StoryWindow, window_of
from storybrief.store import Store

LIBRARY_COPY = (
    "Council approves library expansion (wire)",
    LIBRARY[1].replace("on Wednesday", "Wednesday"),
)
BRIDGE_B_COPY = ("Harbor Bridge open again (wire)", BRIDGE_B[1].replace("on Tuesday", "Tuesday"))


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path, test_settings) -> Iterator[tuple[Store, Store, object]]:
    """Two stores on one database: this process's, and another's."""
    test_settings.cluster.vectors = "hashing"
    with (
        database_url(request.param, tmp_path) as url,
        Store.open(url) as mine,
        Store.open(url) as other,
    ):
        yield mine, other, test_settings


def test_a_story_another_process_made_is_seen_at_the_next_assignment(stores):
    mine, other, settings = stores
    (bridge,) = assign(mine, [article(mine, BRIDGE_A, T0, "Ledger")], settings)
    library = article(other, LIBRARY, T0 + timedelta(hours=1), "Daily")
    (made,) = assign(other, [library], settings)
    copy = article(mine, LIBRARY_COPY, T0 + timedelta(hours=2), "Wire")
    (joined,) = assign(mine, [copy], settings)
    assert (joined.story_id, joined.created, joined.duplicates) == (
        made.story_id,
        False,
        {copy: library},
    )
    assert made.story_id != bridge.story_id


def test_an_article_another_process_added_to_a_kept_story_is_seen(stores):
    mine, other, settings = stores
    first = article(mine, BRIDGE_A, T0, "Ledger")
    (bridge,) = assign(mine, [first], settings)
    second = article(other, BRIDGE_B, T0 + timedelta(hours=1), "Daily")
    (grew,) = assign(other, [second], settings)
    assert grew.story_id == bridge.story_id and not grew.created
    copy = article(mine, BRIDGE_B_COPY, T0 + timedelta(hours=2), "Wire")
    (joined,) = assign(mine, [copy], settings)
    assert joined.story_id == bridge.story_id
    assert joined.duplicates == {copy: second}  # its original, which only the other process read


def test_a_story_another_process_retired_is_no_candidate(stores):
    mine, other, settings = stores
    (bridge,) = assign(mine, [article(mine, BRIDGE_A, T0, "Ledger")], settings)
    (library,) = assign(mine, [article(mine, LIBRARY, T0 + timedelta(hours=1), "Daily")], settings)
    other.stories.merge(bridge.story_id, library.story_id)  # by hand: a merge healing made
    copy = article(mine, WIRE_COPY, T0 + timedelta(hours=2), "Wire")
    (change,) = assign(mine, [copy], settings)
    assert change.story_id == library.story_id  # where its original is now
    assert not mine.stories.is_retired(change.story_id)


def test_a_kept_window_seeds_what_reading_every_story_again_gives(stores):
    mine, other, settings = stores
    pairs = [BRIDGE_A, LIBRARY, BRIDGE_B, WIRE_COPY, LIBRARY_COPY, BRIDGE_B_COPY]
    for n, pair in enumerate(pairs):
        store = mine if n % 2 == 0 else other
        assign(store, [article(store, pair, T0 + timedelta(hours=n), f"site {n}")], settings)
    since = T0 - timedelta(hours=settings.cluster.window_hours)
    kept = window_of(mine, "hashing")
    fresh = StoryWindow("hashing")
    seeded = []
    for window in (kept, fresh):
        window.refresh(mine, since, item_of)
        clusterer = clusterer_for(settings)
        window.seed(clusterer)
        seeded.append(clusterer)
    a, b = seeded
    assert len(kept) == len(fresh) > 0
    assert a._rows == b._rows and np.array_equal(a._matrix, b._matrix)
    assert a._story_of == b._story_of
    assert (a.names.counts - b.names.counts, a.names.documents) == ({}, b.names.documents)
    for key, story in a.stories.items():
        other_story = b.stories[key]
        assert np.array_equal(story.total, other_story.total)
        assert (story.size, story.first, story.last, story.dated) == (
            other_story.size, other_story.first, other_story.last, other_story.dated,
        )  # fmt: skip
        assert story.profile.names == other_story.profile.names


def test_an_index_over_another_finds_what_one_index_of_both_finds():
    texts = [BRIDGE_A[1], WIRE_COPY[1], LIBRARY[1], LIBRARY_COPY[1], BRIDGE_B[1]]
    both, base = NearDuplicates(), NearDuplicates()
    for key, text in enumerate(texts[:3], start=10):
        both.add(key, signature(text))
        base.add(key, signature(text))
    over = NearDuplicates(base=base)
    over.add(3, signature(texts[3]))
    both.add(3, signature(texts[3]))
    for text in texts:
        assert over.find(signature(text)) == both.find(signature(text))
    over.remove(10)  # hidden here, kept in the base
    both.remove(10)
    assert over.find(signature(BRIDGE_A[1])) == both.find(signature(BRIDGE_A[1])) == 11
    assert base.find(signature(BRIDGE_A[1])) == 10
    assert len(over) == len(both) == 3


def test_an_assignment_reads_again_only_the_stories_written_since_its_last_look(
    stores, monkeypatch
):
    mine, other, settings = stores
    first = article(mine, BRIDGE_A, T0, "Ledger")
    (library,) = assign(mine, [article(mine, LIBRARY, T0 + timedelta(hours=1), "Ledger")], settings)
    assign(mine, [first], settings)  # reads the library story (new since its last look)
    read: list[int] = []
    get_many = mine.articles.get_many

    def counted(ids: list[int]) -> list:
        read.extend(ids)
        return get_many(ids)

    monkeypatch.setattr(mine.articles, "get_many", counted)
    later = article(other, BRIDGE_B, T0 + timedelta(hours=3), "Daily")
    assign(other, [later], settings)  # grows the bridge story, in another process
    copy = article(mine, LIBRARY_COPY, T0 + timedelta(hours=4), "Wire")
    (change,) = assign(mine, [copy], settings)
    assert change.story_id == library.story_id
    # the bridge story's articles, new to the window (it learns what its own runs wrote from
    # the database too): not the library story's, which nobody wrote since the last look
    assert sorted(read) == sorted([first, later])


def test_the_window_finds_near_duplicates_at_the_configured_threshold(stores):
    # a copy with a line added (estimated Jaccard 0.91) would be a near-duplicate of the kept
    # story's article at the default threshold (0.8); the operator's stricter one holds for
    # the kept stories' articles too
    mine, _, settings = stores
    settings.cluster.duplicate_threshold = 0.95
    library = article(mine, LIBRARY, T0, "Daily")
    assign(mine, [library], settings)
    longer = (LIBRARY[0] + " (wire)", LIBRARY[1] + " The mayor welcomed the vote.")
    assert signature(LIBRARY[1]).jaccard(signature(longer[1])) < 0.95
    copy = article(mine, longer, T0 + timedelta(hours=1), "Wire")
    (joined,) = assign(mine, [copy], settings)
    assert joined.duplicates == {}
