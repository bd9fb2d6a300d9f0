"""LLM engines without a model: the shared prompt, parsing and repair, condensing, and the
``openai`` engine against a scripted OpenAI-compatible server on 127.0.0.1 (tests/servers.py)
that plays the model: malformed answers, server down, missing model, time-outs, retries,
response_format fallback, streaming, rewriting, settings flowing from the library, the stored
explainer as the only cache, and the API key's secrecy.
The real-model tests are in test_llm_models.py."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from tests.llm_server import chat_reply, draft, free_port, stream_reply
from tests.servers import LocalHTTPServer, RecordedRequest, Reply

from storybrief.errors import EngineError, MissingExtraError
from storybrief.explain.llm import generation_of, register_engines
from storybrief.explain.llm.openai_engine import OpenAIEngine, OpenAIOptions
from storybrief.explain.llm.parse import ParseError, close_truncated, extract_object, parse_draft
from storybrief.explain.llm.prompt import (
    PROMPT_VERSION,
    PromptTemplate,
    answer_schema,
    condense_sources,
    messages,
    number_sources,
    parse_id,
)
from storybrief.records import Article
from storybrief.settings import Settings
from storybrief.verify import Checker

EXAMPLE = resources.files("storybrief").joinpath("examples", "article.txt").read_text("utf-8")

# Sentences of the example article, by the id the model sees.
S1 = "North Korean leader Kim Jong Un crossed into China by train on Tuesday."
S2 = "He also has meetings with Chinese President Xi Jinping and Russian President Vladimir Putin."
UNSUPPORTED = "Kim's train journey to Beijing took about 20 hours."  # not in the article
# The tests of the answer's handling (parsing, repair, checking, streaming, the server's
# errors) ask with the first prompt, which shows the model every sentence; those of the
# default prompt, which starts from the sentences chosen for each section, are in
# test_llm_planned.py.
V1 = "explainer-v1"


@pytest.fixture
def article() -> Article:
    return Article(text=EXAMPLE)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with LocalHTTPServer() as s:
        yield s


def engine(server: LocalHTTPServer, tmp_path: Path, **options: object) -> OpenAIEngine:
    defaults: dict[str, object] = {
        "base_url": server.url("/v1"),
        "model": "scripted",
        "retries": 0,
        "backoff": 0.0,
        "timeout": 5.0,
        "prompt_version": V1,
    }
    return OpenAIEngine(OpenAIOptions(**{**defaults, **options}))


def bodies(server: LocalHTTPServer) -> list[dict]:
    return [json.loads(r.body) for r in server.requests_to("/v1/chat/completions")]


# --- the prompt -------------------------------------------------------------------------------


def test_prompt_files_load_and_render(article: Article) -> None:
    assert PromptTemplate.load().version == PROMPT_VERSION == "explainer-v2"
    template = PromptTemplate.load(V1)
    assert template.version == V1
    assert {"system", "user", "repair", "regenerate"} <= set(template.templates)
    chat = messages(template, number_sources([article]))
    assert [m["role"] for m in chat] == ["system", "user"]
    assert "[A1.S1] North Korean leader Kim Jong Un crossed into China" in chat[1]["content"]
    assert "$" not in chat[0]["content"] + chat[1]["content"]
    with pytest.raises(EngineError, match="no prompt version 'explainer-v0'"):
        PromptTemplate.load("explainer-v0")


def test_sources_are_numbered_without_headings_or_feed_furniture(article: Article) -> None:
    sources = number_sources([article, Article(text="Second article. It has two sentences.")])
    ids = [s.id for s in sources]
    assert ids[:3] == ["A1.S1", "A1.S2", "A1.S4"]  # S3 is the heading "Why It Matters"
    assert "A2.S1" in ids and "A2.S2" in ids
    texts = " ".join(s.text for s in sources)
    assert "appeared first on Newsweek" not in texts and "Why It Matters" not in texts
    first = sources[0]
    assert article.text[first.citation.start : first.citation.end] == first.text
    assert first.citation.article_id == 0 and first.citation.sentence_index == 0
    assert parse_id("[a2.s10]") == "A2.S10" and parse_id("A1:S3") == "A1.S3"
    assert parse_id("S3") is None


def test_answer_schema_is_valid_and_narrowed_to_shown_ids(article: Article) -> None:
    template = PromptTemplate.load()
    ids = [s.id for s in number_sources([article])]
    schema = answer_schema(template, ids)
    jsonschema.Draft202012Validator.check_schema(schema)
    sections = {
        "whats_happening": [(S1, ["A1.S1"]), (S2, ["A1.S2"])],
        "why_its_important": [(S2, ["A1.S2", "A1.S7"])],
        "beyond_the_headlines": [(S1, ["A1.S19"])],
    }
    jsonschema.validate(json.loads(draft("Kim goes to Beijing", **sections)), schema)
    sections["whats_happening"] = [(S1, ["A1.S3"]), (S2, ["A1.S2"])]
    bad = json.loads(draft("x", **sections))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)  # A1.S3 is a heading: not a citable id


def test_long_stories_are_condensed_to_central_sentences(article: Article) -> None:
    sources = number_sources([article])
    assert condense_sources(sources, 100_000) == sources
    kept = condense_sources(sources, 150)
    assert 0 < len(kept) < len(sources)
    assert sum(len(s.line()) // 3 + 2 for s in kept) <= 150
    assert kept == sorted(kept, key=sources.index)  # reading order
    assert kept[0].id == "A1.S1"  # the lead stays


# --- parsing ----------------------------------------------------------------------------------


def test_json_is_found_in_chatter_and_fences() -> None:
    assert extract_object('Sure! ```json\n{"a": 1}\n``` Hope it helps') == {"a": 1}
    assert extract_object('Here: {"a": {"b": [1, 2]}} and {"c": 3}') == {"a": {"b": [1, 2]}}
    with pytest.raises(ParseError, match="no JSON object"):
        extract_object("I cannot help with that.")


def test_an_answer_cut_off_at_the_token_limit_is_closed() -> None:
    full = draft("H", whats_happening=[(S1, ["A1.S1"]), (S2, ["A1.S2"])])
    cut = full[: full.index(S2) + 20]
    salvaged = close_truncated(cut)
    assert salvaged is not None
    assert [s["text"] for s in salvaged["sections"]["whats_happening"]] == [S1]
    assert parse_draft(cut).sections.whats_happening[0].text == S1


def test_validation_errors_are_described_for_the_model() -> None:
    with pytest.raises(ParseError, match=r"sections\.whats_happening: Field required"):
        parse_draft('{"headline": "x", "sections": {"why_its_important": []}}')
    with pytest.raises(
        ParseError,
        match="whats_happening: List should have at least 1 item.*"
        "whats_next: Input should be a valid list",
    ):
        parse_draft(json.dumps({"sections": {"whats_happening": [], "whats_next": "none"}}))
    lifted = parse_draft(json.dumps({"whats_happening": [{"text": S1, "sources": "A1.S1"}]}))
    assert lifted.sections.whats_happening[0].sources == ["A1.S1"]


# --- the openai engine against a scripted server ------------------------------------------


def test_malformed_json_is_sent_back_and_only_supported_sentences_are_published(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    answers = [
        chat_reply('{"headline": "Kim", "sections": {"whats_happening": [{"text": "Kim'),
        chat_reply(
            draft(
                "Kim Jong Un crossed into China",
                whats_happening=[(S1, ["A1.S1"]), (UNSUPPORTED, ["A1.S1"])],
                why_its_important=[(S2, ["A1.S2"])],
            )
        ),
    ]
    server.route("/v1/chat/completions", lambda _: Reply(body=answers.pop(0)))
    explainer = engine(server, tmp_path).explain([article])

    sent = bodies(server)
    assert len(sent) == 2
    repair = sent[1]["messages"][-1]["content"]
    assert repair.startswith("That answer could not be used")
    assert sent[0]["response_format"]["type"] == "json_schema"
    assert sent[0]["temperature"] == 0.0 and sent[0]["seed"] == 0

    published = [s for _, _, s in explainer.sentences()]
    assert [s.text for s in published] == [S1, S2]
    checker = Checker()
    for sentence in published:
        assert sentence.verdict == "supported" and sentence.citations
        assert checker.check_sentence(sentence.text, [article], sentence.citations).supported
    record = generation_of(explainer)
    assert record is not None
    assert record.engine == "openai" and record.model == "scripted"
    assert record.prompt_version == V1
    assert record.requests == 2 and record.repairs == 1 and record.drafted == 3
    assert record.prompt_tokens == 100 and record.completion_tokens == 40
    assert [d.text for d in record.dropped] == [UNSUPPORTED]
    assert "20" in record.dropped[0].reason
    assert explainer.engine == "openai" and explainer.headline == "Kim Jong Un crossed into China"


def test_empty_and_repeated_sentences_are_not_published(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    # A model that copies a placeholder ("...") cites real sentences but says nothing.
    sections = {
        "whats_happening": [("...", ["A1.S1"]), (S1, ["A1.S1"])],
        "why_its_important": [("It is.", ["A1.S2"]), (S1.replace(".", "!"), ["A1.S1"])],
    }
    server.route("/v1/chat/completions", body=chat_reply(draft("", **sections)))
    explainer = engine(server, tmp_path).explain([article])
    assert [s.text for _, _, s in explainer.sentences()] == [S1]
    reasons = [d.reason for d in generation_of(explainer).dropped]  # type: ignore[union-attr]
    assert reasons == [
        "no statement: too few content words",
        "no statement: too few content words",
        "repeats an earlier sentence",
    ]


def test_an_answer_that_never_parses_is_an_engine_error(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    server.route("/v1/chat/completions", body=chat_reply("Sorry, I can't do JSON."))
    with pytest.raises(EngineError, match="not a usable explainer after 3 tries: .*no JSON"):
        engine(server, tmp_path).explain([article])
    assert len(server.requests_to("/v1/chat/completions")) == 3


def test_server_down(tmp_path: Path, article: Article) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    options = OpenAIOptions(base_url=base, model="m", retries=1, backoff=0.01)
    with pytest.raises(EngineError) as caught:
        OpenAIEngine(options).explain([article])
    assert str(caught.value) == (
        f"cannot reach the OpenAI-compatible server at {base}: connection refused"
    )


def test_model_missing(server: LocalHTTPServer, tmp_path: Path, article: Article) -> None:
    server.route(
        "/v1/chat/completions",
        status=404,
        body=b'{"error": {"message": "model \'nope\' not found", "type": "not_found"}}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(EngineError, match=r"model 'nope' not found at the OpenAI-compatible"):
        engine(server, tmp_path, model="nope").explain([article])


def test_wrong_base_url(server: LocalHTTPServer, tmp_path: Path, article: Article) -> None:
    options = OpenAIOptions(base_url=server.url(""), model="m", retries=0)
    with pytest.raises(EngineError, match=r"no chat-completions endpoint .* ends in /v1"):
        OpenAIEngine(options).explain([article])


def test_timeouts_are_retried_then_reported(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    server.route("/v1/chat/completions", Reply(body=chat_reply("{}"), delay=2.0))
    slow = engine(server, tmp_path, timeout=0.3, retries=1, backoff=0.01)
    with pytest.raises(EngineError, match=r"did not answer within 0.3 s \(option timeout\)"):
        slow.explain([article])
    assert len(server.requests_to("/v1/chat/completions")) == 2


def test_5xx_is_retried_with_backoff(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    answers = [
        Reply(status=503, body=b"loading model"),
        Reply(body=chat_reply(draft("", whats_happening=[(S1, ["A1.S1"])]))),
    ]
    server.route("/v1/chat/completions", lambda _: answers.pop(0))
    explainer = engine(server, tmp_path, retries=2, backoff=0.01).explain([article])
    assert [s.text for _, _, s in explainer.sentences()] == [S1]
    assert len(server.requests_to("/v1/chat/completions")) == 2


def test_response_format_falls_back_to_what_the_server_accepts(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    def reply(request: RecordedRequest) -> Reply:
        kind = json.loads(request.body).get("response_format", {}).get("type")
        if kind == "json_schema":
            return Reply(status=422, body=b'{"detail": "response_format.type: unexpected value"}')
        return Reply(body=chat_reply(draft("", whats_happening=[(S1, ["A1.S1"])])))

    server.route("/v1/chat/completions", reply)
    explainer = engine(server, tmp_path).explain([article])
    sent = bodies(server)
    assert [b["response_format"]["type"] for b in sent] == ["json_schema", "json_object"]
    assert "enum" in json.dumps(sent[1]["response_format"]["schema"])
    assert explainer.engine_options["structured"] == "json_object"


def test_streaming_reports_progress(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    content = draft("", whats_happening=[(S1, ["A1.S1"])])
    server.route(
        "/v1/chat/completions",
        Reply(body=stream_reply(content), headers={"Content-Type": "text/event-stream"}),
    )
    seen: list[int] = []
    explainer = engine(server, tmp_path).explain([article], progress=seen.append)
    assert bodies(server)[0]["stream"] is True
    assert seen == sorted(seen) and len(seen) >= 5
    assert [s.text for _, _, s in explainer.sentences()] == [S1]


def test_cli_explain_with_the_openai_engine_streams_and_publishes_only_supported(
    server: LocalHTTPServer, tmp_path: Path, test_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`storybrief explain FILE --engine openai`: the API passes the CLI's progress callback to
    a streaming engine, and only the checked sentence is printed, in the example's layout."""
    from typer.testing import CliRunner

    from storybrief import api
    from storybrief.cli import app

    content = draft(
        "",
        whats_happening=[(S1, ["A1.S1"]), (UNSUPPORTED, ["A1.S1"])],
        whats_next=[(S2, ["A1.S2"])],
    )
    server.route(
        "/v1/chat/completions",
        Reply(body=stream_reply(content), headers={"Content-Type": "text/event-stream"}),
    )
    source = tmp_path / "article.txt"
    source.write_text(EXAMPLE, encoding="utf-8")
    options = {"base_url": server.url("/v1"), "model": "scripted", "retries": 0}
    options["prompt_version"] = V1
    seen: list[int] = []
    result = api.explain(
        [source], engine="openai", options=options, settings=test_settings, progress=seen.append
    )
    assert seen and seen == sorted(seen)
    assert [s.text for _, _, s in result.explainer.sentences()] == [S1, S2]

    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    argv = ["explain", str(source), "--engine", "openai", "--regenerate", "--verdicts"]
    argv += [f"-o{key}={value}" for key, value in options.items()]
    out = CliRunner().invoke(app, argv)
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().split("\n")
    assert lines[:3] == ["What is the story about?", "What's Happening?", S1]
    assert S2 in lines and UNSUPPORTED not in out.stdout
    assert lines[-2:] == ["AI Generated Content", "Do you find this article useful?"]
    # --verdicts: the sentence the engine dropped is listed with the checker's reason
    verdicts = " ".join(out.stderr.split())
    assert "dropped" in verdicts and "20 hours" in verdicts and "supported" in verdicts


def test_the_database_is_the_only_explainer_store_and_regenerate_asks_again(
    server: LocalHTTPServer, tmp_path: Path, test_settings: Settings
) -> None:
    """An explainer is kept once, in the database, keyed by its sources and the engine's
    identity: the same request reuses it without a model request; another model, other
    sources or --regenerate ask the model again, and a regenerated version is never marked as
    coming from a cache."""
    from storybrief.library import Library

    server.route(
        "/v1/chat/completions", body=chat_reply(draft("", whats_happening=[(S1, ["A1.S1"])]))
    )
    source = tmp_path / "article.txt"
    source.write_text(EXAMPLE, encoding="utf-8")
    options = {"base_url": server.url("/v1"), "model": "scripted", "retries": 0}
    options["prompt_version"] = V1
    requests = lambda: len(server.requests_to("/v1/chat/completions"))  # noqa: E731
    with Library(test_settings) as lib:
        first = lib.explain([source], engine="openai", options=options)
        again = lib.explain(story_id=first.story_id, engine="openai", options=options)
        assert requests() == 1 and again.reused and again.version == 1
        fresh = lib.explain(
            story_id=first.story_id, engine="openai", options=options, regenerate=True
        )
        assert requests() == 2 and not fresh.reused and fresh.version == 2
        assert "cached" not in fresh.explainer.engine_options["generation"]
        other = lib.explain(
            story_id=first.story_id, engine="openai", options={**options, "model": "other"}
        )
        assert requests() == 3 and other.version == 3
    assert not list(tmp_path.rglob("cache/explainers"))  # no second store on disk


def test_unsupported_sentences_can_be_rewritten_once(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    answers = [
        chat_reply(draft("", whats_happening=[(UNSUPPORTED, ["A1.S1"])])),
        chat_reply(json.dumps({"text": S1, "sources": ["A1.S1"]})),
    ]
    server.route("/v1/chat/completions", lambda _: Reply(body=answers.pop(0)))
    explainer = engine(server, tmp_path, rewrite_unsupported=True).explain([article])
    sent = bodies(server)
    assert "not supported by the sources" in sent[1]["messages"][-1]["content"]
    assert "20 hours" in sent[1]["messages"][-1]["content"]
    assert [s.text for _, _, s in explainer.sentences()] == [S1]
    assert generation_of(explainer).rewritten == 1  # type: ignore[union-attr]


def test_the_api_key_is_sent_but_never_shown(
    server: LocalHTTPServer, tmp_path: Path, article: Article
) -> None:
    secret = "sk-test-very-secret"
    server.route("/v1/chat/completions", status=401, body=b'{"error": "bad key"}')
    eng = engine(server, tmp_path, api_key=secret)
    with pytest.raises(EngineError) as caught:
        eng.explain([article])
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    shown = " ".join([str(caught.value), repr(eng), repr(eng.options), repr(eng.backend)])
    assert secret not in shown and "401" in str(caught.value)
    server.route(
        "/v1/chat/completions", body=chat_reply(draft("", whats_happening=[(S1, ["A1.S1"])]))
    )
    explainer = eng.explain([article])
    assert secret not in explainer.model_dump_json()


def test_the_openai_engine_takes_its_settings_from_the_library(
    server: LocalHTTPServer,
    tmp_path: Path,
    article: Article,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings reach the engines only through the library: a hand-built Settings object is
    exactly what the engine gets (no file or environment read below it), and the library's one
    checker checks the drafts."""
    from storybrief.library import Library
    from storybrief.settings import load_settings

    secret = "sk-from-the-environment"
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__OPENAI__BASE_URL", server.url("/v1"))
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__OPENAI__MODEL", "from-settings")
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__OPENAI__API_KEY", secret)
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__REWRITE_UNSUPPORTED", "true")
    monkeypatch.setenv("STORYBRIEF_CHECK__ACCEPT_PARTLY", "true")
    settings = load_settings()
    assert secret not in repr(settings) and secret not in str(settings)
    server.route(
        "/v1/chat/completions", body=chat_reply(draft("", whats_happening=[(S1, ["A1.S1"])]))
    )
    lib = Library(settings)
    eng = lib.engine("openai")
    assert eng.options.rewrite_unsupported  # type: ignore[attr-defined]
    assert eng.checker is lib.checker and eng.checker.options.accept_partly  # type: ignore[attr-defined]
    explainer = eng.explain([article])
    request = server.requests_to("/v1/chat/completions")[0]
    assert request.headers["authorization"] == f"Bearer {secret}"
    assert json.loads(request.body)["model"] == "from-settings"
    assert explainer.engine_options["base_url"] == server.url("/v1")
    assert secret not in explainer.model_dump_json()
    # an option given by the caller wins over the settings
    assert not lib.engine("openai", {"rewrite_unsupported": False}).options.rewrite_unsupported  # type: ignore[attr-defined]

    # a Settings object built by hand is what the engine gets: nothing is read from elsewhere
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__OPENAI__MODEL", "from-environment-later")
    own = settings.model_copy(deep=True)
    own.explain.openai.model = "by-hand"
    own.explain.rewrite_unsupported = False
    by_hand = Library(own).engine("openai")
    assert by_hand.backend.model == "by-hand"  # type: ignore[attr-defined]
    assert not by_hand.options.rewrite_unsupported  # type: ignore[attr-defined]


def test_options_are_strict_and_engines_register() -> None:
    with pytest.raises(ValueError, match="extra"):
        OpenAIOptions(temprature=0.5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="http"):
        OpenAIOptions(base_url="ftp://example")
    registered: dict[str, object] = {}
    register_engines(lambda name, factory, **kw: registered.update({name: kw["options"]}))
    assert set(registered) == {"openai", "llamacpp"}


# --- the llamacpp engine without a model --------------------------------------------------


def test_llamacpp_without_the_extra_names_the_pip_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from storybrief.explain.llm.llamacpp_engine import LlamaCppEngine, LlamaCppOptions

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'storybrief\[llamacpp\]'"):
        LlamaCppEngine(LlamaCppOptions(model_path=tmp_path / "m.gguf"))


def test_llamacpp_without_a_model_names_the_pip_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from storybrief.explain.llm import llamacpp_engine

    monkeypatch.setattr(llamacpp_engine, "SHIPPED_MODELS", ())
    monkeypatch.setattr(
        llamacpp_engine,
        "SHIPPED_MODELS",
        (llamacpp_engine.ShippedModel("x.gguf", (("no_such_pkg_x", "x.bin"),), 1, "0"),),
    )
    with pytest.raises(MissingExtraError, match=r"pip install 'storybrief\[llamacpp-model\]'"):
        llamacpp_engine.LlamaCppEngine(llamacpp_engine.LlamaCppOptions())
    with pytest.raises(EngineError, match="no GGUF model file at"):
        llamacpp_engine.LlamaCppEngine(
            llamacpp_engine.LlamaCppOptions(model_path=tmp_path / "none.gguf")
        )


def test_shipped_model_parts_are_joined_once_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import hashlib

    from storybrief.explain.llm.llamacpp_engine import ShippedModel, shipped_model

    for i, data in enumerate([b"GGUF-part-one-", b"part-two"], 1):
        package = tmp_path / "site" / f"fake_model_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{i}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"GGUF-part-one-part-two"
    parts = (("fake_model_part1", "data/part1.bin"), ("fake_model_part2", "data/part2.bin"))
    model = ShippedModel("fake.gguf", parts, len(whole), hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr("storybrief.explain.llm.llamacpp_engine.SHIPPED_MODELS", (model,))
    path = shipped_model(tmp_path / "models")
    assert path == tmp_path / "models" / "fake.gguf" and path.read_bytes() == whole
    assert shipped_model(tmp_path / "models") == path

    wrong = ShippedModel("bad.gguf", parts, len(whole), "0" * 64)
    monkeypatch.setattr("storybrief.explain.llm.llamacpp_engine.SHIPPED_MODELS", (wrong,))
    with pytest.raises(EngineError, match="SHA-256 mismatch"):
        shipped_model(tmp_path / "models")
    assert not (tmp_path / "models" / "bad.gguf").exists()


class LoadedModel:
    """Stands for a llama_cpp.Llama in the module's cache: counts its close() calls."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_loaded_llamacpp_model_is_freed_when_the_last_library_closes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """llama.cpp keeps the last model used loaded for every llamacpp engine of the process
    (weights and context: hundreds of MB); ``close_models`` frees it, through the engine
    registry's release hook, when the last open library closes — not while another library
    may be using it, nor only at interpreter exit."""
    import weakref

    import storybrief.library
    from storybrief.explain.engines import register_engine, unregister_engine
    from storybrief.explain.llm import llamacpp_engine
    from storybrief.library import Library

    monkeypatch.setattr(storybrief.library, "_OPEN", weakref.WeakSet())  # this test's only
    model = LoadedModel()
    monkeypatch.setitem(llamacpp_engine._MODELS, (str(tmp_path / "m.gguf"), 256, 1, 8, 0), model)

    def broken_release() -> None:
        raise RuntimeError("cannot free")

    register_engine("leaky", lambda options, context: None, release=broken_release)
    try:
        first = Library(Settings(data_dir=tmp_path))
        second = Library(Settings(data_dir=tmp_path))
        assert "llamacpp" in first.engines()[0]
        first.close()
        assert model.closed == 0  # the second library may be using it
        second.close()  # a release that fails is logged; the library still closes
        second.close()
    finally:
        unregister_engine("leaky")
    assert model.closed == 1 and not llamacpp_engine._MODELS
    assert "releasing an engine's resources failed" in caplog.text


def test_what_the_engine_was_asked_and_answered_is_kept_and_shown(
    server: LocalHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like `llm logs`: every request the openai engine sent (a real OpenAI-compatible server
    on 127.0.0.1, scripted: a malformed answer, then a good one after the repair prompt) is
    stored with its explainer version, messages as sent and answer as received — not in the
    explainer's document — and shown by `storybrief logs` and GET /api/v1/explainers/{id}/calls
    (with the API token)."""
    from fastapi.testclient import TestClient
    from tests.appserver import TOKEN, make_settings
    from typer.testing import CliRunner

    from storybrief.cli import app
    from storybrief.library import Library
    from storybrief.serve.app import create_app

    good = draft("", whats_happening=[(S1, ["A1.S1"])])
    answers = [chat_reply("not json at all", prompt=70, completion=5), chat_reply(good)]
    server.route("/v1/chat/completions", lambda request: Reply(body=answers.pop(0)))
    source = tmp_path / "article.txt"
    source.write_text(EXAMPLE, encoding="utf-8")
    options = {"base_url": server.url("/v1"), "model": "scripted", "retries": 0}
    options["prompt_version"] = V1
    settings = make_settings(tmp_path, monkeypatch)
    with Library(settings) as lib:
        result = lib.explain([source], engine="openai", options=options)
        builtin = lib.explain(story_id=result.story_id, engine="builtin")
        calls = lib.engine_calls(story_id=result.story_id)
        assert lib.engine_calls(explainer_id=builtin.explainer_id) == []
    sent = bodies(server)
    assert [(c.explainer_id, c.version, c.position) for c in calls] == [
        (result.explainer_id, 1, 0),
        (result.explainer_id, 1, 1),
    ]
    assert [c.messages for c in calls] == [s["messages"] for s in sent]
    assert [c.response for c in calls] == ["not json at all", good]
    assert (calls[0].prompt_tokens, calls[0].completion_tokens) == (70, 5)
    assert calls[0].engine == "openai" and calls[0].model == "scripted"
    assert calls[1].messages[-1]["role"] == "user" and calls[1].messages[-2] == {
        "role": "assistant",
        "content": "not json at all",
    }
    stored = result.explainer.engine_options["generation"]
    assert "calls" not in stored and stored["requests"] == 2  # the document stays as it was

    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    shown = CliRunner().invoke(app, ["logs", "--story", str(result.story_id), "--json"])
    assert shown.exit_code == 0, shown.output
    assert [c["response"] for c in json.loads(shown.stdout)] == ["not json at all", good]
    plain = CliRunner().invoke(app, ["logs", "-n", "1"], env={"COLUMNS": "200"})
    assert plain.exit_code == 0, plain.output
    assert "request 1: openai scripted" in plain.stdout and "not json at all" in plain.stdout
    assert "request 2" not in plain.stdout and "Kim Jong Un" in plain.stdout  # the sources

    with TestClient(create_app(settings)) as client:
        path = f"/api/v1/explainers/{result.explainer_id}/calls"
        assert client.get(path).status_code == 401
        api = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert api.status_code == 200, api.text
        assert [c["response"] for c in api.json()] == ["not json at all", good]
        assert api.json()[1]["messages"] == sent[1]["messages"]
        missing = client.get(
            "/api/v1/explainers/999/calls", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert missing.status_code == 404
