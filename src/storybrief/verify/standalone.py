"""Sentences that stand alone: a person is named in full before a bare surname leans on it.

Reporters name a person in full once ("Jane Marsh, the harbour master, said ...") and by
surname after ("Marsh said ..."). An explainer takes sentences from anywhere in its articles,
so a published "Marsh said the wall was old." may come with no Jane Marsh before it. The gate
(:func:`storybrief.verify.publish.check_explainer`) then, for every engine:

* leaves the sentence as it is when the explainer has already named the person in full;
* else, when the articles give one full name for that surname, writes it in at the first
  mention ("Marsh said" becomes "Jane Marsh said", "Ms. Marsh" too) — a rewrite the checker
  verifies against the sources before it is published;
* else (two full names for that surname in the articles, or a rewrite the checker does not
  support) leaves it as written: the detector is not sure enough of a person to cost the
  explainer a sentence; the explainers bench counts what is left.

A surname counts as a person's when the articles also write it after a title ("Mr.", "Sen.",
"President") or before a speech verb ("Marsh said"), and in full as a given name and the
surname. Names the articles never write in full are left as they are.

>>> people = story_people(["Jane Marsh, the harbour master, said the wall was old.",
...                        "Marsh said repairs would take a year."])
>>> people["Marsh"]
{'Jane Marsh'}
>>> introduce("Marsh said repairs would take a year.", people, said="")
'Jane Marsh said repairs would take a year.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..text import STOPWORDS
from .claims import find_names, is_calendar


def fragment(text: str) -> bool:
    """Not a whole sentence: it opens in lower case, ends without closing punctuation or with
    an ellipsis, or leaves a quotation open ("... as well as the bodies of the”)."""
    opening = text.lstrip("“\"‘'([ ")
    if opening[:1].islower():
        return True
    if not re.search(r"[.!?”\"’')\]]\s*$", text) or cut_short(text):
        return True
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1


def cut_short(text: str) -> bool:
    """Ends in an ellipsis: a teaser cut at its length ("... a recent acquittal of
    policemen...", "his one-time heir apparent,..."), or a quotation left trailing."""
    return bool(re.search(r"(?:\.\.\.|…)[\"”’')\]]?\s*$", text))


# A quotation, in double or single quotation marks (an apostrophe inside a word is no mark).
_QUOTATION = re.compile(r"“[^”]*”|\"[^\"]*\"|‘.*?’(?!\w)|(?<!\w)'(?=\w).*?(?<=[\w.,!?])'(?!\w)")
_FIRST_PERSON = re.compile(
    r"\b(?:I|I['’](?:m|ve|d|ll)|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|[Ww]e|[Ww]e['’](?:re|ve|d|ll)|"
    r"[Oo]urs?|[Oo]urselves|us)\b"
)


def first_person(text: str) -> bool:
    """Does the sentence speak in the first person outside a quotation ("Fate threw me in
    his path", "I've never seen this level of doom")? An explainer has no "I": such a
    sentence is a columnist's or a quoted speaker's, and the reader cannot tell whose."""
    return bool(_FIRST_PERSON.search(_QUOTATION.sub(" ", text)))


# "he", "his", "her" outside quotations, and the words before them that can say who is meant
_PERSONAL = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b")
_PERSON_WORDS = frozenset(
    re.findall(
        r"\w+",
        """man woman men women boy girl child kid baby teen teenager mother father mom dad son
    daughter wife husband brother sister uncle aunt grandmother grandfather parent friend
    girlfriend boyfriend partner neighbor neighbour colleague suspect victim officer official
    spokesman spokeswoman spokesperson president governor minister leader driver judge lawyer
    attorney teacher student doctor nurse player coach actor actress singer star author writer
    reporter mayor senator candidate chairman chairwoman chief founder owner worker resident
    priest pilot soldier defendant prosecutor detective sheriff manager executive director
    producer host king queen prince princess pope lawmaker politician activist dissident
    campaigner employee patient passenger survivor witness aide adviser advisor secretary
    speaker representative who whom whose someone anyone person""",
    )
)


def unresolved_pronoun(text: str) -> bool:
    """Does the sentence say "he", "his" or "her" (outside quotations) with no one before it
    in the sentence that it could mean: no name but of a day or month, no word for a person
    ("A bag lies ready at his Beijing home", "By the time the uprising broke out on Jan. 25,
    he was in charge")? Then it means someone of the sentence before."""
    plain = _QUOTATION.sub(lambda m: " " * len(m.group()), text)
    pronoun = _PERSONAL.search(plain)
    if pronoun is None:
        return False
    before = plain[: pronoun.start()]
    words = re.findall(r"[A-Za-z]+", before)
    if any(w.lower() in _PERSON_WORDS for w in words):
        return False
    if words and words[0][0].isupper() and words[0].lower() not in STOPWORDS:
        return False  # "Habibie finds ... his concerns": a name opening the sentence
    return not any(not is_calendar(n) and not set(n.keys) <= STOPWORDS for n in find_names(before))


_TITLE_WORDS = (
    "Mr|Mrs|Ms|Miss|Dr|Prof|Sen|Rep|Gov|Gen|Col|Capt|Lt|Sgt|Rev|Judge|Justice|President|"
    "Senator|Representative|Governor|Mayor|Minister|Secretary|Chancellor|Chairman|Chairwoman|"
    "Director|Commissioner|Sheriff|Chief|Coach|Pope|King|Queen|Prince|Princess|Speaker|"
    "Colonel|General|Admiral|Major|Captain|Lieutenant|Sergeant|Commander|Ambassador"
)
_HONORIFIC = rf"(?:{_TITLE_WORDS})\.?"
_OFFICE = (
    "(?:"
    + "|".join(t for t in _TITLE_WORDS.split("|") if t not in {"Mr", "Mrs", "Ms", "Miss", "Dr"})
    + r")\.?"
)
_WORD = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+|['’][A-Z][a-z]+)?"  # Marsh, Cheng-Hopkins, O'Brien
# "Jane Marsh", "Jane A. Marsh"; the given name is not a title or a word that opens names of
# places, bodies or days. Matched at every word (a lookahead), so that "Foreign Minister Joschka
# Fischer" yields "Joschka Fischer" after "Foreign Minister" and "Minister Joschka".
# Initials stand for a given name too ("B.J. Habibie").
_FULL = re.compile(
    rf"(?=(?<![\w.])(?P<given>{_WORD}|(?:[A-Z]\.){{2,3}})(?:\s[A-Z]\.)?\s(?P<surname>{_WORD})\b)"
)
_NOT_GIVEN = frozenset(
    (
        _TITLE_WORDS.replace("|", " ")
        + " The A An This That These Those North South East West New Old United Federal National"
        " Supreme White Prime Vice Deputy Former Fort Saint St Lake Mount San Los Las Santa El"
        " Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April"
        " May June July August September October November December In On At For And But Of By"
        " As If When While After Before Under Over From To With Without His Her Their Our Its"
        " Mr Mrs Ms Dr Sen Rep Gov Gen Democratic Republican Democrat Labour Conservative"
        " American British Chinese Russian European African Asian Israeli Palestinian Iranian"
        " Ukrainian Korean Japanese Indian French German Mexican Canadian Australian"
        " News Agency Press Times Post Journal Party Company Corp Group University College"
        " House Senate Court Council Committee Department Ministry Army Force Union Bank"
        " State Defense Foreign Interior Treasury Homeland Security Affairs Attorney District"
        " County City Police Health Education Energy Commerce Labor Transportation Agriculture"
        " Senior Executive Officer Medical Examiner"
    ).split()
)
_SPEECH = r"(?:said|says|told|added|wrote|asked|argued|noted|explained|insisted|warned)"


def story_people(sentences: Iterable[str]) -> dict[str, set[str]]:
    """Surname -> the full names the sentences write for it, for people only: the given name
    and the surname are names (written capitalised inside sentences, never in lower case: not
    "Both Ranariddh" or "Like Estrada"), the surname is never "the Surname" (a group or a body:
    "the Republicans", "the Committee"), and the articles write it after a title or before a
    speech verb ("Mr. Marsh", "Marsh said"). A given name the articles use alone for someone
    they name in full once ("Anwar said" beside "Anwar Ibrahim") is a key too."""
    texts = list(sentences)
    names = _name_words(texts)
    joined = "\n".join(texts)
    full: dict[str, set[str]] = {}
    for text in texts:
        for m in _FULL.finditer(text):
            given, surname = m.group("given"), m.group("surname")
            longer = _longer(text, m.start("given"), m.end("surname"))
            if longer == "":
                continue  # "Mark David" of "Mark David Chapman"
            initials = given.endswith(".")
            if (
                not (initials or given in names)
                or surname not in names
                or given in _NOT_GIVEN
                or surname in _NOT_GIVEN
            ):
                continue
            # "David Chapman" of "Mark David Chapman": the name in full
            full.setdefault(surname, set()).add(f"{longer or given} {surname}")
    people = {}
    for surname, found in full.items():
        s = re.escape(surname)
        if re.search(rf"\b[Tt]he {s}\b", joined):
            continue
        if office_holder_too(surname, [joined], found):
            continue  # "President Biden" beside "Jill Biden": perhaps two people
        if re.search(rf"\b{_HONORIFIC}\s(?:{_WORD}\s)?{s}\b|\b{s},?\s{_SPEECH}\b", joined):
            people[surname] = found
    # someone the articles call by a given name alone ("Anwar said", "Jamie claims"), the given
    # name of one full name only and no one's surname
    given_names: dict[str, set[str]] = {}
    for found in full.values():
        for name in found:
            given = name.split()[0]
            if not given.endswith("."):
                given_names.setdefault(given, set()).add(name)
    for given, found in given_names.items():
        g = re.escape(given)
        alone = rf"\b{g}(?![-'’]?\s*(?:{'|'.join(re.escape(n.split()[-1]) for n in found)})\b)"
        if given in full or len(found) > 1 or re.search(rf"\b[Tt]he {g}\b", joined):
            continue
        if re.search(rf"{alone},?\s(?:{_SPEECH}|{_CLAIMS})\b", joined):
            people[given] = found
    return people


_CLAIMS = r"(?:claims|says|has|had|was|is|will|would)"


def _longer(text: str, start: int, end: int) -> str | None:
    """Is the name at text[start:end] part of a longer one? "" when a name word follows it
    ("Mark David" of "Mark David Chapman"); its given names with the one before when a name
    word (not a title: "Minister Joschka Fischer" is Joschka Fischer) comes before it ("Mark
    David" for "David Chapman"); None when it stands alone."""
    if re.match(rf"\s{_WORD}\b", text[end : end + 40]):
        return ""
    before = re.search(rf"(?<![\w.])({_WORD})\s$", text[max(0, start - 40) : start])
    if before is None or before.group(1) in _NOT_GIVEN:
        return None
    return f"{before.group(1)} {text[start:end].rsplit(maxsplit=1)[0]}"


def office_holder_too(surname: str, texts: Iterable[str], full_names: Iterable[str]) -> bool:
    """Do the texts name an office-holder by this surname ("President Biden") while no full
    name of it is written with that office? Then a bare surname may be someone else than the
    person named in full ("Jill Biden")."""
    joined = "\n".join(texts)
    s = re.escape(surname)
    if not re.search(rf"\b{_OFFICE}\s{s}\b", joined):
        return False
    return not any(
        re.search(rf"\b{_OFFICE}\s{re.escape(name)}\b", joined)
        for name in full_names
        if name.endswith(surname) and name != surname
    )


def _name_words(texts: list[str]) -> set[str]:
    """Words the texts write capitalised and never in lower case; one seen only opening a
    sentence also must not be a function word or look like a verb or adverb ("Although",
    "Appointing")."""
    inside: set[str] = set()
    opening: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for m in re.finditer(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text):
            word = m.group()
            if word[0].isupper():
                before = text[: m.start()].rstrip()
                (inside if before and before[-1] not in '.!?"“' else opening).add(word)
            else:
                lower.add(word.lower())
    first_only = {
        w
        for w in opening - inside
        if w.lower() not in STOPWORDS and not re.search(r"(?:ing|ed|ly)$", w)
    }
    return {w for w in inside | first_only if w.lower() not in lower}


def bare_mentions(text: str, people: dict[str, set[str]]) -> list[re.Match[str]]:
    """Mentions of a known person's surname not written with a given name ("Marsh",
    "Ms. Marsh"), in order. A surname after an office ("President Biden", "Sen. Warren") is
    not one: the office says who is meant, and the articles may name someone else of that
    surname in full (Jill Biden)."""
    out = []
    for surname in people:
        s = re.escape(surname)
        for m in re.finditer(rf"(?:\b{_HONORIFIC}\s)?\b{s}\b", text):
            title = m.group(0)[: -len(surname)].strip().rstrip(".")
            if title and title not in _PLAIN_HONORIFICS:
                continue
            if text[m.start() - 1 : m.start()] == "-" or text[m.end() : m.end() + 1] == "-":
                continue  # "pro-Trump", "Trump-era": part of another word
            if any(text.startswith(n, m.start()) for n in people[surname] if n != surname):
                continue  # "Anwar Ibrahim": the given name of a name written in full
            before = text[: m.start()].rstrip()
            given = re.search(rf"({_WORD}|(?:[A-Z]\.){{2,3}})(?:\s[A-Z]\.)?$", before)
            if (
                given
                and text[m.start() - 1 : m.start()] == " "
                and given.group(1) not in _NOT_GIVEN
            ):
                continue  # "Jane Marsh": written in full
            out.append(m)
    return sorted(out, key=lambda m: m.start())


def named(text: str, people: dict[str, set[str]]) -> set[str]:
    """The surnames of known people that ``text`` writes in full."""
    return {
        surname
        for surname, names in people.items()
        if any(re.search(rf"\b{re.escape(n)}\b", text) for n in names)
    }


def introduce(text: str, people: dict[str, set[str]], said: str) -> str:
    """``text`` with each person it names by surname alone, and whom ``said`` (what the
    explainer has published before it) has not named in full, written in full at their first
    mention, where the articles give one full name for the surname (two, "Bob" and "Robert
    Livingston", leave it as written). ``text`` itself when nothing needs writing in."""
    known = named(said, people)
    out = text
    mentions = bare_mentions(text, people)
    for m in reversed(mentions):  # from the end: offsets stay valid
        surname = m.group(0).split()[-1]
        if surname in known or surname in named(text[: m.start()], people):
            continue
        if any(b.start() < m.start() and b.group(0).split()[-1] == surname for b in mentions):
            continue  # not its first mention in the sentence: the first is written in
        names = people[surname]
        if len(names) != 1:
            continue  # two full names ("Bob" and "Robert Livingston"): left as written
        out = out[: m.start()] + next(iter(names)) + out[m.end() :]
    return out


_PLAIN_HONORIFICS = frozenset({"Mr", "Mrs", "Ms", "Miss", "Dr"})
