"""Word-level knowledge the checks share: number words, demonyms and aliases of places,
negation and modality cues, opposite-meaning word pairs, and the words that say nothing
checkable. Tokens, stop words and stems are the ones every stage shares (:mod:`storybrief.text`).

Everything here is general English (or general news vocabulary); nothing is fitted to a data set.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from ..text import STOPWORDS, stem, word_list

# Words that say nothing checkable on their own when they are the only difference.
LIGHT = frozenset(
    word_list(
        "according added adding amid announced asked called claimed comes continued currently "
        "described expected going including known latest like likely new noted recently "
        "reported reportedly saying stated statement take taken taking told week weeks year "
        "years today time times day days"
    )
)

#: What the checker leaves out of a sentence's content words: the shared stop words and the
#: words above.
UNCHECKABLE = STOPWORDS | LIGHT

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        word_list(
            "january february march april may june july august september october november december"
        )
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = frozenset(word_list("monday tuesday wednesday thursday friday saturday sunday"))


# --- numbers ---------------------------------------------------------------------------------

UNITS_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALE_WORDS = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "bn": 1_000_000_000,
    "m": 1_000_000,
    "k": 1_000,
    "tn": 1_000_000_000_000,
}
GROUP_WORDS = {"dozen": 12, "dozens": 12, "pair": 2, "couple": 2, "score": 20}
ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
    "hundredth": 100,
}

# Units that change what a number means; everything else is just "a count of something".
UNIT_CANON = {
    "second": "second",
    "seconds": "second",
    "minute": "minute",
    "minutes": "minute",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "decade": "decade",
    "decades": "decade",
    "century": "century",
    "centuries": "century",
    "percent": "percent",
    "per cent": "percent",
    "%": "percent",
    "percentage": "percent",
    "$": "dollar",
    "dollar": "dollar",
    "dollars": "dollar",
    "£": "pound",
    "pound": "pound",
    "pounds": "pound",
    "€": "euro",
    "euro": "euro",
    "euros": "euro",
    "yuan": "yuan",
    "yen": "yen",
    "km": "km",
    "kilometre": "km",
    "kilometres": "km",
    "kilometer": "km",
    "kilometers": "km",
    "mile": "mile",
    "miles": "mile",
    "metre": "metre",
    "metres": "metre",
    "meter": "metre",
    "meters": "metre",
    "kg": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "ton": "ton",
    "tons": "ton",
    "tonne": "ton",
    "tonnes": "ton",
    "litre": "litre",
    "litres": "litre",
    "liter": "litre",
    "liters": "litre",
    "gallon": "gallon",
    "gallons": "gallon",
}

# --- negation, modality, opposites -------------------------------------------------------------

HEDGES = frozenset(
    word_list(
        "may might could possibly perhaps reportedly allegedly likely unlikely expected plans "
        "planned planning probably potentially"
    )
)
AUXILIARIES = frozenset(
    word_list(
        "be been being is are was were am do does did has have had will would shall should "
        "can could may might must to also yet ever even still just already soon now then "
        "later again currently recently"
    )
)

# Pairs of words whose swap reverses a statement. General English, both directions.
_OPPOSITES = """
confirm deny|accept reject|admit deny|approve reject|approve veto|win lose|won lost|
increase decrease|increase cut|rise fall|rose fell|raise lower|higher lower|more fewer|
more less|most least|larger smaller|bigger smaller|largest smallest|biggest smallest|
gain loss|profit loss|success failure|succeed fail|allow ban|allow forbid|allow prohibit|
legal illegal|guilty innocent|convicted acquitted|support oppose|agree disagree|
open close|opened closed|start end|began ended|include exclude|majority minority|
before after|above below|inside outside|up down|north south|east west|left right|
arrive depart|arrived left|enter exit|buy sell|bought sold|hire fire|hired fired|
resign appoint|resigned appointed|join leave|joined left|win defeat|victory defeat|
positive negative|strong weak|stronger weaker|rich poor|high low|early late|earlier later|
first last|old new|young old|oldest youngest|alive dead|survive die|survived died|
peace war|peaceful violent|safe dangerous|public private|domestic foreign|
male female|men women|man woman|boy girl|husband wife|father mother|son daughter|
brother sister|king queen|day night|morning evening|summer winter|spring autumn|
import export|imports exports|lend borrow|lent borrowed|give take|gave took|send receive|
sent received|attack defend|guilty acquitted|true false|wrong right|best worst|better worse|
love hate|like dislike|praise criticise|praise criticize|praised criticised|praised criticized|
friend enemy|ally enemy|allies enemies|light heavy|full empty|hot cold|wet dry|fast slow|
happy sad|easy difficult|easy hard|cheap expensive|rising falling|increasing decreasing|
accepted rejected|confirmed denied|admitted denied|approved rejected|increased decreased|
closed opened|ended started|included excluded|supported opposed|agreed disagreed|
rose dropped|rise drop|grew shrank|grow shrink|expand contract|expanded contracted|
boost reduce|boosted reduced|lifted imposed|lift impose|maximum minimum|always never|
everyone no-one|all none|legalise ban|legalize ban|acquit convict|acquitted convicted|
release arrest|released arrested|freed jailed|free jail|ally rival|win loss|won loss
"""


@lru_cache(maxsize=1)
def opposites() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for pair in _OPPOSITES.replace("\n", "").split("|"):
        words = pair.split()
        if len(words) != 2:
            continue
        a, b = (stem(w) for w in words)
        if a == b:
            continue
        pairs.setdefault(a, set()).add(b)
        pairs.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in pairs.items()}


# --- places, demonyms and aliases ----------------------------------------------------------------

_DEMONYMS = """
afghan:afghanistan albanian:albania algerian:algeria american:america americans:america
argentine:argentina argentinian:argentina armenian:armenia australian:australia
austrian:austria azerbaijani:azerbaijan bangladeshi:bangladesh belarusian:belarus
belgian:belgium bolivian:bolivia bosnian:bosnia brazilian:brazil british:britain briton:britain
bulgarian:bulgaria burmese:myanmar cambodian:cambodia cameroonian:cameroon canadian:canada
chilean:chile chinese:china colombian:colombia congolese:congo croatian:croatia cuban:cuba
cypriot:cyprus czech:czechia danish:denmark dane:denmark dutch:netherlands ecuadorian:ecuador
egyptian:egypt emirati:emirates english:england eritrean:eritrea estonian:estonia
ethiopian:ethiopia european:europe filipino:philippines finnish:finland finn:finland
french:france georgian:georgia german:germany ghanaian:ghana greek:greece
guatemalan:guatemala haitian:haiti honduran:honduras hungarian:hungary icelandic:iceland
indian:india indonesian:indonesia iranian:iran iraqi:iraq irish:ireland israeli:israel
italian:italy jamaican:jamaica japanese:japan jordanian:jordan kazakh:kazakhstan kenyan:kenya
korean:korea kosovar:kosovo kurdish:kurdistan kuwaiti:kuwait kyrgyz:kyrgyzstan laotian:laos
latvian:latvia lebanese:lebanon libyan:libya lithuanian:lithuania malaysian:malaysia
malian:mali maltese:malta mexican:mexico moldovan:moldova mongolian:mongolia
moroccan:morocco mozambican:mozambique namibian:namibia nepalese:nepal nepali:nepal
nigerian:nigeria nigerien:niger norwegian:norway pakistani:pakistan palestinian:palestine
panamanian:panama paraguayan:paraguay peruvian:peru polish:poland pole:poland
portuguese:portugal qatari:qatar romanian:romania russian:russia rwandan:rwanda
saudi:saudi scottish:scotland scot:scotland senegalese:senegal serbian:serbia serb:serbia
singaporean:singapore slovak:slovakia slovenian:slovenia somali:somalia
african:africa asian:asia spanish:spain spaniard:spain sudanese:sudan swedish:sweden swede:sweden
swiss:switzerland syrian:syria taiwanese:taiwan tajik:tajikistan tanzanian:tanzania
thai:thailand tibetan:tibet tunisian:tunisia turkish:turkey turk:turkey turkmen:turkmenistan
ugandan:uganda ukrainian:ukraine uruguayan:uruguay uzbek:uzbekistan venezuelan:venezuela
vietnamese:vietnam welsh:wales yemeni:yemen zambian:zambia zimbabwean:zimbabwe
londoner:london parisian:paris muscovite:moscow new_yorker:new_york texan:texas
californian:california floridian:florida soviet:ussr
"""

# Different names of one place or body, mapped to one canonical form.
_ALIASES = """
us:united_states u.s.:united_states usa:united_states u.s.a.:united_states america:united_states
american:united_states uk:united_kingdom u.k.:united_kingdom britain:united_kingdom
great_britain:united_kingdom british:united_kingdom briton:united_kingdom
england:united_kingdom scotland:united_kingdom wales:united_kingdom
eu:european_union un:united_nations u.n.:united_nations
nato:nato dprk:north_korea drpk:north_korea
democratic_people's_republic_of_korea:north_korea rok:south_korea prc:china
people's_republic_of_china:china uae:emirates united_arab_emirates:emirates
russian_federation:russia ussr:soviet_union soviet:soviet_union holland:netherlands
"""


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    return _pairs(_DEMONYMS)


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    return _pairs(_ALIASES)


def _pairs(listing: str) -> dict[str, str]:
    """``a:b`` items (an underscore for a space) as a mapping from a to b."""
    pairs = (item.split(":") for item in listing.split())
    return {a.replace("_", " "): b.replace("_", " ") for a, b in pairs}


def place_key(word: str) -> str:
    """Canonical form of a name word for matching: "Korean" -> "korea", "U.S." -> "united states",
    "Kim's" -> "kim"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
        word = word[:-2]
    elif w.endswith("'"):
        w = w[:-1]
        word = word[:-1]
    if len(w) > 3 or word.isupper() or "." in w:  # "US", "UN" are acronyms; "Un", "us" are not
        w = aliases().get(w, w)
    w = demonyms().get(w, w)
    if w.endswith("s") and w[:-1] in demonyms():  # Russians, Koreans
        w = demonyms()[w[:-1]]
    return aliases().get(w, w) if len(w) > 3 else w


# Title words that sit in front of a name ("President Xi"); checked as ordinary words, not as the
# name itself, so "President Xi" matches "Xi, China's president".
TITLES = frozenset(
    word_list(
        "president vice prime minister premier chancellor king queen prince princess sir dame "
        "lord lady mr mrs ms miss dr doctor professor prof gen general col colonel lt sgt "
        "captain capt admiral senator sen rep representative governor gov mayor judge justice "
        "chief secretary ambassador pope bishop cardinal rev father sister brother leader "
        "chairman chairwoman chair ceo director deputy assistant spokesman spokeswoman "
        "spokesperson minister's officer official officials foreign state defence defense "
        "interior finance senior former late acting first lady's coach manager striker "
        "midfielder defender goalkeeper captain's supreme commander agent detective inspector "
        "constable sheriff officer's party's"
    )
)

# Capitalised function words that may sit inside a name ("Bank of England", "Led by Donkeys").
NAME_CONNECTORS = frozenset(word_list("of the de la du von van der al bin da di del y"))

SPEECH_VERBS = frozenset(
    word_list(
        "said says say told tells tell stated states added adds wrote writes noted notes "
        "announced announces declared declares claimed claims insisted insists explained "
        "explains according quoted quotes warned warns argued argues asked asks replied "
        "replies responded responds commented comments tweeted tweets posted posts reported "
        "reports remarked remarks acknowledged acknowledges confirmed confirms denied denies"
    )
)
PRONOUN_SUBJECTS = frozenset(word_list("he she it they we i his her its their"))


# --- closed word classes: swapping one member for another changes the facts --------------------

_CLOSED_CLASSES = {
    "colour": "red orange yellow green blue purple violet pink brown black white grey gray "
    "silver golden",
    "direction": "north south east west northern southern eastern western northeast northwest "
    "southeast southwest",
    "sex": "man woman men women male female boy girl boys girls husband wife father mother son "
    "daughter brother sister king queen prince princess gentleman lady uncle aunt nephew niece "
    "grandfather grandmother grandson granddaughter",
    "time of day": "morning afternoon evening night midnight noon dawn dusk overnight",
    "season": "spring summer autumn winter",
    "weekday": "monday tuesday wednesday thursday friday saturday sunday",
    "month": "january february march april june july august september october november december",
}


@lru_cache(maxsize=1)
def closed_classes() -> dict[str, str]:
    """stem -> the closed class it belongs to ("green" -> "colour")."""
    out = {}
    for name, words in _CLOSED_CLASSES.items():
        for w in words.split():
            out[stem(w)] = name
    return out


@lru_cache(maxsize=1)
def _valences() -> dict[str, float]:
    """stem -> sentiment valence (-4 .. 4) from the VADER lexicon (nltk-vader-sentiment)."""
    from vader import SentimentIntensityAnalyzer

    lexicon: Mapping[str, float] = SentimentIntensityAnalyzer().lexicon
    out: dict[str, float] = {}
    for word, value in lexicon.items():
        if not word.isalpha():
            continue
        key = stem(word)
        if abs(value) > abs(out.get(key, 0.0)):
            out[key] = value
    return out


def valence(key: str) -> float:
    """Sentiment of a stem: positive ("triumphant") above 0, negative ("troubled") below."""
    return _valences().get(key, 0.0)
