"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml pass, and
they are strict enough to catch an upward import, an edge reaching around the library into a
stage, two sibling stages or engines depending on each other, and a cycle."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` run by this interpreter on ``project`` (its pyproject.toml, its src/)."""
    script = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", script, "--no-cache", "--no-logo"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def broken_contracts(output: str) -> dict[str, str]:
    """Each broken contract's name -> its section of the report."""
    _, _, report = output.partition("Broken contracts")
    sections = re.split(r"\n(.+)\n-+\n", "\n" + report.strip("-\n"))
    return dict(zip(sections[1::2], sections[2::2], strict=True))


def test_the_package_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout, result.stdout


# (module, bad import, contract, what the report says)
VIOLATIONS = [
    # the checker reaching up into the explain stage (the dependency the layers removed)
    (
        "verify/publish.py",
        "from ..explain import model",
        "Layers of docs/architecture.md",
        "storybrief.verify.publish -> storybrief.explain.model",
    ),
    # the text toolkit reaching up into the records
    (
        "text.py",
        "from . import records",
        "Layers of docs/architecture.md",
        "storybrief.text -> storybrief.records",
    ),
    # two sibling stages depending on each other
    (
        "cluster/assign.py",
        "from .. import verify",
        "Layers of docs/architecture.md",
        "storybrief.cluster.assign -> storybrief.verify",
    ),
    # what the library composes reaching back up into it, or into a sibling
    (
        "follow.py",
        "from . import library",
        "Layers of docs/architecture.md",
        "storybrief.follow -> storybrief.library",
    ),
    (
        "readers.py",
        "from . import follow",
        "Layers of docs/architecture.md",
        "storybrief.readers -> storybrief.follow",
    ),
    # the web app reaching around the library into the store, the watcher into extract
    (
        "serve/pages.py",
        "from ..store import Store",
        "serve, cli, watch, worker import no store, ingest, extract",
        "storybrief.serve.pages -> storybrief.store",
    ),
    (
        "watch.py",
        "from .extract import extract_text",
        "serve, cli, watch, worker import no store, ingest, extract",
        "storybrief.watch -> storybrief.extract",
    ),
    # the built-in engine reaching into the LLM engines
    (
        "explain/builtin.py",
        "from .llm import prompt",
        "Explainer engines are independent",
        "storybrief.explain.builtin -> storybrief.explain.llm.prompt",
    ),
    # the page's metadata reaching up into the extract stage's core
    (
        "extract/metadata.py",
        "from . import core",
        "Extract modules import one way",
        "storybrief.extract.metadata -> storybrief.extract.core",
    ),
    # a cycle between two modules of one stage
    (
        "verify/lexicon.py",
        "from . import claims",
        "No cycles between sibling modules",
        ".lexicon -> .claims",
    ),
]


def test_broken_layers_fail(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "storybrief", tmp_path / "src" / "storybrief")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    future = "from __future__ import annotations\n"
    for module, line, _, _ in VIOLATIONS:
        path = tmp_path / "src" / "storybrief" / module
        text = path.read_text(encoding="utf-8")
        assert future in text, f"{module}: no future import to put the bad import after"
        path.write_text(text.replace(future, f"{future}{line}  # noqa\n", 1), encoding="utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    broken = broken_contracts(result.stdout)
    for module, _, contract, reported in VIOLATIONS:
        assert contract in broken, f"{module}: {contract!r} not broken\n{result.stdout}"
        assert reported in broken[contract], f"{module}: {reported!r} not reported\n{result.stdout}"
