"""Where sources differ on facts other than figures: who said a quotation, who holds an office,
on which day something happened. The detector names the difference, the checker verifies it,
and pairs that may both be right are left alone. The articles are written here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storybrief.explain import explain_articles
from storybrief.explain.differ_figures import Statement, find_differences
from storybrief.records import Article
from storybrief.verify import Checker
from storybrief.verify.facts import (
    dates_differ,
    facts_differ,
    find_attributions,
    find_dates,
    find_officials,
)
from storybrief.verify.publish import check_explainer


def _differences(*texts: str, dated_days_apart: int | None = None) -> list[tuple[str, str, str]]:
    start = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    articles = [
        Article(
            id=i + 1,
            text=t,
            published_at=(
                start + timedelta(days=i * dated_days_apart)
                if dated_days_apart is not None
                else None
            ),
        )
        for i, t in enumerate(texts)
    ]
    statements = [
        Statement(p, s.index, s.start, s.text) for p, a in enumerate(articles) for s in a.sentences
    ]
    return [
        (d.what, d.first.value.surface, d.second.value.surface)
        for d in find_differences(statements, articles)
    ]


# --- what is found in a sentence --------------------------------------------------------------


def test_officials_speakers_and_dates_are_read() -> None:
    text = (
        "Homeland Security Secretary Alejandro Mayorkas met Texas Gov. Greg Abbott and "
        "Secretary of State Mike Pompeo on April 4, 2021, a Sunday."
    )
    assert [(o.role, o.person) for o in find_officials(text)] == [
        (("homeland", "security", "secretary"), ("alejandro", "mayorkas")),
        (("texas", "governor"), ("greg", "abbott")),
        (("secretary", "of", "state"), ("mike", "pompeo")),
    ]
    assert [(d.month, d.day, d.year, d.weekday) for d in find_dates(text)] == [
        (4, 4, 2021, None),
        (None, None, None, "sunday"),
    ]
    quoted = "“It is one of the toughest challenges we face,” said Sen. Mitch McConnell."
    (said,) = find_attributions(quoted)
    assert said.speaker == ("mitch", "mcconnell")
    assert said.quote[:3] == ("it", "is", "one")


@pytest.mark.parametrize(
    "text",
    [
        "Former Homeland Security Secretary Jeh Johnson spoke.",  # a past holder
        "Prime Minister Boris Johnson spoke.",  # an office of no named country
        "Sen. Mitch McConnell spoke.",  # an office with many holders
    ],
)
def test_offices_that_are_not_one_persons_now(text: str) -> None:
    assert find_officials(text) == []


def test_pronoun_speakers_are_not_speakers() -> None:
    assert find_attributions("“We will not stop fighting for the people,” he said.") == []


def test_dates_a_day_apart_may_both_be_right() -> None:
    tuesday, wednesday, friday = find_dates("Tuesday, Wednesday and Friday")
    assert not dates_differ(tuesday, wednesday)  # a time zone away
    assert dates_differ(tuesday, friday)


# --- the detector ---------------------------------------------------------------------------------


def test_a_quotation_given_to_two_people_is_a_difference() -> None:
    found = _differences(
        "“This is one of the toughest challenges we face,” Mayorkas said at the border.",
        "“This is one of the toughest challenges we face,” Harris said at the border.",
    )
    assert found == [
        (
            "speaker",
            "“This is one of the toughest challenges we face,” Mayorkas said",
            "“This is one of the toughest challenges we face,” Harris said",
        )
    ]


def test_two_holders_of_one_office_is_a_difference() -> None:
    found = _differences(
        "Homeland Security Secretary Alejandro Mayorkas visited the border in Texas.",
        "Homeland Security Secretary Jeh Johnson visited the border in Texas.",
    )
    assert [what for what, _, _ in found] == ["official"]


def test_two_days_for_one_event_is_a_difference() -> None:
    found = _differences(
        "The Harbor Mining appeal was heard by the Denver court on Tuesday.",
        "The Harbor Mining appeal was heard by the Denver court on Friday.",
    )
    assert found == [("date", "Tuesday", "Friday")]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # one person, named more or less fully
        (
            "“This is one of the toughest challenges we face,” Mayorkas said.",
            "“This is one of the toughest challenges we face,” said Secretary Alejandro Mayorkas.",
        ),
        # the other article names the other person too: two people, both may be right
        (
            "“We will keep the border open for trade and travel,” Mayorkas said.",
            "Harris spoke after Mayorkas. “We will keep the border open for trade and travel,” "
            "Harris said.",
        ),
        # a day apart: a time zone
        (
            "The missile was launched by North Korea on Tuesday from the coast.",
            "The missile was launched by North Korea on Wednesday from the coast.",
        ),
        # the other day is in the other article too: two events
        (
            "The court heard the Harbor Mining appeal on Tuesday. It rules on Friday.",
            "The court heard the Harbor Mining appeal on Friday.",
        ),
        # a plan is not a report
        (
            "The Senate will vote on the Harbor Mining bill on Tuesday.",
            "The Senate votes on the Harbor Mining bill on Friday, officials expect.",
        ),
        # the clauses speak of different things
        (
            "The Harbor Mining appeal was heard on Tuesday.",
            "Clearwater County residents marched to the river on Friday.",
        ),
    ],
)
def test_no_false_difference(a: str, b: str) -> None:
    assert _differences(a, b) == []


def test_weekdays_in_reports_days_apart_are_different_weeks() -> None:
    assert (
        _differences(
            "The Harbor Mining appeal was heard by the Denver court on Tuesday.",
            "The Harbor Mining appeal was heard by the Denver court on Friday.",
            dated_days_apart=5,
        )
        == []
    )


# --- published and checked -----------------------------------------------------------------------


def _story() -> list[Article]:
    return [
        Article(
            id=1,
            site_name="Capital Wire",
            text="Harbor Mining appealed the water ruling in Denver this week.\n"
            "“This is one of the toughest challenges we face,” Mayorkas said at the court.",
        ),
        Article(
            id=2,
            site_name="Morning Courier",
            text="Harbor Mining appealed the water ruling in Denver this week.\n"
            "“This is one of the toughest challenges we face,” Harris said at the court.",
        ),
    ]


def test_a_speaker_difference_is_published_and_verified() -> None:
    articles = _story()
    published, report = check_explainer(explain_articles(articles), articles)
    (differ,) = published.differences()
    assert differ.text == (
        "Sources differ: Capital Wire reports “‘This is one of the toughest challenges we "
        "face,’ Mayorkas said”; Morning Courier reports “‘This is one of the toughest "
        "challenges we face,’ Harris said”."
    )
    assert differ.verdict == "supported"
    assert {c.article_id for c in differ.citations} == {1, 2}
    # the two attributions are not both published as plain statements
    plain = [s.text for _, _, s in published.sentences() if s.kind == "statement"]
    assert not any("Mayorkas" in s for s in plain) or not any("Harris" in s for s in plain)


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        (  # the same speaker on both sides is no difference
            "Sources differ: Capital Wire reports “‘This is one of the toughest challenges we "
            "face,’ Mayorkas said”; Morning Courier reports “Harbor Mining appealed the water "
            "ruling in Denver this week”.",
            "the quoted values do not differ",
        ),
        (  # speakers swapped between the outlets
            "Sources differ: Capital Wire reports “‘This is one of the toughest challenges we "
            "face,’ Harris said”; Morning Courier reports “‘This is one of the toughest "
            "challenges we face,’ Mayorkas said”.",
            "Capital Wire does not say",
        ),
    ],
)
def test_checker_rejects_a_wrong_fact_difference(sentence: str, problem: str) -> None:
    verdict = Checker().check_sentence(sentence, _story())
    assert verdict.label == "unsupported"
    assert any(problem in r for r in verdict.reasons), verdict.reasons


def test_checker_reads_facts_in_quotations() -> None:
    assert facts_differ("heard on Tuesday", "heard on Friday") == ("Tuesday", "Friday")
    assert facts_differ("heard on Tuesday", "heard on Tuesday and Friday") is None
    mayorkas = "Homeland Security Secretary Alejandro Mayorkas"
    johnson = "Homeland Security Secretary Jeh Johnson"
    assert facts_differ(f"{mayorkas} said", f"{johnson} said") == (mayorkas, johnson)


def test_a_later_report_changes_the_account() -> None:
    articles = _story()
    start = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    articles = [
        a.model_copy(update={"published_at": start + timedelta(hours=5 * i)})
        for i, a in enumerate(articles)
    ]
    published, _ = check_explainer(explain_articles(articles), articles)
    (change,) = published.differences()
    assert change.kind == "change"
    assert change.text.startswith(
        "The account changed between reports: Capital Wire (2 March 2026 09:00 UTC) reported "
        "“‘This is one of the toughest challenges we face,’ Mayorkas said”"
    )
    assert change.verdict == "supported", change.reasons
