"""One explainer that does not contradict itself: where sources differ it says so (and the checker
verifies that sentence), contradicting values are not both published as plain statements, a story
mixing two events is written from the dominant one and flagged, sentences stand alone. The
articles are written here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storybrief.explain import explain_articles
from storybrief.explain.candidates import bare_attribution, candidates, headline_like
from storybrief.explain.coherence import one_event, split_events
from storybrief.explain.differ_figures import Statement, find_differences, find_values
from storybrief.explain.model import Explainer
from storybrief.explain.render import to_text
from storybrief.records import Article
from storybrief.verify import Checker
from storybrief.verify.models import Citation
from storybrief.verify.publish import check_explainer

WIRE = """Another 6.6 million people filed for unemployment benefits last week, the Labor \
Department reported on Thursday, as the shutdown of shops and factories spread across the country.
That is on top of a revised 6.9 million in the prior week, a record, and 3.3 million the week \
before.
Economists said the figures showed the fastest collapse of the labour market in modern records."""

COURIER = """Another 6.6 million people applied for unemployment benefits last week, the \
government said on Thursday, as the shutdown of shops and factories spread.
Claims for the previous week were revised upward to 6.8 million.
The three-week total for jobless claims now stands at 16.5 million."""

GAZETTE = """The number of people seeking unemployment benefits rose by another 6.6 million \
last week as the shutdown of shops and factories continued.
Congress is expected to vote next week on a further relief package for workers who lost jobs."""


def claims_story(dated: bool = False) -> list[Article]:
    start = datetime(2026, 4, 9, 12, tzinfo=timezone.utc)
    texts = [("Capital Wire", WIRE), ("Morning Courier", COURIER), ("Daily Gazette", GAZETTE)]
    return [
        Article(
            id=10 + i,
            text=text,
            site_name=outlet,
            title=f"Jobless claims report {i}",
            published_at=start + timedelta(days=i) if dated else None,
        )
        for i, (outlet, text) in enumerate(texts)
    ]


def plain_sentences(explainer: Explainer) -> list[str]:
    return [s.text for _, _, s in explainer.sentences() if s.kind == "statement"]


# --- where sources differ -------------------------------------------------------------------


def test_disagreement_is_named_cited_and_verified() -> None:
    articles = claims_story()
    explainer = explain_articles(articles)
    differ = explainer.differences()
    assert len(differ) == 1
    sentence = differ[0]
    assert sentence.kind == "differ"
    assert sentence.text == (
        "Sources differ: Capital Wire reports “That is on top of a revised 6.9 million in the "
        "prior week”; Morning Courier reports “Claims for the previous week were revised "
        "upward to 6.8 million”."
    )
    assert explainer.section("beyond_the_headlines").sentences[-1] == sentence
    assert {c.article_id for c in sentence.citations} == {10, 11}
    # The two values are not both published as plain statements.
    plain = " ".join(plain_sentences(explainer))
    assert not ("6.9 million" in plain and "6.8 million" in plain)
    published, report = check_explainer(explainer, articles)
    assert sentence.text in [s.text for _, _, s in published.sentences()]
    verdict = next(v for _, text, v in report.checked if text == sentence.text)
    assert verdict.label == "supported"
    assert "values differ: '6.9 million' and '6.8 million'" in verdict.reasons
    assert published.model_dump(mode="json")["sections"][3]["sentences"][-1]["kind"] == "differ"


def test_a_figure_three_reports_give_is_one_note() -> None:
    texts = [
        "The island's harvest meets two-thirds of the needs of its 23 million people, the "
        "agency said.",
        "The island's harvest meets only two-thirds of the needs of the island's 22 million "
        "people.",
        "The harvest meets about two-thirds of the needs of the island's 23 million people, "
        "officials said.",
    ]
    articles = [
        Article(id=20 + i, text=t, site_name=f"Outlet {i}", title=f"Harvest report {i}")
        for i, t in enumerate(texts)
    ]
    notes = explain_articles(articles).differences()
    assert len(notes) == 1, [n.text for n in notes]
    assert "22 million" in notes[0].text


def _cite(article: Article, index: int) -> Citation:
    s = article.sentences[index]
    return Citation(article_id=article.id or 0, sentence_index=index, start=s.start, end=s.end)


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        (  # outlets swapped: each quotation attributed to the wrong source
            "Sources differ: Morning Courier reports “That is on top of a revised 6.9 million in "
            "the prior week”; Capital Wire reports “Claims for the previous week were revised "
            "upward to 6.8 million”.",
            "Morning Courier does not say",
        ),
        (  # a value the source does not give
            "Sources differ: Capital Wire reports “That is on top of a revised 7.9 million in the "
            "prior week”; Morning Courier reports “Claims for the previous week were revised "
            "upward to 6.8 million”.",
            "Capital Wire does not say",
        ),
        (  # the same value on both sides is no difference
            "Sources differ: Capital Wire reports “Another 6.6 million people filed for "
            "unemployment benefits last week”; Morning Courier reports “Another 6.6 million "
            "people applied for unemployment benefits last week”.",
            "the quoted values do not differ",
        ),
        (  # an outlet that is not among the sources
            "Sources differ: Evening Star reports “That is on top of a revised 6.9 million in "
            "the prior week”; Morning Courier reports “Claims for the previous week were revised "
            "upward to 6.8 million”.",
            "'Evening Star' is not one of the story's sources",
        ),
        (  # a change over time needs the reports' real dates
            "The figure changed between reports: Capital Wire (1 April 2026) reported “That is "
            "on top of a revised 6.9 million in the prior week”; Morning Courier (2 April 2026) "
            "reported “Claims for the previous week were revised upward to 6.8 million”.",
            "has no publication time",
        ),
    ],
)
def test_checker_rejects_a_wrong_differ_sentence(sentence: str, problem: str) -> None:
    articles = claims_story()
    cited = [_cite(articles[0], 1), _cite(articles[1], 1), _cite(articles[1], 0)]
    verdict = Checker().check_sentence(sentence, articles, cited)
    assert verdict.label == "unsupported"
    assert any(problem in reason for reason in verdict.reasons), verdict.reasons


def test_checker_finds_an_uncited_quotation_in_the_named_source() -> None:
    articles = claims_story()
    sentence = (
        "Sources differ: source 1 reports “a revised 6.9 million in the prior week”; source 2 "
        "reports “revised upward to 6.8 million”."
    )
    verdict = Checker().check_sentence(sentence, articles)
    assert verdict.label == "supported"
    assert [(c.article_id, c.sentence_index) for c in verdict.citations] == [(10, 1), (11, 1)]


def test_a_later_report_is_a_change_not_a_disagreement() -> None:
    articles = claims_story(dated=True)
    explainer = explain_articles(articles)
    (sentence,) = explainer.differences()
    assert sentence.kind == "change"
    assert sentence.text.startswith(
        "The figure changed between reports: Capital Wire (9 April 2026) reported “That is on "
        "top of a revised 6.9 million in the prior week”; Morning Courier (10 April 2026) "
        "reported"
    )
    verdict = Checker().check_sentence(sentence.text, articles, sentence.citations)
    assert verdict.label == "supported", verdict.reasons


def test_coherence_can_be_switched_off() -> None:
    explainer = explain_articles(claims_story(), coherence=False)
    assert explainer.differences() == []


# --- precision: values that do not disagree ---------------------------------------------------


def _pairs(*texts: str) -> list[tuple[str, str]]:
    articles = [Article(id=i, text=t) for i, t in enumerate(texts)]
    statements = [
        Statement(p, s.index, s.start, s.text) for p, a in enumerate(articles) for s in a.sentences
    ]
    return [
        (d.first.value.surface, d.second.value.surface)
        for d in find_differences(statements, articles)
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # a round or hedged figure that the exact one fits
        (
            "Agents made about 200,000 arrests at the border in July.",
            "Agents made 212,672 arrests at the border in July.",
        ),
        (
            "Agents made more than 178,000 arrests at the border in June.",
            "Agents made 188,829 arrests at the border in June.",
        ),
        # a forecast is not a report
        (
            "Economists had expected 845,000 new jobs in July.",
            "The economy added 943,000 new jobs in July.",
        ),
        # different months, different things
        (
            "Agents made 188,000 arrests at the border in June.",
            "Agents made 212,000 arrests at the border in July.",
        ),
        # a baseline, not the figure
        (
            "The jobless rate dropped to 3.5% in September from 3.7% in August.",
            "The jobless rate stood at 3.7% in the country last month.",
        ),
        # a different counted noun
        (
            "The government secured 200 million more doses of vaccine.",
            "The government wants to cover 240 million people with vaccine.",
        ),
    ],
)
def test_no_false_disagreement(a: str, b: str) -> None:
    assert _pairs(a, b) == []


def test_disagreeing_percentages_are_found() -> None:
    pairs = _pairs(
        "Officials said 212,672 migrants were encountered in July, a 13 percent increase over "
        "the month before.",
        "Agents made about 200,000 arrests in July, a 12% increase over the previous month.",
    )
    assert pairs == [("13 percent", "12%")]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # "more than 250" is a bound, not an earlier figure nor an increment: it rules out 224
        (
            "The two embassy bombings in August killed more than 250 people in Kenya.",
            "The two embassy bombings in August killed 224 people in Kenya.",
            [("250", "224")],
        ),
        # bounds read right: "at least 63" and "as many as 50" cannot both hold
        (
            "The earthquake in the mountain province killed at least 56 people on Sunday.",
            "The earthquake in the mountain province killed as many as 50 people on Sunday.",
            [("56", "50")],
        ),
        # ... while "more than 50" fits 63
        (
            "The earthquake in the mountain province killed more than 50 people on Sunday.",
            "The earthquake in the mountain province killed 63 people on Sunday.",
            [],
        ),
        # a bound elsewhere in a sentence ("at least 60") is no report of the other's figure
        (
            "A fire turned a dance hall into a deathtrap, killing at least 60 people and "
            "injuring about 180 in the port city.",
            "A fire turned a dance hall into a deathtrap, killing 60 people and injuring 157 "
            "others in the port city.",
            [("180", "157")],
        ),
    ],
)
def test_bounds_are_read_right(a: str, b: str, expected: list[tuple[str, str]]) -> None:
    assert _pairs(a, b) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        # one toll told by its measure ("injuring", "injured") though the clauses share little
        (
            (
                "A fire turned a Swedish dance hall into a deathtrap, killing at least 60 people "
                "and injuring about 180.",
                "A fire turned a dance hall into a deathtrap, killing 65 people and injuring 157 "
                "others in Sweden's second-largest city.",
            ),
            [("180", "157")],  # "at least 60" fits 65
        ),
        # ... but two measures are two things, however close the figures: 60 dead, 65 injured
        (
            (
                "The fire in the dance hall killed 60 people, the police said on Saturday.",
                "The police said on Saturday that the fire in the dance hall injured 65 people.",
            ),
            [],
        ),
        # the story's own country, named by one report only, sets no figure apart ...
        (
            (
                "The U.S. reported 978 deaths from the virus on Friday, a network count showed.",
                "There were 969 reported deaths from the virus on Friday, the network reported.",
                "Hospitals across the U.S. were filling again as the virus spread on Friday.",
                "Schools in the U.S. closed again as the virus spread on Friday.",
            ),
            [("978", "969")],
        ),
        # ... while a second country named by one report does ("Kenya and Tanzania")
        (
            (
                "The bombings of the embassies in Kenya and Tanzania killed 224 people.",
                "The bomb at the embassy in Kenya killed 213 people, officials said.",
            ),
            [],
        ),
        # a population is no forecast though the sentence speaks of needs
        (
            (
                "The country needs 5 million tons of grain to feed its 23 million people.",
                "The harvest meets two-thirds of the needs of the country's 22 million people.",
            ),
            [("23 million", "22 million")],
        ),
        # an address is not a figure
        (
            (
                "Officers were called to a home on the 900 block of Springs Drive at dawn.",
                "Police are still investigating the murder in the 800 block of Springs Drive.",
            ),
            [],
        ),
    ],
)
def test_one_measure_of_one_event(texts: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert sorted(_pairs(*texts)) == sorted(expected)


def test_values_know_their_hedges_and_skip_dates() -> None:
    values = find_values("Nearly 19,000 children crossed on Sept. 11, up from 15,000 in 2020.")
    assert [(v.surface, v.hedge, v.baseline) for v in values] == [
        ("19,000", "below", False),
        ("15,000", None, True),
    ]


# --- one event --------------------------------------------------------------------------------

HEARING = [  # two reports of one appeal hearing
    "A federal court in Denver on Tuesday heard the appeal of Harbor Mining in the water "
    "case brought by Clearwater County in 2021. Judge Maria Ortiz asked Harbor Mining to "
    "explain the spill. The court will rule next month.",
    "Harbor Mining told the Denver appeals court that the 2021 spill was caused by a storm. "
    "Clearwater County wants damages for the polluted river.",
]
LAWSUIT = (  # a report of another event, years before
    "In 2018, a school board in Maple Falls filed a lawsuit over textbook prices against "
    "Pinewood Press. The board said parents had paid too much for years."
)


def test_articles_about_another_event_are_set_aside_and_flagged() -> None:
    now, old = HEARING, LAWSUIT
    articles = [Article(id=1, text=now[0]), Article(id=2, text=now[1]), Article(id=3, text=old)]
    split = split_events(articles)
    assert split is not None and split.keep == [0, 1] and split.set_aside == [2]
    explainer = explain_articles(articles)
    assert explainer.recluster is not None
    assert explainer.recluster.article_ids == [3]
    assert all(c.article_id != 3 for _, _, s in explainer.sentences() for c in s.citations)


def test_a_draft_telling_two_events_is_cut_to_one_and_says_so() -> None:
    """An engine that does not look for other events (coherence off here, as an outside
    plugin's) may cite both; the library keeps the larger event's sentences and tells the
    reader what was left out."""
    now, old = HEARING, LAWSUIT
    articles = [
        Article(id=1, text=now[0]),
        Article(id=2, text=now[1]),
        Article(id=3, title="Textbook lawsuit", text=old),
    ]
    draft = explain_articles(articles, coherence=False)
    assert draft.recluster is None
    assert any(c.article_id == 3 for _, _, s in draft.sentences() for c in s.citations)
    told = one_event(draft, articles, detect=True)
    assert told.recluster is not None and told.recluster.article_ids == [3]
    cited = {c.article_id for _, _, s in told.sentences() for c in s.citations}
    assert cited and 3 not in cited
    assert told.recluster.note == (
        "These reports tell of more than one event. This explainer tells one of them, from 2 "
        "of the 3 reports; the other report (“Textbook lawsuit”) tells of another event and "
        "is left out: it is not part of this account."
    )
    assert to_text(told).startswith(told.recluster.note)
    assert one_event(explain_articles(articles[:2]), articles[:2], detect=True).recluster is None


def test_one_event_with_history_is_not_split() -> None:
    articles = [
        Article(id=1, text="Joe Biden announced on Thursday that he will run in 2020."),
        Article(
            id=2,
            text="Joe Biden, who first ran in 1987, launched his campaign with a video about "
            "Charlottesville.",
        ),
    ]
    assert split_events(articles) is None
    assert explain_articles(articles).recluster is None


# --- sentences that stand alone ---------------------------------------------------------------


def test_headlines_and_bare_attributions_are_not_published() -> None:
    text = (
        "Border Patrol Encountered 212,000 Migrants in July, Breaking 21-Year Record.\n"
        "Border agents stopped 212,672 migrants at the southern border in July, officials said.\n"
        "That's according to the Customs and Border Protection agency.\n"
        "The number marks a departure from the seasonal trends of earlier summers."
    )
    article = Article(id=1, text=text, title="Migrant arrests hit a record")
    reasons = {c.text[:20]: (c.rejected, c.dangling) for c in candidates([article])}
    assert reasons["Border Patrol Encoun"] == ("a headline", False)
    assert reasons["That's according to "] == ("a bare attribution", True)
    assert reasons["The number marks a d"] == (None, True)
    published = [s.text for _, _, s in explain_articles([article]).sentences()]
    assert not any(s.startswith(("Border Patrol", "That's according")) for s in published)


def test_headline_and_attribution_detectors() -> None:
    assert headline_like("Joe Biden Officially Enters the Presidential Race.")
    assert headline_like("the council approves a tram", ["The council approves a tram"])
    assert not headline_like("The council approved a tram.", ["The council approved a tram."])
    assert not headline_like("North Korean leader Kim Jong Un crossed into South Korea on Friday.")
    assert bare_attribution("The company said in a statement on Monday.")
    assert not bare_attribution("Officials said the bridge will reopen next week.")
    assert not bare_attribution("“We will win,” he said.")


def test_checker_rejects_a_change_told_backwards() -> None:
    articles = claims_story(dated=True)
    (sentence,) = explain_articles(articles).differences()
    first, second = sentence.text.split(": ", 1)[1].rstrip(".").split("; ")
    backwards = f"The figure changed between reports: {second}; {first}."
    verdict = Checker().check_sentence(backwards, articles, sentence.citations)
    assert verdict.label == "unsupported"
    assert "the later report is named first" in verdict.reasons


# --- sections filled honestly -------------------------------------------------------------------


def tram_story() -> list[Article]:
    now = datetime(2026, 5, 4, 12, tzinfo=timezone.utc)
    texts = [
        "Maple City first proposed a tram line along River Road in 2019, after years of traffic "
        "jams on the road into town.",
        "The Maple City council approved the River Road tram line on Monday after a long "
        "debate.\nThe tram line along River Road will cost the city 40 million euros over four "
        "years.\nCouncillors approved the plan by nine votes to two.",
        "Maple City councillors approved the River Road tram line on Monday by nine votes to "
        "two.\n“This tram line gives our families a quicker and cleaner way to get to work,” "
        "Mayor Ana Silva said after the vote.",
    ]
    when = [now - timedelta(days=3), now, now + timedelta(hours=2)]
    pairs = enumerate(zip(texts, when, strict=True))
    return [Article(id=i + 1, text=t, published_at=w) for i, (t, w) in pairs]


def test_an_empty_section_looks_harder_for_a_reaction(monkeypatch: pytest.MonkeyPatch) -> None:
    quote = "“This tram line gives our families a quicker and cleaner way to get to work,”"
    explainer = explain_articles(tram_story())
    beyond = [s.text for s in explainer.section("beyond_the_headlines").sentences]
    assert beyond == [f"{quote} Mayor Ana Silva said after the vote."]
    # a section takes any sentence that answers it on the story's subject: with the floor of
    # central sentences instead, the reaction is left out and the section stays empty
    from storybrief.explain import selection as builtin

    monkeypatch.setattr(builtin, "FLOOR_EMPTY", builtin.FLOOR_SECONDARY)
    assert explain_articles(tram_story()).section("beyond_the_headlines").sentences == []


def test_statistics_do_not_explain_why_it_matters() -> None:
    from storybrief.explain.roles import statistics

    assert statistics("About 207 million people have had one dose, and 175 million two.")
    assert statistics("Some 45,000 drivers, 12% more than in 2019, wait.")
    assert not statistics("The $2 billion plan and its 40% tax cut are a crucial test.")
    assert not statistics("Prices rose 3% because fuel cost $2 more.")  # a cause


def test_statistics_go_with_what_is_happening() -> None:
    articles = [
        Article(
            id=1,
            text="The Maple City council approved the River Road tram line on Monday after a long "
            "debate.\nAnalysts suggest 45,000 drivers, 12% more than in 2019, could lose 30 "
            "minutes a day on River Road.\nThe line opens next year.",
        )
    ]
    explainer = explain_articles(articles)
    assert explainer.section("why_its_important").sentences == []
    assert "45,000 drivers" in explainer.body
