"""What bench/capacity.py puts inside the `storybrief watch` it measures (started with
``python -c "import capacity_probe; capacity_probe.start(OUT); <the CLI>"``):

- CPU by stage: every ``INTERVAL`` seconds a thread reads each thread's CPU time from
  /proc/self/task/<tid>/stat and gives the CPU that thread used since the last look to the stage
  its Python stack is in now (innermost storybrief or library frame first: fetch, feed, extract,
  store, index, cluster, explain, check, ingest (the item loop, records), watcher (the rounds,
  the library's verbs, logging); "other" for a stack with none of these). A sampling
  profiler weighted by CPU, so time a thread spends waiting on a socket or a lock counts
  nowhere.
- Poll lag: ``Library.due`` is wrapped to note each due feed's ``next_poll_at`` (in a worker,
  whose poll job may run in another process than the tick that found the feed due, the job
  reads it from the store: one query more per poll), and ``Feeds.poll`` to note when its
  poll starts; the lag is the difference.

Both are written as JSON to OUT every few seconds and at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INTERVAL = 0.02
CLK_TCK = os.sysconf("SC_CLK_TCK")

#: (stage, path fragments of a frame's file), innermost frame first, first match wins.
STAGES = [
    ("index", ("storybrief/store/search",)),
    ("store", ("storybrief/store/", "sqlalchemy/", "sqlite3/", "psycopg/", "alembic/")),
    ("feed", ("feedparser/", "storybrief/ingest/feed_parser")),
    (
        "fetch",
        (
            "httpx/",
            "httpcore/",
            "h11/",
            "storybrief/ingest/fetch",
            "storybrief/ingest/polite",
            "storybrief/ingest/guard",
            "ssl.py",
            "socket.py",
            "urllib/robotparser",
        ),
    ),
    (
        "extract",
        (
            "trafilatura/",
            "justext/",
            "htmldate/",
            "courlan/",
            "lxml/",
            "charset_normalizer",
            "storybrief/extract/",
            "storybrief/text.py",
            "sentencex/",
        ),
    ),
    (
        "cluster",
        (
            "storybrief/cluster/",
            "datasketch/",
            "scipy/",
            "sklearn/",
            "numpy/",
            "storybrief/semantic",
            "onnxruntime",
            "tokenizers",
        ),
    ),
    ("check", ("storybrief/verify/",)),
    ("explain", ("storybrief/explain/",)),
    ("ingest", ("storybrief/ingest/", "storybrief/records", "storybrief/topics")),
    (
        "watcher",
        (
            "storybrief/watch",
            "storybrief/library",
            "storybrief/follow",
            "storybrief/cli/",
            "logging/",
        ),
    ),
]

cpu_by_stage: dict[str, float] = {}
lags: list[float] = []
_due: dict[int, datetime] = {}
_lock = threading.Lock()


def stage_of(frame: Any) -> str:
    while frame is not None:
        path = frame.f_code.co_filename
        for stage, fragments in STAGES:
            if any(f in path for f in fragments):
                return stage
        frame = frame.f_back
    return "other"


def thread_cpu(native_id: int) -> float | None:
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _sample_forever(out: Path) -> None:
    me = threading.get_ident()
    last: dict[int, float] = {}
    flushed = time.monotonic()
    while True:
        time.sleep(INTERVAL)
        frames = sys._current_frames()
        natives = {t.ident: t.native_id for t in threading.enumerate()}
        for ident, frame in frames.items():
            native = natives.get(ident)
            if ident == me or native is None:
                continue
            cpu = thread_cpu(native)
            if cpu is None:
                continue
            used = cpu - last.get(native, cpu)
            last[native] = cpu
            if used > 0:
                stage = stage_of(frame)
                with _lock:
                    cpu_by_stage[stage] = cpu_by_stage.get(stage, 0.0) + used
        if time.monotonic() - flushed > 3.0:
            write(out)
            flushed = time.monotonic()


def write(out: Path) -> None:
    with _lock:
        data = {"cpu_by_stage": dict(cpu_by_stage), "poll_lags": list(lags)}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(out)


def _wrap_polls(lag_from: str) -> None:
    from storybrief.follow import Feeds
    from storybrief.library import Library

    real_due = Library.due
    real_poll = Feeds.poll

    def due(self: Any, now: Any = None, *, limit: int = 1000) -> Any:
        found = real_due(self, now, limit=limit)
        if lag_from == "due":
            with _lock:
                for feed in found.feeds:
                    if feed.next_poll_at is not None:
                        _due[feed.id] = feed.next_poll_at
        return found

    def poll(self: Any, feed_id: int, **kwargs: Any) -> Any:
        with _lock:
            due_at = _due.pop(feed_id, None)
        if lag_from == "store":  # workers: the job may run in another process than the tick
            try:
                due_at = self.store.feeds.get(feed_id).next_poll_at
            except Exception:  # the feed is gone: the poll says so itself
                due_at = None
        if due_at is not None:
            lag = (datetime.now(UTC) - due_at).total_seconds()
            with _lock:
                lags.append(lag)
        return real_poll(self, feed_id, **kwargs)

    Library.due = due  # type: ignore[method-assign]
    Feeds.poll = poll  # type: ignore[method-assign]


def start(out: str, lag_from: str = "due") -> None:
    """``lag_from``: "due" (the watcher: what ``Library.due`` said before the round's polls)
    or "store" (workers: the feed's ``next_poll_at`` read when its poll job starts)."""
    path = Path(out)
    _wrap_polls(lag_from)
    threading.Thread(target=_sample_forever, args=(path,), daemon=True, name="probe").start()
    atexit.register(write, path)
