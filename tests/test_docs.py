"""The README documents every command, and every command's --help works."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from storybrief.cli import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_commands():
    assert {"ingest", "articles", "show", "explain", "check"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_and_has_help(name):
    assert f"`storybrief {name}" in README, f"README does not document `storybrief {name}`"
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_readme_first_screen_has_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head
    assert "What is the story about?" in README and "Do you find this article useful?" in README
