"""Stories formed by several processes at once on one SQLite file (issue 27): three `ingest`s
whose clustering overlapped left hundreds of stories without an article. Forming stories is
one process at a time per database now; these run real processes against one file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from storybrief.library import Library
from storybrief.settings import Settings

EVENTS = [
    "Harbor bridge repairs approved by the council after engineers found cracked girders",
    "Mayor opens the expanded city library with a children's wing and late hours",
    "River floods low streets after the storm, and residents leave their homes by boat",
    "Election officials finish counting ballots in the northern district on Thursday",
    "Teachers strike over pay as the union rejects the school board's latest offer",
    "Steel factory closure puts four hundred workers out of their jobs next spring",
    "Train derails near the central station; passengers walk along the tracks to safety",
    "Hospital wing for heart patients opens after three years of building work",
]

ASSIGNER = """
import sys, time
from pathlib import Path
from storybrief.library import Library
from storybrief.settings import Settings
data, go = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(data_dir=data, cluster={"vectors": "hashing"})
with Library(settings) as lib:
    lib.open()
    while not go.exists():
        time.sleep(0.01)
    changes = lib.assign_stories(explain_grown=False)
print(len(changes))
"""


def _articles(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        event = EVENTS[i % len(EVENTS)]
        text = " ".join(f"{event}, report {i} says in its part {k}." for k in range(6))
        path = folder / f"a{i}.txt"
        path.write_text(f"{event} ({i})\n\n{text}\n")
        paths.append(path)
    return paths


def test_concurrent_story_forming_leaves_no_empty_story(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, cluster={"vectors": "hashing"})
    folder = tmp_path / "articles"
    folder.mkdir()
    with Library(settings) as lib:
        report = lib.ingest(_articles(folder, 90), cluster=False)
        assert report.counts["new"] == 90
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ASSIGNER, str(data), str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(3)  # every process has opened the database and waits
    go.touch()
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    with sqlite3.connect(data / "storybrief.db") as db:
        empty = db.execute(
            "SELECT count(*) FROM stories s WHERE NOT EXISTS "
            "(SELECT 1 FROM articles a WHERE a.story_id = s.id)"
        ).fetchone()[0]
        loose = db.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
        stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    assert stories >= len(EVENTS)
    assert (empty, loose) == (0, 0), f"{empty} empty stories of {stories}, {loose} loose articles"
    # the work was done once: one process formed the stories, the others found nothing left
    assert sorted(int(out.strip()) for out, _ in outputs)[:2] == [0, 0]
