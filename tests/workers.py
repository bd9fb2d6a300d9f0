"""What tests run in child processes. The children come from a fork server that has imported
this module (``PRELOAD``): quick to start, and not forks of the test process, whose other
threads may hold locks. Keep the imports light: no pytest here."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

import storybrief.cluster
from storybrief.api import ingest
from storybrief.settings import Settings
from storybrief.store import Store

PRELOAD = [__name__]


def context() -> ForkServerContext:
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)  # no effect once the server runs: same list
    return forkserver


def open_at_once(url: str, ready: Any, outcomes: Any) -> None:
    """Wait for the other children (a barrier), then open the database, so migrating it if it
    is fresh; put ("ok", number of articles) or ("failed", why) on ``outcomes``."""
    try:
        ready.wait(timeout=60)
        with Store.open(url) as store:
            outcomes.put(("ok", store.articles.count()))
    except BaseException as exc:
        outcomes.put(("failed", f"{type(exc).__name__}: {exc}"))


def ingest_then_die(files: list[Path], settings: Settings) -> None:
    """Ingest, and be killed (SIGKILL) just before clustering."""

    def killed(*_args: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    # the library imports clustering when it first assigns (26d6add): its door is the package
    storybrief.cluster.assign = killed  # type: ignore[assignment]
    ingest(files, settings=settings)
