"""`storybrief feeds …`, `watch` and `status`: following feeds, as a thin layer over the library
and :mod:`storybrief.watch`."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape

from .logs import log_format_option, log_to_stderr
from .output import console, errors, library_of, print_json, print_table, when

feeds_app = typer.Typer(
    help="The feeds storybrief follows (the feeds `ingest` has read are among them).",
    no_args_is_help=True,
)


@feeds_app.command("add")
def feeds_add(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="A feed URL, or an OPML file listing feeds."),
    every: str | None = typer.Option(
        None, "--every", help="Poll interval, e.g. 30s, 15m, 2h (default watch.poll_every_seconds)."
    ),
    pages: bool | None = typer.Option(
        None, "--pages/--no-pages", help="Fetch each item's page (default fetch.feed_pages)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Follow a feed, or every feed of an OPML file."""
    from ..follow import feed_summary, parse_duration

    seconds = parse_duration(every) if every else None
    followed = library_of(ctx).feeds.follow(source, every=seconds, fetch_pages=pages)
    if followed.left_out is not None:
        errors.print(
            f"left out: {escape(followed.left_out.message)}", highlight=False, soft_wrap=True
        )
    if as_json:
        print_json([feed_summary(f) for f in followed.feeds])
        return
    for feed in followed.feeds:
        console.print(f"following {escape(feed.url)} (feed {feed.id})", highlight=False)
    if len(followed.feeds) > 1:
        console.print(f"{len(followed.feeds):,} feeds followed", highlight=False)


@feeds_app.command("list")
def feeds_list(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """The followed feeds: interval, last success and error, next poll, items seen."""
    from ..follow import feed_summary

    rows = [feed_summary(f) for f in library_of(ctx).feeds.all()]
    if as_json:
        print_json(rows)
        return
    _feeds_table(rows)


def _feeds_table(rows: list[dict[str, Any]]) -> None:
    print_table(
        f"feeds ({len(rows)})",
        ("id", "feed", "every", "last success", "last error", "next poll", "items"),
        [
            (
                str(r["id"]) + ("" if r["enabled"] else " (off)"),
                escape(r["title"] or r["url"]),
                f"{r['every']} s" if r["every"] else "default",
                when(r["last_success"]),
                escape((r["last_error"] or "")[:80])
                + (f" (×{r['failures']})" if r["failures"] else ""),
                when(r["next_poll"]),
                str(r["items"]),
            )
            for r in rows
        ],
    )


@feeds_app.command("remove")
def feeds_remove(
    ctx: typer.Context, feed: str = typer.Argument(..., help="Feed id or URL.")
) -> None:
    """Stop following a feed (its articles stay)."""
    library_of(ctx).feeds.remove(int(feed) if feed.isdigit() else feed)
    console.print(f"no longer following {escape(feed)}", highlight=False)


@feeds_app.command("set")
def feeds_set(
    ctx: typer.Context,
    feed: str = typer.Argument(..., help="Feed id or URL."),
    every: str | None = typer.Option(None, "--every", help="Poll interval, e.g. 15m."),
    pages: bool | None = typer.Option(None, "--pages/--no-pages", help="Fetch item pages."),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Poll it or not."),
) -> None:
    """Change one feed's own settings."""
    from ..follow import parse_duration

    fields: dict[str, Any] = {}
    if every is not None:
        fields["poll_every_seconds"] = round(parse_duration(every))
    if pages is not None:
        fields["fetch_pages"] = pages
    if enabled is not None:
        fields["enabled"] = enabled
    updated = library_of(ctx).feeds.update(int(feed) if feed.isdigit() else feed, **fields)
    console.print(f"feed {updated.id}: {escape(updated.url)} updated", highlight=False)


@feeds_app.command("export")
def feeds_export(ctx: typer.Context) -> None:
    """The followed feeds as OPML, on standard output."""
    sys.stdout.write(library_of(ctx).feeds.export_opml())


def event_logger() -> Callable[[str, dict], None]:
    """What the watcher does, as log lines (``storybrief.watch``): a poll that brought new
    articles (info) or failed (warning), stories made or grown, explainers written or failed.
    `watch` and `serve --watch` log the same lines."""
    logger = logging.getLogger("storybrief.watch")

    def on_event(kind: str, fields: dict) -> None:
        if kind == "poll":
            level = logging.WARNING if fields["status"] == "failed" else logging.INFO
            if fields["new"] or fields["status"] == "failed":
                logger.log(level, "poll", extra={"fields": fields})
        elif kind == "explained":
            logger.info("explained", extra={"fields": fields})
        elif kind == "explain_failed":
            logger.warning("explain failed", extra={"fields": fields})
        elif kind == "stories":
            logger.info("stories", extra={"fields": fields})

    return on_event


def watch(
    ctx: typer.Context,
    once: bool = typer.Option(
        False, "--once", help="Poll every feed once, process until nothing is pending, exit."
    ),
    log_format: str = log_format_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No status line, only the log."),
) -> None:
    """Follow the feeds: poll each when due, store new articles, group them into stories and
    keep every story's explainer current, until stopped (Ctrl+C or SIGTERM finish the work in
    hand first)."""
    from ..watch import Watcher

    lib = library_of(ctx)
    log_to_stderr(log_format)
    live = console.is_terminal and not quiet
    status = errors.status("watching…", spinner="dots") if live else None
    log_event = event_logger()
    counts = {"polls": 0, "new": 0, "explained": 0, "polling": 0}

    def on_event(kind: str, fields: dict) -> None:
        log_event(kind, fields)
        if kind == "polling":
            counts["polling"] += 1
        elif kind == "poll":
            counts["polls"] += 1
            counts["polling"] = max(0, counts["polling"] - 1)
            counts["new"] += fields["new"]
        elif kind == "explained":
            counts["explained"] += 1
        if status is not None:
            status.update(
                f"watching {len(lib.feeds.all())} feeds: {counts['polls']} polls"
                + (f" ({counts['polling']} under way)" if counts["polling"] else "")
                + f", {counts['new']} new articles, {counts['explained']} explainers"
                + (" — idle" if kind == "idle" else "")
            )

    watcher = Watcher(lib, on_event=on_event)
    previous = signal.signal(signal.SIGTERM, lambda *_: watcher.stop.set())
    logger = logging.getLogger("storybrief.watch")
    logger.info("watching", extra={"fields": {"feeds": len(lib.feeds.all()), "once": once}})
    try:
        if status is not None:
            status.start()
        total = watcher.run(once=once)
    except KeyboardInterrupt:
        watcher.stop.set()
        watcher.close()
        total = None
    finally:
        if status is not None:
            status.stop()
        signal.signal(signal.SIGTERM, previous)
        logger.info("stopped")
    if once and total is not None:
        console.print(
            f"{len(total.polls)} feeds polled, {total.new_articles} new articles, "
            f"{total.stories} stories made or grown, {len(total.explained)} explainers written"
            + (f", {len(total.failed)} failed" if total.failed else "")
            + (f"; the round failed: {total.errors[-1]}" if total.errors else ""),
            highlight=False,
        )
        if any(p.status == "failed" for p in total.polls) or total.failed or total.errors:
            raise typer.Exit(1)


def watcher_summary(status: Any) -> dict[str, Any]:
    """A watcher's row for `status` (:class:`storybrief.results.WatcherStatus`)."""
    r = status.record
    return {
        "name": r.name,
        "host": r.host,
        "pid": r.pid,
        "health": status.health,
        "state": r.state,
        "started": r.started_at,
        "heartbeat": r.heartbeat_at,
        "failed_rounds": r.failures,
        "restarts": r.restarts,
        "last_error": r.last_error,
        "last_error_at": r.last_error_at,
    }


def _watchers_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("watchers: none has run on this database (storybrief watch)")
        return
    print_table(
        f"watchers ({len(rows)})",
        ("watcher", "health", "since", "last heard", "restarts", "last error"),
        [
            (
                escape(f"{r['name']} on {r['host']} (pid {r['pid']})"),
                r["health"] + (f" ({r['failed_rounds']} rounds)" if r["failed_rounds"] else ""),
                when(r["started"]),
                when(r["heartbeat"]),
                str(r["restarts"]),
                escape((r["last_error"] or "")[:120]),
            )
            for r in rows
        ],
    )


def status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """The watchers (health, last heard from, restarts, last error), feeds (last success, last
    error, next poll, items), pending work, stories waiting for an explainer, and throughput
    in the last hour."""
    from ..follow import feed_summary

    lib = library_of(ctx)
    feeds = [feed_summary(f) for f in lib.feeds.all()]
    watchers = [watcher_summary(w) for w in lib.watchers()]
    pending = lib.pending()
    hour = lib.throughput(hours=1)
    if as_json:
        print_json({"watchers": watchers, "feeds": feeds, "pending": pending, "last_hour": hour})
        return
    _watchers_table(watchers)
    _feeds_table(feeds)
    console.print(
        f"pending: {pending.feeds_due} feeds due, {pending.articles_without_story} articles "
        f"without a story, {pending.stories_without_explainer} stories waiting for their first "
        f"explainer, {pending.stories_changed} grown since their latest, "
        f"{pending.stories_unexplainable} with nothing publishable (until an article joins)",
        highlight=False,
    )
    console.print(
        f"last hour: {hour['articles']} articles stored, {hour['explainers']} explainers written",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
    app.command()(watch)
    app.command()(status)
