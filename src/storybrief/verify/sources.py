"""Analysed text: the checked sentence (a :class:`Claim`) and the source articles' sentences (a
:class:`SourceIndex`), with the tokens, stems, names, numbers and quotes the checks compare."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import Article
from ..text import STOPWORDS, Token, is_negation, plain, stem, tokens, word_key, word_list
from .claims import (
    NameMention,
    NumberMention,
    QuoteMention,
    capitalised_words,
    find_names,
    find_numbers,
    find_quotes,
    quote_words,
)
from .lexicon import TENS_WORDS, UNCHECKABLE, UNITS_WORDS, aliases, demonyms, place_key

_NUMBER_WORDS = frozenset(UNITS_WORDS) | frozenset(TENS_WORDS)


def _token_keys(tok: Token) -> list[str]:
    """Comparable keys of one token: stems, with demonyms and aliases mapped to their place
    ("Korean" and "Korea" share a key), hyphenated words split; none for numbers (checked as
    numbers), negations (checked as such) and the words the checker leaves out."""
    if tok.is_number:
        return []
    out: list[str] = []
    for part in tok.text.split("-"):
        if not part:
            continue
        low = part.lower()
        if is_negation(low) or low in _NUMBER_WORDS:
            continue  # negations and spelled numbers are checked as such
        if "'" in low:
            base, _, suffix = low.partition("'")
            if suffix in ("s", "re", "ve", "ll", "d", "m") and base in STOPWORDS:
                continue  # it's, they're, we'll
        bare = low[:-2] if low.endswith("'s") else low
        if (
            bare in demonyms()
            or bare in aliases()
            or (bare.endswith("s") and bare[:-1] in demonyms())
        ):
            out.extend(stem(w) for w in place_key(part).split())
        else:
            key = word_key(bare, stop=UNCHECKABLE, numbers=False)
            if key is not None:
                out.append(key)
    return out


IMPLICIT_NEGATIONS = frozenset(
    word_list(
        "fail fails failed failing refuse refuses refused refusing deny denies denied denying "
        "reject rejects rejected rejecting decline declines declined declining lack lacks "
        "lacked unable absence absent"
    )
)


@dataclass
class Analysed:
    """Tokens, stems and mentions of one piece of text."""

    text: str  # as given
    plain: str
    tokens: list[Token]
    keys: list[list[str]]  # keys per token (empty for stop words and numbers)
    numbers: list[NumberMention]
    names: list[NameMention]
    quotes: list[QuoteMention]

    @property
    def stems(self) -> set[str]:
        return {k for ks in self.keys for k in ks}

    @property
    def lower(self) -> list[str]:
        return [t.lower for t in self.tokens]

    def negated(self) -> bool:
        """Whether the text says no to something: a negator, or a verb of failing or refusing."""
        return any(is_negation(t.text) or t.lower in IMPLICIT_NEGATIONS for t in self.tokens)


def analyse(
    text: str, known_names: set[str] | frozenset[str], min_quote_words: int = 2
) -> Analysed:
    p = plain(text)
    toks = tokens(p)
    return Analysed(
        text=text,
        plain=p,
        tokens=toks,
        keys=[_token_keys(t) for t in toks],
        numbers=find_numbers(p),
        names=find_names(p, known_names),
        quotes=find_quotes(p, min_quote_words),
    )


@dataclass
class SourceSentence:
    article_pos: int  # position of the article in the list given to the checker
    article_id: int
    index: int
    start: int
    end: int
    data: Analysed

    @property
    def text(self) -> str:
        return self.data.text


@dataclass
class SourceIndex:
    """Every non-heading sentence of the source articles, analysed once."""

    sentences: list[SourceSentence]
    idf: dict[str, float]
    known_names: frozenset[str]
    # per article: its words in order (for quotes that run across sentences) and where each
    # sentence's words start in that list
    article_words: list[list[str]] = field(default_factory=list)
    sentence_word_offsets: list[list[int]] = field(default_factory=list)

    @classmethod
    def build(cls, articles: Sequence[Article]) -> SourceIndex:
        known: set[str] = set()
        for article in articles:
            known |= capitalised_words(plain(article.text))
        known_names = frozenset(known)
        sentences: list[SourceSentence] = []
        article_words: list[list[str]] = []
        offsets: list[list[int]] = []
        for pos, article in enumerate(articles):
            article_id = article.id if article.id is not None else pos
            words: list[str] = []
            sentence_offsets: list[int] = []
            for sentence in article.sentences:
                sentence_offsets.append(len(words))
                words.extend(quote_words(plain(sentence.text)))
                if sentence.is_heading:
                    continue
                data = analyse(sentence.text, known_names)
                sentences.append(
                    SourceSentence(
                        pos, article_id, sentence.index, sentence.start, sentence.end, data
                    )
                )
            article_words.append(words)
            offsets.append(sentence_offsets)
        df: Counter[str] = Counter()
        for s in sentences:
            df.update(s.data.stems)
        n = max(len(sentences), 1)
        idf = {k: math.log((n + 1) / (c + 0.5)) for k, c in df.items()}
        return cls(sentences, idf, known_names, article_words, offsets)

    def weight(self, key: str) -> float:
        """How much a key of the checked sentence counts: rare in the sources counts more; a
        key the sources never use counts most."""
        n = max(len(self.sentences), 1)
        return self.idf.get(key, math.log((n + 1) / 0.5))

    def find_quote(self, words: list[str]) -> list[tuple[int, int]]:
        """(article position, sentence position in the article) where a run of words starts."""
        if not words:
            return []
        hits = []
        needle = " " + " ".join(words) + " "
        for pos, article_words in enumerate(self.article_words):
            hay = " " + " ".join(article_words) + " "
            start = 0
            while True:
                i = hay.find(needle, start)
                if i < 0:
                    break
                word_index = hay[:i].count(" ")
                offsets = self.sentence_word_offsets[pos]
                sentence_pos = max(j for j, o in enumerate(offsets) if o <= word_index)
                hits.append((pos, sentence_pos))
                start = i + 1
        return hits

    def by_position(self, article_pos: int, sentence_index: int) -> SourceSentence | None:
        for s in self.sentences:
            if s.article_pos == article_pos and s.index == sentence_index:
                return s
        return None

    def by_citation(self, article_id: int, sentence_index: int) -> SourceSentence | None:
        for s in self.sentences:
            if s.article_id == article_id and s.index == sentence_index:
                return s
        return None


def content_keys(data: Analysed) -> list[str]:
    """The checked sentence's content keys, in order, without repeats (quotes included)."""
    seen: dict[str, None] = {}
    for ks in data.keys:
        for k in ks:
            if k not in STOPWORDS:
                seen.setdefault(k, None)
    return list(seen)
