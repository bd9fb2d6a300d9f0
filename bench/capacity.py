"""Capacity benchmark (issue 28): many feeds on local hosts, items published faster than the
system takes them in, followed by one `storybrief watch` (SQLite or PostgreSQL) or by N
`storybrief worker` processes (PostgreSQL) — what one machine holds.

    python bench/capacity.py [--feeds 2000] [--hosts 8] [--items 600] [--rate 10] [--every 60]
                             [--idle 60] [--max-seconds 900] [--data ../shared/data]
                             [--database sqlite|postgresql] [--workers N]

The feeds and pages are bench/pipeline.py's (NeuS lead excerpts, research use only, read from
``--data``: three outlets per event, the second and third reporting 8 and 16 events later, so
stories grow after their first explainer), on ``--hosts`` HTTP servers on 127.0.0.1 (each its
own origin, so with hundreds of feeds a host the per-host politeness of the fetcher is real:
``fetch.per_host_concurrency`` 2, ``fetch.per_host_delay`` ``--per-host-delay``). Every feed is
followed with ``--every`` seconds between polls. Each storybrief process runs with a probe
(bench/capacity_probe.py) that gives its CPU to pipeline stages by sampling each thread's stack
and CPU time, and notes each poll's lag behind its due time.

Phases, the same processes throughout:

1. warm-up: every feed polled once (all empty);
2. unchanged polls: ``--idle`` seconds in which no feed changes, so every poll is a conditional
   GET answered 304 — CPU per unchanged poll, and the poll lag of a quiet service;
3. load: ``--items`` items published at ``--rate`` a second (faster than they are taken
   in), until each is an article covered by its story's explainer, nothing moves for
   ``--stall`` seconds, or ``--max-seconds`` pass.

Reported: articles per second end to end (articles covered by an explainer / (last covering
explainer − first publication)); CPU per article (the storybrief processes' CPU over the load
phase / articles stored) and by stage, with PostgreSQL's backends beside; CPU per unchanged poll;
poll lag p50 / p95 / max (in the quiet phase and under load); explainer latency p50 / p95 from
publication, for an item that started a story (its first version) and for one that joined an
explained story (an update); peak RSS of the largest process.

Writes bench/results/capacity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rich.table import Table  # noqa: E402

from pipeline import (  # noqa: E402
    RESULTS,
    ROOT,
    Hosts,
    NewsItem,
    Proc,
    console,
    coverage,
    load_items,
    run_cli,
    run_folder,
)

PROBE_RUN = (
    "import sys; sys.path.insert(0, {here!r}); import capacity_probe; "
    "capacity_probe.start({out!r}, {lag_from!r}); from storybrief.cli import main; "
    "sys.argv[0] = 'storybrief'; main()"
)


class Probed(Proc):
    """A storybrief process (`watch`, or one `worker`) with the probe inside, writing to
    ``out``."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log: Path, out: Path
    ) -> None:
        self.name = name
        self.out = out
        self.log = log.open("ab")
        lag_from = "store" if args[0] == "worker" else "due"
        code = PROBE_RUN.format(here=str(HERE), out=str(out), lag_from=lag_from)
        self.popen = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.usage = None


def probe_one(out: Path) -> dict[str, Any]:
    try:
        return json.loads(out.read_text())
    except (OSError, ValueError):
        return {"cpu_by_stage": {}, "poll_lags": []}


def probe(procs: list[Probed]) -> dict[str, Any]:
    """The probes of every process, added up (their poll lags one after another)."""
    cpu: dict[str, float] = {}
    lags: list[list[float]] = []
    for p in procs:
        found = probe_one(p.out)
        for stage, seconds in found["cpu_by_stage"].items():
            cpu[stage] = cpu.get(stage, 0.0) + seconds
        lags.append(found["poll_lags"])
    return {"cpu_by_stage": cpu, "poll_lags": lags}


def new_lags(after: dict[str, Any], before: dict[str, Any]) -> list[float]:
    return [
        lag
        for n, lags in enumerate(after["poll_lags"])
        for lag in lags[len(before["poll_lags"][n]) if n < len(before["poll_lags"]) else 0 :]
    ]


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else []
    return {
        "n": len(values),
        "p50": cuts[49] if cuts else values[0],
        "p95": cuts[94] if cuts else values[0],
        "max": max(values),
    }


def cpu_delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data", help="shared data folder"
    )
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=8, help="HTTP servers (origins)")
    parser.add_argument("--items", type=int, default=600, help="items published")
    parser.add_argument("--rate", type=float, default=10.0, help="items published a second")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between feed polls")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of unchanged polls")
    parser.add_argument("--per-host-delay", type=float, default=0.05)
    parser.add_argument("--settle", type=float, default=60.0, help="explain.settle_seconds")
    parser.add_argument("--max-wait", type=float, default=300.0, help="explain.max_wait_seconds")
    parser.add_argument(
        "--stall",
        type=float,
        default=180.0,
        help="give up when nothing is stored or explained for this long after the last "
        "publication (workers poll a feed when the minute tick finds it due)",
    )
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound on the load phase")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="N `storybrief worker` processes (PostgreSQL) instead of one `watch`",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SB_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="with --database postgresql: a server; the run creates (and drops) a database",
    )
    args = parser.parse_args()
    if args.workers and args.database != "postgresql":
        parser.error("--workers needs --database postgresql")

    items = load_items(args.data, args.items, args.feeds)
    hosts = Hosts(items, args.feeds, args.hosts)
    load_average = os.getloadavg()[0]
    console.print(
        f"{args.feeds} feeds on {args.hosts} hosts, {len(items)} items at {args.rate:g}/s; "
        f"load average {load_average:.2f} on {os.cpu_count()} cores"
    )
    pg_name = None
    with tempfile.TemporaryDirectory(prefix="storybrief-capacity-") as scratch:
        folder = Path(scratch)
        db_url = f"sqlite:///{folder / 'storybrief.db'}"
        if args.database == "postgresql":
            from pipeline import admin, postgres_missing, with_database

            missing = postgres_missing(args.database_url)
            if missing:
                raise SystemExit(missing)
            pg_name = f"sb_capacity_{os.getpid()}"
            admin(args.database_url, f'CREATE DATABASE "{pg_name}"')
            db_url = with_database(args.database_url, pg_name)
        env, log, opml = run_folder(folder, db_url, args, hosts)
        out = folder / "probe.json"
        try:
            result = run(args, items, hosts, db_url, env, log, opml, out, pg_name)
        finally:
            hosts.stop()
            if pg_name:
                from pipeline import admin

                admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    result["load_average_start"] = load_average
    result["load_average_end"] = os.getloadavg()[0]
    report(result, args)


def run(
    args: argparse.Namespace,
    items: list[NewsItem],
    hosts: Hosts,
    db_url: str,
    env: dict[str, str],
    log: Path,
    opml: Path,
    out: Path,
    pg_name: str | None,
) -> dict[str, Any]:
    from pipeline import BackendCPU, admin_url, warm_up

    backends = BackendCPU(admin_url(args.database_url), pg_name) if pg_name else None

    for item in items:
        item.published = 0.0  # nothing listed before the load phase
    started = time.monotonic()
    run_cli(["feeds", "add", str(opml), "--every", f"{args.every:g}s"], env, log)
    console.print(f"  {args.feeds} feeds followed in {time.monotonic() - started:.1f} s")
    if args.workers:
        run_cli(["worker", "--apply-schema"], env, log)
        procs = [
            Probed(
                f"worker {n + 1}",
                ["worker", "--log-level", "warning"],
                env,
                log,
                out.with_name(f"probe-{n}.json"),
            )
            for n in range(args.workers)
        ]
    else:
        procs = [Probed("watch", ["watch", "-q", "--log-format", "json"], env, log, out)]

    def cpu_now() -> float:
        return sum(p.cpu_now() for p in procs)

    try:
        warm_up(db_url, args.feeds, procs, log, limit=max(300.0, args.feeds / 5))
        # 2. unchanged polls
        time.sleep(3.5)  # a flush of the probe
        before_idle = probe(procs)
        with hosts._lock:
            before_304, before_200 = hosts.counts["feed_304"], hosts.counts["feed_200"]
        cpu_before = cpu_now()
        console.print(f"  {args.idle:g} s of unchanged polls …")
        time.sleep(args.idle)
        cpu_idle = cpu_now() - cpu_before
        with hosts._lock:
            polls_304 = hosts.counts["feed_304"] - before_304
            polls_200 = hosts.counts["feed_200"] - before_200
        time.sleep(3.5)
        after_idle = probe(procs)
        idle_lags = new_lags(after_idle, before_idle)
        # 3. load
        cpu_start = cpu_now()
        db_start = backends.total() if backends is not None else 0.0
        t0 = time.time() + 1.0
        for j, item in enumerate(items):
            item.published = t0 + j / args.rate
        last_publication = items[-1].published
        console.print(f"  load: {len(items)} items over {last_publication - t0:.0f} s")
        seen, moved, began = (-1, -1), time.monotonic(), time.monotonic()
        note = ""
        samples: list[tuple[float, int, int, int]] = []  # (s, published, stored, covered)
        while True:
            time.sleep(5.0)
            for p in procs:
                if p.reap() is not None:
                    raise SystemExit(f"{p.name} exited with {p.popen.returncode}; see {log}")
            state = coverage(db_url, items)
            now_seen = (len(state["stored"]), len(state["covered"]))
            published = sum(1 for i in items if i.published <= time.time())
            samples.append((time.monotonic() - began, published, *now_seen))
            console.print(
                f"  {time.monotonic() - began:5.0f} s: {published} published, {now_seen[0]} "
                f"stored, {now_seen[1]} covered, {state['stories']} stories, "
                f"{state['explainers']} explainers",
                highlight=False,
            )
            if now_seen != seen:
                seen, moved = now_seen, time.monotonic()
            if time.monotonic() - began > args.max_seconds:
                note = f"stopped after --max-seconds {args.max_seconds:g}"
                break
            if time.time() < last_publication:
                moved = time.monotonic()  # the stall counts from the last publication on
                continue
            if now_seen[1] == len(items):
                break
            if time.monotonic() - moved > args.stall:
                note = f"{len(items) - now_seen[1]} items not covered: nothing moved"
                break
        cpu_load = cpu_now() - cpu_start
        db_load = backends.total() - db_start if backends is not None else None
        time.sleep(3.5)
        after_load = probe(procs)
    finally:
        usages = [p.stop() for p in procs]
        if backends is not None:
            backends.stop()
    load_lags = new_lags(after_load, after_idle)
    stored = len(state["stored"])
    first = min(i.published for i in items)
    new_latency: list[float] = []
    update_latency: list[float] = []
    for item in items:
        if item.key in state["covered"]:
            at, version = state["covered"][item.key]
            (new_latency if version == 1 else update_latency).append(at - item.published)
    last = max((at for at, _ in state["covered"].values()), default=first)
    stages = cpu_delta(after_load["cpu_by_stage"], after_idle["cpu_by_stage"])
    # CPU of threads with no Python stack (onnxruntime's own pool, running clustering's
    # sentence model) is in the process's CPU but in no sampled stage
    stages["native threads (sentence model)"] = max(0.0, cpu_load - sum(stages.values()))
    # intake: articles stored from the first to the moment all were (the feeds were behind)
    stored_times = [t for t, _, st, _ in samples if st > 0]
    all_stored = [t for t, _, st, _ in samples if st >= stored]
    intake = (
        stored / (all_stored[0] - stored_times[0] + 5.0) if stored_times and all_stored else None
    )
    idle_stages = cpu_delta(after_idle["cpu_by_stage"], before_idle["cpu_by_stage"])
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": git_commit(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "items": len(items),
        "stored": stored,
        "covered": len(state["covered"]),
        "stories": state["stories"],
        "explainers": state["explainers"],
        "load_seconds": last - first,
        "articles_per_s": len(state["covered"]) / (last - first) if last > first else 0.0,
        "stored_per_s": intake,
        "samples": samples,
        "cpu_load_s": cpu_load,
        "cpu_s_per_article": cpu_load / stored if stored else None,
        "database": args.database,
        "db_cpu_s_per_article": db_load / stored if stored and db_load is not None else None,
        "cpu_s_per_article_by_stage": {k: v / stored for k, v in stages.items()} if stored else {},
        "idle": {
            "seconds": args.idle,
            "polls_304": polls_304,
            "polls_200": polls_200,
            "cpu_s": cpu_idle,
            "cpu_s_per_304": cpu_idle / polls_304 if polls_304 else None,
            "cpu_by_stage": idle_stages,
        },
        "poll_lag_s": {"quiet": quantiles(idle_lags), "load": quantiles(load_lags)},
        "explainer_latency_s": {
            "new_story": quantiles(new_latency),
            "update": quantiles(update_latency),
        },
        "setup": setup_name(args),
        "peak_rss_mb": max(u.max_rss_mb for u in usages),
        "total_cpu_s": sum(u.cpu_s for u in usages),
        "note": note,
    }


def setup_name(args: argparse.Namespace) -> str:
    if args.workers:
        return f"{args.workers} worker{'s' * (args.workers > 1)}, {args.database}"
    return f"watch, {args.database}"


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip()


def f(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    table = Table(
        title=f"capacity, {r['setup']}: {args.feeds} feeds on "
        f"{args.hosts} hosts, {r['items']} items at {args.rate:g}/s, polls every {args.every:g} s "
        f"({os.cpu_count()} cores, shared; load average {r['load_average_start']:.1f} at start, "
        f"{r['load_average_end']:.1f} at the end)"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("issue 28 target", justify="right")
    idle, lag, latency = r["idle"], r["poll_lag_s"], r["explainer_latency_s"]
    rows = [
        ("articles stored / covered by an explainer", f"{r['stored']} / {r['covered']}", ""),
        ("articles per second, end to end", f(r["articles_per_s"], ".2f"), ""),
        ("articles stored per second while behind", f(r["stored_per_s"], ".2f"), ""),
        ("CPU per article (ms)", f(_ms(r["cpu_s_per_article"]), ".0f"), "≤ 70"),
        *(
            (f"  … {stage}", f(v * 1000, ".1f"), "")
            for stage, v in sorted(r["cpu_s_per_article_by_stage"].items(), key=lambda kv: -kv[1])
        ),
        (
            "  + PostgreSQL's backends (ms per article)",
            f(_ms(r["db_cpu_s_per_article"]), ".0f"),
            "",
        ),
        ("CPU per unchanged poll (ms)", f(_ms(idle["cpu_s_per_304"]), ".1f"), "≤ 5"),
        ("unchanged polls in the quiet phase", f"{idle['polls_304']}", ""),
        ("poll lag p50 / p95 / max, quiet (s)", _q(lag["quiet"]), "p95 ≤ 60"),
        ("poll lag p50 / p95 / max, under load (s)", _q(lag["load"]), "p95 ≤ 60"),
        ("explainer latency, new story p50 / p95 / max (s)", _q(latency["new_story"]), "p95 ≤ 60"),
        ("explainer latency, update p50 / p95 / max (s)", _q(latency["update"]), "p95 ≤ 120"),
        ("peak RSS (MB)", f(r["peak_rss_mb"], ".0f"), "≤ 400"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if r["note"]:
        console.print(f"[yellow]{r['note']}[/]")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "capacity.json"
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        kept = {}
    kept[r["setup"]] = r  # each setup's latest run
    path.write_text(json.dumps(kept, indent=2) + "\n")


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _q(q: dict[str, float | None]) -> str:
    return f"{f(q['p50'])} / {f(q['p95'])} / {f(q['max'])} (n={q['n']})"


if __name__ == "__main__":
    main()
