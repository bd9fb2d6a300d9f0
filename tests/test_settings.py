"""Settings layer as documented: defaults → config file → STORYBRIEF_* environment → flags."""

from __future__ import annotations

import pytest

from storybrief.errors import ConfigError
from storybrief.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("STORYBRIEF_"):
            monkeypatch.delenv(key)
    # keep the user's own config file out of the tests
    monkeypatch.setattr("storybrief.settings.default_config_file", lambda: tmp_path / "none.toml")


def test_defaults_are_safe():
    s = load_settings()
    assert s.allow_private_addresses is False and s.allowed_hosts == []
    assert s.max_bytes == 10_000_000 and s.max_redirects == 5
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.resolved_database_url.endswith("storybrief.db")


def test_each_layer_overrides_only_what_it_sets(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('fetch_timeout = 7.5\nmax_redirects = 2\nuser_agent = "from-file"\n')
    monkeypatch.setenv("STORYBRIEF_MAX_REDIRECTS", "3")
    monkeypatch.setenv("STORYBRIEF_ALLOWED_HOSTS", '["127.0.0.1"]')
    s = load_settings(config, user_agent=None, fetch_timeout=1.0)
    assert s.fetch_timeout == 1.0  # flag beats file
    assert s.max_redirects == 3  # environment beats file
    assert s.user_agent == "from-file"  # a None flag does not mask the file
    assert s.allowed_hosts == ["127.0.0.1"]
    assert s.max_bytes == Settings.model_fields["max_bytes"].default  # untouched default


def test_config_file_from_environment(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('database_url = "sqlite:////tmp/x.db"\n')
    monkeypatch.setenv("STORYBRIEF_CONFIG", str(config))
    assert load_settings().resolved_database_url == "sqlite:////tmp/x.db"


def test_bad_settings_are_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("max_bytes = -1\n")
    with pytest.raises(ConfigError, match="max_bytes"):
        load_settings(config)
    config.write_text("no_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings(config)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")
