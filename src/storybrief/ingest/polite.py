"""Polite fetching: every item-page fetch goes through one :class:`HostGate`.

A host is an origin (scheme, host name and port), the unit robots.txt applies to. For each:

* **robots.txt** (RFC 9309, parsed by protego) is fetched once, through the same guarded
  :class:`~storybrief.ingest.fetch.Fetcher` (so the address rules apply to it too), and kept
  for :data:`ROBOTS_TTL`. A 4xx answer means no rules (everything allowed); a 5xx, 429 or an
  unreachable host means everything is disallowed for :data:`ROBOTS_ERROR_TTL`, after which
  robots.txt is asked for again. A page the rules disallow for ``fetch.user_agent`` is not
  fetched: :class:`~storybrief.errors.RobotsDisallowedError` says which rule file and path.
  ``Crawl-delay`` and ``Request-rate`` raise the host's delay (up to :data:`MAX_CRAWL_DELAY`).
* **at most ``fetch.per_host_concurrency`` requests at a time**, and their starts at least
  ``fetch.per_host_delay`` seconds apart (robots.txt requests count too).
* **429 Too Many Requests and 503 with Retry-After** (seconds or an HTTP date) pause the host
  until then (at most :data:`MAX_PAUSE`; a 429 without Retry-After pauses it for
  :data:`DEFAULT_PAUSE`). Nothing is sent to a paused host: :meth:`HostGate.get` raises
  :class:`~storybrief.errors.HostPausedError` at once. In :meth:`HostGate.map` a page that
  met a pause is tried once more when the pause ends, if it ends within
  :data:`RETRY_WITHIN`; otherwise its failure stands with the reason.

Hosts never stall each other: :meth:`HostGate.map` starts a task only when its host has a free
slot and its turn has come, so a slow or paused host holds only its own slots, never the pool.
Redirects are followed by the Fetcher; the gate (robots.txt included) judges the URL asked for.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from protego import Protego

from ..errors import (
    BlockedAddressError,
    FetchError,
    HostPausedError,
    HostUnreachableError,
    HTTPStatusError,
    RobotsDisallowedError,
)
from ..settings import Settings
from .fetch import Fetcher, FetchResult
from .schedule import parse_retry_after

__all__ = ["HostGate", "host_key"]

ROBOTS_TTL = 24 * 3600.0  # a robots.txt is kept this long
ROBOTS_ERROR_TTL = 1800.0  # an unreadable robots.txt disallows everything for this long
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB, ignore the rest
MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay is taken as this
MAX_PAUSE = 6 * 3600.0  # the longest Retry-After pause honoured
DEFAULT_PAUSE = 60.0  # pause after a 429 that says nothing about when to come back
RETRY_WITHIN = 120.0  # map() retries a paused page once if the pause ends within this

T = TypeVar("T")
R = TypeVar("R")


def host_key(url: str) -> str | None:
    """The origin a URL belongs to (``"https://example.org:443"``), or None for a URL
    without a network host (the Fetcher refuses those with its own reason)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port or (443 if scheme == 'https' else 80)}"


def _shown(key: str) -> str:
    """ "example.org" for https://example.org:443, "127.0.0.1:8080" for others."""
    scheme, _, rest = key.partition("://")
    host, _, port = rest.rpartition(":")
    return host if port == ("443" if scheme == "https" else "80") else rest


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class _Robots:
    rules: Protego | None  # None: no rules, everything allowed
    expires: float  # monotonic
    error: str | None = None  # robots.txt unreadable: everything disallowed until expires
    delay: float = 0.0  # Crawl-delay / Request-rate, capped


@dataclass
class _Host:
    key: str
    active: int = 0  # requests (or map tasks) holding a slot
    next_start: float = 0.0  # monotonic time the next request may start
    paused_until: float = 0.0
    pause_reason: str = ""
    unreachable_until: float = 0.0  # it could not be connected to: its URLs fail at once
    unreachable_reason: str = ""
    robots: _Robots | None = None
    robots_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return _shown(self.key)


@dataclass
class _Task(Generic[T]):
    index: int
    item: T
    key: str | None
    attempts: int = 0


class HostGate:
    """Robots.txt, per-host concurrency and delay, and Retry-After pauses, in front of a
    :class:`Fetcher` (see the module docstring). Thread-safe; keep one for as long as its
    robots.txt cache and pauses should last (a run, or the watcher's lifetime)."""

    def __init__(self, fetcher: Fetcher, settings: Settings) -> None:
        options = settings.fetch
        self.fetcher = fetcher
        self.user_agent = options.user_agent
        self.obey_robots = options.obey_robots
        self.per_host_concurrency = options.per_host_concurrency
        self.per_host_delay = options.per_host_delay
        self.concurrency = options.concurrency
        self.unreachable_seconds = options.unreachable_seconds
        self._hosts: dict[str, _Host] = {}
        self._changed = threading.Condition()  # guards every _Host's counters
        self._local = threading.local()  # the slot a map() task holds; a pause it met

    # -- public ---------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        robots: bool = True,
    ) -> FetchResult:
        """Fetch ``url`` politely: wait for a slot and the host's turn, check robots.txt
        (unless ``robots`` is False: for addresses an operator named, not discovered ones),
        then :meth:`Fetcher.get`. Raises :class:`RobotsDisallowedError` and
        :class:`HostPausedError` without sending the request, and every Fetcher error."""
        key = host_key(url)
        if key is None:
            return self.fetcher.get(url, etag=etag, last_modified=last_modified)
        host = self._host(key)
        with self._slot(host):
            self._check_reachable(host, url)
            self._check_pause(host, url)
            if robots and self.obey_robots:
                self._check_robots(host, url)
            self._take_turn(host)
            self._check_reachable(host, url)  # another request may have found it down
            self._check_pause(host, url)  # a pause may have begun while this waited its turn
            try:
                result = self.fetcher.get(url, etag=etag, last_modified=last_modified)
            except HTTPStatusError as exc:
                self._maybe_pause(host, exc)
                raise
            except HostUnreachableError as exc:
                if host_key(exc.url) == key:  # not a host a redirect led to
                    self._mark_unreachable(host, exc)
                raise
            if host.unreachable_until:
                with self._changed:
                    host.unreachable_until = 0.0  # it answers again
            return result

    def paused_for(self, url: str) -> float:
        """Seconds left of the pause ``url``'s host asked for (0 when it is not paused)."""
        key = host_key(url)
        if key is None:
            return 0.0
        with self._changed:
            host = self._hosts.get(key)
            return max(0.0, host.paused_until - time.monotonic()) if host else 0.0

    def map(
        self,
        work: Callable[[T], R],
        items: Iterable[T],
        url_of: Callable[[T], str | None],
        *,
        workers: int | None = None,
    ) -> Generator[R, None, None]:
        """``work(item)`` for every item on up to ``workers`` threads (``fetch.concurrency``),
        results yielded in the items' order. ``url_of(item)`` names the URL ``work`` will
        fetch through :meth:`get` (None: it fetches nothing): a task starts only when that
        host has a free slot and its turn has come. A task whose fetch met a host pause
        ending within :data:`RETRY_WITHIN` is run again, once, after the pause; its first
        result is dropped, so ``work`` must leave side effects (such as storing) to the
        caller."""
        workers = workers or self.concurrency
        tasks = [_Task(i, item, host_key(url_of(item) or "")) for i, item in enumerate(items)]
        pending = list(tasks)  # in item order
        running: dict[Future[tuple[R, bool]], _Task[T]] = {}
        finished: dict[int, R] = {}
        next_out = 0
        with ThreadPoolExecutor(workers, thread_name_prefix="storybrief-fetch") as pool:
            try:
                while next_out < len(tasks):
                    wake = self._start_ready(pool, work, pending, running, workers)
                    if running:
                        timeout = None if math.isinf(wake) else wake
                        done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                    else:
                        time.sleep(min(wake, 0.25))  # slots held elsewhere: look again soon
                        done = set()
                    for future in done:
                        task = running.pop(future)
                        result, retry = future.result()
                        if retry and task.attempts == 1:
                            bisect.insort(pending, task, key=lambda t: t.index)
                        else:
                            finished[task.index] = result
                    while next_out in finished:
                        yield finished.pop(next_out)
                        next_out += 1
            finally:
                pending.clear()
                for future in running:
                    future.cancel()

    # -- map internals ------------------------------------------------------------------------

    def _start_ready(
        self,
        pool: ThreadPoolExecutor,
        work: Callable[[T], R],
        pending: list[_Task[T]],
        running: dict[Future[tuple[R, bool]], _Task[T]],
        workers: int,
    ) -> float:
        """Start every pending task whose host is ready, in order, while threads are free;
        return the seconds until the next one may be (inf: when a slot frees)."""
        wake = math.inf
        for task in list(pending):
            if len(running) >= workers:
                break
            wait_for = self._reserve(task.key)
            if wait_for > 0:
                wake = min(wake, wait_for)
                continue
            pending.remove(task)
            task.attempts += 1
            running[pool.submit(self._run, work, task)] = task
        return wake

    def _reserve(self, key: str | None) -> float:
        """Take a slot of ``key``'s host if its turn has come (0.0), or say how long to wait."""
        if key is None:
            return 0.0
        host = self._host(key)
        with self._changed:
            now = time.monotonic()
            if host.unreachable_until > now and host.active < self.per_host_concurrency:
                host.active += 1  # it fails at once: no turn to wait for
                return 0.0
            left = host.paused_until - now
            if 0 < left <= RETRY_WITHIN:  # a longer pause fails the task at once, unsent
                return left
            if host.active >= self.per_host_concurrency:
                return math.inf
            if host.next_start > now:
                return host.next_start - now
            host.active += 1
            return 0.0

    def _run(self, work: Callable[[T], R], task: _Task[T]) -> tuple[R, bool]:
        self._local.held = task.key
        self._local.paused = None
        try:
            result = work(task.item)
            paused = self._local.paused
            return result, paused is not None and paused <= RETRY_WITHIN
        finally:
            self._local.held = self._local.paused = None
            if task.key is not None:
                self._release(self._host(task.key))

    # -- hosts, slots and turns --------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        with self._changed:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(key)
            return host

    @contextmanager
    def _slot(self, host: _Host) -> Iterator[None]:
        if getattr(self._local, "held", None) == host.key:  # a map() task already holds it
            yield
            return
        with self._changed:
            while host.active >= self.per_host_concurrency:
                self._changed.wait()
            host.active += 1
        try:
            yield
        finally:
            self._release(host)

    def _release(self, host: _Host) -> None:
        with self._changed:
            host.active -= 1
            self._changed.notify_all()

    def _take_turn(self, host: _Host) -> None:
        """Wait until a request to ``host`` may start, and claim that start."""
        with self._changed:
            now = time.monotonic()
            start = max(now, host.next_start)
            delay = max(self.per_host_delay, host.robots.delay if host.robots else 0.0)
            host.next_start = start + delay
        if start > now:
            time.sleep(start - now)

    # -- hosts that cannot be reached ---------------------------------------------------------

    def _mark_unreachable(self, host: _Host, exc: HostUnreachableError) -> None:
        if self.unreachable_seconds <= 0:
            return
        with self._changed:
            host.unreachable_until = time.monotonic() + self.unreachable_seconds
            host.unreachable_reason = str(exc)

    def _check_reachable(self, host: _Host, url: str) -> None:
        """A host that could not be connected to a moment ago is not tried again for
        ``fetch.unreachable_seconds``: its URLs fail at once (one try per host, not per
        feed: an OPML list of 500 feeds on a host that is down waited 1 s for each)."""
        with self._changed:
            left = host.unreachable_until - time.monotonic()
            reason = host.unreachable_reason
        if left > 0:
            raise HostUnreachableError(
                f"{url} not tried: {host.name} could not be reached moments ago "
                f"({reason}); it is tried again in {left:.0f} s (fetch.unreachable_seconds)",
                url=url,
            )

    # -- pauses -----------------------------------------------------------------------------------

    def _check_pause(self, host: _Host, url: str) -> None:
        with self._changed:
            left = host.paused_until - time.monotonic()
            reason = host.pause_reason
        if left > 0:
            self._local.paused = left
            raise HostPausedError(
                f"{host.name} asked for a pause ({reason}), {left:.0f} s of it left; "
                f"{url} is not fetched until then",
                wait_seconds=left,
            )

    def _maybe_pause(self, host: _Host, exc: HTTPStatusError) -> None:
        """Pause ``host`` after a 429, or a 503 with Retry-After; raise HostPausedError."""
        if exc.status not in (429, 503):
            return
        retry_after = parse_retry_after(exc.headers.get("retry-after"), datetime.now(UTC))
        if retry_after is None and exc.status == 503:
            return  # a plain server error: no pause asked for
        seconds = min(DEFAULT_PAUSE if retry_after is None else retry_after, MAX_PAUSE)
        said = "no Retry-After" if retry_after is None else f"Retry-After {retry_after:g} s"
        with self._changed:
            until = time.monotonic() + seconds
            if until > host.paused_until:
                host.paused_until = until
                host.pause_reason = f"HTTP {exc.status}, {said}"
        self._local.paused = seconds
        raise HostPausedError(
            f"{exc}; {host.name} is left alone for {seconds:g} s ({said})", wait_seconds=seconds
        ) from exc

    # -- robots.txt --------------------------------------------------------------------------------

    def _check_robots(self, host: _Host, url: str) -> None:
        robots = self._robots(host)
        if robots.error is not None:
            raise RobotsDisallowedError(
                f"robots.txt of {host.name} could not be read ({robots.error}), which means "
                f"nothing there may be fetched for now; {url} not fetched"
            )
        if robots.rules is not None and not robots.rules.can_fetch(url, self.user_agent):
            raise RobotsDisallowedError(f"robots.txt of {host.name} disallows {_path(url)}")

    def _robots(self, host: _Host) -> _Robots:
        with host.robots_lock:  # one robots.txt request per host; the others wait for it
            robots = host.robots
            if robots is None or robots.expires <= time.monotonic():
                robots = host.robots = self._fetch_robots(host)
            return robots

    def _fetch_robots(self, host: _Host) -> _Robots:
        url = f"{host.key}/robots.txt"
        self._take_turn(host)
        try:
            result = self.fetcher.get(url)
        except BlockedAddressError:
            # the page is refused too, by the Fetcher, with the address reason
            return _Robots(None, time.monotonic() + ROBOTS_TTL)
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:  # "unavailable": no rules
                return _Robots(None, time.monotonic() + ROBOTS_TTL)
            if exc.status < 400:  # a redirect without a Location: as good as none
                return _Robots(None, time.monotonic() + ROBOTS_TTL)
            return self._robots_error(host, f"HTTP {exc.status}", exc)
        except FetchError as exc:
            return self._robots_error(host, str(exc), exc)
        text = result.content[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")  # RFC 9309: UTF-8
        rules = Protego.parse(text)
        delays = [rules.crawl_delay(self.user_agent) or 0.0]
        rate = rules.request_rate(self.user_agent)
        if rate is not None and rate.requests > 0:
            delays.append(rate.seconds / rate.requests)
        delay = min(max(delays), MAX_CRAWL_DELAY)
        return _Robots(rules, time.monotonic() + ROBOTS_TTL, delay=delay)

    def _robots_error(self, host: _Host, reason: str, exc: FetchError) -> _Robots:
        ttl = ROBOTS_ERROR_TTL
        if isinstance(exc, HTTPStatusError) and exc.status in (429, 503):
            retry_after = parse_retry_after(exc.headers.get("retry-after"), datetime.now(UTC))
            if retry_after is not None:
                ttl = min(max(retry_after, 1.0), ttl)
        return _Robots(None, time.monotonic() + ttl, error=reason)
