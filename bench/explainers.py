"""Explainers benchmark: does each section answer its question, and is the story still told?

    python bench/explainers.py [--data ../shared/data] [--engine builtin] [--limit N]
                               [--sets duc2004,multinews,neus-val] [--dump DIR]
                               [-o KEY=VALUE ...]  # engine options, e.g. -o repeats=pairs

Over every story of the shared multi-article sets (DUC 2004: 33 clusters of 10 articles;
Multi-News: 133 stories; NeuS validation: 307 stories of 3 articles), the engine's explainer
after the checker's gate (as published), then per set:

* **sections**: per section, how often it is filled; of its published sentences that carry a
  label (``bench/roles-gold.json``, a sample of each story's sentences, and
  ``bench/roles-published.json``, the sentences published under Why/Next/Beyond by this and
  the previous engine, labelled blind; both under ``bench/roles-rule.md``), the share that
  answer the section's question (label or ``also``); and of the sections left empty with the
  note "the sources do not say", how many stories have a labelled sentence that answers that
  section (the note was false);
* **ROUGE**: DUC 2004, recall at 100 words (rouge-score, Porter stemming, the mean over the four
  assessors' references), beside the 13 published systems whose summaries the data holds,
  scored the same way; Multi-News, F1 beside Lead and sumy's TextRank, every system cut to the
  reference's length;
* **prose** (:mod:`prose`): furniture, headlines, fragments and sentences leaning on something
  unsaid that were published, and pairs of sentences that state the same fact;
* words, seconds per explainer, and stories left without an explainer
  (``NothingToPublishError``: counted, never a crash).

``--dump DIR`` writes each explainer as text (with its story id) for reading; it holds article
text, so it must stay outside the repository. Writes bench/results/explainers.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coherence import stories  # noqa: E402
from prose import KEYS as PROSE_KEYS  # noqa: E402
from prose import audit as prose_audit  # noqa: E402
from roles_data import GOLD, PUBLISHED  # noqa: E402
from storybrief.errors import MissingExtraError, NothingToPublishError  # noqa: E402
from storybrief.explain import SECTION_KEYS, explain_articles  # noqa: E402
from storybrief.explain.engines import EngineContext, get_engine  # noqa: E402
from storybrief.explain.llm import generation_of  # noqa: E402
from storybrief.explain.render import to_text  # noqa: E402
from storybrief.records import Article  # noqa: E402
from storybrief.verify import Checker  # noqa: E402
from storybrief.verify.models import CheckerOptions  # noqa: E402
from storybrief.verify.publish import check_explainer  # noqa: E402
from summarization import Story, default_data, sumy_system  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "explainers.json"
LABEL_OF = dict(zip(SECTION_KEYS, ("happening", "why", "next", "beyond"), strict=True))
SETS = ("duc2004", "multinews", "neus-val")


def load_gold() -> dict[tuple[str, str], dict[tuple[int, int], set[str]]]:
    """(set, story) -> (article position, sentence index) -> the sections it answers."""
    out: dict[tuple[str, str], dict[tuple[int, int], set[str]]] = defaultdict(dict)
    items = [
        item
        for path in (GOLD, PUBLISHED)
        if path.exists()
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]
    ]
    for item in items:
        roles = {item["label"], *([item["also"]] if item.get("also") else [])}
        out[(item["set"], item["story"])][(item["article"], item["sentence"])] = roles
    return out


def references(data: Path, name: str) -> dict[str, dict]:
    path = {
        "duc2004": data / "duc2004" / "duc2004-task2.jsonl",
        "multinews": data / "multinews-longbench" / "multinews-longbench.jsonl",
    }.get(name)
    if path is None:
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return {row["id"]: row for row in rows}


def words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def lead(articles: Sequence[Article]) -> str:
    """The first sentences of each article in turn (Multi-News' Lead: round-robin leads)."""
    firsts = [[s.text for s in a.sentences if not s.is_heading] for a in articles]
    out = []
    for i in range(max((len(f) for f in firsts), default=0)):
        out += [f[i] for f in firsts if i < len(f)]
    return " ".join(out)


def run(
    data: Path,
    name: str,
    engine_name: str,
    limit: int | None,
    dump: Path | None,
    vectors: bool,
    options: dict[str, str] | None = None,
) -> dict:
    from rouge_score import rouge_scorer

    gold = load_gold()
    refs = references(data, name)
    story_list = list(stories(data, name))[:limit]
    filled: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    false_notes: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    lengths: list[int] = []
    seconds: list[float] = []
    failed = 0
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    rouge: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    texts = []
    published: list[dict] = []  # every published statement, for --dump
    drafts: Counter[str] = Counter()
    textrank = sumy_system("textrank")
    checker = Checker(CheckerOptions(use_model=vectors))
    measure = _measuring_checker(checker)
    prose: Counter[str] = Counter()
    engine = get_engine(engine_name, context=EngineContext(checker=checker), **(options or {}))
    engine_label = engine_name + (" + MiniLM" if vectors else "")
    engine_label += "".join(f" {k}={v}" for k, v in (options or {}).items())
    for story_id, articles in track(story_list, description=f"{name} ({engine_label})"):
        started = time.perf_counter()
        try:
            draft = explain_articles(articles, engine)
            record = generation_of(draft)
            if record is not None:  # an LLM engine: what it drafted and what the checker kept
                drafts["drafted"] += record.drafted
                drafts["dropped"] += sum(1 for d in record.dropped if d.section != "*")
                drafts["fallbacks"] += record.fallbacks
                drafts["unusable answers"] += sum(1 for d in record.dropped if d.section == "*")
            explainer, _ = check_explainer(draft, articles, checker)
        except NothingToPublishError:
            explainer = None
            failed += 1
        seconds.append(time.perf_counter() - started)
        body = explainer.body if explainer is not None else ""
        lengths.append(len(body.split()))
        labels = gold.get((name, story_id), {})
        answering = Counter(role for roles in labels.values() for role in roles)
        position = {(a.id if a.id is not None else p): p for p, a in enumerate(articles)}
        if explainer is not None:
            prose.update(prose_audit(explainer, articles, measure))
            for section in explainer.sections:
                label = LABEL_OF[section.key]
                statements = [s for s in section.sentences if s.kind == "statement"]
                if statements:
                    filled[label] += 1
                else:
                    notes[label] += 1
                    false_notes[label] += bool(answering[label])
                for s in statements:
                    c = s.citations[0]
                    pos = position[c.article_id]
                    published.append(
                        {
                            "set": name,
                            "story": story_id,
                            "article": pos,
                            "sentence": c.sentence_index,
                            "section": label,
                            "text": s.text,
                        }
                    )
                    roles = labels.get((pos, c.sentence_index))
                    if roles is not None:
                        labelled[label] += 1
                        answered[label] += label in roles
            texts.append(f"## {name} {story_id}\n\n{to_text(explainer, headline=True)}\n")
        if engine_name != "builtin":  # slow engines: say how each story went as it goes
            print(
                f"{name} {story_id}: {seconds[-1]:.1f} s, {lengths[-1]} words, {dict(drafts)}",
                file=sys.stderr,
                flush=True,
            )
        row = refs.get(story_id)
        if name == "duc2004" and row is not None:
            systems = {"storybrief": body, **row["peer_summaries"]}
            for system, summary in systems.items():
                cut = words(summary, 100)
                scores = [scorer.score(ref, cut) for ref in row["references"].values()]
                rouge[system]["rouge1"].append(statistics.fmean(s["rouge1"].recall for s in scores))
                rouge[system]["rouge2"].append(statistics.fmean(s["rouge2"].recall for s in scores))
        elif name == "multinews" and row is not None:
            reference = row["reference"].lstrip("– ").strip()
            budget = len(reference.split())
            systems = {
                "storybrief": body,
                "Lead": lead(articles),
                "sumy TextRank": textrank(Story(story_id, articles, reference)),
            }
            for system, summary in systems.items():
                s = scorer.score(reference, words(summary, budget))
                rouge[system]["rouge1"].append(s["rouge1"].fmeasure)
                rouge[system]["rouge2"].append(s["rouge2"].fmeasure)
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        (dump / f"{name}-{engine_label}.md").write_text("\n".join(texts), encoding="utf-8")
        with (dump / f"{name}-{engine_label}-published.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in published)
    n = len(story_list)
    return {
        "stories": n,
        "without explainer": failed,
        "sections": {
            label: {
                "filled": round(filled[label] / n, 3),
                "labelled published sentences": labelled[label],
                "answer rate": round(answered[label] / labelled[label], 3)
                if labelled[label]
                else None,
                "empty": notes[label],
                "empty though a labelled sentence answers": false_notes[label],
            }
            for label in LABEL_OF.values()
        },
        "rouge": {
            system: {k: round(100 * statistics.fmean(v), 2) for k, v in scores.items()}
            for system, scores in rouge.items()
        },
        "mean words": round(statistics.fmean(lengths), 1),
        "prose": {key: prose[key] for key in PROSE_KEYS},
        "same-fact measure": "checker + MiniLM" if measure.semantic is not None else "checker",
        **({"drafts": dict(drafts)} if drafts else {}),
        "seconds per explainer": {
            "median": round(statistics.median(seconds), 3),
            "max": round(max(seconds), 3),
        },
    }


def _measuring_checker(checker: Checker) -> Checker:
    """The checker that judges "the same fact twice": the engine's when it runs MiniLM, else
    one with MiniLM when the extra is installed (stricter than the gate's lexical one)."""
    if checker.semantic is not None:
        return checker
    try:
        return Checker(CheckerOptions(use_model=True))
    except MissingExtraError:
        return checker


def show(name: str, result: dict, console: Console) -> None:
    table = Table(
        title=f"{name}: {result['stories']} stories, {result['without explainer']} without an "
        f"explainer, {result['mean words']} words, median "
        f"{result['seconds per explainer']['median']} s"
    )
    for column in ("section", "filled", "answer rate (labelled)", "empty", "empty but answered"):
        table.add_column(column, justify="right")
    for label, s in result["sections"].items():
        rate = "–" if s["answer rate"] is None else f"{s['answer rate']:.2f}"
        table.add_row(
            label,
            f"{s['filled']:.0%}",
            f"{rate} ({s['labelled published sentences']})",
            str(s["empty"]),
            str(s["empty though a labelled sentence answers"]),
        )
    console.print(table)
    if "prose" in result:
        made = result["stories"] - result["without explainer"]
        pt = Table(title=f"{name}: what a reader trips over, in {made} explainers (bench/prose.py)")
        pt.add_column("")
        pt.add_column("count", justify="right")
        pt.add_column("per 10 explainers", justify="right")
        for key, n in result["prose"].items():
            label = key.replace("(checker)", f"({result['same-fact measure']})")
            pt.add_row(label, str(n), f"{10 * n / made:.2f}" if made else "–")
        console.print(pt)
    if "drafts" in result:
        d = result["drafts"]
        share = d.get("dropped", 0) / d["drafted"] if d.get("drafted") else 0.0
        console.print(
            f"drafted {d.get('drafted', 0)} sentences, {d.get('dropped', 0)} dropped by the "
            f"checker ({share:.0%}), {d.get('fallbacks', 0)} chosen sentences published in "
            f"their place, {d.get('unusable answers', 0)} answers never usable"
        )
    if result["rouge"]:
        kind = "recall at 100 words" if name == "duc2004" else "F1 at the reference's length"
        rt = Table(title=f"{name}: ROUGE {kind}")
        rt.add_column("system")
        rt.add_column("ROUGE-1", justify="right")
        rt.add_column("ROUGE-2", justify="right")
        ranked = sorted(result["rouge"].items(), key=lambda kv: -kv[1]["rouge1"])
        for system, s in ranked:
            style = "bold" if system == "storybrief" else None
            rt.add_row(system, f"{s['rouge1']:.2f}", f"{s['rouge2']:.2f}", style=style)
        console.print(rt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--engine", default="builtin")
    parser.add_argument("--limit", type=int, default=None, help="at most N stories per set")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--dump", type=Path, default=None)
    parser.add_argument(
        "--vectors",
        action="store_true",
        help="the checker runs MiniLM (check.use_model), and the engine's roles use its vectors",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "-o", "--option", action="append", default=[], help="an engine option, KEY=VALUE"
    )
    args = parser.parse_args(argv)
    options = dict(o.split("=", 1) for o in args.option)
    console = Console(width=150)
    report = {}
    for name in args.sets.split(","):
        report[name] = run(
            args.data, name, args.engine, args.limit, args.dump, args.vectors, options
        )
        show(name, report[name], console)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    label = args.engine + (" + MiniLM" if args.vectors else "")
    previous[label + "".join(f" {o}" for o in args.option)] = report
    args.out.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
