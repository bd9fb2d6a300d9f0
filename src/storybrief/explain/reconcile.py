"""Where sources differ, and no contradiction inside one explainer, whichever engine drafted it.

The built-in engine does this while it selects its sentences (:mod:`.builtin`: a sentence that
gives another value than a chosen one is never chosen). An engine that drafts freely (the LLM
engines) calls :func:`reconcile` on its checked draft:

1. **Where the sources differ.** The story's differences
   (:func:`.differ_figures.find_differences` over every quotable source statement, best
   evidence first) become sentences that name both sources, quote both clauses and cite both
   sentences (:func:`differ_sentences`); each is
   checked by the checker like any other sentence and ends "Beyond the Headlines" only when
   the checker accepts it.
2. **No contradiction.** The same detection runs over the explainer's own published
   statements, each placed in the article its first citation names. Of two statements that
   give different values for one thing, one stays a plain statement: for a change over time
   (both articles dated an hour or more apart), the one citing the later report; otherwise
   the better supported one (the checker's verdict), and on a tie the one the engine put
   first. The other is left out, and the difference between their cited source sentences,
   when the sources differ there, is the first differ sentence published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..records import Article
from ..verify import Checker
from .candidates import FATAL, candidates
from .clauses import common_names, story_names
from .differ_figures import Difference, Side, Statement, find_differences, sentence_text
from .model import (
    EMPTY_NOTES,
    Explainer,
    ExplainerSentence,
    Section,
    SectionKey,
    citation_for,
)

BEYOND: SectionKey = "beyond_the_headlines"
_SUPPORT = {"supported": 2, "partly_supported": 1}


@dataclass(frozen=True)
class Removed:
    """A published statement left out because another one gives a different value."""

    section: SectionKey
    text: str
    reason: str


def differ_sentences(
    differences: Sequence[Difference], articles: Sequence[Article], limit: int
) -> list[ExplainerSentence]:
    """One sentence per difference (the first ``limit``): both sources named, both clauses
    quoted, both sentences cited. A difference whose value an earlier one already quotes is
    not written: a figure three reports give as 23, 22 and 23 million is one note, not two."""
    out: list[ExplainerSentence] = []
    told: set[tuple[int, int, int]] = set()
    for diff in differences:
        if len(out) == limit:
            break
        sides = {_place(diff.first), _place(diff.second)}
        if sides & told:
            continue
        told |= sides
        citations = []
        for side in (diff.first, diff.second):
            st = side.statement
            citations.append(
                citation_for(
                    articles[st.article_pos],
                    st.article_pos,
                    st.sentence_index,
                    st.start,
                    st.start + len(st.text),
                )
            )
        out.append(
            ExplainerSentence(
                text=sentence_text(diff, articles), citations=citations, kind=diff.kind
            )
        )
    return out


def source_statements(articles: Sequence[Article]) -> list[Statement]:
    """Every statement of the articles that may be quoted (not a byline, caption, footer...)."""
    return [
        Statement(c.article_pos, c.sentence.index, c.start, c.text)
        for c in candidates(articles)
        if c.text.strip() and c.rejected not in FATAL
    ]


def reconcile(
    explainer: Explainer,
    articles: Sequence[Article],
    checker: Checker,
    *,
    max_differences: int = 3,
) -> tuple[Explainer, list[Removed]]:
    """``explainer`` with no two plain statements giving different values for one thing, and
    with "Beyond the Headlines" ending in the checker-accepted differ sentences (at most
    ``max_differences``, more only to cover contradictions removed); and what was left out."""
    if len(articles) < 2:
        return explainer, []
    position = {_id(a, p): p for p, a in enumerate(articles)}
    sources = source_statements(articles)
    known = story_names([s.text for s in sources])
    ground = common_names(sources, known)
    differences = find_differences(sources, articles, known, ground)

    entries: list[tuple[int, ExplainerSentence]] = []  # (section index, sentence)
    for si, section in enumerate(explainer.sections):
        for sentence in section.sentences:
            cites = sentence.citations
            if sentence.kind == "statement" and cites and cites[0].article_id in position:
                entries.append((si, sentence))
    published = [
        Statement(position[s.citations[0].article_id], n, 0, s.text)
        for n, (_, s) in enumerate(entries)
    ]
    left_out: set[int] = set()
    removed: list[Removed] = []
    covering: list[Difference] = []
    for conflict in find_differences(published, articles, known, ground):
        a, b = (side.statement.sentence_index for side in (conflict.first, conflict.second))
        if a in left_out or b in left_out:
            continue
        keep, lose = _keep(conflict, entries)
        left_out.add(lose)
        kept_text = entries[keep][1].text
        where = explainer.sections[entries[lose][0]].key
        reason = (
            f"gives another value ({_surface(conflict, lose)}) for what “{kept_text}” puts at "
            f"{_surface(conflict, keep)}"
        )
        removed.append(Removed(where, entries[lose][1].text, reason))
        cited_a, cited_b = (_cited(entries[n][1], position) for n in (a, b))
        match = next((d for d in differences if _covers(d, cited_a, cited_b)), None)
        if match is not None and match not in covering:
            covering.append(match)

    ranked = covering + [d for d in differences if d not in covering]
    limit = max(max_differences, len(covering))
    present = {s.text for _, _, s in explainer.sentences()}
    added = []
    for sentence in differ_sentences(ranked, articles, limit):
        if sentence.text in present:
            continue
        verdict = checker.check_sentence(sentence.text, articles, sentence.citations)
        if checker.accepts(verdict):
            added.append(
                sentence.model_copy(
                    update={
                        "verdict": verdict.label,
                        "reasons": verdict.reasons,
                        "citations": verdict.citations or sentence.citations,
                    }
                )
            )
    if not left_out and not added:
        return explainer, []

    dropped = {id(entries[n][1]) for n in left_out}
    sections = []
    for section in explainer.sections:
        sentences = [s for s in section.sentences if id(s) not in dropped]
        if section.key == BEYOND:
            sentences += added
        note = None if sentences else (section.note or EMPTY_NOTES[section.key])
        sections.append(Section(key=section.key, sentences=sentences, note=note))
    return explainer.model_copy(update={"sections": sections}), removed


def _place(side: Side) -> tuple[int, int, int]:
    s = side.statement
    return (s.article_pos, s.sentence_index, side.value.start)


def _id(article: Article, pos: int) -> int:
    return article.id if article.id is not None else pos


def _keep(conflict: Difference, entries: list[tuple[int, ExplainerSentence]]) -> tuple[int, int]:
    """(kept, left out) of a conflict's two statements, by the rule in the module's docstring."""
    a, b = (side.statement.sentence_index for side in (conflict.first, conflict.second))
    if conflict.kind == "change":
        return b, a  # the later report (``second`` is the later one)
    support_a, support_b = (_SUPPORT.get(entries[n][1].verdict or "", 0) for n in (a, b))
    if support_a != support_b:
        return (a, b) if support_a > support_b else (b, a)
    return (a, b) if a < b else (b, a)


def _surface(conflict: Difference, n: int) -> str:
    side = conflict.first if conflict.first.statement.sentence_index == n else conflict.second
    return side.value.surface


def _cited(sentence: ExplainerSentence, position: dict[int, int]) -> set[tuple[int, int]]:
    return {
        (position[c.article_id], c.sentence_index)
        for c in sentence.citations
        if c.article_id in position
    }


def _covers(diff: Difference, cited_a: set[tuple[int, int]], cited_b: set[tuple[int, int]]) -> bool:
    """Is ``diff`` the difference between a sentence of each of two statements' citations?"""
    one, two = diff.pair
    return (one in cited_a and two in cited_b) or (one in cited_b and two in cited_a)
