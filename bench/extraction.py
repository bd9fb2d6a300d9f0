"""Extraction benchmark: how much of a page's article body does storybrief keep, and how fast,
beside plain trafilatura on the same raw bytes in the same run?

    python bench/extraction.py [--data ../shared/data] [--limit N]

Two sets of real pages, both read from the shared data folder:

* **scrapinghub** -- the article-extraction-benchmark (``extraction/ground-truth.json`` +
  ``extraction/html/<id>.html.gz``, MIT, 121 news pages): token-level precision, recall and F1
  of the body text against the human-written gold ``articleBody``, as that benchmark scores it
  (lowercase ``\\w+`` tokens, bag-of-tokens overlap; per page P = tp/(tp+fp), R = tp/(tp+fn));
  mean over pages and micro (pooled token counts);
* **trafilatura-eval** -- trafilatura's own evaluation pages (``trafilatura-eval/``, the 660
  shared ones; annotations Apache-2.0): each page names 1-6 text segments that must be in the
  output and 1-6 boilerplate segments that must not; a segment counts when its whitespace-
  normalised text is a substring of the whitespace-normalised output (trafilatura's
  ``tests/eval_common.py``; here both also in Unicode NFC, so that a character written
  precomposed or decomposed counts alike). Micro = segments pooled over pages; mean = the
  per-page F1's mean. This is trafilatura's home ground: it is developed against these pages.

Systems:

* **storybrief**: :func:`storybrief.extract.extract_html` with one ``Settings`` built before the
  run (as the pipeline does) -- ``Article.text``, with its own charset decoding, boilerplate
  stripping, metadata (title, authors, date, site, canonical URL), language and its
  ``min_text_chars`` floor;
* **storybrief + sentences**: the same extraction, plus splitting the article into sentences,
  which the pipeline does once, when it stores a new article (same text, so the same scores);
* **trafilatura**: plain ``trafilatura.extract(html)`` with its defaults (no metadata);
* **trafilatura + metadata**: the same job as storybrief's, ``trafilatura.bare_extraction(html,
  with_metadata=True)`` (title, author, date, site, URL, categories and tags found besides the
  text), scored on its text as ``extract`` writes it (body, then comments).

Speed: each page is given to both systems one after the other (the order alternating from page
to page), each timed in CPU seconds of this process (``time.process_time``), so other work on a
shared machine slows neither; pages/s = pages / CPU seconds, and the ratio row divides
storybrief's by trafilatura's. A page whose extraction fails (``ExtractionError`` or any
exception, or empty output) counts as empty output. Nothing is fitted on this data. Writes
bench/results/extraction.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "extraction.json"
_TOKEN = re.compile(r"\w+")
SCRAPINGHUB = "scrapinghub"
TRAFILATURA_EVAL = "trafilatura-eval"


def default_data() -> Path:
    return Path(os.environ.get("STORYBRIEF_DATA") or ROOT.parent / "shared" / "data")


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    gold: str = ""  # scrapinghub: the article body
    with_: list[str] = field(default_factory=list)  # trafilatura-eval: segments to keep
    without: list[str] = field(default_factory=list)  # and to leave out


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def score(gold: str, predicted: str) -> Score:
    truth, pred = tokens(gold), tokens(predicted)
    tp = sum((truth & pred).values())
    return Score(tp=tp, fp=sum(pred.values()) - tp, fn=sum(truth.values()) - tp)


def _flat(text: str) -> str:
    """Whitespace-normalised text, in Unicode's canonical composition (NFC): "য়" written as one
    character or as two is the same text."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def score_segments(page: Page, predicted: str) -> Score:
    """trafilatura's evaluation: segments to keep found (tp) or not (fn), boilerplate segments
    found (fp)."""
    output = _flat(predicted)
    kept = sum(1 for segment in page.with_ if _flat(segment) in output)
    leaked = sum(1 for segment in page.without if _flat(segment) in output)
    return Score(tp=kept, fp=leaked, fn=len(page.with_) - kept)


def load_scrapinghub(data: Path) -> list[Page]:
    folder = data / "extraction"
    truth_file = folder / "ground-truth.json"
    if not truth_file.exists():
        raise SystemExit(f"no {truth_file}: pass --data pointing at the shared data folder")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    return [
        Page(
            id=page_id,
            url=entry.get("url") or "",
            gold=entry["articleBody"],
            html=gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()),
        )
        for page_id, entry in sorted(truth.items())
    ]


def load_trafilatura_eval(data: Path) -> list[Page]:
    folder = data / "trafilatura-eval"
    truth_file = folder / "ground-truth.json"
    if not truth_file.exists():
        return []
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    return [
        Page(
            id=page_id,
            url=entry.get("url") or "",
            with_=list(entry.get("with") or []),
            without=list(entry.get("without") or []),
            html=gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()),
        )
        for page_id, entry in sorted(truth.items())
    ]


# --- the systems: raw page bytes (and the page's URL, as ingest knows it) in ----------------------


def storybrief_system(html: bytes, url: str) -> tuple[str, float]:
    """The body text, and the CPU seconds its sentences then take to split."""
    from storybrief.extract import extract_html

    article = extract_html(html, url=url or None, settings=_settings())
    started = time.process_time()
    _ = article.sentences
    return article.text, time.process_time() - started


def trafilatura_system(html: bytes, url: str) -> tuple[str, float]:
    import trafilatura

    return trafilatura.extract(html) or "", 0.0


def _settings():  # type: ignore[no-untyped-def]
    global _SETTINGS
    if _SETTINGS is None:
        from storybrief.settings import Settings

        _SETTINGS = Settings()
    return _SETTINGS


def trafilatura_metadata_system(html: bytes, url: str) -> tuple[str, float]:
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True)
    if document is None:
        return "", 0.0
    return "\n".join(t for t in (document.text, document.comments) if t), 0.0


_SETTINGS = None
SYSTEMS: dict[str, Callable[[bytes, str], tuple[str, float]]] = {
    "storybrief": storybrief_system,
    "trafilatura": trafilatura_system,
    "trafilatura + metadata": trafilatura_metadata_system,
}
PEER = "trafilatura"  # what the ratios and the per-page comparison are against
SAME_JOB = "trafilatura + metadata"


def run_set(name: str, pages: list[Page], progress: Progress) -> dict[str, dict]:
    """Every system on every page, one after the other, the order turning by page."""
    rows: dict[str, list[dict]] = {system: [] for system in SYSTEMS}
    cpu = dict.fromkeys(SYSTEMS, 0.0)
    sentences_cpu = 0.0
    task = progress.add_task(name, total=len(pages))
    order = list(SYSTEMS)
    for n, page in enumerate(pages):
        for system in order[n % len(order) :] + order[: n % len(order)]:
            error = None
            started = time.process_time()
            try:
                output, split_cpu = SYSTEMS[system](page.html, page.url)
            except Exception as exc:  # a failure is a result here, counted as empty output
                (output, split_cpu), error = ("", 0.0), f"{type(exc).__name__}: {exc}"
            cpu[system] += time.process_time() - started - split_cpu
            sentences_cpu += split_cpu
            if not output.strip() and error is None:
                error = "empty output"
            result = score(page.gold, output) if page.gold else score_segments(page, output)
            rows[system].append({"page": page, "score": result, "error": error})
        progress.advance(task)
    results = {system: summarise(rows[system], cpu[system]) for system in SYSTEMS}
    with_sentences = dict(results["storybrief"])
    with_sentences["seconds"] = cpu["storybrief"] + sentences_cpu
    with_sentences["pages_per_second"] = len(pages) / with_sentences["seconds"]
    with_sentences["per_page"] = []
    return {
        "storybrief": results["storybrief"],
        "storybrief + sentences": with_sentences,
        PEER: results[PEER],
        SAME_JOB: results[SAME_JOB],
    }


def summarise(rows: list[dict], cpu: float) -> dict:
    pooled = Score(*(sum(getattr(r["score"], k) for r in rows) for k in ("tp", "fp", "fn")))
    return {
        "pages": len(rows),
        "failed": sum(1 for r in rows if r["error"]),
        "mean": {
            "precision": statistics.fmean(r["score"].precision for r in rows),
            "recall": statistics.fmean(r["score"].recall for r in rows),
            "f1": statistics.fmean(r["score"].f1 for r in rows),
        },
        "micro": {"precision": pooled.precision, "recall": pooled.recall, "f1": pooled.f1},
        "seconds": cpu,
        "pages_per_second": len(rows) / cpu if cpu else 0.0,
        "per_page": [
            {
                "id": r["page"].id,
                "url": r["page"].url,
                "precision": round(r["score"].precision, 4),
                "recall": round(r["score"].recall, 4),
                "f1": round(r["score"].f1, 4),
                "error": r["error"],
            }
            for r in rows
        ],
    }


def print_table(console: Console, title: str, results: dict[str, dict]) -> None:
    table = Table(title=title)
    table.add_column("system")
    for column in ("P mean", "R mean", "F1 mean", "P micro", "R micro", "F1 micro"):
        table.add_column(column, justify="right")
    table.add_column("failed", justify="right")
    table.add_column("pages/CPU s", justify="right")
    for name, r in results.items():
        same = name == "storybrief + sentences"
        table.add_row(
            name,
            *(("" if same else f"{r['mean'][k]:.3f}") for k in ("precision", "recall", "f1")),
            *(("" if same else f"{r['micro'][k]:.3f}") for k in ("precision", "recall", "f1")),
            "" if same else str(r["failed"]),
            f"{r['pages_per_second']:.1f}",
        )
    ours = results["storybrief"]
    for peer in (PEER, SAME_JOB):
        theirs = results[peer]
        table.add_row(
            f"ratio storybrief / {peer}",
            "",
            "",
            f"{ours['mean']['f1'] / theirs['mean']['f1']:.3f}",
            "",
            "",
            f"{ours['micro']['f1'] / theirs['micro']['f1']:.3f}",
            "",
            f"{ours['pages_per_second'] / theirs['pages_per_second']:.2f}×",
            style="bold" if peer == PEER else None,
        )
    console.print(table)


def head_to_head(results: dict[str, dict]) -> dict[str, int]:
    """Pages where storybrief's F1 is above / equal to / below trafilatura's (±0.005)."""
    ours = {p["id"]: p["f1"] for p in results["storybrief"]["per_page"]}
    theirs = {p["id"]: p["f1"] for p in results[PEER]["per_page"]}
    diffs = [ours[i] - theirs[i] for i in ours]
    return {
        "better": sum(1 for d in diffs if d > 0.005),
        "same": sum(1 for d in diffs if abs(d) <= 0.005),
        "worse": sum(1 for d in diffs if d < -0.005),
    }


def _ratio(results: dict[str, dict], peer: str) -> float:
    return round(results["storybrief"]["pages_per_second"] / results[peer]["pages_per_second"], 3)


def _rounded(r: dict) -> dict:
    return {
        **{k: v for k, v in r.items() if k not in ("mean", "micro", "seconds", "pages_per_second")},
        "mean": {k: round(v, 4) for k, v in r["mean"].items()},
        "micro": {k: round(v, 4) for k, v in r["micro"].items()},
        "cpu_seconds": round(r["seconds"], 2),
        "pages_per_second": round(r["pages_per_second"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default ../shared/data)"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    console = Console(width=150)
    data = args.data or default_data()
    sets = {SCRAPINGHUB: load_scrapinghub(data), TRAFILATURA_EVAL: load_trafilatura_eval(data)}
    sets = {name: pages[: args.limit] if args.limit else pages for name, pages in sets.items()}
    sets = {name: pages for name, pages in sets.items() if pages}
    console.print(", ".join(f"{len(p)} {name} pages" for name, p in sets.items()))

    # Import both libraries (and load trafilatura's, htmldate's and langid's data) first.
    first = sets[SCRAPINGHUB][0]
    for system in SYSTEMS.values():
        system(first.html, first.url)

    results: dict[str, dict[str, dict]] = {}
    with Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for name, pages in sets.items():
            results[name] = run_set(name, pages, progress)

    titles = {
        SCRAPINGHUB: "Article body tokens vs the gold body, {} pages (scrapinghub benchmark)",
        TRAFILATURA_EVAL: "Text segments kept / boilerplate left out, {} pages (trafilatura-eval)",
    }
    for name, r in results.items():
        print_table(console, titles[name].format(len(sets[name])), r)
    versus = {name: head_to_head(r) for name, r in results.items()}
    for name, v in versus.items():
        console.print(
            f"{name}: per page, storybrief's F1 is better on {v['better']}, the same (±0.005) "
            f"on {v['same']} and worse on {v['worse']} pages than trafilatura's."
        )
    console.print(
        "Failed pages count as empty output. pages/CPU s: CPU time of this process per system, "
        "the systems taking turns page by page; storybrief's includes charset decoding, "
        "metadata and language, and the '+ sentences' row the splitting done at store time; "
        "'trafilatura + metadata' does the same job as storybrief (text and metadata)."
    )
    for r in results.values():
        for page in r["storybrief"]["per_page"]:
            if page["error"]:
                console.print(f"  storybrief failed on {page['url']}: {page['error']}", style="dim")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    main_set = results[SCRAPINGHUB]
    document = {
        "data": "scrapinghub/article-extraction-benchmark (MIT), ground-truth articleBody",
        "metric": "bag-of-tokens precision/recall/F1, lowercase \\w+ tokens; "
        "failed page = empty output = 0",
        "timing": "CPU seconds of this process (time.process_time), systems taking turns",
        "pages": len(sets[SCRAPINGHUB]),
        "head_to_head_f1": versus[SCRAPINGHUB],
        "ratio_pages_per_second": _ratio(main_set, PEER),
        "ratio_pages_per_second_same_job": _ratio(main_set, SAME_JOB),
        "systems": {name: _rounded(r) for name, r in main_set.items()},
    }
    if TRAFILATURA_EVAL in results:
        other = results[TRAFILATURA_EVAL]
        document[TRAFILATURA_EVAL] = {
            "data": "trafilatura-eval (adbar/trafilatura tests/evaldata.json), shared 660 pages",
            "metric": "segments to keep found (tp) / missing (fn), boilerplate found (fp); "
            "micro = pooled over pages, mean = per-page F1 mean",
            "pages": len(sets[TRAFILATURA_EVAL]),
            "head_to_head_f1": versus[TRAFILATURA_EVAL],
            "ratio_pages_per_second": _ratio(other, PEER),
            "ratio_pages_per_second_same_job": _ratio(other, SAME_JOB),
            "systems": {name: _rounded(r) for name, r in other.items()},
        }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
