"""Serve stage: the web pages, the JSON API (``/api/v1``) and the feeds over the library.

>>> from storybrief.serve import create_app
>>> app = create_app(load_settings())                      # doctest: +SKIP

Needs the ``serve`` extra: ``pip install 'storybrief[serve]'``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..settings import Settings
    from ..store import Store

__all__ = ["create_app", "run", "worker_app"]


def _require() -> None:
    for module, package in (
        ("fastapi", "fastapi"),
        ("jinja2", "jinja2"),
        ("python_multipart", "python-multipart"),
        ("fastapi_offline", "fastapi-offline"),
    ):
        try:
            __import__(module)
        except ImportError as exc:
            raise MissingExtraError("storybrief serve", "serve", package) from exc


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The web app over ``store`` (or the database ``settings`` name)."""
    _require()
    from .app import create_app as build

    return build(settings, store)


#: How ``run`` hands the settings to worker processes (JSON; secrets included, so the
#: variable is readable by this user only, like the process's other environment).
WORKER_SETTINGS_ENV = "SB_SERVE_WORKER_SETTINGS"


def run(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    **uvicorn: Any,
) -> None:
    """Serve until interrupted. Refuses a non-loopback address without an API token.

    With ``workers`` > 1, uvicorn starts that many worker processes, each building the app
    with :func:`worker_app` from these settings: their caches are their own and checked
    against the database's data version, and the rate limits are counted in the database,
    so every worker answers the same."""
    from .security import check_bind, secret_key

    host = host or settings.serve.host
    port = settings.serve.port if port is None else port
    check_bind(host, settings)
    _require()
    try:
        import uvicorn as server
    except ImportError as exc:
        raise MissingExtraError("storybrief serve", "serve", "uvicorn") from exc
    if workers <= 1:
        server.run(create_app(settings), host=host, port=port, **uvicorn)
        return
    # before the workers start: migrate once, and make the signing key once, so that every
    # worker signs reader and CSRF tokens with the same key
    from ..library import Library

    with Library(settings) as library:
        library.open()
    secret_key(settings)
    os.environ[WORKER_SETTINGS_ENV] = dump_settings(settings)
    run_workers(f"{__name__}:worker_app", workers=workers, host=host, port=port, **uvicorn)


def run_workers(app: str, *, workers: int, **options: Any) -> None:
    """uvicorn's worker processes for the app factory ``app`` ("module:function"), as
    ``uvicorn.run(app, factory=True, workers=N)`` does, but on a listening socket that says it
    is TCP: uvicorn binds one that does not (uvicorn issue #3149), and asyncio then leaves
    Nagle's algorithm on for every connection, so each keep-alive request after the first
    waits ~40 ms for the client's delayed ACK."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        family = sock.family
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, sock.detach())
        sock.set_inheritable(True)
    import inspect

    extra: dict[str, Any] = {}
    if "target" in inspect.signature(Multiprocess).parameters:  # older uvicorn
        extra["target"] = uvicorn.Server(config).run
    try:
        Multiprocess(config, sockets=[sock], **extra).run()
    finally:
        sock.close()


def worker_app() -> FastAPI:
    """The app of one worker process started by ``run(workers=N)``: the settings the parent
    process was given."""
    from ..settings import Settings

    data = os.environ.get(WORKER_SETTINGS_ENV)
    if data is None:
        raise ConfigError(
            f"{WORKER_SETTINGS_ENV} is not set: worker_app is started by "
            "`storybrief serve --workers N`"
        )
    return create_app(Settings(**json.loads(data)))


def dump_settings(settings: Settings) -> str:
    """The settings as JSON, secrets included (for a worker process of this one)."""
    from pydantic import SecretStr

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return value

    return json.dumps(plain(settings.model_dump(mode="python")), default=str)
