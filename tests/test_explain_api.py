"""`storybrief explain` / `check` end to end: ingest, engine, the checker's gate, versioned
storage, and the CLI's formats and errors."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from storybrief.api import explain
from storybrief.cli import app
from storybrief.errors import ConfigError, SourceError
from storybrief.explain import (
    Citation,
    Engine,
    Explainer,
    ExplainerSentence,
    Section,
    published_schema,
    register_engine,
    unregister_engine,
)
from storybrief.explain.engines import Progress
from storybrief.records import Article
from storybrief.store import Store

EXAMPLE = Path(str(resources.files("storybrief").joinpath("examples", "article.txt")))
HEADINGS = ["What's Happening?", "Why It's Important?", "What's Next?", "Beyond the Headlines"]


@pytest.fixture
def store(test_settings):
    with Store.open(test_settings) as opened:
        yield opened


class InventingEngine(Engine):
    """Writes one true sentence (copied from the source) and one the source does not support,
    citing the same source sentence — what a careless model does."""

    name = "inventing"

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,
    ) -> Explainer:
        article = articles[0]
        first = article.sentences[0]
        cite = [Citation(article_id=article.id, sentence_index=0, start=first.start, end=first.end)]
        return Explainer(
            headline=headline or "h",
            engine=self.name,
            sections=[
                Section(
                    key="whats_happening",
                    sentences=[
                        ExplainerSentence(text=first.text, citations=cite),
                        ExplainerSentence(
                            text="The journey took 20 hours on a green armored train.",
                            citations=cite,
                        ),
                    ],
                ),
                Section(
                    key="why_its_important",
                    sentences=[
                        ExplainerSentence(
                            text="Kim has never met Putin before, officials in Seoul said.",
                            citations=cite,
                        )
                    ],
                ),
                Section(key="whats_next"),
                Section(key="beyond_the_headlines"),
            ],
        )


@pytest.fixture
def inventing_engine():
    register_engine("inventing", lambda options, context: InventingEngine())
    yield "inventing"
    unregister_engine("inventing")


def test_explain_a_file_stores_a_checked_version_with_exact_citations(test_settings, store):
    result = explain(EXAMPLE, settings=test_settings, store=store)
    assert result.story_id is not None and result.version == 1 and not result.reused
    explainer = result.explainer
    assert [s.title for s in explainer.sections] == HEADINGS
    article = store.articles.get(result.ingest.article_ids[0])
    sentences = [s for _, _, s in explainer.sentences()]
    assert len(sentences) >= 8
    for sentence in sentences:
        assert sentence.verdict == "supported"
        assert sentence.citations
        for c in sentence.citations:  # every citation points at the stored text it quotes
            assert article.text[c.start : c.end] == article.sentences[c.sentence_index].text
            assert c.article_id == article.id
    stored = store.explainers.latest(result.story_id)
    assert stored.version == 1 and stored.document["headline"] == explainer.headline
    rows = store.explainers.sentences(stored.id)
    assert [r.text for r in rows] == [s.text for s in sentences]
    assert all(r.verdict == "supported" and r.citations for r in rows)


def test_unchanged_story_reuses_its_version_and_regenerate_writes_the_next(test_settings, store):
    first = explain(EXAMPLE, settings=test_settings, store=store)
    again = explain(EXAMPLE, settings=test_settings, store=store)
    assert again.reused and again.version == 1 and again.explainer.body == first.explainer.body
    by_story = explain(story_id=first.story_id, settings=test_settings, store=store)
    assert by_story.reused and by_story.story_id == first.story_id
    fresh = explain(story_id=first.story_id, regenerate=True, settings=test_settings, store=store)
    assert not fresh.reused and fresh.version == 2
    assert [v.version for v in store.explainers.versions(first.story_id)] == [2, 1]


def test_the_gate_drops_what_the_sources_do_not_support(test_settings, store, inventing_engine):
    result = explain(EXAMPLE, engine=inventing_engine, settings=test_settings, store=store)
    published = [s.text for _, _, s in result.explainer.sentences()]
    assert published == [store.articles.get(result.ingest.article_ids[0]).sentences[0].text]
    dropped = {text: verdict for _, text, verdict in result.check.dropped}
    assert len(dropped) == 2
    assert any("20 hours" in r for v in dropped.values() for r in v.reasons)
    # the section left empty says so rather than pretending
    why = result.explainer.section("why_its_important")
    assert not why.sentences and why.note
    rows = store.explainers.sentences(result.explainer_id)
    assert len(rows) == 1 and rows[0].verdict == "supported"


def test_policy_mark_keeps_rejected_sentences_with_their_verdict(
    test_settings, store, inventing_engine
):
    test_settings.check.policy = "mark"
    result = explain(EXAMPLE, engine=inventing_engine, settings=test_settings, store=store)
    verdicts = {s.text: s.verdict for _, _, s in result.explainer.sentences()}
    assert len(verdicts) == 3
    assert verdicts["The journey took 20 hours on a green armored train."] == "unsupported"
    assert not result.check.dropped


def test_explain_needs_articles(test_settings, store, tmp_path):
    with pytest.raises(SourceError, match="no article to explain.*no such file"):
        explain(tmp_path / "missing.txt", settings=test_settings, store=store)
    with pytest.raises(ConfigError):
        explain(settings=test_settings, store=store)


def test_explicit_sources_are_one_story(test_settings, store):
    html = Path(__file__).parent / "data" / "ingest" / "article-1.html"
    one = explain(EXAMPLE, settings=test_settings, store=store)
    other = explain(html, settings=test_settings, store=store)
    assert other.story_id != one.story_id
    both = explain([EXAMPLE, html], settings=test_settings, store=store)
    # the larger story lying wholly inside the sources takes in the rest and keeps its history
    assert both.story_id == one.story_id and both.version == 2
    assert len(both.explainer.sources) == 2
    assert sorted(store.stories.article_ids(one.story_id)) == sorted(both.ingest.article_ids)
    assert [s.id for s in store.stories.summaries()] == [one.story_id]  # the emptied story is gone


@pytest.fixture
def cli(test_settings, monkeypatch):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(test_settings.data_dir))
    return CliRunner()


def test_cli_explain_example_prints_the_page_layout(cli):
    result = cli.invoke(app, ["explain", "--example"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().split("\n")
    assert lines[0] == "What is the story about?"
    assert [line for line in lines if line in HEADINGS] == HEADINGS
    assert lines[-2:] == ["AI Generated Content", "Do you find this article useful?"]
    assert "appeared first on" not in result.stdout
    body = " ".join(line for line in lines[1:-2] if line not in HEADINGS)
    article = EXAMPLE.read_text(encoding="utf-8")
    article_words = set(re.findall(r"\w+", article))
    for sentence in body.replace("” ", "”\n").split(". "):
        # every published sentence is copied from the article (the builtin engine); the gate
        # may write a person's full name, from the article, at first mention ("Donald Trump
        # said ..." for "Trump said ...")
        copied = sentence.strip().rstrip(".")[:60] in article
        assert copied or set(re.findall(r"\w+", sentence)) <= article_words, sentence


def test_cli_explain_formats(cli):
    as_json = cli.invoke(app, ["explain", str(EXAMPLE), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    jsonschema.validate(document, published_schema())
    assert document["version"] == 1 and document["story_id"] == 1
    html = cli.invoke(app, ["explain", str(EXAMPLE), "-f", "html"])
    assert html.exit_code == 0 and "<h2" in html.stdout and "<script" not in html.stdout
    markdown = cli.invoke(app, ["explain", str(EXAMPLE), "-f", "markdown"])
    assert "## What's Happening?" in markdown.stdout
    cited = cli.invoke(app, ["explain", str(EXAMPLE), "--citations"])
    # the markers number articles and sentences as `show --sentences` does (from 0)
    first = re.search(r"^(.+?) \[(\d+):(\d+)\]", cited.stdout.splitlines()[2])
    assert first is not None, cited.stdout
    sentence, article_id, index = first.group(1), first.group(2), int(first.group(3))
    shown = cli.invoke(app, ["show", article_id, "--sentences"])
    numbered = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"^\s*(\d+) (.+)$", shown.stdout, flags=re.M)
    }
    assert numbered[index][:40] in sentence
    assert document["sections"][0]["sentences"][0]["citations"][0]["sentence_index"] == index


def test_cli_help_shows_the_citation_marker_literally(cli):
    shown = cli.invoke(app, ["explain", "--help"], terminal_width=200)
    assert "[article:sentence]" in shown.stdout


def test_cli_explain_errors_are_one_line(cli, tmp_path):
    nothing = cli.invoke(app, ["explain"])
    assert nothing.exit_code == 2 and "nothing to explain" in nothing.output
    missing = cli.invoke(app, ["explain", str(tmp_path / "gone.txt")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad_format = cli.invoke(app, ["explain", "--example", "-f", "pdf"])
    assert bad_format.exit_code == 2 and "unknown format" in bad_format.output
    bad_engine = cli.invoke(app, ["explain", "--example", "--engine", "nope"])
    assert bad_engine.exit_code == 2 and "nope" in bad_engine.output


def test_cli_check_flags_invented_facts(cli, tmp_path):
    text = tmp_path / "explainer.txt"
    text.write_text(
        "What's Happening?\n"
        "Kim Jong Un crossed into China by train on Tuesday.\n"
        "Kim's journey from Pyongyang to Beijing took approximately 20 hours.\n",
        encoding="utf-8",
    )
    result = cli.invoke(app, ["check", str(text), "--against", str(EXAMPLE), "--json"])
    assert result.exit_code == 1  # one sentence is not supported
    verdicts = json.loads(result.stdout)
    assert [v["label"] for v in verdicts] == ["supported", "unsupported"]
    assert any("20 hours" in r for r in verdicts[1]["reasons"])


def test_cli_check_story_prints_stored_verdicts(cli):
    assert cli.invoke(app, ["explain", "--example"]).exit_code == 0
    result = cli.invoke(app, ["check", "--story", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(r["label"] == "supported" for r in rows)
    none = cli.invoke(app, ["check", "--story", "99"])
    assert none.exit_code == 2 and "no explainer" in none.output


def test_cli_engines_and_schema(cli):
    engines = json.loads(cli.invoke(app, ["engines", "--json"]).stdout)
    assert "builtin" in [e["name"] for e in engines["engines"]]
    schema = json.loads(cli.invoke(app, ["schema"]).stdout)
    assert schema == published_schema()


def test_cli_feedback_shows_the_readers_answers(cli, test_settings):
    assert "no reader has answered yet" in cli.invoke(app, ["feedback"]).stdout
    result = explain([EXAMPLE], settings=test_settings)
    with Store.open(test_settings.resolved_database_url) as store:
        store.feedback.record(result.explainer_id, "reader-a", True)
        store.feedback.record(result.explainer_id, "reader-b", False, "Too short")
        store.feedback.record(result.explainer_id, "reader-c", False, "Missing the <b>context</b>")
        store.feedback.record(result.explainer_id, "reader-a", False)  # changed answer
    out = cli.invoke(app, ["feedback", "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.stdout)
    assert (row["story_id"], row["version"], row["yes"], row["no"]) == (result.story_id, 1, 0, 3)
    assert sorted(row["reasons"]) == ["Missing the <b>context</b>", "Too short"]
    table = cli.invoke(app, ["feedback"])
    assert "Too short" in table.stdout and "reader feedback" in table.stdout
