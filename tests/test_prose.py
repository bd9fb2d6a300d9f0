"""Clean prose in: the page's headline kept in its body is the title, never published as a
sentence; a plain text's first line is its title only when it looks like one. Texts made for
the tests."""

from __future__ import annotations

import pytest

from storybrief.explain import explain_articles
from storybrief.extract import extract_html, extract_text

BODY = (
    "<p>Moderate Democrats watched in horror as the senator won the primary in Nevada on "
    "Saturday, a result that shocked the party.</p>"
    "<p>The party fears a defeat in November, officials said on Sunday in Washington.</p>"
)


def test_a_pages_headline_in_its_body_is_not_a_sentence() -> None:
    title = "Senator sends the party establishment into panic mode."
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{BODY}"
        "</article></body></html>"
    )
    article = extract_html(html, url="https://news.example/a")
    assert article.title == title
    explainer = explain_articles([article])
    published = [s.text for _, _, s in explainer.sentences()]
    assert title not in published and explainer.headline == title
    assert any(t.startswith("Moderate Democrats") for t in published)


def test_a_first_sentence_like_the_title_but_longer_is_published() -> None:
    html = (
        "<html><head><title>Panic in the party</title></head><body><article>"
        f"<p>Panic in the party grew on Saturday after the vote in Nevada.</p>{BODY}"
        "</article></body></html>"
    )
    article = extract_html(html, url="https://news.example/b")
    explainer = explain_articles([article])
    assert any(s.text.startswith("Panic in the party grew") for _, _, s in explainer.sentences())


@pytest.mark.parametrize(
    ("first", "title"),
    [
        ("Storm kills 12 in Marlow", "Storm kills 12 in Marlow"),
        ("By Jane Smith", None),
        ("WORLD NEWS", None),
        ("Updated 5:00 PM", None),
        ("December 7, 2026", None),
        ("Is this the end?", None),
        ("Marlow", None),
    ],
)
def test_a_plain_texts_first_line_is_its_title_only_when_it_looks_like_one(
    first: str, title: str | None
) -> None:
    text = (
        f"{first}\nA powerful storm killed 12 people in the coastal town of Marlow on Monday, "
        "officials said.\nThe town council will meet on Friday to plan the repairs of the wall "
        "that collapsed under the waves, and the harbour will stay closed until then."
    )
    article = extract_text(text)
    assert article.title == title
    assert article.text.startswith(first) == (title is None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The report implicates the last apartheid-era president, F.W. de Klerk, in abuses.",
            ["The report implicates the last apartheid-era president, F.W. de Klerk, in abuses."],
        ),
        (
            "The envoy was to talk with Indonesian President B.J. Habibie on Monday.",
            ["The envoy was to talk with Indonesian President B.J. Habibie on Monday."],
        ),
        ("He moved to the U.S. He was 12.", ["He moved to the U.S.", "He was 12."]),
    ],
)
def test_initials_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    from storybrief.text import split_sentences

    assert [s.text for s in split_sentences(text)] == expected


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Sycamore, Illinois (CNN) The man convicted in the case broke into a grin.", "The man"),
        ("(CNN)The United States is reporting more deaths than any country.", "The United"),
        ("WASHINGTON (Reuters) - The Senate voted on the bill late on Friday.", "The Senate"),
    ],
)
def test_a_wire_dateline_is_not_published(line: str, kept: str) -> None:
    from storybrief.explain.candidates import dateline_end

    assert line[dateline_end(line) :].startswith(kept)


def test_a_video_players_notice_is_furniture() -> None:
    from storybrief.explain.furniture import boilerplate

    assert boilerplate("Rating is available when the video has been rented.") == "video player"
    assert boilerplate("The video was rented by thousands of viewers in its first week.") is None


@pytest.mark.parametrize(
    "line",
    [
        "(Associated Press)",
        "(Image: Getty)",
        "REUTERS/Jane Doe",
        "(Jane Doe/AP, Pool)",
        "Courtesy Sara Carlson",
        "Slideshow (5 Images)",
        "1 of 6.",
        "Get The Daily Digest In Your Inbox!",
        "Follow Jane Doe on Twitter, @janedoe.",
        "EMBED More News Videos",
        "(SOUNDBITE OF ARCHIVED RECORDING)",
        "(See the top 10 fiction books of 2009.)",
        "Warning: Contains spoilers for the season finale.",
        "The mayor speaks during a news conference in City Hall, Thursday, Feb. 16, 2017.",
        "Jane Marsh (left) and Ann Lee filming the show in 1996.",
        "Image copyright Getty Images Image caption The harbour wall after the storm.",
        "Jane Doe / AP file The mayor and the governor at the harbour last June.",
        "These crawls are part of an effort to archive pages as they are created.",
        "View Images The skull of the dinosaur, found in 2014.",
        "Facebook Twitter Pinterest An artist's impression of the probe near the sun.",
        'Crawls of supported "No More 404" sites.',
        "Jane Doe / Splash News The singer's handlers have strong ideas about interviews.",
    ],
)
def test_furniture_is_never_published(line: str) -> None:
    from storybrief.explain.candidates import FATAL
    from storybrief.explain.furniture import boilerplate

    assert boilerplate(line) in FATAL


@pytest.mark.parametrize(
    "line",
    [
        "The agency's photographer said the image was taken from the roof of the station.",
        "Reuters reported that the talks would resume in Geneva on Monday.",
        "Follow-up inspections found no further damage to the bridge, officials said.",
        "The mayor said on Thursday that the city would appeal the ruling of Feb. 16.",
        "Gov. Jane Marsh (R) authorized local officials to order evacuations.",
        "The river rose 2 m / 6 ft overnight, the Environment Agency said.",
        "Democrats said the and / or clause in the bill was unclear.",
        "The Hague tribunal said The Netherlands would host the court.",
        "In The Hague, a court ruled on Monday.",
    ],
)
def test_prose_about_photos_and_agencies_is_not_furniture(line: str) -> None:
    from storybrief.explain.furniture import boilerplate

    assert boilerplate(line) is None


def _rejections(*lines: str) -> list[str | None]:
    """Why the candidates reject each line of an article made of ``lines`` (None: usable)."""
    from storybrief.explain.candidates import candidates
    from storybrief.records import Article

    article = Article(id=1, text="\n".join(lines))
    found = {c.text: c.rejected for c in candidates([article])}
    return [found[s.text] for s in article.sentences]


RIVER = "The river rose three metres overnight and forced hundreds of families from home."


def test_a_caption_whose_credit_stands_on_the_next_line_is_not_published() -> None:
    caption = "Rescue workers carry a stretcher through the flooded streets of the old town."
    found = _rejections(caption, "(Associated Press)", RIVER)
    assert found[0] == "caption" and found[2] is None


def test_a_teaser_cut_at_its_length_is_not_a_sentence() -> None:
    assert _rejections(
        "The trial of the former minister resumed on Monday amid talk that a recent...",
        "On trial with him are his two sons, one of them his heir apparent,…",
        RIVER,
    ) == ["not a complete sentence", "not a complete sentence", None]


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("A bag of medicine lies ready at his home for the day police take him away.", True),
        ("By the time the uprising broke out on Jan. 25, he was in charge of the party.", True),
        ("In an interview on Monday, she said the deal was done.", True),
        ("Jane Marsh said on Monday that her plan would work.", False),
        ("The governor said his plan would work.", False),
        ("Marsh finds the summit difficult because of his concerns.", False),
        ("The mayor said: “We will rebuild what he destroyed.”", False),
        ("The company said its profits rose by a third.", False),
    ],
)
def test_he_or_her_of_no_one_named_leans_on_the_sentence_before(sentence: str, leans: bool) -> None:
    from storybrief.explain.candidates import dangles
    from storybrief.verify.standalone import unresolved_pronoun

    assert unresolved_pronoun(sentence) is leans
    assert dangles(sentence) is leans
