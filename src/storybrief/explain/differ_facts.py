"""Where the sources differ on facts that are not figures: who said a quotation, who holds an
office, and on which day something happened (the facts themselves are found by
:mod:`storybrief.verify.facts`, so the checker reads them the same way).

Two statements from different articles differ when:

* **speaker**: they give one quotation (a run of five words or more in common) to two named
  people with no name in common ("“…,” Mayorkas said" and "“…,” said Biden");
* **official**: they name two people with no name in common for one fully named office
  ("Homeland Security Secretary Alejandro Mayorkas" and "Homeland Security Secretary Jeh
  Johnson");
* **date**: they give two days more than a day apart for one event: the two clauses speak of
  the same thing as :func:`~.clauses.same_thing` measures it, and neither is a forecast or plan.

Precision first, as for figures: a pair is left alone when either article names the other's
person (or date) anywhere — then both may be right, about two people or two events — and a
quotation with its speaker longer than 40 words is not quoted whole, so it is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from ..records import Article
from ..verify.facts import (
    Attribution,
    DateMention,
    Official,
    dates_differ,
    different_people,
    find_attributions,
    find_dates,
    find_officials,
    same_date,
    same_quotation,
)
from .clauses import CONDITIONAL, Statement, same_thing, snippet

What = Literal["number", "date", "official", "speaker"]
MIN_SCORE = 3  # as for figures: evidence that two clauses speak of the same event
MAX_QUOTE_WORDS = 40


@dataclass(frozen=True)
class Fact:
    """A date, an office-holder or a quotation's speaker, where it is in its statement."""

    what: What
    surface: str
    start: int
    end: int


@dataclass(frozen=True)
class FactPair:
    a: Statement
    fact_a: Fact
    quote_a: tuple[int, int]
    b: Statement
    fact_b: Fact
    quote_b: tuple[int, int]
    score: int


def _mentions(text: str, person: tuple[str, ...]) -> bool:
    """Does ``text`` name the person (any of their name words, capitalised)?"""
    return any(
        re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE) and len(w) > 2 for w in person
    )


def _span(text: str, found: Attribution | Official | DateMention) -> tuple[int, int]:
    if isinstance(found, Attribution):
        return found.start, found.end
    lo, hi = snippet(text, found)
    return min(lo, found.start), max(hi, found.end)


def _fact(what: What, found: Attribution | Official | DateMention) -> Fact:
    return Fact(what, found.surface, found.start, found.end)


def fact_pairs(
    statements: Sequence[Statement],
    articles: Sequence[Article],
    known: frozenset[str] = frozenset(),
) -> list[FactPair]:
    """Every pair of statements from different articles that differ on a date, an office's
    holder or a quotation's speaker (the strongest such fact for each pair)."""
    said = [find_attributions(s.text) for s in statements]
    offices = [find_officials(s.text) for s in statements]
    days = [find_dates(s.text) for s in statements]
    article_days = {p: find_dates(a.text) for p, a in enumerate(articles)}
    out = []
    for i, a in enumerate(statements):
        for j in range(i + 1, len(statements)):
            b = statements[j]
            if a.article_pos == b.article_pos:
                continue
            text_a, text_b = articles[a.article_pos].text, articles[b.article_pos].text
            best: FactPair | None = None
            for x in said[i]:
                for y in said[j]:
                    if not (same_quotation(x, y) and different_people(x.speaker, y.speaker)):
                        continue
                    if _mentions(text_a, y.speaker) or _mentions(text_b, x.speaker):
                        continue
                    qa, qb = _span(a.text, x), _span(b.text, y)
                    if max(
                        len(a.text[qa[0] : qa[1]].split()), len(b.text[qb[0] : qb[1]].split())
                    ) > (MAX_QUOTE_WORDS):
                        continue
                    score = 5 + min(len(x.quote), len(y.quote))
                    if best is None or score > best.score:
                        best = FactPair(
                            a, _fact("speaker", x), qa, b, _fact("speaker", y), qb, score
                        )
            for p in offices[i]:
                for q in offices[j]:
                    if p.role != q.role or not different_people(p.person, q.person):
                        continue
                    if _mentions(text_a, q.person) or _mentions(text_b, p.person):
                        continue
                    score = 4 + len(p.role)
                    if best is None or score > best.score:
                        pa, pb = _span(a.text, p), _span(b.text, q)
                        best = FactPair(
                            a, _fact("official", p), pa, b, _fact("official", q), pb, score
                        )
            if best is None and days[i] and days[j] and not _days_apart(articles, a, b):
                best = _date_pair(a, days[i], b, days[j], article_days, known)
            if best is not None:
                out.append(best)
    return out


def _days_apart(articles: Sequence[Article], a: Statement, b: Statement) -> bool:
    """Reports published more than a day apart: their weekdays name different weeks' days, and
    their days of a month are likely different events."""
    when_a, when_b = (articles[s.article_pos].published_at for s in (a, b))
    return when_a is not None and when_b is not None and abs(when_a - when_b) > timedelta(days=1)


def _date_pair(
    a: Statement,
    days_a: list[DateMention],
    b: Statement,
    days_b: list[DateMention],
    article_days: dict[int, list[DateMention]],
    known: frozenset[str],
) -> FactPair | None:
    if CONDITIONAL.search(a.text) or CONDITIONAL.search(b.text):
        return None
    best: FactPair | None = None
    for x in days_a:
        for y in days_b:
            if not dates_differ(x, y):
                continue
            # either article giving the other's day too speaks of two days, not one
            if any(same_date(y, d) for d in article_days[a.article_pos]) or any(
                same_date(x, d) for d in article_days[b.article_pos]
            ):
                continue
            score = same_thing(a, x, b, y, known)
            if score >= MIN_SCORE and (best is None or score > best.score):
                qa, qb = _span(a.text, x), _span(b.text, y)
                best = FactPair(a, _fact("date", x), qa, b, _fact("date", y), qb, score)
    return best
