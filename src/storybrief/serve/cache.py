"""Rendered pages and API answers, kept in memory and checked against the database on every
request, with conditional requests (ETag, 304) on top.

A route hands :func:`cached` a key and a function that renders its response::

    @router.get("/stories/{story_id}")
    async def story(request: Request, story_id: int) -> Response:
        return await cached(request, ("story", story_id), lambda: render_story(story_id))

What a response depends on is declared by the two halves of that call:

- the **key** names everything about the *request* that changes the response (path
  parameters, query parameters, the reader's answer...). The host, scheme and root path are
  added by :func:`cached` itself, since pages carry absolute URLs;
- everything the render function reads from the **database's content tables** is covered by
  the store's content version (:meth:`storybrief.store.Store.data_version`), which changes
  whenever any process commits a change readers can see: a new explainer version, a new
  article, new feedback, a story deleted (and not a feed poll or a rate-limit event: see
  store/version.py). It is read *before* rendering, so a page is never kept under a newer
  version than the data it was rendered from.

Values that differ per reader but not per page (the CSRF token) are rendered as a
placeholder and put in per response (``personal``); they must be plain tokens (letters,
digits, ``-`` and ``_``). Anything else a render reads (the clock: "5 minutes ago") needs
``max_age`` or must stay out of cached pages. Only 200 answers are kept; errors (404...) are
rendered every time.

The cache is per process: several worker processes each keep their own, and each checks the
shared data version, so none serves what another process's write made stale.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

#: Header names a kept response keeps (everything else, such as cookies, is per response).
_KEPT_HEADERS = {"content-type", "content-language", "link"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
T = TypeVar("T")


#: What a route's ``fast`` function gives for a request the fast path may answer: the
#: variant of the kept answer it gets, the personal values to fill in, and headers to add (a
#: new reader's cookie). ``None``: this request needs the route.
FastAnswer = tuple[Hashable, Mapping[str, str], list[tuple[bytes, bytes]]]
#: ``fast(scope, cache, data_version)``
FastRoute = Callable[[Scope, "ResponseCache", str | None], FastAnswer | None]


@dataclass(frozen=True)
class Entry:
    version: str
    born: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    tag: str  # a digest of what is sent: the ETag (with the personal values' digest added)
    max_age: float | None = None


class ResponseCache:
    """At most ``size`` responses, least recently used dropped first, each valid while the
    data version it was rendered at is current."""

    def __init__(self, data_version: Callable[[], str | None], size: int = 512) -> None:
        self.data_version = data_version
        self.size = size
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._values: OrderedDict[Hashable, tuple[str, object]] = OrderedDict()
        self._lock = threading.Lock()
        #: the raw requests (path, query, host...) whose answer is the same for every client,
        #: with the key of that answer: what :class:`SharedFastPath` serves
        self.shared: dict[tuple[object, ...], tuple[Hashable, FastRoute | None]] = {}
        self.hits = 0
        self.misses = 0
        self.fast_answers = 0  # hits answered by SharedFastPath, before routing

    def get(self, key: Hashable, version: str | None) -> Entry | None:
        """The entry kept for ``key`` if it was rendered at ``version`` (and is not older than
        the ``max_age`` it was kept with)."""
        if version is None:
            return None
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry.version != version:
                self.misses += 1
                return None
            if entry.max_age is not None and time.monotonic() - entry.born > entry.max_age:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def share(self, raw: tuple[object, ...], found: tuple[Hashable, FastRoute | None]) -> None:
        """Remember that requests that are ``raw`` are answered by the entry of ``found``'s
        key (when its ``fast`` function, if any, accepts them)."""
        if raw not in self.shared:
            if len(self.shared) >= 4 * self.size:
                self.shared.clear()  # keeps it bounded; the routes fill it again
            self.shared[raw] = found

    def put(
        self, key: Hashable, version: str, response: Response, max_age: float | None = None
    ) -> Entry:
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() in _KEPT_HEADERS
        )
        # the ETag names what was sent, not (key, version): another worker process, or this
        # one after a restart or an upgrade, can render the same version with other settings
        # or a newer template
        digest = hashlib.blake2b(repr(headers).encode(), digest_size=12)
        digest.update(response.body)
        entry = Entry(
            version, time.monotonic(), bytes(response.body), headers, digest.hexdigest(), max_age
        )
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return entry

    def value(self, key: Hashable, version: str | None) -> tuple[bool, object]:
        """(found, value) of what :func:`kept` keeps for ``key`` at ``version``."""
        if version is None:
            return False, None
        with self._lock:
            found = self._values.get(key)
            if found is None or found[0] != version:
                return False, None
            self._values.move_to_end(key)
            return True, found[1]

    def keep_value(self, key: Hashable, version: str, value: object) -> None:
        with self._lock:
            self._values[key] = (version, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._values.clear()
            self.shared.clear()


async def cached(
    request: Request,
    key: Hashable,
    render: Callable[[], Response],
    *,
    personal: Mapping[str, str] | None = None,
    variant: Hashable = None,
    shared: bool = False,
    fast: FastRoute | None = None,
    max_age: float | None = None,
) -> Response:
    """The response ``render`` gives (run in the thread pool, since it reads the database),
    kept for the next request with the same ``key`` and ``variant`` while the data version
    holds; answered with 304 when the client's ``If-None-Match`` names it. ``personal`` maps
    placeholders in the rendered body to this request's values; ``variant`` names what about
    this reader changes the markup (the story page: their feedback answer).

    Two ways to let :class:`SharedFastPath` answer later requests with this path and query
    before routing:

    - ``shared=True``: the answer is the same for *every* such request (no cookie, header or
      token changes it, and no dependency of the route refuses anyone);
    - ``fast``: a function that, given the request's scope, the cache and the data version,
      names the variant, personal values and extra headers of its answer, or ``None`` when
      the request needs the route (the story page: a new reader gets a reader cookie and its
      CSRF token; a returning one their kept answer and token)."""
    cache: ResponseCache = request.app.state.response_cache
    version = cache.data_version()  # before rendering: see the module's docstring
    scope = request.scope
    base = (key, scope.get("scheme"), request.headers.get("host"), scope.get("root_path"))
    entry = cache.get((*base, variant), version)
    if entry is None:
        response = await run_in_threadpool(render)
        if version is None or response.status_code != 200 or response.body is None:
            return _personalised_response(response, personal)
        entry = cache.put((*base, variant), version, response, max_age)
    if (shared and not personal and variant is None) or fast is not None:
        cache.share(raw_request(scope), (base, fast))
    body, headers = _answer(entry, personal)
    if _matches(request.headers.get("if-none-match"), headers["etag"]):
        headers.pop("content-type", None)
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers)


async def kept(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """What ``compute`` reads from the database (in the thread pool), kept per ``key`` while
    the data version holds, like responses: for what a route needs before it can name its
    response's key (the story page: every reader's answer to the version shown)."""
    cache: ResponseCache = request.app.state.response_cache
    version = cache.data_version()  # before reading
    found, old = cache.value(key, version)
    if found:
        return old  # type: ignore[return-value]
    value = await run_in_threadpool(compute)
    if version is not None:
        cache.keep_value(key, version, value)
    return value


def _answer(entry: Entry, personal: Mapping[str, str] | None) -> tuple[bytes, dict[str, str]]:
    """The body with the personal values filled in, and the headers (ETag and all)."""
    etag = f'"{entry.tag}"'
    body = entry.body
    if personal:
        mixed = hashlib.blake2b(digest_size=8)
        for placeholder, value in personal.items():
            if not _TOKEN.fullmatch(value):
                raise ValueError(f"a personal value must be a plain token, not {value!r}")
            body = body.replace(placeholder.encode(), value.encode())
            mixed.update(value.encode() + b"\0")
        etag = f'"{entry.tag}-{mixed.hexdigest()}"'
    headers = {**dict(entry.headers), "etag": etag, "cache-control": "no-cache"}
    if personal:
        headers["vary"] = "Cookie"
    return body, headers


def raw_request(scope: Scope) -> tuple[object, ...]:
    """What names a request on the fast path: path, query, host, scheme, root path."""
    host = None
    for name, value in scope.get("headers") or ():
        if name == b"host":
            host = value
            break
    return (
        scope.get("path"),
        scope.get("query_string"),
        host,
        scope.get("scheme"),
        scope.get("root_path"),
    )


class SharedFastPath:
    """Pure ASGI middleware: answers a GET or HEAD whose response :func:`cached` kept as
    ``shared`` (or whose route's ``fast`` function accepts the request) straight from the cache,
    after the same data-version check, without routing, parameter parsing or the thread pool.
    Everything else, and any request whose kept answer is out of date, goes on to the app."""

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self.cache.shared:
            found = self.cache.shared.get(raw_request(scope))
            if found is not None:
                base, fast = found
                version = self.cache.data_version()
                answer = fast(scope, self.cache, version) if fast is not None else (None, {}, [])
                if answer is not None:
                    variant, personal, extra = answer
                    entry = self.cache.get((*base, variant), version)  # type: ignore[misc]
                    if entry is not None:
                        self.cache.fast_answers += 1
                        await self._send(scope, entry, personal, extra, send)
                        return
        await self.app(scope, receive, send)

    @staticmethod
    async def _send(
        scope: Scope,
        entry: Entry,
        personal: Mapping[str, str] | None,
        extra: list[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        body, named = _answer(entry, personal)
        condition = None
        for name, value in scope.get("headers") or ():
            if name == b"if-none-match":
                condition = value.decode("latin-1")
                break
        if _matches(condition, named["etag"]):
            named.pop("content-type", None)
            status, body = 304, b""
        else:
            status = 200
            named["content-length"] = str(len(body))
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in named.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers + extra})
        await send({"type": "http.response.body", "body": body})


def _personalised_response(response: Response, personal: Mapping[str, str] | None) -> Response:
    """A response that is not kept, with its placeholders filled in all the same."""
    if not personal or response.body is None:
        return response
    body = bytes(response.body)
    for placeholder, value in personal.items():
        if not _TOKEN.fullmatch(value):
            raise ValueError(f"a personal value must be a plain token, not {value!r}")
        body = body.replace(placeholder.encode(), value.encode())
    response.body = body
    response.headers["content-length"] = str(len(body))
    return response


def _matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (weak comparison, as RFC 9110 asks)."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
