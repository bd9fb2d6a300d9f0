"""One explainer, one event: a story whose articles report events that cannot be one (years
apart, with no names in common) is written from the dominant event, and flagged so that the
caller can send the rest back to clustering.

An article's time is its publication date when every article has one; otherwise the latest
year its headline or first two statements name ("Election Day in 2018", "US election 2020"),
leaving out years that only look back ("since 2015", "2017's rally"). Articles that name no
year join the group they share the most names with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..records import Article, Explainer, ExplainerSentence, Recluster, Section

YEARS_APART = 2  # events this many years apart are not one event
DAYS_APART = 60  # dated articles this far apart in time are two events
MAX_SHARED_NAMES = 1  # groups sharing more names than this are one story

_YEAR = re.compile(r"(?<![\d,.$])((?:19|20)\d\d)(?!\d|,\d|%|['’]s)")
_LOOKS_BACK = re.compile(
    r"\b(?:since|until|from|before|after|back in|in the past|as of|as early as|ago)\s+"
    r"(?:the )?(?:early |late |mid-?)?$",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_GENERIC_TEXT = (
    "the a an in on at for but and he she it they this that we i us u.s america american "
    "president mr mrs ms new what why how who here there its his her their after over "
    "with from into about is are was be has have not no more says said monday tuesday "
    "wednesday thursday friday saturday sunday"
)
_GENERIC = frozenset(_GENERIC_TEXT.split())


@dataclass(frozen=True)
class EventSplit:
    """The articles of the dominant event (input positions), the rest, and why."""

    keep: list[int]
    set_aside: list[int]
    reason: str


def _lead(article: Article, statements: int = 2) -> str:
    body = [s.text for s in article.sentences if not s.is_heading][:statements]
    return " ".join(body)


def event_year(article: Article) -> int | None:
    """The latest year the headline or lead names, not counting years that look back."""
    text = f"{article.title or ''}. {_lead(article)}"
    years = [
        int(m.group(1))
        for m in _YEAR.finditer(text)
        if not _LOOKS_BACK.search(text[max(0, m.start() - 25) : m.start()])
    ]
    return max(years) if years else None


def names(article: Article) -> set[str]:
    """Capitalised words of the headline and the lead, lower-cased (common words left out)."""
    out = set()
    for m in _NAME.finditer(f"{article.title or ''}. {_lead(article, 3)}"):
        for word in m.group().split():
            low = word.lower()
            if low not in _GENERIC and len(low) > 2:
                out.add(low)
    return out


def _shared(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def split_events(articles: Sequence[Article]) -> EventSplit | None:
    """None when the articles may report one event; else the dominant event's articles (the
    larger group, the later one on a tie) and those set aside."""
    if len(articles) < 2:
        return None
    dated = [a.published_at for a in articles]
    article_names = [names(a) for a in articles]
    groups: dict[int, list[int]] = {}
    if all(d is not None for d in dated):
        order = sorted(range(len(articles)), key=lambda p: dated[p])  # type: ignore[arg-type,return-value]
        label = 0
        for prev, pos in zip([order[0], *order], order, strict=False):
            if (dated[pos] - dated[prev]).days >= DAYS_APART:  # type: ignore[operator]
                label += 1
            groups.setdefault(label, []).append(pos)
        why = "published months apart"
    else:
        years = [event_year(a) for a in articles]
        for pos, year in enumerate(years):
            if year is not None:
                groups.setdefault(year, []).append(pos)
        if len(groups) < 2 or max(groups) - min(groups) < YEARS_APART:
            return None
        for pos, year in enumerate(years):
            if year is None:  # joins the group it shares the most names with
                best = max(
                    groups,
                    key=lambda g: (
                        sum(_shared(article_names[pos], article_names[q]) for q in groups[g]),
                        g,
                    ),
                )
                groups[best].append(pos)
        why = "naming years apart"
    # events apart in time that share names are one story told with its history
    merged: dict[int, list[int]] = {}
    for label in sorted(groups):
        pooled = set().union(*(article_names[p] for p in groups[label]))
        for other in merged:
            other_names = set().union(*(article_names[p] for p in merged[other]))
            if len(pooled & other_names) > MAX_SHARED_NAMES:
                merged[other] += groups[label]
                break
        else:
            merged[label] = list(groups[label])
    groups = merged
    if len(groups) < 2:
        return None
    label = max(groups, key=lambda g: (len(groups[g]), g))
    keep = sorted(groups[label])
    rest = sorted(p for g, ps in groups.items() if g != label for p in ps)
    what = f"{len(rest)} of {len(articles)} articles"
    return EventSplit(keep, rest, f"{what} report another event ({why}, no names shared)")


def one_event(
    explainer: Explainer,
    articles: Sequence[Article],
    *,
    detect: bool = False,
    splitting: bool = False,
) -> Explainer:
    """The explainer as one event's account when its articles report more than one: its
    ``recluster`` flag (the engine's, or with ``detect`` :func:`split_events`'s, for an
    engine that does not look itself) says which articles report another event; sentences
    citing them are left out (or, when every sentence does, those citing the others: the
    draft then tells the other event), and the flag gets the note readers are shown.
    ``splitting``: the story is being split, each event into a story of its own."""
    flag = explainer.recluster
    every = [a.id if a.id is not None else p for p, a in enumerate(articles)]
    if flag is None and detect:
        found = split_events(articles)
        if found is not None:
            flag = Recluster(reason=found.reason, article_ids=[every[p] for p in found.set_aside])
    if flag is None:
        return explainer
    aside = set(flag.article_ids)

    def told(sentence: ExplainerSentence, left_out: set[int]) -> bool:
        return not any(c.article_id in left_out for c in sentence.citations)

    if not any(told(s, aside) for _, _, s in explainer.sentences()):
        aside = set(every) - aside  # the draft tells the other event: that one is kept
        flag = flag.model_copy(update={"article_ids": sorted(aside)})
    sections = [
        Section(key=section.key, sentences=[s for s in section.sentences if told(s, aside)])
        if any(not told(s, aside) for s in section.sentences)
        else section
        for section in explainer.sections
    ]
    others = [a for p, a in enumerate(articles) if every[p] in aside]
    note = _mixed_note(len(articles) - len(others), others, splitting=splitting)
    return explainer.model_copy(
        update={"sections": sections, "recluster": flag.model_copy(update={"note": note})}
    )


def _mixed_note(kept: int, others: Sequence[Article], *, splitting: bool) -> str:
    """What readers are told of a story whose reports tell more than one event."""
    titles = [f"“{a.title}”" for a in others if a.title][:2]
    named = f" ({'; '.join(titles)}{'; …' if len(others) > len(titles) else ''})" if titles else ""
    many = len(others) != 1
    then = (
        "this story is being split, each event into a story of its own"
        if splitting
        else f"{'they are' if many else 'it is'} not part of this account"
    )
    other = f"other {len(others)} reports" if many else "other report"
    return (
        f"These reports tell of more than one event. This explainer tells one of them, from "
        f"{kept} of the {kept + len(others)} reports; the {other}{named} "
        f"{'tell' if many else 'tells'} of another event and {'are' if many else 'is'} left "
        f"out: {then}."
    )
