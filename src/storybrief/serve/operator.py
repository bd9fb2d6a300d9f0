"""The operator's pages, behind the API token: ``/operator`` (feed health, pending work and
throughput, failures, readers' answers per explainer version) and ``/operator/feeds.opml``.

A browser signs in once with the token (``/operator/login``, a form with CSRF protection) and
gets a signed HttpOnly, SameSite=Strict cookie, Secure over https, naming a session the
server keeps (signing out ends it on the server, so a copy of the cookie is of no use); scripts send
``Authorization: Bearer <api_token>`` instead. Wrong tokens count against the same per-address
limit as the API's. Nothing here is cached: every answer is ``Cache-Control: no-store``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ..library import Library
from . import dashboard
from .pages import READER_COOKIE, _reader, _render, _same_origin, _set_reader
from .security import Signer, client_address, token_ok

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "sb_operator"
SESSION_SECONDS = 12 * 60 * 60
NO_STORE = {"Cache-Control": "no-store"}


def _library(request: Request) -> Library:
    return request.app.state.library  # type: ignore[no-any-return]


def _token(request: Request) -> str:
    """The configured API token; without one the operator pages are off."""
    token = _library(request).settings.serve.api_token
    if token is None:
        raise HTTPException(
            403,
            "the operator page needs an API token: set serve.api_token "
            "(STORYBRIEF_SERVE__API_TOKEN) and sign in with it",
            headers=NO_STORE,
        )
    return token.get_secret_value()


def _session_mac(signer: Signer, token: str, expires: int, session_id: str) -> str:
    # bound to the token: changing serve.api_token signs every operator out
    fingerprint = hashlib.sha256(token.encode()).hexdigest()
    return signer.sign("operator", f"{expires}:{session_id}:{fingerprint}")


def new_session(
    signer: Signer, token: str, now: float | None = None, session_id: str | None = None
) -> str:
    """A session cookie: its expiry, its id (kept on the server while the session lasts)
    and their signature."""
    expires = int((now or time.time()) + SESSION_SECONDS)
    session_id = session_id or secrets.token_hex(16)
    return f"{expires}.{session_id}.{_session_mac(signer, token, expires, session_id)}"


def session_ok(
    signer: Signer, token: str, cookie: str | None, now: float | None = None
) -> str | None:
    """The session id of a cookie whose signature holds and that has not expired (whether
    the server still keeps that session is the library's to say)."""
    if not cookie or len(cookie) > 120 or cookie.count(".") != 2:
        return None
    expires, session_id, mac = cookie.split(".")
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return None
    if not hmac.compare_digest(mac, _session_mac(signer, token, int(expires), session_id)):
        return None
    return session_id


def _expiry(cookie: str) -> float:
    return float(cookie.split(".")[0])


def _wait_for_guesses(request: Request) -> None:
    """Past the limit of wrong tokens from this address, every attempt waits (429)."""
    limiter = request.app.state.token_failure_limiter
    wait = limiter.wait(client_address(request))
    if wait:
        per_minute = _library(request).settings.serve.token_failures_per_minute
        raise HTTPException(
            429,
            f"too many wrong API tokens from this address; try again in {int(wait) + 1} s "
            f"(token_failures_per_minute is {per_minute})",
            headers={"Retry-After": str(int(wait) + 1), **NO_STORE},
        )


def _signed_in(request: Request) -> bool:
    """Whether the request carries the token (Bearer header) or a valid operator cookie.
    A wrong Bearer token is a 401 at once, and counts as a wrong guess."""
    token = _token(request)
    authorization = request.headers.get("authorization")
    if authorization:
        _wait_for_guesses(request)
        if token_ok(_library(request).settings, authorization):
            return True
        request.app.state.token_failure_limiter.hit(client_address(request))
        raise HTTPException(
            401,
            "a valid API token is needed: Authorization: Bearer <api_token>",
            headers={"WWW-Authenticate": "Bearer", **NO_STORE},
        )
    session_id = session_ok(request.app.state.signer, token, request.cookies.get(SESSION_COOKIE))
    # and the server still keeps it: signing out ends it at once, in every server process
    return session_id is not None and _library(request).session_alive(session_id, time.time())


def _no_store(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


@router.api_route("/operator", methods=["GET", "HEAD"])
def operator_page(request: Request) -> Response:
    if not _signed_in(request):
        return _no_store(RedirectResponse("/operator/login", status_code=303))
    reader, new_cookie = _reader(request)
    response = _render(
        request,
        "operator.html",
        {
            "view": dashboard.overview(_library(request)),
            "csrf": request.app.state.signer.csrf_token(reader),
        },
    )
    _set_reader(request, response, new_cookie)
    return _no_store(response)


@router.api_route("/operator/feeds.opml", methods=["GET", "HEAD"])
def feeds_opml(request: Request) -> Response:
    """The followed feeds as OPML 2.0 (``storybrief feeds export`` over HTTP)."""
    if not _signed_in(request):
        raise HTTPException(
            401,
            "sign in at /operator/login, or send Authorization: Bearer <api_token>",
            headers={"WWW-Authenticate": "Bearer", **NO_STORE},
        )
    return Response(
        _library(request).feeds.export_opml(),
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="feeds.opml"', **NO_STORE},
    )


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    reader, new_cookie = _reader(request)
    response = _render(
        request,
        "login.html",
        {"csrf": request.app.state.signer.csrf_token(reader), "error": error},
        status=status,
    )
    _set_reader(request, response, new_cookie)
    return _no_store(response)


@router.api_route("/operator/login", methods=["GET", "HEAD"])
def login_page(request: Request) -> Response:
    if _signed_in(request):
        return _no_store(RedirectResponse("/operator", status_code=303))
    return _login_form(request)


def _check_form(request: Request, csrf: str) -> None:
    signer: Signer = request.app.state.signer
    if not _same_origin(request):
        raise HTTPException(403, "cross-site form submissions are refused", headers=NO_STORE)
    reader = signer.reader_of(request.cookies.get(READER_COOKIE))
    if reader is None or not signer.csrf_ok(reader, csrf):
        raise HTTPException(
            403, "the form has expired; reload the page and try again", headers=NO_STORE
        )


@router.post("/operator/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    expected = _token(request)
    _check_form(request, csrf)
    _wait_for_guesses(request)
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        request.app.state.token_failure_limiter.hit(client_address(request))
        return _login_form(request, "That is not this server's API token.", status=401)
    response = RedirectResponse("/operator", status_code=303)
    now = time.time()
    session_id = secrets.token_hex(16)
    cookie = new_session(request.app.state.signer, expected, now, session_id)
    _library(request).open_session(session_id, _expiry(cookie), now)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/operator",
    )
    return _no_store(response)


@router.post("/operator/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    _check_form(request, csrf)
    token = _library(request).settings.serve.api_token
    cookie = request.cookies.get(SESSION_COOKIE)
    if token is not None and cookie:
        session_id = session_ok(request.app.state.signer, token.get_secret_value(), cookie)
        if session_id is not None:  # revoked on the server: a copy of the cookie is no use
            _library(request).close_session(session_id)
    response = RedirectResponse("/operator/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/operator",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _no_store(response)
