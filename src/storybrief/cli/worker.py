"""`storybrief worker`: one worker of worker mode (Procrastinate on PostgreSQL)."""

from __future__ import annotations

import logging

import typer

from .logs import log_format_option, log_to_stderr
from .output import console, settings_of


def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, help="Jobs run at once (default worker.concurrency)."
    ),
    once: bool = typer.Option(False, "--once", help="Run jobs until none is left, then exit."),
    queue: list[str] | None = typer.Option(
        None,
        "--queue",
        help="Only take jobs of this stage's queue: feeds, stories or explain (repeatable; "
        "default all).",
    ),
    apply_schema: bool = typer.Option(
        False,
        "--apply-schema",
        help="Create the job tables in the database (once per database; idempotent), then exit.",
    ),
    log_level: str = typer.Option(
        "info",
        "--log-level",
        help="info: each job's outcome; debug: also each HTTP request and the queue's own lines.",
    ),
    log_format: str = log_format_option(),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="No line on standard output about what it runs, only the log.",
    ),
) -> None:
    """Run a worker: poll due feeds, put articles in stories, explain stories — with the
    other workers on any machine that share the PostgreSQL database (needs the worker extra)."""
    from ..worker import Workers

    # every logger (Procrastinate's jobs, storybrief's stages) through one handler
    log_to_stderr(log_format, level=log_level, loggers=("",))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the store's migrations
    settings = settings_of(ctx)
    workers = Workers(settings)
    if apply_schema:
        with workers:
            created = workers.apply_schema()
        console.print(
            "storybrief: job tables created" if created else "storybrief: job tables already there",
            highlight=False,
        )
        return
    if not quiet:
        console.print(
            f"storybrief worker: queues {', '.join(queue) if queue else 'all'}, "
            f"{concurrency or settings.worker.concurrency} at a time"
            + (", until none is left" if once else " — Ctrl+C stops"),
            highlight=False,
        )
    try:
        workers.run(concurrency=concurrency, once=once, queues=queue or None)
    finally:
        workers.close()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
