"""`storybrief stories`, `story`, `recluster` and `feedback`."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from .output import console, print_json, settings_of, when


def stories(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="How many (most recently updated first)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stories: size, outlets, time span, title."""
    from ..api import open_store

    with open_store(settings_of(ctx)) as store:
        rows = store.list_stories(limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"stories ({len(rows)} shown)")
    for column in ("id", "title", "articles", "outlets", "first seen", "last seen", "explainers"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            escape(r.title or "(untitled)"),
            str(r.size),
            escape(", ".join(r.outlets)),
            when(r.first_seen),
            when(r.last_seen),
            str(r.explainer_versions),
        )
    console.print(table)


def story(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., help="Story id (see `storybrief stories`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one story with its articles (near-duplicates marked)."""
    from ..api import open_store

    with open_store(settings_of(ctx)) as store:
        summary = store.get_story(story_id)
        members = store.get_articles(store.story_article_ids(story_id))
        duplicates = store.duplicates_in(story_id)
    if as_json:
        print_json(
            {
                "story": summary,
                "articles": [
                    {
                        "id": a.id,
                        "title": a.title,
                        "outlet": a.outlet,
                        "published_at": a.published_at,
                        "url": a.canonical_url or a.url,
                        "duplicate_of": duplicates.get(a.id or 0),
                    }
                    for a in members
                ],
            }
        )
        return
    console.print(f"[bold]{escape(summary.title or '(untitled)')}[/]  story {summary.id}")
    console.print(
        f"{summary.size} articles from {len(summary.outlets)} outlets, "
        f"{when(summary.first_seen)} – {when(summary.last_seen)}, "
        f"{summary.explainer_versions} explainer version(s)"
    )
    table = Table()
    for column in ("id", "title", "outlet", "published", "copy of"):
        table.add_column(column, overflow="fold")
    for a in members:
        table.add_row(
            str(a.id),
            escape(a.title or "(untitled)"),
            escape(a.outlet or ""),
            when(a.published_at),
            str(duplicates.get(a.id or 0, "")),
        )
    console.print(table)


def recluster(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Rebuild every story from the stored articles (each keeps its best-matching old id)."""
    from ..api import open_store
    from ..cluster import recluster as run_recluster

    settings = settings_of(ctx)
    with open_store(settings) as store, console.status("reclustering…"):
        report = run_recluster(store, settings)
    if as_json:
        print_json(report)
        return
    console.print(
        f"{report.articles} articles in {report.stories} stories: {report.kept} kept their id, "
        f"{report.created} new, {report.removed} old stories removed"
    )


def feedback(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="How many explainer versions (newest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Readers' answers to "Do you find this article useful?" per explainer version, with the
    latest reasons given with a No."""
    from ..api import open_store

    with open_store(settings_of(ctx)) as store:
        rows: list[dict[str, Any]] = [
            {
                "explainer_id": e,
                "story_id": s,
                "version": v,
                "yes": y,
                "no": n,
                "reasons": store.feedback_reasons(e, limit=5),
            }
            for e, s, v, y, n in store.feedback_stats(limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no reader has answered yet")
        return
    table = Table(title="reader feedback")
    for column in ("story", "version", "yes", "no", "latest reasons (No)"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["story_id"]),
            str(r["version"]),
            str(r["yes"]),
            str(r["no"]),
            escape(" | ".join(r["reasons"])),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(stories)
    app.command()(story)
    app.command()(recluster)
    app.command()(feedback)
