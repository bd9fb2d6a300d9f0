"""Facts other than figures that two reports can give differently: the date of an event, who
holds a named office, and who said a quotation.

* **Dates**: a weekday ("on Thursday") or a day of a month ("April 4", "4 April 2020").
  Years alone and months alone are not dates here: too many different things happen in one
  year. Two dates differ when they name different days; dates one day apart are left alone
  (time zones make both right: a launch on Tuesday evening in Washington is Wednesday in Seoul).
* **Officials**: a title with what makes it one office ("Homeland Security Secretary",
  "Secretary of State", "Texas Governor") followed by a person's name. Offices with many
  holders (senators, judges, spokespeople, ministers of no named country) and past or future
  holders ("former", "then-", "incoming") are not taken.
* **Speakers**: a quotation of five words or more and the named person the sentence gives as
  its speaker ("“…,” Mayorkas said"; "Mayorkas said: “…”"), never a pronoun.

These work on any typography (curly or straight quotation marks and apostrophes), so the
explainer applies them to source sentences and the checker to the quotations of a "sources
differ" sentence (:mod:`.differ_check`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import word_list
from .lexicon import MONTHS, TITLES, WEEKDAYS

# --- dates ------------------------------------------------------------------------------------

_MONTH_NAMES = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_DATE = re.compile(
    rf"\b(?P<md>{_MONTH_NAMES})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?![\d,]\d)"
    rf"(?:,?\s+(?P<y1>(?:19|20)\d\d))?\b"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm>{_MONTH_NAMES})(?:,?\s+(?P<y2>(?:19|20)\d\d))?\b"
    r"|\b(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_DAY_NUMBER = {d: i for i, d in enumerate(word_list("monday tuesday wednesday thursday friday"))}
_DAY_NUMBER.update({"saturday": 5, "sunday": 6})


@dataclass(frozen=True)
class DateMention:
    surface: str
    start: int
    end: int
    weekday: str | None = None
    month: int | None = None
    day: int | None = None
    year: int | None = None


def _month(word: str) -> int | None:
    return MONTHS.get(word.lower().rstrip(".")[:3] if len(word) > 3 else word.lower().rstrip("."))


def find_dates(text: str) -> list[DateMention]:
    """Weekdays and days of months named in ``text``."""
    out = []
    for m in _DATE.finditer(text):
        if m.group("wd"):
            wd = m.group("wd").lower()
            assert wd in WEEKDAYS
            out.append(DateMention(m.group(), m.start(), m.end(), weekday=wd))
            continue
        name = m.group("md") or m.group("dm")
        day = int(m.group("d1") or m.group("d2"))
        year = m.group("y1") or m.group("y2")
        month = _month(name)
        if month is None or not 1 <= day <= 31:
            continue
        if name == "May" and m.group("d2") is None and text[m.end() : m.end() + 1] == "-":
            continue
        out.append(
            DateMention(
                m.group(),
                m.start(),
                m.end(),
                month=month,
                day=day,
                year=int(year) if year else None,
            )
        )
    return out


def dates_differ(a: DateMention, b: DateMention) -> bool:
    """Two dates that name different days, more than one day apart (same kind of date:
    weekday with weekday, day of a month with day of a month)."""
    if a.weekday and b.weekday:
        gap = abs(_DAY_NUMBER[a.weekday] - _DAY_NUMBER[b.weekday])
        return min(gap, 7 - gap) > 1
    if a.month and b.month and a.day and b.day:
        if a.year and b.year and a.year != b.year:
            return True
        if a.month == b.month:
            return abs(a.day - b.day) > 1
        return True
    return False


def same_date(a: DateMention, b: DateMention) -> bool:
    if a.weekday or b.weekday:
        return a.weekday == b.weekday
    return (a.month, a.day) == (b.month, b.day) and (not a.year or not b.year or a.year == b.year)


# --- officials --------------------------------------------------------------------------------

# Offices one person holds at a time (given what qualifies them: "Texas Governor").
_OFFICE_TEXT = """secretary president chancellor governor gov mayor premier ceo chairman
    chairwoman chair director commissioner administrator prosecutor attorney-general coach
    manager speaker treasurer comptroller superintendent minister"""
_OFFICES = frozenset(word_list(_OFFICE_TEXT))
_ABBREVIATIONS = {"sec": "secretary", "gov": "governor", "pres": "president", "atty": "attorney"}
# Words that qualify an office without saying whose it is: "Foreign Minister" of which country?
_VAGUE_QUALIFIERS = frozenset(
    word_list(
        "prime foreign defence defense interior finance deputy vice assistant acting chief "
        "executive general senior first former the a an new interim"
    )
)
_NOT_PERSON = frozenset(
    word_list(
        "monday tuesday wednesday thursday friday saturday sunday department office house "
        "administration ministry agency council committee court the said says"
    )
)
_PAST_OR_FUTURE = re.compile(
    r"(?:\b(?:former|then|ex|late|outgoing|incoming|previous|future|next|new|newly|"
    r"would-be|acting|interim|deputy|assistant|vice)[\s-]*|\bthen-)$",
    re.IGNORECASE,
)
# a capitalised word, an abbreviation ("Gov.", "Jr.") or an acronym ("U.S."); a longer word's
# full stop ends the sentence, not the name
_CAP = r"(?:(?:[A-Z]\.){2,}|[A-Z][a-z]{0,3}\.|[A-Z][\w'’-]*)"
_CAP_RUN = re.compile(rf"{_CAP}(?:\s+(?:(?:of|for)\s+(?:the\s+)?)?{_CAP})*")
_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*|[A-Z]\.")


@dataclass(frozen=True)
class Official:
    role: tuple[str, ...]  # lower-cased words of the office: ("homeland", "security", "secretary")
    person: tuple[str, ...]  # lower-cased name words: ("alejandro", "mayorkas")
    surface: str
    start: int
    end: int


def _word(w: str) -> str:
    w = w.lower().replace("’", "'").rstrip(".")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace(".", "")
    return _ABBREVIATIONS.get(w, w)


def find_officials(text: str) -> list[Official]:
    """Office-holders named with their office ("Homeland Security Secretary Alejandro
    Mayorkas", "Secretary of State Mike Pompeo"), when the office is one person's and named
    fully enough to be one office."""
    out = []
    for m in _CAP_RUN.finditer(text):
        words = m.group().split()
        if len(words[-1]) > 2 and words[-1].endswith("."):  # the sentence's full stop
            words[-1] = words[-1][:-1]
        keys = [_word(w) for w in words]
        offices = [i for i, k in enumerate(keys) if k in _OFFICES]
        if not offices:
            continue
        last = offices[-1]
        rest = words[last + 1 :]
        if rest and keys[last + 1] in ("of", "for"):
            # "Secretary of State Mike Pompeo": the person is the last two words
            if len(rest) < 4:
                continue
            role_words, person_words = words[: len(words) - 2], words[len(words) - 2 :]
        else:
            role_words, person_words = words[: last + 1], rest
        person = [_word(w) for w in person_words]
        if not 1 <= len(person) <= 3 or not all(_NAME_WORD.fullmatch(w) for w in person_words):
            continue
        if any(p in _OFFICES or p in _NOT_PERSON for p in person):
            continue
        role = tuple(_word(w) for w in role_words)
        # the words that say which office: not the title itself, not a vague qualifier
        qualifiers = [r for r in role if r not in _OFFICES and r not in _VAGUE_QUALIFIERS]
        qualifiers = [r for r in qualifiers if r not in ("of", "for", "and", "on")]
        if not qualifiers:
            continue
        if _PAST_OR_FUTURE.search(text[max(0, m.start() - 20) : m.start()]) or any(
            _PAST_OR_FUTURE.fullmatch(w + " ") for w in role
        ):
            continue
        start = m.start()
        end = m.start() + len(" ".join(words))
        # "'s" ends the name, not the office
        surface = text[start:end]
        out.append(Official(role, tuple(person), surface, start, end))
    return out


def different_people(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """No name word in common ("Mayorkas" and "Alejandro Mayorkas" are one person)."""
    return not set(a) & set(b)


# --- speakers ---------------------------------------------------------------------------------

MIN_QUOTE_WORDS = 5
_SPEECH = (
    r"(?:said|says|told \w+|added|wrote|tweeted|stated|declared|insisted|warned|argued|"
    r"explained|noted|continued|remarked|recalled|acknowledged|announced)"
)
_QUOTATION = re.compile(r"“([^“”]+)”|\"([^\"]+)\"|‘(.+?)’(?!\w)")
_NAME_RUN = rf"{_CAP}(?:\s+{_CAP}){{0,5}}"
_AFTER = re.compile(
    rf"^[\s,]*(?:{_SPEECH}\s+(?P<name>{_NAME_RUN})|(?P<name2>{_NAME_RUN})\s+{_SPEECH})\b",
)
_BEFORE = re.compile(rf"(?P<name>{_NAME_RUN})\s+{_SPEECH}(?:\s+\w+){{0,3}}\s*[,:]?\s*$")
_PRONOUNS = frozenset(word_list("he she they it we i you this that there"))


@dataclass(frozen=True)
class Attribution:
    quote: tuple[str, ...]  # the quotation's words, lower-cased
    speaker: tuple[str, ...]  # the speaker's name words, lower-cased, without the office
    surface: str  # from the quotation's first mark through the speaker's name (or back)
    start: int
    end: int


_QUOTE_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def _speaker(name: str) -> tuple[str, ...] | None:
    words = name.split()
    if not words or _word(words[0]) in _PRONOUNS:
        return None
    officials = find_officials(name)
    if officials:
        return officials[-1].person
    keys = tuple(_word(w) for w in words if _word(w) not in _OFFICES and _word(w) not in TITLES)
    keys = tuple(k for k in keys if k not in _NOT_PERSON and k not in _VAGUE_QUALIFIERS)
    return keys or None


def find_attributions(text: str) -> list[Attribution]:
    """Quotations of five words or more with the named person who said them."""
    out = []
    for m in _QUOTATION.finditer(text):
        inner = m.group(1) or m.group(2) or m.group(3)
        words = tuple(w.lower().replace("’", "'") for w in _QUOTE_WORD.findall(inner))
        if len(words) < MIN_QUOTE_WORDS:
            continue
        after = _AFTER.match(text[m.end() :])
        if after:
            speaker = _speaker(after.group("name") or after.group("name2") or "")
            if speaker:
                end = m.end() + after.end()
                out.append(Attribution(words, speaker, text[m.start() : end], m.start(), end))
            continue
        before = _BEFORE.search(text[: m.start()])
        if before:
            speaker = _speaker(before.group("name") or "")
            if speaker:
                start = before.start()
                out.append(Attribution(words, speaker, text[start : m.end()], start, m.end()))
    return out


def shared_run(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The longest run of words two quotations have in common."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            n = 0
            while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
                n += 1
            best = max(best, n)
    return best


def same_quotation(a: Attribution, b: Attribution) -> bool:
    return shared_run(a.quote, b.quote) >= min(MIN_QUOTE_WORDS, len(a.quote), len(b.quote))


# --- the checker's view -----------------------------------------------------------------------


def facts_differ(a: str, b: str) -> tuple[str, str] | None:
    """Two quotations (of a "sources differ" sentence) that give different dates, different
    holders of one office or different speakers of one quotation: the two surfaces, or None."""
    for x in find_attributions(a):
        for y in find_attributions(b):
            if same_quotation(x, y) and different_people(x.speaker, y.speaker):
                return " ".join(x.speaker), " ".join(y.speaker)
    for p in find_officials(a):
        for q in find_officials(b):
            if p.role == q.role and different_people(p.person, q.person):
                return p.surface, q.surface
    dates_a, dates_b = find_dates(a), find_dates(b)
    if any(same_date(da, db) for da in dates_a for db in dates_b):
        return None
    for da in dates_a:
        for db in dates_b:
            if dates_differ(da, db):
                return da.surface, db.surface
    return None
