"""The log on stderr of the long-running commands (`watch`, `worker`): plain lines or JSON
lines, one formatter of each for every command."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import typer

FORMATS = ("plain", "json")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's structured fields: storybrief's ``extra={"fields": …}``, and the action and
    job that Procrastinate puts on its own records."""
    fields: dict[str, Any] = {}
    action = getattr(record, "action", None)
    if isinstance(action, str):
        fields["action"] = action
    job = getattr(record, "job", None)
    if isinstance(job, dict):
        fields.update({"job": job.get("id"), "task": job.get("task_name")})
    fields.update(getattr(record, "fields", {}))
    return fields


class JsonLines(logging.Formatter):
    """One JSON object a line: at, level, event, logger (outside storybrief), the fields, and
    the traceback of an exception as ``error``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        if not record.name.startswith("storybrief"):
            entry["logger"] = record.name
        entry.update(_fields(record))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class Plain(logging.Formatter):
    """``2026-11-29 15:40:51 info event key=value …``, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{stamp} {record.levelname.lower()} {record.getMessage()} {fields}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


#: Loggers whose INFO lines are one per HTTP request (129 lines for a poll of 120 pages):
#: DEBUG here, so that INFO is the pipeline's own lines.
HTTP_LOGGERS = ("httpx", "httpcore")
#: The extraction libraries, which warn about a page they give up on; storybrief then falls
#: back or records the item's failure with its reason, so their warnings are DEBUG here.
EXTRACTION_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")
#: Procrastinate's lines that say nothing about a job's outcome: its set-up on every start
#: (also for `--apply-schema`), each job deferred and each job started. A job's end (success,
#: error, retry) and the worker's start and stop stay INFO.
QUEUE_CHATTER = frozenset(
    {
        "loading_blueprint",
        "registering_periodic_task",
        "periodic_task_deferred",
        "periodic_task_already_deferred",
        "jobs_deferred",
        "about_to_defer_job",
        "start_job",
    }
)


class Quieter(logging.Filter):
    """Demotes to DEBUG what other libraries log at INFO (or warn about) that is not the
    pipeline's news: HTTP requests, Procrastinate's set-up and job starts, the extraction
    libraries' complaints; then lets through the records at ``level`` and above. (A handler's
    level is checked before its filters, so the level is checked here, after demoting.)"""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR and _chatter(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.level


def _chatter(record: logging.LogRecord) -> bool:
    top = record.name.partition(".")[0]
    if top in HTTP_LOGGERS:
        return record.levelno <= logging.INFO
    if top in EXTRACTION_LOGGERS:
        return True
    return top == "procrastinate" and getattr(record, "action", None) in QUEUE_CHATTER


def log_to_stderr(
    log_format: str, *, level: str = "info", loggers: tuple[str, ...] = ("storybrief",)
) -> None:
    """Send the records of ``loggers`` at ``level`` and above to stderr, as ``log_format``
    (plain or json) lines; other libraries' chatter (:class:`Quieter`) only at ``debug``."""
    if log_format not in FORMATS:
        raise typer.BadParameter(f"--log-format is plain or json, not {log_format!r}")
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise typer.BadParameter(
            f"--log-level is debug, info, warning, error or critical, not {level!r}"
        )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else Plain())
    handler.addFilter(Quieter(number))
    for name in loggers:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(number)
        logger.propagate = False


def log_format_option() -> Any:
    return typer.Option("plain", "--log-format", help="Log lines on stderr: plain or json.")
