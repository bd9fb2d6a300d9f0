"""One picture of every quality score the benchmarks saved, each beside its baselines.

    python bench/plot.py            # reads bench/results/*.json, writes bench/results/scores.png

Panels (a panel is left out when its results file is missing): extraction F1 (storybrief vs
trafilatura), explainer ROUGE-1 on BBC and NeuS (builtin vs Lead-3, LexRank, TextRank), the
checker's balanced accuracy on SummEdits (vs the baselines), story clustering B³ F1 on both sets
(vs TF-IDF + agglomerative), and the engines' ROUGE-1 with the share of drafted sentences the
checker let through, and the share of sentences under Why / Next / Beyond that answer the
section's question (before the role model, and now). storybrief's bars are dark, the peers'
light, shares of sentences gold.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
COLOURS = {True: "#1f4e79", False: "#9dc3e6", "share": "#c9a227"}  # storybrief, peer, share

Bars = list[tuple[str, float, bool | str]]  # (label, value, storybrief? or "share")


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def extraction(d: dict[str, Any]) -> tuple[str, Bars]:
    sets = {"scrapinghub": d, "trafilatura-eval": d.get("trafilatura-eval")}
    bars: Bars = []
    for set_name, r in sets.items():
        for name, s in (r or {}).get("systems", {}).items():
            if name != "storybrief + sentences":  # the same text, so the same F1
                bars.append((f"{set_name}: {name}", s["mean"]["f1"], name == "storybrief"))
    return "Extraction: body F1 (mean over pages)", bars


def summarization(d: dict[str, Any]) -> tuple[str, Bars]:
    bars: Bars = []
    for set_name, s in d["sets"].items():
        short = set_name.split(" (")[0].replace("BBC News Summary", "BBC")
        for system, r in s["systems"].items():
            label = system.replace("storybrief ", "").replace("sumy ", "")
            bars.append((f"{short}: {label}", r["rouge1"] / 100, system.startswith("storybrief")))
    return "Explainers: ROUGE-1 F1 vs reference", bars


def faithfulness(d: dict[str, Any]) -> tuple[str, Bars]:
    bars: Bars = []
    for method, r in d["methods"].items():
        label = method.split(" (")[0].replace("baseline: ", "").replace("checker: ", "")
        bars.append((label, r["test"]["balanced_accuracy"], method.startswith("checker")))
    return "Checker: balanced accuracy, SummEdits test half", bars


def clustering(d: dict[str, Any]) -> tuple[str, Bars]:
    bars: Bars = []
    for set_name, key in (("headlines", "quality"), ("ECB+", "quality_ecbplus")):
        for system, r in (d.get(key) or {}).items():
            label = system.replace("storybrief, ", "").split(" (")[0]
            bars.append((f"{set_name}: {label}", r["bcubed_f1"], system.startswith("storybrief")))
    return "Stories: B³ F1 against gold stories", bars


def engines(d: dict[str, Any]) -> tuple[str, Bars]:
    bars: Bars = []
    for name, r in d["engines"].items():
        s = r["summary"]
        label = name.replace(".gguf", "")
        bars.append((f"{label}: ROUGE-1", s["rouge1"], True))
        if s.get("drafted"):
            share = s.get("drafted_supported_share")
            if share is not None:
                bars.append((f"{label}: drafted sentences kept", share, "share"))
    return f"Engines on {len(d['stories'])} NeuS stories", bars


def explainers(d: dict[str, Any]) -> tuple[str, Bars]:
    """Per set, the share of the sentences under Why / Next / Beyond that a reader says answer
    the section's question: the engine before the role model (light) and now (dark)."""
    bars: Bars = []
    before = next((v for k, v in d.items() if k.startswith("builtin before")), {})
    for set_name in d.get("builtin", {}):
        for section in ("why", "next", "beyond"):
            for label, run, ours in (("before", before, False), ("now", d["builtin"], True)):
                rate = run.get(set_name, {}).get("sections", {}).get(section, {}).get("answer rate")
                if rate is not None:
                    bars.append((f"{set_name} {section}: {label}", rate, ours))
    return "Sections: share of published sentences that answer the section's question", bars


PANELS: list[tuple[str, Callable[[dict[str, Any]], tuple[str, Bars]]]] = [
    ("extraction", extraction),
    ("summarization", summarization),
    ("faithfulness", faithfulness),
    ("clustering", clustering),
    ("engines", engines),
    ("explainers", explainers),
]


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(name, fn(data)) for name, fn in PANELS if (data := load(name)) is not None]
    if not panels:
        sys.exit(f"no results in {RESULTS}: run the benchmarks first (make bench)")
    heights = [max(2.0, 0.32 * len(bars) + 0.9) for _, (_, bars) in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights)), height_ratios=heights)
    for ax, (_, (title, bars)) in zip(axes if len(panels) > 1 else [axes], panels, strict=True):
        labels = [b[0] for b in bars]
        values = [b[1] for b in bars]
        ax.barh(labels, values, color=[COLOURS[b[2]] for b in bars])
        for y, v in enumerate(values):
            ax.text(v + 0.01, y, f"{v:.3f}", va="center", fontsize=8)
        ax.set_xlim(0, 1.1)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    out = RESULTS / "scores.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
