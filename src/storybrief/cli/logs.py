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


def log_to_stderr(
    log_format: str, *, level: str = "info", loggers: tuple[str, ...] = ("storybrief",)
) -> None:
    """Send the records of ``loggers`` at ``level`` and above to stderr, as ``log_format``
    (plain or json) lines."""
    if log_format not in FORMATS:
        raise typer.BadParameter(f"--log-format is plain or json, not {log_format!r}")
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise typer.BadParameter(
            f"--log-level is debug, info, warning, error or critical, not {level!r}"
        )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else Plain())
    for name in loggers:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(number)
        logger.propagate = False


def log_format_option() -> Any:
    return typer.Option("plain", "--log-format", help="Log lines on stderr: plain or json.")
