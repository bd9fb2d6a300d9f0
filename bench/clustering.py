"""Story clustering against gold stories, and how it scales.

    python bench/clustering.py [--data ../shared/data] [--sizes 1000,10000,100000]

Data: ``clustering/uci-news-aggregator-subset.csv`` (3,999 real headlines of 10–11 March 2014
labelled with 58 gold stories; CC BY 4.0, UCI News Aggregator). Articles are fed in time
order. Reports B-cubed precision/recall/F1 and pairwise F1 for storybrief's clusterer (with the
MiniLM model when installed, and with the hashed TF-IDF fallback) and for a TF-IDF +
average-linkage agglomerative baseline (scikit-learn; its distance threshold is swept and its
best run reported, so the baseline gets its best case), with articles per second. Then the
growth of time and memory from 1k to 100k articles, made by replaying the set with timestamps
shifted by a week per replay. Writes bench/results/clustering.json and clustering.png.

A second set is embedded as the product embeds an article, title and lead: ECB+
(``ecbplus-clustering/ecbplus-docs.jsonl``, the shared part; CC BY 3.0), where every topic holds
two different events of the same kind (two earthquakes, two product launches), so same-topic
documents about the other event are hard negatives. The thresholds for a title with its lead
(``LEAD_THRESHOLDS``) were fitted on its standard train split, so it is scored on the rest (the
dev and test topics: 218 documents). The documents have no dates, so all are given one time.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import tracemalloc
import zlib
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402
from rich.table import Table  # noqa: E402

from storybrief.cluster.assign import LEAD_THRESHOLDS, THRESHOLDS  # noqa: E402
from storybrief.cluster.clusterer import Clusterer, Item  # noqa: E402
from storybrief.cluster.vectors import HashingEmbedder, ModelEmbedder  # noqa: E402
from storybrief.settings import Settings  # noqa: E402

console = Console()
WEEK = 7 * 24 * 3600.0


def load(data: Path, part: str = "all") -> tuple[list[Item], dict[int, str]]:
    """The UCI headlines in time order with their gold story. ``part``: ``dev`` (the stories
    whose id's CRC-32 is even: 29 stories, 1,753 headlines), ``held`` (the other 29 stories,
    2,246 headlines) or ``all``."""
    path = data / "clustering" / "uci-news-aggregator-subset.csv"
    with path.open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (int(r["TIMESTAMP"]), int(r["ID"])))
    if part != "all":
        rows = [r for r in rows if (zlib.crc32(r["STORY"].encode()) % 2 == 0) == (part == "dev")]
    items = [Item(int(r["ID"]), r["TITLE"], r["TITLE"], int(r["TIMESTAMP"]) / 1000) for r in rows]
    return items, {int(r["ID"]): r["STORY"] for r in rows}


def load_ecbplus(
    data: Path, splits: tuple[str, ...] = ("dev", "test")
) -> tuple[list[Item], dict[int, str]] | None:
    """ECB+ documents of the given standard splits as items (headline and annotated sentences,
    their tokenisation undone), all at one time, with their gold event; None when the set is
    not there."""
    path = data / "ecbplus-clustering" / "ecbplus-docs.jsonl"
    if not path.exists():
        return None
    items, gold = [], {}
    with path.open(encoding="utf-8") as f:
        for key, line in enumerate(f):
            doc = json.loads(line)
            if doc["standard_split"] not in splits:
                continue
            sentences = [
                detokenize(s["text"]) for s in sorted(doc["sentences"], key=lambda s: s["n"])
            ]
            text = " ".join(sentences)  # title and lead, as the product embeds them
            items.append(Item(key, text, text, 0.0, has_lead=True))
            gold[key] = doc["event"]
    return items, gold


def detokenize(text: str) -> str:
    """Undo whitespace tokenisation: "Teixeira , $200 million ." -> "Teixeira, $200 million."."""
    text = re.sub(r" ([,.;:!?%)\]'])", r"\1", text)
    text = re.sub(r"([(\[$]) ", r"\1", text)
    return re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)


def scores(pred: dict[int, object], gold: dict[int, str]) -> dict[str, float]:
    by_pred: dict[object, set[int]] = defaultdict(set)
    by_gold: dict[str, set[int]] = defaultdict(set)
    for k, c in pred.items():
        by_pred[c].add(k)
    for k, c in gold.items():
        by_gold[c].add(k)
    p = r = 0.0
    for k in gold:
        overlap = len(by_pred[pred[k]] & by_gold[gold[k]])
        p += overlap / len(by_pred[pred[k]])
        r += overlap / len(by_gold[gold[k]])
    p, r = p / len(gold), r / len(gold)
    same_pred = {pair for members in by_pred.values() for pair in combinations(sorted(members), 2)}
    same_gold = {pair for members in by_gold.values() for pair in combinations(sorted(members), 2)}
    tp = len(same_pred & same_gold)
    pp = tp / len(same_pred) if same_pred else 0.0
    pr = tp / len(same_gold) if same_gold else 0.0
    return {
        "bcubed_p": p,
        "bcubed_r": r,
        "bcubed_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "pairwise_p": pp,
        "pairwise_r": pr,
        "pairwise_f1": 2 * pp * pr / (pp + pr) if pp + pr else 0.0,
        "clusters": len(by_pred),
    }


def clusterer(embedder, settings: Settings) -> Clusterer:  # type: ignore[no-untyped-def]
    return Clusterer(
        embedder,
        threshold=THRESHOLDS[embedder.name],
        lead_threshold=LEAD_THRESHOLDS[embedder.name],
        window_hours=settings.cluster.window_hours,
        entity_weight=settings.cluster.entity_weight,
        duplicate_threshold=settings.cluster.duplicate_threshold,
    )


def run_storybrief(items: list[Item], embedder, settings: Settings):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    decisions = []
    c = clusterer(embedder, settings)
    for i in track(range(0, len(items), 500), description=f"storybrief ({embedder.name})"):
        decisions += c.add(items[i : i + 500])
    seconds = time.perf_counter() - start
    return {d.key: d.story for d in decisions}, seconds


def run_baseline(items: list[Item], gold: dict[int, str]) -> tuple[dict[int, object], float, float]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    best: tuple[float, dict[int, object], float, float] | None = None
    texts = [i.text for i in items]
    for threshold in track((0.6, 0.7, 0.8, 0.9, 0.95), description="TF-IDF + agglomerative"):
        start = time.perf_counter()
        matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        ).fit_predict(matrix.toarray())
        seconds = time.perf_counter() - start
        pred = {item.key: int(label) for item, label in zip(items, labels, strict=True)}
        f1 = scores(pred, gold)["bcubed_f1"]
        if best is None or f1 > best[0]:
            best = (f1, pred, seconds, threshold)
    assert best is not None
    return best[1], best[2], best[3]


def replay(items: list[Item], n: int) -> list[Item]:
    out: list[Item] = []
    r = 0
    while len(out) < n:
        shift = r * WEEK
        out += [Item(i.key + r * 1_000_000, i.text, i.body, i.when + shift) for i in items]
        r += 1
    return out[:n]


def growth(items: list[Item], embedder_factory, sizes: list[int], settings: Settings):  # type: ignore[no-untyped-def]
    rows = []
    for n in sizes:
        data = replay(items, n)
        embedder = embedder_factory()
        c = clusterer(embedder, settings)
        tracemalloc.start()
        start = time.perf_counter()
        for i in track(range(0, n, 1000), description=f"{n:,} articles ({embedder.name})"):
            c.add(data[i : i + 1000])
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "articles": n,
                "seconds": seconds,
                "per_second": n / seconds,
                "peak_mb": peak / 1e6,
                "vectors": embedder.name,
            }
        )
    return rows


def quality(
    items: list[Item], gold: dict[int, str], embedders: list, settings: Settings
) -> dict[str, dict]:
    """storybrief with each embedder, then the baseline at its best threshold."""
    results: dict[str, dict] = {}
    for label, factory in embedders:
        pred, seconds = run_storybrief(items, factory(), settings)
        results[label] = {**scores(pred, gold), "per_second": len(items) / seconds}
    pred, seconds, threshold = run_baseline(items, gold)
    results[f"TF-IDF + agglomerative (distance {threshold}, best of 5)"] = {
        **scores(pred, gold),
        "per_second": len(items) / seconds,
    }
    return results


def quality_table(title: str, results: dict[str, dict]) -> Table:
    table = Table(title=title)
    for col in ("system", "B³ P", "B³ R", "B³ F1", "pairwise F1", "clusters", "articles/s"):
        table.add_column(col, justify="left" if col == "system" else "right")
    for label, r in results.items():
        table.add_row(
            label,
            f"{r['bcubed_p']:.3f}",
            f"{r['bcubed_r']:.3f}",
            f"{r['bcubed_f1']:.3f}",
            f"{r['pairwise_f1']:.3f}",
            str(r["clusters"]),
            f"{r['per_second']:,.0f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", default="1000,10000,100000")
    # The growth runs replay the same 3,999 headlines, which the model's embedding cache would
    # serve for free after the first replay; hashed vectors are computed every time, so they
    # measure the clustering itself (the model's own cost is its articles/s above).
    parser.add_argument("--growth-vectors", choices=["model", "hashing"], default="hashing")
    args = parser.parse_args()
    items, gold = load(args.data)
    settings = Settings()

    embedders = [("storybrief, hashed TF-IDF (no extra)", HashingEmbedder)]
    try:
        ModelEmbedder()
        embedders.insert(0, ("storybrief, MiniLM model", ModelEmbedder))
    except Exception as exc:  # the extra is missing: say so and measure the fallback only
        console.print(f"[yellow]MiniLM model unavailable ({exc}); measuring the fallback only")
    results = quality(items, gold, embedders, settings)
    console.print(
        quality_table(
            f"Story clustering: {len(items):,} headlines, {len(set(gold.values()))} gold stories",
            results,
        )
    )
    ecb_results: dict[str, dict] = {}
    ecb = load_ecbplus(args.data)
    if ecb is not None:
        ecb_items, ecb_gold = ecb
        ecb_results = quality(ecb_items, ecb_gold, embedders, settings)
        title = (
            f"ECB+ dev and test topics (shared part): {len(ecb_items):,} documents, "
            f"{len(set(ecb_gold.values()))} events"
        )
        console.print(quality_table(title, ecb_results))

    sizes = [int(s) for s in args.sizes.split(",")]
    factory = (
        ModelEmbedder if args.growth_vectors == "model" and len(embedders) == 2 else HashingEmbedder
    )
    grow = growth(items, factory, sizes, settings)
    gtable = Table(title="Growth (replayed with shifted timestamps; incremental, one pass)")
    for col in ("articles", "vectors", "seconds", "articles/s", "peak traced MB"):
        gtable.add_column(col, justify="right")
    for g in grow:
        gtable.add_row(
            f"{g['articles']:,}",
            g["vectors"],
            f"{g['seconds']:.1f}",
            f"{g['per_second']:,.0f}",
            f"{g['peak_mb']:.1f}",
        )
    console.print(gtable)

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "clustering.json").write_text(
        json.dumps(
            {
                "quality": results,
                "quality_ecbplus": ecb_results,
                "growth": grow,
                "settings": {
                    "thresholds": THRESHOLDS,
                    "lead_thresholds": LEAD_THRESHOLDS,
                    "window_hours": settings.cluster.window_hours,
                    "entity_weight": settings.cluster.entity_weight,
                    "duplicate_threshold": settings.cluster.duplicate_threshold,
                },
            },
            indent=2,
        )
        + "\n"
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
        xs = [g["articles"] for g in grow]
        a.loglog(xs, [g["seconds"] for g in grow], "o-", label="storybrief")
        a.loglog(xs, [grow[0]["seconds"] * x / xs[0] for x in xs], "--", label="linear")
        a.set_xlabel("articles"), a.set_ylabel("seconds"), a.legend(), a.set_title("time")
        b.semilogx(xs, [g["peak_mb"] for g in grow], "o-")
        b.set_xlabel("articles"), b.set_ylabel("peak traced MB"), b.set_title("memory")
        fig.tight_layout()
        fig.savefig(out / "clustering.png", dpi=100)
        console.print(f"wrote {out / 'clustering.json'} and {out / 'clustering.png'}")
    except ImportError:
        console.print(f"wrote {out / 'clustering.json'} (pip install matplotlib for the plot)")


if __name__ == "__main__":
    main()
