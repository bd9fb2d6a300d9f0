"""The long fuzz run: thousands of generated hostile inputs per parser, the inputs issue 14
reported (compression bombs served over HTTP, a 20,000-item feed, a <p> with 200,000
attributes, a page of 150,000 paragraphs, JSON Feeds of the wrong types), and the JSON API
through schemathesis, all with the default limits; then whole sources through the pipeline
(issue 27): any document ingested by the library into a real SQLite store, stories formed,
any article submitted as POST /api/v1/articles hands it over, and any document on the standard
input of `storybrief ingest -`, with the inputs issue 27 reported (a JSON Feed of lone
surrogates, NUL in an article, http://xn--/, feeds of 5,000 and 20,000 items). The standing
run: at least 10,000 inputs, 0 failures (an exception that escapes, or a report that is not
one), no input over 30 s.

    python bench/fuzz.py                 # about 13,700 inputs; prints the table
    python bench/fuzz.py --scale 0.1     # a quick look

Each input class runs in its own child process, so its peak RSS (from ``os.wait4``) is that
class's alone, its worst input included; "baseline" is the child's peak before its first
input: the library loaded (py3langid's model peaks at ~45 MB while it loads, held compactly by
storybrief.extract.language; ~103 as py3langid holds it) and, for generated
classes, hypothesis warmed up (building its Unicode tables peaks at ~200 MB). The input's own
cost is the difference. Results go to
bench/results/fuzz.json. Goals: no failures; peak RSS of every class at most 256 MB; slowest
input at most 10 s.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

RESULTS = ROOT / "bench" / "results" / "fuzz.json"
RSS_GOAL_MB = 256  # the parsers'; the API and pipeline classes load the library whole
SLOWEST_GOAL_S = 10.0  # a parser's; a whole source through the pipeline: PIPELINE_SLOWEST_S
PIPELINE_SLOWEST_S = 30.0
MIN_INPUTS = 10_000

#: class name -> generated inputs at --scale 1
CLASSES = {
    "feed (RSS/Atom)": 2000,
    "feed (JSON Feed)": 2500,
    "feed (raw bytes)": 2500,
    "OPML": 1500,
    "page (HTML)": 600,
    "text": 1000,
    "fetch (bombs)": 0,  # the reported bombs only
    "API (schemathesis)": 40,  # per operation and generation mode (positive, negative)
    "ingest (library)": 1500,
    "submit (library)": 600,
    "ingest (CLI)": 600,
}
#: the classes that run whole sources through the pipeline
PIPELINE = ("ingest (library)", "submit (library)", "ingest (CLI)")

SENTENCE = "The council met on Tuesday and voted to repair the harbor bridge by spring. "


# -- the reported inputs -------------------------------------------------------------------------


def _rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://news.example/{i}</link>"
        f"<description>{SENTENCE}</description></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def reported(name: str) -> list[tuple[str, Any]]:
    """The inputs of issue 14 that belong to class ``name``: (label, input)."""
    if name == "feed (RSS/Atom)":
        return [("20,000-item feed", _rss(20_000))]
    if name == "feed (JSON Feed)":
        wrong = {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"authors": 7, "date_published": 20240101, "url": 12, "id": 3.5},
                {"title": ["a"], "content_text": True, "date_modified": "99999-01-01"},
            ],
        }
        deep = b'{"version": "https://jsonfeed.org/version/1", "items": '
        deep += b"[" * 200_000 + b"]" * 200_000 + b"}"
        return [("JSON Feed of wrong types", json.dumps(wrong).encode()), ("deep JSON", deep)]
    if name == "OPML":
        outlines = "".join(f'<outline xmlUrl="https://x.example/{i}"/>' for i in range(100_000))
        return [("OPML of 100,000 feeds", f"<opml><body>{outlines}</body></opml>".encode())]
    if name == "page (HTML)":
        attributes = " ".join(f"a{i}=x" for i in range(200_000))
        return [
            ("<p> with 200,000 attributes", f"<html><body><p {attributes}>{SENTENCE * 8}</p>"),
            (
                "150,000 paragraphs (8 MB)",
                "<html><body>" + f"<p>{SENTENCE[:45]}</p>" * 150_000 + "</body></html>",
            ),
            ("nested 100,000 deep", "<div>" * 100_000 + SENTENCE * 5 + "</div>" * 100_000),
        ]
    if name == "text":
        return [("150,000 lines of text", (SENTENCE + "\n") * 150_000)]
    if name in ("ingest (library)", "ingest (CLI)"):
        poisoned = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T\ud800",
            "items": [
                {
                    "id": "i\ud800",
                    "url": "https://news.example/a\ud800",
                    "external_url": "https://x.example/\udfff",
                    "title": "Bridge\ud800",
                    "content_text": SENTENCE * 4 + "\ud800\u0000",
                }
            ],
        }
        opml = b'<opml><body><outline xmlUrl="http://xn--/"/></body></opml>'
        return [
            ("JSON Feed of lone surrogates", json.dumps(poisoned).encode()),
            ("OPML naming http://xn--/", opml),
            ("UTF-16 text with a BOM", (SENTENCE * 4).encode("utf-16")),
            ("5,000-item feed", _rss(5_000)),
            ("20,000-item feed", _rss(20_000)),
        ]
    if name == "submit (library)":
        return [
            ("an article with NUL", {"text": SENTENCE * 4 + "\x00", "title": "\x00"}),
            ("an article with a lone surrogate", {"text": SENTENCE * 4 + "\ud800"}),
        ]
    return []


def _gzip_zeros(size: int) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 4_000_000
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9)
    return packer.compress(data) + packer.flush()


def run_bombs() -> dict[str, Any]:
    """Compression bombs served by a real HTTP server on 127.0.0.1, fetched with the default
    settings, and one fed through an ingest run as a feed item's page."""
    from tests.fuzzing import Tally
    from tests.servers import LocalHTTPServer

    from storybrief.errors import FetchError
    from storybrief.ingest import ingest
    from storybrief.ingest.fetch import Fetcher
    from storybrief.settings import Settings
    from storybrief.store import Store

    baseline = _peak_mb()
    inner = _gzip_zeros(4_000_000_000)  # 4 GB of zeros in ~4 MB
    bombs = {
        "gzip, gzip (4 GB)": (gzip.compress(inner, 9), "gzip, gzip"),
        "gzip, deflate (4 GB)": (_deflate(inner), "gzip, deflate"),
        "gzip (4 GB)": (inner, "gzip"),
        "gzip x4 (nested)": (
            gzip.compress(gzip.compress(gzip.compress(inner, 9), 9), 9),
            "gzip, gzip, gzip, gzip",
        ),
    }
    tally = Tally("fetch (bombs)")
    with tempfile.TemporaryDirectory() as tmp, LocalHTTPServer() as server:
        settings = Settings(data_dir=Path(tmp), fetch={"allowed_hosts": ["127.0.0.1"]})
        with Fetcher(settings) as fetcher:
            for label, (body, encoding) in bombs.items():
                url = server.route(
                    f"/{len(tally.failures)}-{tally.tried}",
                    body=body,
                    headers={"Content-Encoding": encoding},
                )
                started = time.perf_counter()
                error: BaseException | None = None
                try:
                    fetcher.get(url)
                    error = AssertionError(f"{label} was fetched whole")
                except FetchError as exc:
                    if "cap (fetch.max_bytes)" not in str(exc):
                        error = exc
                except Exception as exc:
                    error = exc
                tally.record(
                    time.perf_counter() - started, None, error, f"{label}: {len(body):,} B"
                )
        bomb = server.route(
            "/bomb", body=bombs["gzip, gzip (4 GB)"][0], headers={"Content-Encoding": "gzip, gzip"}
        )
        feed = server.route(
            "/feed.xml",
            body=_rss(0).replace(
                b"<channel>", f"<channel><item><link>{bomb}</link></item>".encode()
            ),
            headers={"Content-Type": "application/rss+xml"},
        )
        started = time.perf_counter()
        error = None
        try:
            with Store.open(settings) as store:
                report = ingest([feed], settings=settings, store=store)
            if [i.status for i in report.items] != ["failed"]:
                error = AssertionError(f"feed item with a bomb: {report.items}")
        except Exception as exc:
            error = exc
        tally.record(time.perf_counter() - started, None, error, "ingest: feed item -> bomb")
    return {**_as_dict(tally), "baseline_mb": baseline}


# -- one class in a child process --------------------------------------------------------------


def _as_dict(tally: Any) -> dict[str, Any]:
    return {
        "inputs": tally.tried,
        "failures": len(tally.failures),
        "failure_examples": tally.failures[:5],
        "slowest_s": round(tally.slowest, 3),
        "slowest_input": tally.slowest_input,
    }


def run_class(name: str, examples: int, seed: int) -> dict[str, Any]:
    from tests.fuzzing import PARSERS, fuzz

    if name == "fetch (bombs)":
        return run_bombs()
    if name == "API (schemathesis)":
        return run_api(examples, seed)
    if name in PIPELINE:
        return run_pipeline(name, examples, seed)
    strategy, check = PARSERS[name]
    _warm_up(check, name)
    fuzz(name, strategy, lambda sample: None, 1, seed=seed)  # hypothesis builds its Unicode
    baseline = _peak_mb()  # tables on first use, ~200 MB at peak: part of the baseline
    tally = _reported_then_generated(name, strategy, check, examples, seed)
    return {**_as_dict(tally), "baseline_mb": baseline}


def _reported_then_generated(name: str, strategy: Any, check: Any, examples: int, seed: int) -> Any:
    """The class's reported inputs first, on a fresh heap (the peak is theirs, not
    fragmentation's), then ``examples`` generated ones: one tally."""
    from tests.fuzzing import Tally, fuzz

    tally = Tally(name)
    for label, sample in reported(name):
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            check(sample)
        except Exception as exc:
            error = exc
        tally.record(time.perf_counter() - started, sample, error, label)
        del sample
    gc.collect()
    generated = fuzz(name, strategy, check, examples, seed=seed)
    tally.tried += generated.tried
    tally.failures += generated.failures
    if generated.slowest > tally.slowest:
        tally.slowest, tally.slowest_input = generated.slowest, generated.slowest_input
    return tally


def run_pipeline(name: str, examples: int, seed: int) -> dict[str, Any]:
    """Whole sources through the library (or the CLI) into one SQLite store, offline (URLs
    the inputs name fail to connect, as on a machine without a network)."""
    from tests.fuzzing import check_cli, check_ingest, documents, fuzz, offline, submitted

    from storybrief.library import Library
    from storybrief.settings import Settings

    with tempfile.TemporaryDirectory() as tmp, offline():
        settings = Settings(data_dir=Path(tmp))
        with Library(settings) as lib:
            if name == "ingest (CLI)":
                env = {"STORYBRIEF_DATA_DIR": tmp}
                check, strategy = check_cli(env), documents
            else:
                check = check_ingest(lib)
                strategy = submitted if name == "submit (library)" else documents
            warm = {"text": SENTENCE * 5} if name == "submit (library)" else _rss(1)
            check(warm)  # imports, the sentence model, the database: not an input's cost
            fuzz(name, strategy, lambda sample: None, 1, seed=seed)
            baseline = _peak_mb()
            tally = _reported_then_generated(name, strategy, check, examples, seed)
    return {**_as_dict(tally), "baseline_mb": baseline}


def _peak_mb() -> float:
    """This process's peak RSS so far, in MB (ru_maxrss is in kB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _warm_up(check: Any, name: str) -> None:
    """Imports and model loading happen once per process: not an input's cost."""
    if name in ("page (HTML)", "text"):
        check(f"<p>{SENTENCE * 5}</p>" if name == "page (HTML)" else SENTENCE * 5)
    else:
        check(_rss(1))


def run_api(examples: int, seed: int) -> dict[str, Any]:
    from tests.fuzzing import fuzz_api

    from storybrief.api import explain
    from storybrief.serve import create_app
    from storybrief.settings import Settings
    from storybrief.store import Store

    token = "fuzz-token-0123456789"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            serve={
                "api_token": token,
                "write_rate_per_minute": 1_000_000,
                "feedback_rate_per_minute": 1_000_000,
            },
            fetch={"feed_pages": False},
        )
        baseline = _peak_mb()
        with Store.open(settings) as store:
            explain(
                ROOT / "src" / "storybrief" / "examples" / "article.txt",
                settings=settings,
                store=store,
            )
            tally = fuzz_api(create_app(settings, store), token, examples, seed=seed)
    return {**_as_dict(tally), "baseline_mb": baseline}


def child(name: str, examples: int, seed: int) -> None:
    """Run one class with default settings: no STORYBRIEF_* variables, an empty config file."""
    for variable in [v for v in os.environ if v.startswith("STORYBRIEF_")]:
        del os.environ[variable]
    empty = Path(tempfile.mkdtemp()) / "config.toml"
    empty.write_text("")
    os.environ["STORYBRIEF_CONFIG"] = str(empty)
    started = time.perf_counter()
    result = run_class(name, examples, seed)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


# -- the parent: one child per class, then the table --------------------------------------------


def spawn(name: str, examples: int, seed: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--examples", str(examples)]
    command += ["--seed", str(seed)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource usage
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {
            "inputs": 0,
            "failures": 1,
            "failure_examples": [f"child exited {status}"],
            "slowest_s": 0.0,
            "slowest_input": "",
            "seconds": 0.0,
            "peak_rss_mb": usage.ru_maxrss / 1024,
        }
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # kB on Linux
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="inputs per class x this")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", action="append", help="run only this class (repeatable)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--examples", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.examples, args.seed)
        return

    from rich.console import Console
    from rich.table import Table

    results: dict[str, dict[str, Any]] = {}
    for name, count in CLASSES.items():
        if args.only and name not in args.only:
            continue
        examples = max(1, round(count * args.scale)) if count else 0
        print(f"fuzzing {name} ...", file=sys.stderr, flush=True)
        results[name] = spawn(name, examples, args.seed)

    table = Table(title="storybrief fuzz (default limits)")
    for column in (
        "input class",
        "inputs",
        "failures",
        "slowest (s)",
        "slowest input",
        "peak RSS (MB)",
        "of it, baseline",
        "run (s)",
    ):
        table.add_column(column, justify="left" if column.endswith(("class", "input")) else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['inputs']:,}",
            str(r["failures"]),
            f"{r['slowest_s']:.2f}",
            r["slowest_input"][:48],
            f"{r['peak_rss_mb']:.0f}",
            f"{r.get('baseline_mb', 0):.0f}",
            f"{r['seconds']:.0f}",
        )
    total = sum(r["inputs"] for r in results.values())
    failures = sum(r["failures"] for r in results.values())
    slowest = max((r["slowest_s"] for r in results.values()), default=0.0)
    peak = max((r["peak_rss_mb"] for r in results.values()), default=0.0)
    table.add_row("all", f"{total:,}", str(failures), f"{slowest:.2f}", "", f"{peak:.0f}", "", "")
    Console(width=160).print(table)
    for name, r in results.items():
        for example in r["failure_examples"]:
            print(f"FAILURE {name}: {example}")
    parsers = {n: r for n, r in results.items() if n not in (*PIPELINE, "API (schemathesis)")}
    pipeline = {n: r for n, r in results.items() if n in PIPELINE}
    parser_slowest = max((r["slowest_s"] for r in parsers.values()), default=0.0)
    parser_peak = max((r["peak_rss_mb"] for r in parsers.values()), default=0.0)
    pipeline_slowest = max((r["slowest_s"] for r in pipeline.values()), default=0.0)
    standing = failures == 0 and pipeline_slowest <= PIPELINE_SLOWEST_S
    standing = standing and (total >= MIN_INPUTS or bool(args.only) or args.scale < 1)
    print(
        f"standing run (>= {MIN_INPUTS:,} inputs, 0 failures, no whole source over "
        f"{PIPELINE_SLOWEST_S:g} s): {total:,} inputs, {failures} failures, slowest source "
        f"{pipeline_slowest:.1f} s: " + ("met" if standing else "NOT met")
    )
    print(
        f"parser goals (peak RSS <= {RSS_GOAL_MB} MB, slowest <= {SLOWEST_GOAL_S:g} s): "
        f"{parser_peak:.0f} MB, {parser_slowest:.1f} s: "
        + ("met" if parser_peak <= RSS_GOAL_MB and parser_slowest <= SLOWEST_GOAL_S else "NOT met")
    )
    goals = standing
    if args.scale == 1.0:  # a full-size run: record it (a run of some classes updates those)
        kept = json.loads(RESULTS.read_text()) if args.only and RESULTS.exists() else {}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({**kept, **results}, indent=2) + "\n")
    sys.exit(0 if goals else 1)


if __name__ == "__main__":
    main()
