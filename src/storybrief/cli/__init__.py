"""The command line: a thin layer over :class:`storybrief.Library`.

Each command group lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import typer
from typer.core import TyperGroup

from .output import Invocation, fail


class _Group(TyperGroup):
    """Turns storybrief's own errors into one red line and exit status 2, however the app is
    invoked (console script, ``python -m``, or a test's CliRunner); lists each command with the
    first paragraph of its docstring as one line of text, wrapped only by the terminal."""

    def get_command(self, ctx, cmd_name):  # type: ignore[no-untyped-def]
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _one_line_help(command)
        return command

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from ..errors import StorybriefError

        try:
            return super().invoke(ctx)
        except StorybriefError as exc:
            fail(str(exc))


def _one_line_help(command: click.Command) -> None:
    """Typer's list of commands keeps the line breaks of a docstring's first paragraph (in its
    rich mode), which cut each line mid-sentence: the command's short help is that paragraph
    on one line (and so for a group's own commands)."""
    if command.short_help is None and command.help:
        first = inspect.cleandoc(command.help).partition("\n\n")[0]
        command.short_help = " ".join(first.split())
    for sub in getattr(command, "commands", {}).values():
        _one_line_help(sub)


app = typer.Typer(
    cls=_Group,
    name="storybrief",
    help="News articles in, explainers out: every sentence supported by its sources.",
    no_args_is_help=True,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", help="TOML settings file (default: storybrief paths).", exists=True
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="SQLAlchemy URL; default SQLite in the data directory."
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where the SQLite file lives."),
    allow_private: bool | None = typer.Option(
        None,
        "--allow-private-addresses/--no-allow-private-addresses",
        help="Fetch URLs on private, loopback and link-local addresses (off by default).",
    ),
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True
    ),
) -> None:
    """Settings come from defaults, the config file, STORYBRIEF_* variables, then these flags."""
    if version:
        from .. import __version__

        typer.echo(f"storybrief {__version__}")
        raise typer.Exit(0)
    ctx.obj = Invocation(
        config,
        {
            "database_url": database_url,
            "data_dir": data_dir,
            "fetch.allow_private_addresses": allow_private,
        },
    )


def _register() -> None:
    from . import articles, config, explain, serve, stories, watch, worker

    articles.register(app)
    config.register(app)
    stories.register(app)
    explain.register(app)
    serve.register(app)
    watch.register(app)
    worker.register(app)


_register()


def main() -> None:
    app()
