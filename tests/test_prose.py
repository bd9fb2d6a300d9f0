"""Clean prose in: the page's headline kept in its body is the title, not a sentence; a plain
text's first line is its title only when it looks like one. Texts made for the tests."""

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
    assert not article.text.startswith("Senator")
    assert article.text.startswith("Moderate Democrats")
    explainer = explain_articles([article])
    assert all(s.text != title for _, _, s in explainer.sentences())


def test_a_first_line_like_the_title_but_different_stays() -> None:
    html = (
        "<html><head><title>Panic in the party</title></head><body><article>"
        f"<p>Panic in the party grew on Saturday after the vote in Nevada.</p>{BODY}"
        "</article></body></html>"
    )
    article = extract_html(html, url="https://news.example/b")
    assert article.text.startswith("Panic in the party grew")


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
