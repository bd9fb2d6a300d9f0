"""The text toolkit every stage shares: one tokenizer, one list of stop words and one stemmer,
used alike by ranking (explain), checking (verify) and clustering (cluster)."""

from __future__ import annotations

import pytest

from storybrief.cluster.dedupe import signature
from storybrief.cluster.vectors import entities, words
from storybrief.explain import rank
from storybrief.text import (
    STOPWORDS,
    content_words,
    is_negation,
    plain,
    stem,
    tokens,
    word_key,
)
from storybrief.verify.lexicon import UNCHECKABLE
from storybrief.verify.sources import analyse

SENTENCE = (
    "The ministers’ 14-year-old plan was rejected on Tuesday after officials "
    "said the U.S. elections had cost $15,000 and protesters were marching."
)


def test_ranking_and_clustering_see_the_same_words() -> None:
    expected = content_words(SENTENCE)
    assert expected == [
        "minister",
        "14",
        "year",
        "old",
        "plan",
        "reject",
        "tuesday",
        "official",
        "u.s.",
        "election",
        "cost",
        "$15,000",
        "protester",
        "march",
    ]
    # clustering (hashed vectors, near-duplicates): the same words, unstemmed (its thresholds
    # were fitted so)
    assert words(SENTENCE) == content_words(SENTENCE, stemmed=False)
    assert [word_key(w) for w in words(SENTENCE)] == expected
    vectors = rank.tfidf([SENTENCE])  # ranking's TF-IDF vocabulary
    assert set(vectors.vocabulary) == set(expected)


def test_the_checker_compares_the_same_stems_less_numbers_and_light_words() -> None:
    claim = analyse(SENTENCE, frozenset())
    expected = set(content_words(SENTENCE, stop=UNCHECKABLE, numbers=False))
    # places are compared by their canonical name: "U.S." is "united states"
    assert claim.stems == expected - {"u.s."} | {stem("united"), stem("states")}
    # the same stems as ranking and clustering, less what the checker checks on its own
    # (numbers) and the words that say nothing checkable ("year")
    assert set(content_words(SENTENCE)) - expected == {"14", "$15,000", "year"}


def test_the_checker_keeps_negations_that_the_content_words_drop() -> None:
    text = "The minister did not resign and won't."
    assert "not" not in content_words(text)
    assert content_words(text) == ["minister", "resign"]
    assert analyse(text, frozenset()).negated()
    assert all(is_negation(w) for w in ("not", "won't", "never", "cannot", "needn't"))
    assert not is_negation("note")


@pytest.mark.parametrize(
    ("words_", "shared"),
    [
        (("elections", "election"), True),
        (("travels", "travelled", "travel", "travelling"), True),
        (("parades", "paraded", "parade"), True),
        (("carried", "carries", "carry"), True),
        (("stopped", "stops", "stop"), True),
        (("Boxes", "box"), True),
        # derivations stay apart: support for one is not support for the other
        (("election", "elect"), False),
        (("international", "internal"), False),
        (("organization", "organ"), False),
    ],
)
def test_stem_joins_inflections_only(words_: tuple[str, ...], shared: bool) -> None:
    stems = {stem(w) for w in words_}
    assert (len(stems) == 1) is shared, stems


def test_word_key_options() -> None:
    assert word_key("Kim's") == "kim"
    assert word_key("The") is None
    assert word_key("said") is None  # reporting verbs say nothing about the story
    assert word_key("a") is None and word_key("x") is None
    assert word_key("2019") == "2019"
    assert word_key("2019", numbers=False) is None
    assert word_key("Marching", stemmed=False) == "marching"
    assert word_key("added") == "add"
    assert word_key("added", stop=UNCHECKABLE) is None  # a word the checker leaves out
    assert STOPWORDS < UNCHECKABLE


def test_tokens_keep_their_offsets() -> None:
    text = plain(SENTENCE)
    found = tokens(text)
    assert [t.text for t in found][:6] == ["The", "ministers", "14", "year-old", "plan", "was"]
    assert all(text[t.start : t.end] == t.text for t in found)
    assert {"U.S.", "$15,000"} <= {t.text for t in found}
    assert [t.is_number for t in found if t.text in ("14", "$15,000", "plan")] == [
        True,
        False,
        True,
    ]


def test_clustering_names_skip_stop_words() -> None:
    assert entities("Talks went on. However Angela Merkel said Berlin would wait") == {
        "angela merkel",
        "berlin",
    }


def test_near_duplicates_see_through_typography() -> None:
    a = "The minister’s plan — rejected on Tuesday — was “dead”, protesters said."
    b = 'The minister\'s plan - rejected on Tuesday - was "dead", protesters said.'
    assert signature(a).jaccard(signature(b)) == 1.0


# --- sentences: split once, on first use ---------------------------------------------------------


def test_an_article_is_split_once_on_first_use(monkeypatch) -> None:
    from storybrief import records
    from storybrief.records import Article

    calls: list[str] = []
    real = records.split_sentences

    def counting(text: str, language: str | None = None):  # type: ignore[no-untyped-def]
        calls.append(text)
        return real(text, language)

    monkeypatch.setattr(records, "split_sentences", counting)
    article = Article(text="The vote was held. It passed.")
    assert calls == []  # building the article does not split it
    assert [s.text for s in article.sentences] == ["The vote was held.", "It passed."]
    assert [s.text for s in article.sentences] == ["The vote was held.", "It passed."]
    assert len(calls) == 1
    article.text = "A new text. With two sentences. Three."
    assert [s.index for s in article.sentences] == [0, 1, 2] and len(calls) == 2
    # sentences given (as the store gives them) are kept, and copies keep them too
    stored = Article(text="Kept. As stored.", sentences=article.sentences[:1])
    assert [s.text for s in stored.sentences] == ["A new text."] and len(calls) == 2
    copy = Article.model_validate(stored.model_dump())
    assert copy.sentences == stored.sentences and len(calls) == 2
    assert stored.model_dump(mode="json")["sentences"][0]["text"] == "A new text."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Dr. Smith went to Washington, D.C. on Jan. 5. He said it was 3.5 percent. "
            "The U.S. economy grew!",
            [
                "Dr. Smith went to Washington, D.C. on Jan. 5.",
                "He said it was 3.5 percent.",
                "The U.S. economy grew!",
            ],
        ),
        # an opening quote goes with the sentence it opens
        (
            'The prisons failed, he said. "The bureau has bad staff." Then he left.',
            ["The prisons failed, he said.", '"The bureau has bad staff."', "Then he left."],
        ),
        # a list number stays with its item
        (
            "2. Take inventory of what you spend each month.",
            ["2. Take inventory of what you spend each month."],
        ),
        # a title sentencex does not know is no end before a name
        (
            "Mr. Cuomo put his hand on Ms. Ruch’s back, she said. They flew to Ft. Lauderdale.",
            [
                "Mr. Cuomo put his hand on Ms. Ruch’s back, she said.",
                "They flew to Ft. Lauderdale.",
            ],
        ),
        # no boundary without a space after it
        (
            "Write to www.example.com or Rep. Lee, R-W.Va., today. Then wait.",
            ["Write to www.example.com or Rep. Lee, R-W.Va., today.", "Then wait."],
        ),
    ],
)
def test_sentence_boundaries(line: str, expected: list[str]) -> None:
    from storybrief.text import split_sentences

    sentences = split_sentences(line, "en")
    assert [s.text for s in sentences] == expected
    assert all(line[s.start : s.end] == s.text for s in sentences)


def test_sentences_keep_their_spans_across_paragraphs_headings_and_languages() -> None:
    from storybrief.text import split_sentences

    body = (
        "  Lead one. Lead two.  \nWhat Happens Next\nÉl dijo «hola». Adiós, amigos.\n\n"
        "Otra frase aquí. Y otra más."
    )
    sentences = split_sentences(body, "es")
    assert [(s.index, s.text, s.is_heading) for s in sentences] == [
        (0, "Lead one.", False),
        (1, "Lead two.", False),
        (2, "What Happens Next", True),
        (3, "Él dijo «hola».", False),
        (4, "Adiós, amigos.", False),
        (5, "Otra frase aquí.", False),
        (6, "Y otra más.", False),
    ]
    assert all(body[s.start : s.end] == s.text for s in sentences)
    assert split_sentences("One. Two.", "xx-unknown")[1].text == "Two."  # fallback rules
    assert split_sentences("") == [] and split_sentences("\n \n") == []
