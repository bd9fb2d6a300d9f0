"""Which source sentences an extractive explainer may use, and what each needs to be readable.

A candidate is a statement of a source article (not an in-body heading) that is not feed or
page boilerplate (bylines, captions, credits, calls to subscribe), with datelines and inline
labels ("WASHINGTON (Reuters) -", "Why it matters:") cut off. The cut is a sub-span of the
stored sentence, so the citation still points at exactly the text that is published.

A candidate that opens with a pronoun or connective ("He", "This", "But", "However") or
attributes a quote to a pronoun ("..., she said.") is *dangling*: it may only be published
right after the sentence before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import Article
from ..text import Sentence, normalise
from ..verify.standalone import cut_short, first_person, unresolved_pronoun
from .furniture import boilerplate, credit_line
from .roles import Role, heading_role

# --- datelines and inline labels --------------------------------------------------------------

_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:,\s*\d{4})?"
)
_DATELINE = re.compile(
    r"^(?:"
    r"[A-Z][A-Z'’.-]+(?:\s+[A-Z][A-Z'’.-]+){0,3}"  # CITY
    r"(?:,\s*[A-Z][A-Za-z.'’]+(?:\s+[A-Z][A-Za-z.'’]+){0,2})?"  # , State / Country
    rf"(?:,?\s+{_MONTH})?"  # date
    r"\s*(?:\([^()]{1,40}\))?"  # (Reuters)
    r"|\([A-Za-z][^()]{0,30}\)"  # (CNN)
    r")\s*[-—–]+\s*"
    # a wire's dateline with no dash: "(CNN)The ...", "Sycamore, Illinois (CNN) The ...", and as
    # DUC 2004's texts print it, "BRUSSELS, Belgium( AP) The ..."
    r"|^(?:[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,2},?(?:\s+[A-Z][\w.'’-]+){0,2}\s*)?"
    r"\(\s?(?:CNN|AP|Reuters|AFP|UPI|Bloomberg|CNN Business|CNBC|NBC News|ABC News|CBS News)\)\s*"
)
_GALLERY = re.compile(r"^(?:View|See|Open) (?:Images|Photos|Gallery|Slideshow)\s+(?=[A-Z])")
_LABEL = re.compile(r"^([A-Z][\w'’ ,]{1,40}?):\s+(?=[A-Z“\"‘'0-9])")


def dateline_end(text: str) -> int:
    """Length of a dateline prefix ("WASHINGTON (Reuters) - ") at the start of text, or of a
    gallery's button glued to it ("View Images Originally ..."), or 0."""
    if gallery := _GALLERY.match(text):
        return gallery.end()
    match = _DATELINE.match(text)
    if not match or match.end() >= len(text) or not text[match.end()].isupper():
        return 0
    prefix = match.group()
    if "(" not in prefix and not re.match(r"^[A-Z'’.-]{2,}", prefix):
        return 0
    return match.end()


def inline_label(text: str) -> tuple[int, tuple[Role, float] | None]:
    """An Axios-style label ("Why it matters: ...") at the start: its length, and the
    section it assigns with how firmly (as :func:`heading_role`)."""
    match = _LABEL.match(text)
    if not match or len(match.group(1).split()) > 5:
        return 0, None
    role = heading_role(match.group(1))
    if role is None:
        return 0, None
    return match.end(), role


# --- quotes and dangling starts ---------------------------------------------------------------

_SPEECH = (
    r"(?:said|says|say|told|tells|added|adds|wrote|writes|tweeted|posted|stated|states|asked|"
    r"asks|reported|reports|announced|noted|notes|explained|argued|argues|warned|warns|"
    r"insisted|declared|claimed|claims|continued|recalled|saying|acknowledged|admitted|urged|"
    r"vowed|according to|quoted|quoting|in a statement|replied|responded|concluded|joked|"
    r"suggested|predicted|conceded|emphasi[sz]ed|stressed|observed|remarked|testified)"
)
_SPEECH_RE = re.compile(rf"\b{_SPEECH}\b", re.IGNORECASE)
# "“…,” he said." / "He added: “…”" once the quotation is replaced by Q
_PRONOUN_SPEAKER = re.compile(
    rf"(?:^|Q)[\s,]*(?:he|she|they|it|we|i)\s+(?:\w+\s+)?{_SPEECH}\b", re.IGNORECASE
)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")

_DANGLING_TEXT = """he she it they him them his her hers its their theirs such
    i we our my us me but however also and or so yet still then thus therefore hence instead
    moreover furthermore additionally nevertheless nonetheless meanwhile both neither
    another nor besides otherwise likewise similarly accordingly consequently here there's
    that's it's they're he's she's"""
_DANGLING_WORDS = frozenset(_DANGLING_TEXT.split())
_COUNT = (
    r"\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|(?:a )?(?:dozen|hundred)s?"
)
_DANGLING_PHRASES = re.compile(
    r"^(?:in addition|in turn|as a result|even so|despite this|despite that|after that|"
    r"since then|by then|until then|before that|even then|back then|at the time|"
    r"on the other hand|at the same time|by contrast|in contrast|the move|the decision|"
    r"the remarks|the comments|the latter|the same|the statement|"
    r"the (?:number|figure|figures|total|tally|increase|decrease|rise|drop|decline|jump|"
    r"change|findings|results)\b(?!\s+(?:of|for|in|at|on)\b)|"
    r"(?:some|many|most|others|several|few|all|both)\s+(?:have|has|had|are|were|say|said|"
    r"will|would|of them|of those|of these)\b|"
    r"for (?:his|her|their|its) part|other (?:such|similar)|"
    r"which (?:is|was|are|were|means|meant|explains|has|had|led|leads|makes|made)|"
    rf"(?:{_COUNT}|none|each|either|neither) of (?:them|those|these)|(?:{_COUNT}) more\b|"
    r"(?:one|two|three|some|many|most|none|each|either|neither|all) of (?:the|those|these)\s+"
    r"(?:\w+\s+)?(?:suspects|victims|men|women|people|officials|others|two|three|pair|group|"
    r"companies|countries|leaders|players|members|candidates))\b",
    re.IGNORECASE,
)
# "This"/"These"/"That" stand for something said before when a verb or a vague noun
# follows ("This is...", "This move..."); before a specific noun ("This tram line") they are
# a determiner and the sentence can stand alone.
_DEMONSTRATIVE = re.compile(
    r"^(?:this|these|those|that)\b(?:\s*[,.;:!?]|\s*$|\s+(?:is|was|are|were|has|have|had|"
    r"will|would|could|can|may|might|should|must|does|did|do|comes?|came|means?|meant|"
    r"follows?|followed|includes?|included|marks?|marked|shows?|showed|leads?|led|"
    r"suggests?|suggested|makes?|made|gives?|gave|puts?|raises?|raised|sets?|happen\w*|"
    r"of|in|on|at|for|to|from|with|by|as|also|all|not|one|ones|kind|sort|type|"
    r"move|decision|step|announcement|statement|comments?|remarks?|incident|development|"
    r"approach|issue|problem|situation|case|news|plan|idea|view|claim|time)\b)",
    re.IGNORECASE,
)
_FIRST_PERSON = frozenset({"i", "we", "our", "my", "us", "me", "i'm", "we're", "i've", "we've"})
_FIRST_WORD = re.compile(r"[“\"‘'(]*([A-Za-z’']+)")


UNATTRIBUTED = "quotation without its speaker"

#: Rejections that stay rejected even when nothing else is left: such a line is not the
#: article's own statement, so it is never published nor quoted.
FATAL = frozenset(
    ("feed footer", "credit line", "call to action", "site chrome", "caption", "contact")
    + ("byline", "gallery", "archive notice", "social embed", "video player", "table row")
)


def attributed(text: str) -> bool:
    """Does the sentence name who is speaking (a speech verb outside its quotation marks)?"""
    return bool(_SPEECH_RE.search(_QUOTED.sub(" ", text)))


def quote_problem(text: str) -> str | None:
    """Why a sentence's quotation cannot stand alone, or None."""
    curly_open, curly_close = text.count("“"), text.count("”")
    if curly_open != curly_close or text.count('"') % 2:
        return "part of a longer quotation"
    quoted = _QUOTED.findall(text)
    if not quoted:
        return None
    outside = _QUOTED.sub(" ", text)
    inside_words = sum(len(q.split()) for q in quoted)
    outside_words = len(outside.split())
    if inside_words >= 3 and not _SPEECH_RE.search(outside) and outside_words < inside_words:
        return UNATTRIBUTED
    return None


def dangles(text: str) -> bool:
    """True when the sentence needs the one before it to be understood: it opens with a
    pronoun or connective (a quotation opening with "I" or "we" is fine: the speaker is named
    after it), it says "he" or "her" of no one it names, or it attributes a quotation to a
    pronoun ("..., she said.")."""
    match = _FIRST_WORD.match(text)
    if match:
        word = match.group(1)
        quoted = match.start(1) > 0 and text[0] in "“\"‘'"
        first_person = quoted and word.lower() in _FIRST_PERSON
        # "It"/"This" are pronouns; "US"/"IT" are names of things
        if (
            not first_person
            and (word == "I" or not word.isupper())
            and word.lower().replace("’", "'") in _DANGLING_WORDS
        ):
            return True
    opening = text.lstrip("“\"‘'(")
    if _DANGLING_PHRASES.match(opening) or _DEMONSTRATIVE.match(opening):
        return True
    if unresolved_pronoun(text):  # "By the time ..., he was effectively in charge"
        return True
    if not _QUOTED.search(text):
        return False
    return bool(_PRONOUN_SPEAKER.search(_QUOTED.sub(" Q ", text)))


# --- candidates ---------------------------------------------------------------------------

_WORDS = re.compile(r"\S+")


@dataclass
class Candidate:
    """A source statement and what the engine knows about it."""

    article_pos: int  # position of its article in the input
    order: int  # position of its article in reading order (oldest first when dated)
    article: Article
    sentence: Sentence
    position: int  # index among its article's statements, from 0
    start: int  # the cited span: article.text[start:end] == text
    end: int
    text: str
    heading: str | None = None  # the in-body heading above it
    hint: Role | None = None  # section its heading or inline label assigns
    hint_strength: float = 0.0
    dangling: bool = False
    prev: int | None = None  # index of the statement before it (same block), if usable
    rejected: str | None = None  # why it may not be published
    words: int = 0
    idx: int = field(default=-1)  # its index in the candidate list

    @property
    def usable(self) -> bool:
        return self.rejected is None

    @property
    def key(self) -> tuple[int, int]:
        """Reading order: article order, then sentence order."""
        return (self.order, self.sentence.index)


def _credited(article: Article, sentence: Sentence) -> bool:
    """Is the next line of the article a photo credit alone (so this line is its caption)?
    Only when ``sentence`` ends its own line."""
    text = article.text
    end = sentence.end
    if end >= len(text) or text[end : end + 1] != "\n":
        return False
    stop = text.find("\n", end + 1)
    return credit_line(text[end + 1 : stop if stop >= 0 else len(text)])


def after_context(picked: list[Candidate]) -> list[Candidate]:
    """A dangling sentence ("The move is ...") right after the sentence before it, wherever
    the arrangement put it (more of the story told after the section's first account would
    part them)."""
    out: list[Candidate] = []
    waiting = {c.prev: c for c in picked if c.dangling and c.prev is not None}
    placed: set[int] = set()
    present = {c.idx for c in picked}

    def place(c: Candidate) -> None:
        out.append(c)
        placed.add(c.idx)
        follower = waiting.get(c.idx)
        if follower is not None and follower.idx not in placed:
            place(follower)

    for c in picked:
        if c.idx in placed or (c.dangling and c.prev in present):
            continue
        place(c)
    out += [c for c in picked if c.idx not in placed]  # (a cycle cannot happen; kept safe)
    return out


def reading_order(articles: Sequence[Article]) -> list[int]:
    """Input positions in reading order: dated articles oldest first, then undated ones, in
    input order (a story is read in the order it unfolded)."""

    def key(pos: int) -> tuple[int, float, int]:
        when = articles[pos].published_at
        return (0, when.timestamp(), pos) if when is not None else (1, 0.0, pos)

    dated = [p for p in range(len(articles)) if articles[p].published_at is not None]
    if len(dated) != len(articles):  # mixing dated and undated would scramble the input order
        return list(range(len(articles)))
    return sorted(range(len(articles)), key=key)


def candidates(
    articles: Sequence[Article], *, min_words: int = 6, max_words: int = 80
) -> list[Candidate]:
    """Every statement of every article, with rejections and dangling links filled in."""
    out: list[Candidate] = []
    titles = [a.title for a in articles if a.title]
    for order, pos in enumerate(reading_order(articles)):
        article = articles[pos]
        hint: tuple[Role, float] | None = None
        heading: str | None = None
        last: Candidate | None = None
        position = 0
        for sentence in article.sentences:
            if sentence.is_heading:
                heading = sentence.text
                hint = heading_role(sentence.text)
                last = None  # a heading breaks the chain of reference
                continue
            text = sentence.text
            cut = dateline_end(text)
            label_cut, label = inline_label(text[cut:])
            cut += label_cut
            body = text[cut:]
            lead = len(body) - len(body.lstrip())
            start = sentence.start + cut + lead
            end = sentence.end
            # The stored span must be what we publish; a sentence object whose text does not
            # match its span (hand-built in a test, say) is cited as a whole.
            if article.text[sentence.start : sentence.end] != sentence.text:
                start, end, body = sentence.start, sentence.end, sentence.text
            body = article.text[start:end] if article.text[start:end] else body.strip()
            cand = Candidate(
                article_pos=pos,
                order=order,
                article=article,
                sentence=sentence,
                position=position,
                start=start,
                end=end,
                text=body,
                heading=heading,
                words=len(_WORDS.findall(body)),
            )
            if label is not None:
                cand.hint, cand.hint_strength = label
            elif hint is not None:
                cand.hint, cand.hint_strength = hint
            position += 1
            cand.rejected = _rejection(body, cand.words, min_words, max_words, titles)
            if cand.rejected is None and _credited(article, sentence):
                cand.rejected = "caption"  # its credit stands on the next line
            if position == 1 and cand.rejected is None and _is_title(body, article.title):
                cand.rejected = "a headline"  # the page's <h1> kept as its first line
            cand.dangling = dangles(body)
            if last is not None and last.rejected is None:
                cand.prev = len(out) - 1
                if cand.rejected == UNATTRIBUTED and attributed(last.text):
                    # A quotation continuing the speaker's previous sentence: publishable
                    # right after that sentence, which names the speaker.
                    cand.rejected, cand.dangling = None, True
            cand.idx = len(out)
            out.append(cand)
            last = cand
    return out


_SMALL_WORDS_TEXT = "a an the of in on at to for and or but by with from as vs is"
_SMALL_WORDS = frozenset(_SMALL_WORDS_TEXT.split())
_ALPHA_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def headline_like(text: str, titles: Sequence[str] = ()) -> bool:
    """A headline, not a sentence: written in title case (nearly every word capitalised,
    "Border Patrol Encountered 212,000 Migrants in July."), or one of the articles' titles
    without a sentence's final punctuation. (A title written as a sentence that the body
    repeats is a sentence.)"""
    if titles and not re.search(r"[.!”\"’)]\s*$", text):
        flat = normalise(text).rstrip(".!…")
        if any(flat == normalise(t).rstrip(".!…") for t in titles if t):
            return True
    return _title_case(text)


def _is_title(text: str, title: str | None) -> bool:
    """Is ``text`` the article's own title (however it ends)?"""
    flat = normalise(text).rstrip(" .!…:;")
    return bool(title) and flat == normalise(title or "").rstrip(" .!…:;")


_LOWER_LONG = re.compile(r"(?<![\w'’-])[a-z]{5,}")
_HEADLINE_WORDS = 14  # longer runs of capitalised words are lists (of names, teams), not headlines


def _title_case(text: str) -> bool:
    """Nearly every word capitalised and not one lower-case word of four letters or more (a
    sentence has its verb in lower case: "The Russian beat Germany's Rainer Schuettler.")."""
    if _LOWER_LONG.search(text):
        return False  # quick exit: a lower-case word of five letters or more
    words = [w for w in _ALPHA_WORD.findall(text) if w.lower() not in _SMALL_WORDS]
    if not 5 <= len(words) <= _HEADLINE_WORDS or any(w[0].islower() and len(w) >= 4 for w in words):
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised / len(words) >= 0.8


# What is left of a bare attribution ("The official said.", "That's according to the Labor
# Department.") once the speaker, the speech verb and the when are taken away: nothing.
_ATTRIBUTION_WORDS_TEXT = """official officials spokesman spokeswoman spokesperson statement
    statements reporters
    journalists department ministry agency office government police company source sources
    report reports press conference news interview release briefing people familiar matter
    person authorities spokespeople representative representatives aide aides analyst
    analysts expert experts officer officers later earlier today yesterday tonight morning
    afternoon evening night week weekend monday tuesday wednesday thursday friday saturday
    sunday also added told late early last this that's that it's according"""
_ATTRIBUTION_WORDS = frozenset(_ATTRIBUTION_WORDS_TEXT.split())
_STOP_SHORT_TEXT = (
    "a an the of in on at to for and or but by with from as is was were are be been has have "
    "had it its this that he she they we his her their there said says say told"
)
_STOP_SHORT = frozenset(_STOP_SHORT_TEXT.split())


def bare_attribution(text: str) -> bool:
    """Only who said it, with nothing of what was said ("..., the official said.")."""
    if len(text) > 160 or _QUOTED.search(text) or not attributed(text):
        return False  # (a long sentence says more than who said it)
    body = _SPEECH_RE.sub(" ", text)
    content = [
        w
        for w in _ALPHA_WORD.findall(body)
        if not w[0].isupper()
        and w.lower() not in _ATTRIBUTION_WORDS
        and w.lower() not in _STOP_SHORT
    ]
    return len(content) < 2


def _rejection(
    text: str, words: int, min_words: int, max_words: int, titles: Sequence[str] = ()
) -> str | None:
    reason = boilerplate(text)
    if reason:
        return reason
    if headline_like(text, titles):
        return "a headline"
    if bare_attribution(text):
        return "a bare attribution"
    if words < min_words:
        return "too short"
    if words > max_words:
        return "too long"
    if text.rstrip("”\"’' )").endswith("?"):
        return "a question"
    if not re.search(r"[.!”\"’)]\s*$", text) or cut_short(text):
        return "not a complete sentence"
    if first_person(text):
        return "first person"  # a columnist's "I" or a speaker's without quotation marks
    return quote_problem(text)
