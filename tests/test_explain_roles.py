"""Sentence roles: the shipped role model on sentences written for the tests, and the built-in
engine writing each section only from sentences that answer its question."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from storybrief.explain import explain_articles, selection
from storybrief.explain.builtin import BuiltinEngine
from storybrief.explain.engines import EngineContext
from storybrief.explain.options import BuiltinOptions
from storybrief.explain.role_model import (
    MODEL_FILE,
    RoleInput,
    RoleModel,
    feature_matrix,
    shipped_model,
)
from storybrief.explain.roles import BEYOND, HAPPENING, IMPORTANT, NEXT
from storybrief.explain.selection import sentence_roles
from storybrief.records import Article

CLEAR = [
    ("The trial is scheduled to begin in March, and prosecutors plan to call 40 witnesses.", NEXT),
    ("The council will vote on the budget next Tuesday.", NEXT),
    (
        "The decision matters because it could raise fuel prices for millions of households.",
        IMPORTANT,
    ),
    (
        "The ruling is a major setback for the company, which could lose billions of dollars as "
        "a result.",
        IMPORTANT,
    ),
    ("The dispute dates back to 1998, when the two countries first signed the treaty.", BEYOND),
    (
        "The city has struggled with floods for decades, and a similar storm in 2011 killed 40 "
        "people.",
        BEYOND,
    ),
    ("“This is a disgrace,” said Maria Lopez, a local shopkeeper.", BEYOND),
]


def role_of(text: str) -> str:
    """The section the shipped model says a mid-article sentence answers (or what happens)."""
    model = shipped_model()
    x = RoleInput(text, position=4, statements=12, centrality=0.4, story_year=2024)
    probs = model.probabilities([x])
    answered = [r for r in (IMPORTANT, NEXT, BEYOND) if model.answers(probs, r)[0]]
    if not answered:
        return HAPPENING
    return max(answered, key=lambda r: probs[0, (HAPPENING, IMPORTANT, NEXT, BEYOND).index(r)])


@pytest.mark.parametrize(("text", "role"), CLEAR)
def test_the_shipped_model_knows_clear_roles(text: str, role: str) -> None:
    assert role_of(text) == role


def test_a_plain_report_of_the_event_answers_no_other_section() -> None:
    assert role_of("Police arrested two men on Tuesday in the city centre.") == HAPPENING


def test_a_model_for_other_features_is_refused_with_the_reason() -> None:
    text = resources.files("storybrief.explain").joinpath(MODEL_FILE).read_text("utf-8")
    data = json.loads(text)
    data["features_version"] = 999
    with pytest.raises(ValueError, match="features version 999"):
        RoleModel.from_json(data)
    data = json.loads(text)
    data["dense_names"] = data["dense_names"][:-1]
    with pytest.raises(ValueError, match="other features"):
        RoleModel.from_json(data)


def test_the_features_are_numbers_of_one_row_per_sentence() -> None:
    rows = feature_matrix(
        [RoleInput("A short one.", 0, 1), RoleInput("Another, longer one.", 1, 2)]
    )
    assert rows.shape[0] == 2 and np.isfinite(rows).all()


# --- the engine ----------------------------------------------------------------------------------

HARBOUR = [
    "The Port Ellis harbour bridge reopened to traffic on Monday after a six-month repair that "
    "cost the city $40 million.",
    "Crews replaced the bridge's corroded cables and resurfaced its deck.",
    "Drivers crowded onto the bridge within minutes of the reopening.",
    "The reopening matters because it could cut freight costs for hundreds of local businesses.",
    "The council will vote next month on a plan to add a bus lane to the bridge.",
    "The bridge was built in 1962 and has been repaired twice since, most recently in 1998.",
]


def harbour_story() -> list[Article]:
    return [Article(id=1, text="\n".join(HARBOUR), title="Harbour bridge reopens")]


def sections(articles: list[Article]) -> dict[str, list[str]]:
    explainer = explain_articles(articles)
    return {s.key: [x.text for x in s.sentences] for s in explainer.sections}


def test_each_section_takes_the_sentences_that_answer_it() -> None:
    got = sections(harbour_story())
    assert got["whats_happening"][0].startswith("The Port Ellis harbour bridge reopened")
    assert got["why_its_important"] == [HARBOUR[3]]
    assert got["whats_next"] == [HARBOUR[4]]
    assert got["beyond_the_headlines"] == [HARBOUR[5]]


def test_a_section_says_the_sources_are_silent_only_when_no_sentence_answers() -> None:
    text = "\n".join(HARBOUR[:3] + HARBOUR[5:])  # nothing on what comes next or why
    explainer = explain_articles([Article(id=1, text=text, title="Harbour bridge reopens")])
    nxt = explainer.section("whats_next")
    assert nxt.sentences == [] and nxt.note
    beyond = explainer.section("beyond_the_headlines")
    assert [s.text for s in beyond.sentences] == [HARBOUR[5]] and beyond.note is None
    roles = sentence_roles([Article(id=1, text=text)])
    assert NEXT not in roles.values()  # the note is true: no sentence answers the section


def test_without_answers_the_sections_stay_empty_and_what_happens_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = shipped_model()
    never = RoleModel(model.weights, model.bias, dict.fromkeys(model.thresholds, 1.01), False, {})
    monkeypatch.setattr(selection, "shipped_model", lambda vectors=False: never)
    got = sections(harbour_story())
    assert got["why_its_important"] == got["whats_next"] == got["beyond_the_headlines"] == []
    # with nothing for the other sections, What's Happening tells more of the story
    assert len(got["whats_happening"]) >= 4


LONG_REPORT = [
    "The Port Ellis harbour bridge reopened to traffic on Monday after a six-month repair that "
    "cost the city $40 million.",
    "Crews replaced the corroded steel cables of the harbour bridge and resurfaced its whole deck "
    "with new asphalt.",
    "Drivers crowded onto the harbour bridge within minutes of the reopening, and queues "
    "stretched back to the ferry terminal.",
    "The harbour bridge repair used 1,200 tonnes of steel supplied by a foundry in the northern "
    "town of Greyhaven.",
    "Port Ellis police closed two lanes of the harbour bridge for an hour on Monday afternoon "
    "after a minor collision.",
    "Cyclists were given a separate lane on the harbour bridge for the first weekend, marked with "
    "orange cones.",
    "Buses returned to the harbour bridge route on Monday evening, ending the detour through the "
    "old industrial district.",
    "Engineers inspected the harbour bridge joints again at noon on Monday and signed the final "
    "safety certificate.",
]


def test_what_is_happening_grows_past_its_usual_length_only_when_the_rest_is_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = shipped_model()
    never = RoleModel(model.weights, model.bias, dict.fromkeys(model.thresholds, 1.01), False, {})
    monkeypatch.setattr(selection, "shipped_model", lambda vectors=False: never)
    story = [Article(id=1, text="\n".join(LONG_REPORT), title="Harbour bridge reopens")]
    happening = sections(story)["whats_happening"]
    words = sum(len(s.split()) for s in happening)
    max_words = selection.BuiltinOptions().max_words
    assert max_words < words <= 2 * max_words  # 149 words; 96 without telling more
    # the first account comes first, what it adds after it
    assert happening[0] == LONG_REPORT[0]


class Embedder:
    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.zeros((len(texts), 384))


class Checker:
    def __init__(self, semantic: Embedder) -> None:
        self.semantic = semantic


def test_the_checkers_sentence_vectors_are_used_when_it_has_them() -> None:
    embedder = Embedder()
    engine = BuiltinEngine(context=EngineContext(checker=Checker(embedder)))  # type: ignore[arg-type]
    explainer = engine.explain(harbour_story())
    assert embedder.calls == 1 and explainer.section("whats_happening").sentences
    assert shipped_model(vectors=True).vectors
    assert BuiltinEngine(BuiltinOptions(roles="words")).semantic is None


def test_with_minilm_installed_the_roles_read_its_vectors_and_the_account_stays() -> None:
    """roles=auto: the shared MiniLM model's vectors decide Why, Next and Beyond (embedded once,
    with the one-point-once test); "What's Happening?" is what the words-only model makes it."""
    from storybrief.semantic import SemanticModel

    shared = SemanticModel.shared()
    engine = BuiltinEngine()
    assert engine.semantic is shared and engine.meaning is shared
    story = harbour_story()
    words = BuiltinEngine(BuiltinOptions(roles="words")).explain(story)
    both = engine.explain(story)
    assert (
        both.section("whats_happening").sentences[:2]
        == (words.section("whats_happening").sentences[:2])
    )


def test_the_vectors_model_decides_the_other_sections_not_the_account() -> None:
    """A sentence the words-only model leaves in "What's Happening?" stays there whatever the
    vectors model says; the others go where the vectors model puts them."""
    from storybrief.explain.role_model import ROLES

    words_model = shipped_model(vectors=False)

    class SaysWhy:  # a vectors model sure that every sentence says why it matters
        vectors = True
        thresholds = words_model.thresholds

        def probabilities(self, inputs: list, vectors: np.ndarray) -> np.ndarray:
            out = np.zeros((len(inputs), len(ROLES)))
            out[:, ROLES.index(IMPORTANT)] = 0.99
            return out

        def answers(self, probabilities: np.ndarray, role: object) -> np.ndarray:
            return probabilities[:, ROLES.index(role)] >= self.thresholds[role]

    story = harbour_story()
    by_words = sentence_roles(story)
    both = sentence_roles(story, model=SaysWhy(), semantic=Embedder())  # type: ignore[arg-type]
    assert HAPPENING in by_words.values() and set(by_words.values()) - {HAPPENING}
    for key, role in by_words.items():
        assert both[key] == (HAPPENING if role == HAPPENING else IMPORTANT), key
