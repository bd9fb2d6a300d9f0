"""Faithfulness benchmark: does the checker tell consistent summaries from inconsistent ones?

    python bench/faithfulness.py [--data ../shared/data] [--limit N] [--model]

Data: SummEdits news (``faithfulness/summedits_news.json``): news document, summary, label
(1 consistent, 0 not). A summary counts as supported when every one of its sentences is.
Measured in the same run: the checker as shipped, the checker with its coverage threshold
fitted on one half, and two baselines (always "supported"; plain token overlap with a threshold
fitted on the same half). Halves are split by document, so no document is in both: thresholds
are fitted on the tuning half and scores reported on the other half (and on all pairs).
Writes bench/results/faithfulness.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from storybrief.records import Article
from storybrief.verify import Checker, CheckerOptions

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "faithfulness.json"


def default_data() -> Path:
    return Path(os.environ.get("STORYBRIEF_DATA") or ROOT.parent / "shared" / "data")


def load(data: Path, limit: int | None) -> list[dict]:
    path = data / "faithfulness" / "summedits_news.json"
    if not path.exists():
        sys.exit(f"no SummEdits file at {path}: pass --data or set STORYBRIEF_DATA")
    items = json.loads(path.read_text())
    if limit:
        items = items[:limit]
    return items


def halves(items: list[dict]) -> tuple[set[str], set[str]]:
    """Documents alternately to the tuning and the test half, in sorted order of their ids."""
    docs = sorted({item["id"].rsplit("_", 1)[0] for item in items})
    return set(docs[0::2]), set(docs[1::2])


def confusion(gold: list[int], pred: list[int]) -> dict[str, int]:
    return {
        "tp": sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 1),
        "fn": sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 0),
        "fp": sum(1 for g, p in zip(gold, pred, strict=True) if g == 0 and p == 1),
        "tn": sum(1 for g, p in zip(gold, pred, strict=True) if g == 0 and p == 0),
    }


def balanced_accuracy(c: dict[str, int]) -> float:
    pos, neg = c["tp"] + c["fn"], c["tn"] + c["fp"]
    recall_pos = c["tp"] / pos if pos else 0.0
    recall_neg = c["tn"] / neg if neg else 0.0
    return (recall_pos + recall_neg) / 2


def fit_threshold(scores: list[float], gold: list[int]) -> float:
    """The cut (predict consistent iff score >= cut) with the best balanced accuracy."""
    best, best_ba = 0.0, -1.0
    for cut in sorted(set(scores)):
        ba = balanced_accuracy(confusion(gold, [int(s >= cut) for s in scores]))
        if ba > best_ba:
            best, best_ba = cut, ba
    return best


_WORD = re.compile(r"[a-z0-9]+")


def token_overlap(doc: str, summary: str) -> float:
    doc_words = set(_WORD.findall(doc.lower()))
    words = _WORD.findall(summary.lower())
    return sum(w in doc_words for w in words) / len(words) if words else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default ../shared/data)"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    parser.add_argument(
        "--model", action="store_true", help="use the semantic model (checker-model extra)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default bench/results/...)"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = RESULTS.with_name("faithfulness-model.json") if args.model else RESULTS
    items = load(args.data or default_data(), args.limit)
    tune_docs, test_docs = halves(items)
    half = ["tune" if item["id"].rsplit("_", 1)[0] in tune_docs else "test" for item in items]
    gold = [int(item["label"]) for item in items]

    checker = Checker(CheckerOptions(use_model=args.model))
    articles: dict[str, Article] = {}
    verdicts = []
    started = time.perf_counter()
    for item in items:
        article = articles.get(item["doc"])
        if article is None:
            article = articles[item["doc"]] = Article(text=item["doc"])
        verdicts.append([v for _, v in checker.check_text(item["summary"], [article])])
    elapsed = time.perf_counter() - started

    strict = [int(all(v.label == "supported" for v in vs)) for vs in verdicts]
    lenient = [int(all(v.label != "unsupported" for v in vs)) for vs in verdicts]
    score = [min((v.score for v in vs), default=1.0) for vs in verdicts]
    overlap = [token_overlap(item["doc"], item["summary"]) for item in items]

    def subset(values: list, which: str) -> list:
        return [v for v, h in zip(values, half, strict=True) if which in (h, "all")]

    fitted_cut = fit_threshold(subset(score, "tune"), subset(gold, "tune"))
    fitted = [int(s >= fitted_cut) for s in score]
    overlap_cut = fit_threshold(subset(overlap, "tune"), subset(gold, "tune"))
    overlap_pred = [int(o >= overlap_cut) for o in overlap]
    always = [1] * len(items)

    methods = {
        "baseline: always supported": (always, None),
        f"baseline: token overlap >= {overlap_cut:.3f} (cut fit on tune half)": (overlap_pred, 0.0),
        "checker: every sentence 'supported'": (strict, elapsed),
        "checker: no sentence 'unsupported'": (lenient, elapsed),
        f"checker: min score >= {fitted_cut:.3f} (cut fit on tune half)": (fitted, elapsed),
    }
    results = {}
    for name, (pred, seconds) in methods.items():
        row = {}
        for which in ("test", "tune", "all"):
            c = confusion(subset(gold, which), subset(pred, which))
            row[which] = {"balanced_accuracy": round(balanced_accuracy(c), 4), "confusion": c}
        row["pairs_per_second"] = round(len(items) / seconds, 1) if seconds else None
        results[name] = row

    table = Table(
        title=f"SummEdits news: {len(items)} pairs "
        f"({sum(h == 'test' for h in half)} in the test half)"
    )
    table.add_column("method")
    table.add_column("BA test half", justify="right")
    table.add_column("BA all", justify="right")
    table.add_column("TP / FN / FP / TN (test half)", justify="right")
    table.add_column("pairs/s", justify="right")
    for name, row in results.items():
        c = row["test"]["confusion"]
        table.add_row(
            name,
            f"{row['test']['balanced_accuracy']:.3f}",
            f"{row['all']['balanced_accuracy']:.3f}",
            f"{c['tp']} / {c['fn']} / {c['fp']} / {c['tn']}",
            "-" if row["pairs_per_second"] is None else f"{row['pairs_per_second']:.1f}",
        )
    Console(width=150).print(table)
    print(
        "positive = consistent (label 1); a prediction is 'supported'. "
        "Thresholds fitted on the tuning half only; 'BA all' includes the tuning half."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "dataset": "SummEdits news (salesforce/factualNLG), label 1 = consistent",
                "pairs": len(items),
                "tune_documents": sorted(tune_docs),
                "test_documents": sorted(test_docs),
                "model": args.model,
                "options": checker.options.model_dump(),
                "methods": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
