"""The web app: built by :func:`create_app`, never at import time, so each caller (the
``serve`` command, a test, a benchmark) hands it its own settings and store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import (
    ConfigError,
    EngineError,
    MissingExtraError,
    NotFoundError,
    NothingToPublishError,
    SourceError,
    StorageError,
    StorybriefError,
)
from ..library import Library
from ..settings import Settings
from .cache import ResponseCache, SharedFastPath
from .security import GuardMiddleware, SharedRateLimiter, Signer, secret_key

if TYPE_CHECKING:
    from ..store import Store

HERE = Path(__file__).parent
API_PREFIX = "/api/v1"

_STATUS = [
    (NotFoundError, 404),
    (ConfigError, 400),
    (SourceError, 422),
    (NothingToPublishError, 422),  # a fact about the articles, not an engine failing
    (MissingExtraError, 501),
    (EngineError, 502),
    (StorageError, 503),
]


class Problem(BaseModel):
    """One thing wrong with a request, as request validation found it."""

    loc: list[str | int] = Field(description="where: path, query or body, then the field")
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error the API answers has this shape: ``detail`` says what was wrong in one
    line; a request that failed validation lists each problem in ``errors`` too."""

    detail: str = Field(description="what was wrong, in one line")
    errors: list[Problem] | None = Field(
        default=None, description="request validation: each field that was wrong"
    )


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


#: What an API route can answer besides its success, in the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error(
        "a valid API token is needed (write routes, operator data, or reads when "
        "public_read is off)"
    ),
    403: _error("this server has no API token configured, so the route is disabled"),
    404: _error("no story, explainer, version or article with that id"),
    413: _error("the request body is over serve.max_request_bytes"),
    422: _error(
        "the request is invalid (a path, query or body field; or articles that hold "
        "nothing publishable)"
    ),
    429: _error("too many requests from this address (Retry-After says when to come back)"),
    501: _error("a feature the server's installation lacks (an optional package)"),
    502: _error("the explainer engine failed"),
    503: _error("the database is unavailable; try again"),
}


def status_of(exc: StorybriefError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def when(value: datetime | None, fmt: str = "%d %b %Y, %H:%M UTC") -> str:
    return value.strftime(fmt) if value else ""


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # everything a template prints is escaped unless marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["iso"] = lambda v: v.isoformat() if v else ""
    return Jinja2Templates(env=env)


def wants_json(request: Request) -> bool:
    if request.url.path.startswith(API_PREFIX):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The web pages, the JSON API (``/api/v1``, OpenAPI at ``/api/v1/openapi.json``) and the
    feeds, over one :class:`~storybrief.library.Library` of ``settings`` and ``store`` (the
    settings' database, opened here and closed on shutdown, when no store is given)."""
    library = Library(settings, store).open()  # open (and migrate) now, not on first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        library.close()

    app = FastAPI(
        title=f"{settings.serve.site_title} API",
        version=__version__,
        description="News explainers whose every sentence cites its sources. Read endpoints "
        "are public unless `public_read` is off; write endpoints and feedback statistics need "
        "`Authorization: Bearer <api_token>`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's own pages load from a CDN and run inline scripts: see apidocs
        redoc_url=None,
        lifespan=lifespan,
        # no default_response_class: with a response model, FastAPI (0.130+) writes the JSON
        # with pydantic-core's encoder (Rust), faster than ORJSONResponse, which it deprecates
    )
    app.state.library = library
    app.state.settings = settings
    app.state.templates = templates()
    app.state.signer = Signer(secret_key(settings))
    app.state.response_cache = ResponseCache(library.data_version)
    # kept in the database: every process serving it counts the same events
    app.state.feedback_limiter = SharedRateLimiter(
        library, "feedback", settings.serve.feedback_rate_per_minute
    )
    app.state.write_limiter = SharedRateLimiter(
        library, "write", settings.serve.write_rate_per_minute
    )
    app.state.token_failure_limiter = SharedRateLimiter(
        library, "token-failure", settings.serve.token_failures_per_minute
    )
    # the fast path inside the guard, so that what it sends gets the security headers too
    app.add_middleware(SharedFastPath, cache=app.state.response_cache)
    app.add_middleware(GuardMiddleware, max_bytes=settings.serve.max_request_bytes)

    from . import api, api_articles, api_calls, api_feedback, operator, pages
    from .apidocs import add_docs

    for router in (api.router, api_articles.router, api_feedback.router, api_calls.router):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.add_api_route("/health", health, methods=["GET", "HEAD"], include_in_schema=False)
    app.include_router(pages.router)
    app.include_router(operator.router)
    add_docs(app, f"{API_PREFIX}/openapi.json")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(StorybriefError)
    async def _storybrief_error(request: Request, exc: StorybriefError) -> Response:
        status = status_of(exc)
        message = str(exc) if status != 503 else "the database is unavailable; try again"
        return error_response(request, status, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": str(e.get("type"))}
            for e in exc.errors()
        ]
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        message = f"invalid request ({problems})"
        if wants_json(request):
            return JSONResponse({"detail": message, "errors": errors}, status_code=422)
        return error_response(request, 422, message)

    return app


def health(request: Request) -> Response:
    """Whether this service works: the database answers, and every watcher following the
    feeds on it (``watch``, ``serve --watch``) is running, its last round went through and
    it was heard from lately. 200 with ``"status": "ok"``, else 503 with ``"failing"``; each
    watcher with its health (a stopped one, or one gone for a day, does not count). Public:
    no error text, which ``storybrief status`` and the operator page show."""
    library: Library = request.app.state.library
    headers = {"Cache-Control": "no-store"}
    try:
        watchers = library.watchers()
    except StorageError:
        down = {"status": "failing", "database": "unavailable", "watchers": []}
        return JSONResponse(down, status_code=503, headers=headers)
    ok = all(w.healthy for w in watchers if w.counts)
    body: dict[str, Any] = {
        "status": "ok" if ok else "failing",
        "database": "ok",
        "watchers": [
            {
                "name": w.record.name,
                "host": w.record.host,
                "health": w.health,
                "failed_rounds": w.record.failures,
                "restarts": w.record.restarts,
                "last_heard": w.record.heartbeat_at.isoformat(),
            }
            for w in watchers
            if w.health != "gone"
        ],
    }
    return JSONResponse(body, status_code=200 if ok else 503, headers=headers)


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON error for API clients, an error page for browsers."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    page: Any = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "message": message,
            "site_title": request.app.state.settings.serve.site_title,
        },
        status_code=status,
        headers=headers,
    )
    return page if isinstance(page, HTMLResponse) else HTMLResponse(str(message), status)
