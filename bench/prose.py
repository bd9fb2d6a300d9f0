"""What a reader would trip over in a published explainer, counted (used by bench/explainers.py).

Per explainer, after the checker's gate:

* **furniture**: a published sentence the candidates' boilerplate patterns call page furniture
  (credits, captions, galleries, calls to subscribe, archive notices, ...);
* **headlines**: a published sentence that is an article's title (or written like a headline);
* **fragments**: a sentence that opens in lower case, ends without closing punctuation, or
  leaves a quotation open;
* **leaning on something unsaid**: a sentence that opens with a pronoun or connective with the
  sentence before it in its article not published right before it, or names a person by
  surname alone before the explainer has named them in full;
* **same fact twice**: pairs of published sentences of which one restates the other, judged by
  the checker with the MiniLM meaning model when it is installed (stricter than the lexical
  checker the gate runs by default) — and, as a second opinion that shares nothing with the
  gate, pairs whose TF-IDF cosine is 0.5 or more.

The first four use the engine's own rules, so they say whether a rule was bypassed (an LLM
draft, a rewrite), not how good the rules are: that is for reading, which the README reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from coherence import _previous_statement
from storybrief.explain import Explainer
from storybrief.explain.candidates import dangles, headline_like
from storybrief.explain.furniture import boilerplate
from storybrief.explain.rank import tfidf
from storybrief.records import Article
from storybrief.text import normalise
from storybrief.verify import Checker
from storybrief.verify.differ_check import is_difference
from storybrief.verify.repeats import restates
from storybrief.verify.standalone import bare_mentions, fragment, named, story_people

KEYS = (
    "furniture",
    "headlines",
    "fragments",
    "leaning on something unsaid",
    "same fact twice (checker)",
    "same fact twice (TF-IDF >= 0.5)",
)


def audit(explainer: Explainer, articles: Sequence[Article], measure: Checker) -> Counter[str]:
    found: Counter[str] = Counter({k: 0 for k in KEYS})
    titles = [a.title for a in articles if a.title]
    flat_titles = {normalise(t).rstrip(" .!") for t in titles}
    by_id = {(a.id if a.id is not None else p): a for p, a in enumerate(articles)}
    people = story_people(s.text for a in articles for s in a.sentences)
    said = ""
    texts: list[str] = []
    for section in explainer.sections:
        before = None
        for s in section.sentences:
            if s.kind != "statement" or is_difference(s.text):
                continue
            text = s.text
            texts.append(text)
            found["furniture"] += boilerplate(text) is not None
            found["headlines"] += (
                headline_like(text, titles) or normalise(text).rstrip(" .!") in flat_titles
            )
            found["fragments"] += fragment(text)
            leaning = False
            c = s.citations[0] if s.citations else None
            if dangles(text) and c is not None and c.article_id in by_id:
                prev = before.citations[0] if before is not None and before.citations else None
                leaning = not (
                    prev is not None
                    and prev.article_id == c.article_id
                    and _previous_statement(by_id[c.article_id], c.sentence_index)
                    == prev.sentence_index
                )
            for m in bare_mentions(text, people):
                surname = m.group(0).split()[-1]
                if surname not in named(said + " " + text[: m.start()], people):
                    leaning = True
            found["leaning on something unsaid"] += leaning
            said += " " + text
            before = s
    if len(texts) > 1:
        sim = tfidf(texts).similarity()
        for i, j in combinations(range(len(texts)), 2):
            found["same fact twice (TF-IDF >= 0.5)"] += bool(sim[i, j] >= 0.5)
            a, b = texts[i], texts[j]
            found["same fact twice (checker)"] += restates(a, b, measure) or restates(b, a, measure)
    return found
