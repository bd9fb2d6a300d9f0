"""Which section a source sentence belongs in: what happened, why it matters, what comes next,
or the background and reactions beyond the headlines.

Two kinds of evidence, both general English rather than tuned to any one article:

* in-body headings ("Why It Matters", "What Happens Next?", "Background", "What People Are
  Saying") and inline labels ("The big picture: ...") assign the sentences under them;
* cues in the sentence itself: significance and causality ("important", "could", "threat",
  "because"), future and expectation ("will", "expected", "plans to", "next week"), history
  and background ("since 2006", "has been", "years ago", "previously"), reactions (quotes
  with a speaker, "criticised", "welcomed"), tense and position in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import SectionKey

Role = SectionKey
HAPPENING: Role = "whats_happening"
IMPORTANT: Role = "why_its_important"
NEXT: Role = "whats_next"
BEYOND: Role = "beyond_the_headlines"
ROLES: tuple[Role, ...] = (HAPPENING, IMPORTANT, NEXT, BEYOND)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# --- headings ------------------------------------------------------------------------------

# Specific headings decide (strength 3); headings that only say "the facts" lean (0.5),
# so that a clearly forward-looking or historical sentence under "What To Know" can still move.
_HEADINGS: list[tuple[Role, float, re.Pattern[str]]] = [
    (
        NEXT,
        3.0,
        _rx(
            r"\bwhat(?:'s| is)? (?:comes |happens )?next\b",
            r"\bnext steps?\b",
            r"\blook(?:ing)? ahead\b",
            r"\boutlook\b",
            r"\bwhat to (?:watch|expect|look for)\b",
            r"\bwhat (?:we're|we are|to keep) watching\b",
            r"\bwhat(?:'s| is) ahead\b",
            r"\broad ahead\b",
            r"\bcoming up\b",
            r"\bwhat(?:'s| is) coming\b",
            r"\bthe future\b",
        ),
    ),
    (
        IMPORTANT,
        3.0,
        _rx(
            r"\bwhy (?:it|this|that) (?:matters|is important|counts)\b",
            r"\bwhy it's important\b",
            r"\bsignifican(?:ce|t)\b",
            r"\bbig picture\b",
            r"\bwhat (?:it|this) means\b",
            r"\bimpact\b",
            r"\bimplications?\b",
            r"\bstakes\b",
            r"\bwhy now\b",
            r"\bbottom line\b",
            r"\bthreat level\b",
            r"\bwhy (?:you|we) should care\b",
            r"\bthe upshot\b",
        ),
    ),
    (
        BEYOND,
        3.0,
        _rx(
            r"\bbackground\b",
            r"\bcontext\b",
            r"\bhistory\b",
            r"\bbackstory\b",
            r"\bflashback\b",
            r"\bhow we got here\b",
            r"\bbetween the lines\b",
            r"\bzoom (?:in|out)\b",
            r"\bwhat (?:people|they|others|critics|experts|officials|observers)(?:'re| are)? "
            r"say(?:ing)?\b",
            r"\bwhat they(?:'re| are) saying\b",
            r"\breactions?\b",
            r"\bthe other side\b",
            r"\bby the numbers\b",
            r"\bbeyond the headlines\b",
            r"\breality check\b",
            r"\byes,? but\b",
            r"\bof note\b",
            r"\bworth noting\b",
            r"\bthe intrigue\b",
            r"\bkey quotes?\b",
            r"\bfun fact\b",
        ),
    ),
    (
        HAPPENING,
        0.5,
        _rx(
            r"\bwhat (?:to|you need to|you should) know\b",
            r"\bwhat happened\b",
            r"\bwhat we know\b",
            r"\bthe details\b",
            r"^details$",
            r"\bdriving the news\b",
            r"\bthe latest\b",
            r"\bkey (?:facts|points|takeaways)\b",
            r"\bstate of play\b",
            r"\bwhat(?:'s| is) happening\b",
            r"\bthe news\b",
            r"\bcatch up(?: quick)?\b",
            r"\bat a glance\b",
            r"\bin brief\b",
            r"\bthe facts\b",
        ),
    ),
]


def heading_role(heading: str) -> tuple[Role, float] | None:
    """The section an in-body heading or inline label assigns, with how firmly."""
    text = " ".join(heading.replace("’", "'").strip(" :?!.").split())
    for role, strength, pattern in _HEADINGS:
        if pattern.search(text):
            return role, strength
    return None


# --- cues in the sentence ---------------------------------------------------------------------

_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_PERIOD = r"(?:week|weekend|month|year|season|session|term|round|summit|meeting|election)"

_FUTURE = [
    (2.0, _rx(r"\bwill\b", r"\bwon't\b", r"\bshall\b", r"\w'll\b", r"\bgoing to\b")),
    (  # a scheduled step: a vote, hearing or deadline with its date
        1.5,
        _rx(
            r"\b(?:vote|votes|hearing|hearings|trial|sentencing|arraignment|deadline|runoff|"
            r"referendum|inauguration|court date|summit|talks)\b[^.;]{0,40}\b(?:on|by|in|"
            r"until|before) (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|monday|tuesday|"
            r"wednesday|thursday|friday|saturday|sunday|next|the coming|early|mid|late)",
        ),
    ),
    (
        2.0,
        _rx(
            r"\b(?:is|are|was|were|be|being|been) (?:widely |now |also )?"
            r"(?:expected|set|scheduled|due|slated|poised|likely|unlikely|planning|preparing|"
            r"poised|about|bound) to\b",
            r"\bexpects? (?:to|that)\b",
            r"\bplans? (?:to|for)\b",
            r"\bintends? to\b",
            r"\baims? to\b",
            r"\bhopes? to\b",
            r"\bseeks? to\b",
            r"\blook(?:s|ed|ing)? forward to\b",
        ),
    ),
    (
        1.5,
        _rx(
            rf"\bnext {_PERIOD}\b",
            rf"\bnext {_WEEKDAY}\b",
            rf"\blater (?:this|next) {_PERIOD}\b",
            r"\bin the (?:coming|next) (?:days|weeks|months|years)\b",
            r"\bupcoming\b",
            r"\btomorrow\b",
            r"\bby the end of\b",
            r"\bdeadline\b",
            r"\bpending\b",
            r"\bawait(?:s|ing|ed)?\b",
            r"\bforecasts?\b",
            r"\bprojected to\b",
            r"\bnext steps?\b",
            r"\bexpected\b",
            r"\bplanned\b",
            r"\bscheduled\b",
        ),
    ),
    (0.5, _rx(r"\bwould\b", r"\b(?-i:may)\b", r"\bmight\b", r"\bcould\b")),
]

_SIGNIFICANCE = [
    (
        1.5,
        _rx(
            r"\b(?:important|importance|significant(?:ly)?|significance|crucial|critical|vital|"
            r"pivotal|landmark|historic|unprecedented|milestone|turning point|watershed)\b",
            r"\b(?:matters?|implications?|consequences?|ramifications|stakes)\b",
            r"\b(?:underscores?|underscored|highlights?|highlighted|signals?|signall?ed|"
            r"symboli[cz]\w*|a (?:show|sign|signal|test) of)\b",
            r"\b(?:threat(?:s|en|ens|ened|ening)?|risks?|dangers?|dangerous|crisis|"
            r"jeopardi[sz]e)\b",
        ),
    ),
    (
        1.0,
        _rx(
            r"\bbecause\b",
            r"\bas a result\b",
            r"\bdue to\b",
            r"\bmeans? that\b",
            r"\bwhich means\b",
            r"\bin order to\b",
            r"\bso that\b",
            r"\bfears?\b",
            r"\bconcerns?\b",
            r"\bworr(?:y|ies|ied)\b",
            r"\bwarn(?:s|ed|ing)?\b",
            r"\b(?:impact|affect|boost|hurt|harm|benefit|strengthen|weaken|undermine|"
            r"influence|reshape|shift|pressure|challenge)(?:s|ed|ing)?\b",
            r"\b(?:major|key|biggest|largest|first|only|record|strategic|strategy)\b",
        ),
    ),
    (
        0.75,
        _rx(
            r"\bcould\b",
            r"\b(?-i:may)\b",
            r"\bmight\b",
            r"\b(?:analysts?|experts?|economists?|observers|commentators|critics)\b",
            r"\b(?:suggest|indicat|reinforc|reflect)\w*\b",
            r"\bpoints? to\b",
            r"\bshow(?:s|ed)? (?:that|how)\b",
            r"\b(?:thus|therefore|hence)\b",
        ),
    ),
]

_BACKGROUND = [
    (
        2.0,
        _rx(
            r"\bsince (?:(?:19|20)\d\d|the (?:\d+|early|late|start|end|beginning))",
            r"\b(?:previously|formerly|historically|traditionally|long-standing|longstanding)\b",
            r"\b(?:years|decades|months|centuries) ago\b",
            r"\bfor (?:years|decades|centuries|generations)\b",
            r"\b(?:in|during|by|until) (?:the )?(?:early |mid-?|late )?(?:19|20)\d\ds?\b",
            r"\bin the past\b",
            r"\b(?:comes?|came) (?:after|amid|as|weeks|days|months|a)\b",
            r"\b(?:follows|followed) (?:a|an|the|years|months|weeks)\b",
            r"\bthe latest\b",
            r"\bback in\b",
            r"\b(?:has|have|had) (?:long|previously|repeatedly|never|already|often|"
            r"traditionally) ",
            r"\bthe (?:last|first) time\b",
            r"\b(?:during|in) (?:his|her|their|its) (?:first|previous|last) (?:term|visit|"
            r"tenure|stint)\b",
        ),
    ),
    (
        0.75,
        _rx(
            r"\b(?:has|have|had) been\b",
            r"\b(?:has|have|had) (?:\w+ )?(?:\w+ed|\w+en|made|met|led|held|won|lost|built|"
            r"fought|sought|seen|grown|become|taken|given|done|run)\b",
            r"\bearlier\b",
            r"\bonce\b",
            r"\bformer\b",
            r"\bdecades?\b",
            r"\bhistory\b",
            r"\bsince\b",
            r"\blike (?:his|her|their|its)\b",
        ),
    ),
]

_REACTION = [
    (
        1.0,
        _rx(
            r"\b(?:criticis|criticiz|condemn|prais|welcom|denounc|slamm?|reject|defend|applaud|"
            r"blast|lambast|hail|decr|accus|den(?:y|ied|ies)|dismiss|rebuk|commend)\w*\b",
            r"\bin a statement\b",
            r"\btold (?:reporters|a news conference|a press conference|journalists)\b",
            r"\b(?:at|during) a (?:news|press) (?:conference|briefing)\b",
        ),
    ),
    (
        0.75,
        _rx(
            r"\b(?:said|says|told|added|argued|argues?|insisted|stated|believes?|according to)\b",
        ),
    ),
]

_LEAD_BONUS = {0: 2.5, 1: 1.5, 2: 1.0, 3: 0.5}

_EVENT_TIME = _rx(
    rf"\b(?:on |last |this |early |late )?{_WEEKDAY}\b",
    r"\b(?:today|yesterday|tonight|overnight|this (?:week|morning|afternoon|evening))\b",
    r"\b(?:on|this) (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b",
)
_QUOTE = re.compile(r"“[^”]{12,}”|\"[^\"]{12,}\"")  # a quotation, not a scare-quoted word
# A figure: a count, amount or share ("212,672", "$2 million", "13 percent"), not a year.
_FIGURE = re.compile(
    r"[$£€]\s?\d|\d[\d,.]*\s?(?:%|(?:percent|per cent|million|billion|trillion)\b)"
    r"|\b\d{1,3}(?:,\d{3})+\b"
)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


@dataclass(frozen=True)
class RoleScores:
    """How strongly a sentence reads as each kind of section material."""

    happening: float
    important: float
    next: float
    beyond: float

    def as_dict(self) -> dict[Role, float]:
        return {
            HAPPENING: self.happening,
            IMPORTANT: self.important,
            NEXT: self.next,
            BEYOND: self.beyond,
        }


_GROUPS = (
    ("future", _FUTURE),
    ("significance", _SIGNIFICANCE),
    ("background", _BACKGROUND),
    ("reaction", _REACTION),
)


def cue_parts(text: str) -> dict[str, float]:
    """Each cue group's score on its own (outside and inside quotations apart): the features
    :mod:`.role_model` weighs, and what :func:`cue_scores` adds up."""
    plain = _QUOTED.sub(" ", text)
    quoted = " ".join(_QUOTED.findall(text))
    parts: dict[str, float] = {}
    for name, groups in _GROUPS:
        for i, (weight, pattern) in enumerate(groups):
            parts[f"{name}_{i}"] = weight * len(pattern.findall(plain))
            if name in ("future", "significance"):
                parts[f"{name}_{i}_quoted"] = weight * len(pattern.findall(quoted))
    parts["event_time"] = float(bool(_EVENT_TIME.search(plain)))
    parts["statistics"] = float(statistics(text))
    return parts


def _total(parts: dict[str, float], name: str, cap: float, suffix: str = "") -> float:
    groups = dict(_GROUPS)[name]
    return min(sum(parts[f"{name}_{i}{suffix}"] for i in range(len(groups))), cap)


def cue_scores(text: str, position: int, parts: dict[str, float] | None = None) -> RoleScores:
    """Scores from the sentence's own words and its position among the article's statements
    (``parts``: its :func:`cue_parts`, when already at hand).

    Quoted words count at half weight: what someone said is a reaction first. (Weights are
    on one scale with the happening score: a lead sentence scores 3.)
    """
    if parts is None:
        parts = cue_parts(text)
    future = 1.5 * _total(parts, "future", 4.0) + 0.75 * _total(parts, "future", 2.0, "_quoted")
    significance = 1.5 * _total(parts, "significance", 4.0) + 0.75 * _total(
        parts, "significance", 2.0, "_quoted"
    )
    background = _total(parts, "background", 4.0)
    reaction = _total(parts, "reaction", 2.0)
    if _QUOTE.search(text):
        reaction += 1.0
    # News puts what happened first; a sentence dated to the days of the story is news too.
    happening = 0.5 + _LEAD_BONUS.get(position, 0.0) + 1.25 * parts["event_time"]
    return RoleScores(
        happening=happening,
        important=significance,
        next=future,
        beyond=background + reaction,
    )


def statistics(text: str) -> bool:
    """Two figures or more and no word of significance or cause ("crucial", "record",
    "because"): statistics, which belong with what is happening rather than under "Why It's
    Important?"."""
    if len(_FIGURE.findall(text)) < 2:
        return False
    return not any(pattern.search(text) for _, pattern in _SIGNIFICANCE[:2])
