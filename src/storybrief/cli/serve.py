"""`storybrief serve`: the web pages, JSON API and feeds."""

from __future__ import annotations

import typer

from .logs import log_to_stderr
from .output import console, settings_of


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None, "--host", help="Address to bind (default 127.0.0.1; others need an API token)."
    ),
    port: int | None = typer.Option(None, "--port", "-p", help="Port (default 8000)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    workers: int = typer.Option(
        1,
        "--workers",
        "-w",
        min=1,
        max=64,
        help="Worker processes (uvicorn workers); rate limits and page caches stay correct "
        "across them.",
    ),
    watch: bool = typer.Option(
        False, "--watch", help="Also follow the feeds in this process (as `storybrief watch`)."
    ),
    log_format: str = typer.Option(
        "plain", "--log-format", help="With --watch: the watcher's log on stderr, plain or json."
    ),
) -> None:
    """Serve the explainers: pages at /, JSON API at /api/v1, feeds at /feeds."""
    from ..serve import run
    from ..serve.security import check_bind

    settings = settings_of(ctx)
    shown_host = host or settings.serve.host
    shown_port = settings.serve.port if port is None else port
    check_bind(shown_host, settings)
    console.print(
        f"storybrief: http://{shown_host}:{shown_port}/  "
        f"(API: /api/v1/openapi.json, feeds: /feeds/explainers.rss) — Ctrl+C stops",
        highlight=False,
    )
    if not watch:
        run(settings, host=host, port=port, workers=workers, log_level=log_level)
        return
    from ..library import Library
    from ..watch import Supervisor, Watcher
    from .watch import event_logger

    # what the watcher does is logged as `watch` logs it; a watcher that dies is started again
    log_to_stderr(log_format)
    library = Library(settings)
    on_event = event_logger()
    name = "serve --watch"
    supervisor = Supervisor(
        library, lambda: Watcher(library, on_event=on_event, name=name), name=name
    ).start()
    try:
        run(settings, host=host, port=port, workers=workers, log_level=log_level)
    finally:
        supervisor.stop()  # the server has stopped: finish the work in hand, then stop
        library.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
