"""Coherence benchmark: does an explainer contradict itself, leave sections empty, or publish
headlines and fragments? And how often is a "sources differ" sentence right?

    python bench/coherence.py [--data ../shared/data] [--baseline FILE.jsonl]
    python bench/coherence.py --candidates N [--kind number|date|official|speaker]

1. Over every NeuS validation story (three articles each), the built-in engine's explainer after
   the checker's gate, with the coherence features off (``coherence=False``) and on:

   * unflagged conflicts: explainers that publish two plain statements giving different values
     for one thing (by the differ detector, :mod:`storybrief.explain.differ_figures`) without a
     "sources differ" sentence naming them;
   * mixed events: explainers that publish sentences from articles about another event
     (:mod:`storybrief.explain.coherence`) without the re-clustering flag;
   * empty sections, per section;
   * headlines, bare attributions and dangling sentences (opening with "He", "This", "But"...)
     published without the sentence before them; statistics under "Why It's Important?";
   * "sources differ" sentences published, and how many the checker supports.

2. Precision and recall of the detector on a hand-labelled sample of candidate pairs
   (``bench/coherence-sample.json``; the labelling rule is ``bench/coherence-rule.md``), on
   the whole sample, its dev and test parts and each kind. The sample stores only where each
   item is (set, story, kind, article, character offsets in the article's text) and the label:
   the texts are research-only data that may not be copied. A candidate pair of figures is two
   values of one kind from two articles of a story, not equal, within a factor of two, whose
   clauses share a content word; of days, two different days whose clauses share a word; of
   speakers, one quotation with any two speakers; of offices, one office with two holders.
   ``--candidates N`` prints N new candidate pairs (with their sentences) for labelling.

Writes bench/results/coherence.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from storybrief.explain import SECTION_KEYS, Explainer, explain_articles
from storybrief.explain.candidates import bare_attribution, dangles, headline_like
from storybrief.explain.clauses import Statement, clause_span, common_names, story_names
from storybrief.explain.coherence import split_events
from storybrief.explain.differ_facts import fact_pairs
from storybrief.explain.differ_figures import Value, differs, find_differences, find_values
from storybrief.explain.roles import statistics
from storybrief.records import Article
from storybrief.verify.facts import (
    different_people,
    find_attributions,
    find_dates,
    find_officials,
    same_quotation,
)
from storybrief.verify.publish import check_explainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summarization import default_data, neus_article  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "coherence.json"
SAMPLE = ROOT / "bench" / "coherence-sample.json"


# --- data ---------------------------------------------------------------------------------------


def stories(
    data: Path, name: str, only: set[str] | None = None
) -> Iterator[tuple[str, list[Article]]]:
    """(story id, articles) of one set: neus-train, neus-val, multinews, duc2004 (only the
    stories in ``only`` when given)."""
    if name.startswith("neus-"):
        path = data / "summarization" / f"{name}.jsonl"
    elif name == "multinews":
        path = data / "multinews-longbench" / "multinews-longbench.jsonl"
    elif name == "duc2004":
        path = data / "duc2004" / "duc2004-task2.jsonl"
    else:
        raise SystemExit(f"unknown set {name!r}")
    if not path.exists():
        raise SystemExit(f"no {name} file at {path}: pass --data")
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        story_id = row.get("story") or row["id"]
        if only is not None and story_id not in only:
            continue
        if name.startswith("neus-"):
            articles = [neus_article(a, i + 1) for i, a in enumerate(row["articles"])]
        elif name == "multinews":
            articles = [Article(id=i + 1, text=t) for i, t in enumerate(row["documents"])]
        else:
            articles = []
            for i, doc in enumerate(row["documents"]):
                # doc ids carry the wire date: APW19981016.0240
                m = re.search(r"(\d{8})\.", doc["doc_id"])
                when = (
                    datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=timezone.utc)
                    if m
                    else None
                )
                articles.append(Article(id=i + 1, text=doc["text"], published_at=when))
        yield story_id, articles


def statements(articles: Sequence[Article]) -> list[Statement]:
    return [
        Statement(pos, s.index, s.start, s.text)
        for pos, a in enumerate(articles)
        for s in a.sentences
        if not s.is_heading
    ]


# --- part 1: explainers ---------------------------------------------------------------------------


def published_statements(explainer: Explainer, articles: Sequence[Article]) -> list[Statement]:
    """The plain statements an explainer publishes, as statements of their cited sentences."""
    position = {(a.id if a.id is not None else p): p for p, a in enumerate(articles)}
    out = []
    for _, _, s in explainer.sentences():
        if s.kind != "statement" or not s.citations:
            continue
        c = s.citations[0]
        out.append(Statement(position[c.article_id], c.sentence_index, c.start, s.text))
    return out


def audit(explainer: Explainer, articles: Sequence[Article]) -> Counter[str]:
    """What one published explainer gets wrong (see the module docstring)."""
    found: Counter[str] = Counter()
    plain = published_statements(explainer, articles)
    named = {
        (c.article_id, c.sentence_index)
        for d in explainer.differences()
        if d.verdict == "supported"
        for c in d.citations
    }
    ids = [a.id if a.id is not None else p for p, a in enumerate(articles)]
    for d in find_differences(plain, articles):
        keys = [(ids[p], i) for p, i in d.pair]
        if not all(k in named for k in keys):
            found["unflagged conflicts"] += 1
            break
    split = split_events(articles)
    if split is not None and explainer.recluster is None:
        aside = {ids[p] for p in split.set_aside}
        if any(c.article_id in aside for _, _, s in explainer.sentences() for c in s.citations):
            found["mixed events, unflagged"] += 1
    for section in explainer.sections:
        if not section.sentences:
            found[f"empty: {section.title}"] += 1
    titles = [a.title for a in articles if a.title]
    by_id = dict(zip(ids, articles, strict=True))
    for section in explainer.sections:
        before = None
        for s in section.sentences:
            if s.kind != "statement":
                continue
            if headline_like(s.text, titles):
                found["headlines published"] += 1
            if bare_attribution(s.text):
                found["bare attributions published"] += 1
            c = s.citations[0] if s.citations else None
            if dangles(s.text) and c is not None:
                prev = before.citations[0] if before is not None and before.citations else None
                if not (
                    prev is not None
                    and prev.article_id == c.article_id
                    and _previous_statement(by_id[c.article_id], c.sentence_index)
                    == prev.sentence_index
                ):
                    found["dangling without context"] += 1
            if section.key == "why_its_important" and statistics(s.text):
                found["statistics under Why It's Important?"] += 1
            before = s
    for d in explainer.differences():
        found["differ sentences"] += 1
        found["differ sentences supported"] += d.verdict == "supported"
    if explainer.recluster is not None:
        found["flagged for re-clustering"] += 1
    return found


def _previous_statement(article: Article, index: int) -> int | None:
    earlier = [s.index for s in article.sentences if s.index < index and not s.is_heading]
    return earlier[-1] if earlier else None


def explainer_table(data: Path, baseline: Path | None = None) -> dict[str, dict[str, int]]:
    """The audit totals with coherence off and on; with ``baseline`` (JSON lines of
    ``{"id", "explainer"}``: published explainers of the same stories written by another
    version, e.g. ``git stash``-ed main), that version's too."""
    neus = list(stories(data, "neus-val"))
    out: dict[str, dict[str, int]] = {}
    runs: list[tuple[str, dict[str, Explainer]]] = []
    if baseline is not None:
        docs = [json.loads(line) for line in baseline.read_text(encoding="utf-8").splitlines()]
        runs.append(
            (
                f"baseline ({baseline.name})",
                {d["id"]: Explainer.model_validate(d["explainer"]) for d in docs},
            )
        )
    for mode, coherence in (("before (coherence off)", False), ("after", True)):
        made = {}
        for story_id, articles in neus:
            explainer = explain_articles(articles, coherence=coherence)
            made[story_id], _ = check_explainer(explainer, articles)
        runs.append((mode, made))
    for mode, explainers in runs:
        totals: Counter[str] = Counter()
        for story_id, articles in neus:
            for key, n in audit(explainers[story_id], articles).items():
                totals[key] += min(n, 1) if key.startswith(("unflagged", "mixed")) else n
        totals["stories"] = len(neus)
        out[mode] = dict(totals)
    return out


# --- part 2: the labelled sample ------------------------------------------------------------

SETS = ("neus-val", "neus-train", "multinews", "duc2004")


def _pairs(articles: Sequence[Article]) -> Iterator[tuple[Statement, Value, Statement, Value]]:
    """Candidate pairs: values of one kind from two articles, not equal, within a factor of
    two, whose clauses share a content word."""
    found = statements(articles)
    values = [find_values(s.text) for s in found]
    for i, a in enumerate(found):
        for j in range(i + 1, len(found)):
            b = found[j]
            if a.article_pos == b.article_pos:
                continue
            for va in values[i]:
                for vb in values[j]:
                    if va.kind != vb.kind or va.value == vb.value:
                        continue
                    small, large = sorted((va.value, vb.value))
                    if small <= 0 or large / small > 2:
                        continue
                    ca, cb = clause_span(a.text, va), clause_span(b.text, vb)
                    wa = set(re.findall(r"[a-z]{4,}", a.text[ca[0] : ca[1]].lower()))
                    wb = set(re.findall(r"[a-z]{4,}", b.text[cb[0] : cb[1]].lower()))
                    if wa & wb:
                        yield a, va, b, vb


def _sentence_at(articles: Sequence[Article], pos: int, start: int) -> Statement:
    """The statement of article ``pos`` that holds the character at ``start`` (offsets in the
    article's text, so a sample survives changes in sentence splitting)."""
    for s in articles[pos].sentences:
        if s.start <= start < s.end and not s.is_heading:
            return Statement(pos, s.index, s.start, s.text)
    raise SystemExit(f"no sentence at offset {start} of article {pos}")


def _locate(articles: Sequence[Article], ref: list[int], kind: str) -> tuple[Statement, object]:
    """The statement at a sample's reference ``[article, start, end]`` (article offsets) and
    the detector's item there: a value, a date, an office-holder or a quotation's speaker
    (None when the detector does not see one there: it then cannot flag the pair)."""
    pos, start, end = ref
    statement = _sentence_at(articles, pos, start)
    lo, hi = start - statement.start, end - statement.start
    found: list = {
        "number": find_values,
        "date": find_dates,
        "official": find_officials,
        "speaker": find_attributions,
    }[kind](statement.text)
    return statement, next((f for f in found if f.start <= lo and hi <= f.end), None)


def predicted(
    articles: Sequence[Article],
    kind: str,
    ref_a: list[int],
    ref_b: list[int],
    known: frozenset[str],
    ground: frozenset[str] = frozenset(),
) -> bool:
    """Does the detector say the two items of a sample pair differ?"""
    a, va = _locate(articles, ref_a, kind)
    b, vb = _locate(articles, ref_b, kind)
    if va is None or vb is None:
        return False
    if kind == "number":
        assert isinstance(va, Value) and isinstance(vb, Value)
        return bool(differs(a, va, find_values(a.text), b, vb, find_values(b.text), known, ground))
    for pair in fact_pairs([a, b], articles, known):
        if pair.fact_a.what == kind and {
            (pair.fact_a.start, pair.fact_a.end),
            (pair.fact_b.start, pair.fact_b.end),
        } == {(va.start, va.end), (vb.start, vb.end)}:  # type: ignore[attr-defined]
            return True
    return False


def sample_scores(data: Path, sample: dict) -> dict[str, dict[str, float | int]]:
    """Precision and recall on the whole sample, on each part (dev, test) and each kind."""
    pairs = sample["pairs"]
    out = {"all": _scores(data, pairs)}
    for part in sorted({p.get("part", "all") for p in pairs}):
        out[part] = _scores(data, [p for p in pairs if p.get("part") == part])
    for rnd in sorted({p.get("round", 1) for p in pairs}):
        out[f"round {rnd}"] = _scores(data, [p for p in pairs if p.get("round", 1) == rnd])
    for kind in ("number", "date", "official", "speaker"):
        chosen = [p for p in pairs if p.get("kind", "number") == kind]
        if chosen:
            out[f"kind: {kind}"] = _scores(data, chosen)
    return out


def _scores(data: Path, pairs: list[dict]) -> dict[str, float | int]:
    cache: dict[tuple[str, str], list[Article]] = {}
    wanted = {(p["set"], p["story"]) for p in pairs}
    for name in sorted({s for s, _ in wanted}):
        ids = {story for s, story in wanted if s == name}
        for story_id, articles in stories(data, name, ids):
            cache[(name, story_id)] = articles
    known = {key: story_names([s.text for s in statements(arts)]) for key, arts in cache.items()}
    ground = {key: common_names(statements(arts), known[key]) for key, arts in cache.items()}
    tp = fp = fn = tn = 0
    for pair in pairs:
        key = (pair["set"], pair["story"])
        kind = pair.get("kind", "number")
        guess = predicted(cache[key], kind, pair["a"], pair["b"], known[key], ground[key])
        truth = bool(pair["label"])
        tp += guess and truth
        fp += guess and not truth
        fn += truth and not guess
        tn += not guess and not truth
    return {
        "pairs": len(pairs),
        "true disagreements": tp + fn,
        "flagged": tp + fp,
        "true positives": tp,
        "false positives": fp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else float("nan"),
        "recall": round(tp / (tp + fn), 3) if tp + fn else float("nan"),
    }


def _fact_pairs(
    articles: Sequence[Article], kind: str
) -> Iterator[tuple[Statement, Any, Statement, Any]]:
    """Candidate pairs of other facts, looser than the detector: one quotation (five words in
    common) with any two speakers; one office (same title and qualifiers) with two people;
    two different days whose clauses share a word of four letters or more."""
    found = statements(articles)
    finder = {"date": find_dates, "official": find_officials, "speaker": find_attributions}[kind]
    items = [finder(s.text) for s in found]
    for i, a in enumerate(found):
        for j in range(i + 1, len(found)):
            b = found[j]
            if a.article_pos == b.article_pos:
                continue
            for x in items[i]:
                for y in items[j]:
                    if (
                        kind == "speaker"
                        and same_quotation(x, y)
                        or (
                            kind == "official"
                            and x.role == y.role
                            and different_people(x.person, y.person)
                        )
                    ):
                        yield a, x, b, y
                    elif kind == "date" and (x.weekday, x.month, x.day) != (
                        y.weekday,
                        y.month,
                        y.day,
                    ):
                        if not (x.weekday and y.weekday or x.day and y.day):
                            continue
                        ca, cb = clause_span(a.text, x), clause_span(b.text, y)
                        wa = set(re.findall(r"[a-z]{4,}", a.text[ca[0] : ca[1]].lower()))
                        wb = set(re.findall(r"[a-z]{4,}", b.text[cb[0] : cb[1]].lower()))
                        if wa & wb:
                            yield a, x, b, y


def print_candidates(
    data: Path, sample: dict, n: int, seed: int, close: float, kind: str = "number"
) -> None:
    """New candidate pairs for labelling: every pair the detector flags, and a random draw
    (for figures, of pairs whose values are within a factor ``close`` of each other)."""
    have = {(p["set"], p["story"], tuple(p["a"]), tuple(p["b"])) for p in sample["pairs"]}
    rng = random.Random(seed)
    pool = []
    for name in SETS:
        for story_id, articles in stories(data, name):
            known = story_names([s.text for s in statements(articles)])
            ground = common_names(statements(articles), known)
            pairs = _pairs(articles) if kind == "number" else _fact_pairs(articles, kind)
            for a, va, b, vb in pairs:
                ref_a = [a.article_pos, a.start + va.start, a.start + va.end]
                ref_b = [b.article_pos, b.start + vb.start, b.start + vb.end]
                if (name, story_id, tuple(ref_a), tuple(ref_b)) in have:
                    continue
                flagged = predicted(articles, kind, ref_a, ref_b, known, ground)
                ratio = max(va.value, vb.value) / min(va.value, vb.value) if kind == "number" else 1
                pool.append((flagged, name, story_id, ref_a, ref_b, a.text, b.text, va, vb, ratio))
    flagged = [p for p in pool if p[0]]
    rest = [p for p in pool if not p[0] and p[9] <= close]
    chosen = flagged + rng.sample(rest, min(len(rest), max(0, n - len(flagged))))
    print(f"# {len(pool)} candidates, {len(flagged)} flagged", file=sys.stderr)
    for f, name, story_id, ref_a, ref_b, ta, tb, va, vb, _ in chosen:
        row = {"set": name, "story": story_id, "kind": kind, "a": ref_a, "b": ref_b, "label": None}
        print(json.dumps(row))
        print(f"   flagged={f}  {va.surface!r} vs {vb.surface!r}")
        print(f"   A: {ta}")
        print(f"   B: {tb}")


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--candidates", type=int, default=0, help="print candidates, then stop")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--close", type=float, default=2.0, help="candidates: value ratio")
    parser.add_argument(
        "--kind",
        choices=["number", "date", "official", "speaker"],
        default="number",
        help="candidates: what differs",
    )
    parser.add_argument(
        "--baseline", type=Path, help="JSON lines of another version's NeuS val explainers"
    )
    args = parser.parse_args(argv)
    sample = json.loads(args.sample.read_text(encoding="utf-8")) if args.sample.exists() else {}
    sample.setdefault("pairs", [])
    if args.candidates:
        print_candidates(args.data, sample, args.candidates, args.seed, args.close, args.kind)
        return
    console = Console()
    table_data = explainer_table(args.data, args.baseline)
    table = Table(title="NeuS val: explainers after the checker (count of explainers or sentences)")
    table.add_column("")
    modes = list(table_data)
    for mode in modes:
        table.add_column(mode, justify="right")
    keys = sorted({k for m in modes for k in table_data[m]}, key=_order)
    for key in keys:
        table.add_row(key, *(str(table_data[m].get(key, 0)) for m in modes))
    console.print(table)
    scores = sample_scores(args.data, sample) if sample["pairs"] else {}
    if scores:
        t2 = Table(title="'Sources differ' detector on the hand-labelled sample")
        t2.add_column("part")
        for key in scores["all"]:
            t2.add_column(key, justify="right")
        for part, row in scores.items():
            t2.add_row(part, *(str(v) for v in row.values()))
        console.print(t2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"neus_val": table_data, "sample": scores, "sample_file": str(SAMPLE.name)},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _order(key: str) -> tuple[int, str]:
    first = ["stories", "unflagged conflicts", "mixed events, unflagged"]
    if key in first:
        return (first.index(key), key)
    if key.startswith("empty: "):
        return (10 + SECTION_KEYS.index(_section_key(key)), key)
    return (20, key)


def _section_key(key: str) -> str:
    from storybrief.explain import SECTIONS

    title = key.removeprefix("empty: ")
    return next(k for k, t in SECTIONS.items() if t == title)


if __name__ == "__main__":
    main()
