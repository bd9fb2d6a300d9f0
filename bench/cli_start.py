"""CLI start benchmark: how long `storybrief stories`, `status` and `feeds list` take on an
empty database, whole process, start-up included (issue 28: target ≤ 0.4 s), beside the same
command with everything it imported before the imports were made lazy, and beside the floors
(`python -c pass`, `storybrief --help`).

    python bench/cli_start.py [--runs 15] [--warmup 2]

A temporary data directory gets its schema from a first `storybrief stories`; then each command
runs ``--runs`` times, all commands in turn (A B C … A B C …) so that what other jobs do to the
machine falls on every row alike. Each run is timed from outside: wall seconds (a monotonic
clock around the child), CPU seconds (user + system, the operating system's accounting of the
finished child) and its peak resident memory. Rows print min / median / max; quote the median.

"before (full import)" is `storybrief stories` in a process that first imports what the CLI's
library used to import at its top (clustering with datasketch and scipy, the engines and the
checker, ingest with extraction, feedparser and httpx, the readers' side, alembic, filelock):
the command as it started before this change, measured in the same run.

Writes bench/results/cli_start.json.
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

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

#: What storybrief.library (and so every CLI command that opens the library) imported at its
#: top before issue 28, and the store's alembic and filelock.
BEFORE = [
    "storybrief.cluster",
    "storybrief.explain",
    "storybrief.explain.engines",
    "storybrief.explain.reconcile",
    "storybrief.follow",
    "storybrief.ingest.pipeline",
    "storybrief.ingest.fetch",
    "storybrief.ingest.submit",
    "storybrief.readers",
    "storybrief.verify",
    "storybrief.verify.publish",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.script",
    "filelock",
]

RUN_CLI = "import sys; from storybrief.cli import main; sys.argv[0] = 'storybrief'; main()"


def commands() -> dict[str, list[str]]:
    py = sys.executable
    preload = "; ".join(f"import {m}" for m in BEFORE)
    return {
        "python -c pass (floor)": [py, "-c", "pass"],
        "storybrief --help": [py, "-c", RUN_CLI, "--help"],
        "storybrief stories": [py, "-c", RUN_CLI, "stories"],
        "storybrief status": [py, "-c", RUN_CLI, "status"],
        "storybrief feeds list": [py, "-c", RUN_CLI, "feeds", "list"],
        "stories, before (full import)": [py, "-c", f"{preload}; {RUN_CLI}", "stories"],
    }


def run_once(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode:
        raise SystemExit(f"{argv[-1]} exited {child.returncode}: {err[-500:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    console = Console(width=120)

    with tempfile.TemporaryDirectory(prefix="storybrief-cli-start-") as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
        env.update(
            STORYBRIEF_DATA_DIR=scratch,
            XDG_CONFIG_HOME=str(Path(scratch) / "config"),
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        )
        todo = commands()
        run_once(todo["storybrief stories"], env)  # the schema, made once
        for _ in range(args.warmup):
            for argv in todo.values():
                run_once(argv, env)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in todo}
        for _ in range(args.runs):
            for name, argv in todo.items():
                runs[name].append(run_once(argv, env))

    rows = {
        name: {key: spread([r[key] for r in done]) for key in ("wall", "cpu", "rss_mb")}
        for name, done in runs.items()
    }
    before = rows["stories, before (full import)"]["wall"]["median"]
    table = Table(
        title=f"CLI start on an empty database, whole process ({args.runs} runs each, in turn)"
    )
    for column in ("command", "wall s min / median / max", "CPU s median", "peak MB", "vs before"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, row in rows.items():
        wall = row["wall"]
        table.add_row(
            name,
            f"{wall['min']:.3f} / {wall['median']:.3f} / {wall['max']:.3f}",
            f"{row['cpu']['median']:.3f}",
            f"{row['rss_mb']['median']:.0f}",
            f"{wall['median'] / before:.2f}×",
        )
    console.print(table)
    console.print(
        "target (issue 28): `storybrief stories` and `storybrief status` ≤ 0.4 s; load average "
        f"at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "load_average_end": os.getloadavg()[0],
        "runs": args.runs,
        "rows": rows,
    }
    (RESULTS / "cli_start.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
