"""The LLM engines' default prompt (explainer-v2): they start from the sentences the built-in
selection chose for each section, a model rewrites them, the checker verifies every sentence,
and a sentence it refuses is replaced by the chosen sentences it rests on — so a model's failure
never empties a section or the explainer. Against a scripted OpenAI-compatible server on
127.0.0.1 (tests/servers.py) that plays the model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

import pytest
from tests.llm_server import chat_reply, draft, free_port
from tests.servers import LocalHTTPServer

from storybrief.errors import EngineError
from storybrief.explain import SECTION_KEYS, Explainer
from storybrief.explain.llm import generation_of
from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions
from storybrief.explain.selection import BuiltinOptions, select_explainer
from storybrief.records import Article

EXAMPLE = resources.files("storybrief").joinpath("examples", "article.txt").read_text("utf-8")
SHORTER = "Kim Jong Un crossed into China by train on Tuesday, heading to Beijing."  # from A1.S1
UNSUPPORTED = "Kim's train journey to Beijing took about 20 hours."  # not in the article


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as s:
        yield s


@pytest.fixture
def article() -> Article:
    return Article(text=EXAMPLE)


def engine(server: LocalHTTPServer) -> OpenAIEngine:
    return OpenAIEngine(OpenAIOptions(base_url=server.url("/v1"), model="scripted", retries=0))


def plan(article: Article) -> dict[str, list[str]]:
    explainer = select_explainer([article], BuiltinOptions())
    return {s.key: [x.text for x in s.sentences] for s in explainer.sections}


def texts(explainer: Explainer) -> dict[str, list[str]]:
    return {s.key: [x.text for x in s.sentences] for s in explainer.sections}


def test_the_model_is_shown_each_sections_chosen_sentences_and_its_rewrite_is_published(
    server: LocalHTTPServer, article: Article
) -> None:
    answer = draft(
        "Kim heads to Beijing",
        whats_happening=[(SHORTER, ["A1.S1"])],
        whats_next=[("No leaders from the U.S. are expected to attend.", ["A1.S13"])],
    )
    server.route("/v1/chat/completions", body=chat_reply(answer))
    explainer = engine(server).explain([article])

    request = json.loads(server.requests_to("/v1/chat/completions")[0].body)
    prompt = request["messages"][1]["content"]
    chosen = plan(article)
    for key in SECTION_KEYS:
        assert f"{key}:\n[A1.S" in prompt
    assert all(sentence in prompt for sentences in chosen.values() for sentence in sentences)
    assert "He oversaw a new chapter in this endeavor" not in prompt  # A1.S5: not chosen
    ids = request["response_format"]["json_schema"]["schema"]["$defs"]["source_id"]["enum"]
    assert len(ids) == sum(len(v) for v in chosen.values()) < 20

    got = texts(explainer)
    assert got["whats_happening"] == [SHORTER]
    assert got["whats_next"] == ["No leaders from the U.S. are expected to attend."]
    # sections the model left empty get their chosen sentences
    assert got["why_its_important"] == chosen["why_its_important"]
    assert got["beyond_the_headlines"] == chosen["beyond_the_headlines"]
    record = generation_of(explainer)
    assert record is not None and record.prompt_version == "explainer-v2"
    assert record.planned == len(ids) and record.drafted == 2
    assert record.fallbacks == len(chosen["why_its_important"] + chosen["beyond_the_headlines"])


def test_a_refused_sentence_is_replaced_by_the_chosen_sentences_it_rests_on(
    server: LocalHTTPServer, article: Article
) -> None:
    answer = draft("", whats_happening=[(UNSUPPORTED, ["A1.S1", "A1.S9"])])
    server.route("/v1/chat/completions", body=chat_reply(answer))
    explainer = engine(server).explain([article])
    chosen = plan(article)
    happening = texts(explainer)["whats_happening"]
    assert UNSUPPORTED not in happening
    assert happening == [chosen["whats_happening"][0], chosen["whats_happening"][2]]
    record = generation_of(explainer)
    assert record is not None and [d.text for d in record.dropped] == [UNSUPPORTED]


def test_a_model_that_fails_every_draft_still_yields_the_chosen_sentences(
    server: LocalHTTPServer, article: Article
) -> None:
    server.route("/v1/chat/completions", body=chat_reply("Sorry, I can't do JSON."))
    explainer = engine(server).explain([article])
    assert len(server.requests_to("/v1/chat/completions")) == 3  # asked, then two repairs
    assert texts(explainer) == plan(article)
    assert all(s.verdict == "supported" for _, _, s in explainer.sentences())
    record = generation_of(explainer)
    assert record is not None and record.fallbacks == record.planned > 0
    assert "not a usable explainer" in record.dropped[0].reason


def test_a_server_that_is_down_is_still_an_error(article: Article) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    options = OpenAIOptions(base_url=base, model="m", retries=0)
    with pytest.raises(EngineError, match="cannot reach the OpenAI-compatible server"):
        OpenAIEngine(options).explain([article])


def test_a_sentence_written_from_another_sections_sentences_is_not_published_there(
    server: LocalHTTPServer, article: Article
) -> None:
    chosen = plan(article)
    why = chosen["why_its_important"][0]  # A1.S4, chosen for "Why It's Important?"
    answer = draft("", whats_happening=[(why, ["A1.S4"])], why_its_important=[(why, ["A1.S4"])])
    server.route("/v1/chat/completions", body=chat_reply(answer))
    explainer = engine(server).explain([article])
    got = texts(explainer)
    assert got["whats_happening"] == chosen["whats_happening"]
    assert got["why_its_important"][0] == why
    published = [s.text for _, _, s in explainer.sentences()]
    assert len(published) == len(set(published))  # nothing said twice
    record = generation_of(explainer)
    assert record is not None
    assert record.dropped[0].reason == "rests on no sentence chosen for this section"


def test_a_chosen_sentence_never_stands_in_for_what_is_already_published(
    server: LocalHTTPServer, article: Article
) -> None:
    chosen = plan(article)
    why = chosen["why_its_important"][0]  # A1.S4
    # the model puts Why's first sentence under What's Happening (citing a happening sentence:
    # the checker corrects the citation and accepts it), then again under Why
    answer = draft("", whats_happening=[(why, ["A1.S1"])], why_its_important=[(why, ["A1.S4"])])
    server.route("/v1/chat/completions", body=chat_reply(answer))
    explainer = engine(server).explain([article])
    got = texts(explainer)
    assert got["whats_happening"] == [why]
    assert got["why_its_important"] == chosen["why_its_important"][1:]  # not A1.S4 again
    published = [s.text for _, _, s in explainer.sentences()]
    assert len(published) == len(set(published))
