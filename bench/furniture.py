"""Furniture benchmark: how much page furniture does the explainers' filter keep out?

    python bench/furniture.py [--data ../shared/data]

Over the hand-labelled sample ``bench/furniture-sample.json`` (700 sentences of Multi-News,
DUC 2004 and NeuS validation; half drawn uniformly, half from lines with cheap signals of
furniture that are not storybrief's own patterns; labels under ``bench/furniture-rule.md``;
positions only, the texts are research-only), each sentence's verdict from the explainers'
candidates (:func:`storybrief.explain.candidates.candidates`):

* **flagged**: rejected as furniture (one of the boilerplate kinds, or "a headline") — never
  published, not even when nothing else is left;
* **kept out**: rejected for any reason (too short, not a complete sentence, ... too).

Precision, recall and F1 of both against the labels, on the whole sample and its uniform half
(the rate at which furniture occurs on real pages). A sentence is found by its character offset
in its article, so a change in sentence splitting does not lose it.
Writes bench/results/furniture.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coherence import stories  # noqa: E402
from storybrief.explain.candidates import FATAL, candidates  # noqa: E402
from summarization import default_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "bench" / "furniture-sample.json"
RESULTS = ROOT / "bench" / "results" / "furniture.json"
FURNITURE = FATAL | {"a headline"}


def verdicts(data: Path, items: list[dict]) -> list[str | None]:
    """storybrief's rejection of each item's sentence (None: publishable)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for it in items:
        wanted[it["set"]].add(it["story"])
    found: dict[tuple[str, str, int], list[tuple[int, int, str | None]]] = {}
    for name, ids in wanted.items():
        for story_id, articles in stories(data, name, only=ids):
            for c in candidates(articles):
                key = (name, story_id, c.article_pos)
                found.setdefault(key, []).append((c.sentence.start, c.sentence.end, c.rejected))
    out = []
    for it in items:
        spans = found.get((it["set"], it["story"], it["article"]), [])
        hit = next((r for s, e, r in spans if s <= it["start"] < e), "(not a statement)")
        out.append(hit)
    return out


def prf(labels: list[int], flags: list[bool]) -> dict[str, float | int]:
    tp = sum(1 for y, f in zip(labels, flags, strict=True) if f and y)
    fp = sum(1 for y, f in zip(labels, flags, strict=True) if f and not y)
    fn = sum(1 for y, f in zip(labels, flags, strict=True) if not f and y)
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return {
        "sentences": len(labels),
        "furniture": tp + fn,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if tp else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    items = sample["items"]
    rejected = verdicts(args.data, items)
    report = {}
    table = Table(title=f"Page furniture: {len(items)} labelled sentences (bench/furniture.py)")
    for column in ("part", "verdict", "sentences", "furniture", "precision", "recall", "F1"):
        table.add_column(column, justify="right")
    for part in ("all", "uniform"):
        keep = [i for i, it in enumerate(items) if part == "all" or it["draw"] == part]
        labels = [items[i]["label"] for i in keep]
        for verdict, flags in (
            ("flagged as furniture", [rejected[i] in FURNITURE for i in keep]),
            ("kept out", [rejected[i] is not None for i in keep]),
        ):
            row = prf(labels, flags)
            report[f"{part}: {verdict}"] = row
            table.add_row(part, verdict, *(str(v) for v in row.values()))
    leaks = sum(1 for it, r in zip(items, rejected, strict=True) if it["label"] and r is None)
    report["furniture publishable"] = leaks
    Console(width=150).print(table)
    print(f"furniture sentences with no rejection at all (publishable): {leaks}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
