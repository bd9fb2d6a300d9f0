"""A read-only command does not pay for what it does not use (issue 28): `storybrief stories`,
`status` and `feeds list` on an empty database load neither the pipeline's stages (clustering,
extraction, the engines, the checker) nor what those stand on (scipy, datasketch, numpy, lxml,
trafilatura, feedparser, httpx), nor alembic when the schema is current. A test of imports, not
of time: the time is measured by bench/cli_start.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"

#: Modules (and packages: every submodule counts) a read-only command must not import.
HEAVY = (
    "scipy",
    "datasketch",
    "numpy",
    "sklearn",
    "lxml",
    "trafilatura",
    "feedparser",
    "httpx",
    "onnxruntime",
    "tokenizers",
    "alembic",
    "fastapi",
    "procrastinate",
    "storybrief.cluster",
    "storybrief.extract",
    "storybrief.explain",
    "storybrief.verify",
    "storybrief.ingest.pipeline",
    "storybrief.ingest.fetch",
    "storybrief.readers",
    "storybrief.semantic",
)

RUN = """
import json, sys
sys.argv = ["storybrief", *sys.argv[1:]]
from storybrief.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _run(args: list[str], data_dir: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STORYBRIEF_") or key.startswith("STORYBRIEF_TEST_")
    }
    env.update(
        STORYBRIEF_DATA_DIR=str(data_dir),
        XDG_CONFIG_HOME=str(data_dir / "config"),  # the user's config file kept out
        PYTHONPATH=os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database, its schema made by a first command."""
    path = tmp_path_factory.mktemp("empty")
    assert _run(["stories"], path)["code"] == 0
    return path


@pytest.mark.parametrize(
    "args", [["stories"], ["stories", "--json"], ["status"], ["feeds", "list"]]
)
def test_a_read_only_command_loads_no_stage_it_does_not_use(args, data_dir):
    ran = _run(args, data_dir)
    assert ran["code"] == 0
    assert "sqlalchemy" in ran["modules"] and "storybrief.store" in ran["modules"]
    assert _heavy(ran["modules"]) == []


def test_the_probe_sees_what_a_command_that_uses_the_stages_loads(data_dir, tmp_path):
    """The same probe on `ingest` finds the stages: the test above would notice them."""
    page = tmp_path / "a.txt"
    page.write_text("The council met on Tuesday and voted to repair the bridge by spring. " * 4)
    ran = _run(["ingest", str(page), "--json"], data_dir)
    assert ran["code"] == 0
    heavy = _heavy(ran["modules"])
    assert "storybrief.extract" in heavy and "storybrief.cluster" in heavy


def test_the_schema_check_reads_the_head_as_alembic_does():
    """The current-schema check reads the newest migration from the files without alembic:
    it names the head alembic names."""
    from alembic.script import ScriptDirectory

    from storybrief.store.database import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
