"""`storybrief ingest -`: URLs (one per line) or one document (HTML page, feed, plain text) read
from standard input, in a real subprocess fed through a pipe; the README's examples run as
written (their example URLs pointed at a real server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_ingest import DATA, EXAMPLE, serve_site
from typer.testing import CliRunner

from storybrief.cli import app
from storybrief.errors import SourceError
from storybrief.ingest import Document, input_sources

ROOT = Path(__file__).parents[1]
COMMAND = [sys.executable, "-c", "from storybrief.cli import main; main()"]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["STORYBRIEF_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def storybrief(tmp_path: Path, *args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*COMMAND, "--allow-private-addresses", *args],
        input=stdin,
        capture_output=True,
        env=environment(tmp_path),
        timeout=180,
    )


def report(run: subprocess.CompletedProcess[bytes]) -> dict:
    assert run.returncode == 0, run.stderr.decode()
    return json.loads(run.stdout)


def test_urls_one_per_line_from_a_pipe(http_server, tmp_path):
    base = serve_site(http_server)
    urls = f"{base}/news/harbor-bridge-reopens\n\n# a comment\n  {base}/news/library-expansion\n"
    result = report(storybrief(tmp_path, "ingest", "-", "--json", stdin=urls.encode()))
    assert result["counts"]["new"] == 2
    assert [i["location"] for i in result["items"]] == [
        f"{base}/news/harbor-bridge-reopens",
        f"{base}/news/library-expansion",
    ]
    assert [r.path for r in http_server.requests] == [
        "/news/harbor-bridge-reopens",
        "/news/library-expansion",
    ]


def test_a_document_from_a_pipe_html_and_feed(http_server, tmp_path):
    base = serve_site(http_server)
    page = (DATA / "article-1.html").read_bytes().replace(b"{base}", base.encode())
    result = report(storybrief(tmp_path, "ingest", "-", "--json", stdin=page))
    (item,) = result["items"]
    assert item["status"] == "new" and item["location"] == "standard input"
    assert "Harbor Bridge" in item["title"]
    assert http_server.requests == []  # the page itself came through the pipe
    feed = (DATA / "rss2.xml").read_bytes().replace(b"{base}", base.encode())
    again = report(storybrief(tmp_path, "ingest", "-", "--json", stdin=feed))
    statuses = {i["location"]: i["status"] for i in again["items"]}
    assert statuses == {
        f"{base}/news/harbor-bridge-reopens": "duplicate",  # the page piped in before
        f"{base}/news/ferry-timetable-missing": "new",  # from the feed's own content
    }


def test_bad_input_on_the_pipe_gets_a_clear_error(tmp_path):
    empty = storybrief(tmp_path, "ingest", "-", stdin=b"  \n")
    assert empty.returncode == 2
    assert b"standard input is empty: give http(s) URLs, one per line" in empty.stderr
    mixed = storybrief(tmp_path, "ingest", "-", stdin=b"https://news.example/a\nnews.example/b\n")
    assert mixed.returncode == 2
    assert b"standard input, line 2: 'news.example/b' is not an http(s) URL" in mixed.stderr


def test_input_sources_tell_urls_from_documents():
    cap = 1_000_000
    assert input_sources(b"https://a.example/1\r\nHTTP://b.example/2\n", max_bytes=cap) == [
        "https://a.example/1",
        "HTTP://b.example/2",
    ]
    assert input_sources(b"https://a.example/1\nhttps://a.example/1\n", max_bytes=cap) == [
        "https://a.example/1"
    ]
    for document in (
        b"<!doctype html><html><body><p>Hi</p></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
        b"\xef\xbb\xbf<opml version='2.0'><body/></opml>",
        EXAMPLE.read_bytes(),  # plain text: an article
        b"\x00\x01\x02 binary",
    ):
        (doc,) = input_sources(document, max_bytes=cap)
        assert isinstance(doc, Document) and doc.data == document
        assert doc.location == "standard input"
    with pytest.raises(SourceError, match=r"line 3: 'ftp://x.example/a' is not an http\(s\) URL"):
        input_sources(b"https://a.example/1\n\nftp://x.example/a\n", max_bytes=cap)
    with pytest.raises(SourceError, match="'https://a.example/ b' is not"):
        input_sources(b"https://a.example/ b\n", max_bytes=cap)
    with pytest.raises(SourceError, match="over the 0 MB cap"):
        input_sources(b"x" * 101, max_bytes=100)
    with pytest.raises(SourceError, match="empty"):
        input_sources(b"", max_bytes=cap)
    # found by bench/fuzz.py: these were an IndexError (no line left once decoded)
    with pytest.raises(SourceError, match="standard input is empty"):
        input_sources(b"\xef\xbb\xbf \t\r\n", max_bytes=cap)  # a byte-order mark, then space
    (comments,) = input_sources(b"# only a comment\n", max_bytes=cap)
    assert isinstance(comments, Document)  # a text, which extraction judges


def test_stdin_mixes_with_other_sources_once(test_settings, tmp_path):
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    binary = runner.invoke(app, [*base, "ingest", "-", "--json"], input=b"\x00\x01\x02\x03")
    assert binary.exit_code == 1
    assert "standard input is binary data" in json.loads(binary.stdout)["items"][0]["reason"]
    twice = runner.invoke(app, [*base, "ingest", "-", "-"], input=b"https://a.example/\n")
    assert twice.exit_code == 2 and "can be read only once" in twice.output
    both = runner.invoke(
        app,
        [*base, "ingest", str(DATA / "article-2.html"), "-", "--json"],
        input=EXAMPLE.read_bytes(),
    )
    assert both.exit_code == 0, both.output
    items = json.loads(both.stdout)["items"]
    assert [(i["location"], i["status"]) for i in items] == [
        (str(DATA / "article-2.html"), "new"),
        ("standard input", "new"),
    ]


def test_the_readme_examples_run(http_server, tmp_path):
    base = serve_site(http_server)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\$ (.*storybrief ingest -.*?)(?:\s+#.*)?$", readme, flags=re.M)
    assert len(lines) == 2, lines
    program = " ".join(shlex.quote(part) for part in [*COMMAND, "--allow-private-addresses"])
    for line in lines:
        command = line.replace("https://news.example", base).replace("storybrief", program, 1)
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=environment(tmp_path),
            capture_output=True,
            timeout=180,
        )
        assert run.returncode == 0, (command, run.stderr.decode())
        assert b"1 new" in run.stdout or b"2 new" in run.stdout, run.stdout
