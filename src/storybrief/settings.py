"""One typed settings object, nested by stage and layered: defaults → config file →
``STORYBRIEF_*`` environment → explicit overrides (command-line flags).

The config file is TOML, by default ``config.toml`` in the user's config directory
(``storybrief paths`` prints it), or the file named by ``STORYBRIEF_CONFIG`` / ``--config``.
Each stage is a table (``[fetch]``, ``[cluster]``, ``[check]``, ``[explain]``,
``[explain.openai]``, ``[serve]``, ``[watch]``); a partial file overrides only the keys it
sets. In the environment a nested key is spelled with ``__``:
``STORYBRIEF_FETCH__MAX_BYTES=5000000``, ``STORYBRIEF_EXPLAIN__OPENAI__MODEL=qwen``.

Settings are read once, at the edge (the CLI, ``create_app``, a worker's start), and handed
down inside :class:`storybrief.Library`; nothing below it reads a file or the environment.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

APP_NAME = "storybrief"
ENV_PREFIX = "STORYBRIEF_"
ENV_DELIMITER = "__"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class FetchSettings(_Stage):
    """Fetching URLs and feeds (ingest, the watcher)."""

    user_agent: str = Field(
        default="storybrief/0.1 (+https://github.com/storybrief/storybrief)",
        description="User-Agent of every request; name a contact URL for site operators",
    )
    timeout: float = Field(default=15.0, gt=0, description="seconds per request, overall")
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
    feed_pages: bool = Field(
        default=True, description="fetch each feed item's page; otherwise use the feed's content"
    )
    obey_robots: bool = Field(default=True, description="honour robots.txt for item pages")
    per_host_concurrency: int = Field(
        default=2, ge=1, le=32, description="requests one host gets at the same time"
    )
    per_host_delay: float = Field(
        default=1.0, ge=0.0, description="seconds between the starts of two requests to one host"
    )
    concurrency: int = Field(
        default=8, ge=1, le=256, description="requests in flight across all hosts"
    )
    max_feed_items: int = Field(
        default=500,
        gt=0,
        description="items read from one feed; the rest are left out, saying how many "
        "(feedparser spends about a millisecond on each item)",
    )
    max_list_feeds: int = Field(
        default=10_000,
        gt=0,
        description="feeds read from one OPML list; the rest are left out, saying how many "
        "and naming the first few",
    )
    source_seconds: float = Field(
        default=20.0,
        gt=0,
        description="time budget of one feed in a run (and of one POST /api/v1/articles): "
        "items not reached by then are read on the feed's next poll",
    )
    unreachable_seconds: float = Field(
        default=300.0,
        ge=0,
        description="after a host cannot be connected to, its other URLs fail at once for "
        "this long instead of each trying again (0: try each)",
    )


class ExtractSettings(_Stage):
    """Turning pages into article text."""

    min_text_chars: int = Field(default=200, ge=0, description="shorter extractions are failures")
    timeout: float = Field(
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


class ClusterSettings(_Stage):
    """Grouping articles into stories; defaults measured with bench/clustering.py."""

    vectors: Literal["auto", "model", "hashing"] = Field(
        default="auto",
        description="article vectors: the MiniLM model (storybrief[checker-model]), hashed "
        "TF-IDF (no extra), or auto (the model when installed)",
    )
    threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="similarity an article needs to join a story; default: with the model "
        "0.40 for a headline alone, 0.60 for a title and lead; hashed vectors 0.11 / 0.32",
    )
    window_hours: float = Field(
        default=72.0, gt=0, description="a story takes articles within this many hours of its last"
    )
    entity_weight: float = Field(
        default=0.2, ge=0.0, le=1.0, description="bonus for names an article shares with a story"
    )
    duplicate_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="word-trigram similarity (MinHash) at which an article is a near-duplicate",
    )
    heal: bool = Field(
        default=True,
        description="after each assignment, split a changed story that holds two events and "
        "merge one that is the same event as another recent story",
    )


class CheckSettings(_Stage):
    """The checker every published sentence passes, whichever engine wrote it."""

    policy: Literal["drop", "mark"] = Field(
        default="drop",
        description="what happens to a sentence the checker does not accept: drop it, or "
        "publish it marked with its verdict",
    )
    accept_partly: bool = Field(
        default=False, description="publish sentences the checker finds only partly supported"
    )
    use_model: bool = Field(
        default=False,
        description="the checker also scores meaning with a sentence-embedding model "
        "(pip install 'storybrief[checker-model]')",
    )


class OpenAISettings(_Stage):
    """The ``openai`` engine: any OpenAI-compatible server."""

    base_url: str | None = Field(
        default=None,
        description="the server, ending in /v1; default http://127.0.0.1:8080/v1",
    )
    model: str | None = Field(
        default=None, description="the model; default: the first the server lists"
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="bearer token for the server (else OPENAI_API_KEY); never logged or stored",
    )


class LlamaCppSettings(_Stage):
    """The ``llamacpp`` engine: a local GGUF model in process."""

    model: Path | None = Field(
        default=None,
        description="GGUF file; default: the model that storybrief[llamacpp-model] installs",
    )


class ExplainSettings(_Stage):
    """Writing explainers: which engine, when, and the engines' own settings."""

    engine: str = Field(default="builtin", description="explainer engine used when none is named")
    auto_explain: bool = Field(
        default=True,
        description="keep explainers current as stories form and grow (on ingest and in watch)",
    )
    min_articles: int = Field(
        default=1, ge=1, description="articles a story needs before its first explainer"
    )
    settle_seconds: float = Field(
        default=60.0,
        ge=0.0,
        description="a story that grew gets its next explainer version once no article has "
        "joined it for this long (its burst of reports has settled)",
    )
    max_wait_seconds: float = Field(
        default=300.0,
        ge=0.0,
        description="... and at the latest this long after the first article its latest "
        "version lacks, however long the burst goes on",
    )
    interval_seconds: float = Field(
        default=0.0,
        ge=0.0,
        description="at least this long between two versions of one story, over the two "
        "above (0: no floor; for an engine that costs per call)",
    )
    rewrite_unsupported: bool = Field(
        default=False,
        description="LLM engines rewrite each sentence the checker rejects once, given its "
        "reason, instead of dropping it at once",
    )
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    llamacpp: LlamaCppSettings = Field(default_factory=LlamaCppSettings)


class ServeSettings(_Stage):
    """The web app (storybrief serve)."""

    host: str = Field(
        default="127.0.0.1",
        description="address `storybrief serve` binds; a non-loopback one needs api_token",
    )
    port: int = Field(default=8000, ge=0, le=65535)
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
    min_outlets: int = Field(
        default=1,
        ge=1,
        le=100,
        description="outlets a story's articles must come from before it is listed among the "
        "explained stories of the front and topic pages; until then it is listed with the "
        "stories waiting (its page, search and the feeds show it as usual)",
    )
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


class WatchSettings(_Stage):
    """Following feeds (storybrief watch, storybrief worker)."""

    poll_every_seconds: float = Field(
        default=900.0, gt=0, description="how often a feed is polled unless it says otherwise"
    )
    min_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        description="floor: no feed is polled more often, whatever it or its settings say",
    )
    max_poll_seconds: float = Field(
        default=86_400.0,
        gt=0,
        description="ceiling for a feed's hints and a failing feed's backoff",
    )
    jitter: float = Field(
        default=0.1, ge=0.0, le=0.5, description="random share added to each poll interval"
    )
    idle_sleep_seconds: float = Field(
        default=5.0, gt=0, description="how long the watcher sleeps when nothing is due"
    )


class WorkerSettings(_Stage):
    """Worker mode on many machines (storybrief worker): Procrastinate on PostgreSQL."""

    concurrency: int = Field(
        default=1, ge=1, le=64, description="jobs one worker process runs at the same time"
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="how often a worker tells the database it is alive"
    )
    stalled_after_seconds: float = Field(
        default=30.0,
        gt=0,
        description="a worker silent this long is dead: its running jobs are run again",
    )
    fetch_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often an idle worker looks for jobs besides being notified of new ones",
    )
    keep_jobs_hours: int = Field(
        default=72,
        ge=0,
        description="finished jobs (done, failed or cancelled) stay in the queue this many "
        "hours, then an hourly job deletes them",
    )


class Settings(BaseSettings):
    """Everything storybrief can be configured with. Nested models are the stages; their field
    names are the config file's keys in that stage's table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        validate_assignment=True,
    )

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file storybrief.db in data_dir. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    check: CheckSettings = Field(default_factory=CheckSettings)
    explain: ExplainSettings = Field(default_factory=ExplainSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

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
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if _LOADING is not None and _LOADING.config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=_LOADING.config_file))
        return tuple(sources)

    def changed(self, **dotted: Any) -> Settings:
        """A copy with the given settings changed, named by dotted key
        (``settings.changed(**{"fetch.max_bytes": 1000})``); each value is validated."""
        copy = self.model_copy(deep=True)
        for key, value in dotted.items():
            *parents, leaf = key.split(".")
            node: Any = copy
            for part in parents:
                node = getattr(node, part)
            if not hasattr(node, leaf):
                raise ConfigError(f"no setting named {key!r}")
            setattr(node, leaf, value)
        return copy

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'storybrief.db'}"


class _Loading:
    """What one :func:`load_settings` call reads (the config file is a layer only there: a
    ``Settings(...)`` built by hand gets defaults, environment and its own arguments)."""

    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file


_LOADING: _Loading | None = None


def config_file_in_use(config_file: Path | str | None = None) -> Path | None:
    """The config file a load reads: the one named, else ``STORYBRIEF_CONFIG``, else the
    default one when it exists."""
    path = Path(config_file).expanduser() if config_file else None
    if path is None and os.environ.get("STORYBRIEF_CONFIG"):
        path = Path(os.environ["STORYBRIEF_CONFIG"]).expanduser()
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path
    default = default_config_file()
    return default if default.is_file() else None


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from every layer; ``overrides`` (e.g. CLI flags) win over all others.
    Nested overrides are dotted or nested dicts (``{"fetch": {"max_bytes": 1}}`` or
    ``**{"fetch.max_bytes": 1}``). Overrides whose value is ``None`` are ignored, so unset
    flags do not mask lower layers."""
    global _LOADING
    explicit = _nest({k: v for k, v in overrides.items() if v is not None})
    previous = _LOADING
    try:
        _LOADING = _Loading(config_file_in_use(config_file))
        settings = Settings(**explicit)
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError or TOML decode error
        raise ConfigError(f"invalid settings: {exc}") from exc
    finally:
        _LOADING = previous
    if settings.explain.openai.api_key is None and os.environ.get("OPENAI_API_KEY"):
        settings.explain.openai.api_key = SecretStr(os.environ["OPENAI_API_KEY"])
    return settings


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf].update(value)
        else:
            node[leaf] = value
    return nested


# -- where each effective value came from (storybrief config) ---------------------------------

SECRET_MASK = "**********"


def explain_settings(
    config_file: Path | str | None = None, **overrides: Any
) -> list[tuple[str, Any, str]]:
    """Every effective setting as (dotted key, value, origin), origin being ``default``, the
    config file's path, the environment variable's name, or ``flag``. Secrets are masked."""
    settings = load_settings(config_file, **overrides)
    path = config_file_in_use(config_file)
    file_keys = set(_flatten(tomllib.loads(path.read_text())) if path else {})
    env_keys = _env_keys()
    flag_keys = set(_flatten(_nest({k: v for k, v in overrides.items() if v is not None})))
    rows = []
    for key, value in _flatten(settings.model_dump()).items():
        if key in flag_keys:
            origin = "flag"
        elif key in env_keys:
            origin = env_keys[key]
        elif key in file_keys:
            origin = str(path)
        else:
            origin = "default"
        if isinstance(value, SecretStr):
            value = SECRET_MASK
        elif isinstance(value, Path):
            value = str(value)
        rows.append((key, value, origin))
    return rows


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _env_keys() -> dict[str, str]:
    """Dotted keys the environment sets, with the variable that sets each."""
    found = _flatten(EnvSettingsSource(Settings)())
    names = {}
    for key in found:
        names[key] = ENV_PREFIX + key.replace(".", ENV_DELIMITER).upper()
    return names
