"""Serve benchmark: requests per second and p50/p99 latency of storybrief's pages and API under
concurrent load on loopback, beside FastAPI's own hello-world route in the same run.

    python bench/serve.py [--duration 10] [--connections 16] [--client auto|wrk|python]

A temporary store is filled through the library (the bundled example article and the two
ingest fixtures, explained by the built-in engine). Two uvicorn servers, one process and one
worker each, listen on 127.0.0.1: storybrief's app (create_app), and a bare FastAPI app whose
only route returns {"message": "Hello World"} — the framework's ceiling on this machine. The
load comes from another process: wrk (Debian's package) when installed, else a Python client
(asyncio, keep-alive connections; slower, so it understates the ceiling — the table says
which ran). Each target gets a warm-up, then ``--duration`` seconds of load.

Writes bench/results/serve.json and, with matplotlib, bench/results/serve.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
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


# -- the servers (run in their own processes) -----------------------------------------------------


def hello_app():  # type: ignore[no-untyped-def]
    """FastAPI's first-steps example: the framework's own hello world."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"message": "Hello World"}

    return app


def storybrief_app():  # type: ignore[no-untyped-def]
    from storybrief.serve import create_app
    from storybrief.settings import Settings

    return create_app(Settings(data_dir=Path(os.environ["SB_BENCH_DATA"])))


def serve_forever(which: str, port: int) -> None:
    import uvicorn

    app = hello_app() if which == "hello" else storybrief_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(which: str, data: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SB_BENCH_DATA": str(data)}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", which, "--port", str(port)], env=env
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the {which} server exited with {proc.returncode}") from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the {which} server did not start")


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


def run_wrk(url: str, duration: float, connections: int) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", url],
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
    host: str, port: int, path: str, duration: float, connections: int
) -> tuple[list[float], int]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sb-bench\r\n\r\n"
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


def run_python(url: str, duration: float, connections: int) -> tuple[float, float, float, int, int]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m is not None
    began = time.perf_counter()
    latencies, errors = asyncio.run(
        _python_load(m.group(1), int(m.group(2)), m.group(3), duration, connections)
    )
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49], cuts[98], len(latencies), errors


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--serve", choices=["hello", "storybrief"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.port)
        return

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (or --client python)")
    load = run_wrk if client == "wrk" else run_python

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sb-bench-serve-") as scratch:
        data = Path(scratch)
        console.print("filling a store through the library …")
        story_id, explainer_id = populate(data)
        hello, hello_port = start("hello", data)
        app, app_port = start("storybrief", data)
        targets = [
            ("FastAPI hello world (ceiling)", hello_port, "/"),
            ("front page (HTML)", app_port, "/"),
            ("story page (HTML)", app_port, f"/stories/{story_id}"),
            ("explainer JSON", app_port, f"/api/v1/stories/{story_id}/explainer"),
            ("explainer by id (JSON)", app_port, f"/api/v1/explainers/{explainer_id}"),
        ]
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("load", total=len(targets))
                for name, port, path in targets:
                    url = f"http://127.0.0.1:{port}{path}"
                    progress.update(task, description=name)
                    load(url, args.warmup, args.connections)
                    rps, p50, p99, total, errors = load(url, args.duration, args.connections)
                    results.append(Result(name, path, rps, p50, p99, total, errors, client))
                    progress.advance(task)
        finally:
            for proc in (hello, app):
                proc.terminate()
                proc.wait(10)

    ceiling = results[0].requests_per_second
    table = Table(
        title=f"storybrief serve on 127.0.0.1: {args.connections} connections, "
        f"{args.duration:g} s per target, load by {client}"
    )
    for column in ("target", "path", "req/s", "of ceiling", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column in ("target", "path") else "right")
    for r in results:
        table.add_row(
            r.target,
            r.path,
            f"{r.requests_per_second:,.0f}",
            f"{r.requests_per_second / ceiling:.0%}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.errors),
        )
    console.print(table)

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "serve",
        "connections": args.connections,
        "duration_s": args.duration,
        "client": client,
        "server": "uvicorn, 1 process, 1 worker, asyncio + h11"
        if not _has("httptools")
        else "uvicorn, 1 process, 1 worker",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": [asdict(r) for r in results],
    }
    (RESULTS / "serve.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS / 'serve.json'}")
    plot(results)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def plot(results: list[Result]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    names = [r.target.replace(" (", "\n(") for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.barh(names, [r.requests_per_second for r in results], color="#0b5cad")
    left.set_xlabel("requests per second")
    left.invert_yaxis()
    right.barh(names, [r.p50_ms for r in results], color="#7ab8ff", label="p50")
    right.barh(
        names,
        [r.p99_ms - r.p50_ms for r in results],
        left=[r.p50_ms for r in results],
        color="#1b1b1f",
        label="p99",
    )
    right.set_xlabel("latency, ms")
    right.invert_yaxis()
    right.set_yticklabels([])
    right.legend()
    fig.suptitle("storybrief serve under load on loopback (higher req/s, lower latency is better)")
    fig.tight_layout()
    fig.savefig(RESULTS / "serve.png", dpi=110)
    console.print(f"wrote {RESULTS / 'serve.png'}")


if __name__ == "__main__":
    main()
