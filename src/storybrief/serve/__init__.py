"""Serve stage: the web pages, the JSON API (``/api/v1``) and the feeds over the library.

>>> from storybrief.serve import create_app
>>> app = create_app(load_settings())                      # doctest: +SKIP

Needs the ``serve`` extra: ``pip install 'storybrief[serve]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import MissingExtraError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..settings import Settings
    from ..store import Store

__all__ = ["create_app", "run"]


def _require() -> None:
    for module, package in (
        ("fastapi", "fastapi"),
        ("jinja2", "jinja2"),
        ("python_multipart", "python-multipart"),
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


def run(
    settings: Settings, *, host: str | None = None, port: int | None = None, **uvicorn: Any
) -> None:
    """Serve until interrupted. Refuses a non-loopback address without an API token."""
    from .security import check_bind

    host = host or settings.serve.host
    port = settings.serve.port if port is None else port
    check_bind(host, settings)
    _require()
    try:
        import uvicorn as server
    except ImportError as exc:
        raise MissingExtraError("storybrief serve", "serve", "uvicorn") from exc
    server.run(create_app(settings), host=host, port=port, **uvicorn)
