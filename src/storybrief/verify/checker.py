"""The checker: decides whether each sentence of an explainer is supported by the source
articles, says why, and names the source sentences that support it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..records import Article
from ..text import Sentence, split_sentences
from .checks import (
    Finding,
    check_names,
    check_numbers,
    check_polarity,
    check_quotes,
    check_substitutions,
    coverage,
    missing_spans,
    name_in,
)
from .claims import numbers_match
from .differ_check import check_difference, is_difference
from .models import CheckerOptions, Citation, Label, Verdict
from .sources import Analysed, SourceIndex, SourceSentence, analyse, content_keys

if TYPE_CHECKING:
    from ..semantic import SemanticModel

# Lines of an explainer page that are labels, not statements.
PAGE_LABELS = frozenset(
    {
        "what is the story about?",
        "ai generated content",
        "do you find this article useful?",
    }
)

_RANK: dict[Label, int] = {"unsupported": 0, "partly_supported": 1, "supported": 2}

# The share of a sentence's weighted content, names and figures a source sentence must hold to
# be cited for it (chosen as evidence by the checker, or kept as a citation an engine gave).
CITATION_SHARE = 0.12


class Checker:
    """Checks sentences against source articles.

    >>> checker = Checker()
    >>> source = Article(text="Kim Jong Un met Xi Jinping.")
    >>> verdict = checker.check_sentence("Kim met Xi.", [source])
    >>> verdict.label
    'supported'
    """

    def __init__(self, options: CheckerOptions | None = None) -> None:
        self.options = options or CheckerOptions()
        self._indexes: OrderedDict[tuple[tuple[int | None, str], ...], SourceIndex] = OrderedDict()
        self._semantic = None
        if self.options.use_model:
            from ..semantic import SemanticModel

            self._semantic = SemanticModel.shared()

    @property
    def semantic(self) -> SemanticModel | None:
        """The MiniLM model the checker runs (option ``use_model``), for others to share."""
        return self._semantic

    # --- public API ----------------------------------------------------------------------

    def check_sentence(
        self, sentence: str, articles: Sequence[Article], cited: Sequence[Citation] = ()
    ) -> Verdict:
        """Decide whether ``sentence`` is supported by ``articles``.

        With ``cited`` sentences, the sentence is first checked against those; when they do not
        support it, against all the articles' sentences, and the verdict then carries the
        corrected citations (``corrected=True``).

        A "sources differ" sentence is checked as such (:mod:`.differ_check`): both quotations in
        cited sentences of the named sources, with values that differ.
        """
        if is_difference(sentence):
            return check_difference(sentence, articles, cited)
        index = self._index(articles)
        claim = analyse(sentence, index.known_names, self.options.min_quote_words)
        notes: list[str] = []
        if cited:
            evidence = []
            for c in cited:
                found = index.by_citation(c.article_id, c.sentence_index)
                if found is None:
                    notes.append(
                        f"cited sentence {c.sentence_index} of article {c.article_id} "
                        "does not exist"
                    )
                else:
                    evidence.append(found)
            if evidence:
                first = self._evaluate(claim, evidence, index)
                if first.label == "supported":
                    return self._earned(claim, first, evidence, index)
            else:
                first = None
            second = self._evaluate(claim, self._select(claim, index), index)
            if first is not None and (_RANK[first.label], first.score) >= (
                _RANK[second.label],
                second.score,
            ):
                return first.model_copy(update={"reasons": notes + first.reasons})
            if second.citations != list(cited):
                notes.append(
                    "citations corrected: the cited sentences do not support it as well as "
                    + ", ".join(
                        f"article {c.article_id} sentence {c.sentence_index}"
                        for c in second.citations
                    )
                    if second.citations
                    else "citations removed: no source sentence supports it"
                )
                return second.model_copy(
                    update={"reasons": notes + second.reasons, "corrected": True}
                )
            return second
        return self._evaluate(claim, self._select(claim, index), index)

    def check_text(self, text: str, articles: Sequence[Article]) -> list[tuple[str, Verdict]]:
        """Check every statement of an explainer (headings and page labels are skipped)."""
        return [(s.text, self.check_sentence(s.text, articles)) for s in self.statements(text)]

    def statements(self, text: str) -> list[Sentence]:
        """The sentences of ``text`` that make statements: not headings, not page labels."""
        return [
            s
            for s in split_sentences(text)
            if not s.is_heading and s.text.strip().casefold() not in PAGE_LABELS
        ]

    def accepts(self, verdict: Verdict) -> bool:
        """Whether a sentence with this verdict may be published under the options."""
        if verdict.label == "supported":
            return True
        return verdict.label == "partly_supported" and self.options.accept_partly

    def revise(
        self, text: str, articles: Sequence[Article]
    ) -> tuple[str, list[tuple[str, Verdict]]]:
        """Apply the policy to ``text``: rejected sentences are dropped (``policy="drop"``) or
        marked (``policy="mark"``); headings, labels and line breaks stay. Returns the revised
        text and the verdicts."""
        results: list[tuple[str, Verdict]] = []
        pieces: list[str] = []
        cursor = 0
        for s in self.statements(text):
            verdict = self.check_sentence(s.text, articles)
            results.append((s.text, verdict))
            pieces.append(text[cursor : s.start])
            cursor = s.end
            if self.accepts(verdict):
                pieces.append(s.text)
            elif self.options.policy == "mark":
                pieces.append(f"{s.text} {self.options.mark}")
        pieces.append(text[cursor:])
        revised = "".join(pieces)
        lines = [" ".join(line.split()) for line in revised.splitlines()]
        return "\n".join(line for line in lines if line), results

    # --- internals ----------------------------------------------------------------------------

    def _index(self, articles: Sequence[Article]) -> SourceIndex:
        key = tuple((a.id, a.content_hash) for a in articles)
        index = self._indexes.get(key)
        if index is None:
            index = SourceIndex.build(articles)
            self._indexes[key] = index
            if len(self._indexes) > 8:
                self._indexes.popitem(last=False)
        else:
            self._indexes.move_to_end(key)
        return index

    def _earned(
        self,
        claim: Analysed,
        verdict: Verdict,
        evidence: Sequence[SourceSentence],
        index: SourceIndex,
    ) -> Verdict:
        """The verdict on the cited sentences, without the citations that support none of the
        sentence's claims: a cited sentence must hold at least :data:`CITATION_SHARE` of the
        sentence's content, names and figures (as the greedy search asks of every sentence it
        adds), and the rest must still support the sentence. Removed citations are named in
        the reasons."""
        if len(evidence) < 2:
            return verdict
        weights, satisfied = self._requirements(claim, index, evidence)
        total = sum(weights.values()) or 1.0
        shares = [sum(weights[k] for k in got) / total for got in satisfied]
        kept = [s for s, share in zip(evidence, shares, strict=True) if share >= CITATION_SHARE]
        if len(kept) == len(evidence) or not kept:
            return verdict
        again = self._evaluate(claim, kept, index)
        if again.label != "supported":
            return verdict
        removed = [s for s in evidence if s not in kept]
        notes = [
            f"citation of article {s.article_id} sentence {s.index} removed: it supports none "
            "of the sentence's claims"
            for s in removed
        ]
        return again.model_copy(update={"reasons": notes + again.reasons, "corrected": True})

    def _requirements(
        self,
        claim: Analysed,
        index: SourceIndex,
        sentences: Sequence[SourceSentence] | None = None,
    ) -> tuple[dict[str, float], list[set[str]]]:
        """What evidence should contain, with weights; and per source sentence (of the index,
        or ``sentences``), which of it that sentence contains."""
        weights = {k: index.weight(k) for k in content_keys(claim)}
        top = max(weights.values(), default=1.0)
        for i, _ in enumerate(claim.numbers):
            weights[f"#number{i}"] = 2 * top
        for i, _ in enumerate(claim.names):
            weights[f"#name{i}"] = top
        satisfied: list[set[str]] = []
        for s in index.sentences if sentences is None else sentences:
            got = {k for k in s.data.stems if k in weights}
            for i, n in enumerate(claim.numbers):
                if any(numbers_match(n, m) for m in s.data.numbers):
                    got.add(f"#number{i}")
            for i, name in enumerate(claim.names):
                if name_in(frozenset(name.keys), s.data):
                    got.add(f"#name{i}")
            satisfied.append(got)
        return weights, satisfied

    def _select(self, claim: Analysed, index: SourceIndex) -> list[SourceSentence]:
        """The source sentences that together best support the claim (greedy cover of its
        content, numbers and names; each added sentence must add a real share)."""
        weights, satisfied = self._requirements(claim, index)
        total = sum(weights.values()) or 1.0
        chosen: list[int] = []
        covered: set[str] = set()
        if self._semantic is not None:
            similarities = self._semantic.similarities(
                claim.plain, [s.data.plain for s in index.sentences]
            )
        else:
            similarities = [0.0] * len(index.sentences)
        for _ in range(self.options.max_evidence):
            best, best_gain = -1, 0.0
            for i, got in enumerate(satisfied):
                if i in chosen:
                    continue
                gain = sum(weights[k] for k in got - covered) + 0.5 * total * similarities[i] * (
                    not chosen
                )
                if gain > best_gain + 1e-9:
                    best, best_gain = i, gain
            if best < 0 or (chosen and best_gain < CITATION_SHARE * total):
                break
            chosen.append(best)
            covered |= satisfied[best]
        chosen.sort(key=lambda i: (index.sentences[i].article_pos, index.sentences[i].index))
        return [index.sentences[i] for i in chosen]

    def _evaluate(
        self, claim: Analysed, evidence: Sequence[SourceSentence], index: SourceIndex
    ) -> Verdict:
        findings: list[Finding] = []
        findings += check_numbers(claim, evidence, index)
        findings += check_names(claim, evidence, index)
        findings += check_quotes(claim, index)
        findings += check_polarity(claim, evidence)
        findings += check_substitutions(claim, evidence)
        paraphrased: set[str] = set()
        if self._semantic is not None and evidence:
            texts = [s.data.plain for s in evidence]
            lacking = missing_spans(claim, evidence)
            if lacking:
                matches = self._semantic.word_matches(claim.plain, list(lacking.values()), texts)
                paraphrased = {
                    k
                    for k, m in zip(lacking, matches, strict=True)
                    if m >= self.options.semantic_word
                }
            similarity = self._semantic.similarity(claim.plain, " ".join(texts))
            findings.append(
                Finding(
                    "semantic",
                    "ok",
                    f"meaning similarity {similarity:.2f}"
                    + (f"; paraphrased: {len(paraphrased)} word(s)" if paraphrased else ""),
                )
            )
        else:
            findings.append(
                Finding(
                    "semantic",
                    "ok",
                    "semantic check skipped (model not enabled); lexical overlap only",
                )
            )
        share, missing = coverage(claim, evidence, index, paraphrased)
        findings = list(dict.fromkeys(findings))  # "number 'first' ok" once, however often
        hard = [f for f in findings if f.severity == "hard"]
        soft = [f for f in findings if f.severity == "soft"]
        if not evidence:
            label: Label = "unsupported"
        elif hard:
            label = "unsupported"
        elif share >= self.options.supported_coverage and not soft:
            label = "supported"
        elif share >= self.options.partly_coverage:
            label = "partly_supported"
        else:
            label = "unsupported"
        shown = ", ".join(f"'{w}'" for w in missing[:8]) + (", ..." if len(missing) > 8 else "")
        coverage_line = f"{share:.0%} of the content found in the supporting sentences" + (
            f"; not found: {shown}" if missing else ""
        )
        if not evidence:
            coverage_line = "no source sentence shares its content"
        reasons = [f.reason for f in hard] + [f.reason for f in soft] + [coverage_line]
        reasons += [f.reason for f in findings if f.severity == "ok"]
        score = share if not hard else min(share, 0.25) * 0.5
        if soft and not hard:
            score *= 0.8
        citations = [
            Citation(article_id=s.article_id, sentence_index=s.index, start=s.start, end=s.end)
            for s in evidence
        ]
        return Verdict(label=label, reasons=reasons, citations=citations, score=round(score, 4))
