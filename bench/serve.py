"""Serve benchmark: requests per second and p50/p99 latency of storybrief's pages and API under
concurrent load on loopback, beside FastAPI's own hello-world route in the same run, with one
worker process and with several; and the memory (RSS) of each worker.

    python bench/serve.py [--duration 10] [--connections 16] [--workers 1,4]
                          [--client auto|wrk|python]

A temporary store is filled through the library (the bundled example article and the two
ingest fixtures, explained by the built-in engine). For each worker count N, two uvicorn
servers listen on 127.0.0.1: storybrief's app (``storybrief.serve.run(settings, workers=N)``,
what ``storybrief serve --workers N`` runs; one process with N=1), and a bare FastAPI app whose
only route returns {"message": "Hello World"}, with the same N — the framework's ceiling on
this machine. The load comes from another process: wrk (Debian's package) when installed,
else a Python client (asyncio, keep-alive connections; slower, so it understates the ceiling —
the table says which ran). Each target gets a warm-up, then ``--duration`` seconds of load in
``--rounds`` turns (hello world, front page, story page, ... again and again), so that what
other jobs do to the machine falls on the ceiling and the targets alike: req/s is the mean of
the rounds, p50 and p99 their median (the JSON keeps the worst p99 too).
Readers of "story page" arrive without a cookie, as a first visit does (the story page then
makes a reader and sets its cookie); "story page, returning reader" sends the cookie a first
visit set (a reader who has not answered the feedback question: one more query per request).
"story page while feeds are polled" is a first visit while another process records
``--poll-writes`` feed polls a second in the same database, as ``storybrief watch`` does when it
follows many feeds (20/s: 1,200 feeds polled once a minute); nothing a reader sees changes.
The ratio rows compare each target with the ceiling of its worker count against the targets
of issue 16 (pages ≥ 50% with p99 ≤ 25 ms, explainer JSON ≥ 70%).

Writes bench/results/serve.json and, with matplotlib, bench/results/serve.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench" / "results"
console = Console()
if not console.is_terminal:
    console = Console(width=120)


@dataclass
class Result:
    target: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    client: str
    workers: int = 1
    worst_p99_ms: float = 0.0  # the largest p99 of the rounds (p99_ms is their median)


#: issue 16's targets: (share of the ceiling's req/s, largest p99 in ms or None)
TARGETS = {
    "front page (HTML)": (0.5, 25.0),
    "story page (HTML)": (0.5, 25.0),
    "story page while feeds are polled": (0.5, 25.0),
    "story page, returning reader": (0.5, 25.0),
    "explainer JSON": (0.7, None),
}


# -- the servers (run in their own processes) -----------------------------------------------------


def hello_app():  # type: ignore[no-untyped-def]
    """FastAPI's first-steps example: the framework's own hello world."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"message": "Hello World"}

    return app


def storybrief_settings():  # type: ignore[no-untyped-def]
    from storybrief.settings import Settings

    return Settings(data_dir=Path(os.environ["SB_BENCH_DATA"]))


def serve_forever(which: str, port: int, workers: int) -> None:
    import uvicorn

    quiet = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False}
    if which == "storybrief":
        from storybrief.serve import create_app, run

        if workers > 1:
            run(storybrief_settings(), workers=workers, **quiet)
        else:
            uvicorn.run(create_app(storybrief_settings()), **quiet)
    elif workers > 1:  # the same supervisor as storybrief's (TCP_NODELAY on every connection)
        from storybrief.serve import run_workers

        sys.path.insert(0, str(HERE))
        run_workers("serve:hello_app", workers=workers, **quiet)
    else:
        uvicorn.run(hello_app(), **quiet)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(which: str, data: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SB_BENCH_DATA": str(data)}
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            which,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the {which} server exited with {proc.returncode}") from None
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError(f"the {which} server did not start")
    # with several workers, wait until each has started (they open the socket one by one)
    while workers > 1 and len(worker_pids(proc.pid)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {which} server started fewer than {workers} workers")
        time.sleep(0.1)
    return proc, port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def reader_cookie(url: str) -> str:
    """A reader's cookie, as a browser keeps it after its first visit to the story page."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as reply:
        return str(reply.headers["set-cookie"]).split(";", 1)[0]


def worker_pids(pid: int) -> list[int]:
    """The processes that serve requests: uvicorn's worker processes (children started by
    multiprocessing's spawn, not its resource tracker), or the server itself."""
    workers = []
    for child in _children(pid):
        try:
            cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(child)
    return workers or [pid]


def rss_mb(pid: int) -> float:
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record_polls(data: str, per_second: float, running: Any, stop: Any) -> None:
    """Record a poll of a feed ``per_second`` times a second while ``running`` is set (what
    ``storybrief watch`` writes after each poll), until ``stop`` is set."""
    from datetime import UTC, datetime, timedelta

    from storybrief.settings import Settings
    from storybrief.store import Store

    with Store.open(Settings(data_dir=Path(data))) as store:
        feed = store.feeds.add("http://127.0.0.1:9/polled.xml")
        n = 0
        while not stop.is_set():
            if not running.wait(0.1):
                continue
            store.feeds.record_poll_success(
                feed.id,
                next_poll_at=datetime.now(UTC) + timedelta(minutes=1),
                etag=f'"{n}"',
                last_modified=None,
                status="304",
            )
            n += 1
            time.sleep(1 / per_second)


def populate(data: Path) -> tuple[int, int]:
    """Fill the store through the library; the example story's id and its explainer id."""
    from storybrief.api import explain
    from storybrief.settings import Settings

    settings = Settings(data_dir=data)
    example = Path(str(ROOT / "src" / "storybrief" / "examples" / "article.txt"))
    fixtures = ROOT / "tests" / "data" / "ingest"
    result = explain(example, settings=settings)
    explain([fixtures / "article-1.html", fixtures / "article-2.html"], settings=settings)
    assert result.story_id is not None and result.explainer_id is not None
    return result.story_id, result.explainer_id


# -- load clients -------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


Headers = dict[str, str]


def run_wrk(
    url: str, duration: float, connections: int, headers: Headers | None = None
) -> tuple[float, float, float, int, int]:
    extra = [f"-H{name}: {value}" for name, value in (headers or {}).items()]
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m is None:
            raise RuntimeError(f"wrk printed no {pct}% latency:\n{out}")
        return float(m.group(1)) * _UNITS[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return rps, latency("50"), latency("99"), total, errors


async def _python_load(
    host: str, port: int, path: str, duration: float, connections: int, headers: Headers
) -> tuple[list[float], int]:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sb-bench\r\n{extra}\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                m = re.search(rb"content-length:\s*(\d+)", head, re.I)
                await reader.readexactly(int(m.group(1)) if m else 0)
                latencies.append((time.perf_counter() - began) * 1000)
                if status >= 400:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors


def run_python(
    url: str, duration: float, connections: int, headers: Headers | None = None
) -> tuple[float, float, float, int, int]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m is not None
    began = time.perf_counter()
    latencies, errors = asyncio.run(
        _python_load(m.group(1), int(m.group(2)), m.group(3), duration, connections, headers or {})
    )
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49], cuts[98], len(latencies), errors


# -- main ---------------------------------------------------------------------------------------


def _polling(running: Any, on: bool) -> None:
    """Start or stop the feed-poll writer, waiting a moment for it to be at its pace."""
    if on and not running.is_set():
        running.set()
        time.sleep(0.5)
    elif not on:
        running.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--workers", default="1,4", help="worker counts to measure, comma-separated (1,4)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="the duration is split into this many rounds, the targets taking turns",
    )
    parser.add_argument(
        "--poll-writes",
        type=float,
        default=20.0,
        help="feed polls recorded per second during 'story page while feeds are polled' (20)",
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--serve", choices=["hello", "storybrief"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.port, int(args.workers))
        return
    counts = [int(n) for n in args.workers.split(",")]

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (or --client python)")
    load = run_wrk if client == "wrk" else run_python

    results: list[Result] = []
    memory: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="sb-bench-serve-") as scratch:
        data = Path(scratch)
        console.print("filling a store through the library …")
        story_id, explainer_id = populate(data)
        polling, stop = multiprocessing.Event(), multiprocessing.Event()
        poller = multiprocessing.Process(
            target=record_polls, args=(str(data), args.poll_writes, polling, stop), daemon=True
        )
        poller.start()
        polled = "story page while feeds are polled"
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("load", total=7 * len(counts))
            for workers in counts:
                hello, hello_port = start("hello", data, workers)
                app, app_port = start("storybrief", data, workers)
                story = f"/stories/{story_id}"
                returning = {"Cookie": reader_cookie(f"http://127.0.0.1:{app_port}{story}")}
                targets: list[tuple[str, int, str, Headers]] = [
                    ("FastAPI hello world (ceiling)", hello_port, "/", {}),
                    ("front page (HTML)", app_port, "/", {}),
                    ("story page (HTML)", app_port, story, {}),
                    ("story page, returning reader", app_port, story, returning),
                    (polled, app_port, story, {}),
                    ("explainer JSON", app_port, f"/api/v1/stories/{story_id}/explainer", {}),
                    ("explainer by id (JSON)", app_port, f"/api/v1/explainers/{explainer_id}", {}),
                ]
                try:
                    for name, port, path, headers in targets:  # warm every cache first
                        url = f"http://127.0.0.1:{port}{path}"
                        _polling(polling, name == polled)
                        load(url, args.warmup, args.connections, headers)
                    # rounds: each target in turn, again and again, so that the load other
                    # jobs put on the machine falls on the ceiling and the targets alike
                    rounds: dict[str, list[tuple[float, float, float, int, int]]] = {}
                    for _ in range(args.rounds):
                        for name, port, path, headers in targets:
                            url = f"http://127.0.0.1:{port}{path}"
                            progress.update(task, description=f"{name}, {workers} worker(s)")
                            _polling(polling, name == polled)
                            rounds.setdefault(name, []).append(
                                load(url, args.duration / args.rounds, args.connections, headers)
                            )
                    _polling(polling, False)
                    for name, _port, path, _headers in targets:
                        got = rounds[name]
                        results.append(
                            Result(
                                name,
                                path,
                                statistics.fmean(r[0] for r in got),
                                statistics.median(r[1] for r in got),
                                statistics.median(r[2] for r in got),
                                sum(r[3] for r in got),
                                sum(r[4] for r in got),
                                client,
                                workers,
                                max(r[2] for r in got),
                            )
                        )
                        progress.advance(task)
                    memory[workers] = [rss_mb(pid) for pid in worker_pids(app.pid)]
                finally:
                    _polling(polling, False)
                    for proc in (hello, app):
                        proc.terminate()
                        proc.wait(20)
        stop.set()
        poller.join(20)

    ceilings = {r.workers: r.requests_per_second for r in results if r.target.startswith("FastAPI")}
    ceiling_p99 = {r.workers: r.p99_ms for r in results if r.target.startswith("FastAPI")}
    table = Table(
        title=f"storybrief serve on 127.0.0.1: {args.connections} connections, "
        f"{args.duration:g} s per target in {args.rounds} rounds, load by {client}, "
        f"{os.cpu_count()} CPUs"
    )
    for column in (
        "workers",
        "target",
        "path",
        "req/s",
        "of ceiling",
        "p50 ms",
        "p99 ms",
        "errors",
    ):
        table.add_column(column, justify="left" if column in ("target", "path") else "right")
    for r in results:
        table.add_row(
            str(r.workers),
            r.target,
            r.path,
            f"{r.requests_per_second:,.0f}",
            f"{r.requests_per_second / ceilings[r.workers]:.0%}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.errors),
        )
    console.print(table)

    ratios = Table(title="against issue 16's targets (ratio to the same run's ceiling)")
    for column in (
        "workers",
        "target",
        "of ceiling",
        "target ratio",
        "p99 ms",
        "target p99",
        "ceiling's p99",
        "met",
    ):
        ratios.add_column(column, justify="left" if column == "target" else "right")
    verdicts = []
    for r in results:
        if r.target not in TARGETS:
            continue
        share, p99_max = TARGETS[r.target]
        ratio = r.requests_per_second / ceilings[r.workers]
        met = ratio >= share and (p99_max is None or r.p99_ms <= p99_max) and r.errors == 0
        verdicts.append(
            {
                "workers": r.workers,
                "target": r.target,
                "ratio": ratio,
                "p99_ms": r.p99_ms,
                "ceiling_p99_ms": ceiling_p99[r.workers],
                "met": met,
            }
        )
        ratios.add_row(
            str(r.workers),
            r.target,
            f"{ratio:.0%}",
            f"≥ {share:.0%}",
            f"{r.p99_ms:.2f}",
            f"≤ {p99_max:g}" if p99_max else "",
            f"{ceiling_p99[r.workers]:.2f}",
            "yes" if met else "NO",
        )
    console.print(ratios)
    for workers, rss in memory.items():
        console.print(
            f"storybrief with {workers} worker(s): RSS per worker "
            + ", ".join(f"{m:.0f} MB" for m in rss)
            + f" (mean {statistics.fmean(rss):.0f} MB)"
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "serve",
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "client": client,
        "server": "uvicorn"
        + ("" if _has("httptools") else ", asyncio + h11")
        + "; storybrief.serve.run(workers=N) for N > 1",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": [asdict(r) for r in results],
        "ratios": verdicts,
        "rss_mb_per_worker": {str(w): rss for w, rss in memory.items()},
    }
    (RESULTS / "serve.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS / 'serve.json'}")
    plot(results, ceilings)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def plot(results: list[Result], ceilings: dict[int, float]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    names = [f"{r.target} ×{r.workers}".replace(" (", "\n(") for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 1 + 0.45 * len(results)))
    colours = ["#7f7f7f" if r.target.startswith("FastAPI") else "#0b5cad" for r in results]
    left.barh(names, [r.requests_per_second / ceilings[r.workers] for r in results], color=colours)
    for y, r in enumerate(results):
        if r.target in TARGETS:
            left.plot([TARGETS[r.target][0]] * 2, [y - 0.4, y + 0.4], color="#c9a227")
    left.set_xlabel("share of the hello-world ceiling (same worker count); gold: target")
    left.invert_yaxis()
    right.barh(names, [r.p50_ms for r in results], color="#7ab8ff", label="p50")
    right.barh(
        names,
        [r.p99_ms - r.p50_ms for r in results],
        left=[r.p50_ms for r in results],
        color="#1b1b1f",
        label="p99",
    )
    right.axvline(25, color="#c9a227", label="p99 target (pages)")
    right.set_xlabel("latency, ms")
    right.invert_yaxis()
    right.set_yticklabels([])
    right.legend()
    fig.suptitle("storybrief serve under load on loopback, 1 and 4 workers")
    fig.tight_layout()
    fig.savefig(RESULTS / "serve.png", dpi=110)
    console.print(f"wrote {RESULTS / 'serve.png'}")


if __name__ == "__main__":
    main()
