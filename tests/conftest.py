"""Shared fixtures. Servers for tests live in tests/servers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.newssite import NewsSite
from tests.servers import LocalHTTPServer

from storybrief.settings import Settings


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A running HTTP server on 127.0.0.1 and an ephemeral port; add routes with .route()."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def site() -> Iterator[NewsSite]:
    """The small news site of tests/newssite.py on 127.0.0.1, whose feed the watcher tests
    follow (a module whose pages come from elsewhere defines a ``site`` of its own)."""
    with LocalHTTPServer() as server:
        yield NewsSite(server)


@pytest.fixture
def test_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for tests: data in tmp_path, 127.0.0.1 allowed, short timeouts and host delay;
    the user's STORYBRIEF_* environment and config file are kept out."""
    clean_environment(monkeypatch, tmp_path)
    return Settings(
        data_dir=tmp_path,
        # per_host_delay: tests that are not about pacing a host do not wait a second per request
        fetch={
            "allowed_hosts": ["127.0.0.1"],
            "timeout": 3,
            "connect_timeout": 2,
            "per_host_delay": 0.01,
        },
    )


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the user's STORYBRIEF_* settings and config file out of a test."""
    for key in list(os.environ):
        if key.startswith("STORYBRIEF_") and not key.startswith("STORYBRIEF_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setattr("storybrief.settings.default_config_file", lambda: tmp_path / "none.toml")
