"""Engines benchmark: the built-in engine beside the LLM engines, on the same stories.

    python bench/engines.py [--data ../shared/data] [--stories 4] [--engines builtin,openai]
                            [--openai-url URL] [--max-tokens 500] [--regenerate]
                            [--compare-models]

Stories: NeuS validation (``summarization/neus-val.jsonl``: three articles per story from left,
centre and right outlets, "TITLE=> … ARTICLE=> …", and an AllSides editors' neutral summary as
``reference``), ``--stories`` of them evenly spaced over the file. Data is read by path only.

Engines: ``builtin``; ``llamacpp`` (the package-shipped GGUF model in process) when
llama-cpp-python and ``storybrief[llamacpp-model]`` are installed; ``openai`` against
``--openai-url``, or else against llama-cpp-python's OpenAI-compatible server started here on
127.0.0.1 with the same shipped model. With ``--compare-models``, every other package-shipped
model that is installed (``SHIPPED_MODELS``: Gemma 3 270M, SmolLM2 135M Instruct) also runs in
process, as ``llamacpp (FILE)``. Caches are off: every explainer is written afresh.

Per engine: ROUGE-1/2/L F1 (rouge-score, Porter stemming) of the explainer's sentences, cut to
the reference's length in words, against the reference; the checker's share of supported
sentences (of those the model drafted, and of those published, re-checked); sentences dropped;
seconds per explainer; generated tokens per second. Then the example article's explainer as
the local model wrote it. Writes bench/results/engines.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "engines.json"
sys.path.insert(0, str(ROOT))  # tests.llm_server starts the local OpenAI-compatible server
sys.path.insert(0, str(ROOT / "bench"))  # the data folder, as every benchmark finds it

from storybrief.errors import StorybriefError  # noqa: E402
from storybrief.explain import Explainer, get_engine, register_engine, to_text  # noqa: E402
from storybrief.explain.engines import available_engines  # noqa: E402
from storybrief.explain.llm import generation_of, register_engines  # noqa: E402
from storybrief.records import Article  # noqa: E402
from storybrief.verify import Checker  # noqa: E402
from summarization import default_data  # noqa: E402


@dataclass
class Story:
    id: str
    articles: list[Article]
    reference: str


_NEUS = re.compile(r"^\s*TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)$", re.DOTALL)


def neus_article(raw: str, article_id: int) -> Article:
    match = _NEUS.match(raw)
    if not match:
        return Article(id=article_id, text=raw.strip())
    return Article(id=article_id, title=match.group(1).strip() or None, text=match.group(2))


def load_stories(data: Path, n: int) -> list[Story]:
    path = data / "summarization" / "neus-val.jsonl"
    if not path.exists():
        sys.exit(f"no NeuS file at {path}: pass --data or set STORYBRIEF_DATA")
    lines = path.read_text(encoding="utf-8").splitlines()
    picked = [lines[int(i * len(lines) / n)] for i in range(min(n, len(lines)))]
    stories = []
    for line in picked:
        row = json.loads(line)
        articles = [neus_article(a, i + 1) for i, a in enumerate(row["articles"])]
        stories.append(Story(row["story"], articles, neus_article(row["reference"], 0).text))
    return stories


# --- engines --------------------------------------------------------------------------------


def shipped_model(name: str | None = None) -> Path | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    from storybrief.explain.llm.llamacpp_engine import shipped_model as find

    return find(name=name)


def other_models() -> list[Path]:
    """The installed package-shipped models after the default one."""
    if importlib.util.find_spec("llama_cpp") is None:
        return []
    from storybrief.explain.llm.llamacpp_engine import installed_models

    paths = [shipped_model(m.name) for m in installed_models()[1:]]
    return [p for p in paths if p is not None]


@contextmanager
def local_server(model: Path) -> Iterator[str]:
    from tests.llm_server import llama_server

    log = Path(tempfile.gettempdir()) / "storybrief-bench-llama-server.log"
    with llama_server(model, log, n_ctx=4096) as url:
        yield url


def engines_to_run(args: argparse.Namespace, stack: ExitStack, console: Console) -> dict[str, Any]:
    if "llamacpp" not in available_engines():  # until the LLM plugin is a default plugin
        register_engines(lambda *a, **kw: register_engine(*a, **kw))
    wanted = args.engines.split(",") if args.engines else ["builtin", "llamacpp", "openai"]
    llm = {"max_tokens": args.max_tokens, "rewrite_unsupported": args.regenerate}
    model = shipped_model()
    engines: dict[str, Any] = {}
    for name in wanted:
        try:
            if name == "builtin":
                engines[name] = get_engine("builtin")
            elif name == "llamacpp":
                if model is None:
                    raise StorybriefError(
                        "needs llama-cpp-python and pip install 'storybrief[llamacpp-model]'"
                    )
                engines[name] = get_engine("llamacpp", model_path=model, n_ctx=4096, **llm)
            elif name == "openai":
                url = args.openai_url
                if url is None:
                    if model is None or importlib.util.find_spec("uvicorn") is None:
                        raise StorybriefError(
                            "no --openai-url, and no local server possible (needs "
                            "llama-cpp-python[server] and storybrief[llamacpp-model])"
                        )
                    console.print("starting llama-cpp-python's server with the shipped model…")
                    url = stack.enter_context(local_server(model))
                engines[name] = get_engine(
                    "openai", base_url=url, context_tokens=4096, timeout=600, **llm
                )
            else:
                engines[name] = get_engine(name)
        except StorybriefError as exc:
            console.print(f"[yellow]skipping engine {name}: {exc}[/yellow]")
    if args.compare_models:
        for path in other_models():
            engines[f"llamacpp ({path.name})"] = get_engine(
                "llamacpp", model_path=path, n_ctx=4096, **llm
            )
    return engines


# --- measures -------------------------------------------------------------------------------


def rouge(summary: str, reference: str) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    cut = " ".join(summary.split()[: len(reference.split())])
    scores = scorer.score(reference, cut)
    return {k: round(v.fmeasure, 4) for k, v in scores.items()}


def measure(
    engine: Any, story: Story, checker: Checker, tokens: Callable[[int], None] | None = None
) -> dict[str, Any]:
    started = time.monotonic()
    if tokens is not None and getattr(engine, "streams", False):
        explainer: Explainer = engine.explain(story.articles, progress=tokens)
    else:
        explainer = engine.explain(story.articles)
    seconds = time.monotonic() - started
    published = [s for _, _, s in explainer.sentences()]
    rechecked = sum(
        checker.check_sentence(s.text, story.articles, s.citations).supported for s in published
    )
    record = generation_of(explainer)
    row: dict[str, Any] = {
        "story": story.id,
        "seconds": round(seconds, 2),
        "published": len(published),
        "published_supported": rechecked,
        "rouge": rouge(explainer.body, story.reference),
        "headline": explainer.headline,
        "body": explainer.body,
    }
    if record is not None:
        row.update(
            drafted=record.drafted,
            dropped=len(record.dropped),
            repairs=record.repairs,
            regenerated=record.rewritten,
            prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens,
            generation_seconds=record.generation_seconds,
        )
    return row


def summarise(rows: list[dict[str, Any]], errors: list[str]) -> dict[str, Any]:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if r.get(key) is not None]
        return round(statistics.fmean(values), 4) if values else None

    out: dict[str, Any] = {"stories": len(rows), "errors": errors}
    for metric in ("rouge1", "rouge2", "rougeL"):
        out[metric] = round(statistics.fmean(r["rouge"][metric] for r in rows), 4) if rows else None
    published = sum(r["published"] for r in rows)
    out["published"] = published
    out["published_supported_share"] = (
        round(sum(r["published_supported"] for r in rows) / published, 4) if published else None
    )
    drafted = sum(r.get("drafted", 0) for r in rows)
    out["drafted"] = drafted if any("drafted" in r for r in rows) else None
    out["dropped"] = sum(r.get("dropped", 0) for r in rows) if out["drafted"] is not None else None
    out["drafted_supported_share"] = round(published / drafted, 4) if drafted else None
    out["seconds_per_explainer"] = mean("seconds")
    tokens = sum(r.get("completion_tokens", 0) for r in rows)
    gen = sum(r.get("generation_seconds", 0.0) for r in rows)
    out["tokens_per_second"] = round(tokens / gen, 2) if gen else None
    out["repairs"] = sum(r.get("repairs", 0) for r in rows) if out["drafted"] is not None else None
    return out


def fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "–" if value is None else pattern.format(value)


def table(results: dict[str, dict[str, Any]]) -> Table:
    t = Table(title="Explainer engines on NeuS validation stories")
    for column in (
        "engine", "stories", "R-1", "R-2", "R-L", "supported (drafted)", "supported (published)",
        "dropped", "s / explainer", "tokens / s",
    ):  # fmt: skip
        t.add_column(column, justify="left" if column == "engine" else "right")
    for name, r in results.items():
        s = r["summary"]
        t.add_row(
            escape(name),
            f"{s['stories']}" + (f" ({len(s['errors'])} failed)" if s["errors"] else ""),
            fmt(s["rouge1"]),
            fmt(s["rouge2"]),
            fmt(s["rougeL"]),
            fmt(s["drafted_supported_share"], "{:.0%}")
            + (f" of {s['drafted']}" if s["drafted"] else ""),
            fmt(s["published_supported_share"], "{:.0%}") + f" of {s['published']}",
            fmt(s["dropped"], "{}"),
            fmt(s["seconds_per_explainer"], "{:.1f}"),
            fmt(s["tokens_per_second"], "{:.1f}"),
        )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--stories", type=int, default=4)
    parser.add_argument("--engines", help="comma-separated (default: builtin,llamacpp,openai)")
    parser.add_argument("--openai-url", help="an OpenAI-compatible server's base URL (…/v1)")
    parser.add_argument("--max-tokens", type=int, default=500)
    parser.add_argument("--regenerate", action="store_true", help="rewrite unsupported once")
    parser.add_argument("--no-example", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument(
        "--compare-models",
        action="store_true",
        help="also run the other installed package-shipped models in process",
    )
    args = parser.parse_args()
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    stories = load_stories(args.data, args.stories)
    checker = Checker()
    results: dict[str, dict[str, Any]] = {}
    example_text: dict[str, Any] = {}
    with ExitStack() as stack:
        engines = engines_to_run(args, stack, console)
        bar = stack.enter_context(
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[tokens]}"),
                TimeElapsedColumn(),
                console=console,
            )
        )
        task = bar.add_task("engines", total=len(engines) * len(stories), tokens="")
        for name, engine in engines.items():
            rows, errors = [], []
            for story in stories:
                bar.update(task, description=f"{escape(name)}: {story.id}", tokens="")

                def tokens(n: int) -> None:
                    bar.update(task, tokens=f"{n} tokens")  # noqa: B023 (used in this pass only)

                try:
                    rows.append(measure(engine, story, checker, tokens))
                except StorybriefError as exc:
                    errors.append(f"{story.id}: {exc}")
                bar.advance(task)
            results[name] = {"summary": summarise(rows, errors), "stories": rows}
        bar.update(task, description="done", tokens="")
        local = engines.get("llamacpp") or engines.get("openai")
        if local is not None and not args.no_example:
            text = resources.files("storybrief").joinpath("examples", "article.txt")
            article = Article(text=text.read_text(encoding="utf-8"))
            started = time.monotonic()
            explainer = local.explain([article])
            record = generation_of(explainer)
            example_text = {
                "engine": explainer.engine,
                "seconds": round(time.monotonic() - started, 1),
                "text": to_text(explainer, citations=True, headline=True),
                "dropped": [d.model_dump() for d in record.dropped] if record else [],
            }
    console.print(table(results))
    if example_text:
        console.rule(f"The example article, as the {example_text['engine']} engine wrote it")
        console.print(example_text["text"], markup=False, highlight=False)
        for d in example_text["dropped"]:
            console.print(f"[dim]dropped ({d['section']}): {d['text']} — {d['reason']}[/dim]")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "data": "summarization/neus-val.jsonl",
        "stories": [s.id for s in stories],
        "max_tokens": args.max_tokens,
        "regenerate": args.regenerate,
        "engines": results,
        "example": example_text,
    }
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
