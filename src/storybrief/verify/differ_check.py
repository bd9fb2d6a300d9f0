"""Checking a "sources differ" sentence: a sentence that names two sources and quotes what each
reports, e.g.

    Sources differ: source 2 reports “a revised 6.9 million in the prior week”; source 3
    reports “Claims for the previous week were revised upward to 6.8 million”.

    The figure changed between reports: Capital Wire (3 May 2026) reported “…”; Morning
    Courier (4 May 2026) reported “…”.

It is supported only when every part checks out: each named source is one of the story's
articles (by outlet, or "source N" by its place in the list); each quotation is, word for word,
in a cited sentence of that article; the quotations carry values of one kind that differ (a
round figure that the other rounds to does not count as different) or, failing figures, give
different days, different holders of one office or different speakers of one quotation
(:mod:`.facts`; "The account changed between reports" is the change-over-time lead for those);
and for a change over time, the dates are the articles' publication times, earlier first. Its
citations are the sentences where the quotations were found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone

from ..records import Article
from ..text import plain
from .claims import NumberMention, find_numbers, numbers_match
from .facts import facts_differ
from .models import Citation, Verdict

DIFFER_LEAD = "Sources differ"
CHANGE_LEAD = "The figure changed between reports"
ACCOUNT_CHANGE_LEAD = "The account changed between reports"  # a date, an official, a speaker
_LEAD = re.compile(rf"^\s*(?P<lead>{DIFFER_LEAD}|{CHANGE_LEAD}|{ACCOUNT_CHANGE_LEAD}):\s+")
_PART = re.compile(
    r"\s*(?P<who>[^“”\";()]+?)\s+(?:\((?P<when>[^()]+)\)\s+)?(?P<verb>reports|reported)\s+"
    r"“(?P<quote>[^“”]+)”\s*(?:;|\.?\s*$)"
)


def is_difference(sentence: str) -> bool:
    """Whether ``sentence`` is a "sources differ" (or "figure changed") sentence."""
    return bool(_LEAD.match(sentence))


def _flat(text: str) -> str:
    """Text for comparing a quotation: typography and quote marks neutral, case and spacing
    ignored."""
    return " ".join(plain(text).replace('"', "'").casefold().split())


def _article_id(article: Article, pos: int) -> int:
    return article.id if article.id is not None else pos


def _resolve(who: str, articles: Sequence[Article], cited_ids: set[int]) -> list[int]:
    """Positions of the articles a name can mean: "source N", or the outlet's name."""
    m = re.fullmatch(r"source (\d+)", who.strip(), re.IGNORECASE)
    if m:
        n = int(m.group(1))
        return [n - 1] if 1 <= n <= len(articles) else []
    name = who.strip().casefold()
    hits = [p for p, a in enumerate(articles) if a.outlet and a.outlet.casefold() == name]
    if len(hits) > 1:
        hits = [p for p in hits if _article_id(articles[p], p) in cited_ids] or hits
    return hits


def published_label(when: datetime, other: datetime) -> str:
    """A report's publication time as a "figure changed" sentence shows it: the day, or the
    day and time (UTC) when the other report came out the same day."""
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    other = other if other.tzinfo else other.replace(tzinfo=timezone.utc)
    when, other = when.astimezone(timezone.utc), other.astimezone(timezone.utc)
    day = f"{when.day} {when:%B %Y}"
    return day if when.date() != other.date() else f"{day} {when:%H:%M} UTC"


def _differ(a: list[NumberMention], b: list[NumberMention]) -> tuple[str, str] | None:
    """A pair of values of one kind, one from each quotation, that are not the same figure;
    None when every value of one matches a value of the other."""
    for x in a:
        if any(numbers_match(x, y) or numbers_match(y, x) for y in b):
            continue
        for y in b:
            if x.unit == y.unit and x.ordinal == y.ordinal:
                if any(numbers_match(y, z) or numbers_match(z, y) for z in a):
                    continue
                return x.surface, y.surface
    return None


def check_difference(
    sentence: str, articles: Sequence[Article], cited: Sequence[Citation] = ()
) -> Verdict:
    """The verdict on a "sources differ" sentence (see the module's docstring)."""
    lead = _LEAD.match(sentence)
    problems: list[str] = []
    fine: list[str] = []
    citations: list[Citation] = []
    if lead is None:
        return Verdict(label="unsupported", reasons=["not a 'sources differ' sentence"], score=0)
    body = sentence[lead.end() :]
    parts = list(_PART.finditer(body))
    if len(parts) < 2 or "".join(p.group() for p in parts).strip() != body.strip():
        return Verdict(
            label="unsupported",
            reasons=["a 'sources differ' sentence names two sources, each with a quotation"],
            score=0,
        )
    change = lead.group("lead") != DIFFER_LEAD
    cited_ids = {c.article_id for c in cited}
    found: list[tuple[int, str]] = []  # (article position, quotation)
    for part in parts:
        who, quote = part.group("who").strip(), part.group("quote")
        positions = _resolve(who, articles, cited_ids)
        if len(positions) != 1:
            problems.append(
                f"'{who}' is not one of the story's sources"
                if not positions
                else f"'{who}' names more than one source"
            )
            continue
        pos = positions[0]
        article = articles[pos]
        article_id = _article_id(article, pos)
        needle = _flat(quote)
        own = [c for c in cited if c.article_id == article_id]
        in_cited = [
            c for c in own if needle in _flat(article.text[c.start : c.end]) and c.end > c.start
        ]
        if in_cited:
            citations.append(in_cited[0])
            fine.append(
                f"{who}: quotation found in its cited sentence {in_cited[0].sentence_index}"
            )
        else:
            anywhere = [
                s for s in article.sentences if not s.is_heading and needle in _flat(s.text)
            ]
            if not anywhere:
                problems.append(f"{who} does not say “{quote}”")
                continue
            s = anywhere[0]
            citations.append(
                Citation(article_id=article_id, sentence_index=s.index, start=s.start, end=s.end)
            )
            note = "not in the cited sentences; " if cited else ""
            fine.append(f"{who}: {note}quotation found in its sentence {s.index}")
        found.append((pos, quote))
    if len(found) == len(parts):
        if len({pos for pos, _ in found}) < len(found):
            problems.append("the quotations come from one source, not from sources that differ")
        pair = _differ(find_numbers(plain(found[0][1])), find_numbers(plain(found[1][1])))
        if pair is None:  # a date, an office's holder, a quotation's speaker
            pair = facts_differ(found[0][1], found[1][1])
        if pair is None:
            problems.append("the quoted values do not differ (or there are none to compare)")
        else:
            fine.append(f"values differ: '{pair[0]}' and '{pair[1]}'")
        if change:
            problems += _check_times(parts, found, articles)
    return Verdict(
        label="unsupported" if problems else "supported",
        reasons=problems + fine,
        citations=citations,
        score=0.0 if problems else 1.0,
    )


def _check_times(
    parts: list[re.Match[str]], found: list[tuple[int, str]], articles: Sequence[Article]
) -> list[str]:
    """A change over time gives each report's publication time, earlier report first."""
    problems = []
    times = [articles[pos].published_at for pos, _ in found]
    for i, (part, (pos, _)) in enumerate(zip(parts, found, strict=True)):
        other = times[1 - i] if len(times) == 2 else None
        mine = articles[pos].published_at
        expected = published_label(mine, other) if mine and other else None
        if expected is None:
            problems.append(f"{part.group('who')} has no publication time to compare")
        elif part.group("when") != expected:
            problems.append(
                f"{part.group('who')} was published {expected}, not {part.group('when')}"
            )
    dated = [t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in times if t is not None]
    if len(dated) == 2 and dated[1] < dated[0]:
        problems.append("the later report is named first")
    return problems
