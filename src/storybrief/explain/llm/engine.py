"""What the LLM engines share: a chat backend (an OpenAI-compatible server, or llama.cpp in
process) is asked for a draft in the prompt's JSON form, the answer is parsed and repaired, and
every drafted sentence goes through the checker the library hands in (the same one that gates
publishing). Unsupported sentences are dropped, or with ``rewrite_unsupported=True`` rewritten
once with the checker's reason and checked again. With the option ``coherence`` (on by
default) the checked draft is reconciled (:mod:`..reconcile`): "sources differ" sentences end
"Beyond the Headlines", and of two sentences that give different values for one thing only one
is published as a plain statement. Explainers are not cached here: the library
stores them in the database, keyed by the sources and :meth:`LLMEngine.identity`."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ...errors import EngineError
from ...records import Article
from ...text import content_words
from ...verify import Checker, Citation, Verdict
from ..engines import Engine, Progress
from ..model import SECTION_KEYS, Explainer, ExplainerSentence, Section, SourceArticle
from ..reconcile import reconcile
from ..selection import BuiltinOptions, select_explainer
from .parse import Draft, DraftSentence, ParseError, parse_draft, parse_sentence
from .prompt import (
    PROMPT_VERSION,
    Message,
    PromptTemplate,
    SourceSentence,
    answer_schema,
    condense_sources,
    messages,
    number_sources,
    render_sources,
    sentence_schema,
)


class UnusableAnswer(EngineError):
    """The model answered, but never with a usable explainer (after the repairs)."""


@dataclass
class Completion:
    """One chat completion: the text and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    seconds: float = 0.0


class ChatBackend(Protocol):
    """How an LLM engine talks to its model: one chat request at a time."""

    @property
    def engine(self) -> str: ...  # the registry name, recorded in explainers and their keys

    @property
    def model(self) -> str: ...  # the model's id (server model name or GGUF file name)

    @property
    def context_tokens(self) -> int: ...  # the model's context window

    def chat(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        progress: Progress | None = None,
    ) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...


class LLMOptions(BaseModel):
    """Options every LLM engine takes."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(default=700, ge=16, le=16384, description="most tokens a reply has")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = Field(default=0, description="sampling seed, for repeatable output")
    context_tokens: int | None = Field(
        default=None,
        ge=256,
        description="the model's context window in tokens; sources beyond it are condensed "
        "(default: what the backend reports, else 4096)",
    )
    rewrite_unsupported: bool = Field(
        default=False,
        description="rewrite each unsupported sentence once, given the checker's reason, "
        "instead of dropping it at once (default: the setting explain.rewrite_unsupported)",
    )
    repair_attempts: int = Field(
        default=2, ge=0, le=5, description="times an unusable answer is sent back with the error"
    )
    prompt_version: str = Field(default=PROMPT_VERSION)
    coherence: bool = Field(
        default=True,
        description="say where the sources differ, and never publish two sentences that give "
        "different values for one thing as plain statements (as the builtin engine's option)",
    )
    max_differences: int = Field(
        default=3, ge=0, le=10, description="most 'sources differ' sentences per explainer"
    )

    #: The options that change what is written (subclasses add theirs).
    generation_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "max_tokens",
            "temperature",
            "seed",
            "context_tokens",
            "rewrite_unsupported",
            "coherence",
            "max_differences",
        }
    )

    def generation_key(self) -> dict[str, Any]:
        """The options that change what is written (part of the engine's identity). The section
        sizes and wording belong to the prompt files, whose version the identity also holds."""
        return self.model_dump(mode="json", include=set(self.generation_fields))


class Dropped(BaseModel):
    """A drafted sentence that was not published, and why."""

    section: str
    text: str
    reason: str


class Call(BaseModel):
    """One request to the model, as sent, and its answer, as received."""

    messages: list[dict[str, str]]
    response: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    seconds: float = 0.0


class Generation(BaseModel):
    """How an LLM explainer was made (recorded in ``engine_options["generation"]``)."""

    engine: str
    model: str
    prompt_version: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    generation_seconds: float = 0.0
    requests: int = 0
    repairs: int = 0
    rewritten: int = 0
    sources_shown: int = 0
    sources_total: int = 0
    drafted: int = 0
    dropped: list[Dropped] = Field(default_factory=list)
    planned: int = 0  # sentences the selection chose for the model to rewrite (prompt v2)
    fallbacks: int = 0  # chosen sentences published as they are, in place of failed drafts
    # every request and answer; the library moves them to its log (`storybrief logs`)
    calls: list[Call] = Field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.generation_seconds if self.generation_seconds else 0.0


def generation_of(explainer: Explainer) -> Generation | None:
    """The generation record of an LLM-written explainer, if it has one."""
    raw = explainer.engine_options.get("generation")
    return Generation.model_validate(raw) if isinstance(raw, dict) else None


@dataclass
class _Run:
    articles: Sequence[Article]
    template: PromptTemplate
    shown: list[SourceSentence]
    by_id: dict[str, SourceSentence]
    record: Generation
    progress: Progress | None
    published: list[str] = field(default_factory=list)


class LLMEngine(Engine):
    """An explainer engine over a :class:`ChatBackend`. Capabilities (see :class:`Engine`):
    ``offline`` when the model runs on this machine; ``deterministic`` at temperature 0 (with
    a fixed seed); it ``reconciles`` its own draft (:mod:`..reconcile`) and ``streams``:
    ``progress`` is called with the number of tokens generated so far in the current request."""

    streams = True
    reconciles = True  # calls reconcile itself (option coherence)

    def __init__(
        self,
        backend: ChatBackend,
        options: LLMOptions,
        *,
        offline: bool,
        checker: Checker | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.backend = backend
        self.options = options
        self.name = backend.engine
        self.offline = offline
        self.deterministic = options.temperature == 0.0
        self.progress = progress
        self.checker = checker or Checker()

    def identity(self) -> dict[str, Any]:
        """What decides the text this engine writes from given sources: engine, model, prompt
        version and the generation options (the library keys stored explainers by it)."""
        return {
            "engine": self.name,
            "model": self.backend.model,
            "prompt_version": self.options.prompt_version,
            "options": self.options.generation_key(),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} model={self.backend.model!r}>"

    # --- the Engine protocol ------------------------------------------------------------------

    def explain(
        self,
        articles: Sequence[Article],
        *,
        headline: str | None = None,
        progress: Progress | None = None,
    ) -> Explainer:
        if not articles:
            raise EngineError("no articles to explain")
        sources = number_sources(articles)
        if not sources:
            raise EngineError("the articles have no sentences to explain")
        version = self.options.prompt_version
        started = time.monotonic()
        template = PromptTemplate.load(version)
        if template.planned:
            return self._explain_planned(articles, sources, template, headline, progress, started)
        shown = self._condense(template, sources)
        run = self._run(articles, template, shown, sources, progress)
        record = run.record
        draft = self._draft(run)
        sections: dict[str, list[ExplainerSentence]] = {k: [] for k in SECTION_KEYS}
        for section, sentence in draft.sentences():
            record.drafted += 1
            published = self._publish(run, section, sentence)
            if published is not None:
                sections[section].append(published)
        explainer = Explainer(
            headline=headline or self._headline(run, draft, sections),
            sections=[Section(key=k, sentences=sections[k]) for k in SECTION_KEYS],
            engine=self.name,
            sources=[SourceArticle.from_article(a, i) for i, a in enumerate(articles)],
        )
        return self._finish(articles, explainer, record, started)

    # --- prompt v2: rewrite the sentences chosen for each section --------------------------

    def _explain_planned(
        self,
        articles: Sequence[Article],
        sources: list[SourceSentence],
        template: PromptTemplate,
        headline: str | None,
        progress: Progress | None,
        started: float,
    ) -> Explainer:
        """Start from the built-in selection's explainer (the plan): each section's chosen
        source sentences are shown under the section, the model rewrites them, and every
        drafted sentence is checked. One the checker refuses is replaced by the chosen
        sentences it rests on; a section left without a sentence gets its chosen sentences;
        an answer that never parses gives the plan itself. So a model's failure never empties a
        section or the explainer, and the prompt holds a dozen sentences, not whole articles."""
        # max_differences=0: the plan blocks conflicting sentences, and _finish's reconcile
        # writes the "sources differ" sentences of the published explainer
        options = BuiltinOptions(coherence=self.options.coherence, max_differences=0)
        plan = select_explainer(
            articles, options, semantic=self.checker.semantic, checker=self.checker
        )
        by_key = {(s.citation.article_id, s.sentence.index): s for s in sources}
        chosen: dict[str, list[tuple[SourceSentence, ExplainerSentence]]] = {}
        for part in plan.sections:
            chosen[part.key] = []
            for item in part.sentences:
                c = item.citations[0] if item.citations else None
                source = by_key.get((c.article_id, c.sentence_index)) if c else None
                if item.kind == "statement" and source is not None:
                    chosen[part.key].append((source, item))
        shown = [source for picks in chosen.values() for source, _ in picks]
        run = self._run(articles, template, shown, sources, progress)
        record = run.record
        record.planned = len(shown)
        rendered = "\n\n".join(
            f"{key}:\n" + ("\n".join(f"[{s.id}] {p.text}" for s, p in picks) or "(none)")
            for key, picks in chosen.items()
        )
        chat: list[Message] = [
            {"role": "system", "content": template.render("system")},
            {"role": "user", "content": template.render("user", sections=rendered)},
        ]
        try:
            draft: Draft | None = self._draft(run, chat)
        except UnusableAnswer as exc:  # the model failed, not the server: publish the plan
            draft = None
            record.dropped.append(Dropped(section="*", text="", reason=str(exc)))
        sections: dict[str, list[ExplainerSentence]] = {k: [] for k in SECTION_KEYS}
        used: set[str] = set()
        for section, sentence in draft.sentences() if draft is not None else []:
            record.drafted += 1
            own = [(s, p) for s, p in chosen.get(section, []) if s.id in sentence.sources]
            if not own:  # it rewrites another section's sentences, or none that was chosen
                record.dropped.append(
                    Dropped(
                        section=section,
                        text=sentence.text,
                        reason="rests on no sentence chosen for this section",
                    )
                )
                continue
            published = self._publish(run, section, sentence)
            if published is not None:
                sections[section].append(published)
                used |= set(sentence.sources)
                continue
            for source, picked in own:
                fallback = self._fallback(run, source, picked, used)
                if fallback is not None:
                    sections[section].append(fallback)
        for key, picks in chosen.items():
            if not sections[key]:
                for source, picked in picks:
                    fallback = self._fallback(run, source, picked, used)
                    if fallback is not None:
                        sections[key].append(fallback)
        title = headline
        if not title:
            title = self._headline(run, draft, sections) if draft is not None else plan.headline
        explainer = Explainer(
            headline=title,
            sections=[Section(key=k, sentences=sections[k]) for k in SECTION_KEYS],
            engine=self.name,
            sources=[SourceArticle.from_article(a, i) for i, a in enumerate(articles)],
            recluster=plan.recluster,
        )
        return self._finish(articles, explainer, record, started)

    def _run(
        self,
        articles: Sequence[Article],
        template: PromptTemplate,
        shown: list[SourceSentence],
        sources: list[SourceSentence],
        progress: Progress | None,
    ) -> _Run:
        """One explain call's state, with its generation record started."""
        record = Generation(
            engine=self.name,
            model=self.backend.model,
            prompt_version=template.version,
            sources_shown=len(shown),
            sources_total=len(sources),
        )
        by_id = {s.id: s for s in sources}
        return _Run(articles, template, shown, by_id, record, progress or self.progress)

    def _fallback(
        self, run: _Run, source: SourceSentence, picked: ExplainerSentence, used: set[str]
    ) -> ExplainerSentence | None:
        """A chosen source sentence published as it is (checked like any other), unless it
        was published already or says what a published sentence says."""
        if source.id in used or _refusal(picked.text, run.published) is not None:
            return None
        used.add(source.id)
        run.record.fallbacks += 1
        run.published.append(picked.text)
        verdict = self.checker.check_sentence(picked.text, run.articles, picked.citations)
        return ExplainerSentence(
            text=picked.text,
            citations=verdict.citations or picked.citations,
            verdict=verdict.label,
            reasons=verdict.reasons,
        )

    def _finish(
        self,
        articles: Sequence[Article],
        explainer: Explainer,
        record: Generation,
        started: float,
    ) -> Explainer:
        if self.options.coherence:
            explainer, removed = reconcile(
                explainer, articles, self.checker, max_differences=self.options.max_differences
            )
            record.dropped += [
                Dropped(section=r.section, text=r.text, reason=r.reason) for r in removed
            ]
        record.seconds = round(time.monotonic() - started, 3)
        return explainer.model_copy(update={"engine_options": self._recorded_options(record)})

    # --- steps --------------------------------------------------------------------------------

    def _context(self) -> int:
        return self.options.context_tokens or self.backend.context_tokens or 4096

    def _condense(
        self, template: PromptTemplate, sources: list[SourceSentence]
    ) -> list[SourceSentence]:
        frame = messages(template, [])
        overhead = sum(self.backend.count_tokens(m["content"]) + 8 for m in frame)
        budget = self._context() - self.options.max_tokens - overhead - 32
        if budget < 64:
            raise EngineError(
                f"the context window ({self._context()} tokens) leaves no room for the sources "
                f"after the prompt and max_tokens={self.options.max_tokens}: raise "
                "context_tokens or lower max_tokens"
            )
        return condense_sources(sources, budget, self.backend.count_tokens)

    def _ask(
        self, run: _Run, chat: list[Message], schema: dict[str, Any], max_tokens: int
    ) -> Completion:
        completion = self.backend.chat(
            chat, schema=schema, max_tokens=max_tokens, progress=run.progress
        )
        run.record.requests += 1
        run.record.calls.append(
            Call(
                messages=[dict(m) for m in chat],
                response=completion.text,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                finish_reason=completion.finish_reason,
                seconds=round(completion.seconds, 3),
            )
        )
        run.record.prompt_tokens += completion.prompt_tokens
        run.record.completion_tokens += completion.completion_tokens
        run.record.generation_seconds = round(run.record.generation_seconds + completion.seconds, 3)
        return completion

    def _draft(self, run: _Run, chat: list[Message] | None = None) -> Draft:
        """Ask for the explainer; an answer that does not parse is sent back with the error."""
        chat = chat or messages(run.template, run.shown)
        schema = answer_schema(run.template, [s.id for s in run.shown])
        error = ""
        for attempt in range(self.options.repair_attempts + 1):
            completion = self._ask(run, chat, schema, self.options.max_tokens)
            try:
                return parse_draft(completion.text)
            except ParseError as exc:
                error = str(exc)
                if completion.finish_reason == "length":
                    error += " (the answer was cut off at the token limit: write shorter)"
            if attempt < self.options.repair_attempts:
                run.record.repairs += 1
                chat = [
                    *chat,
                    {"role": "assistant", "content": completion.text[:4000]},
                    {"role": "user", "content": run.template.render("repair", error=error)},
                ]
        raise UnusableAnswer(
            f"{self.name} engine: the model's answer was not a usable explainer after "
            f"{self.options.repair_attempts + 1} tries: {error}"
        )

    def _cited(self, run: _Run, sentence: DraftSentence) -> list[Citation]:
        cited = [run.by_id[i].citation for i in sentence.sources if i in run.by_id]
        return list(dict.fromkeys(cited))

    def _publish(
        self, run: _Run, section: str, sentence: DraftSentence
    ) -> ExplainerSentence | None:
        """Check one drafted sentence; return it with its verdict and corrected citations, or
        record why it is not published."""
        text = sentence.text
        refusal = _refusal(text, run.published)
        if refusal is None:
            verdict = self.checker.check_sentence(text, run.articles, self._cited(run, sentence))
            if not self.checker.accepts(verdict) and self.options.rewrite_unsupported:
                rewritten = self._rewrite(run, sentence, verdict)
                if rewritten is not None:
                    run.record.rewritten += 1
                    text, verdict = rewritten
                    refusal = _refusal(text, run.published)
            if refusal is None and not self.checker.accepts(verdict):
                refusal = _problem(verdict)
        if refusal is not None:
            run.record.dropped.append(Dropped(section=section, text=text, reason=refusal))
            return None
        run.published.append(text)
        return ExplainerSentence(
            text=text, citations=verdict.citations, verdict=verdict.label, reasons=verdict.reasons
        )

    def _rewrite(
        self, run: _Run, sentence: DraftSentence, verdict: Verdict
    ) -> tuple[str, Verdict] | None:
        """Rewrite an unsupported sentence once, shown the checker's reason and its evidence."""
        wanted = {(c.article_id, c.sentence_index) for c in verdict.citations}
        wanted |= {(c.article_id, c.sentence_index) for c in self._cited(run, sentence)}
        evidence = [
            s for s in run.shown if (s.citation.article_id, s.sentence.index) in wanted
        ] or run.shown
        chat: list[Message] = [
            {"role": "system", "content": run.template.render("system")},
            {
                "role": "user",
                "content": run.template.render(
                    "regenerate",
                    sentence=sentence.text,
                    reason=_problem(verdict),
                    sources=render_sources(evidence),
                ),
            },
        ]
        schema = sentence_schema(run.template, [s.id for s in evidence])
        completion = self._ask(run, chat, schema, min(self.options.max_tokens, 200))
        try:
            again = parse_sentence(completion.text)
        except ParseError:
            return None
        if not again.text:
            return None
        return again.text, self.checker.check_sentence(
            again.text, run.articles, self._cited(run, again)
        )

    def _headline(
        self, run: _Run, draft: Draft, sections: dict[str, list[ExplainerSentence]]
    ) -> str:
        """The model's headline when the checker accepts it; else the first article's title;
        else the first published sentence."""
        text = " ".join(draft.headline.split())
        if _refusal(text, []) is None and self.checker.accepts(
            self.checker.check_sentence(text, run.articles)
        ):
            return text
        for article in run.articles:
            if article.title:
                return article.title
        for key in SECTION_KEYS:
            if sections[key]:
                return sections[key][0].text
        return run.shown[0].text

    def _recorded_options(self, record: Generation) -> dict[str, Any]:
        options = self.options.model_dump(mode="json")
        options.update(self.backend_options())
        options["generation"] = record.model_dump(mode="json")
        return options

    def backend_options(self) -> dict[str, Any]:
        """What the backend adds to the recorded options (never secrets)."""
        return {"model": self.backend.model}


_WORDS = re.compile(r"\w+")
_CITATION_NOTES = ("citations corrected", "citations removed", "cited sentence")


def _refusal(text: str, published: Sequence[str]) -> str | None:
    """Why a sentence is not even worth checking, or None."""
    if len(content_words(text)) < 2:  # "...", "It is.": nothing to check, nothing said
        return "no statement: too few content words"
    if any(_similar(text, earlier) for earlier in published):
        return "repeats an earlier sentence"
    return None


def _problem(verdict: Verdict) -> str:
    """The checker's main objection (its notes about corrected citations aside)."""
    return next((r for r in verdict.reasons if not r.startswith(_CITATION_NOTES)), verdict.label)


def _similar(a: str, b: str, threshold: float = 0.8) -> bool:
    """Near-duplicates: most of their words in common."""
    wa, wb = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold
