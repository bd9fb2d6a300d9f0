"""The gate between every engine and publication: each sentence of an explainer is checked
against the sentences it cites (and, failing that, the whole story), gets its verdict and
reasons, and is dropped or marked when the checker does not accept it.

>>> published, report = check_explainer(explainer, articles)        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import EMPTY_NOTES, Article, Explainer, Section
from .checker import Checker
from .models import CheckerOptions, Verdict


@dataclass
class CheckReport:
    """What the gate did: every sentence the engine wrote with its verdict, and which were
    published."""

    checked: list[tuple[str, str, Verdict]] = field(default_factory=list)  # section, text, verdict
    dropped: list[tuple[str, str, Verdict]] = field(default_factory=list)

    @property
    def published(self) -> int:
        return len(self.checked) - len(self.dropped)

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
        note = section.note if kept or section.note else EMPTY_NOTES[section.key]
        sections.append(section.model_copy(update={"sentences": kept, "note": note}))
    return explainer.model_copy(update={"sections": sections}), report
