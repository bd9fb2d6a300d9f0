"""Printing helpers shared by the CLI commands."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console

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


def settings_of(ctx: typer.Context):  # type: ignore[no-untyped-def]
    """The layered settings for this invocation (built lazily: errors surface per command)."""
    return ctx.obj()
