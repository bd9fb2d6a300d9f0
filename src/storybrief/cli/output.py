"""Printing helpers shared by the CLI commands."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_table(title: str, columns: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    """A table on stdout: ``rows`` of cells as printed (rich markup escaped by the caller),
    under ``columns`` that fold long cells."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def print_json(data: Any) -> None:
    """JSON on stdout, uncoloured, so it pipes into jq and friends."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    from rich.markup import escape

    errors.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    raise typer.Exit(code)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


class Invocation:
    """What the global flags say, and the one library this invocation builds from them
    (lazily, so that a bad setting is reported by the command that needs it)."""

    def __init__(self, config_file: Any, overrides: dict[str, Any]) -> None:
        self.config_file = config_file
        self.overrides = overrides
        self._library: Any = None

    def library(self, ctx: typer.Context, **overrides: Any) -> Any:
        from ..library import Library

        if self._library is None:
            wanted = {**self.overrides, **{k: v for k, v in overrides.items() if v is not None}}
            self._library = Library.from_config(self.config_file, **wanted)
            ctx.find_root().call_on_close(self._library.close)
        return self._library


def library_of(ctx: typer.Context, **overrides: Any):  # type: ignore[no-untyped-def]
    """The :class:`~storybrief.library.Library` of this invocation; ``overrides`` (dotted
    setting keys) are a command's own flags, which win over the global ones."""
    invocation: Invocation = ctx.obj
    return invocation.library(ctx, **overrides)


def settings_of(ctx: typer.Context):  # type: ignore[no-untyped-def]
    """The layered settings for this invocation."""
    return library_of(ctx).settings


def allow_private_option() -> Any:
    """``--allow-private-addresses`` for the commands that fetch (it also works before the
    command name, with the other global options)."""
    return typer.Option(
        None,
        "--allow-private-addresses/--no-allow-private-addresses",
        help="Fetch URLs on private, loopback and link-local addresses "
        "(setting fetch.allow_private_addresses; off by default).",
    )
