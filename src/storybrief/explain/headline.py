"""A story's headline when its articles have none (plain text, wire copy without titles): its
lead sentence, shortened so that what is left still reads as a headline.

* An opening phrase set off by a comma ("After a day of fighting, ...", "In a surprise move,
  ...") is dropped: the headline is the main clause. A condition ("If elected, ...") is not:
  without it the rest would say more than the sentence does.
* A sentence of up to ``max_words`` words is kept whole (without its full stop).
* Else its first clause, when that is a whole one: not a name alone ("House Speaker Newt
  Gingrich"), not ending on a word that needs more ("the upcoming season of Netflix's"), not
  a scene-setting phrase, not inside a relative clause ("A girl who suffered a heart attack").
* Else the sentence up to a word that opens a phrase of place, time or manner ("... the 18
  Asia-Pacific Economic Cooperation nations | next month in the Malaysian capital"), which the
  headline can do without (up to two words over ``max_words``), when what is left is whole and
  does not end on a verb the phrase completes ("Holbrooke met | with ..."); else its first
  words and an ellipsis, never after a word that needs more ("the", "of").

>>> shorten("After a day of fighting, Congolese rebels said Sunday they had entered Kindu, "
...         "the strategic town and airbase in eastern Congo used by the government.")
'Congolese rebels said Sunday they had entered Kindu'
"""

from __future__ import annotations

import re

# Opening phrases that set the scene and can go ("After a day of fighting, ...").
_SCENE_WORDS = (
    r"(?:after|before|as|when|while|since|despite|following|amid|with|in|on|at|during|"
    r"although|though|because|once|until|unlike|like|less than|more than|nearly|almost|"
    r"for|from|by|under|over|according to|even|just|earlier|later|meanwhile|now|today|"
    r"yesterday|last|this|next)\b"
)
_SCENE = re.compile(rf"^{_SCENE_WORDS}[^,;:“\"]{{0,80}},\s+(?=\S)", re.IGNORECASE)
_OPENS_SCENE = re.compile(rf"^{_SCENE_WORDS}", re.IGNORECASE)
_RELATIVE = re.compile(r",\s+(?:who|which|whose|whom|where|when)\b|\swho\s", re.IGNORECASE)
_CLAUSE = re.compile(r",\s|;\s|\s[—–-]\s|:\s")
# Words a headline cannot end on: they need what follows.
_NEEDS_MORE_TEXT = """a an the of to for and or but with from by at in on as his her its their our
    my your this that these those who which whose whom than into onto about over under between
    against during without within says said is are was were has have had will would could
    can may might must should be been being not very more most"""
_NEEDS_MORE = frozenset(_NEEDS_MORE_TEXT.split())
# Words that open a phrase the headline can do without (place, time, manner, reason).
_OPENERS_TEXT = """in on at for after before during amid since until near outside inside across
    over under from by with without despite following as when while because next last"""
_PHRASE_OPENERS = frozenset(_OPENERS_TEXT.split())
MIN_WORDS = 6  # a cut before a phrase keeps at least this many words
# Verbs a phrase may complete ("met with", "relied on"): a cut right after one leaves it bare.
_BARE_VERBS_TEXT = """met meets meet said says told tells made makes took takes gave gives sent
    sends won wins lost loses led leads held holds left leaves put puts set sets hit hits shot
    struck found finds brought brings sought seeks ran runs came comes went goes saw sees spoke
    speaks wrote writes broke breaks rose rises fell falls began begins flew flies grew grows
    knew knows threw throws drew draws got gets kept keeps sold sells paid pays spent built
    stood fled fought agreed agrees voted votes called calls moved moves looked looks want
    wants plan plans hope hopes expect expects try tries need needs is are was were be"""
_BARE_VERBS = frozenset(_BARE_VERBS_TEXT.split())


def _verb_last(word: str) -> bool:
    low = word.lower().strip(",;:")
    return low in _BARE_VERBS or bool(re.search(r"(?:ing|ed)$", low))


def _drop_scene(text: str) -> str:
    m = _SCENE.match(text)
    if not m:
        return text
    rest = text[m.end() :]
    if len(rest.split()) < 4 or len(_CLAUSE.split(rest)[0].split()) < 3:
        return text  # "..., Honey, were found dead": the phrase held the subject
    return rest[0].upper() + rest[1:]


def _whole(clause: str) -> bool:
    """Does the clause read as a whole headline (not a bare name, not cut mid-phrase)?"""
    words = clause.split()
    last = words[-1].lower().strip("“”\"'‘’()")
    if last in _NEEDS_MORE or re.search(r"['’]s?$", words[-1]):
        return False
    if clause.count("“") != clause.count("”") or clause.count('"') % 2:
        return False
    if _OPENS_SCENE.match(clause) or _RELATIVE.search(clause):
        return False  # "Less than a week before ...", "Jane Marsh, who led the chamber"
    return not all(w[:1].isupper() or not w[:1].isalpha() for w in words)


def shorten(sentence: str, max_words: int = 14) -> str:
    """A sentence cut to a headline (see the module's docstring); no final full stop."""
    text = _drop_scene(sentence.strip().rstrip("."))
    words = text.split()
    if len(words) <= max_words:
        return text
    clause = _CLAUSE.split(text)[0]
    if 4 <= len(clause.split()) <= max_words and _whole(clause):
        return clause
    for cut in range(min(len(words) - 1, max_words + 2), MIN_WORDS - 1, -1):
        if words[cut].lower() in _PHRASE_OPENERS:
            head = " ".join(words[:cut]).rstrip(",;:")
            if _whole(head) and not _verb_last(words[cut - 1]):
                return head  # not "Search teams hunting", "Holbrooke met"
    cut = max_words
    while cut > MIN_WORDS and words[cut - 1].lower() in _NEEDS_MORE:
        cut -= 1  # "... that crashed…", not "... that crashed into the…"
    return " ".join(words[:cut]).rstrip(",;:") + "…"
