"""The text toolkit every stage shares: sentences with their character spans, headings inside
article bodies, normalisation for duplicate detection, and words — one tokenizer, one list of
stop words and one stemmer, so that ranking, checking and clustering agree on what a word is.

Sentences are the unit of citation: an article's sentences are numbered from 0 in reading
order, and each keeps its character span in the stored article text.

Words: :func:`tokens` finds words, numbers and acronyms with their offsets; :func:`word_key`
turns one word into the form stages compare (lower-cased, possessive dropped, stemmed) or
``None`` for a stop word; :func:`content_words` does both for a whole text. A stage that needs a
different rule passes it as an argument (the checker leaves numbers out and drops more words;
clustering keeps the words unstemmed), never with a copy of the lists.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    text: str
    start: int  # character offsets into the article text: text == body[start:end]
    end: int
    is_heading: bool = False


_TERMINAL = ".!?…\"”’'):;"


def looks_like_heading(line: str) -> bool:
    """A short line without terminal punctuation, e.g. "Why It Matters" or "What Happens Next?"
    (a question of a few title-cased words counts too)."""
    line = line.strip()
    words = line.split()
    if not words or len(words) > 10 or len(line) > 80:
        return False
    if line.endswith("?"):
        capitalised = sum(1 for w in words if w[:1].isupper())
        return len(words) <= 6 and capitalised >= max(1, len(words) - 2)
    return line[-1] not in _TERMINAL


# Titles written short before a name that sentencex takes for a sentence's end ("Ms. Ruch", "Atty.
# Gen.", "Ft. Lauderdale"); before a capitalised word they never end one.
_TITLE_BEFORE_NAME = re.compile(r"(?:^|[\s(“\"])(?:Ms|Mx|Amb|Atty|Ft)\.\s*$")

# A sentence that is only a list number or bullet ("2.", "iv)", "•") belongs with what follows.
_LIST_MARK = re.compile(r"(?:\d{1,3}|[ivxIVX]{1,4}|[A-Za-z])[.)]|[•*·‣–-]")
_OPENING_QUOTES = "\"“‘«„'"


def split_sentences(text: str, language: str | None = None) -> list[Sentence]:
    """Split an article body into sentences with their character spans.

    Paragraphs (lines) are segmented separately, so a heading line never merges with the
    sentence after it. Within a line, Wikimedia's sentencex (rules for some 300 languages,
    abbreviations such as "U.S." and "Jan.", decimals, quotes) finds the boundaries, and
    :func:`line_sentences` corrects three of its habits.
    """
    language = (language or "en").split("-")[0].lower()
    out: list[Sentence] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if not line.strip():
            continue
        base = match.start()
        if looks_like_heading(line):
            lead = len(line) - len(line.lstrip())
            out.append(
                Sentence(len(out), line.strip(), base + lead, base + lead + len(line.strip()), True)
            )
            continue
        for start, end in line_sentences(line, language):
            out.append(Sentence(len(out), line[start:end], base + start, base + end))
    return out


def line_sentences(line: str, language: str = "en") -> list[tuple[int, int]]:
    """The (start, end) spans of the sentences of one paragraph, without surrounding spaces.

    sentencex's boundaries, except that a boundary needs a space before the next sentence
    ("www.example.com", "R-W.Va."), a title it does not know is no end ("Ms. Ruch"), a list
    number or bullet stays with its item ("2. Take inventory"), and an opening quote goes with
    the sentence it opens (sentencex leaves it at the end of the sentence before).
    """
    from sentencex import get_sentence_boundaries

    starts = [0]
    for found in get_sentence_boundaries(language, line)[1:]:
        start = found["start_index"]
        previous = line[starts[-1] : start]
        if start == 0 or not line[start - 1].isspace():
            continue
        if _LIST_MARK.fullmatch(previous.strip()):
            continue
        if _TITLE_BEFORE_NAME.search(previous) and line[start : start + 1].isupper():
            continue  # "Ms. Ruch": a title, not an end
        if _INITIALS.search(previous) and (
            line[start : start + 1].islower() or _TITLED_INITIALS.search(previous)
        ):
            continue  # "F.W. de Klerk", "President B.J. Habibie": initials, not an end
        stripped = previous.rstrip()
        if stripped[-1:] in _OPENING_QUOTES and stripped[-2:-1].isspace():
            start = starts[-1] + len(stripped) - 1  # the quote opens the next sentence
        starts.append(start)
    spans = []
    for start, end in zip(starts, [*starts[1:], len(line)], strict=True):
        piece = line[start:end]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((start + lead, start + len(piece.rstrip())))
    return spans


# Two or more initials at the end of a piece ("F.W."), and such initials after a title or a
# capitalised word that names someone ("President B.J.", "Sen. J.D."); not "U.S." after a verb.
_INITIALS = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,3}\s*$")
_TITLED_INITIALS = re.compile(
    r"\b(?:President|Vice President|Premier|Prime Minister|Minister|Secretary|Gov\.|Sen\.|"
    r"Rep\.|Mr\.|Mrs\.|Ms\.|Dr\.|Judge|Justice|General|Gen\.|Chairman|leader|president|"
    r"author|writer|novelist|poet)\s+(?:[A-Z]\.){2,3}\s*$"
)
_WS = re.compile(r"\s+")
# Fewer characters than plain()'s map, and kept so: stored content hashes depend on it.
_PUNCT_MAP = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """Case-, whitespace- and typography-insensitive form of a text."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()
    return _WS.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """Hash of the normalised body: two copies of one article hash alike."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


# What no database stores: NUL (PostgreSQL's text refuses it) and lone surrogates (no UTF-8
# encoder writes them; JSON's "\ud800" escape and undecodable command-line bytes make them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD, one character for one (so
    every offset into it still holds): text that SQLite, PostgreSQL, UTF-8 and JSON all take."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable_value(value: object) -> object:
    """:func:`storable` applied to every string in ``value`` (dicts, their keys, lists and
    tuples walked); anything else is returned as it is."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_value(k): storable_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_value(v) for v in value]
    if type(value) is tuple:
        return tuple(storable_value(v) for v in value)
    return value


# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 does not allow (feeds out, OPML out)."""
    return _NOT_XML.sub("", text)


# --- words ---------------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "\u00a0": " ",
    }
)


def plain(text: str) -> str:
    """Typography-neutral text: straight quotes and apostrophes, hyphens for dashes, ``...`` for
    the ellipsis character, NFKC. Lengths can change, so use it for comparing, not for offsets."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    return text.replace("…", "...")


# A token: a word with inner apostrophes and hyphens, an acronym with dots (U.S.), or a number
# with its digit groups, ordinal or decade suffix and per cent sign (15,000 / 2.5 / 80th / 15%).
_TOKEN = re.compile(
    r"\$?\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?%?"  # numbers, 80th, 1990s, 15%
    r"|(?:[A-Za-z]\.){2,}"  # U.S., U.K.
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W_]+)*",  # words, don't, Kim's, year-old
    re.UNICODE,
)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written
    start: int  # offsets into the text given to tokens()
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_number(self) -> bool:
        return self.text[:1].isdigit() or self.text[:1] == "$"


def tokens(text: str) -> list[Token]:
    """The words, numbers and acronyms of a text, with their offsets. Pass the text through
    :func:`plain` first to treat curly and straight apostrophes alike."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def word_list(text: str) -> list[str]:
    """The words of a literal list written as one string (easier to read than a list)."""
    return text.split()


#: Words that do not say what a text is about: function words (with their contractions),
#: reporting verbs and news filler. Negations are among them: a stage that weighs negation
#: (the checker) finds them with :data:`NEGATIONS` and :func:`is_negation` instead.
STOPWORDS = frozenset(
    word_list(
        "a about above across after afterwards again against all almost alone along already "
        "also although always am among amongst an and another any anyhow anyone anything "
        "anyway anywhere are aren't around as at be became because become becomes becoming "
        "been before beforehand behind being below beside besides between beyond both but by "
        "can cannot could couldn't did didn't do does doesn't doing don't done down during "
        "each either else elsewhere enough etc even ever every everyone everything everywhere "
        "few for former formerly from further had hadn't has hasn't have haven't having he "
        "he'd he'll he's hence her here here's hereafter hereby herein hers herself him "
        "himself his how how's however i i'd i'll i'm i've if in indeed into is isn't it it's "
        "its itself just last latter latterly least less let's made make many may me "
        "meanwhile might mine more moreover most mostly much must mustn't my myself namely "
        "neither never nevertheless next no nobody none noone nor not nothing now nowhere of "
        "off often on once only onto or other others otherwise ought our ours ourselves out "
        "over own per perhaps please put rather re same see seem seemed seeming seems several "
        "shall shan't she she'd she'll she's should shouldn't since so some somehow someone "
        "something sometime sometimes somewhere still such than that that's the their theirs "
        "them themselves then thence there there's thereafter thereby therefore therein "
        "thereupon these they they'd they'll they're they've this those though through "
        "throughout thru thus to together too toward towards under until up upon us very via "
        "was wasn't we we'd we'll we're we've well were weren't what what's whatever when "
        "when's whence whenever where where's whereafter whereas whereby wherein whereupon "
        "wherever whether which while whither who who's whoever whole whom whose why why's "
        "will with within without won't would wouldn't yet you you'd you'll you're you've "
        "your yours yourself yourselves 's s t n't "
        # reporting verbs and news filler
        "said says say told according like new one two cent percent mr mrs ms dr"
    )
)

#: Words that say no. Contractions ending in "n't" count too (:func:`is_negation`).
NEGATIONS = frozenset(word_list("not no never n't cannot neither nor none nobody nothing without"))


def is_negation(word: str) -> bool:
    w = word.lower().replace("’", "'")
    return w in NEGATIONS or w.endswith("n't")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, deterministic stemmer of inflections, lower-cased: "elections"/"election",
    "travels"/"travelled"/"travel", "parades"/"paraded"/"parade", "carried"/"carry" share one
    stem. It strips plural, past, progressive and adverb endings only, never derivations, so
    "election" and "elect", or "internal" and "international", stay apart: the checker must
    not count one as support for the other."""
    w = word.lower().replace("'", "")
    if w.endswith("s") and len(w) > 3 and w[-2] not in "su":
        w = w[:-3] + "y" if w.endswith("ies") and len(w) > 4 else w[:-1]
        if w.endswith("e") and w[-2:-1] in ("h", "x", "s", "z"):  # boxes, pushes
            w = w[:-1]
    for suffix in ("ingly", "edly", "ing", "ed", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if w.endswith("i"):
                w = w[:-1] + "y"  # carried -> carry
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # stopped/stop, travelled/travel, called/call
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]  # paraded/parade
    return w


def word_key(
    word: str,
    *,
    stop: Collection[str] = STOPWORDS,
    numbers: bool = True,
    stemmed: bool = True,
) -> str | None:
    """The form in which stages compare one word: lower-cased, possessive "'s" dropped and
    stemmed (unless ``stemmed=False``); ``None`` for a word in ``stop``, a negation, a single
    character, or a number when ``numbers=False``."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) < 2 or w in stop or is_negation(w):
        return None
    if w[0].isdigit() or w[0] == "$":
        return w if numbers else None
    return stem(w) if stemmed else w


def content_words(
    text: str,
    *,
    stop: Collection[str] = STOPWORDS,
    numbers: bool = True,
    stemmed: bool = True,
) -> list[str]:
    """The keys (:func:`word_key`) of a text's words in order, hyphenated words split into their
    parts ("14-year-old" gives "14", "year", "old")."""
    out = []
    for tok in tokens(plain(text)):
        parts = [tok.text] if tok.is_number or "." in tok.text else tok.text.split("-")
        for part in parts:
            key = word_key(part, stop=stop, numbers=numbers, stemmed=stemmed)
            if key is not None:
                out.append(key)
    return out
