"""What keeps the web app safe to expose: the bind check, the signing key, reader and CSRF
tokens, the API token, rate limits, request size limits and security headers."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError
from ..settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Pages and API answers may load nothing from elsewhere and run no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to listen beyond this machine while writes are unprotected."""
    if not is_loopback(host) and settings.serve.api_token is None:
        raise ConfigError(
            f"refusing to serve on {host}: binding a non-loopback address needs an API token "
            "(set STORYBRIEF_SERVE__API_TOKEN or serve.api_token in the config file), "
            "or bind 127.0.0.1"
        )


def secret_key(settings: Settings) -> bytes:
    """The key that signs reader and CSRF tokens: from settings, or a random one kept in
    ``data_dir/serve-secret`` (created on first use, readable by the owner only)."""
    if settings.serve.secret_key is not None:
        return settings.serve.secret_key.get_secret_value().encode()
    path = Path(settings.data_dir) / "serve-secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:  # exclusively: processes starting together all end up with the first one's key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the other process may not have written it yet
            try:
                return bytes.fromhex(path.read_text().strip())
            except ValueError:
                time.sleep(0.02)
        raise ConfigError(f"{path} holds no key: delete it to make a new one") from None
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key


class Signer:
    """HMAC-SHA256 over short strings: signed reader ids and the CSRF tokens bound to them."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def new_reader(self) -> tuple[str, str]:
        """A fresh reader id and its cookie value."""
        reader = secrets.token_hex(16)
        return reader, f"{reader}.{self._mac('reader', reader)}"

    def reader_of(self, cookie: str | None) -> str | None:
        """The reader id in a cookie value, if its signature holds."""
        if not cookie or len(cookie) > 100 or "." not in cookie:
            return None
        reader, _, mac = cookie.partition(".")
        if hmac.compare_digest(mac, self._mac("reader", reader)):
            return reader
        return None

    def sign(self, purpose: str, value: str) -> str:
        """The MAC of ``value`` for ``purpose`` (the operator's login cookie)."""
        return self._mac(purpose, value)

    def csrf_token(self, reader: str) -> str:
        return self._mac("csrf", reader)

    def csrf_ok(self, reader: str | None, token: str | None) -> bool:
        if not reader or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(reader))


def token_ok(settings: Settings, authorization: str | None) -> bool:
    """Whether an ``Authorization: Bearer ...`` header carries the configured API token."""
    if settings.serve.api_token is None or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    expected = settings.serve.api_token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


class EventCounts(Protocol):
    """Where a :class:`SharedRateLimiter` counts its events: the library."""

    def rate_limit_hit(self, key: str, limit: int, window: float, now: float) -> float: ...

    def rate_limit_wait(self, key: str, limit: int, window: float, now: float) -> float: ...


class SharedRateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (a sliding window), counted
    in the database (``counts``: the library), so that it holds across every process serving
    it (``storybrief serve --workers N``, several servers on one PostgreSQL). ``name`` keeps
    this limit's keys apart from other limits'. Its methods run a short transaction: call them
    from sync code (the thread pool), not the event loop."""

    def __init__(self, counts: EventCounts, name: str, limit: int, window: float = 60.0) -> None:
        self.counts = counts
        self.name = name
        self.limit = limit
        self.window = window

    def _key(self, key: str) -> str:
        return f"{self.name}|{key}"[:256]

    def hit(self, key: str) -> float:
        """Count an event; 0 when allowed, else the seconds until one more would be."""
        return self.counts.rate_limit_hit(self._key(key), self.limit, self.window, time.time())

    def wait(self, key: str) -> float:
        """Like :meth:`hit` without counting: 0 when one more event would be allowed."""
        return self.counts.rate_limit_wait(self._key(key), self.limit, self.window, time.time())


#: The largest id a stored row can have: ids are 32-bit integers on PostgreSQL (and never pass
#: this on SQLite), so a larger one is refused (422) alike on both, before the database sees it.
#: The same bound as storybrief.store.database.MAX_ID (tests/test_serve_hostile.py checks).
MAX_ID = 2**31 - 1


def client_address(request: Any) -> str:
    """The address a request came from (the direct peer: no proxy headers are trusted)."""
    client = getattr(request, "client", None)
    return client.host if client else "unknown"


class GuardMiddleware:
    """Pure ASGI middleware: adds the security headers to every response and refuses request
    bodies over ``max_bytes`` (by Content-Length, or while the body streams in) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        seen = 0
        started = False
        rejected = False
        # a body the app answers without reading to its end (a form it refuses, a route that
        # takes none) must not be read by the server after the answer, whatever its size:
        # the answer then says Connection: close, and the rest is never read
        body_read = length in (None, b"0") and b"transfer-encoding" not in headers

        async def limited_receive() -> Message:
            nonlocal seen, rejected, body_read
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                body_read = body_read or not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now; the app sees a client that went away, and whatever it
                    # still sends is dropped.
                    rejected = True
                    if not started:
                        await _too_large(send, self.max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                if not body_read and b"connection" not in names:
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not rejected:
                raise


async def _too_large(send: Send, max_bytes: int) -> None:
    body = f'{{"detail":"request body larger than {max_bytes} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
