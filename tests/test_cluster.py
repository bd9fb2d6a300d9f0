"""Stories: joining, the time window, near-duplicates, re-clustering, and stories kept current
as articles arrive through ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests import workers
from typer.testing import CliRunner

from storybrief.api import explain, ingest
from storybrief.cli import app
from storybrief.cluster import assign, recluster
from storybrief.cluster.clusterer import Clusterer, Item
from storybrief.cluster.dedupe import NearDuplicates, signature
from storybrief.cluster.vectors import HashingEmbedder, ModelEmbedder, entities
from storybrief.records import Article
from storybrief.store import Store

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

BRIDGE_A = (
    "Harbor Bridge reopens after two-year repair",
    "The Harbor Bridge in Riverside reopened to traffic on Tuesday after a two-year repair of "
    "its corroded steel deck. Mayor Elena Ruiz cut the ribbon at the north tower. Engineers "
    "said the Harbor Bridge towers were strengthened against earthquakes during the repair.",
)
BRIDGE_B = (
    "Riverside's Harbor Bridge open again as repair ends",
    "Drivers crossed the Harbor Bridge in Riverside again on Tuesday as the two-year repair "
    "of the bridge deck ended. Mayor Elena Ruiz opened the Harbor Bridge at a ceremony. The "
    "repair of the steel deck and towers cost the city of Riverside more than expected.",
)
LIBRARY = (
    "Council approves library expansion plan",
    "The city council voted on Wednesday to expand the central library with a new children's "
    "wing and a rooftop reading garden. Construction of the library wing starts next spring "
    "and will be paid for by a bond approved by voters last year, councillors said.",
)
WIRE_COPY = (
    "Harbor Bridge reopens after two-year repair (AP)",
    BRIDGE_A[1].replace("on Tuesday", "on Tuesday morning"),
)


def article(store: Store, pair: tuple[str, str], when: datetime, site: str) -> int:
    title, text = pair
    result = store.articles.upsert(
        Article(title=title, text=text, published_at=when, site_name=site, url=None)
    )
    assert result.article.id is not None
    return result.article.id


@pytest.fixture
def settings(test_settings):
    test_settings.cluster.vectors = "hashing"  # deterministic and quick; the model is tested below
    return test_settings


@pytest.fixture
def store(settings):
    with Store.open(settings) as opened:
        yield opened


def test_related_articles_join_and_unrelated_start_a_story(settings, store):
    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    b = article(store, BRIDGE_B, T0 + timedelta(hours=3), "Riverside Daily")
    c = article(store, LIBRARY, T0 + timedelta(hours=5), "The Riverside Ledger")
    changes = assign(store, [a, b, c], settings)
    assert [(ch.created, ch.added) for ch in changes] == [(True, [a, b]), (True, [c])]
    bridge = store.stories.get(changes[0].story_id)
    assert bridge.size == 2 and bridge.outlets == ["Riverside Daily", "The Riverside Ledger"]
    assert bridge.first_seen == T0 and bridge.last_seen == T0 + timedelta(hours=3)
    assert bridge.title == BRIDGE_A[0]
    # already placed articles are left alone
    assert assign(store, [a, b, c], settings) == []


def test_a_later_run_joins_a_stored_story(settings, store):
    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    (first,) = assign(store, [a], settings)
    b = article(store, BRIDGE_B, T0 + timedelta(hours=20), "Riverside Daily")
    (grew,) = assign(store, [b], settings)
    assert not grew.created and grew.story_id == first.story_id
    assert store.stories.article_ids(first.story_id) == [a, b]


def test_the_time_window_splits_a_story(settings, store):
    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    late = article(store, BRIDGE_B, T0 + timedelta(days=10), "Riverside Daily")
    changes = assign(store, [a, late], settings)
    assert [ch.created for ch in changes] == [True, True]
    settings.cluster.window_hours = 24 * 30
    assert recluster(store, settings).stories == 1


def test_near_duplicates_count_once_but_list_their_outlet(settings, store):
    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    copy = article(store, WIRE_COPY, T0 + timedelta(hours=1), "Wire Service")
    (change,) = assign(store, [a, copy], settings)
    assert change.duplicates == {copy: a}
    assert store.stories.duplicates_in(change.story_id) == {copy: a}
    assert store.stories.get(change.story_id).outlets == ["The Riverside Ledger", "Wire Service"]
    # the copy did not move the story's centroid: its stored size counts the original once
    (record,) = store.stories.states()
    assert record.state["size"] == 1


def test_minhash_index_finds_copies_not_neighbours():
    index = NearDuplicates(0.8)
    index.add(1, signature(BRIDGE_A[1]))
    index.add(2, signature(LIBRARY[1]))
    assert index.find(signature(WIRE_COPY[1])) == 1
    assert index.find(signature(BRIDGE_B[1])) is None
    index.remove(1)
    assert index.find(signature(WIRE_COPY[1])) is None


def test_clusterer_is_deterministic_and_respects_the_threshold():
    items = [
        Item(1, BRIDGE_A[0], BRIDGE_A[1], 0.0),
        Item(2, BRIDGE_B[0], BRIDGE_B[1], 3600.0),
        Item(3, LIBRARY[0], LIBRARY[1], 7200.0),
    ]

    def run(threshold: float) -> list[int]:
        clusterer = Clusterer(
            HashingEmbedder(),
            threshold=threshold,
            window_hours=72,
            entity_weight=0.2,
            duplicate_threshold=0.8,
        )
        return [d.story for d in clusterer.add(items)]

    assert run(0.1) == run(0.1) == [-1, -1, -2]
    assert run(0.99) == [-1, -2, -3]  # nothing is that similar


def test_an_article_with_its_lead_needs_the_lead_threshold():
    """Title-and-lead texts are more alike than headlines, so they have their own threshold."""

    def run(has_lead: bool) -> list[int]:
        clusterer = Clusterer(
            HashingEmbedder(),
            threshold=0.1,
            lead_threshold=0.99,
            window_hours=72,
            entity_weight=0.2,
            duplicate_threshold=0.8,
        )
        items = [
            Item(1, BRIDGE_A[0], BRIDGE_A[1], 0.0, has_lead=has_lead),
            Item(2, BRIDGE_B[0], BRIDGE_B[1], 3600.0, has_lead=has_lead),
        ]
        return [d.story for d in clusterer.add(items)]

    assert run(has_lead=False) == [-1, -1]
    assert run(has_lead=True) == [-1, -2]


def test_stored_articles_are_embedded_with_their_lead(settings, store):
    from storybrief.cluster.assign import item_of

    stored = store.articles.get(article(store, BRIDGE_A, T0, "The Riverside Ledger"))
    item = item_of(stored)
    assert item.has_lead and item.text.startswith(f"{stored.title}. ")
    assert stored.sentences[0].text in item.text


def test_names_are_a_signal():
    assert {"elena ruiz", "harbor bridge"} <= entities(BRIDGE_A[1])
    assert "the" not in entities("Then The Council met.")


def test_recluster_keeps_story_ids_and_explainers(settings, store):
    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    c = article(store, LIBRARY, T0 + timedelta(hours=5), "The Riverside Ledger")
    bridge, library = assign(store, [a, c], settings)
    explained = explain(story_id=bridge.story_id, settings=settings, store=store)
    report = recluster(store, settings)
    assert (report.articles, report.stories, report.kept, report.removed) == (2, 2, 2, 0)
    assert store.stories.article_ids(bridge.story_id) == [a]
    assert store.explainers.latest(bridge.story_id).id == explained.explainer_id


def test_a_recluster_that_changes_nothing_leaves_no_story_grown(settings, store):
    """`status` said every story "grew" after a `recluster` that gave each its own articles
    back: only a story whose articles changed is due for its next explainer version."""
    from storybrief import Library

    a = article(store, BRIDGE_A, T0, "The Riverside Ledger")
    late = article(store, BRIDGE_B, T0 + timedelta(days=10), "Riverside Daily")
    c = article(store, LIBRARY, T0 + timedelta(hours=5), "The Riverside Ledger")
    changes = assign(store, [a, late, c], settings)
    assert len(changes) == 3
    for change in changes:
        explain(story_id=change.story_id, settings=settings, store=store)
    report = recluster(store, settings)
    assert (report.stories, report.kept, report.created, report.removed) == (3, 3, 0, 0)
    assert store.explainers.changed_since_explainer() == []
    with Library(settings) as lib:
        assert lib.pending().stories_changed == 0
    # a recluster that does move articles: the story that took them is due, the others not
    settings.cluster.window_hours = 24 * 30
    report = recluster(store, settings)
    assert (report.stories, report.kept, report.removed) == (2, 2, 1)
    (grown,) = store.explainers.changed_since_explainer()
    assert store.stories.article_ids(grown.story_id) == [a, late]
    with Library(settings) as lib:
        assert lib.pending().stories_changed == 1


def test_a_growing_story_gets_a_new_explainer_version_on_ingest(settings, store, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("\n".join(BRIDGE_A), encoding="utf-8")
    second.write_text("\n".join(BRIDGE_B), encoding="utf-8")
    v1 = explain(first, settings=settings, store=store)
    assert v1.version == 1
    report = ingest(second, settings=settings, store=store)
    (change,) = report.stories
    assert change.story_id == v1.story_id and not change.created
    assert report.explained == [(v1.story_id, 2)]
    versions = store.explainers.versions(v1.story_id)
    assert [v.version for v in versions] == [2, 1]  # the old version is kept
    assert len(versions[0].document["sources"]) == 2


def test_model_vectors_group_paraphrases():
    embedder = ModelEmbedder()
    a, b, c = embedder.embed([BRIDGE_A[0], BRIDGE_B[0], LIBRARY[0]])
    assert float(a @ b) > float(a @ c) and float(a @ b) > 0.4


def test_cli_stories_story_recluster(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STORYBRIEF_CLUSTER__VECTORS", "hashing")
    for name, pair in (("a", BRIDGE_A), ("b", BRIDGE_B), ("c", LIBRARY)):
        (tmp_path / f"{name}.txt").write_text("\n".join(pair), encoding="utf-8")
    runner = CliRunner()
    ingested = runner.invoke(
        app, ["ingest", "--json", *(str(tmp_path / f"{n}.txt") for n in "abc")]
    )
    assert ingested.exit_code == 0, ingested.output
    assert [s["added"] for s in json.loads(ingested.stdout)["stories"]] == [[1, 2], [3]]
    listed = json.loads(runner.invoke(app, ["stories", "--json"]).stdout)
    assert sorted(s["size"] for s in listed) == [1, 2]
    assert [s["explainer_versions"] for s in listed] == [0, 0]
    explained = runner.invoke(app, ["explain", "--story", "1", "--format", "json"])
    assert explained.exit_code == 0, explained.output
    listed = json.loads(runner.invoke(app, ["stories", "--json"]).stdout)
    assert {s["id"]: s["explainer_versions"] for s in listed} == {1: 1, 2: 0}
    shown = json.loads(runner.invoke(app, ["story", "1", "--json"]).stdout)
    assert [a["id"] for a in shown["articles"]] == [1, 2]
    rebuilt = json.loads(runner.invoke(app, ["recluster", "--json"]).stdout)
    assert rebuilt == {"articles": 3, "stories": 2, "kept": 2, "created": 0, "removed": 0}
    missing = runner.invoke(app, ["story", "99"])
    assert missing.exit_code == 2 and "no story" in missing.output


def test_articles_a_killed_ingest_left_without_a_story_get_one_next_time(settings, store, tmp_path):
    files = []
    for name, pair in (("a", BRIDGE_A), ("b", BRIDGE_B), ("c", LIBRARY)):
        files.append(tmp_path / f"{name}.txt")
        files[-1].write_text("\n".join(pair), encoding="utf-8")
    child = workers.context().Process(target=workers.ingest_then_die, args=(files, settings))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL
    assert store.articles.count() == 3 and len(store.articles.unassigned_ids()) == 3
    # the next run finds every article stored already, and still gives them their stories
    again = ingest(files[:1], settings=settings, store=store)
    assert again.counts["duplicate"] == 1
    assert sorted(len(change.added) for change in again.stories) == [1, 2]
    assert store.articles.unassigned_ids() == []


def test_signatures_are_datasketchs_and_kept_for_texts_seen_again():
    # datasketch's MinHash (its default seed and scheme) in numpy, so the same hash values as
    # a MinHash it makes; a text seen again costs no hashing (the recent stories' articles
    # are met again by every batch of new ones)
    from storybrief.cluster import dedupe
    from storybrief.cluster.vectors import words

    datasketch = pytest.importorskip("datasketch")
    for text in (BRIDGE_A[1], LIBRARY[1], "", "one two"):
        tokens = words(text)
        fresh = datasketch.MinHash(num_perm=dedupe.NUM_PERM)
        grams = {" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))}
        fresh.update_batch([g.encode() for g in grams if g])
        assert (signature(text).hashvalues == fresh.hashvalues).all()
    first = signature(BRIDGE_A[1])
    assert signature(BRIDGE_A[1]) is first
    assert signature(LIBRARY[1]) is not first
    # and its index's bands, found by the same sums as datasketch (without scipy)
    from datasketch.lsh import _optimal_param

    for threshold in (0.1, 0.3, 0.5, 0.6, 0.75, 0.9):
        assert dedupe._bands(threshold) == _optimal_param(threshold, dedupe.NUM_PERM, 0.5, 0.5)


def test_clustering_imports_neither_datasketch_nor_scipy(settings):
    # datasketch's import pulled in scipy (41 MB) for its index's bands
    script = (
        "import sys; from storybrief.cluster import assign, heal; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'datasketch')))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


#: Two rescues of one kind, a week apart, told with the same names: only the day, the count and
#: the ship tell them apart (written for these tests).
RESCUE_MONDAY = [
    "The coast guard cutter Alder rescued 14 fishermen off Cape Morrow on Monday after their "
    "trawler sank in a storm.",
    "Fourteen crew, 14 in all, were lifted from the sea near Cape Morrow on Monday by the "
    "cutter Alder, the coast guard said.",
    "On Monday the coast guard's Alder pulled 14 fishermen from a sinking trawler off Cape Morrow.",
]
RESCUE_FRIDAY = [
    "The coast guard cutter Birch rescued 9 fishermen and 22 passengers off Cape Morrow on "
    "Friday when a ferry ran aground.",
    "A ferry ran aground off Cape Morrow on Friday; the cutter Birch took 22 passengers off, "
    "the coast guard said.",
    "On Friday the Birch, a coast guard cutter, rescued 22 passengers from a ferry stuck off "
    "Cape Morrow.",
]


def test_days_are_weekdays_and_dates_of_the_month():
    from storybrief.cluster.identity import days

    assert days("ruled on Wednesday, December 18, 2019, that") == {"wd:wed", "md:12-18"}
    assert days("killed in Queens on the night of Sept. 13") == {"md:09-13"}
    assert days("signed on 13th of September and 4 July") == {"md:09-13", "md:07-04"}
    # a month with a year, a figure after a month, a word that is not a month: no day
    assert days("in March 2014, Mark 10 times, it may 5 people, June 17.5") == set()


def test_two_events_of_one_kind_are_told_apart_by_what_they_say():
    from storybrief.cluster.identity import Facts, two_events

    facts = [Facts.of(t) for t in RESCUE_MONDAY + RESCUE_FRIDAY]
    found = two_events(facts, share=0.2)
    assert found is not None
    # the pair given by the most articles, each side with a fact of its own beside it
    assert {found.first, found.second} in ({"wd:mon", "wd:fri"}, {"fg:14", "fg:22"})
    sides = sorted([sorted(found.with_first), sorted(found.with_second)])
    assert sides == [[0, 1, 2], [3, 4, 5]]


def test_an_article_without_the_telling_facts_goes_with_the_side_it_shares_facts_with():
    """A report that gives neither the day nor the count goes with the side whose own facts
    it gives (the cutter's name), whatever its words are closer to."""
    from storybrief.cluster.heal import by_facts
    from storybrief.cluster.identity import Facts, two_events

    texts = [*RESCUE_MONDAY, *RESCUE_FRIDAY, "Ferry passengers thank the crew of the Alder."]
    found = two_events([Facts.of(t) for t in texts[:6]], share=0.2)
    assert found is not None
    monday = 0 if 0 in found.with_first else 1
    assert found.side_of(Facts.of(texts[6])) == monday
    assert found.side_of(Facts.of("A quiet week at sea.")) is None
    items = [Item(n, t, t, T0.timestamp(), has_lead=True) for n, t in enumerate(texts)]
    parts = by_facts(items, HashingEmbedder().embed(texts))
    assert parts is not None
    assert sorted(sorted(i.key for i in p.items) for p in parts) == [[0, 1, 2, 6], [3, 4, 5]]


def test_one_event_with_a_stray_figure_is_not_cut_in_two():
    """Figures that never meet in one article but have nothing else of their own beside them
    (reports of one rescue that count differently) say nothing of two events."""
    from storybrief.cluster.identity import Facts, two_events

    one = [
        "The cutter Alder rescued 14 fishermen off Cape Morrow on Monday.",
        "The cutter Alder rescued 14 fishermen off Cape Morrow on Monday, officials said.",
        "The cutter Alder rescued 14 fishermen off Cape Morrow, the coast guard said Monday.",
        "The cutter Alder rescued 15 fishermen off Cape Morrow on Monday.",
        "The cutter Alder rescued 15 fishermen off Cape Morrow on Monday, officials said.",
        "The cutter Alder rescued 15 fishermen off Cape Morrow, the coast guard said Monday.",
    ]
    assert two_events([Facts.of(t) for t in one], share=0.2) is None
    # fewer articles than the least that must give each fact: no split either
    assert two_events([Facts.of(t) for t in RESCUE_MONDAY[:2] + RESCUE_FRIDAY[:2]], 0.2) is None


def test_a_story_of_two_events_of_one_kind_splits_by_its_facts_and_does_not_merge_back():
    """Healing's look at a story (cluster.heal.split_groups): the vectors alone put the two
    rescues together (a join threshold of 0 here), what the articles say splits them; and two
    such stories are not merged again."""
    from storybrief.cluster.heal import _Group, may_merge, split_groups

    embedder = HashingEmbedder()
    texts = RESCUE_MONDAY + RESCUE_FRIDAY
    items = [Item(n, t, t, T0.timestamp(), has_lead=True) for n, t in enumerate(texts)]
    vectors = embedder.embed(texts)
    together = Clusterer(
        embedder, threshold=0.0, window_hours=72, entity_weight=0.2, duplicate_threshold=0.8
    )
    parts = split_groups(together, items, vectors)
    assert parts is not None
    assert sorted(sorted(i.key for i in p.items) for p in parts) == [[0, 1, 2], [3, 4, 5]]
    a, b = parts
    assert not may_merge(a, b)
    assert may_merge(_Group(items[:2], vectors[:2]), _Group(items[2:3], vectors[2:3]))


def test_different_days_named_take_off_the_score(monkeypatch):
    from storybrief.cluster import clusterer as module
    from storybrief.cluster.identity import Facts

    embedder = HashingEmbedder()
    c = Clusterer(
        embedder, threshold=0.3, window_hours=72, entity_weight=0.2, duplicate_threshold=0.8
    )
    c.add([Item(n, t, t, T0.timestamp(), has_lead=True) for n, t in enumerate(RESCUE_MONDAY)])
    (story,) = c.stories.values()
    same, other = "rescued 14 fishermen on Monday", "rescued 14 fishermen on Friday"
    (v_same, v_other) = embedder.embed([same, other])

    def scores() -> tuple[float, float]:
        return (
            c.score(v_same, Facts.of(same), story, 0.9),  # far from the threshold: no 2nd look
            c.score(v_other, Facts.of(other), story, 0.9),
        )

    with_days = scores()
    monkeypatch.setattr(module, "DAY_PENALTY", 0.0)
    without = scores()
    assert with_days[0] == without[0]  # Monday, as the story says: nothing taken off
    assert with_days[1] == pytest.approx(without[1] - 0.05)  # Friday: a different day
