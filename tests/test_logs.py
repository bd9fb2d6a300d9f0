"""The log of the long-running commands (`watch`, `worker`, `serve --watch`): at INFO the
pipeline's own lines, and other libraries' chatter — a line per HTTP request, the task queue's
set-up and job starts, the extraction libraries' complaints — only at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from storybrief.cli.logs import log_to_stderr


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger as `storybrief worker` sets it up, put back afterwards."""
    root = logging.getLogger()
    handlers, level, propagate = root.handlers[:], root.level, root.propagate
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        root.propagate = propagate


def emit_a_poll() -> None:
    """What a worker's poll of a feed of two pages logs (the records as the libraries make
    them)."""
    queue = logging.getLogger("procrastinate.worker")
    job = {"id": 2, "task_name": "storybrief.poll_feed"}
    logging.getLogger("procrastinate.blueprints").info(
        "Adding tasks from blueprint", extra={"action": "loading_blueprint"}
    )
    queue.info("Starting worker on queues feeds", extra={"action": "start_worker"})
    queue.info("Starting job poll_feed[2]", extra={"action": "start_job", "job": job})
    for path in ("/feed.xml", "/robots.txt", "/news/a", "/news/b"):
        logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1%s "200 OK"', path)
    logging.getLogger("trafilatura.core").warning("discarding data: %s", None)
    logging.getLogger("procrastinate.manager").info(
        "Deferred 1 job", extra={"action": "jobs_deferred"}
    )
    logging.getLogger("storybrief.worker").info("poll of feed 1: ok, 2 new")
    queue.info(
        "Job poll_feed[2] ended with status: Success - Result: ok, 2 new",
        extra={"action": "job_success", "job": job},
    )
    logging.getLogger("httpx").warning("an HTTP warning stays a warning")
    queue.error("Job explain_story[3] ended with status: Error", extra={"action": "job_error"})


def test_info_is_the_pipelines_own_lines(root_logger, capsys):
    log_to_stderr("json", level="info", loggers=("",))
    emit_a_poll()
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["event"] for e in events] == [
        "Starting worker on queues feeds",
        "poll of feed 1: ok, 2 new",
        "Job poll_feed[2] ended with status: Success - Result: ok, 2 new",
        "an HTTP warning stays a warning",
        "Job explain_story[3] ended with status: Error",
    ]
    assert [e["level"] for e in events] == ["info", "info", "info", "warning", "error"]


def test_debug_shows_the_chatter_too_marked_debug(root_logger, capsys):
    log_to_stderr("plain", level="debug", loggers=("",))
    emit_a_poll()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 13  # every record
    http = [line for line in lines if "HTTP Request" in line]
    assert len(http) == 4 and all(" debug HTTP Request" in line for line in http)
    assert any(" debug Starting job poll_feed[2] action=start_job" in line for line in lines)
    assert any(" debug discarding data: None" in line for line in lines)
    assert any(" info poll of feed 1: ok, 2 new" in line for line in lines)
