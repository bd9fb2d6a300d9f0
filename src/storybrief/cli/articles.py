"""`storybrief ingest`, `articles`, `show`, `failures`, `paths`."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .output import (
    allow_private_option,
    console,
    errors,
    library_of,
    print_json,
    print_table,
    settings_of,
    when,
)

if TYPE_CHECKING:
    from ..ingest import Document
    from ..library import Library

_STATUS_STYLE = {
    "new": "green",
    "updated": "cyan",
    "duplicate": "dim",
    "unchanged": "dim",
    "failed": "red",
}


def ingest(
    ctx: typer.Context,
    sources: list[str] = typer.Argument(
        ...,
        help="Files (text, HTML, feed, OPML) or URLs (page, RSS/Atom/JSON feed, OPML); "
        "- reads standard input: URLs one per line, or one document.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    allow_private: bool | None = allow_private_option(),
) -> None:
    """Fetch, extract and store articles. Exit status 1 if anything failed."""
    lib = library_of(ctx, **{"fetch.allow_private_addresses": allow_private})
    given: list[str | Document] = _with_stdin(lib, sources) if "-" in sources else [*sources]
    if as_json:
        report = lib.ingest(given)
    else:
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        with progress:
            task = progress.add_task("ingesting", total=len(given))
            report = lib.ingest(
                given,
                on_item=lambda item: progress.update(
                    task, advance=1, description=escape(item.location[-60:])
                ),
                on_expand=lambda n: progress.update(task, total=(progress.tasks[0].total or 0) + n),
            )
    stories = [
        {"story_id": c.story_id, "created": c.created, "added": c.added, "duplicates": c.duplicates}
        for c in report.stories
    ]
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "counts": report.counts,
                "items": report.items,
                "stories": stories,
                "explained": report.explained,
                "left_out": [
                    {**dataclasses.asdict(left), "message": left.message}
                    for left in report.left_out
                ],
            }
        )
    else:
        table = Table(title="ingest", show_lines=False)
        for column in ("status", "id", "title / reason", "location"):
            table.add_column(column, overflow="fold")
        for item in report.items:
            style = _STATUS_STYLE[item.status]
            table.add_row(
                f"[{style}]{item.status}[/]",
                str(item.article_id or ""),
                escape((item.reason if item.status == "failed" else item.title) or ""),
                escape(item.location),
            )
        console.print(table)
        console.print(
            ", ".join(f"{n} {status}" for status, n in report.counts.items() if n)
            or "nothing to ingest"
        )
        for left in report.left_out:
            console.print(
                f"[yellow]left out:[/] {escape(left.message)}", highlight=False, soft_wrap=True
            )
        if report.stories:
            made = sum(c.created for c in report.stories)
            console.print(
                f"stories: {made} new, {len(report.stories) - made} grew"
                + "".join(
                    f"; story {sid}: explainer v{what}"
                    if isinstance(what, int)
                    else f"; story {sid}: explainer not updated ({escape(what)})"
                    for sid, what in report.explained
                )
            )
    raise typer.Exit(0 if report.ok else 1)


def _with_stdin(lib: Library, sources: list[str]) -> list[str | Document]:
    """``-`` replaced by what standard input holds (read once, at most fetch.max_bytes)."""
    if sources.count("-") > 1:
        raise typer.BadParameter("standard input (-) can be read only once")
    if sys.stdin is None or sys.stdin.isatty():
        errors.print("reading URLs (one per line) or a document; end with Ctrl+D")
    stream = sys.stdin.buffer if sys.stdin is not None else None
    data = stream.read(lib.settings.fetch.max_bytes + 1) if stream is not None else b""
    given = lib.input_sources(data)
    return [x for s in sources for x in (given if s == "-" else [s])]


def articles(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="How many (newest first)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stored articles, newest first."""
    rows = library_of(ctx).articles(limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    print_table(
        f"articles ({len(rows)} shown)",
        ("id", "title", "outlet", "published", "words", "story"),
        [
            (
                str(r.id),
                escape(r.title or "(untitled)"),
                escape(r.site_name or ""),
                when(r.published_at),
                str(r.words),
                str(r.story_id or ""),
            )
            for r in rows
        ],
    )


def show(
    ctx: typer.Context,
    article_id: int = typer.Argument(..., help="Article id (see `storybrief articles`)."),
    sentences: bool = typer.Option(False, "--sentences", help="Number the sentences."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one article: metadata and text (or its numbered sentences)."""
    a = library_of(ctx).article(article_id)
    if as_json:
        print_json(a)
        return
    console.print(f"[bold]{escape(a.title or '(untitled)')}[/]")
    for label, value in (
        ("outlet", a.site_name),
        ("authors", ", ".join(a.authors)),
        ("published", when(a.published_at) if a.published_at else None),
        ("url", a.canonical_url or a.url),
        ("language", a.language),
        ("source", a.source),
    ):
        if value:
            console.print(f"[dim]{label}:[/] {escape(str(value))}")
    console.print()
    if sentences:
        for s in a.sentences:
            style = "bold" if s.is_heading else ""
            console.print(
                f"[dim]{s.index:>3}[/] [{style}]{escape(s.text)}[/]"
                if style
                else f"[dim]{s.index:>3}[/] {escape(s.text)}"
            )
    else:
        console.print(escape(a.text))


def failures(
    ctx: typer.Context,
    limit: int = typer.Option(20, help="How many (newest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List recent ingest failures with their reasons."""
    rows = library_of(ctx).failures(limit=limit)
    if as_json:
        print_json(
            [{"location": r.location, "reason": r.reason, "at": r.occurred_at} for r in rows]
        )
        return
    print_table(
        "recent failures",
        ("when", "location", "reason"),
        [(when(r.occurred_at), escape(r.location), escape(r.reason)) for r in rows],
    )


def paths(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Where storybrief keeps its config file and database."""
    from ..settings import default_config_file

    settings = settings_of(ctx)
    info = {
        "config_file": str(default_config_file()),
        "data_dir": str(settings.data_dir),
        "database_url": settings.resolved_database_url,
    }
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        console.print(f"{key}: {escape(value)}")


def register(app: typer.Typer) -> None:
    for command in (ingest, articles, show, failures, paths):
        app.command()(command)
