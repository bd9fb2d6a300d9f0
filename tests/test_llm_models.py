"""LLM engines with a real model: the package-shipped GGUF model (storybrief[llamacpp-model])
behind llama-cpp-python's OpenAI-compatible server on 127.0.0.1 (the ``openai`` engine: happy
path, malformed JSON from the model, time-outs, the server going down), and in process (the
``llamacpp`` engine, built through the registry as the CLI builds it). Skipped, with the reason,
when llama-cpp-python, its server or the model package is missing; CI installs them
(.ci/llama.sh). Kept short: a five-sentence story, a small context and reply (a reply cut off at
max_tokens is closed after its last complete sentence)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from tests.llm_server import llama_server, model_or_skip, server_or_skip

from storybrief.errors import EngineError
from storybrief.explain.llm import generation_of
from storybrief.explain.llm.prompt import PROMPT_VERSION
from storybrief.explain.model import Explainer
from storybrief.records import Article
from storybrief.verify import Checker

pytestmark = pytest.mark.slow

# The lead of the canonical example article: two paragraphs, a heading, three more.
LEAD = "\n".join(
    resources.files("storybrief")
    .joinpath("examples", "article.txt")
    .read_text("utf-8")
    .splitlines()[:6]
)


@pytest.fixture(scope="module")
def model() -> Path:
    return model_or_skip()


@pytest.fixture(scope="module")
def server_url(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_or_skip()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_server(model, log, n_ctx=1024) as url:
        yield url


def assert_held_to_the_sources(explainer: Explainer, articles: list[Article]) -> None:
    published = [s for _, _, s in explainer.sentences()]
    assert published, "the model's draft had no supported sentence at all"
    checker = Checker()
    for sentence in published:
        assert sentence.verdict == "supported" and sentence.citations
        verdict = checker.check_sentence(sentence.text, articles, sentence.citations)
        assert verdict.supported, (sentence.text, verdict.reasons)
    record = generation_of(explainer)
    assert record is not None
    assert record.prompt_version == PROMPT_VERSION
    assert record.prompt_tokens > 0 and record.completion_tokens > 0
    # every drafted sentence is published or dropped; chosen sentences stand in for dropped ones
    dropped = [d for d in record.dropped if d.section != "*"]
    assert record.drafted + record.fallbacks == len(published) + len(dropped)


def test_openai_engine_against_a_real_server(server_url: str, tmp_path: Path) -> None:
    from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions

    articles = [Article(text=LEAD)]
    options = OpenAIOptions(
        base_url=server_url,
        max_tokens=200,
        context_tokens=1024,
        timeout=240,
    )
    explainer = OpenAIEngine(options).explain(articles)
    assert_held_to_the_sources(explainer, articles)
    assert explainer.engine == "openai"
    assert explainer.engine_options["model"] == "shipped"  # the first model the server lists
    # llama-cpp-python's server takes JSON mode with a schema, not response_format json_schema
    assert explainer.engine_options["structured"] == "json_object"


def test_malformed_json_from_the_model_is_sent_back_then_reported(
    server_url: str, tmp_path: Path
) -> None:
    """No grammar and a reply cut off after a few tokens: the model's JSON is broken, the
    engine sends it back with the error once, then gives up with a clear message — and, with
    the default prompt, publishes the sentences chosen for each section instead."""
    from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions

    options = OpenAIOptions(
        base_url=server_url,
        structured="prompt",
        max_tokens=16,
        context_tokens=1024,
        repair_attempts=1,
        timeout=240,
    )
    explainer = OpenAIEngine(options).explain([Article(text=LEAD)])
    record = generation_of(explainer)
    assert record is not None and record.requests == 2 and record.repairs == 1
    message = record.dropped[0].reason
    assert message.startswith("openai engine: the model's answer was not a usable explainer")
    assert "after 2 tries" in message and "cut off at the token limit" in message
    assert record.fallbacks == record.planned == len(list(explainer.sentences())) > 0
    # asked the first way (every sentence, no selection to fall back on), it is an error
    with pytest.raises(EngineError, match="not a usable explainer after 2 tries"):
        OpenAIEngine(options.model_copy(update={"prompt_version": "explainer-v1"})).explain(
            [Article(text=LEAD)]
        )


def test_a_slow_answer_times_out(server_url: str) -> None:
    from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions

    options = OpenAIOptions(
        base_url=server_url,
        model="shipped",
        max_tokens=48,
        context_tokens=1024,
        timeout=0.05,
        retries=0,
        stream=False,
    )
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        OpenAIEngine(options).explain([Article(text=LEAD)])
    assert str(caught.value) == (
        f"the OpenAI-compatible server at {server_url} did not answer within 0.05 s "
        "(option timeout)"
    )
    assert time.monotonic() - started < 30


def test_the_server_going_down(model: Path, tmp_path: Path) -> None:
    from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions

    server_or_skip()
    with llama_server(model, tmp_path / "server.log", n_ctx=512) as url:
        options = OpenAIOptions(base_url=url, retries=1, backoff=0.05)
        engine = OpenAIEngine(options)
        assert engine.backend.model == "shipped"  # asked of the running server
    with pytest.raises(EngineError) as caught:
        engine.explain([Article(text=LEAD)])
    assert str(caught.value) == (
        f"cannot reach the OpenAI-compatible server at {url}: connection refused"
    )


def test_llamacpp_engine_in_process(model: Path, tmp_path: Path) -> None:
    from storybrief.explain import get_engine

    articles = [Article(text=LEAD)]
    seen: list[int] = []
    # no model_path: the engine finds the packaged model itself, as `--engine llamacpp` does
    engine = get_engine("llamacpp", n_ctx=1024, max_tokens=200)
    assert getattr(engine, "streams", False) and engine.offline and engine.deterministic
    explainer = engine.explain(articles, progress=seen.append)
    assert_held_to_the_sources(explainer, articles)
    assert explainer.engine == "llamacpp"
    assert explainer.engine_options["model"] == model.name
    assert seen and seen == sorted(seen)
    record = generation_of(explainer)
    assert record is not None and record.model == model.name and record.seconds > 0
    again = engine.explain(articles)  # no cache in the engine: the model writes it again
    assert again.body == explainer.body  # deterministic at temperature 0 with a fixed seed


def test_engines_with_different_models_take_turns(model: Path, tmp_path: Path) -> None:
    """Only one model stays loaded: an engine whose model was replaced by another engine's
    loads it again instead of using the freed one (which crashed the process)."""
    from storybrief.explain.llm.llamacpp_engine import LlamaCppEngine, LlamaCppOptions

    def engine(n_ctx: int) -> LlamaCppEngine:
        options = LlamaCppOptions(model_path=model, n_ctx=n_ctx)
        return LlamaCppEngine(options)

    first, second = engine(512), engine(768)
    words = "North Korean leader Kim Jong Un crossed into China by train."
    counted = first.backend.count_tokens(words)
    assert counted > 5
    assert second.backend.count_tokens(words) == counted  # loads its own, frees the first's
    assert first.backend.count_tokens(words) == counted  # loaded again, not used after free
    assert first.backend.llm.n_ctx() == 512
