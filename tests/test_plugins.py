"""docs/plugins.md's example engine plugin (examples/engine-plugin), installed by pip as a user
would install a plugin package (into a folder of its own, not the test environment) and run
through `storybrief engines` and `storybrief explain -e leads`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PLUGIN = ROOT / "examples" / "engine-plugin"
ARTICLE = ROOT / "src" / "storybrief" / "examples" / "article.txt"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin installed by pip into a folder of its own (built from a copy: nothing is
    written into the repository); the folder to put on the path."""
    work = tmp_path_factory.mktemp("plugin")
    source = work / "engine-plugin"
    shutil.copytree(PLUGIN, source)
    site = work / "site"
    # built offline with the test environment's setuptools (storybrief[test] asks for >= 77, as
    # the plugin's pyproject.toml does: its licence is an SPDX expression)
    build = ["--no-build-isolation", "--no-index"]
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *build]
        + ["--target", str(site), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    (entry_points,) = site.glob("storybrief_leads-*.dist-info/entry_points.txt")
    assert "[storybrief.engines]" in entry_points.read_text()
    return site


def storybrief(site: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["STORYBRIEF_DATA_DIR"] = str(data)
    env["STORYBRIEF_CONFIG"] = str(data / "none.toml")
    (data / "none.toml").write_text("")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(site)])
    return subprocess.run(
        [sys.executable, "-c", "from storybrief.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_installed_plugin_is_listed_and_explains(installed: Path, tmp_path: Path) -> None:
    listed = storybrief(installed, tmp_path, "engines", "--json")
    assert listed.returncode == 0, listed.stderr
    engines = {e["name"]: e["description"] for e in json.loads(listed.stdout)["engines"]}
    assert "example plugin" in engines["leads"] and "builtin" in engines
    assert json.loads(listed.stdout)["unavailable"] == {}

    run = storybrief(
        installed, tmp_path, "explain", "-e", "leads", "-o", "per_article=2", "--format", "json",
        str(ARTICLE),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    explainer = json.loads(run.stdout)
    assert explainer["engine"] == "leads" and explainer["engine_options"] == {"per_article": 2}
    happening = explainer["sections"][0]["sentences"]
    assert [s["text"][:40] for s in happening] == [
        "North Korean leader Kim Jong Un crossed ",
        "He also has meetings with Chinese Presid",
    ]
    assert all(s["verdict"] == "supported" and s["citations"] for s in happening)


def test_a_misspelt_option_is_named(installed: Path, tmp_path: Path) -> None:
    run = storybrief(
        installed, tmp_path, "explain", "-e", "leads", "-o", "per_artcle=2", str(ARTICLE)
    )
    assert run.returncode == 2
    assert "invalid options for engine 'leads'" in run.stderr and "per_artcle" in run.stderr
