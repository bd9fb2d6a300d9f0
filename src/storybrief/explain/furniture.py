"""Page and feed furniture: what a source sentence is when it is not a statement.

Bylines, captions and photo credits, galleries' counters, calls to subscribe, players, feed
footers, site chrome: :func:`boilerplate` names which, and :mod:`.candidates` never publishes
such a line.
"""

from __future__ import annotations

import re

_BOILERPLATE: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in [
        ("feed footer", r"\bappeared first on\b"),
        (
            "feed footer",
            r"^the post\b.*\bappeared\b|^this (?:article|story|post) (?:was )?"
            r"(?:originally|first) (?:appeared|published)\b",
        ),
        ("feed footer", r"\b(?:continue reading|read the (?:full|original) (?:story|article))\b"),
        ("credit line", r"^(?:additional |contributing )?reporting (?:by|from)\b.*"),
        ("credit line", r"\bcontributed (?:reporting|to (?:this|the) (?:report|article|story))\b"),
        ("credit line", r"^(?:writing|editing|edited|compiled|produced|graphics|research) by\b"),
        (
            "credit line",
            r"\b(?:is|are) (?:a |an )?(?:staff )?(?:writer|reporter|correspondent|"
            r"editor|contributor)s? (?:at|for|with) ",
        ),
        (
            "call to action",
            r"\b(?:subscribe|sign up|register)\b.{0,40}\b(?:newsletters?|here|"
            r"now|today|for free|our|to get|for (?:more|updates|alerts|breaking))\b",
        ),
        (
            "call to action",
            r"^(?:read more|more:|related(?: coverage| stories)?:|see also|"
            r"also read|read also|recommended|watch|listen|click here|tap here|go deeper)\b",
        ),
        ("call to action", r"\b(?:click|tap) here\b|\bdownload (?:our|the) app\b"),
        (
            "call to action",
            r"\bfollow (?:us|me|him|her|them|@\w+)\b.{0,30}\bon (?:twitter|x|"
            r"facebook|instagram|tiktok|threads|bluesky|linkedin)\b|\bon (?:twitter|x) at @\w+",
        ),
        ("call to action", r"\b(?:share|like) (?:this|our) (?:story|article|post|page)\b"),
        ("call to action", r"\b(?:send|email) (?:us )?(?:your )?(?:tips|news tips)\b"),
        ("site chrome", r"\ball rights reserved\b|©|\bcopyright \d{4}\b"),
        ("site chrome", r"\b(?:terms of (?:use|service)|privacy policy|cookie policy)\b"),
        ("site chrome", r"\b(?:advertisement|sponsored content|skip advertisement)\b"),
        ("site chrome", r"^(?:published|updated|last updated|posted)\b.{0,40}\d"),
        (
            "site chrome",
            r"\bthis (?:story|article) (?:has been|was|is being) (?:updated|"
            r"corrected|developing)\b|\bthis is a (?:developing|breaking) (?:story|news)\b",
        ),
        ("caption", r"\((?:AP|AFP|Reuters|Getty|EPA|[A-Z]\w+) ?(?:Photo|Images?|Pool)[^)]*\)"),
        (
            "caption",
            r"\b(?:photo|photograph|image|picture|illustration)s? (?:by|credit|courtesy)"
            r"\b|\b(?:getty images|ap photo|afp via getty|shutterstock|file photo)\b",
        ),
        ("caption", r"^(?:pictured|caption|photo|photos|image|video|file)\s*:"),
        # where the people in a photo stand, "Jane Marsh (left) and ...", and a page's
        # "Image copyright ... Image caption" labels
        (
            "caption",
            r"\((?:left|right|centre|center|pictured|far left|far right|from left|"
            r"left to right|second (?:from )?(?:left|right))\)"
            r"|\bimage (?:copyright|caption)\b",
        ),
        # a gallery's counter and caption toggle: "Hide Caption 3 of 23 Photos: ..."
        ("gallery", r"^(?:hide|show|expand|collapse) caption\b|\b\d+ of \d+ (?:photos|images):"),
        # a web archive's crawl notice saved with the page
        (
            "archive notice",
            r"\b(?:internet archive|wayback machine)\b.*\b(?:crawl|embargo|donat)\w*"
            r"|\bcrawl data\b.*\b(?:internet archive|wayback machine)\b"
            r"|\bcrawls are part of an effort to archive\b|^crawls of supported\b|\bno more 404\b",
        ),
        # a social network's notice in an embedded post
        ("social embed", r"\bwhen you tweet with a location\b|\btweet with a location\b"),
        # an embedded video player's notices
        (
            "video player",
            r"\brating is available when the video has been rented\b|\bthis video is "
            r"(?:unavailable|not available|private)\b|\bautoplay is (?:paused|on|off)\b",
        ),
        ("call to action", r"\b(?:buy|download|get) the digital edition\b"),
        (
            "call to action",
            r"\bin your inbox\b|\bview all [\w ]{0,40}newsletters\b|^please re-enter\b"
            r"|^follow [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3} on (?:twitter|x|facebook|"
            r"instagram|tiktok|threads|bluesky|linkedin)\b|^share (?:it|this|your)\b.{0,30}"
            r"\bcomments?\b",
        ),
        (
            "video player",
            r"^(?:embed more news videos|now playing:|just watched\b|replay more videos)"
            r"|^\(soundbite of\b",
        ),
        ("gallery", r"^slideshow \(\d+ images?\)|^\d+ of \d+\.?$"),
        # a wire photo's caption: present tense, then ", Thursday, Feb. 16, 2017"
        (
            "caption",
            r", (?:mon|tues|wednes|thurs|fri|satur|sun)day,? (?:jan|feb|mar|apr|may|jun|jul|"
            r"aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}\b",
        ),
        # a link to related coverage set in brackets, a spoiler warning, "Follow ABC 13 for ..."
        (
            "call to action",
            r"^[(\[](?:see|also on|related|read|watch|more on|click)\b.*[)\]]\.?$"
            r"|^warning: (?:contains )?spoilers?\b|^follow [A-Z][\w ]{1,30} for (?:the latest|"
            r"more|updates)\b",
        ),
        ("contact", r"https?://|www\.\w|\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
        ("table row", r"^\||\|$"),  # (part of) a table row in an article (extract.extract_html)
    ]
]

# "By Jane Doe" / "By Jane Doe and John Roe, Reuters" / "Jane Doe | CNN"
_BYLINE = re.compile(
    r"^(?:by\s+)?[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})*\s*(?:\|.*)?$"
)


# A video player's "CLOSE" button saved before the clip's description ("CLOSE Actor ... is").
_PLAYER = re.compile(r"^CLOSE\s+[A-Z]")


# A photo or video credit standing as a line: "(Associated Press)", "(Image: Getty)",
# "REUTERS/Brian Snyder", "(Julie Jacobson/AP, Pool)", "Pic Giles Hamm", "Courtesy Sara Carson".
_AGENCIES = (
    r"(?:AP|AFP|Reuters|REUTERS|Getty(?: Images)?|EPA|Associated Press|Bloomberg|Shutterstock|"
    r"Pool|Xinhua|Sipa|Alamy|Rex|PA|Buzz60|CNN|NBC|ABC|CBS|Fox News|BBC)"
)
_CREDIT_LINE = re.compile(
    rf"^\(?(?:{_AGENCIES}|(?:image|photo|picture|video|pic)s?:? [^()]{{1,40}})\)?\.?$"
    rf"|^\([^()]{{1,50}}/(?:{_AGENCIES})[^()]{{0,20}}\)\.?$"
    rf"|^{_AGENCIES}/[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){{0,3}}\.?$"
    r"|^(?:pic|photo|courtesy|credit)s?:? [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}\.?$",
    re.IGNORECASE,
)


# A photo credit glued to the caption after it, as some pages print them: "Evan Vucci / AP file
# President Barack Obama and ...", "Neil Warner / Splash News Britney Spears' handlers ...".
_CREDIT_PREFIX = re.compile(r"^[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,2}\s+/\s+(?:[A-Z]|via\b)")
# A page's label glued to its sentence: "View Images The skull of ...", "Boston Globe The sale"
_KICKER = re.compile(r"^(?:[A-Z][\w'’.&-]*\s){1,4}(?:The|A|An)\s[a-z]")


def credit_line(text: str) -> bool:
    """A line that is only a photo or video credit."""
    return bool(_CREDIT_LINE.match(text.strip()))


def boilerplate(text: str) -> str | None:
    """Why ``text`` is page or feed furniture rather than a statement, or None."""
    for name, pattern in _BOILERPLATE:
        if pattern.search(text):
            return name
    stripped = text.strip()
    if credit_line(stripped):
        return "credit line"
    if _CREDIT_PREFIX.match(stripped):
        return "caption"
    if _KICKER.match(stripped):
        return "site chrome"
    if _PLAYER.match(stripped):
        return "video player"
    if (
        len(stripped.split()) <= 8
        and (stripped.lower().startswith("by ") or "|" in stripped)
        and _BYLINE.match(stripped)
    ):
        return "byline"
    return None
