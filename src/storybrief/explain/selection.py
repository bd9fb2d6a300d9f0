"""How the built-in engine chooses its sentences: an extractive explainer written only from
source sentences, so it cannot say anything its sources do not. The built-in engine publishes
it as it is; the LLM engines start from it (each section's chosen sentences) and rewrite.

1. Candidates: every statement of every article minus boilerplate, datelines cut off
   (:mod:`.candidates`).
2. Importance: LexRank centrality over all the story's sentences, with more weight on
   agreement between articles and restarts biased to article leads and headlines, plus
   small bonuses for lead position, closeness to the headlines and agreement (:mod:`.rank`).
3. Roles: which section's question each sentence answers — why it matters, what comes next,
   background and reactions — from a model trained on labelled sentences (:mod:`.role_model`),
   or the section an in-body heading names; the story's most central sentences tell what is
   happening.
4. Selection: section by section, the most important sentences that answer the section's
   question, by maximal marginal relevance (nothing said twice, within or across sections). A
   sentence that opens with a pronoun or connective comes only right after the sentence before
   it. A section no sentence answers is left empty, with an honest note, not padded; "What's
   Happening?" then tells more of the story.
5. Order: within a section, the article holding its most important sentence comes first,
   then the others; each article's sentences in reading order.
6. Coherence (option ``coherence``, on by default): articles that report another event (years
   or months apart, no names shared) are set aside and the explainer is flagged for
   re-clustering (:mod:`.coherence`); where two articles give different values for one thing,
   or different days, office-holders or speakers (:mod:`.differ_figures`,
   :mod:`.differ_facts`), only one of the two sentences may be published as a plain statement, and
   "Beyond the Headlines" ends with sentences that name both sources and quote both values
   (:func:`.reconcile.differ_sentences`, which the LLM engines' explainers get too).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..errors import EngineError, NothingToPublishError
from ..records import Article
from ..text import normalise
from ..verify.checker import Checker
from . import rank
from .candidates import FATAL, Candidate, after_context, candidates, dateline_end
from .coherence import split_events
from .differ_figures import Difference, Statement, find_differences
from .headline import shorten
from .model import (
    SECTION_KEYS,
    Explainer,
    ExplainerSentence,
    Recluster,
    Section,
    SourceArticle,
    citation_for,
)
from .options import BuiltinOptions, Embedder
from .reconcile import differ_sentences
from .role_model import RoleInput, RoleModel, role_inputs, shipped_model
from .roles import (
    BEYOND,
    HAPPENING,
    IMPORTANT,
    ROLES,
    Role,
    statistics,
)
from .sameness import Sameness, shipped_pair_model

HEADLINE_CHOICES = 3  # a title-less story's headline comes from one of its 3 most central
_QUOTES = re.compile(r"[“”\"]")


def select_explainer(
    articles: Sequence[Article],
    options: BuiltinOptions,
    *,
    headline: str | None = None,
    semantic: Embedder | None = None,
    checker: Checker | None = None,
    meaning: Embedder | None = None,
    engine: str = "builtin",
) -> Explainer:
    """The extractive explainer of ``articles``: each section's chosen source sentences, in
    order, each citing its sentence and the other articles' sentences that state the same
    fact (the built-in engine's explainer, and the plan the LLM engines start from). Raises
    :class:`NothingToPublishError` when no sentence can stand on its own. ``checker`` decides
    which sentences restate others (:func:`storybrief.verify.repeats.restates`; a lexical
    checker when not given); ``semantic`` gives the role model its vectors, and ``meaning``
    (or else ``semantic``) tells which two sentences make one point."""
    if not articles:
        raise EngineError("no articles given: an explainer needs at least one article")
    cands = candidates(articles)
    statements = [c for c in cands if c.text.strip()]
    if not statements:
        raise NothingToPublishError("the articles have no text to explain (no sentences found)")
    split = split_events(articles) if options.coherence else None
    if split is not None:
        kept = [c for c in statements if c.article_pos in split.keep]
        if any(c.usable for c in kept):
            statements = kept
        else:  # the dominant event has nothing publishable: no split after all
            split = None
    usable = [c for c in statements if c.usable]
    if not usable:  # e.g. a one-line article: publish it unless it is boilerplate
        usable = [c for c in statements if c.rejected not in FATAL and c.words >= 2]
        for c in usable:
            c.rejected = None
    if not usable:
        reasons = Counter(c.rejected for c in statements)
        detail = ", ".join(f"{n} {r}" for r, n in reasons.most_common())
        raise NothingToPublishError(f"no publishable sentence in the articles ({detail})")

    differences: list[Difference] = []
    if options.coherence and len(articles) > 1:
        quotable = [c for c in statements if c.rejected not in FATAL]
        differences = find_differences(
            [Statement(c.article_pos, c.sentence.index, c.start, c.text) for c in quotable],
            articles,
        )
    plan = _Plan(
        articles,
        usable,
        options,
        differences,
        semantic=semantic,
        checker=checker,
        meaning=meaning or semantic,
    )
    chosen = plan.select()
    if not any(chosen.values()):
        raise NothingToPublishError(
            "no sentence of the articles can stand on its own (each needs context that "
            "is not publishable, e.g. it opens with a pronoun)"
        )
    title = headline.strip() if headline and headline.strip() else plan.headline(chosen)
    sections = []
    for key in SECTION_KEYS:
        picks = chosen.get(key, [])
        more = [c for c in picks if c.idx in plan.more]
        picked = plan.arrange([c for c in picks if c.idx not in plan.more]) + plan.arrange(more)
        picked = after_context(picked)
        sections.append(
            Section(
                key=key,
                sentences=[
                    ExplainerSentence(
                        text=c.text,
                        citations=[
                            citation_for(s.article, s.article_pos, s.sentence.index, s.start, s.end)
                            for s in [c, *plan.same.also_stated(c)]
                        ],
                    )
                    for c in picked
                ],
            )
        )
    beyond = sections[SECTION_KEYS.index(BEYOND)]
    beyond.sentences += differ_sentences(differences, articles, options.max_differences)
    if beyond.sentences:
        beyond.note = None
    recluster = None
    if split is not None:
        ids = [_article_id(articles[p], p) for p in split.set_aside]
        recluster = Recluster(reason=split.reason, article_ids=ids)
    return Explainer(
        headline=title,
        sections=sections,
        engine=engine,
        engine_options=options.model_dump(mode="json"),
        sources=[SourceArticle.from_article(a, pos) for pos, a in enumerate(articles)],
        recluster=recluster,
    )


def _article_id(article: Article, position: int) -> int:
    return article.id if article.id is not None else position


FLOOR_PRIMARY = 0.3
FLOOR_SECONDARY = 0.5
TOPN = 3  # the story's most central sentences may always open "What's Happening?"
_DECISIVE = 3.0  # hint strength of a specific heading ("Why It Matters"): it decides
FLOOR_EMPTY = 0.15  # a sentence answering a section's question needs this share: on the subject


class _Plan:
    """Scores for one story's candidates and the section-by-section selection."""

    def __init__(
        self,
        articles: Sequence[Article],
        usable: list[Candidate],
        options: BuiltinOptions,
        differences: Sequence[Difference] = (),
        model: RoleModel | None = None,
        classify: bool = True,
        semantic: Embedder | None = None,
        checker: Checker | None = None,
        meaning: Embedder | None = None,
    ) -> None:
        self.options = options
        self.checker = checker or Checker()
        self.all = usable
        self.by_idx = {c.idx: c for c in usable}
        # Sentences that give another value for the same thing as a chosen one are blocked.
        by_sentence = {(c.article_pos, c.sentence.index): c.idx for c in usable}
        self.conflicts: dict[int, set[int]] = {}
        for diff in differences:
            a, b = (by_sentence.get(key) for key in diff.pair)
            if a is not None and b is not None:
                self.conflicts.setdefault(a, set()).add(b)
                self.conflicts.setdefault(b, set()).add(a)
        self.blocked: set[int] = set()
        self.more: set[int] = set()  # sentences "What's Happening?" adds by _tell_more
        self.told: list[int] = []  # rows "What's Happening?" tells
        titles = [a.title for a in articles if a.title and a.title.strip()]
        self.titles = titles
        texts = [c.text for c in usable]
        self.vectors = rank.tfidf(texts, extra_documents=titles)
        self.same = Sameness(usable, self.vectors, self.checker)
        self.row, self.sim = self.same.row, self.same.sim
        groups = [c.order for c in usable]
        lead = np.array([1.0 / (1.0 + c.position) for c in usable])
        if titles:
            headline_sim = (self.vectors.embed(titles) @ self.vectors.matrix.T).max(axis=0)
        else:
            headline_sim = np.zeros(len(usable))
        prior = 0.1 + lead + headline_sim
        central = rank.lexrank(self.sim, groups, prior, cross_weight=options.cross_article_weight)
        central = central / central.max() if central.size and central.max() > 0 else central
        agree = rank.agreement(self.sim, groups)
        self.importance = (
            central
            + options.lead_weight * lead
            + options.headline_weight * headline_sim
            + options.agreement_weight * agree
        )
        # Floors against padding: a sentence placed by its best role needs 30% of the top
        # importance; one placed by a secondary cue, 50%.
        few = len(usable) <= 2
        self.floor_primary = self._floor(FLOOR_PRIMARY, few)
        self.floor = self._floor(FLOOR_SECONDARY, few)
        self.floor_empty = self._floor(FLOOR_EMPTY, few)
        self.top = set(np.argsort(-self.importance, kind="stable")[:TOPN].tolist())
        low, high = float(self.importance.min()), float(self.importance.max())
        spread = (self.importance - low) / (high - low) if high > low else np.ones(len(usable))
        self.inputs = role_inputs(articles, usable, spread, agree)
        if not classify:  # the role model's inputs only (training it)
            return
        self.model = model or shipped_model(vectors=semantic is not None)
        vectors = semantic.embed(texts) if self.model.vectors and semantic is not None else None
        self.probs = self.model.probabilities(self.inputs, vectors)
        # meaning similarity of every two sentences (MiniLM), when the model is there: two
        # reports of one point in other words ("named Sharon foreign minister", "appointed
        # Ariel Sharon ... to be foreign minister") are told once
        # Embedded lazily, only the sentences the selection weighs (a ten-article story has
        # some 300 candidates and MiniLM costs ~20 ms of CPU a sentence), unless the role model
        # has embedded them all already.
        self.same.meaning = meaning
        if meaning is not None and meaning is semantic and vectors is not None:
            self.same.points = dict(enumerate(vectors))
        if options.repeats == "pairs":
            self.same.pairs = shipped_pair_model(vectors=meaning is not None)
        self.answers = {r: self.model.answers(self.probs, r) for r in ROLES[1:]}
        # What the story's central account is stays the words model's to say when the vectors
        # model weighs the other sections: a sentence it leaves in "What's Happening?" stays
        # there, so the vectors change which sentences answer why, next and beyond, not what
        # happens (the vectors model asks more of the central ones and left the account short)
        words = shipped_model(vectors=False) if self.model.vectors else self.model
        self.words_probs = self.probs if words is self.model else words.probabilities(self.inputs)
        self.words_model = words
        self.words_answers = {r: words.answers(self.words_probs, r) for r in ROLES[1:]}
        self.role: dict[int, Role] = {c.idx: self._role(c) for c in usable}

    def p(self, c: Candidate, role: Role) -> float:
        """The model's probability that ``c`` answers ``role``'s question."""
        return float(self.probs[self.row[c.idx], ROLES.index(role)])

    def _role(self, c: Candidate) -> Role:
        """The section ``c`` serves: the one a specific heading above it names; else, of the
        sections whose question the model says it answers, the likeliest; else what is
        happening (a central sentence there, a leftover never published elsewhere)."""
        if c.hint is not None and c.hint_strength >= _DECISIVE:
            return c.hint
        row = self.row[c.idx]
        figures = statistics(c.text)  # figures belong with what is happening, not why

        def answered_by(table: dict[Role, np.ndarray]) -> list[Role]:
            return [r for r in ROLES[1:] if table[r][row]]

        def kept(roles: list[Role]) -> list[Role]:
            return [r for r in roles if not (r == IMPORTANT and figures)]

        by_words = kept(answered_by(self.words_answers))
        answered = kept(answered_by(self.answers) or answered_by(self.words_answers))
        if not by_words or not answered:
            return HAPPENING
        return max(answered, key=lambda r: (self.p(c, r), -ROLES.index(r)))

    def _surely(self, c: Candidate, role: Role) -> bool:
        """The words model is sure ``c`` answers ``role`` (it decides what the account is):
        its probability is at least halfway from the role's threshold to 1."""
        p = float(self.words_probs[self.row[c.idx], ROLES.index(role)])
        return p >= (1.0 + self.words_model.thresholds[role]) / 2

    def _floor(self, share: float, few: bool) -> float:
        """Importance a sentence needs: ``share`` of the story's most important sentence's."""
        return -np.inf if few else share * float(self.importance.max())

    # -- selection ---------------------------------------------------------------------------

    def select(self) -> dict[Role, list[Candidate]]:
        """The sentences of each section (not yet in order)."""
        chosen: dict[Role, list[Candidate]] = {}
        taken: list[int] = []  # rows of every chosen sentence, in any section
        for role in ROLES:
            pool = [c for c in self.all if self._eligible(c, role)]
            # "What's Happening?" is the story itself: it may grow to the word limit.
            target = self.options.max_words if role == HAPPENING else self.options.target_words
            picks = self._fill(pool, taken, target, role)
            if role == HAPPENING and len(picks) < self.options.min_sentences:
                spare = [  # the best of the rest that answers no other section's question
                    c
                    for c in self.all
                    if self.row[c.idx] not in taken
                    and self.importance[self.row[c.idx]] >= self.floor_primary
                    and self.role[c.idx] == HAPPENING
                ]
                picks += self._fill(spare, taken, target, role, already=picks)
            chosen[role] = picks
        self._continue(chosen, taken)
        self._tell_more(chosen, taken)
        return chosen

    def _tell_more(self, chosen: dict[Role, list[Candidate]], taken: list[int]) -> None:
        """When the other sections find little that answers them, "What's Happening?" tells
        more of the story (up to twice its usual length) instead: an explainer keeps about
        the length of one whose four sections are full, without padding a section with
        sentences that do not answer its question."""
        opts = self.options
        budget = opts.max_words + 3 * opts.target_words
        used = sum(c.words for picks in chosen.values() for c in picks)
        target = opts.max_words + max(0, budget - used)
        if target <= opts.max_words:
            return
        picks = chosen[HAPPENING]
        pool = [c for c in self.all if self._eligible(c, HAPPENING)]
        target = min(target, 2 * opts.max_words)
        added = self._fill(pool, taken, target, HAPPENING, already=picks, longer=True)
        picks += added
        self.more = {c.idx for c in added}  # told after the section's first account

    def _continue(self, chosen: dict[Role, list[Candidate]], taken: list[int]) -> None:
        """Central sentences that continue a chosen one ("But he said ...") follow it in
        its section, when there is room and they serve that section too: they read as one
        passage."""
        opts = self.options
        section_of = {c.idx: role for role, picks in chosen.items() for c in picks}
        waiting = sorted(
            (c for c in self.all if c.dangling and self.row[c.idx] not in taken),
            key=lambda c: (-self.importance[self.row[c.idx]], c.key),
        )
        for c in waiting:
            role = section_of.get(c.prev) if c.prev is not None else None
            if role is None or self.importance[self.row[c.idx]] < self.floor:
                continue
            if self.role[c.idx] != role:
                continue  # it answers another question (or none) than its section's
            picks = chosen[role]
            words = sum(p.words for p in picks)
            if len(picks) >= opts.max_sentences or words + c.words > opts.max_words:
                continue
            row = self.row[c.idx]
            if self.same.max_sim([row], taken) >= opts.redundancy or c.idx in self.blocked:
                continue
            picks.append(c)
            taken.append(row)
            self.blocked |= self.conflicts.get(c.idx, set())
            section_of[c.idx] = role

    def _eligible(self, c: Candidate, role: Role) -> bool:
        """May ``c`` go in the section of ``role``? Only a sentence that serves it
        (:meth:`_role`): for "Why It's Important?", "What's Next?" and "Beyond the Headlines"
        one that answers the section's question, on the story's subject
        (:data:`FLOOR_EMPTY` of the top importance); for "What's Happening?" the story's
        most central sentences (unless a heading puts them elsewhere), and those that answer
        no other question and are central enough (the lower floor)."""
        importance = self.importance[self.row[c.idx]]
        if role == HAPPENING and self.row[c.idx] in self.top:
            # the story's most central sentences tell what happens, unless a heading or the
            # model surely puts them elsewhere
            if c.hint_strength >= _DECISIVE:
                return c.hint == HAPPENING
            role_ = self.role[c.idx]
            return role_ == HAPPENING or not self._surely(c, role_)
        if self.role[c.idx] != role:
            return False
        if role == HAPPENING:
            return bool(importance >= self.floor_primary)
        return c.hint_strength >= _DECISIVE or bool(importance >= self.floor_empty)

    def _fill(
        self,
        pool: list[Candidate],
        taken: list[int],
        target: int,
        role: Role,
        already: list[Candidate] | None = None,
        longer: bool = False,
    ) -> list[Candidate]:
        """Greedy maximal marginal relevance: the best sentence (or dangling sentence with
        the one before it) that is not redundant and fits, until the section is long
        enough. A sentence whose heading puts it here, then one whose best role this is,
        go before one that merely has a cue for it. ``longer``: up to twice the words."""
        opts = self.options
        max_sentences, max_words = opts.max_sentences, opts.max_words * (2 if longer else 1)
        picks: list[Candidate] = list(already or [])
        new: list[Candidate] = []
        words = sum(c.words for c in picks)
        remaining = sorted(pool, key=lambda c: (-self.importance[self.row[c.idx]], c.key))
        while remaining and len(picks) < max_sentences:
            if len(picks) >= opts.min_sentences and words >= target:
                break
            best, best_score, best_unit = None, -np.inf, None
            for c in list(remaining):
                unit = self._unit(c, picks, taken)
                if unit is None:
                    remaining.remove(c)
                    continue
                rows = [self.row[u.idx] for u in unit]
                overlap = self.same.max_sim(rows, taken)
                if overlap >= opts.redundancy:
                    remaining.remove(c)
                    continue
                unit_words = sum(u.words for u in unit)
                limit = max_words if len(picks) >= opts.min_sentences else max_words * 1.5
                if words + unit_words > limit or len(picks) + len(unit) > max_sentences:
                    continue
                score = float(np.mean([self.importance[r] for r in rows]))
                score += self._fit(c, role) - opts.diversity * overlap
                if score > best_score:
                    best, best_score, best_unit = c, score, unit
            if best is None or best_unit is None:
                break
            remaining.remove(best)
            if any(self.same.restated(u, taken) for u in best_unit):
                continue  # the same fact in other words: one fact once
            # Two outlets telling one event (option repeats="pairs"): the pair model weighs a
            # sentence against what "What's Happening?" tells, and not a section's first
            # sentence (it never empties Why, Next or Beyond)
            against = self.told if role == HAPPENING or picks else []
            if any(self.same.paired(u, against) for u in best_unit):
                continue
            for u in best_unit:
                picks.append(u)
                new.append(u)
                taken.append(self.row[u.idx])
                if role == HAPPENING:
                    self.told.append(self.row[u.idx])
                self.blocked |= self.conflicts.get(u.idx, set())
                words += u.words
                if u in remaining:
                    remaining.remove(u)
        return new if already is not None else picks

    def _fit(self, c: Candidate, role: Role) -> float:
        """Priority within a section: its heading put it here, or how surely it answers the
        section's question (for "What's Happening?" every sentence there serves it)."""
        if c.hint == role and c.hint_strength >= _DECISIVE:
            return 1.0
        return 0.0 if role == HAPPENING else self.p(c, role)

    def _unit(
        self, c: Candidate, picks: list[Candidate], taken: list[int]
    ) -> list[Candidate] | None:
        """What must be published for ``c`` to read well: ``c`` alone, or ``c`` after the
        sentence before it; None when that is impossible."""
        if self.row[c.idx] in taken or c.idx in self.blocked:
            return None
        if not c.dangling:
            return [c]
        chain = [c]
        current = c
        while current.dangling:
            prev = self.by_idx.get(current.prev) if current.prev is not None else None
            if prev is None:
                return None
            if prev in picks:
                return chain
            if self.row[prev.idx] in taken or len(chain) >= 2 or prev.idx in self.blocked:
                return None  # one sentence of context at most: longer chains drift
            chain.insert(0, prev)
            current = prev
        return chain

    def arrange(self, picks: list[Candidate]) -> list[Candidate]:
        """A section's sentences grouped by article, each article's in reading order; the
        article with the section's most important sentence first (so a section opens with
        its key fact), then the others in reading order."""
        best: dict[int, float] = {}
        for c in picks:
            value = float(self.importance[self.row[c.idx]])
            best[c.order] = max(best.get(c.order, -np.inf), value)
        lead = max(best, key=lambda order: (best[order], -order)) if best else None
        return sorted(picks, key=lambda c: (c.order != lead, c.key))

    # -- headline ----------------------------------------------------------------------------

    def headline(self, chosen: dict[Role, list[Candidate]]) -> str:
        """The most common title; else the title closest to the story; else the most central
        of "What's Happening?"'s first sentences that shortens to a whole headline (else the
        most central one, cut with an ellipsis)."""
        if self.titles:
            counts = Counter(normalise(t) for t in self.titles)
            top, n = counts.most_common(1)[0]
            if n > 1:
                return next(t.strip() for t in self.titles if normalise(t) == top)
            weights = self.importance / self.importance.sum()
            centroid = weights @ self.vectors.matrix
            closeness = self.vectors.embed(self.titles) @ centroid
            return self.titles[int(np.argmax(closeness))].strip()
        lead = chosen.get(HAPPENING) or self.all
        ranked = sorted(lead, key=lambda c: (-self.importance[self.row[c.idx]], c.key))
        # of the most central sentences, the first that makes a whole headline of its own
        # (not cut with an ellipsis, not a quotation, not leaning on the sentence before)
        headlines = [
            shorten(c.text[dateline_end(c.text) :])
            for c in ranked[:HEADLINE_CHOICES]
            if not c.dangling
        ] or [shorten(ranked[0].text)]
        whole = [h for h in headlines if not h.endswith("…") and not _QUOTES.search(h)]
        return whole[0] if whole else headlines[0]


def story_role_inputs(articles: Sequence[Article]) -> dict[tuple[int, int], RoleInput]:
    """The role model's input for each sentence the engine may publish, by (article
    position, sentence index), as the engine builds them (to train the model)."""
    usable = [c for c in candidates(articles) if c.usable and c.text.strip()]
    if not usable:
        return {}
    plan = _Plan(articles, usable, BuiltinOptions(), classify=False)
    return {(c.article_pos, c.sentence.index): x for c, x in zip(usable, plan.inputs, strict=True)}


def sentence_roles(
    articles: Sequence[Article],
    model: RoleModel | None = None,
    semantic: Embedder | None = None,
) -> dict[tuple[int, int], Role]:
    """For each sentence the engine may publish (article position, sentence index): the
    section it serves, as the engine decides it (for benches and tests)."""
    usable = [c for c in candidates(articles) if c.usable and c.text.strip()]
    if not usable:
        return {}
    plan = _Plan(articles, usable, BuiltinOptions(), model=model, semantic=semantic)
    return {(c.article_pos, c.sentence.index): plan.role[c.idx] for c in usable}
