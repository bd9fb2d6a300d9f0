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


def _all_commands(group=None, prefix=""):
    """Every command and subcommand (``feeds add``) with its click object."""
    group = group or get_command(app)
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _all_commands(command, f"{prefix}{name} ")


def test_a_short_option_means_one_thing_in_every_command():
    """`-q` was `--quiet` for `watch` and `--queue` for `worker`."""
    meaning: dict[str, set[str]] = {}
    for _name, command in _all_commands():
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--")]
            for short in (o for o in param.opts if not o.startswith("--")):
                meaning.setdefault(short, set()).update(longs)
    assert meaning["-q"] == {"--quiet"}
    assert {k: v for k, v in meaning.items() if len(v) > 1} == {}


@pytest.mark.parametrize("group", [[], ["feeds"]])
def test_the_list_of_commands_gives_each_one_line(group):
    """Each command's help in the list is its docstring's first paragraph as one line (typer
    kept the docstring's line breaks, which cut the lines mid-sentence): on a wide terminal,
    one line a command."""
    result = CliRunner().invoke(app, [*group, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    panel = result.output.split("Commands")[1].splitlines()[1:]
    rows = [line for line in panel if line.startswith("│")]
    names = {name.split()[-1] for name, _ in _all_commands() if name.split()[:-1] == group}
    assert len(rows) == len(names), "\n".join(rows)
    assert {row.split()[1] for row in rows} == names


def test_readme_first_screen_has_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head
    assert "What is the story about?" in README and "Do you find this article useful?" in README


def test_every_setting_is_documented():
    from storybrief.settings import Settings, _flatten

    keys = _flatten(Settings().model_dump())
    for key in keys:
        *stage, leaf = key.split(".")
        # a row names the key in full, or the stage's shared prefix with `.leaf`
        assert f"`{key}`" in README or (stage and f"`.{leaf}`" in README), key


def _run_python_example(code: str, data_dir: Path) -> str:
    """The README's Python example, run from the repository as a reader would, on the
    database of ``data_dir``: what it prints."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["STORYBRIEF_DATA_DIR"] = str(data_dir)
    env["STORYBRIEF_CONFIG"] = str(data_dir / "none.toml")
    (data_dir / "none.toml").write_text("")
    root = Path(__file__).parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def _python_example() -> tuple[str, str]:
    import re

    found = re.search(
        r"## Python API.*?```python\n(.*?)```\s*```text\n(.*?)```", README, flags=re.S
    )
    assert found is not None
    return found.group(1), found.group(2)


def test_the_readme_python_example_runs_after_make_run_and_prints_what_it_shows(
    tmp_path, monkeypatch
):
    """In the README's own order: `make run` (`storybrief explain --example`) stored the
    example article and its explainer first; the Python example then ingests the same file
    (a duplicate: no story made or grown) and still finds its story and explainer, printing
    the output shown below it."""
    code, expected = _python_example()
    for key in [k for k in __import__("os").environ if k.startswith("STORYBRIEF_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STORYBRIEF_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    made = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "explain", "--example"])
    assert made.exit_code == 0, made.output
    assert _run_python_example(code, tmp_path) == expected


def test_the_readme_python_example_runs_on_a_fresh_database(tmp_path):
    """Without `make run` before it, the article is new; the rest prints the same."""
    code, expected = _python_example()
    first, *rest = _run_python_example(code, tmp_path).splitlines()
    assert "'new': 1" in first and "'duplicate': 0" in first
    assert rest == expected.splitlines()[1:]


def test_the_readme_multi_article_explainer_is_what_the_command_prints(tmp_path, monkeypatch):
    """The README's multi-article example: three reports of one story, explained by the
    built-in engine, print exactly the explainer shown."""
    import glob
    import re

    expected = re.search(
        r"\$ storybrief explain src/storybrief/examples/europa/\*\.txt\n(.*?)```", README, re.S
    ).group(1)
    for key in [k for k in __import__("os").environ if k.startswith("STORYBRIEF_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STORYBRIEF_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    root = Path(__file__).parents[1]
    files = sorted(glob.glob(str(root / "src/storybrief/examples/europa/*.txt")))
    assert len(files) == 3
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "explain", *files])
    assert result.exit_code == 0, result.output
    assert result.output.endswith(expected), result.output


def test_the_readme_check_example_runs_from_what_the_package_ships(tmp_path, monkeypatch):
    """The README's `check` example needs no folder beside the repository (it read
    ../shared/example/explainer.txt): the example explainer is shipped, `check --example` runs
    the same check from any install, and each prints the counts the README shows."""
    import re

    assert "../shared/example" not in README
    command, expected = re.search(
        r"\$ storybrief check (.*?)\n\.\.\.\n(.*?)\n```", README, flags=re.S
    ).groups()
    for key in [k for k in __import__("os").environ if k.startswith("STORYBRIEF_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STORYBRIEF_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    monkeypatch.chdir(Path(__file__).parents[1])
    for args in (command.split(), ["--example"]):
        result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "check", *args])
        assert result.exit_code == 1, result.output  # not every sentence is supported
        assert result.stdout.strip().splitlines()[-1] == expected
