"""Settings layer as documented: defaults → config file → STORYBRIEF_* environment → flags."""

from __future__ import annotations

import pytest

from storybrief.errors import ConfigError
from storybrief.settings import (
    SECRET_MASK,
    FetchSettings,
    Settings,
    explain_settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("STORYBRIEF_"):
            monkeypatch.delenv(key)
    # keep the user's own config file out of the tests
    monkeypatch.setattr("storybrief.settings.default_config_file", lambda: tmp_path / "none.toml")


def test_defaults_are_safe():
    s = load_settings()
    assert s.fetch.allow_private_addresses is False and s.fetch.allowed_hosts == []
    assert s.fetch.max_bytes == 10_000_000 and s.fetch.max_redirects == 5
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.resolved_database_url.endswith("storybrief.db")


def test_each_layer_overrides_only_what_it_sets(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        '[fetch]\ntimeout = 7.5\nmax_redirects = 2\nuser_agent = "from-file"\n'
        '[explain.openai]\nmodel = "file-model"\n'
    )
    monkeypatch.setenv("STORYBRIEF_FETCH__MAX_REDIRECTS", "3")
    monkeypatch.setenv("STORYBRIEF_FETCH__ALLOWED_HOSTS", '["127.0.0.1"]')
    monkeypatch.setenv("STORYBRIEF_EXPLAIN__OPENAI__BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings(config, **{"fetch.user_agent": None, "fetch.timeout": 1.0})
    assert s.fetch.timeout == 1.0  # flag beats file
    assert s.fetch.max_redirects == 3  # environment beats file
    assert s.fetch.user_agent == "from-file"  # a None flag does not mask the file
    assert s.fetch.allowed_hosts == ["127.0.0.1"]
    assert s.fetch.max_bytes == FetchSettings().max_bytes  # untouched default
    # a nested table: the file's key and the environment's key both land, nothing else moves
    assert s.explain.openai.model == "file-model"
    assert s.explain.openai.base_url == "http://127.0.0.1:9/v1"
    assert s.explain.engine == "builtin"


def test_a_hand_built_settings_object_is_exactly_what_reaches_the_stages(tmp_path, monkeypatch):
    """No layer below the edge reads files: a Settings built by hand ignores the config file."""
    default = tmp_path / "config.toml"
    default.write_text("[fetch]\nmax_redirects = 1\n")
    monkeypatch.setattr("storybrief.settings.default_config_file", lambda: default)
    assert load_settings().fetch.max_redirects == 1
    assert Settings().fetch.max_redirects == 5


def test_config_file_from_environment(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('database_url = "sqlite:////tmp/x.db"\n')
    monkeypatch.setenv("STORYBRIEF_CONFIG", str(config))
    assert load_settings().resolved_database_url == "sqlite:////tmp/x.db"


def test_bad_settings_are_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[fetch]\nmax_bytes = -1\n")
    with pytest.raises(ConfigError, match="max_bytes"):
        load_settings(config)
    config.write_text("no_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings(config)
    config.write_text("[fetch]\nno_such_key = 1\n")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings(config)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_effective_settings_say_where_each_value_came_from(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[serve]\nsite_title = "Daily Brief"\napi_token = "file-secret-123"\n')
    monkeypatch.setenv("STORYBRIEF_CLUSTER__WINDOW_HOURS", "24")
    monkeypatch.setenv("OPENAI_API_KEY", "env-secret-456")
    rows = {
        key: (value, origin)
        for key, value, origin in explain_settings(config, **{"fetch.max_bytes": 1234})
    }
    assert rows["serve.site_title"] == ("Daily Brief", str(config))
    assert rows["cluster.window_hours"] == (24.0, "STORYBRIEF_CLUSTER__WINDOW_HOURS")
    assert rows["fetch.max_bytes"] == (1234, "flag")
    assert rows["fetch.max_redirects"] == (5, "default")
    assert rows["serve.api_token"] == (SECRET_MASK, str(config))
    assert rows["explain.openai.api_key"][0] == SECRET_MASK
    printed = repr(rows)
    assert "file-secret-123" not in printed and "env-secret-456" not in printed
