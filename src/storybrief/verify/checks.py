"""The checks: each compares what a sentence claims with the source sentences chosen to support
it (the evidence) and with all the sources, and returns findings a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..text import STOPWORDS, is_negation
from .claims import NameMention, is_calendar, numbers_match, quote_words, speaker_names
from .lexicon import (
    AUXILIARIES,
    HEDGES,
    PRONOUN_SUBJECTS,
    SPEECH_VERBS,
    closed_classes,
    opposites,
    place_key,
    valence,
)
from .sources import Analysed, SourceIndex, SourceSentence, content_keys
from .standalone import office_holder_too

Severity = Literal["ok", "soft", "hard"]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # number, name, quote, negation, modality, coverage, semantic
    severity: Severity  # ok: checked out; soft: weakens support; hard: the sentence is unsupported
    reason: str


def name_in(name_keys: frozenset[str], sentence: Analysed) -> bool:
    """A name is in a sentence when one of the sentence's names contains all of its words
    ("Kim" in "Kim Jong Un"), or when all of its words occur in the sentence."""
    if any(name_keys <= set(n.keys) for n in sentence.names):
        return True
    words = {place_key(t.text) for t in sentence.tokens}
    return name_keys <= words


def _named_in_full(
    keys: tuple[str, ...],
    evidence: Sequence[SourceSentence],
    index: SourceIndex,
) -> bool:
    """A person's full name ("Robert Lighthizer") where the evidence says the surname alone
    ("Lighthizer said ...") and the same article names one person of that surname, in full: how
    reporters write, and what an explainer writes when it names a person in full at first
    mention (:mod:`storybrief.verify.standalone`). Two people of that surname in the article
    ("George Bush", "Jeb Bush"), or an office-holder of that surname beside the one named in
    full ("President Biden", "Jill Biden"), and it is not."""
    if len(keys) < 2:
        return False
    full = frozenset(keys)
    for s in evidence:
        bare = [n for n in s.data.names if n.keys == keys[-1:]]
        if not bare:
            continue
        article = [t for t in index.sentences if t.article_pos == s.article_pos]
        named = [  # every person of that surname the article names in full
            n for t in article for n in t.data.names if len(n.keys) >= 2 and n.keys[-1] == keys[-1]
        ]
        if {frozenset(n.keys) for n in named} != {full}:
            continue
        surname = bare[0].surface.removesuffix("'s").removesuffix("’s")
        texts = [t.data.text for t in article]
        if not office_holder_too(surname, texts, [n.surface for n in named]):
            return True
    return False


def _closest_name(name: NameMention, index: SourceIndex) -> str | None:
    keys = set(name.keys)
    best, best_overlap = None, 0
    for s in index.sentences:
        for n in s.data.names:
            overlap = len(keys & set(n.keys))
            if overlap > best_overlap:
                best, best_overlap = n.surface, overlap
    return best


def check_names(
    claim: Analysed, evidence: Sequence[SourceSentence], index: SourceIndex
) -> list[Finding]:
    out: list[Finding] = []
    seen: set[frozenset[str]] = set()
    for name in claim.names:
        keys = frozenset(name.keys)
        if keys in seen:
            continue
        seen.add(keys)
        what = "date" if is_calendar(name) else "name"
        surface = name.surface[:-2] if name.surface.endswith("'s") else name.surface
        if any(name_in(keys, s.data) for s in evidence):
            out.append(Finding("name", "ok", f"{what} '{surface}' ok"))
        elif _named_in_full(name.keys, evidence, index):
            out.append(
                Finding(
                    "name",
                    "ok",
                    f"{what} '{surface}' ok: by surname in the supporting sentences, "
                    "in full elsewhere in their article",
                )
            )
        elif any(name_in(keys, s.data) for s in index.sentences):
            out.append(
                Finding(
                    "name",
                    "soft",
                    f"{what} '{surface}' is in the sources but not in the supporting sentences",
                )
            )
        else:
            closest = _closest_name(name, index) if len(keys) > 1 else None
            hint = f" (closest: '{closest}')" if closest and closest != surface else ""
            out.append(Finding("name", "hard", f"{what} '{surface}' not found in sources{hint}"))
    return out


def check_numbers(
    claim: Analysed, evidence: Sequence[SourceSentence], index: SourceIndex
) -> list[Finding]:
    out: list[Finding] = []
    for number in claim.numbers:
        if any(numbers_match(number, m) for s in evidence for m in s.data.numbers):
            out.append(Finding("number", "ok", f"number '{number.surface}' ok"))
        elif any(numbers_match(number, m) for s in index.sentences for m in s.data.numbers):
            out.append(
                Finding(
                    "number",
                    "soft",
                    f"number '{number.surface}' is in the sources "
                    "but not in the supporting sentences",
                )
            )
        else:
            out.append(Finding("number", "hard", f"number '{number.surface}' not found in sources"))
    return out


def _speakers_at(index: SourceIndex, article_pos: int, sentence_pos: int) -> list[NameMention]:
    """Who speaks a quote found in an article's sentence: names in that sentence (and the next,
    for a quote that runs on); when a pronoun speaks ("he said"), the names just before."""
    article_sentences = [s for s in index.sentences if s.article_pos == article_pos]
    by_pos = {s.index: s for s in article_sentences}
    out: list[NameMention] = []
    here = by_pos.get(sentence_pos)
    if here is None:
        return out
    out.extend(here.data.names)
    following = by_pos.get(sentence_pos + 1)
    if following is not None:
        out.extend(following.data.names)
    lower = set(here.data.lower)
    if not here.data.names or (lower & PRONOUN_SUBJECTS and lower & SPEECH_VERBS):
        for back in (1, 2):
            previous = by_pos.get(sentence_pos - back)
            if previous is not None:
                out.extend(previous.data.names)
    return out


def check_quotes(claim: Analysed, index: SourceIndex) -> list[Finding]:
    out: list[Finding] = []
    for quote in claim.quotes:
        fragments = [f for f in quote.text.split("...") if f.strip()]
        fragment_words = [quote_words(f) for f in fragments]
        fragment_words = [w for w in fragment_words if w]
        hits = index.find_quote(fragment_words[0]) if fragment_words else []
        if not hits or not all(index.find_quote(w) for w in fragment_words[1:]):
            shown = quote.text if len(quote.text) <= 60 else quote.text[:57] + "..."
            out.append(Finding("quote", "hard", f'quote not found verbatim: "{shown}"'))
            continue
        claimed = speaker_names(claim.plain, quote, claim.names)
        if not claimed:
            out.append(Finding("quote", "ok", "quote found verbatim"))
            continue
        sources = [n for a, s in hits for n in _speakers_at(index, a, s)]
        spoken = [index.by_position(a, s) for a, s in hits]
        if any(set(c.keys) <= set(n.keys) | set(n.titles) for c in claimed for n in sources) or any(
            _named_in_full(c.keys, [x for x in spoken if x], index) for c in claimed
        ):
            who = claimed[0].surface
            out.append(
                Finding(
                    "quote", "ok", f"quote found verbatim, attributed to '{who}' as in the source"
                )
            )
        else:
            who = ", ".join(f"'{c.surface}'" for c in claimed)
            theirs = ", ".join(dict.fromkeys(f"'{n.surface}'" for n in sources)) or "someone else"
            out.append(
                Finding(
                    "quote",
                    "hard",
                    f"quote attributed to {who}, but the source attributes it to {theirs}",
                )
            )
    return out


# --- negation, modality, opposites -------------------------------------------------------------


def _head(data: Analysed, i: int, window: int = 4) -> int | None:
    """Position of the word a negator or modal at position i bears on: the next word that is
    not an auxiliary or a stop word."""
    for j in range(i + 1, min(i + 1 + window, len(data.tokens))):
        low = data.tokens[j].lower
        if low in AUXILIARIES or is_negation(low) or not data.keys[j]:
            continue
        return j
    return None


def _positions(data: Analysed, key: str) -> list[int]:
    return [i for i, ks in enumerate(data.keys) if key in ks]


def _context(data: Analysed, j: int, window: int = 4) -> set[str]:
    out: set[str] = set()
    for i in range(max(0, j - window), min(len(data.tokens), j + window + 1)):
        if i != j:
            out.update(data.keys[i])
    return out


def _in_context(claim: Analysed, j: int, source: Analysed, key: str) -> int | None:
    """Where ``source`` says ``key`` in the context the claim's word ``j`` stands in, or None."""
    near = _context(claim, j)
    return next((k for k in _positions(source, key) if near & _context(source, k)), None)


def check_polarity(claim: Analysed, evidence: Sequence[SourceSentence]) -> list[Finding]:
    """Negation flips ("will" / "won't", "did" / "did not"), opposite words ("confirmed" /
    "denied") and certainty added to a hedged statement ("might" / "will")."""
    out: list[Finding] = []
    reported: set[str] = set()

    def phrase(data: Analysed, i: int, j: int) -> str:
        """Words i..j, with the auxiliaries and negators just before them ("did not attend")."""
        i = min(i, j)
        while i > 0 and j - i < 3:
            before = data.tokens[i - 1].lower
            if before not in AUXILIARIES and not is_negation(before):
                break
            i -= 1
        return data.plain[data.tokens[i].start : data.tokens[j].end]

    # a negator in the sentence, the same word un-negated in a sentence with no negation at all
    for i, tok in enumerate(claim.tokens):
        if not is_negation(tok.text):
            continue
        j = _head(claim, i)
        if j is None:
            continue
        for key in claim.keys[j]:
            if key in reported:
                continue
            holding = [s for s in evidence if _positions(s.data, key)]
            if not holding or any(s.data.negated() for s in holding):
                continue  # not stated in the evidence, or stated with a negation too
            for s in holding:
                k = _in_context(claim, j, s.data, key)
                if k is None:
                    continue
                reported.add(key)
                out.append(
                    Finding(
                        "negation",
                        "hard",
                        f"negation flip: source says '{phrase(s.data, k, k)}', "
                        f"sentence says '{phrase(claim, i, j)}'",
                    )
                )
                break
    # a negator in the evidence, the same word un-negated in a sentence with no negation
    if not claim.negated():
        for s in evidence:
            for i, tok in enumerate(s.data.tokens):
                if not is_negation(tok.text):
                    continue
                j = _head(s.data, i)
                if j is None:
                    continue
                for key in s.data.keys[j]:
                    positions = _positions(claim, key)
                    if not positions or key in reported:
                        continue
                    # the same context on both sides, so that it is the same statement
                    if not (_context(claim, positions[0]) & _context(s.data, j)):
                        continue
                    reported.add(key)
                    k = positions[0]
                    out.append(
                        Finding(
                            "negation",
                            "hard",
                            f"negation flip: source says '{phrase(s.data, i, j)}', "
                            f"sentence says '{phrase(claim, k, k)}'",
                        )
                    )
    # opposite words in the same context
    table = opposites()
    claim_keys = claim.stems
    evidence_keys = {k for s in evidence for k in s.data.stems}
    for j, keys in enumerate(claim.keys):
        for key in keys:
            if key in evidence_keys or key not in table or key in reported:
                continue
            for other in table[key]:
                if other in claim_keys or other not in evidence_keys:
                    continue
                for s in evidence:
                    hit = _in_context(claim, j, s.data, other)
                    if hit is None:
                        continue
                    reported.add(key)
                    out.append(
                        Finding(
                            "negation",
                            "hard",
                            f"opposite meaning: source says '{s.data.tokens[hit].text}', "
                            f"sentence says '{claim.tokens[j].text}'",
                        )
                    )
                    break
                if key in reported:
                    break
    # certainty added: the source hedges the statement the sentence makes outright
    claim_hedged = any(t.lower in HEDGES for t in claim.tokens)
    if not claim_hedged:
        for s in evidence:
            for i, tok in enumerate(s.data.tokens):
                if tok.lower not in HEDGES:
                    continue
                j = _head(s.data, i, window=3)
                if j is None:
                    continue
                for key in s.data.keys[j]:
                    if key in reported or key in STOPWORDS:
                        continue
                    positions = _positions(claim, key)
                    if not positions or not (_context(claim, positions[0]) & _context(s.data, j)):
                        continue
                    reported.add(key)
                    k = positions[0]
                    out.append(
                        Finding(
                            "modality",
                            "soft",
                            f"certainty added: source says '{phrase(s.data, i, j)}', "
                            f"sentence says '{phrase(claim, k, k)}'",
                        )
                    )
    return out


# --- coverage ----------------------------------------------------------------------------------


def coverage(
    claim: Analysed,
    evidence: Sequence[SourceSentence],
    index: SourceIndex,
    paraphrased: set[str] | frozenset[str] = frozenset(),
) -> tuple[float, list[str]]:
    """Share of the sentence's content (weighted by rarity in the sources) that the evidence
    contains, and the words it lacks, as written. Keys in ``paraphrased`` (words the meaning
    model matched to the evidence) count as contained."""
    keys = content_keys(claim)
    if not keys:
        return 1.0, []
    have = {k for s in evidence for k in s.data.stems} | set(paraphrased)
    total = sum(index.weight(k) for k in keys)
    got = sum(index.weight(k) for k in keys if k in have)
    surface: dict[str, str] = {}
    for tok, ks in zip(claim.tokens, claim.keys, strict=True):
        for k in ks:
            surface.setdefault(k, tok.text)
    missing = list(dict.fromkeys(surface[k] for k in keys if k not in have))
    return (got / total if total else 1.0), missing


def missing_spans(
    claim: Analysed, evidence: Sequence[SourceSentence]
) -> dict[str, tuple[int, int]]:
    """Content keys of the sentence the evidence lacks, with the span of the word in
    ``claim.plain``."""
    have = {k for s in evidence for k in s.data.stems}
    out: dict[str, tuple[int, int]] = {}
    for tok, ks in zip(claim.tokens, claim.keys, strict=True):
        for k in ks:
            if k not in have and k not in out:
                out[k] = (tok.start, tok.end)
    return out


# --- substitutions -----------------------------------------------------------------------------


def _slot(
    ev: Analysed, left: list[str] | None, right: list[str] | None, claim_keys: set[str], width: int
) -> list[int]:
    """Positions of the evidence words between two anchors that the sentence shares with it:
    the words the sentence's own ``width`` words stand in for. Nothing when the evidence has
    no such place, or when the words there are the sentence's own (then it is not the same
    place)."""
    lefts = [i for i, ks in enumerate(ev.keys) if left and set(ks) & set(left)]
    rights = [i for i, ks in enumerate(ev.keys) if right and set(ks) & set(right)]
    span: tuple[int, int] | None = None
    if lefts and rights:
        pairs = [(r - le, le, r) for le in lefts for r in rights if 1 < r - le <= width + 3]
        if pairs:
            _, le, r = min(pairs)
            span = (le + 1, r)
    elif lefts and not right:
        span = (lefts[0] + 1, min(lefts[0] + 1 + width, len(ev.tokens)))
    elif rights and not left:
        span = (max(rights[0] - width, 0), rights[0])
    if span is None:
        return []
    inside = range(*span)
    if any(set(ev.keys[i]) & claim_keys for i in inside):
        return []
    return [i for i in inside if ev.keys[i]]


def substitutions(claim: Analysed, ev: Analysed) -> list[tuple[list[int], list[int]]]:
    """Runs of the sentence's words that the evidence sentence lacks, each with the evidence
    words found in the same place (between the same shared words)."""
    ev_keys = ev.stems
    claim_keys = claim.stems
    shared = [bool(ks) and bool(set(ks) & ev_keys) for ks in claim.keys]
    out: list[tuple[list[int], list[int]]] = []
    j, n = 0, len(claim.tokens)
    while j < n:
        if not claim.keys[j] or shared[j]:
            j += 1
            continue
        start = j
        while j < n and not shared[j]:
            j += 1
        left = next((i for i in range(start - 1, -1, -1) if shared[i]), None)
        right = j if j < n else None
        novel = [i for i in range(start, j) if claim.keys[i]]
        slot = _slot(
            ev,
            claim.keys[left] if left is not None else None,
            claim.keys[right] if right is not None else None,
            claim_keys,
            width=(right if right is not None else n) - (left if left is not None else -1) - 1,
        )
        if slot:
            out.append((novel, slot))
    return out


def check_substitutions(claim: Analysed, evidence: Sequence[SourceSentence]) -> list[Finding]:
    """Words that replace the source's words where the two cannot both be true: another member
    of a closed class ("green" for "blue", "evening" for "morning"), an opposite ("acquitted"
    for "convicted"), or a word of opposite sentiment ("thriving" for "struggling")."""
    out: list[Finding] = []
    classes = closed_classes()
    table = opposites()
    seen: set[str] = set()
    # words of a name of several words ("North Korea") are the name check's business
    in_names = {
        i
        for name in claim.names
        if len(name.keys) > 1
        for i, tok in enumerate(claim.tokens)
        if name.start <= tok.start < name.end
    }
    for s in evidence:
        for novel, slot in substitutions(claim, s.data):
            novel = [i for i in novel if i not in in_names]
            if not novel or len(novel) > 3 or len(slot) > 4:
                continue  # a rewritten clause, not a word swapped: nothing to compare word by word
            mine = [(i, k) for i in novel for k in claim.keys[i]]
            theirs = [(i, k) for i in slot for k in s.data.keys[i]]
            said = " ".join(claim.tokens[i].text for i in dict.fromkeys(i for i, _ in mine))
            source_said = " ".join(
                s.data.tokens[i].text for i in dict.fromkeys(i for i, _ in theirs)
            )
            if said in seen:
                continue
            reason = None
            for _, a in mine:
                for _, b in theirs:
                    if a in classes and classes.get(b) == classes[a] and a != b:
                        reason = (
                            f"{classes[a]} swapped: source says '{source_said}', "
                            f"sentence says '{said}'"
                        )
                    elif b in table.get(a, ()):
                        reason = (
                            f"opposite meaning: source says '{source_said}', sentence says '{said}'"
                        )
                    if reason:
                        break
                if reason:
                    break
            if reason is None:
                va = sum(valence(k) for _, k in mine)
                vb = sum(valence(k) for _, k in theirs)
                if va * vb < 0 and min(abs(va), abs(vb)) >= 1.0:
                    reason = (
                        f"opposite sentiment: source says '{source_said}', sentence says '{said}'"
                    )
            if reason:
                seen.add(said)
                out.append(Finding("substitution", "hard", reason))
    return out
