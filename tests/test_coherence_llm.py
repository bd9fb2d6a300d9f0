"""An LLM engine's explainer does not contradict itself and says where the sources differ, as the
built-in engine's does: the ``openai`` engine against a scripted OpenAI-compatible server on
127.0.0.1 (tests/servers.py) that plays the model (answers written with tests/llm_server.py),
and an outside engine, which the library reconciles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from tests.llm_server import chat_reply, draft
from tests.servers import LocalHTTPServer
from tests.test_coherence import COURIER, GAZETTE, WIRE, claims_story, plain_sentences

from storybrief.explain.engines import Engine, Progress, register_engine, unregister_engine
from storybrief.explain.llm import generation_of
from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions
from storybrief.explain.model import (
    SECTION_KEYS,
    Explainer,
    ExplainerSentence,
    Section,
    citation_for,
)
from storybrief.records import Article
from storybrief.settings import Settings
from storybrief.verify import Checker

# What the scripted model writes, with the ids of the sentences it cites ([A1.S2]: article 1's
# second sentence). The prior week's claims: Capital Wire 6.9 million, Morning Courier 6.8.
SIX_SIX = (
    "Another 6.6 million people filed for unemployment benefits last week, the Labor "
    "Department reported on Thursday."
)
WIRE_FIGURE = "That is on top of a revised 6.9 million in the prior week, a record."
COURIER_FIGURE = "Claims for the previous week were revised upward to 6.8 million."
DIFFER = (
    "Sources differ: Capital Wire reports “That is on top of a revised 6.9 million in the prior "
    "week”; Morning Courier reports “Claims for the previous week were revised upward to 6.8 "
    "million”."
)


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as s:
        yield s


def engine(server: LocalHTTPServer, **options: object) -> OpenAIEngine:
    return OpenAIEngine(
        OpenAIOptions(
            base_url=server.url("/v1"),
            model="scripted",
            retries=0,
            prompt_version="explainer-v1",  # shown every sentence (the draft below cites them)
            **options,  # type: ignore[arg-type]
        )
    )


def conflicting_answer() -> bytes:
    """Both figures as plain statements: the Wire's first, in "What's Happening?"."""
    return chat_reply(
        draft(
            "Jobless claims",
            whats_happening=[(SIX_SIX, ["A1.S1"]), (WIRE_FIGURE, ["A1.S2"])],
            why_its_important=[(COURIER_FIGURE, ["A2.S2"])],
        )
    )


def differ_sentences(explainer: Explainer) -> list[str]:
    beyond = explainer.section("beyond_the_headlines").sentences
    return [s.text for s in beyond if s.kind != "statement"]


def test_two_figures_for_one_thing_become_one_statement_and_a_cited_differ_sentence(
    server: LocalHTTPServer,
) -> None:
    server.route("/v1/chat/completions", body=conflicting_answer())
    articles = claims_story()
    explainer = engine(server).explain(articles)

    plain = plain_sentences(explainer)
    assert WIRE_FIGURE in plain  # undated reports, equally supported: the one drafted first
    assert COURIER_FIGURE not in plain
    assert SIX_SIX in plain
    (differ,) = explainer.differences()
    assert differ.text == DIFFER and differ.kind == "differ"
    assert differ_sentences(explainer) == [DIFFER]  # it ends "Beyond the Headlines"
    assert differ.verdict == "supported"
    assert {c.article_id for c in differ.citations} == {10, 11}
    assert Checker().check_sentence(differ.text, articles, differ.citations).supported
    record = generation_of(explainer)
    assert record is not None
    (left_out,) = record.dropped
    assert left_out.text == COURIER_FIGURE and left_out.section == "why_its_important"
    assert "6.8 million" in left_out.reason and WIRE_FIGURE in left_out.reason
    # the section it leaves empty says so
    assert explainer.section("why_its_important").note


def test_a_later_report_wins_and_the_change_is_told(server: LocalHTTPServer) -> None:
    server.route("/v1/chat/completions", body=conflicting_answer())
    explainer = engine(server).explain(claims_story(dated=True))
    plain = plain_sentences(explainer)
    assert COURIER_FIGURE in plain and WIRE_FIGURE not in plain  # the Courier is a day later
    (change,) = explainer.differences()
    assert change.kind == "change" and change.verdict == "supported"
    assert change.text.startswith("The figure changed between reports: Capital Wire (9 April")
    assert "Morning Courier (10 April 2026) reported" in change.text


def test_coherence_off_keeps_the_draft_as_checked(server: LocalHTTPServer) -> None:
    server.route("/v1/chat/completions", body=conflicting_answer())
    explainer = engine(server, coherence=False).explain(claims_story())
    assert explainer.differences() == []
    assert {WIRE_FIGURE, COURIER_FIGURE} <= set(plain_sentences(explainer))


def test_sources_that_disagree_give_the_llm_explainer_its_differ_sentence(
    server: LocalHTTPServer, tmp_path: Path, test_settings: Settings
) -> None:
    """Through the library (the checker's gate, the store): the model mentions neither figure,
    the published explainer still says where the sources differ, citing both."""
    from storybrief.library import Library

    server.route(
        "/v1/chat/completions",
        body=chat_reply(draft("Jobless claims", whats_happening=[(SIX_SIX, ["A1.S1"])])),
    )
    files = []
    for name, text in (("wire", WIRE), ("courier", COURIER), ("gazette", GAZETTE)):
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    options = {"base_url": server.url("/v1"), "model": "scripted", "retries": 0}
    with Library(test_settings) as lib:
        result = lib.explain(files, engine="openai", options=options)
        explainer = result.explainer
        beyond = explainer.section("beyond_the_headlines")
        assert beyond.note is None
        (differ,) = beyond.sentences
        assert differ.kind == "differ" and differ.verdict == "supported"
        assert "6.9 million" in differ.text and "6.8 million" in differ.text
        assert len({c.article_id for c in differ.citations}) == 2
        assert result.check is not None and result.check.dropped == []
        stored = lib.store.explainers.latest(result.story_id)
        assert stored is not None
        assert stored.document["sections"][3]["sentences"][0]["kind"] == "differ"


class CopyingEngine(Engine):
    """An outside engine (registered as a plugin) that publishes every article's first two
    sentences, citing them: the Wire's 6.9 million and the Courier's 6.8 million side by side.
    It does not reconcile its draft; the library does."""

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,
    ) -> Explainer:
        sentences = [
            ExplainerSentence(
                text=s.text, citations=[citation_for(a, pos, s.index, s.start, s.end)]
            )
            for pos, a in enumerate(articles)
            for s in a.sentences[:2]
        ]
        return Explainer(
            headline=headline or "Jobless claims",
            sections=[Section(key="whats_happening", sentences=sentences)]
            + [Section(key=k) for k in SECTION_KEYS[1:]],
            engine="copying",
        )


def test_an_outside_engine_is_reconciled_by_the_library(
    tmp_path: Path, test_settings: Settings
) -> None:
    from storybrief.library import Library

    files = []
    for name, text in (("wire", WIRE), ("courier", COURIER), ("gazette", GAZETTE)):
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    register_engine("copying", lambda options, context: CopyingEngine())
    try:
        with Library(test_settings) as lib:
            explainer = lib.explain(files, engine="copying").explainer
    finally:
        unregister_engine("copying")
    plain = " ".join(plain_sentences(explainer))
    assert "6.9 million" in plain and "6.8 million" not in plain  # the one drafted first stays
    (differ,) = explainer.differences()
    assert differ.kind == "differ" and differ.verdict == "supported"
    assert "6.9 million" in differ.text and "6.8 million" in differ.text
    assert explainer.section("beyond_the_headlines").sentences == [differ]
