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
- everything the render function reads from the **database** is covered by the store's data
  version (:meth:`storybrief.store.Store.data_version`), which changes whenever any process
  commits a change: a new explainer version, a new article, new feedback, a story deleted.
  It is read *before* rendering, so a page is never kept under a newer version than the data
  it was rendered from.

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

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

#: Header names a kept response keeps (everything else, such as cookies, is per response).
_KEPT_HEADERS = {"content-type", "content-language", "link"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Entry:
    version: str
    born: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    tag: str  # names key and version: the ETag (with the personal values' digest added)


class ResponseCache:
    """At most ``size`` responses, least recently used dropped first, each valid while the
    data version it was rendered at is current."""

    def __init__(self, data_version: Callable[[], str | None], size: int = 512) -> None:
        self.data_version = data_version
        self.size = size
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: str | None, max_age: float | None = None) -> Entry | None:
        if version is None:
            return None
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry.version != version:
                self.misses += 1
                return None
            if max_age is not None and time.monotonic() - entry.born > max_age:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Hashable, version: str, response: Response) -> Entry:
        digest = hashlib.blake2b(repr((key, version)).encode(), digest_size=12).hexdigest()
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() in _KEPT_HEADERS
        )
        entry = Entry(version, time.monotonic(), bytes(response.body), headers, digest)
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


async def cached(
    request: Request,
    key: Hashable,
    render: Callable[[], Response],
    *,
    personal: Mapping[str, str] | None = None,
    cache_control: str = "no-cache",
    max_age: float | None = None,
) -> Response:
    """The response ``render`` gives (run in the thread pool, since it reads the database),
    kept for the next request with the same ``key`` while the data version holds; answered
    with 304 when the client's ``If-None-Match`` names it. ``personal`` maps placeholders in
    the rendered body to this request's values."""
    cache: ResponseCache = request.app.state.response_cache
    version = cache.data_version()  # before rendering: see the module's docstring
    scope = request.scope
    full_key = (key, scope.get("scheme"), request.headers.get("host"), scope.get("root_path"))
    entry = cache.get(full_key, version, max_age)
    if entry is None:
        response = await run_in_threadpool(render)
        if version is None or response.status_code != 200 or response.body is None:
            return _personalised_response(response, personal)
        entry = cache.put(full_key, version, response)
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
    headers = {**dict(entry.headers), "etag": etag, "cache-control": cache_control}
    if personal:
        headers["vary"] = "Cookie"
    if _matches(request.headers.get("if-none-match"), etag):
        headers.pop("content-type", None)
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers)


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
