"""The built-in engine: sections from headings and cues, order, redundancy, pronoun safety,
boilerplate, edge cases, several articles, speed. Articles are built in the tests."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources

import pytest

from storybrief.errors import EngineError
from storybrief.explain import Explainer, explain_articles, get_engine, to_text
from storybrief.explain.candidates import candidates, dangles, dateline_end
from storybrief.explain.furniture import boilerplate
from storybrief.records import Article

TRAM = """WASHINGTON (Reuters) - The city council approved a new tram line on Tuesday after a \
two-year debate over its cost.
By Jane Doe
The tram line will link the airport with the city centre and is expected to open in 2027.
Construction is scheduled to start next spring, and the council plans to hold a public \
consultation on the route next month.
The approval is significant because the tram line could cut commuting times for tens of \
thousands of residents and reduce traffic on the ring road.
Critics warn the tram project could threaten the council's budget, which is already under \
pressure.
The council has debated a tram line since 2015, when a first plan for the airport route was \
rejected as too expensive.
Previously, the city relied on buses, and the last tram line closed decades ago.
“This tram line is the biggest investment in our transport in a generation,” Mayor Ana Silva \
said after the council vote.
She said the council would publish the final tram budget next week.
Sign up for our newsletter to get the latest news.
Reporting by Jane Doe; Editing by John Roe
The post City council approves new tram line appeared first on Example News."""


def example_article() -> Article:
    text = resources.files("storybrief").joinpath("examples", "article.txt").read_text("utf-8")
    return Article(id=1, text=text)


def tram() -> Article:
    return Article(id=7, text=TRAM, title="City council approves new tram line")


def section_texts(explainer: Explainer) -> dict[str, list[str]]:
    return {s.key: [x.text for x in s.sentences] for s in explainer.sections}


def published(explainer: Explainer) -> list[str]:
    return [s.text for _, _, s in explainer.sentences()]


def assert_verbatim(explainer: Explainer, articles: list[Article]) -> None:
    """Every sentence is the exact text its first citation points at; the others are other
    articles' sentences that state the same fact."""
    by_id = {a.id: a for a in articles}
    for _, _, sentence in explainer.sentences():
        c = sentence.citations[0]
        assert by_id[c.article_id].text[c.start : c.end] == sentence.text
        others = [x.article_id for x in sentence.citations[1:]]
        assert c.article_id not in others and len(set(others)) == len(others)


# --- sections ---------------------------------------------------------------------------------


def test_in_body_headings_assign_sections() -> None:
    article = example_article()
    explainer = explain_articles([article])
    sections = section_texts(explainer)
    assert sections["whats_happening"][0].startswith("North Korean leader Kim Jong Un crossed")
    # "Why It Matters" feeds "Why It's Important?", "What Happens Next?" feeds "What's Next?",
    # "What People Are Saying" feeds "Beyond the Headlines".
    assert any(s.startswith("Neighboring China has been") for s in sections["why_its_important"])
    assert any(s.startswith("Kremlin foreign policy adviser") for s in sections["whats_next"])
    assert any(
        s.startswith("Hong Lei,") or "Kim Chon Il" in s for s in sections["beyond_the_headlines"]
    )
    assert_verbatim(explainer, [article])


def test_cues_assign_sections_without_headings() -> None:
    sections = section_texts(explain_articles([tram()]))
    joined = {key: " ".join(texts) for key, texts in sections.items()}
    assert "approved a new tram line on Tuesday" in joined["whats_happening"]
    assert "is significant because" in joined["why_its_important"]
    assert "is scheduled to start next spring" in joined["whats_next"]
    assert "since 2015" in joined["beyond_the_headlines"]
    assert "Previously, the city relied on buses" in joined["beyond_the_headlines"]


def test_sections_have_two_to_five_sentences_or_a_note() -> None:
    explainer = explain_articles([example_article()])
    for section in explainer.sections:
        if section.sentences:
            assert 1 <= len(section.sentences) <= 5
            assert sum(len(s.text.split()) for s in section.sentences) <= 165
            assert section.note is None
        else:
            assert section.note
    assert 2 <= len(explainer.sections[0].sentences) <= 5


def test_unsupported_section_gets_an_honest_note() -> None:
    text = (
        "The museum reopened its east wing on Saturday after a renovation of the galleries. "
        "Visitors queued outside the museum east wing from early morning on Saturday. "
        "The renovated galleries of the east wing show the museum's collection of maps."
    )
    explainer = explain_articles([Article(id=1, text=text)])
    nxt = explainer.section("whats_next")
    assert nxt.sentences == []
    assert nxt.note == "The sources say nothing about what comes next."
    assert "The sources say nothing about what comes next." in to_text(explainer)


# --- order, redundancy, readability -----------------------------------------------------------


def test_sentences_keep_reading_order_within_a_section() -> None:
    explainer = explain_articles([example_article(), tram()])
    for section in explainer.sections:
        keys = [
            (s.citations[0].article_id, s.citations[0].sentence_index) for s in section.sentences
        ]
        for article_id in {k[0] for k in keys}:
            indexes = [i for a, i in keys if a == article_id]
            assert indexes == sorted(indexes)
        # each article's sentences are together
        ids = [k[0] for k in keys]
        assert ids == sorted(ids, key=ids.index)


def test_near_duplicates_from_two_articles_appear_once() -> None:
    shared = "The central bank raised its main interest rate by half a point to 5.5% on Thursday."
    one = Article(
        id=1,
        title="Central bank raises rates",
        text=f"{shared} Economists had expected a smaller rise of a quarter point. "
        "The bank said inflation remained too high for comfort.",
    )
    two = Article(
        id=2,
        title="Bank lifts interest rate",
        text="The central bank raised its main interest rate by half a point to 5.5% on Thursday, "
        "its officials said. Mortgage lenders are expected to pass the rise on to borrowers "
        "next month.",
    )
    explainer = explain_articles([one, two])
    mentions = [s for s in published(explainer) if "raised its main interest rate" in s]
    assert len(mentions) == 1
    assert_verbatim(explainer, [one, two])


def test_no_sentence_opens_with_an_unresolved_pronoun() -> None:
    articles = [example_article(), tram()]
    for explainer in (explain_articles([a]) for a in articles):
        for section in explainer.sections:
            previous = None
            for sentence in section.sentences:
                if dangles(sentence.text):
                    c = sentence.citations[0]
                    assert previous is not None, sentence.text
                    p = previous.citations[0]
                    assert (p.article_id, p.sentence_index) == (c.article_id, c.sentence_index - 1)
                previous = sentence


def test_pronoun_sentence_is_dropped_when_its_antecedent_is_not_publishable() -> None:
    text = (
        "Sign up for our newsletter to get the latest news.\n"
        "He said the bridge would close for repairs on Monday because of cracks in the deck.\n"
        "The city's main bridge will close for repairs on Monday after engineers found cracks.\n"
        "Engineers found the cracks during a routine inspection of the bridge last week."
    )
    explainer = explain_articles([Article(id=1, text=text)])
    assert not any(s.startswith("He said") for s in published(explainer))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He also has meetings with Xi.", True),
        ("However, the plan failed.", True),
        ("But the vote was delayed.", True),
        ("Also on the agenda is trade.", True),
        ("This is the first visit in six years.", True),
        ("“It is fine,” she said.", True),
        ("“We will win,” said Coach Smith.", False),
        ("This tram line is the biggest investment.", False),
        ("US officials said the talks would resume.", False),
        ("Mr Lee said he had been shocked.", False),
        ("Which is why the two companies are talking about a merger.", True),
        ("Since then, the company has doubled its sales.", True),
        ("At the time, the plant employed 400 people.", True),
        ("One of the suspects was arrested at the border on Friday.", True),
        ("Two of the victims were children.", True),
        ("One of them was arrested at the border.", True),
        ("Fifty of them signed an open letter.", True),
        ("Fifty more joined the campaign on Monday.", True),
        ("Fifty people signed an open letter.", False),
        ("One of the country's largest banks failed on Friday.", False),
        ("Which team will win the cup is anyone's guess.", False),
    ],
)
def test_dangling_detection(text: str, expected: bool) -> None:
    assert dangles(text) is expected


# --- boilerplate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "The post Kim Arrives in China appeared first on Newsweek.",
        "Reporting from the Associated Press contributed to this article.",
        "Reporting by Jane Doe; Editing by John Roe.",
        "Sign up for our newsletter to get the latest news.",
        "Subscribe now for unlimited access.",
        "Follow us on Twitter for updates.",
        "Click here to read more.",
        "By Jane Doe and John Roe",
        "Kim waves from his train in Dandong. (AP Photo/Ng Han Guan)",
        "Copyright 2025 Example News. All rights reserved.",
        "| Greens | 12,400 |",  # a table row in an article
        "Smith | 12 |",  # the end of one the sentence splitter cut after "Mr."
    ],
)
def test_boilerplate_is_recognised(line: str) -> None:
    assert boilerplate(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "The study was published on Tuesday in the journal Nature.",
        "The company will try to sign up existing customers for broadband.",
        "It lost 464,000 subscribers in the fourth quarter.",
        "The virus first appeared in the region in 2019.",
    ],
)
def test_news_sentences_are_not_boilerplate(line: str) -> None:
    assert boilerplate(line) is None


def test_boilerplate_and_datelines_never_published() -> None:
    article = tram()
    explainer = explain_articles([article])
    text = " ".join(published(explainer))
    for junk in ("WASHINGTON", "Reuters", "Sign up", "Reporting by", "appeared first", "Jane Doe"):
        assert junk not in text
    lead = explainer.section("whats_happening").sentences[0]
    assert lead.text.startswith("The city council approved")
    citation = lead.citations[0]
    sentence = article.sentences[citation.sentence_index]
    assert sentence.start < citation.start and citation.end == sentence.end  # a sub-span
    assert article.text[citation.start : citation.end] == lead.text
    assert "Newsweek" not in " ".join(published(explain_articles([example_article()])))


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("WASHINGTON (Reuters) - The Senate voted.", "The Senate voted."),
        ("LONDON, March 3 (Reuters) - Stocks fell.", "Stocks fell."),
        ("NEW YORK (AP) — A fire broke out.", "A fire broke out."),
        ("(CNN) — The storm hit the coast.", "The storm hit the coast."),
        (
            "BEIJING — China said on Monday it would respond.",
            "China said on Monday it would respond.",
        ),
        ("U.S. stocks fell on Monday.", "U.S. stocks fell on Monday."),
        ("NATO allies met in Brussels.", "NATO allies met in Brussels."),
        (
            "BRUSSELS, Belgium( AP) The European Union expressed its concern.",
            "The European Union expressed its concern.",
        ),
        (
            "SEOUL, South Korea( AP) U.S. President Bill Clinton won.",
            "U.S. President Bill Clinton won.",
        ),
        (  # a gallery's button glued to the sentence after it
            "View Images Originally Earth and Mars had the same water.",
            "Originally Earth and Mars had the same water.",
        ),
        ("See Photos of the flood.", "See Photos of the flood."),
    ],
)
def test_datelines_are_cut(text: str, cut: str) -> None:
    assert text[dateline_end(text) :] == cut


def test_quote_fragments_without_speaker_are_skipped() -> None:
    text = (
        "The striker signed a three-year contract with the club on Friday.\n"
        "“He is a fantastic player and we are delighted,” said the club's manager.\n"
        "“He will fit our style of play perfectly.”\n"
        "“The best is yet to come for him and for the club."
    )
    marks = {c.sentence.index: c.rejected for c in candidates([Article(id=1, text=text)])}
    assert marks[0] is None
    assert marks[1] is None
    assert marks[2] is None  # continues the attributed quote: publishable right after it
    assert marks[3] == "part of a longer quotation"


# --- inputs ------------------------------------------------------------------------------------


def test_empty_input_raises_engine_error() -> None:
    with pytest.raises(EngineError, match="no articles"):
        explain_articles([])
    with pytest.raises(EngineError):
        explain_articles([Article(id=1, text="")])
    with pytest.raises(EngineError, match="no publishable sentence"):
        explain_articles([Article(id=1, text="Sign up for our newsletter to get the latest news.")])


def test_one_sentence_input() -> None:
    article = Article(id=3, text="Kim Jong Un arrived in Beijing on Tuesday for a military parade.")
    explainer = explain_articles([article])
    assert published(explainer) == [article.text]
    assert [bool(s.sentences) for s in explainer.sections] == [True, False, False, False]
    assert all(s.note for s in explainer.sections[1:])
    assert explainer.headline == "Kim Jong Un arrived in Beijing on Tuesday for a military parade"
    short = explain_articles([Article(id=4, text="Kim arrived.")])
    assert published(short) == ["Kim arrived."]


def test_articles_without_ids_are_cited_by_position() -> None:
    one = Article(text="The council approved the budget for next year on Monday evening.")
    two = Article(text="The mayor welcomed the budget the council approved on Monday evening.")
    explainer = explain_articles([one, two])
    assert [s.id for s in explainer.sources] == [0, 1]
    for _, _, sentence in explainer.sentences():
        c = sentence.citations[0]
        assert [one, two][c.article_id].text[c.start : c.end] == sentence.text


def test_headline() -> None:
    assert explain_articles([tram()]).headline == "City council approves new tram line"
    assert explain_articles([tram()], headline="Tram approved").headline == "Tram approved"
    same = [
        Article(id=i, title=title, text=TRAM)
        for i, title in enumerate(
            ["Tram line approved", "Council backs tram", "Tram line approved"]
        )
    ]
    assert explain_articles(same).headline == "Tram line approved"


# --- several articles -------------------------------------------------------------------------


def test_what_several_sources_agree_on_leads() -> None:
    fact = "Floods forced thousands of residents from their homes in the river valley"
    articles = [
        Article(
            id=1,
            title="Valley floods",
            text="A local bakery in the valley reopened its doors after a long closure. "
            f"{fact} on Sunday, officials said. The bakery owner thanked volunteers.",
        ),
        Article(
            id=2,
            title="Thousands flee floods",
            text=f"{fact.replace('Floods forced', 'Flooding drove')} on Sunday. "
            "Rescue teams used boats to reach stranded families in the valley.",
        ),
        Article(
            id=3,
            title="Residents evacuated as river bursts banks",
            text="Thousands of residents were forced from their homes by floods in the river "
            "valley on Sunday. Forecasters expect more rain in the valley next week.",
        ),
    ]
    explainer = explain_articles(articles)
    first = explainer.section("whats_happening").sentences[0].text
    assert "residents" in first and "homes" in first
    assert not any("bakery" in s for s in published(explainer)[:2])


def test_deterministic() -> None:
    """The same articles give the same explainer (its speed is measured by
    bench/explainers.py, not here)."""
    base = example_article().text
    articles = [
        Article(
            id=i,
            title=f"Report {i}",
            text=base.replace("Tuesday", ["Monday", "Tuesday", "Wednesday"][i % 3]),
            published_at=datetime(2025, 9, 1, i, tzinfo=timezone.utc),
        )
        for i in range(10)
    ]
    engine = get_engine("builtin")
    first = engine.explain(articles)
    second = engine.explain(articles)
    assert first.model_dump(exclude={"created_at"}) == second.model_dump(exclude={"created_at"})


def test_engine_options() -> None:
    explainer = explain_articles([example_article()], max_sentences=2)
    assert all(len(s.sentences) <= 2 for s in explainer.sections)
    assert explainer.engine == "builtin"
    assert explainer.engine_options["max_sentences"] == 2
    with pytest.raises(EngineError, match="min_sentences must not exceed max_sentences"):
        get_engine("builtin", min_sentences=4, max_sentences=3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Hide Caption 3 of 23 Photos: Rescue workers search the rubble on Monday.", "gallery"),
        ("Show caption The mayor speaks at the opening.", "gallery"),
        (
            "Starting in 1996, Alexa Internet has been donating their crawl data to the Internet "
            "Archive.",
            "archive notice",
        ),
        (
            "Flowing in every day, these data are added to the Wayback Machine after an embargo "
            "period.",
            "archive notice",
        ),
        ("When you tweet with a location, Twitter stores that location.", "social embed"),
        ("CLOSE Actor Jane Roe is accused of fraud, police say.", "video player"),
        ("You can buy the digital edition of the magazine for your tablet.", "call to action"),
    ],
)
def test_page_furniture_is_never_a_candidate(text: str, reason: str) -> None:
    from storybrief.explain.furniture import boilerplate

    assert boilerplate(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "Close ties between the two countries have grown since 2010.",
        "The Internet Archive said on Monday it would appeal the ruling.",
        "Police recovered 3 of 12 photos stolen from the museum.",
        "Users who tweet with a hashtag reach more readers, the study found.",
    ],
)
def test_news_that_looks_like_furniture_is_kept(text: str) -> None:
    from storybrief.explain.furniture import boilerplate

    assert boilerplate(text) is None
