"""`storybrief config`: the effective settings and where each came from."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from .output import Invocation, console, print_json


def config(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print every effective setting, its value and where it came from (default, the config
    file, a STORYBRIEF_* variable or a flag). Secrets are hidden."""
    from ..settings import explain_settings

    invocation: Invocation = ctx.obj
    rows = explain_settings(invocation.config_file, **invocation.overrides)
    if as_json:
        print_json([{"key": k, "value": v, "from": origin} for k, v, origin in rows])
        return
    table = Table("setting", "value", "from")
    for key, value, origin in rows:
        table.add_row(key, escape(repr(value) if isinstance(value, str) else str(value)), origin)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(config)
