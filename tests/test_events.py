"""Stories are single events, followed on a news site the way a reader's watcher follows one:
two events of one kind a year or more apart stay two stories even when the pages carry no
date; three reports of one event in different words stay one; a story that holds two events
splits while followed (its URL then points to its parts, each gets its explainer, the API and
its feed say so), and two stories that are one event merge.

The articles are written for these tests (no outside text is copied)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.appserver import serving
from tests.newssite import FOLLOWING_SITE, NewsSite
from typer.testing import CliRunner

from storybrief.cli import app
from storybrief.library import Library
from storybrief.settings import Settings
from storybrief.watch import Watcher

#: A health law's insurance mandate struck down by an appeals court in December 2019 ...
RULING_2019 = [
    (
        "Appeals court strikes down health law's insurance mandate",
        "A federal appeals court in New Orleans ruled on Wednesday, December 18, 2019, that the "
        "individual mandate of the Affordable Care Act is unconstitutional. The three-judge "
        "panel of the Fifth Circuit sent the rest of the case back to Judge Reed O'Connor in "
        "Texas. Democratic attorneys general led by California's Xavier Becerra said they "
        "would appeal to the Supreme Court.",
    ),
    (
        "Fifth Circuit rules against the health law's mandate",
        "The Fifth Circuit Court of Appeals decided in December 2019 that the Affordable Care "
        "Act's requirement to buy insurance is unconstitutional now that its penalty is zero. "
        "Judges Jennifer Elrod and Kurt Engelhardt formed the majority. The ruling leaves the "
        "fate of the rest of the law to a lower court in Texas.",
    ),
    (
        "Health law case heads back to a Texas judge",
        "After the December 2019 decision by the Fifth Circuit, the lawsuit over the Affordable "
        "Care Act returns to Judge Reed O'Connor in Fort Worth. Becerra asked the Supreme Court "
        "to take up the case quickly, saying millions of people could lose their coverage.",
    ),
]
#: ... and the Supreme Court turning the challenge away in June 2021: one topic, two events.
RULING_2021 = [
    (
        "Supreme Court rejects challenge to the health law",
        "The Supreme Court on Thursday, June 17, 2021, turned away a challenge to the Affordable "
        "Care Act brought by Texas and other Republican-led states. Justice Stephen Breyer "
        "wrote for a 7-2 majority that the states had no standing to sue. The Biden "
        "administration had urged the justices to uphold the law.",
    ),
    (
        "Justices leave the health law in place",
        "In a 7-2 decision in June 2021 the Supreme Court left the Affordable Care Act intact, "
        "ruling that Texas lacked standing to challenge it. Justices Samuel Alito and Neil "
        "Gorsuch dissented. About 31 million Americans get their coverage through the law.",
    ),
]
#: One event, three outlets, three wordings.
GUARD = [
    (
        "National Guard troops return to the Capitol",
        "Thousands of National Guard troops were sent back to the U.S. Capitol on Thursday "
        "after Capitol Police warned of a possible attack by a militia group. The soldiers had "
        "left Washington only days earlier. Acting Capitol Police Chief Yogananda Pittman asked "
        "for the guard to stay through March.",
    ),
    (
        "Guard soldiers ordered back to Capitol Hill after a warning",
        "Capitol Police Chief Yogananda Pittman requested that National Guard soldiers return "
        "to Capitol Hill, citing intelligence about a militia plot. About 5,000 troops will "
        "remain in Washington until mid-March, officials said Thursday.",
    ),
    (
        "Troops redeployed to protect Congress",
        "Members of the National Guard who had been sent home were redeployed to the Capitol "
        "complex on Thursday. Lawmakers were told that a militia group had discussed a plan to "
        "attack the building. The guard will stay in Washington through March, Pittman said.",
    ),
]

#: Two rescues of one kind in one week off the same cape, by the same coast guard: no year,
#: no name tells them apart, only the day, the count and the cutter.
RESCUE_MONDAY = [
    (
        "Coast guard saves trawler crew off Cape Morrow",
        "The coast guard cutter Alder rescued 14 fishermen off Cape Morrow on Monday after "
        "their trawler sank in a storm. The men were flown to hospital in Port Ellis. Their "
        "families waited at the harbour through the night for news of them.",
    ),
    (
        "Fishermen lifted from the sea near Cape Morrow",
        "Fourteen crew, 14 in all, were pulled from the water near Cape Morrow on Monday by the "
        "cutter Alder, the coast guard said. Their boat went down within minutes. A "
        "helicopter crew spotted the life raft in heavy seas before dawn.",
    ),
    (
        "Trawler sinks in storm, all hands saved",
        "On Monday the coast guard's Alder took 14 fishermen off a sinking trawler near Cape "
        "Morrow. Winds reached gale force during the rescue. The owners of the boat said "
        "they would ask how it came to sink so fast.",
    ),
]
RESCUE_FRIDAY = [
    (
        "Ferry runs aground off Cape Morrow",
        "The coast guard cutter Birch rescued 22 passengers off Cape Morrow on Friday when "
        "their ferry ran aground on a sandbar. No one was hurt. The ferry company said its "
        "crossings would stop until the ship is inspected.",
    ),
    (
        "Passengers taken off stranded ferry",
        "A ferry ran aground off Cape Morrow on Friday, and the cutter Birch took its 22 "
        "passengers to safety, the coast guard said. The ship had left the harbour an hour "
        "earlier in calm weather. Divers will look at its hull.",
    ),
    (
        "Coast guard clears grounded ferry near Cape Morrow",
        "On Friday the Birch, a coast guard cutter, brought 22 passengers off a ferry stuck "
        "on a sandbar near Cape Morrow. Tugs will try to free the ship at high tide. Harbour "
        "officials closed the channel to other boats for the day.",
    ),
]


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    return test_settings.changed(
        **FOLLOWING_SITE,
        **{
            # every page in one poll, however busy the machine (not a test of the budget)
            "fetch.source_seconds": 300.0,
            "explain.settle_seconds": 0.0,  # a grown story is explained at once
        },
    )


def publish(site: NewsSite, name: str, articles, dated: datetime | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """The articles as pages of the site (undated unless ``dated``); their titles."""
    for n, (title, text) in enumerate(articles):
        when = dated + timedelta(hours=n) if dated else None
        site.publish_article(f"{name}-{n}", title, text, when)
    return [title for title, _ in articles]


def stories_by_title(lib: Library) -> list[set[str]]:
    out = []
    for story in lib.stories(limit=100):
        out.append({a.title for a in lib.story(story.id).articles})
    return sorted(out, key=lambda titles: sorted(titles))


@pytest.mark.parametrize("vectors", ["hashing", "model"])
def test_events_of_one_kind_years_apart_stay_apart_and_one_event_stays_one(site, settings, vectors):
    """The pages carry no date, so only what the articles say tells the two rulings apart:
    before, both became one story whose explainer told them as one narrative."""
    settings = settings.changed(**{"cluster.vectors": vectors})
    first = publish(site, "ruling-2019", RULING_2019[:2])
    second = publish(site, "ruling-2021", RULING_2021)
    guard = publish(site, "guard", GUARD, dated=datetime(2021, 1, 28, 15, tzinfo=UTC))
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        Watcher(lib).run(once=True)
        assert stories_by_title(lib) == sorted(
            [set(first), set(second), set(guard)], key=lambda titles: sorted(titles)
        )


def test_dated_reports_a_year_apart_are_two_stories(site, settings):
    """The same kind of event a year apart, dated: the time window keeps them apart too."""
    first = publish(site, "a", RULING_2019[:2], dated=datetime(2019, 12, 18, 15, tzinfo=UTC))
    second = publish(site, "b", RULING_2021, dated=datetime(2021, 6, 17, 15, tzinfo=UTC))
    with Library(settings) as lib:
        lib.feeds.add(site.feed_url)
        Watcher(lib).run(once=True)
        assert stories_by_title(lib) == [set(first), set(second)]


def test_a_mixed_story_splits_while_followed(site, settings):
    """A story that holds both rulings (as an older release made it: put together here by
    hand) splits as soon as it changes: the watcher explains each part, the old URL points to
    the parts, the API and the story's feed say so, and the old story's explainer stays
    readable as it was."""
    publish(site, "ruling-2019", RULING_2019[:2])
    publish(site, "ruling-2021", RULING_2021)
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        report = lib.feeds.poll(feed.id, cluster=False)
        assert report.new == 4
        ids = lib.store.articles.unassigned_ids()
        mixed_id = lib.store.stories.create("Health law rulings", ids)
        lib.explain(story_id=mixed_id)
        (mixed,) = lib.stories()
        assert mixed.size == 4 and mixed.explainer_versions == 1

    later = publish(site, "ruling-2019-later", RULING_2019[2:])
    with Library(settings) as lib:
        lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
        Watcher(lib).run(once=True)
        parts = {s.id: s for s in lib.stories()}
        assert [{a.title for a in lib.story(i).articles} for i in sorted(parts)] == [
            {t for t, _ in RULING_2019[:2]} | set(later),
            {t for t, _ in RULING_2021},
        ]
        assert all(s.explainer_versions == 1 for s in parts.values())  # each part explained
        assert lib.store.stories.is_retired(mixed.id)
        assert sorted(lib.store.stories.live_successors(mixed.id)) == sorted(parts)
        assert len(lib.store.explainers.versions(mixed.id)) == 1  # its explainer is kept
        front = lib.readers.front_page()
        assert {i.id for i in front.items + front.waiting} == set(parts)  # the old one: gone
        largest = max(parts, key=lambda i: (parts[i].size, -i))

        with serving(lib.settings, lib.store) as server, httpx.Client(base_url=server.url) as web:
            page = web.get(f"/stories/{mixed.id}")
            assert page.status_code == 300
            assert page.headers["location"].endswith(f"/stories/{largest}")
            for part in parts:
                assert f'href="/stories/{part}"' in page.text
                assert f"/stories/{part}>" in page.headers["link"]
            assert "more than one event" in page.text
            # the parts listed as every list of stories is (styled, walked with j/k), each
            # with its coverage mark
            (listed,) = re.findall(r'<ul class="stories">(.*?)</ul>', page.text, re.S)
            assert listed.count('<li class="story-item') == len(parts)
            assert listed.count('class="coverage-mark') == len(parts)
            old = web.get(f"/stories/{mixed.id}", params={"version": 1})
            assert old.status_code == 200  # the version as it was, at its own URL
            detail = web.get(f"/api/v1/stories/{mixed.id}").json()
            assert detail["moved"] == "split"
            assert sorted(s["id"] for s in detail["successors"]) == sorted(parts)
            assert detail["articles"] == 0 and len(detail["versions"]) == 1
            live = web.get(f"/api/v1/stories/{largest}").json()
            assert live["moved"] is None and live["successors"] == []
            feed = ET.fromstring(web.get(f"/stories/{mixed.id}/feed.atom").content)
            ns = {"a": "http://www.w3.org/2005/Atom"}
            first = feed.find("a:entry", ns)
            assert first is not None
            assert first.findtext("a:title", namespaces=ns) == "This story split into 2 stories"
            related = {link.get("href") for link in first.findall("a:link", ns)}
            assert related == {f"{server.url}/stories/{p}" for p in parts}


def test_two_stories_of_one_event_merge_and_the_old_url_redirects(site, settings):
    """Two stories of one event (made here by a strict join threshold, with healing off)
    merge once one of them changes: the smaller retires into the larger, whose next explainer
    is written, and the smaller's URL redirects there."""
    publish(site, "guard", GUARD[:2], dated=datetime(2021, 1, 28, 15, tzinfo=UTC))
    strict = settings.changed(**{"cluster.threshold": 0.99, "cluster.heal": False})
    with Library(strict) as lib:
        lib.feeds.add(site.feed_url)
        Watcher(lib).run(once=True)
        assert sorted(s.size for s in lib.stories()) == [1, 1]
        first_ids = sorted(s.id for s in lib.stories())

    publish(site, "guard-later", GUARD[2:], dated=datetime(2021, 1, 28, 18, tzinfo=UTC))
    with Library(settings) as lib:
        lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
        Watcher(lib).run(once=True)
        (story,) = lib.stories()
        assert story.size == 3 and story.id in first_ids
        (gone,) = set(first_ids) - {story.id}
        assert lib.store.stories.live_successors(gone) == [story.id]
        assert story.explainer_versions == 2  # the grown story's next version
        with serving(lib.settings, lib.store) as server, httpx.Client(base_url=server.url) as web:
            moved = web.get(f"/stories/{gone}")
            assert moved.status_code == 301
            assert moved.headers["location"].endswith(f"/stories/{story.id}")
            assert web.get(f"/api/v1/stories/{gone}").json()["moved"] == "merge"


def test_two_events_of_one_kind_in_one_week_split_by_what_they_say(site, settings):
    """Two rescues off one cape in one week, put in one story (as an older release made it:
    here by hand): once the story changes, it splits into the two rescues, told apart by the
    day, the count and the cutter each report gives, and the old story points to both."""
    monday = datetime(2025, 3, 3, 12, tzinfo=UTC)
    publish(site, "rescue-monday", RESCUE_MONDAY, dated=monday)
    publish(site, "rescue-friday", RESCUE_FRIDAY[:2], dated=monday + timedelta(days=4))
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        assert lib.feeds.poll(feed.id, cluster=False).new == 5
        mixed_id = lib.store.stories.create("Rescues", lib.store.articles.unassigned_ids())

    publish(site, "rescue-later", RESCUE_FRIDAY[2:], dated=monday + timedelta(days=4, hours=5))
    with Library(settings) as lib:
        lib.feeds.update(site.feed_url, next_poll_at=datetime.now(UTC))
        Watcher(lib).run(once=True)
        assert stories_by_title(lib) == sorted(
            [{t for t, _ in RESCUE_MONDAY}, {t for t, _ in RESCUE_FRIDAY}], key=sorted
        )
        assert lib.store.stories.is_retired(mixed_id)
        parts = {s.id for s in lib.stories()}
        assert sorted(lib.store.stories.live_successors(mixed_id)) == sorted(parts)


#: A court hearing in 2024, three reports ...
APPEAL = [
    (
        "Harbor Mining appeal heard in Denver",
        "A federal appeals court in Denver on Tuesday heard Harbor Mining's appeal in the "
        "water case brought by Clearwater County in 2024. Judge Maria Ortiz asked the company "
        "to explain the spill. The court will rule next month.",
    ),
    (
        "Mining company blames storm for river spill",
        "Harbor Mining told the Denver appeals court in 2024 that the spill was caused by a "
        "storm. Clearwater County wants damages for the polluted river. Lawyers for the county "
        "said the company had been warned about the dam for months.",
    ),
    (
        "Judge presses Harbor Mining over spill",
        "Judge Maria Ortiz pressed lawyers for Harbor Mining on Tuesday over the 2024 spill "
        "into the river that Clearwater County says poisoned its wells. Farmers along the "
        "river filled the courtroom to hear the arguments.",
    ),
]
#: ... and a school board's lawsuit of 2018: one legal beat, two events, no name in common.
TEXTBOOKS = [
    (
        "School board sues publisher over textbook prices",
        "In 2018, a school board in Maple Falls filed a lawsuit over textbook prices against "
        "Pinewood Press. The board said parents had paid too much for years.",
    ),
]


def test_the_explainer_of_a_mixed_story_tells_one_event_and_says_so(site, settings):
    """A story that mixes two events which its articles' vectors did not tell apart (put
    together here by hand, as an older release made it) gets no explainer that tells both as
    one account: the one written tells the larger event, its readers are told first that the
    story holds reports of another event, and the story splits, each event explained as a
    story of its own, the old URL pointing to both."""
    appeal = publish(site, "appeal", APPEAL)
    textbooks = publish(site, "textbooks", TEXTBOOKS)
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        assert lib.feeds.poll(feed.id, cluster=False).new == 4
        mixed_id = lib.store.stories.create("Court cases", lib.store.articles.unassigned_ids())
        by_title = {a.title: a.id for a in lib.story(mixed_id).articles}

        result = lib.explain(story_id=mixed_id)
        assert result.story_id == mixed_id and result.version == 1
        flag = result.explainer.recluster
        assert flag is not None and flag.article_ids == [by_title[textbooks[0]]]
        assert flag.note is not None and "more than one event" in flag.note
        assert "3 of the 4 reports" in flag.note and textbooks[0] in flag.note
        assert "being split" in flag.note
        cited = {c.article_id for _, _, s in result.explainer.sentences() for c in s.citations}
        assert cited and cited <= {by_title[t] for t in appeal}
        # the story splits: one story per event, the larger first
        assert lib.store.stories.is_retired(mixed_id)
        assert len(result.split_into) == 2
        assert sorted(lib.store.stories.live_successors(mixed_id)) == sorted(result.split_into)
        assert stories_by_title(lib) == [set(appeal), set(textbooks)]
        # each part gets its own explainer, of one event
        done = dict(lib.explain_pending())
        assert sorted(done) == sorted(result.split_into)
        for outcome in done.values():
            assert not isinstance(outcome, Exception)
            assert outcome.explainer.recluster is None

        with serving(lib.settings, lib.store) as server, httpx.Client(base_url=server.url) as web:
            assert web.get(f"/stories/{mixed_id}").status_code == 300
            page = web.get(f"/stories/{mixed_id}", params={"version": 1})
            assert page.status_code == 200
            (note,) = re.findall(r'<p class="notice mixed-events" role="note">(.*?)</p>', page.text)
            assert "more than one event" in note
            document = web.get(f"/api/v1/stories/{mixed_id}/explainer").json()
            assert document["recluster"]["note"] == flag.note
            for part in result.split_into:
                assert "mixed-events" not in web.get(f"/stories/{part}").text


def test_explain_on_the_command_line_says_a_mixed_story_split(site, settings, monkeypatch):
    """`storybrief explain --story N` prints the explainer with its note first, and says
    which stories the mixed one split into."""
    publish(site, "appeal", APPEAL)
    publish(site, "textbooks", TEXTBOOKS)
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        assert lib.feeds.poll(feed.id, cluster=False).new == 4
        mixed_id = lib.store.stories.create("Court cases", lib.store.articles.unassigned_ids())
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STORYBRIEF_CLUSTER__VECTORS", "hashing")
    shown = CliRunner().invoke(app, ["explain", "--story", str(mixed_id)])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("These reports tell of more than one event.")
    with Library(settings) as lib:
        parts = lib.store.stories.live_successors(mixed_id)
    assert len(parts) == 2
    assert f"story {mixed_id} held more than one event: split into " in shown.output
    assert all(str(p) in shown.output.rsplit("split into", 1)[1] for p in parts)


def test_a_mixed_story_whose_split_fails_keeps_its_explainer(site, settings, monkeypatch):
    """The explainer is stored before the story splits: a split that fails leaves the story as
    it was, with its explainer telling one event and saying so (the next version tries again)."""
    publish(site, "appeal", APPEAL)
    publish(site, "textbooks", TEXTBOOKS)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("no vectors today")

    monkeypatch.setattr("storybrief.cluster.split_into", broken)
    with Library(settings) as lib:
        (feed,) = lib.feeds.add(site.feed_url)
        assert lib.feeds.poll(feed.id, cluster=False).new == 4
        mixed_id = lib.store.stories.create("Court cases", lib.store.articles.unassigned_ids())
        result = lib.explain(story_id=mixed_id)
        assert result.split_into == [] and result.version == 1
        assert result.explainer.recluster is not None
        assert not lib.store.stories.is_retired(mixed_id)
        assert len(lib.store.explainers.versions(mixed_id)) == 1
