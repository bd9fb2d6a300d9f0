"""The API's documentation pages, served by the app itself and working offline: Swagger UI
at ``/docs`` from the assets the ``fastapi-offline`` package ships (never a CDN), started by a
script file of our own, so the strict Content-Security-Policy holds (no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from ..errors import MissingExtraError

ASSETS = "/docs/assets"


def assets_dir() -> Path:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's files."""
    try:
        import fastapi_offline
    except ImportError as exc:
        raise MissingExtraError("storybrief serve", "serve", "fastapi-offline") from exc
    return Path(fastapi_offline.__file__).parent / "static"


def add_docs(app: FastAPI, openapi_url: str) -> None:
    """``/docs`` (Swagger UI over ``openapi_url``) and its assets under ``/docs/assets``."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        response: Response = request.app.state.templates.TemplateResponse(
            request,
            "docs.html",
            {
                "site_title": request.app.state.settings.serve.site_title,
                "openapi_url": openapi_url,
                "assets": ASSETS,
            },
        )
        return response
