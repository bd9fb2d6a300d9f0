"""The engine contract: an engine is an :class:`Engine` with declared capabilities, built by
``factory(options, context)``; an outside package plugs one in through the ``storybrief.engines``
entry-point group (here a real distribution on ``sys.path``, written by the test)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from storybrief.errors import EngineError
from storybrief.explain import engines
from storybrief.explain.engines import (
    ENTRY_POINT_GROUP,
    available_engines,
    get_engine,
    register_engine,
    unregister_engine,
)
from storybrief.library import Library
from storybrief.settings import Settings

PLUGIN = '''
"""An outside engine, as a plugin package would ship it."""

from pydantic import BaseModel, ConfigDict

from storybrief.explain import Engine, Explainer, ExplainerSentence, Section, SECTION_KEYS
from storybrief.records import Citation


class LeadOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sentences: int = 1


class LeadEngine(Engine):
    """Publishes the first sentences of the first article; says it streams."""

    name = "lead"
    streams = True

    def __init__(self, options, context):
        self.options = options
        self.context = context

    def explain(self, articles, *, headline=None, progress=None):
        first = articles[0]
        if progress is not None:
            progress(7)
        chosen = [
            ExplainerSentence(
                text=s.text,
                citations=[Citation(article_id=first.id or 0, sentence_index=s.index,
                                    start=s.start, end=s.end)],
            )
            for s in first.sentences[: self.options.sentences]
        ]
        return Explainer(
            headline=headline or first.title or "Lead",
            engine=self.name,
            sections=[Section(key="whats_happening", sentences=chosen)]
            + [Section(key=k) for k in SECTION_KEYS[1:]],
        )


class Bare(Engine):
    """An engine without an options model."""

    def __init__(self, options, context):
        self.options = options
        self.context = context

    def explain(self, articles, *, headline=None, progress=None):
        raise NotImplementedError


def register_engines(register):
    register("lead", LeadEngine, options=LeadOptions, description="the lead, as written")
    register("bare", Bare)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A distribution ``lead-engine`` on ``sys.path`` whose entry point names its module, and
    a registry that loads the plugins again (restored afterwards)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "lead_engine_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "lead_engine-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lead-engine\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nlead = lead_engine_plugin\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(engines, "_REGISTRY", {})
    monkeypatch.setattr(engines, "_FAILED", {})
    monkeypatch.setattr(engines, "_LOADED", False)
    yield
    sys.modules.pop("lead_engine_plugin", None)


def test_an_entry_point_plugin_is_built_with_its_options_and_the_librarys_context(
    installed_plugin: None, test_settings: Settings
) -> None:
    assert {"builtin", "lead", "bare"} <= set(available_engines())
    article = resources.files("storybrief").joinpath("examples", "article.txt")
    ticks: list[int] = []
    with Library(test_settings) as lib:
        engine = lib.engine("lead", {"sentences": 2})
        assert engine.options.sentences == 2  # type: ignore[attr-defined]
        assert engine.context.checker is lib.checker  # type: ignore[attr-defined]
        assert engine.context.settings is lib.settings.explain  # type: ignore[attr-defined]
        assert engine.streams and not engine.reconciles and not engine.offline
        result = lib.explain([str(article)], engine="lead", progress=ticks.append)
        (stored,) = lib.story(result.story_id).articles
    assert ticks == [7]
    assert result.explainer.engine == "lead"
    published = [s.text for s in result.explainer.section("whats_happening").sentences]
    assert published[0] == stored.sentences[0].text  # the lead, as the plugin writes it


def test_an_engine_without_an_options_model_gets_the_context_and_refuses_options(
    installed_plugin: None, test_settings: Settings
) -> None:
    with Library(test_settings) as lib:
        bare = lib.engine("bare")
        assert bare.context.checker is lib.checker  # type: ignore[attr-defined]
        with pytest.raises(EngineError, match=r"invalid options for engine 'bare': colour"):
            lib.engine("bare", {"colour": "red"})


def test_a_factory_that_does_not_build_an_engine_is_refused() -> None:
    class NotAnEngine:
        def explain(self, articles, *, headline=None):  # type: ignore[no-untyped-def]
            raise AssertionError("never called")

    register_engine("duck", lambda options, context: NotAnEngine())
    try:
        with pytest.raises(EngineError, match="'duck' was built as NotAnEngine, not an Engine"):
            get_engine("duck")
    finally:
        unregister_engine("duck")
