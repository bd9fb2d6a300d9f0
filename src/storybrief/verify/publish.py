"""The gate between every engine and publication: each sentence of an explainer is checked
against the sentences it cites (and, failing that, the whole story), gets its verdict and
reasons, and is dropped or marked when the checker does not accept it.

>>> published, report = check_explainer(explainer, articles)        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..records import EMPTY_NOTES, Article, Explainer, ExplainerSentence, Section
from .checker import Checker
from .differ_check import is_difference
from .models import CheckerOptions, Verdict
from .repeats import restates, trimmed
from .standalone import first_person, fragment, introduce, story_people


@dataclass
class CheckReport:
    """What the gate did: every sentence the engine wrote with its verdict, and which were
    published."""

    checked: list[tuple[str, str, Verdict]] = field(default_factory=list)  # section, text, verdict
    dropped: list[tuple[str, str, Verdict]] = field(default_factory=list)
    # section, text, and the published sentence that already says it (left out: one fact once)
    repeated: list[tuple[str, str, str]] = field(default_factory=list)
    fragments: list[tuple[str, str]] = field(default_factory=list)  # left out: not sentences
    # left out: speaking as "I" or "we" outside a quotation (whose voice, the reader cannot tell)
    first_person: list[tuple[str, str]] = field(default_factory=list)
    # section, text, and what it was written as (a person named in full at first mention)
    introduced: list[tuple[str, str, str]] = field(default_factory=list)
    # section, text, and what it was written as (a clause that said a fact again left out)
    trimmed: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def published(self) -> int:
        return len(self.checked) - len(self.dropped) - len(self.repeated)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"supported": 0, "partly_supported": 0, "unsupported": 0}
        for _, _, verdict in self.checked:
            counts[verdict.label] += 1
        return counts


def check_explainer(
    explainer: Explainer,
    articles: Sequence[Article],
    checker: Checker | CheckerOptions | None = None,
) -> tuple[Explainer, CheckReport]:
    """A copy of ``explainer`` in which every sentence carries the checker's verdict, reasons
    and (when they were wrong) corrected citations; sentences the checker does not accept are
    dropped (policy ``drop``) or kept with their verdict (policy ``mark``). A section left
    empty gets its honest note."""
    if not isinstance(checker, Checker):
        checker = Checker(checker)
    report = CheckReport()
    sections: list[Section] = []
    for section in explainer.sections:
        kept = []
        for sentence in section.sentences:
            if fragment(sentence.text) and checker.options.policy == "drop":
                report.fragments.append((section.key, sentence.text))
                continue
            if first_person(sentence.text) and checker.options.policy == "drop":
                report.first_person.append((section.key, sentence.text))
                continue
            verdict = checker.check_sentence(sentence.text, articles, sentence.citations)
            checked = sentence.model_copy(
                update={
                    "verdict": verdict.label,
                    "reasons": verdict.reasons,
                    "citations": verdict.citations or sentence.citations,
                }
            )
            report.checked.append((section.key, sentence.text, verdict))
            if checker.accepts(verdict) or checker.options.policy == "mark":
                kept.append(checked)
            else:
                report.dropped.append((section.key, sentence.text, verdict))
        sections.append(section.model_copy(update={"sentences": kept}))
    if checker.options.policy == "drop":
        sections = _once(sections, checker, report)
        sections = _without_repeated_clauses(sections, articles, checker, report)
        sections = _standing_alone(sections, articles, checker, report)
    sections = [
        s.model_copy(update={"note": s.note if s.sentences or s.note else EMPTY_NOTES[s.key]})
        for s in sections
    ]
    return explainer.model_copy(update={"sections": sections}), report


def _once(sections: list[Section], checker: Checker, report: CheckReport) -> list[Section]:
    """One fact once: a sentence that restates one published before it (:func:`.restates`)
    is left out and its citations join that sentence's; when an earlier sentence restates a
    later, more informative one, the earlier one goes (or, when it is its section's only
    sentence, the fuller wording moves to its place). "Sources differ" sentences stay."""
    kept: list[tuple[int, ExplainerSentence]] = []  # (section index, sentence), in order
    for si, section in enumerate(sections):
        for sentence in section.sentences:
            if is_difference(sentence.text):
                kept.append((si, sentence))
                continue
            for k, (sk, other) in enumerate(kept):
                if is_difference(other.text):
                    continue
                if restates(sentence.text, other.text, checker):
                    kept[k] = (sk, _joined(other, sentence))
                    report.repeated.append((section.key, sentence.text, other.text))
                    break
                if restates(other.text, sentence.text, checker):
                    report.repeated.append((sections[sk].key, other.text, sentence.text))
                    if sum(1 for x, _ in kept if x == sk) == 1 and sk != si:
                        # the earlier section's only sentence: the fuller wording takes its
                        # place there rather than leave that section empty
                        kept[k] = (sk, _joined(sentence, other))
                    else:
                        del kept[k]
                        kept.append((si, _joined(sentence, other)))
                    break
            else:
                kept.append((si, sentence))
    return [
        s.model_copy(update={"sentences": [x for sk, x in kept if sk == si]})
        for si, s in enumerate(sections)
    ]


def _without_repeated_clauses(
    sections: list[Section], articles: Sequence[Article], checker: Checker, report: CheckReport
) -> list[Section]:
    """One fact once inside sentences too: a relative clause restating a sentence published
    before it is left out (:func:`.repeats.trimmed`) when the checker supports what remains."""

    def shorter(text: str, said: list[str]) -> str | None:
        cut = trimmed(text, said, checker)
        return None if cut is None or fragment(cut) else cut

    why = "a clause said before left out"
    return _rewrite_each(sections, shorter, why, articles, checker, report.trimmed)


def _standing_alone(
    sections: list[Section], articles: Sequence[Article], checker: Checker, report: CheckReport
) -> list[Section]:
    """A person named by surname alone is named in full first (:mod:`.standalone`): the
    first mention written in full when the articles give one full name and the checker
    supports the rewrite."""
    people = story_people(s.text for a in articles for s in a.sentences)
    if not people:
        return sections

    def in_full(text: str, said: list[str]) -> str:
        return introduce(text, people, " ".join(said))

    why = "written with the person's full name"
    return _rewrite_each(sections, in_full, why, articles, checker, report.introduced)


def _rewrite_each(
    sections: list[Section],
    rewrite: Callable[[str, list[str]], str | None],
    why: str,
    articles: Sequence[Article],
    checker: Checker,
    found: list[tuple[str, str, str]],
) -> list[Section]:
    """Each sentence, in reading order, as ``rewrite`` words it given the sentences published
    before it (None: as it is); a new wording is published when the checker supports it
    (:func:`_rewritten`) and is recorded in ``found`` as (section, before, after)."""
    said: list[str] = []
    out = []
    for section in sections:
        kept = []
        for sentence in section.sentences:
            text = sentence.text
            written = None if is_difference(text) else rewrite(text, said)
            if written is not None and written != text:
                sentence = _rewritten(sentence, written, f"{why}: {text!r}", articles, checker)
                if sentence.text != text:
                    found.append((section.key, text, written))
            kept.append(sentence)
            said.append(sentence.text)
        out.append(section.model_copy(update={"sentences": kept}))
    return out


def _rewritten(
    sentence: ExplainerSentence,
    text: str,
    why: str,
    articles: Sequence[Article],
    checker: Checker,
) -> ExplainerSentence:
    """``sentence`` written as ``text`` (and the reason said) when the checker supports the
    new wording from the sentence's citations; else ``sentence`` as it was."""
    verdict = checker.check_sentence(text, articles, sentence.citations)
    if verdict.label != "supported":
        return sentence
    return sentence.model_copy(update={"text": text, "reasons": [why] + sentence.reasons})


def _joined(keep: ExplainerSentence, gone: ExplainerSentence) -> ExplainerSentence:
    """``keep`` citing also what ``gone`` cited (the sources that state the fact too)."""
    have = {(c.article_id, c.sentence_index) for c in keep.citations}
    extra = [c for c in gone.citations if (c.article_id, c.sentence_index) not in have]
    if not extra:
        return keep
    line = "also stated by " + ", ".join(
        f"article {c.article_id} sentence {c.sentence_index}" for c in extra
    )
    return keep.model_copy(
        update={"citations": keep.citations + extra, "reasons": keep.reasons + [line]}
    )
