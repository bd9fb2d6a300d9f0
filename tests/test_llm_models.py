"""LLM engines with a real model: the package-shipped GGUF model (storybrief[llamacpp-model])
behind llama-cpp-python's OpenAI-compatible server on 127.0.0.1 (the ``openai`` engine), and in
process (the ``llamacpp`` engine). Skipped, with the reason, when llama-cpp-python, its server
or the model package is missing. Kept short: a five-sentence story, a small context and reply
(a reply cut off at max_tokens is closed after its last complete sentence)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from tests.llm_server import llama_server, model_or_skip, server_or_skip

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
    assert record.drafted == len(published) + len(record.dropped)


def test_openai_engine_against_a_real_server(server_url: str, tmp_path: Path) -> None:
    from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions

    articles = [Article(text=LEAD)]
    options = OpenAIOptions(
        base_url=server_url,
        max_tokens=200,
        context_tokens=1024,
        timeout=240,
        cache_dir=tmp_path,
    )
    explainer = OpenAIEngine(options).explain(articles)
    assert_held_to_the_sources(explainer, articles)
    assert explainer.engine == "openai"
    assert explainer.engine_options["model"] == "shipped"  # the first model the server lists
    # llama-cpp-python's server takes JSON mode with a schema, not response_format json_schema
    assert explainer.engine_options["structured"] == "json_object"


def test_llamacpp_engine_in_process(model: Path, tmp_path: Path) -> None:
    from storybrief.explain.llm.llamacpp_engine import LlamaCppEngine, LlamaCppOptions

    articles = [Article(text=LEAD)]
    seen: list[int] = []
    options = LlamaCppOptions(model_path=model, n_ctx=1024, max_tokens=200, cache_dir=tmp_path)
    explainer = LlamaCppEngine(options).explain(articles, progress=seen.append)
    assert_held_to_the_sources(explainer, articles)
    assert explainer.engine == "llamacpp"
    assert explainer.engine_options["model"] == model.name
    assert seen and seen == sorted(seen)
