"""One fact once while choosing (storybrief.explain.sameness): the pair model fitted on
readers' pairs (bench/repeats.py fit) reads two outlets' leads told in other words as one
fact, and leaves two facts of one story apart. Texts written for the tests."""

from __future__ import annotations

import numpy as np
import pytest

from storybrief.errors import EngineError
from storybrief.explain import explain_articles, rank
from storybrief.explain.candidates import candidates
from storybrief.explain.sameness import (
    PAIR_FEATURES,
    Facts,
    PairModel,
    Sameness,
    pair_features,
    shipped_pair_model,
)
from storybrief.records import Article
from storybrief.semantic import SemanticModel
from storybrief.verify import Checker

LEAD_A = (
    "Police on Monday searched for an accomplice of the gunman who killed three people, "
    "including a 6-year-old boy, at a garlic festival in Gilroy, California."
)
LEAD_B = "Among the three people killed at the Gilroy garlic festival was a 6-year-old boy."
OTHER = "The festival draws about 100,000 visitors to the town every July."


def _said_twice(model: PairModel, a: str, b: str, meaning: float | None) -> bool:
    fa, fb = Facts.of(a, (0, 0)), Facts.of(b, (1, 0))
    idf: dict[str, float] = {}
    return (
        max(
            model.probability(pair_features(fb, fa, idf, meaning)),
            model.probability(pair_features(fa, fb, idf, meaning)),
        )
        >= model.threshold
    )


@pytest.mark.parametrize("vectors", [False, True])
def test_two_leads_in_other_words_are_one_fact(vectors: bool) -> None:
    model = shipped_pair_model(vectors=vectors)
    assert model is not None and model.vectors is vectors
    meaning = SemanticModel.shared() if vectors else None

    def cosine(a: str, b: str) -> float | None:
        return meaning.similarity(a, b) if meaning is not None else None

    assert _said_twice(model, LEAD_A, LEAD_B, cosine(LEAD_A, LEAD_B))
    assert not _said_twice(model, LEAD_A, OTHER, cosine(LEAD_A, OTHER))


RETAIL = Article(
    id=1,
    title="Retail sales sink a record 16.4% in April",
    text="Sales at U.S. retailers sank a record 16.4% in April after coronavirus lockdowns "
    "shuttered much of the economy and cost millions of jobs. Clothing stores saw sales fall by "
    "nearly 79%, and electronics stores by 60%. Online sellers were the exception, with sales "
    "up 8.4% as people shopped from home.",
)
PLUNGE = Article(
    id=2,
    title="Retail sales plunge as stores stay shut",
    text="Retail sales fell 16.4 percent last month, the Commerce Department said Friday, by far "
    "the largest monthly drop on record. Economists expect spending to recover slowly as states "
    "reopen over the summer. Restaurants and bars reported a drop of nearly 30% in their takings.",
)
RETAIL_LEAD = "Sales at U.S. retailers sank a record 16.4% in April"
PLUNGE_LEAD = "Retail sales fell 16.4 percent last month"


def test_the_engine_tells_two_outlets_leads_once() -> None:
    def told(**options: str) -> str:
        explainer = explain_articles([RETAIL, PLUNGE], **options)
        return " ".join(s.text for sec in explainer.sections for s in sec.sentences)

    once = told(repeats="pairs")
    assert (RETAIL_LEAD in once) != (PLUNGE_LEAD in once)  # one of the two leads
    assert "Restaurants and bars" in once  # a fact of its own stays
    twice = told()  # without the pair model (the default), the record fall is told twice
    assert RETAIL_LEAD in twice and PLUNGE_LEAD in twice


def test_a_pair_model_for_other_features_is_refused() -> None:
    doc = shipped_pair_model(vectors=False).to_json()  # type: ignore[union-attr]
    doc["features"] = [*PAIR_FEATURES[:-1], "something else"]
    with pytest.raises(EngineError, match="not this version's features"):
        PairModel.from_json(doc)


def test_the_pair_model_never_empties_a_section() -> None:
    # the only sentence that says why restates the record fall of "What's Happening?" in part:
    # the pair model alone does not leave "Why It's Important?" without it
    why = Article(
        id=2,
        title="Record fall in retail sales",
        text="Retail sales fell a record 16.4% in April, the Commerce Department said.\n\n"
        "Why it matters\n\nThe record fall in U.S. retail sales points to a deep recession, "
        "because consumer spending drives about two-thirds of the economy.",
    )
    explainer = explain_articles([RETAIL, why], repeats="pairs")
    section = next(s for s in explainer.sections if s.key == "why_its_important")
    assert [s.text for s in section.sentences] == [
        "The record fall in U.S. retail sales points to a deep recession, because consumer "
        "spending drives about two-thirds of the economy."
    ]


def test_the_pair_model_is_never_asked_about_one_articles_sentences() -> None:
    # a model that says every two sentences tell one fact: still, an article explaining its
    # own lead further down is not read as telling it twice; another article's sentence is
    one = Article(
        id=1,
        text="The city council approved a new tram line on Tuesday. "
        "The tram line will link the airport with the city centre.",
    )
    two = Article(id=2, text="Councillors voted for an airport tram after two years of debate.")
    usable = [c for c in candidates([one, two]) if c.usable]
    same = Sameness(usable, rank.tfidf([c.text for c in usable]), Checker())
    same.pairs = PairModel(np.zeros(len(PAIR_FEATURES)), 0.0, 0.5, vectors=False)
    lead, further, other = usable
    assert not same.paired(further, [same.row[lead.idx]])
    assert same.paired(other, [same.row[lead.idx]])
