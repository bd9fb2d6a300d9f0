"""The extraction deadline counts the work's own CPU time, so a busy machine (other threads
holding the GIL, other processes) does not fail pages that are quick to extract."""

from __future__ import annotations

import threading
import time

import pytest

from storybrief.extract.limits import DeadlineExceeded, deadline


def _spin_cpu(seconds: float) -> None:
    """Burn ``seconds`` of this thread's CPU time in Python code."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        sum(range(1000))


def test_work_within_its_cpu_budget_passes_while_other_threads_compete():
    stop = threading.Event()

    def compete() -> None:
        while not stop.is_set():
            sum(range(1000))

    rivals = [threading.Thread(target=compete, daemon=True) for _ in range(3)]
    for rival in rivals:
        rival.start()
    try:
        started = time.monotonic()
        with deadline(0.4):
            _spin_cpu(0.15)  # within its CPU budget; about 4x that in wall-clock time
        waited = time.monotonic() - started
    finally:
        stop.set()
        for rival in rivals:
            rival.join()
    assert waited > 0.2  # the rivals did slow it down in wall-clock time


def test_work_past_its_budget_is_stopped():
    with pytest.raises(DeadlineExceeded), deadline(0.2):
        _spin_cpu(5.0)
