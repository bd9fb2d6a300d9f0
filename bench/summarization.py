"""Summarization benchmark: how close is the built-in engine's explainer to human summaries?

    python bench/summarization.py [--data ../shared/data] [--limit N] [--bbc-sample N]

ROUGE-1/2/L F1 (rouge-score, Porter stemming) of the explainer's sentences (all sections in
order, no headings) against human references, beside three baselines measured in the same
run on the same sentence segmentation (storybrief.text.split_sentences):

* Lead-3: the first three sentences of the story's articles, in input order;
* sumy's LexRank and TextRank: their best-rated sentences, until the word budget is filled,
  in document order.

Every system is cut to the same word budget: the reference summary's length in words, per
story. Data (read by path, never copied): the BBC News Summary set (single articles; first line
of ``article`` is the headline; reference sentences are joined without spaces, re-spaced here)
and NeuS validation (three articles per story from left, centre and right outlets; the
reference's "TITLE=> …" part is dropped). Nothing is fitted on either set.
Writes bench/results/summarization.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from storybrief.errors import NothingToPublishError
from storybrief.explain import explain_articles
from storybrief.records import Article
from storybrief.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "summarization.json"
BBC_SAMPLE = 300  # of 1,484 articles, evenly spaced over the (category-sorted) file


def default_data() -> Path:
    return Path(os.environ.get("STORYBRIEF_DATA") or ROOT.parent / "shared" / "data")


@dataclass
class Story:
    id: str
    articles: list[Article]
    reference: str
    budget: int = field(init=False)

    def __post_init__(self) -> None:
        self.budget = len(self.reference.split())


# --- data -----------------------------------------------------------------------------------

_JOINED = re.compile(r"([.!?][\"'’”]?)(?=[A-Z\"“‘])")


def respace(summary: str) -> str:
    """BBC references join sentences without a space ("...$10.9bn.For the full-year")."""
    return _JOINED.sub(r"\1 ", summary)


def evenly(items: list, n: int | None) -> list:
    if n is None or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def load_bbc(data: Path, sample: int | None) -> list[Story]:
    path = data / "summarization" / "bbc-news-summary.jsonl"
    if not path.exists():
        sys.exit(f"no BBC file at {path}: pass --data or set STORYBRIEF_DATA")
    stories = []
    for line in evenly(path.read_text(encoding="utf-8").splitlines(), sample):
        row = json.loads(line)
        headline, _, body = row["article"].strip().partition("\n")
        article = Article(id=1, title=headline.strip(), text=body.strip())
        stories.append(Story(row["id"], [article], respace(row["summary"]).strip()))
    return stories


_NEUS = re.compile(r"^\s*TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)$", re.DOTALL)


def neus_article(raw: str, article_id: int) -> Article:
    match = _NEUS.match(raw)
    if not match:
        return Article(id=article_id, text=raw.strip())
    title = match.group(1).strip()
    return Article(id=article_id, title=title or None, text=match.group(2).strip())


def load_neus(data: Path, split: str = "val") -> list[Story]:
    path = data / "summarization" / f"neus-{split}.jsonl"
    if not path.exists():
        sys.exit(f"no NeuS file at {path}: pass --data or set STORYBRIEF_DATA")
    stories = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        articles = [neus_article(a, i + 1) for i, a in enumerate(row["articles"])]
        reference = neus_article(row["reference"], 0).text
        stories.append(Story(row["story"], articles, reference))
    return stories


# --- systems --------------------------------------------------------------------------------


def truncate(text: str, budget: int) -> str:
    return " ".join(text.split()[:budget])


def statements(articles: Sequence[Article]) -> list[str]:
    return [s.text for a in articles for s in a.sentences if not s.is_heading]


def storybrief_system(story: Story) -> str:
    """The explainer's sentences; none (an empty summary, scored as such and counted) when
    the engine finds nothing publishable in the articles."""
    try:
        return explain_articles(story.articles).body
    except NothingToPublishError:
        return ""


def lead3(story: Story) -> str:
    return " ".join(statements(story.articles)[:3])


class PysbdTokenizer:
    """sumy's tokenizer interface without nltk's punkt data: split_sentences (the same
    segmentation storybrief uses) and a regex word splitter."""

    _WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s.text for s in split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORD.findall(sentence))


def sumy_system(kind: str) -> Callable[[Story], str]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    cls = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}[kind]
    summarizer = cls(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = PysbdTokenizer()

    def run(story: Story) -> str:
        text = "\n\n".join(a.text for a in story.articles)
        document = PlaintextParser.from_string(text, tokenizer).document

        def until_budget(infos: list) -> list:  # best-rated first, until the budget is filled
            out, words = [], 0
            for info in infos:
                if words >= story.budget:
                    break
                out.append(info)
                words += len(str(info.sentence).split())
            return out

        return " ".join(str(s) for s in summarizer(document, until_budget))

    return run


# --- scoring --------------------------------------------------------------------------------


def evaluate(
    stories: list[Story], systems: dict[str, Callable[[Story], str]], console: Console
) -> dict[str, dict]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    results: dict[str, dict] = {}
    for name, system in systems.items():
        scores: dict[str, list[float]] = {"rouge1": [], "rouge2": [], "rougeL": []}
        lengths = []
        empty = 0
        elapsed = 0.0
        for story in stories:
            started = time.perf_counter()
            output = system(story)
            elapsed += time.perf_counter() - started
            summary = truncate(output, story.budget)
            empty += not summary.strip()
            lengths.append(len(summary.split()))
            for key, value in scorer.score(story.reference, summary).items():
                scores[key].append(value.fmeasure)
        results[name] = {
            **{k: round(100 * statistics.fmean(v), 2) for k, v in scores.items()},
            "mean_words": round(statistics.fmean(lengths), 1),
            "per_second": round(len(stories) / elapsed, 1) if elapsed else None,
            "empty": empty,
        }
        console.print(f"  {name}: done in {elapsed:.1f}s", style="dim")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default ../shared/data)"
    )
    parser.add_argument("--limit", type=int, default=None, help="at most N stories per set")
    parser.add_argument(
        "--bbc-sample",
        type=int,
        default=BBC_SAMPLE,
        help=f"BBC articles, evenly spaced over the file (default {BBC_SAMPLE}; 0 = all 1,484)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    data = args.data or default_data()
    console = Console(width=150)

    sets = {
        "BBC News Summary (single article)": load_bbc(data, args.bbc_sample or None),
        "NeuS val (3 articles per story)": load_neus(data, "val"),
    }
    if args.limit:
        sets = {name: stories[: args.limit] for name, stories in sets.items()}
    systems: dict[str, Callable[[Story], str]] = {
        "storybrief builtin": storybrief_system,
        "Lead-3": lead3,
        "sumy LexRank": sumy_system("lexrank"),
        "sumy TextRank": sumy_system("textrank"),
    }

    report: dict[str, dict] = {}
    for set_name, stories in sets.items():
        console.print(f"{set_name}: {len(stories)} stories")
        report[set_name] = {
            "stories": len(stories),
            "mean_budget_words": round(statistics.fmean(s.budget for s in stories), 1),
            "systems": evaluate(stories, systems, console),
        }

    for set_name, entry in report.items():
        table = Table(
            title=f"{set_name}: {entry['stories']} stories, "
            f"budget = reference length (mean {entry['mean_budget_words']} words)"
        )
        table.add_column("system")
        columns = ("ROUGE-1 F1", "ROUGE-2 F1", "ROUGE-L F1", "mean words", "stories/s", "empty")
        for column in columns:
            table.add_column(column, justify="right")
        for name, row in entry["systems"].items():
            table.add_row(
                name,
                f"{row['rouge1']:.2f}",
                f"{row['rouge2']:.2f}",
                f"{row['rougeL']:.2f}",
                f"{row['mean_words']:.1f}",
                "-" if row["per_second"] is None else f"{row['per_second']:.1f}",
                str(row["empty"]),
            )
        console.print(table)
    sample_note = (
        f"BBC: a sample of {args.bbc_sample} of 1,484 articles, evenly spaced over the file"
        if args.bbc_sample
        else "BBC: all 1,484 articles"
    )
    if args.limit:
        sample_note += f"; --limit {args.limit}: only the first {args.limit} stories per set"
    console.print(
        f"{sample_note}. Every system cut to the reference's length in words. "
        "stories/s = explainers (or summaries) per second on one core, ROUGE excluded. "
        "empty = stories the system wrote nothing for (scored as an empty summary)."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "metric": "ROUGE F1 x 100 (rouge-score, use_stemmer=True), mean over stories",
                "budget": "every system truncated to the reference summary's word count",
                "sample": sample_note,
                "sets": report,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
