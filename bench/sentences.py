"""Sentence boundaries: how well does each splitter find where one sentence ends and the next
begins, in real article bodies?

    python bench/sentences.py [--data ../shared/data]

Gold: the human-written article bodies of the scrapinghub article-extraction-benchmark
(``extraction/ground-truth.json``, MIT), English articles (py3langid on the whole body), one
paragraph per line. Boundaries inside a paragraph come from the rule in
``bench/sentences-rule.md`` (written down before scoring), with every candidate where a splitter
and the rule disagree decided by reading it (``bench/sentences-gold.json``). A boundary is the
offset where the next sentence starts (its first character after spaces); the end of a paragraph
is not counted (every splitter here splits paragraphs apart).

Splitters, each given one paragraph at a time, in English:

* **pysbd** -- ``pysbd.Segmenter(language="en", clean=False, char_span=True)``;
* **storybrief before** -- what ``storybrief.text.split_sentences`` did before issue 16: pysbd,
  with a heading-like line kept whole;
* **sentencex** -- Wikimedia's ``sentencex.get_sentence_boundaries("en", …)``;
* **storybrief** -- ``storybrief.text.split_sentences(paragraph, "en")`` as it is now.

Precision, recall and F1 of the boundaries pooled over all paragraphs, and each splitter's speed
(characters per CPU second). Writes bench/results/sentences.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from storybrief.text import word_list

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sentences.json"
DECISIONS = ROOT / "bench" / "sentences-gold.json"

# --- the rule (bench/sentences-rule.md) ------------------------------------------------------

# a candidate: sentence-final marks, closing quotes or brackets, then space and more text
CANDIDATE = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+\S)")
# a boundary is never before only closing quotes; spaces include the invisible ones
_SPACE = " \t\u00a0\u200b\u2060\ufeff\u2009\u202f\u3000"
_OPENERS = "\"'“‘«([—–- "
_CLOSERS = "\"'”’»)]"
# abbreviations after which a capital letter does not start a new sentence
ABBREVIATIONS = frozenset(
    word_list(
        "mr mrs ms mx dr st jr sr gov sen sens rep reps gen col lt sgt capt cmdr adm maj prof "
        "hon rt rev inc corp co ltd no nos vs etc al jan feb mar apr jun jul aug sep sept oct nov "
        "dec mt ft ave blvd fig approx dept univ ala ariz ark calif colo conn del fla ga ill ind "
        "kan ky la md mass mich minn miss mo mont neb nev okla ore pa tenn tex va vt wash wis wyo"
    )
)


def next_start(line: str, end: int) -> int:
    """Where the text after ``end`` starts, past spaces (visible or not)."""
    while end < len(line) and (line[end] in _SPACE or line[end].isspace()):
        end += 1
    return end


def rule(line: str, end: int) -> bool:
    """Whether the candidate ending at ``end`` (after its marks and closers) ends a sentence."""
    before = line[:end].split()
    word = before[-1] if before else ""
    core = word.rstrip(".!?…" + _CLOSERS).lstrip(_OPENERS + "“‘«[")
    after = line[end:].lstrip(_SPACE).lstrip(_OPENERS)
    if not after.strip(_CLOSERS + _SPACE):
        return False  # only a closing quote follows: it belongs to this sentence
    if after[:1].islower():
        return False
    if core.lower() in ABBREVIATIONS or re.fullmatch(r"[^\W\d_]", core):
        return False  # Mr. Smith, Calif., J. Smith
    if re.fullmatch(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}", core):
        return False  # U.S. Attorney, P.J. Fleck, a.m.
    # a list number: "2. Take inventory"
    return not (len(before) == 1 and re.fullmatch(r"\d+", core))


def gold_boundaries(
    paragraphs: list[tuple[str, int, str]], decisions: dict[tuple[str, int, int], bool]
) -> dict[tuple[str, int], set[int]]:
    gold: dict[tuple[str, int], set[int]] = {}
    for article_id, index, line in paragraphs:
        found = {next_start(line, m.end()): rule(line, m.end()) for m in CANDIDATE.finditer(line)}
        for (a, i, offset), boundary in decisions.items():
            if (a, i) == (article_id, index):
                found[offset] = boundary
        gold[(article_id, index)] = {o for o, b in found.items() if b and _inside(line, o)}
    return gold


def _inside(line: str, offset: int) -> bool:
    return 0 < offset < len(line.rstrip())


# --- the splitters: one paragraph in, the offsets where its later sentences start -------------


@functools.cache
def _pysbd_segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def pysbd_starts(line: str) -> set[int]:
    return {next_start(line, span.start) for span in _pysbd_segmenter().segment(line)}


def storybrief_before_starts(line: str) -> set[int]:
    from storybrief.text import looks_like_heading

    if looks_like_heading(line):
        return set()
    return pysbd_starts(line)


def sentencex_starts(line: str) -> set[int]:
    from sentencex import get_sentence_boundaries

    return {next_start(line, b["start_index"]) for b in get_sentence_boundaries("en", line)}


def storybrief_starts(line: str) -> set[int]:
    from storybrief.text import split_sentences

    return {s.start for s in split_sentences(line, "en")}


SPLITTERS: dict[str, Callable[[str], set[int]]] = {
    "pysbd": pysbd_starts,
    "storybrief before (pysbd)": storybrief_before_starts,
    "sentencex": sentencex_starts,
    "storybrief": storybrief_starts,
}


def load_paragraphs(data: Path) -> list[tuple[str, int, str]]:
    import py3langid

    truth_file = data / "extraction" / "ground-truth.json"
    if not truth_file.exists():
        raise SystemExit(f"no {truth_file}: pass --data pointing at the shared data folder")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    out = []
    for article_id, entry in sorted(truth.items()):
        body = entry["articleBody"]
        if py3langid.classify(body)[0] != "en":
            continue
        out += [(article_id, i, line) for i, line in enumerate(body.split("\n")) if line.strip()]
    return out


def evaluate(
    split: Callable[[str], set[int]],
    paragraphs: list[tuple[str, int, str]],
    gold: dict[tuple[str, int], set[int]],
) -> dict[str, float | int]:
    split(paragraphs[0][2])  # load models and caches before timing
    tp = fp = fn = 0
    chars = 0
    cpu = 0.0
    for article_id, index, line in paragraphs:
        started = time.process_time()
        found = {o for o in split(line) if _inside(line, o)}
        cpu += time.process_time() - started
        chars += len(line)
        truth = gold[(article_id, index)]
        tp += len(found & truth)
        fp += len(found - truth)
        fn += len(truth - found)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "chars_per_cpu_second": round(chars / cpu) if cpu else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None, help="shared data (../shared/data)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    data = args.data or Path(os.environ.get("STORYBRIEF_DATA") or ROOT.parent / "shared" / "data")
    console = Console(width=120)
    paragraphs = load_paragraphs(data)
    decisions = {
        (d["id"], d["paragraph"], d["offset"]): d["boundary"]
        for d in json.loads(DECISIONS.read_text(encoding="utf-8"))["decisions"]
    }
    gold = gold_boundaries(paragraphs, decisions)
    n_gold = sum(len(b) for b in gold.values())
    articles = len({a for a, _, _ in paragraphs})
    results = {name: evaluate(split, paragraphs, gold) for name, split in SPLITTERS.items()}

    table = Table(
        title=f"Sentence boundaries: {n_gold} inside {len(paragraphs)} paragraphs of {articles} "
        "English article bodies (scrapinghub, MIT)"
    )
    for column in ("splitter", "precision", "recall", "F1", "false +", "missed", "chars/CPU s"):
        table.add_column(column, justify="left" if column == "splitter" else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            str(r["fp"]),
            str(r["fn"]),
            f"{r['chars_per_cpu_second']:,}",
        )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "data": "scrapinghub/article-extraction-benchmark (MIT) articleBody, English",
                "gold": "bench/sentences-rule.md + bench/sentences-gold.json",
                "articles": articles,
                "paragraphs": len(paragraphs),
                "boundaries": n_gold,
                "hand_decisions": len(decisions),
                "splitters": results,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
