"""Every sentence worth printing: one fact once (in the gate, for every engine, and in the
built-in engine's choice), and every citation earns its place. Texts made for the tests."""

from __future__ import annotations

from storybrief.explain import explain_articles
from storybrief.records import (
    SECTION_KEYS,
    Article,
    Explainer,
    ExplainerSentence,
    Section,
    SourceArticle,
)
from storybrief.verify import Checker, Citation
from storybrief.verify.publish import CheckReport, check_explainer
from storybrief.verify.repeats import restates
from storybrief.verify.standalone import story_people

A = Article(
    id=1,
    title="Storm hits coast",
    text=(
        "A powerful storm killed 12 people in the coastal town of Marlow on Monday. "
        "Officials said the harbour wall collapsed under the waves. "
        "The town council will meet on Friday to plan repairs."
    ),
)
B = Article(
    id=2,
    title="Deadly storm in Marlow",
    text=(
        "The storm killed twelve people in Marlow on Monday. "
        "Rescue teams searched the flooded streets through the night. "
        "Marlow was last hit by a storm of this strength in 1953."
    ),
)


def _cite(article: Article, index: int) -> Citation:
    sentence = article.sentences[index]
    return Citation(
        article_id=article.id, sentence_index=index, start=sentence.start, end=sentence.end
    )


def _explainer(sentences: list[tuple[str, str, list[Citation]]]) -> Explainer:
    keys = list(SECTION_KEYS)
    return Explainer(
        headline="Storm",
        engine="test",
        sections=[
            Section(
                key=key,
                sentences=[
                    ExplainerSentence(text=t, citations=c) for k, t, c in sentences if k == key
                ],
            )
            for key in keys
        ],
        sources=[SourceArticle.from_article(a, i) for i, a in enumerate([A, B])],
    )


def test_restates_is_one_way() -> None:
    checker = Checker()
    long = "A powerful storm killed 12 people in the coastal town of Marlow on Monday."
    assert restates("The storm killed 12 people in Marlow.", long, checker)
    assert not restates(long, "The storm killed 12 people in Marlow.", checker)
    # another figure, another place: not the same fact
    assert not restates("The storm killed 14 people in Marlow.", long, checker)
    assert not restates("The storm killed 12 people in Dover.", long, checker)
    assert not restates("Rescue teams searched the streets.", long, checker)


def test_gate_publishes_a_fact_once_and_keeps_its_sources() -> None:
    lead_a = "A powerful storm killed 12 people in the coastal town of Marlow on Monday."
    short = B.sentences[0].text
    explainer = _explainer(
        [
            ("whats_happening", lead_a, [_cite(A, 0)]),
            (
                "whats_happening",
                "Officials said the harbour wall collapsed under the waves.",
                [_cite(A, 1)],
            ),
            ("beyond_the_headlines", short, [_cite(B, 0)]),
        ]
    )
    published, report = check_explainer(explainer, [A, B])
    texts = [s.text for sec in published.sections for s in sec.sentences]
    assert texts.count(short) == 0 and lead_a in texts
    assert report.repeated == [("beyond_the_headlines", short, lead_a)]
    kept = published.sections[0].sentences[0]
    assert {(c.article_id, c.sentence_index) for c in kept.citations} == {(1, 0), (2, 0)}
    assert any("also stated by article 2 sentence 0" in r for r in kept.reasons)
    assert published.sections[3].sentences == [] and published.sections[3].note
    assert report.published == 2


def test_gate_keeps_the_more_informative_wording() -> None:
    short = B.sentences[0].text
    lead_a = "A powerful storm killed 12 people in the coastal town of Marlow on Monday."
    wall = "Officials said the harbour wall collapsed under the waves."
    explainer = _explainer(
        [
            ("whats_happening", short, [_cite(B, 0)]),
            ("whats_happening", wall, [_cite(A, 1)]),
            ("whats_next", lead_a, [_cite(A, 0)]),
        ]
    )
    published, report = check_explainer(explainer, [A, B])
    assert [s.text for s in published.sections[0].sentences] == [wall]
    assert [s.text for s in published.sections[2].sentences] == [lead_a]
    assert report.repeated == [("whats_happening", short, lead_a)]


def test_gate_never_empties_a_section_for_a_fuller_wording() -> None:
    short = B.sentences[0].text
    lead_a = "A powerful storm killed 12 people in the coastal town of Marlow on Monday."
    explainer = _explainer(
        [("whats_happening", short, [_cite(B, 0)]), ("whats_next", lead_a, [_cite(A, 0)])]
    )
    published, report = check_explainer(explainer, [A, B])
    happening = published.sections[0].sentences
    assert [s.text for s in happening] == [lead_a]
    assert {c.article_id for c in happening[0].citations} == {1, 2}
    assert published.sections[2].sentences == []
    assert report.repeated == [("whats_happening", short, lead_a)]


def test_gate_keeps_different_facts() -> None:
    explainer = _explainer(
        [
            ("whats_happening", A.sentences[0].text, [_cite(A, 0)]),
            ("whats_happening", B.sentences[1].text, [_cite(B, 1)]),
            ("whats_next", A.sentences[2].text, [_cite(A, 2)]),
            ("beyond_the_headlines", B.sentences[2].text, [_cite(B, 2)]),
        ]
    )
    published, report = check_explainer(explainer, [A, B])
    assert report.repeated == []
    assert sum(len(s.sentences) for s in published.sections) == 4


def test_a_citation_that_supports_nothing_is_removed() -> None:
    checker = Checker()
    text = "A powerful storm killed 12 people in Marlow on Monday."
    unrelated = _cite(B, 2)  # the storm of 1953: shares "storm" and "Marlow" at most
    verdict = checker.check_sentence(text, [A, B], [_cite(A, 0), _cite(B, 1)])
    assert verdict.supported
    assert [(c.article_id, c.sentence_index) for c in verdict.citations] == [(1, 0)]
    assert verdict.corrected
    assert any("article 2 sentence 1 removed" in r for r in verdict.reasons)
    # a second source that states the fact too is kept: it supports the claims
    both = checker.check_sentence(text, [A, B], [_cite(A, 0), _cite(B, 0)])
    assert both.supported and len(both.citations) == 2 and not both.corrected
    assert unrelated.article_id == 2


def test_builtin_engine_cites_every_article_that_states_the_fact() -> None:
    explainer = explain_articles([A, B])
    texts = [s.text for sec in explainer.sections for s in sec.sentences]
    # the two leads say the same: one is published, citing both articles
    leads = [t for t in texts if "Marlow on Monday" in t]
    assert len(leads) == 1, texts
    lead = next(s for sec in explainer.sections for s in sec.sentences if s.text == leads[0])
    assert {c.article_id for c in lead.citations} == {1, 2}


# --- sentences that stand alone ---------------------------------------------------------------

HARBOUR = Article(
    id=3,
    title="Harbour wall to be repaired",
    text=(
        "Jane Marsh, the harbour master, said the wall was built in 1953. "
        "Marsh said repairs would take a year and cost the town about 2 million pounds. "
        "Tom Reed and Ann Reed run the cafe on the quay. "
        "Reed said the cafe would reopen on Friday."
    ),
)


def _one(sentences: list[tuple[str, int]]) -> Explainer:
    keys = list(SECTION_KEYS)
    return Explainer(
        headline="Harbour",
        engine="test",
        sections=[
            Section(
                key=key,
                sentences=[
                    ExplainerSentence(text=HARBOUR.sentences[i].text, citations=[_cite(HARBOUR, i)])
                    for k, i in sentences
                    if k == key
                ],
            )
            for key in keys
        ],
        sources=[SourceArticle.from_article(HARBOUR, 0)],
    )


def test_a_bare_surname_is_written_in_full_at_its_first_mention() -> None:
    explainer = _one([("whats_happening", 1), ("whats_next", 0)])
    published, report = check_explainer(explainer, [HARBOUR])
    first = published.sections[0].sentences[0]
    assert first.text.startswith("Jane Marsh said repairs would take a year")
    assert first.verdict == "supported" and first.citations[0].sentence_index == 1
    assert report.introduced == [("whats_happening", HARBOUR.sentences[1].text, first.text)]
    # the later sentence already names her in full: untouched
    assert published.sections[2].sentences[0].text == HARBOUR.sentences[0].text


def test_a_surname_already_introduced_stays_as_written() -> None:
    explainer = _one([("whats_happening", 0), ("whats_happening", 1)])
    published, report = check_explainer(explainer, [HARBOUR])
    assert [s.text for s in published.sections[0].sentences] == [
        HARBOUR.sentences[0].text,
        HARBOUR.sentences[1].text,
    ]
    assert report.introduced == []


def test_an_ambiguous_surname_stays_as_written() -> None:
    explainer = _one([("whats_happening", 0), ("whats_next", 3)])
    published, report = check_explainer(explainer, [HARBOUR])
    assert [s.text for s in published.sections[2].sentences] == [HARBOUR.sentences[3].text]
    assert report.introduced == []


def test_people_are_told_from_groups_and_sentence_openers() -> None:
    people = story_people(
        [
            "Although Marsh spoke first, the Republicans said nothing.",
            "House Republicans said the bill would pass, and Jane Marsh agreed.",
            "Marsh said she was pleased.",
        ]
    )
    assert people == {"Marsh": {"Jane Marsh"}}


def test_a_fragment_is_never_published() -> None:
    whole = A.sentences[1].text
    explainer = _explainer(
        [
            ("whats_happening", whole, [_cite(A, 1)]),
            ("whats_happening", "the harbour wall collapsed under the waves.", [_cite(A, 1)]),
            ("whats_next", "The town council will meet on Friday to plan", [_cite(A, 2)]),
            ("beyond_the_headlines", "Officials said “the harbour wall collapsed.", [_cite(A, 1)]),
            # a teaser cut at its length
            ("beyond_the_headlines", "The harbour wall collapsed amid the waves...", [_cite(A, 1)]),
        ]
    )
    published, report = check_explainer(explainer, [A, B])
    assert [s.text for _, _, s in published.sentences()] == [whole]
    assert [key for key, _ in report.fragments] == [
        "whats_happening",
        "whats_next",
        "beyond_the_headlines",
        "beyond_the_headlines",
    ]


def test_the_checker_accepts_a_full_name_for_a_surname_its_article_introduces() -> None:
    checker = Checker()
    written = "Jane Marsh said repairs would take a year and cost the town about 2 million pounds."
    verdict = checker.check_sentence(written, [HARBOUR], [_cite(HARBOUR, 1)])
    assert verdict.supported and not verdict.corrected, verdict.reasons
    # two people of one surname: the cited sentence alone does not support a full name
    other = checker.check_sentence(
        "Ann Reed said the cafe would reopen on Friday.", [HARBOUR], [_cite(HARBOUR, 3)]
    )
    assert other.corrected or not other.supported


def test_with_the_meaning_model_one_point_in_other_words_is_said_once() -> None:
    from storybrief.verify import CheckerOptions

    checker = Checker(CheckerOptions(use_model=True))
    appointed = (
        "On Friday, Prime Minister Netanyahu appointed Ariel Sharon to be Israel's foreign "
        "minister."
    )
    named_him = "Netanyahu named Sharon foreign minister on Friday."
    assert restates(named_him, appointed, checker)
    assert not restates(named_him, appointed, Checker())  # words alone do not see it
    # another point about the same people, or another figure, is not the same point
    trip = "Sharon will travel to Washington next week to meet the secretary of state."
    assert not restates(trip, appointed, checker)
    lead = "A powerful storm killed 12 people in the coastal town of Marlow on Monday."
    assert not restates("The storm killed 14 people in Marlow.", lead, checker)


def test_people_named_after_a_title_or_by_initials_are_known() -> None:
    from storybrief.verify.standalone import introduce

    people = story_people(
        [
            "German Foreign Minister Joschka Fischer met exiled dissidents last month.",
            "The sentences are unacceptable, Fischer said.",
            "President B.J. Habibie has not decided whether to attend the summit.",
            "Habibie said he was concerned.",
            "The official Xinhua News Agency said the trial lasted two hours.",
            "U.S. Secretary of State Madeleine Albright will visit Beijing.",
            "Albright said the talks would go on.",
        ]
    )
    assert people == {
        "Fischer": {"Joschka Fischer"},
        "Habibie": {"B.J. Habibie"},
        "Albright": {"Madeleine Albright"},  # not "State Madeleine Albright"
    }
    assert introduce("The sentences are unacceptable, Fischer said.", people, said="") == (
        "The sentences are unacceptable, Joschka Fischer said."
    )
    assert introduce("Habibie said he was concerned.", people, said="") == (
        "B.J. Habibie said he was concerned."
    )
    assert introduce("President B.J. Habibie spoke.", people, said="") == (
        "President B.J. Habibie spoke."
    )


def test_someone_called_by_a_given_name_alone_is_named_in_full_first() -> None:
    from storybrief.verify.standalone import introduce

    people = story_people(
        [
            "Prime Minister Mahathir Mohamad fired his deputy, Anwar Ibrahim, in September.",
            "Anwar said the charges against him were fabricated.",
            "Mahathir has said Anwar was unfit to lead.",
        ]
    )
    assert people["Anwar"] == {"Anwar Ibrahim"} and people["Mahathir"] == {"Mahathir Mohamad"}
    assert introduce("Anwar was fired by Mahathir in September.", people, said="") == (
        "Anwar Ibrahim was fired by Mahathir Mohamad in September."
    )
    # written in full already, or named in full before: left as written
    text = "Anwar Ibrahim was fired in September."
    assert introduce(text, people, said="") == text
    assert introduce("Anwar said so.", people, said=text) == "Anwar said so."
    # part of another word: left alone
    text = "The pro-Anwar rally and a Mahathir-era law."
    assert introduce(text, people, said="") == text
    # a name of three words is one person's, and a surname two people share is left alone
    family = story_people(
        [
            "Gloria Chapman said her husband Mark David Chapman told her of his plan.",
            "Mark said he would wait.",
            "Chapman said nothing more.",
        ]
    )
    assert family["Chapman"] == {"Gloria Chapman", "Mark David Chapman"}
    assert introduce("Mark told her.", family, said="") == "Mark David Chapman told her."
    assert introduce("Chapman said no.", family, said="") == "Chapman said no."
    # a given name two people share is no one's alone
    shared = story_people(
        ["Jane Marsh spoke first.", "Jane Reed spoke next.", "Jane said it was over."]
    )
    assert "Jane" not in shared


def test_a_surname_after_an_office_is_not_rewritten() -> None:
    people = story_people(
        ["Jill Biden visited a school on Monday.", "Biden said the school would reopen."]
    )
    from storybrief.verify.standalone import introduce

    assert introduce("Biden said it.", people, said="") == "Jill Biden said it."
    # "President Biden" is not Jill Biden, whom alone the articles name in full: neither the
    # office's mention nor a bare "Biden" is rewritten
    people = story_people(
        [
            "Jill Biden visited a school on Monday.",
            "President Biden said the school would reopen.",
            "Biden said it.",
        ]
    )
    text = "President Biden held a moment of silence on Monday."
    assert introduce(text, people, said="") == text
    assert introduce("Biden said it.", people, said="") == "Biden said it."


def test_the_checker_does_not_take_a_relatives_full_name_for_an_office_holder() -> None:
    article = Article(
        id=5,
        text=(
            "Jill Biden visited a school in Ohio on Monday. "
            "President Biden spoke to reporters later that day. "
            "Biden said the school would reopen in the autumn."
        ),
    )
    verdict = Checker().check_sentence(
        "Jill Biden said the school would reopen in the autumn.", [article], [_cite(article, 2)]
    )
    assert not verdict.supported or verdict.corrected


def test_a_dangling_sentence_follows_the_one_it_leans_on() -> None:
    from storybrief.explain.candidates import after_context, candidates

    one = Article(
        id=1,
        text="The government will revoke the state's emissions waiver on Wednesday. "
        "The move is a major strike in the long battle over clean air rules.",
    )
    two = Article(
        id=2,
        text="Officials expect the waiver to be revoked this week after months of talks. "
        "The move would overturn the basis of the state's rules on tailpipe gases.",
    )
    cands = candidates([one, two])
    lead_1, move_1, lead_2, move_2 = cands
    assert move_1.dangling and move_1.prev == lead_1.idx
    arranged = after_context([lead_1, lead_2, move_1, move_2])
    assert arranged == [lead_1, move_1, lead_2, move_2]


def test_the_checker_the_clusterer_and_the_engine_share_one_model() -> None:
    from storybrief.cluster.vectors import ModelEmbedder
    from storybrief.explain.builtin import BuiltinEngine
    from storybrief.explain.options import BuiltinOptions
    from storybrief.semantic import SemanticModel
    from storybrief.verify import CheckerOptions

    shared = SemanticModel.shared()
    assert Checker(CheckerOptions(use_model=True)).semantic is shared
    assert ModelEmbedder()._model is shared
    assert BuiltinEngine().meaning is shared
    assert BuiltinEngine(BuiltinOptions(meaning="words")).meaning is None


def test_the_meaning_model_embeds_only_the_sentences_it_weighs() -> None:
    from storybrief.explain.candidates import candidates
    from storybrief.explain.options import BuiltinOptions
    from storybrief.explain.selection import select_explainer
    from storybrief.semantic import SemanticModel

    model = SemanticModel.shared()
    embedded: list[str] = []

    class Counting:
        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
            embedded.extend(texts)
            return model.embed(texts)

    articles = [A, B, HARBOUR]
    select_explainer(articles, BuiltinOptions(), meaning=Counting())
    usable = [c for c in candidates(articles) if c.usable]
    assert embedded and len(embedded) == len(set(embedded))  # each once
    assert len(embedded) < len(usable)  # not every candidate


def _checked_pair(article: Article) -> tuple[Explainer, CheckReport]:
    """The article's two sentences published under What's Happening and Why, through the gate."""
    explainer = _explainer(
        [
            ("whats_happening", article.sentences[0].text, [_cite(article, 0)]),
            ("why_its_important", article.sentences[1].text, [_cite(article, 1)]),
        ]
    )
    return check_explainer(explainer, [article])


def test_a_clause_that_says_a_fact_again_is_left_out() -> None:
    lead = "The two parties agreed to form a coalition that makes Jane Marsh prime minister. "
    deal = Article(
        id=3,
        text=lead + "The deal, which makes Jane Marsh prime minister, ended three months of "
        "deadlock after the July election.",
    )
    published, report = _checked_pair(deal)
    why = published.sections[1].sentences
    assert [s.text for s in why] == [
        "The deal ended three months of deadlock after the July election."
    ]
    assert why[0].verdict == "supported"
    assert report.trimmed == [
        ("why_its_important", deal.sentences[1].text, why[0].text),
    ]
    # a clause with something new stays
    news = Article(
        id=4,
        text=lead + "The deal, which gives the army four ministries, ended three months of "
        "deadlock.",
    )
    published, report = _checked_pair(news)
    assert published.sections[1].sentences[0].text == news.sentences[1].text
    assert report.trimmed == []


def test_a_sentence_in_the_first_person_is_never_published() -> None:
    column = Article(
        id=5,
        text=(
            "The storm killed 12 people in Marlow on Monday. "
            "In thirty years of reporting, I have never seen a storm like this one in Marlow. "
            "“We will rebuild the harbour wall,” the mayor said on Tuesday."
        ),
    )
    explainer = _explainer(
        [
            ("whats_happening", column.sentences[0].text, [_cite(column, 0)]),
            ("why_its_important", column.sentences[1].text, [_cite(column, 1)]),
            ("whats_next", column.sentences[2].text, [_cite(column, 2)]),
        ]
    )
    published, report = check_explainer(explainer, [column])
    texts = [s.text for _, _, s in published.sentences()]
    assert column.sentences[1].text not in texts  # whose "I"? the reader cannot tell
    assert column.sentences[2].text in texts  # a quoted "we" has its speaker
    assert report.first_person == [("why_its_important", column.sentences[1].text)]
    # nor does the built-in engine choose it
    assert not any(" I " in s for s in published_texts(explain_articles([column])))


def published_texts(explainer: Explainer) -> list[str]:
    return [s.text for _, _, s in explainer.sentences()]
