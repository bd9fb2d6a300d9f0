"""The explainer model, its JSON Schema, the output formats and the engine registry."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from importlib import resources

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from storybrief.errors import EngineError
from storybrief.explain import (
    SECTION_KEYS,
    Citation,
    Engine,
    EngineContext,
    Explainer,
    ExplainerSentence,
    Section,
    available_engines,
    explain_articles,
    explainer_json_schema,
    get_engine,
    published_schema,
    register_engine,
    render,
    to_html,
    to_json,
    to_markdown,
    to_text,
    unregister_engine,
)
from storybrief.explain.engines import Progress
from storybrief.explain.model import schema_text
from storybrief.records import Article


def example_article() -> Article:
    text = resources.files("storybrief").joinpath("examples", "article.txt").read_text("utf-8")
    return Article(
        id=1,
        text=text,
        title="North Korea’s Kim Arrives in China for Military Parade",
        site_name="Newsweek",
        url="https://www.newsweek.com/kim-china-parade",
        published_at=datetime(2025, 9, 2, 8, 0, tzinfo=timezone.utc),
    )


@pytest.fixture(scope="module")
def example() -> tuple[Article, Explainer]:
    article = example_article()
    return article, explain_articles([article])


# --- model and schema -------------------------------------------------------------------------


def test_schema_file_is_generated_from_the_model() -> None:
    assert published_schema() == explainer_json_schema(), (
        "explain/schema/explainer.schema.json is stale: regenerate it with "
        "python -c 'from storybrief.explain.model import write_schema; write_schema()'"
    )
    path = resources.files("storybrief.explain").joinpath("schema", "explainer.schema.json")
    assert path.read_text("utf-8") == schema_text()


def test_json_validates_against_the_schema(example: tuple[Article, Explainer]) -> None:
    _, explainer = example
    document = json.loads(to_json(explainer))
    jsonschema.Draft202012Validator.check_schema(published_schema())
    jsonschema.validate(document, published_schema(), cls=jsonschema.Draft202012Validator)
    assert Explainer.model_validate(document) == explainer  # round trip
    assert [s["key"] for s in document["sections"]] == list(SECTION_KEYS)


def test_schema_rejects_a_malformed_explainer(example: tuple[Article, Explainer]) -> None:
    document = json.loads(to_json(example[1]))
    document["sections"][0]["sentences"][0]["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, published_schema())


def test_sections_are_four_in_order() -> None:
    with pytest.raises(ValidationError):
        Explainer(headline="x", engine="t", sections=[Section(key="whats_happening")])
    with pytest.raises(ValidationError):
        Explainer(
            headline="x",
            engine="t",
            sections=[Section(key=k) for k in reversed(SECTION_KEYS)],
        )
    explainer = Explainer(headline="x", engine="t")
    assert [s.title for s in explainer.sections] == [
        "What's Happening?",
        "Why It's Important?",
        "What's Next?",
        "Beyond the Headlines",
    ]
    assert all(s.note for s in explainer.sections)  # empty sections say so


def test_checker_verdict_fits_the_model() -> None:
    sentence = ExplainerSentence(
        text="Kim met Xi.", citations=[Citation(article_id=1, sentence_index=0, start=0, end=11)]
    )
    assert sentence.verdict is None and sentence.reasons == []
    checked = sentence.model_copy(update={"verdict": "partly_supported", "reasons": ["x"]})
    assert ExplainerSentence.model_validate(checked.model_dump()).verdict == "partly_supported"
    with pytest.raises(ValidationError):
        ExplainerSentence(text="x", verdict="maybe")  # type: ignore[arg-type]


# --- plain text -------------------------------------------------------------------------------


def test_plain_text_has_the_example_layout(example: tuple[Article, Explainer]) -> None:
    article, explainer = example
    text = to_text(explainer)
    lines = text.split("\n")
    assert not text.endswith("\n")
    assert lines[0] == "What is the story about?"
    assert lines[1::2][:4] == [
        "What's Happening?",
        "Why It's Important?",
        "What's Next?",
        "Beyond the Headlines",
    ]
    assert lines[-2:] == ["AI Generated Content", "Do you find this article useful?"]
    assert len(lines) == 1 + 4 * 2 + 2  # each section: heading line, one paragraph
    for section, paragraph in zip(explainer.sections, lines[2:9:2], strict=True):
        assert paragraph == (section.text if section.sentences else section.note)
        assert "[" not in paragraph or not section.sentences or "[1:" not in paragraph
    # every sentence is a verbatim span of the article
    for _, _, sentence in explainer.sentences():
        c = sentence.citations[0]
        assert article.text[c.start : c.end] == sentence.text
        assert sentence.text in article.text


def test_plain_text_citation_markers(example: tuple[Article, Explainer]) -> None:
    _, explainer = example
    text = to_text(explainer, citations=True)
    first = explainer.sections[0].sentences[0]
    cited = first.citations[0]
    assert f"{first.text} [{cited.article_id}:{cited.sentence_index}]" in text
    assert to_text(explainer, headline=True).split("\n")[0] == explainer.headline


# --- markdown and html -------------------------------------------------------------------------


def test_markdown(example: tuple[Article, Explainer]) -> None:
    _, explainer = example
    md = to_markdown(explainer)
    assert md.startswith(f"# {explainer.headline}\n")
    for title in ("## What's Happening?", "## Why It's Important?", "## Sources"):
        assert title in md
    assert (
        "[North Korea’s Kim Arrives in China for Military Parade](<https://www.newsweek.com/" in md
    )
    assert " [1]" in md
    assert "*AI Generated Content*" in md
    assert md.rstrip().endswith("Do you find this article useful?")


def hostile_article() -> Article:
    return Article(
        id=5,
        title="<b>Bold</b> title",
        url="javascript:alert(1)",
        text="The council approved <script>alert('x')</script> the new budget on Monday evening. "
        "Officials said the budget & the plan would be published on Tuesday morning.",
    )


def test_html_escapes_source_text() -> None:
    article = hostile_article()
    explainer = explain_articles([article])
    html = to_html(explainer, [article])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "javascript:" not in html  # unsafe link dropped, title kept as text
    assert "&amp; the plan" in html
    assert html.startswith('<article class="storybrief-explainer">')
    assert html.endswith("</article>")


def test_html_citations_link_with_the_cited_sentence(example: tuple[Article, Explainer]) -> None:
    article, explainer = example
    html = to_html(explainer, [article])
    first = explainer.sections[0].sentences[0]
    assert '<sup class="sb-cite"><a href="#sb-source-1" title="North Korean leader' in html
    assert '<li id="sb-source-1"><a href="https://www.newsweek.com/kim-china-parade"' in html
    assert "AI Generated Content" in html and "Do you find this article useful?" in html
    assert first.text.replace("’", "’") in html
    plain = to_html(explainer)  # without articles: a generic title
    assert 'title="source 1:1"' in plain


def test_md_escapes_markup() -> None:
    article = Article(
        id=1,
        text="The [council] approved *two* budgets_today on Monday evening after a long debate.",
    )
    md = to_markdown(explain_articles([article]))
    assert r"The \[council\] approved \*two\* budgets\_today" in md


def test_render_dispatch(example: tuple[Article, Explainer]) -> None:
    _, explainer = example
    assert render(explainer, "text") == to_text(explainer)
    assert json.loads(render(explainer, "json"))["engine"] == "builtin"
    with pytest.raises(ValueError, match="unknown format"):
        render(explainer, "pdf")  # type: ignore[arg-type]


# --- registry -----------------------------------------------------------------------------------


class EchoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = "echo"


class EchoEngine(Engine):
    """An outside engine: publishes each article's first sentence."""

    name = "echo"

    def __init__(self, options: EchoOptions, context: EngineContext) -> None:
        self.options = options

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,
    ) -> Explainer:
        first = articles[0].sentences[0]
        sentence = ExplainerSentence(
            text=first.text,
            citations=[Citation(article_id=0, sentence_index=0, start=first.start, end=first.end)],
        )
        sections = [Section(key=k) for k in SECTION_KEYS]
        sections[0] = Section(key="whats_happening", sentences=[sentence])
        return Explainer(
            headline=headline or self.options.prefix,
            engine=self.name,
            engine_options=self.options.model_dump(),
            sections=sections,
        )


@pytest.fixture
def echo() -> Iterator[None]:
    register_engine("echo", EchoEngine, options=EchoOptions)
    yield
    unregister_engine("echo")


def test_registry_lists_the_built_in_engine() -> None:
    assert "builtin" in available_engines()
    engine = get_engine("builtin")
    assert isinstance(engine, Engine)
    assert engine.offline is True and engine.deterministic is True and not engine.streams


def test_outside_engines_plug_in(echo: None) -> None:
    assert "echo" in available_engines()
    article = Article(text="One sentence here. Another one there.")
    explainer = explain_articles([article], engine="echo", prefix="hi")
    assert explainer.headline == "hi"
    assert explainer.sections[0].sentences[0].text == "One sentence here."
    with pytest.raises(EngineError, match="already registered"):
        register_engine("echo", lambda options, context: EchoEngine(options, context))


def test_unknown_engine_and_bad_options_raise_engine_error() -> None:
    with pytest.raises(EngineError, match="no explainer engine named 'nope'"):
        get_engine("nope")
    with pytest.raises(EngineError, match="colour"):
        get_engine("builtin", colour="red")
    with pytest.raises(EngineError, match="max_words"):
        get_engine("builtin", max_words="many")
    with pytest.raises(EngineError, match="engine name"):
        register_engine("bad name!", EchoEngine)


def test_engine_instance_can_be_passed() -> None:
    engine = get_engine("builtin", max_sentences=3)
    explainer = explain_articles([example_article()], engine)
    assert explainer.engine_options["max_sentences"] == 3
    with pytest.raises(EngineError, match="options can only be given"):
        explain_articles([example_article()], engine, max_sentences=2)
