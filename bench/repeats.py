"""Facts said twice in an explainer, as readers count them (``bench/repeats-rule.md``).

    python bench/repeats.py sample --dump DIR --out SHEETS [--round N] [--share 0.6]
                                   [--same-as OTHER_SHEETS]  # worksheets
    python bench/repeats.py gold --a A.jsonl --b B.jsonl --positions SHEETS/positions.json
                                 --round N --engine COMMIT [--adjudicated C.jsonl]
    python bench/repeats.py score [--data ../shared/data]   # readers' counts, detectors
    python bench/repeats.py fit [--rounds 1,2]              # the engine's pair model

``sample`` draws explainers from the published sentences ``bench/explainers.py --dump DIR``
wrote (10 DUC 2004, 15 Multi-News, 15 NeuS validation stories; a fixed seed; a later round
draws stories no earlier round read, so that an engine's change is read on new stories;
``--same-as`` draws the stories of another sheet, to read two engines' explainers of the same
stories, each as a round of its own) and writes,
outside the repository, the worksheet readers label (``SHEETS/sheet.md``: each explainer's
sentences numbered, under their sections) and the positions (``SHEETS/positions.json``).
A reader's labels are JSON lines: ``{"explainer": KEY, "j": 5, "i": 2, "label": "repeat"}``
(or ``"partial"``) and ``{"explainer": KEY, "j": 4, "leans": true}``.

``gold`` merges two passes (and the adjudication of the pairs they disagree on) into
``bench/repeats-gold.json``: positions and labels only, never text (the sets are
research-only), with the two passes' agreement.

``score`` rebuilds each labelled explainer's sentences from the shared data by position and
asks each detector, for every pair of sentences in reading order, whether the later one says
again what the earlier one said; precision and recall against the readers' "repeat" pairs
(and against "repeat" or "partial"), on the dev and test parts of the stories
(:func:`roles_data.part_of`). Writes bench/results/repeats.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coherence import stories  # noqa: E402
from roles_data import part_of  # noqa: E402
from summarization import default_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "bench" / "repeats-gold.json"
RESULTS = ROOT / "bench" / "results" / "repeats.json"
PER_SET = {"duc2004": 10, "multinews": 15, "neus-val": 15}
SECTIONS = ("happening", "why", "next", "beyond")
SEED = 20261207
LABELS = ("repeat", "partial")


def explainers_of(dump: Path) -> dict[str, list[dict]]:
    """``set/story`` -> its published sentences in reading order, from a --dump folder."""
    out: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(dump.glob("*-builtin-published.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out[f"{row['set']}/{row['story']}"].append(row)
    return out


def sample(
    dump: Path, out: Path, data: Path, round_: int, same_as: Path | None = None, per_set: float = 1
) -> None:
    found = explainers_of(dump)
    rng = random.Random(SEED + round_ - 1)
    done = set()
    if GOLD.exists():  # a later round reads other stories
        done = {f"{it['set']}/{it['story']}" for it in json.loads(GOLD.read_text())["items"]}
    chosen: list[str] = []
    if same_as is not None:  # another engine's explainers of the stories of that sheet
        wanted = json.loads((same_as / "positions.json").read_text(encoding="utf-8"))
        chosen = [k for k in wanted if len(found.get(k, [])) > 1]
    else:
        for name, n in PER_SET.items():
            keys = sorted(
                k
                for k, rows in found.items()
                if k.startswith(name + "/") and len(rows) > 1 and k not in done
            )
            chosen += rng.sample(keys, min(round(n * per_set), len(keys)))
        rng.shuffle(chosen)
    starts = _starts(data, chosen, found)
    out.mkdir(parents=True, exist_ok=True)
    sheet, positions = [], {}
    for key in chosen:
        rows = found[key]
        sheet.append(f"## {key}\n")
        section = None
        for j, row in enumerate(rows, 1):
            if row["section"] != section:
                section = row["section"]
                sheet.append(f"### {section}")
            sheet.append(f"[{j}] {row['text']}")
        sheet.append("")
        # the character offset, not the sentence's index, names it: indices move when sentence
        # splitting changes, offsets in the article's text do not
        positions[key] = [
            [row["article"], starts[key][n], row["section"]] for n, row in enumerate(rows)
        ]
    (out / "sheet.md").write_text("\n".join(sheet) + "\n", encoding="utf-8")
    (out / "positions.json").write_text(json.dumps(positions, indent=1), encoding="utf-8")
    print(f"{len(chosen)} explainers, {sum(len(v) for v in positions.values())} sentences -> {out}")


def _starts(data: Path, keys: list[str], found: dict[str, list[dict]]) -> dict[str, list[int]]:
    """Where each published sentence starts in its article's text."""
    out: dict[str, list[int]] = {}
    for name in PER_SET:
        wanted = {k.split("/", 1)[1] for k in keys if k.startswith(name + "/")}
        for story, articles in stories(data, name, only=wanted):
            key = f"{name}/{story}"
            out[key] = [
                next(
                    s.start
                    for s in articles[row["article"]].sentences
                    if s.index == row["sentence"]
                )
                for row in found[key]
            ]
    return out


def _read(path: Path) -> tuple[dict[tuple[str, int], tuple[int, str]], set[tuple[str, int]]]:
    pairs: dict[tuple[str, int], tuple[int, str]] = {}
    leans: set[tuple[str, int]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("leans"):
            leans.add((row["explainer"], row["j"]))
        if row.get("label") in LABELS:
            pairs[(row["explainer"], row["j"])] = (row["i"], row["label"])
    return pairs, leans


def gold(
    a: Path, b: Path, adjudicated: Path | None, positions_path: Path, round_: int, engine: str
) -> None:
    positions = json.loads(positions_path.read_text(encoding="utf-8"))
    pa, la = _read(a)
    pb, lb = _read(b)
    pc, _ = _read(adjudicated) if adjudicated else ({}, set())
    # agreement over every (explainer, j): which label (none, repeat, partial) each pass gave
    agree, total, both_rep = 0, 0, Counter()
    for key, rows in positions.items():
        for j in range(2, len(rows) + 1):
            x = pa.get((key, j), (None, "none"))[1]
            y = pb.get((key, j), (None, "none"))[1]
            total += 1
            agree += x == y
            both_rep[(x, y)] += 1
    po = agree / total
    n = total
    pe = sum(
        (sum(v for (x, _), v in both_rep.items() if x == lab) / n)
        * (sum(v for (_, y), v in both_rep.items() if y == lab) / n)
        for lab in ("none", *LABELS)
    )
    kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
    items = []
    for key, rows in positions.items():
        for j in range(1, len(rows) + 1):
            la_, lb_ = pa.get((key, j)), pb.get((key, j))
            label = la_ if la_ == lb_ else pc.get((key, j), (None, "none"))
            if la_ != lb_ and (key, j) not in pc and adjudicated is None:
                label = la_ if la_ and lb_ else None  # unadjudicated: only pairs both saw
            set_name, story = key.split("/", 1)
            item = {
                "round": round_,
                "set": set_name,
                "story": story,
                "j": j,
                "article": rows[j - 1][0],
                "start": rows[j - 1][1],
                "section": rows[j - 1][2],
            }
            if label and label[1] in LABELS:
                item["repeats"] = label[0]
                item["label"] = label[1]
            if (key, j) in la and (key, j) in lb:
                item["leans"] = True
            items.append(item)
    leans_agree = sum(
        ((k, j) in la) == ((k, j) in lb)
        for k, rows in positions.items()
        for j in range(1, len(rows) + 1)
    )
    sentences = sum(len(rows) for rows in positions.values())
    doc = json.loads(GOLD.read_text(encoding="utf-8")) if GOLD.exists() else {}
    rounds = {k: v for k, v in doc.get("rounds", {}).items() if k != str(round_)}
    rounds[str(round_)] = {
        "explainers written by": engine,
        "sentences": sentences,
        "repeat label agreement": round(po, 3),
        "kappa": round(kappa, 3),
        "leans agreement": round(leans_agree / sentences, 3),
        "pass a": dict(Counter(lab for _, lab in pa.values())),
        "pass b": dict(Counter(lab for _, lab in pb.values())),
        "adjudicated": adjudicated is not None,
    }
    kept = [it for it in doc.get("items", []) if it.get("round", 1) != round_]
    doc = {
        "rule": "bench/repeats-rule.md",
        "note": "Positions only (set, story, article index, character offset of the sentence "
        "in the article's text, the section it was published under); j numbers an explainer's "
        "sentences in reading order from 1, repeats names the earlier j it says again. Two "
        "independent passes a round, each round other stories; where a round is not "
        "adjudicated, a pair is gold where both passes flagged sentence j (pass a's i and "
        "label where they differ), a sentence leans where both marked it.",
        "rounds": rounds,
        "items": kept + items,
    }
    GOLD.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc["rounds"][str(round_)], indent=1))


def load_explainers(data: Path) -> list[dict]:
    """The labelled explainers with their sentences' texts rebuilt from the data (one a story
    and round: two rounds may read two engines' explainers of one story)."""
    doc = json.loads(GOLD.read_text(encoding="utf-8"))
    by_story: dict[tuple[str, str], dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for item in doc["items"]:
        by_story[(item["set"], item["story"])][item.get("round", 1)].append(item)
    out = []
    for name in sorted({s for s, _ in by_story}):
        wanted = {story for s, story in by_story if s == name}
        for story, articles in stories(data, name, only=wanted):
            for round_, items in sorted(by_story[(name, story)].items()):
                items.sort(key=lambda it: it["j"])
                texts, places, indices = [], [], []
                for it in items:
                    statements = [s for s in articles[it["article"]].sentences if not s.is_heading]
                    k, sentence = next(
                        (k, s) for k, s in enumerate(statements) if s.start <= it["start"] < s.end
                    )
                    texts.append(sentence.text)
                    places.append((it["article"], k))
                    indices.append((it["article"], sentence.index))
                out.append(
                    {
                        "set": name,
                        "story": story,
                        "round": round_,
                        "items": items,
                        "texts": texts,
                        "places": places,
                        "indices": indices,
                        "articles": articles,
                    }
                )
    return out


Detector = Callable[[dict], bool]

# --- the pair model (storybrief.explain.sameness): its features, fitted by ``fit`` --------------


def pairs_of(explainers: list[dict], meaning: object | None) -> list[dict]:
    """Every pair (i < j) of each labelled explainer with the pair model's features (words
    only, and with the MiniLM cosine) and its label; the features read in both orders (the
    engine asks both: which one a reader meets first is decided after choosing)."""
    from storybrief.explain import rank
    from storybrief.explain.candidates import candidates
    from storybrief.explain.sameness import Facts, idf_of, pair_features

    out = []
    for ex in explainers:
        usable = [c.text for c in candidates(ex["articles"]) if c.usable and c.text.strip()]
        titles = [a.title for a in ex["articles"] if a.title and a.title.strip()]
        idf = idf_of(rank.tfidf(usable or ["-"], extra_documents=titles))
        points = meaning.embed(ex["texts"]) if meaning is not None else None  # type: ignore[attr-defined]
        truth = {(it["repeats"], it["j"]): it["label"] for it in ex["items"] if "label" in it}
        part = part_of(ex["set"], ex["story"])
        facts = [Facts.of(t, place) for t, place in zip(ex["texts"], ex["places"], strict=True)]
        for i, j in combinations(range(1, len(ex["texts"]) + 1), 2):
            cos = float(points[i - 1] @ points[j - 1]) if points is not None else None
            later, earlier = facts[j - 1], facts[i - 1]
            out.append(
                {
                    "ex": ex,
                    "i": i,
                    "j": j,
                    "part": part,
                    "label": truth.get((i, j), "none"),
                    "words": pair_features(later, earlier, idf, None),
                    "vectors": pair_features(later, earlier, idf, cos),
                    "words, turned": pair_features(earlier, later, idf, None),
                    "vectors, turned": pair_features(earlier, later, idf, cos),
                }
            )
    return out


def _said(prob: dict[tuple, float], pairs: list[dict], threshold: float) -> dict[tuple, bool]:
    """Sentence j is flagged when the model says it and any earlier sentence say one fact
    twice (what the engine acts on: it leaves the sentence out)."""
    flagged: dict[tuple, bool] = defaultdict(bool)
    for p in pairs:
        flagged[_sentence(p)] |= prob[_key(p)] >= threshold
    return flagged


def _sentence(p: dict) -> tuple[int, int]:
    return (id(p["ex"]), p["j"])


def _sentence_f(flagged: dict[tuple, bool], pairs: list[dict], beta: float = 1.0) -> float:
    gold: dict[tuple, bool] = defaultdict(bool)
    for p in pairs:
        gold[_sentence(p)] |= p["label"] != "none"
    tp = sum(flagged[k] and gold[k] for k in gold)
    said, wanted = sum(flagged[k] for k in gold), sum(gold.values())
    if not tp:
        return 0.0
    precision, recall = tp / said, tp / wanted
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def fit(data: Path, rounds: set[int]) -> dict:
    """Fit the pair model on the dev stories' pairs (class-balanced logistic regression, words
    only and with MiniLM), its threshold the best sentence-level F1 of cross-validated dev
    predictions (both orders, the higher probability), and write
    ``src/storybrief/explain/pair_model.json``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from storybrief.explain.sameness import MODEL_FILE, PAIR_FEATURES, PairModel

    ONE_ARTICLE = PAIR_FEATURES.index("one article")  # noqa: N806

    checker = _meaning_checker()
    meaning = getattr(checker, "semantic", None)
    explainers = [ex for ex in load_explainers(data) if ex["round"] in rounds]
    pairs = pairs_of(explainers, meaning)
    # two articles' sentences only: within one article the model's precision was 0.41 on the
    # test stories (0.57 across articles), and one-article explainers would lose background
    dev = [p for p in pairs if p["part"] == "dev" and not p["words"][ONE_ARTICLE]]
    y = np.array([p["label"] != "none" for p in dev])
    groups = [f"{p['ex']['set']}/{p['ex']['story']}" for p in dev]
    doc: dict = {
        "fitted by": "bench/repeats.py fit",
        "rounds": sorted(rounds),
        "on": f"{len(dev)} pairs of two articles' sentences in the dev stories, "
        f"{int(y.sum())} said one fact twice",
    }
    for kind in ("words", "vectors") if meaning is not None else ("words",):
        X = np.stack([p[kind] for p in dev])
        turned = np.stack([p[kind + ", turned"] for p in dev])
        lr = LogisticRegression(class_weight="balanced", max_iter=5000)
        cv = np.zeros(len(dev))
        for train, test in GroupKFold(5).split(X, y, groups):
            lr.fit(X[train], y[train])
            both = np.maximum(lr.predict_proba(X[test])[:, 1], lr.predict_proba(turned[test])[:, 1])
            cv[test] = both
        prob = {_key(p): float(q) for p, q in zip(dev, cv, strict=True)}
        f1, threshold = max(
            (_sentence_f(_said(prob, dev, t), dev), round(float(t), 2))
            for t in np.arange(0.5, 0.96, 0.01)
        )
        lr.fit(X, y)
        model = PairModel(lr.coef_[0], float(lr.intercept_[0]), threshold, kind == "vectors")
        doc[kind] = {**model.to_json(), "dev F1 (sentences, cross-validated)": round(f1, 3)}
    path = ROOT / "src" / "storybrief" / "explain" / MODEL_FILE
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc


def detectors(meaning_checker: object | None) -> dict[str, Detector]:
    """The judgements the engine and bench/prose.py use today."""
    from storybrief.verify import Checker
    from storybrief.verify.repeats import restates

    lexical = Checker()

    def texts(p: dict) -> tuple[str, str]:
        return p["ex"]["texts"][p["i"] - 1], p["ex"]["texts"][p["j"] - 1]

    found: dict[str, Detector] = {
        "restates (checker, either way)": lambda p: (
            restates(texts(p)[1], texts(p)[0], lexical) or restates(*texts(p), lexical)
        ),
        "TF-IDF cosine >= 0.5 (bench/prose.py)": lambda p: p["words"][0] >= 0.5,
    }
    if meaning_checker is not None:
        found["restates (checker + MiniLM, either way)"] = lambda p: (
            restates(texts(p)[1], texts(p)[0], meaning_checker)  # type: ignore[arg-type]
            or restates(*texts(p), meaning_checker)  # type: ignore[arg-type]
        )
    return found


def _meaning_checker() -> object | None:
    from storybrief.errors import MissingExtraError
    from storybrief.verify import Checker
    from storybrief.verify.models import CheckerOptions

    try:
        return Checker(CheckerOptions(use_model=True))
    except MissingExtraError:
        return None


def _count(pairs: list[dict], said_of: Callable[[dict], bool]) -> dict:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for p in pairs:
        said = bool(said_of(p))
        label = p["label"]
        for part in (p["part"], "all"):
            c = counts[part]
            c["pairs"] += 1
            c["said"] += said
            c["repeat"] += label == "repeat"
            c["repeat or partial"] += label != "none"
            c["said & repeat"] += said and label == "repeat"
            c["said & any"] += said and label != "none"
    return {part: _rates(c) for part, c in counts.items()}


def _key(p: dict) -> tuple[int, str, int, int]:
    return (id(p["ex"]), p["part"], p["i"], p["j"])


def leaning(explainers: list[dict]) -> dict:
    """bench/prose.py's rule for a sentence leaning on something unsaid (a pronoun or
    connective opening it, its article's sentence before it not published right before; a
    surname alone before the explainer names the person in full) against the readers'."""
    from coherence import _previous_statement
    from storybrief.explain.candidates import dangles
    from storybrief.verify.standalone import bare_mentions, named, story_people

    c: Counter[str] = Counter()
    for ex in explainers:
        articles = ex["articles"]
        people = story_people(s.text for a in articles for s in a.sentences)
        said = ""
        for n, (it, text) in enumerate(zip(ex["items"], ex["texts"], strict=True)):
            lean = False
            if dangles(text):
                prev = ex["indices"][n - 1] if n else None
                own = _previous_statement(articles[it["article"]], ex["indices"][n][1])
                lean = not (prev is not None and prev == (it["article"], own))
            for m in bare_mentions(text, people):
                if m.group(0).split()[-1] not in named(said + " " + text[: m.start()], people):
                    lean = True
            said += " " + text
            gold = bool(it.get("leans"))
            c["sentences"] += 1
            c["readers"] += gold
            c["rule"] += lean
            c["both"] += lean and gold
    return {
        "sentences": c["sentences"],
        "leaning, readers": c["readers"],
        "flagged by the rule": c["rule"],
        "precision": round(c["both"] / c["rule"], 3) if c["rule"] else None,
        "recall": round(c["both"] / c["readers"], 3) if c["readers"] else None,
    }


def score(data: Path) -> dict:
    checker = _meaning_checker()
    meaning = getattr(checker, "semantic", None)
    explainers = load_explainers(data)
    pairs = pairs_of(explainers, meaning)
    doc = json.loads(GOLD.read_text(encoding="utf-8"))
    result: dict = {"rounds": {}, "detectors": {}}
    for r, agreement in sorted(doc["rounds"].items()):
        these = [ex for ex in explainers if str(ex["round"]) == r]
        mine = [p for p in pairs if str(p["ex"]["round"]) == r]
        n = len(these)
        result["rounds"][r] = {
            **agreement,
            "explainers": n,
            "pairs saying one fact twice per explainer": round(
                sum(p["label"] != "none" for p in mine) / n, 2
            ),
            "of them with nothing new": round(sum(p["label"] == "repeat" for p in mine) / n, 2),
            "sentences leaning": round(
                sum(bool(it.get("leans")) for ex in these for it in ex["items"])
                / sum(len(ex["items"]) for ex in these),
                3,
            ),
        }
    for name, detect in detectors(checker).items():
        result["detectors"][name] = _count(pairs, detect)
    from storybrief.explain.sameness import PAIR_FEATURES, shipped_pair_model

    for kind in ("words", "vectors") if meaning is not None else ("words",):
        model = shipped_pair_model(vectors=kind == "vectors")
        if model is None:
            continue
        label = "pair model, words" if kind == "words" else "pair model, + MiniLM"
        one_article = PAIR_FEATURES.index("one article")
        result["detectors"][label + " (shipped, as the engine asks it)"] = _count(
            pairs,
            lambda p, m=model, k=kind, one=one_article: (
                not p[k][one]  # never asked about one article's sentences
                and max(m.probability(p[k]), m.probability(p[k + ", turned"])) >= m.threshold
            ),
        )
    result["leaning"] = leaning(explainers)
    return result


def _rates(c: Counter[str]) -> dict:
    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "pairs": c["pairs"],
        "said": c["said"],
        "repeat pairs": c["repeat"],
        "precision (repeat or partial)": ratio(c["said & any"], c["said"]),
        "recall (repeat)": ratio(c["said & repeat"], c["repeat"]),
        "recall (repeat or partial)": ratio(c["said & any"], c["repeat or partial"]),
    }


def show(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    for r, got in result["rounds"].items():
        console.print(
            f"round {r} ({got['explainers']} explainers by {got['explainers written by']}, "
            f"read twice, kappa {got['kappa']}): {got['pairs saying one fact twice per explainer']}"
            f" pairs saying one fact twice per explainer ({got['of them with nothing new']} with "
            f"nothing new), {got['sentences leaning']:.0%} of sentences leaning"
        )
    table = Table(title="Facts said twice: detectors against the readers' pairs")
    for col in ("detector", "part", "pairs", "said", "P (repeat|partial)", "R repeat", "R any"):
        table.add_column(col, justify="right")
    for name, parts in result["detectors"].items():
        for part in ("dev", "test", "all"):
            r = parts.get(part)
            if r is None:
                continue
            table.add_row(
                name,
                part,
                str(r["pairs"]),
                str(r["said"]),
                _fmt(r["precision (repeat or partial)"]),
                _fmt(r["recall (repeat)"]),
                _fmt(r["recall (repeat or partial)"]),
            )
    console.print(table)
    lean = result["leaning"]
    console.print(
        f"Leaning on something unsaid: readers mark {lean['leaning, readers']} of "
        f"{lean['sentences']} sentences; bench/prose.py's rule flags {lean['flagged by the rule']}"
        f" (precision {_fmt(lean['precision'])}, recall {_fmt(lean['recall'])})"
    )


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--dump", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--data", type=Path, default=default_data())
    s.add_argument("--round", type=int, default=1)
    s.add_argument(
        "--same-as", type=Path, default=None, help="the stories of that sheet (another engine's)"
    )
    s.add_argument("--share", type=float, default=1.0, help="this share of each set's stories")
    g = sub.add_parser("gold")
    g.add_argument("--a", type=Path, required=True)
    g.add_argument("--b", type=Path, required=True)
    g.add_argument("--adjudicated", type=Path, default=None)
    g.add_argument("--positions", type=Path, required=True)
    g.add_argument("--round", type=int, default=1)
    g.add_argument("--engine", required=True, help="the commit whose explainers were read")
    c = sub.add_parser("score")
    c.add_argument("--data", type=Path, default=default_data())
    f = sub.add_parser("fit")
    f.add_argument("--data", type=Path, default=default_data())
    f.add_argument(
        "--rounds", default="1,2", help="the rounds read before the engine had the pair model"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "sample":
        sample(args.dump, args.out, args.data, args.round, args.same_as, args.share)
    elif args.command == "gold":
        gold(args.a, args.b, args.adjudicated, args.positions, args.round, args.engine)
    elif args.command == "fit":
        rounds = {int(r) for r in args.rounds.split(",")}
        print(json.dumps(fit(args.data, rounds), indent=1))
    else:
        result = score(args.data)
        show(result)
        RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
