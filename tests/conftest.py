"""Shared fixtures. Servers for tests live in tests/servers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import LocalHTTPServer

from storybrief.settings import Settings


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A running HTTP server on 127.0.0.1 and an ephemeral port; add routes with .route()."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def test_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for tests: data in tmp_path, 127.0.0.1 allowed, short timeouts; the user's
    STORYBRIEF_* environment and config file are kept out."""
    for name in [*Settings.model_fields, "config"]:
        monkeypatch.delenv(f"STORYBRIEF_{name.upper()}", raising=False)
    monkeypatch.setattr("storybrief.settings.default_config_file", lambda: tmp_path / "none.toml")
    return Settings(
        data_dir=tmp_path, allowed_hosts=["127.0.0.1"], fetch_timeout=3, connect_timeout=2
    )
