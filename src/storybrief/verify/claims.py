"""What a sentence claims that can be checked word for word: names, numbers and quotes.

All functions take text that went through :func:`storybrief.text.plain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import STOPWORDS, Token, tokens
from .lexicon import (
    GROUP_WORDS,
    MONTHS,
    NAME_CONNECTORS,
    ORDINAL_WORDS,
    SCALE_WORDS,
    SPEECH_VERBS,
    TENS_WORDS,
    TITLES,
    UNIT_CANON,
    UNITS_WORDS,
    WEEKDAYS,
    aliases,
    demonyms,
    place_key,
)

# --- numbers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberMention:
    surface: str
    value: float
    unit: str | None
    ordinal: bool
    start: int
    end: int

    def describe(self) -> str:
        return self.surface


_DIGITS = re.compile(
    r"(?P<cur>[$£€])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<suf>st|nd|rd|th|s)(?![\w]))?"
    r"(?:\s?(?P<pct>%|per\s?cent|percent))?"
    r"(?:[\s-]?(?P<scale>hundred|thousand|million|billion|trillion|bn|tn|m|k)(?![\w]))?"
    r"(?![.,]\d)(?!\w)"
    r"(?:[\s-](?P<unit>[a-z]+))?",
    re.IGNORECASE,
)
_NUMBER_WORD = "|".join(
    sorted(
        [
            *UNITS_WORDS,
            *TENS_WORDS,
            *ORDINAL_WORDS,
            "hundred",
            "thousand",
            "million",
            "billion",
            "trillion",
            "dozen",
            "a",
            "and",
            "half",
        ],
        key=len,
        reverse=True,
    )
)
_WORDS = re.compile(
    rf"(?<![\w-])(?:(?:{_NUMBER_WORD})(?:[\s-]+|(?![\w])))+",
    re.IGNORECASE,
)
_VAGUE_AFTER = re.compile(r"^\s*(?:of|or)\s", re.IGNORECASE)  # "one of", "one or two"
_UNIT_AFTER = re.compile(r"^[\s-]*(?:per\s+cent|[a-z%]+)", re.IGNORECASE)


def _unit_after(text: str, end: int) -> str | None:
    m = _UNIT_AFTER.match(text[end : end + 20])
    if not m:
        return None
    word = m.group().strip(" -").lower()
    return UNIT_CANON.get(word)


def _parse_words(words: list[str]) -> tuple[float, bool] | None:
    """Value of a run of number words ("two dozen", "twenty-five", "three hundred thousand",
    "eightieth"); None when the run holds no number."""
    total = 0.0
    current = 0.0
    seen = False
    ordinal = False
    pending_a = False
    for raw in words:
        w = raw.lower()
        if w in ("a", "and"):
            pending_a = w == "a" and not seen  # "a dozen", "a hundred"; not "a fourth"
            continue
        if pending_a and (w in SCALE_WORDS or w == "dozen"):
            current = 1.0
        pending_a = False
        if w in UNITS_WORDS:
            current += UNITS_WORDS[w]
        elif w in TENS_WORDS:
            current += TENS_WORDS[w]
        elif w in ORDINAL_WORDS:
            current += ORDINAL_WORDS[w]
            ordinal = True
        elif w in ("dozen",):
            current = (current or 1) * GROUP_WORDS[w]
        elif w == "half":
            return None
        elif w in SCALE_WORDS:
            current = (current or 1) * SCALE_WORDS[w]
            if SCALE_WORDS[w] >= 1000:
                total += current
                current = 0
        else:
            return None
        seen = True
    if not seen:
        return None
    return total + current, ordinal


def find_numbers(text: str) -> list[NumberMention]:
    """Numbers, amounts, ordinals, durations and percentages, as values with their units.

    Vague quantities ("dozens", "tens of thousands", "one of") are not numbers to check.
    """
    out: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        num = m.group("num")
        if m.start("num") > 0 and text[m.start("num") - 1] in "/:":
            continue  # times and fractions like 10:30, 3/4 are compared as text elsewhere
        value = float(num.replace(",", ""))
        suffix = (m.group("suf") or "").lower()
        ordinal = suffix in ("st", "nd", "rd", "th")
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= SCALE_WORDS[scale]
        unit = None
        if m.group("cur"):
            unit = UNIT_CANON[m.group("cur")]
        elif m.group("pct"):
            unit = "percent"
        elif m.group("unit") and m.group("unit").lower() in UNIT_CANON:
            unit = UNIT_CANON[m.group("unit").lower()]
        elif suffix == "s" and len(num) == 4:
            unit = "decade"  # the 1990s
        start = m.start("cur") if m.group("cur") else m.start("num")
        unit_word = m.group("unit")
        unit_used = (
            unit is not None and bool(unit_word) and UNIT_CANON.get(unit_word.lower()) == unit
        )
        if unit_word and not (unit_used and not m.group("cur") and not m.group("pct")):
            end = m.start("unit")  # the word after the number is not part of it
        else:
            end = m.end()
        surface = text[start:end].strip(" -")
        end = start + len(surface)
        out.append(NumberMention(surface, value, unit, ordinal, start, end))
        taken.append((start, end))
    for m in _WORDS.finditer(text):
        words = [w for w in re.split(r"[\s-]+", m.group()) if w]
        while words and words[-1].lower() in ("a", "and"):
            words.pop()
        while words and words[0].lower() == "and":
            words.pop(0)
        if not words:
            continue
        parsed = _parse_words(words)
        if parsed is None:
            continue
        value, ordinal = parsed
        start = m.start()
        span_text = " ".join(words)
        end = start + len(m.group().rstrip(" -"))
        if any(a < end and start < b for a, b in taken):
            continue
        after = text[end:]
        lowered = [w.lower() for w in words]
        if lowered in (["one"], ["a"], ["an"]):
            unit = _unit_after(text, end)
            if unit is None or _VAGUE_AFTER.match(after):
                continue  # "one of the", "no one", "one another"
        if _VAGUE_AFTER.match(after) and not ordinal and lowered[-1] in SCALE_WORDS:
            continue  # "thousands of", "hundreds of"
        if lowered == ["second"] and re.match(r"^\s*(?:hand|ary|ly)\b", after):
            continue
        unit = _unit_after(text, end)
        out.append(NumberMention(span_text, value, unit, ordinal, start, end))
    out.sort(key=lambda n: n.start)
    return out


def _is_year(n: NumberMention) -> bool:
    return n.value.is_integer() and 1000 <= n.value <= 2100 and n.unit is None and not n.ordinal


def numbers_match(claim: NumberMention, source: NumberMention) -> bool:
    """Same value (a round number may stand for the source's exact one: "15,000" for
    "15,012"), same kind (ordinal or not) and, when the sentence gives a unit, the same unit."""
    if claim.ordinal != source.ordinal:
        return False
    if claim.unit and claim.unit != source.unit:
        return False
    a, b = claim.value, source.value
    if a == b:
        return True
    if _is_year(claim) or not a.is_integer() or a == 0:
        return False
    zeros = 0
    rest = int(a)
    while rest % 10 == 0:
        zeros += 1
        rest //= 10
    return zeros >= 2 and round(b, -zeros) == a


# --- names -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameMention:
    surface: str
    keys: tuple[str, ...]  # canonical keys of the name proper (titles left out)
    titles: tuple[str, ...]  # title and demonym words in front of it ("President", "Chinese")
    start: int
    end: int


def _is_capitalised(tok: Token) -> bool:
    t = tok.text
    return t[:1].isupper() or (len(t) > 1 and t.isupper())


def _sentence_initial(text: str, tok: Token) -> bool:
    before = text[: tok.start].rstrip()
    return not before or before[-1] in '.!?:;"(\n-'


def capitalised_words(text: str) -> set[str]:
    """Words written capitalised somewhere other than at the start of a sentence: evidence
    that they are names."""
    out = set()
    for tok in tokens(text):
        if _is_capitalised(tok) and not _sentence_initial(text, tok):
            out.add(place_key(tok.text))
    return out


def find_names(
    text: str, known_names: set[str] | frozenset[str] = frozenset()
) -> list[NameMention]:
    """Capitalised spans: people, places, organisations, days and months.

    A capitalised word that opens a sentence counts only when it is followed by more of the
    name, or when it is written capitalised elsewhere (``known_names``, as place keys).
    """
    toks = tokens(text)
    spans: list[list[Token]] = []
    current: list[Token] = []

    def close() -> None:
        nonlocal current
        while current and current[-1].lower in NAME_CONNECTORS:
            current.pop()
        if current:
            spans.append(current)
        current = []

    for i, tok in enumerate(toks):
        gap = text[toks[i - 1].end : tok.start] if i else ""
        joined = gap.strip() == "" or (gap.strip() == "-" and current)
        if current and not joined:
            close()
        capitalised = _is_capitalised(tok) and tok.lower != "i"
        connector = bool(current) and tok.lower in NAME_CONNECTORS and tok.text.islower()
        if capitalised or connector:
            current.append(tok)
        else:
            close()
    close()

    out: list[NameMention] = []
    for span in spans:
        # leading function words ("The", "In") and a lone sentence-opening common word go
        while span and span[0].lower in STOPWORDS and not span[0].text.isupper():
            span = span[1:]
        if not span:
            continue
        first = span[0]
        if (
            _sentence_initial(text, first)
            and len(span) > 2
            and span[1].lower in NAME_CONNECTORS
            and place_key(first.text) not in known_names
            and first.lower not in demonyms()
        ):
            span = span[2:]  # "Employees of the European Commission": the name is the rest
            while span and span[0].lower in NAME_CONNECTORS:
                span = span[1:]
            if not span:
                continue
            first = span[0]
        if _sentence_initial(text, first) and len(span) == 1:
            key = place_key(first.text)
            has_possessive = first.text.lower().endswith("'s")
            lower = first.lower[:-2] if has_possessive else first.lower
            place = lower in demonyms() or lower in aliases() or first.text.isupper()
            if key not in known_names and not place:
                continue
        keys: list[str] = []
        titles: list[str] = []
        for tok in span:
            low = tok.lower
            if low in NAME_CONNECTORS:
                continue
            bare = low[:-2] if low.endswith("'s") else low
            if bare in TITLES and not keys:
                titles.append(bare)
            elif (
                bare in demonyms()
                and not keys
                and tok is not span[-1]
                and span[span.index(tok) + 1].lower in TITLES
            ):
                titles.append(place_key(bare))  # "Chinese President Xi": "Chinese" is a title
            else:
                keys.append(place_key(tok.text))
        if not keys:
            # a title or demonym on its own ("President", "Chinese"): check the demonym as a place
            if len(span) == 1 and span[0].lower in demonyms():
                keys = [place_key(span[0].text)]
                titles = []
            else:
                continue
        start, end = span[0].start, span[-1].end
        out.append(NameMention(text[start:end], tuple(keys), tuple(titles), start, end))
    return out


def is_calendar(name: NameMention) -> bool:
    return all(k in WEEKDAYS or k in MONTHS for k in name.keys)


# --- quotes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteMention:
    text: str
    start: int  # span of the quoted words, without the quote marks
    end: int

    @property
    def words(self) -> list[str]:
        return quote_words(self.text)


_DOUBLE = re.compile(r'"([^"]+)"')
_SINGLE = re.compile(r"(?<![\w])'([^']+?)'(?![\w])")


def quote_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:'[^\W_]+)?", text.lower())


def find_quotes(text: str, min_words: int = 2) -> list[QuoteMention]:
    """Quoted passages ("..." in any typography, or '...' of several words)."""
    out: list[QuoteMention] = []
    for pattern in (_DOUBLE, _SINGLE):
        for m in pattern.finditer(text):
            inner = m.group(1)
            if len(quote_words(inner)) < min_words:
                continue
            if any(q.start <= m.start(1) < q.end for q in out):
                continue
            out.append(QuoteMention(inner, m.start(1), m.end(1)))
    return out


def speaker_names(text: str, quote: QuoteMention, names: list[NameMention]) -> list[NameMention]:
    """Who a sentence says spoke a quote: the name next to a speech verb outside the quote,
    else the nearest name outside it."""
    outside = [n for n in names if n.end <= quote.start - 1 or n.start >= quote.end + 1]
    if not outside:
        return []
    verbs = [m.start() for m in re.finditer(r"[a-z]+", text) if m.group() in SPEECH_VERBS]
    verbs = [v for v in verbs if not (quote.start <= v < quote.end)]
    if verbs:

        def distance(n: NameMention) -> int:
            return min(min(abs(n.start - v), abs(n.end - v)) for v in verbs)

        best = min(distance(n) for n in outside)
        if best <= 60:
            return [n for n in outside if distance(n) == best]
    # "Name: \"...\"": a name right before a colon that opens the quote
    before = text[: max(quote.start - 1, 0)].rstrip()
    if before.endswith(":"):
        close = [n for n in outside if 0 <= before.rfind(":") - n.end <= 40]
        if close:
            return [max(close, key=lambda n: n.end)]
    return []
