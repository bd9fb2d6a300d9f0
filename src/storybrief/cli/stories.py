"""`storybrief stories`, `story`, `recluster` and `feedback`."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from .output import console, library_of, print_json, print_table, when


def stories(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="How many (most recently updated first)."),
    offset: int = typer.Option(0, help="Skip this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stories: size, outlets, time span, title."""
    rows = library_of(ctx).stories(limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    print_table(
        f"stories ({len(rows)} shown)",
        ("id", "title", "articles", "outlets", "first seen", "last seen", "explainers"),
        [
            (
                str(r.id),
                escape(r.title or "(untitled)"),
                str(r.size),
                escape(", ".join(r.outlets)),
                when(r.first_seen),
                when(r.last_seen),
                str(r.explainer_versions),
            )
            for r in rows
        ],
    )


def story(
    ctx: typer.Context,
    story_id: int = typer.Argument(..., help="Story id (see `storybrief stories`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one story with its articles (near-duplicates marked) and its coverage: outlets,
    first and latest report, and how it grew (articles as they arrived, explainer versions)."""
    lib = library_of(ctx)
    detail = lib.story(story_id)
    coverage = lib.coverage(story_id)
    summary, members, duplicates = detail.summary, detail.articles, detail.duplicates
    if as_json:
        print_json(
            {
                "story": summary,
                "coverage": coverage,
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
        f"first report {when(coverage.first_report)}, latest {when(coverage.latest_report)}, "
        f"{summary.explainer_versions} explainer version(s)"
        + (f", topic {escape(summary.topic)}" if summary.topic else "")
    )
    if coverage.outlets:
        console.print(
            "outlets: " + ", ".join(f"{escape(o.outlet)} ({o.articles})" for o in coverage.outlets)
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
    grew = Table(title="how the story grew")
    for column in ("stored", "what"):
        grew.add_column(column, overflow="fold")
    for e in coverage.timeline:
        if e.kind == "article":
            what = f"article {e.article_id}: {e.title or '(untitled)'}"
            what += f" ({e.outlet})" if e.outlet else ""
            what += f" → explainer version {e.version}" if e.version else ""
        else:
            what = f"explainer version {e.version} from {len(e.added)} new article(s)"
        grew.add_row(when(e.at), escape(what))
    console.print(grew)


def recluster(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Rebuild every story from the stored articles (each keeps its best-matching old id)."""
    lib = library_of(ctx)
    with console.status("reclustering…"):
        report = lib.recluster()
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
    rows: list[dict[str, Any]] = [
        dataclasses.asdict(row) for row in library_of(ctx).readers.feedback(limit=limit)
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no reader has answered yet")
        return
    print_table(
        "reader feedback",
        ("story", "version", "yes", "no", "latest reasons (No)"),
        [
            (
                str(r["story_id"]),
                str(r["version"]),
                str(r["yes"]),
                str(r["no"]),
                escape(" | ".join(r["reasons"])),
            )
            for r in rows
        ],
    )


def register(app: typer.Typer) -> None:
    app.command()(stories)
    app.command()(story)
    app.command()(recluster)
    app.command()(feedback)
