"""Safe HTTP fetching: one :class:`Fetcher` per run, :meth:`Fetcher.get` per URL.

What "safe" means here:

* only ``http`` and ``https`` URLs, at most ``max_redirects`` redirects, each hop checked;
* ``fetch_timeout`` is a deadline for the whole fetch (every redirect, connect, read and
  write), so a server that drips its body byte by byte cannot hold a worker for longer;
* at most ``max_bytes`` of body, refused early when ``Content-Length`` says more, and
  checked on every Content-Encoding layer as it is decoded (:mod:`.decode`), so a
  compressed bomb, even one compressed twice, stops at the cap without ever being held;
* no requests to private, loopback, link-local, multicast, reserved or unspecified
  addresses unless ``allow_private_addresses`` is set or the host or address is in
  ``allowed_hosts``: checked in the network backend, on the addresses DNS returns,
  immediately before connecting (:mod:`.guard`), so it holds for every redirect and cannot
  be dodged by DNS rebinding.

Every failure is a :class:`~storybrief.errors.FetchError` (or its subclass
:class:`~storybrief.errors.BlockedAddressError`) with a one-line message naming the URL.
Proxies from the environment are not used: through a proxy the address check would see the
proxy, not the site.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from ..errors import BlockedAddressError, FetchError, HostUnreachableError, HTTPStatusError
from ..settings import Settings
from .decode import DecodeError, TooLarge, accept_encoding, decode_stream
from .guard import DEADLINE, AddressPolicy, Blocked, GuardedTransport

__all__ = ["FetchResult", "Fetcher"]

ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,application/json;q=0.9,application/xml;q=0.9,text/*;q=0.8,*/*;q=0.5"
)


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int
    content: bytes
    content_type: str | None  # media type only, lower-cased, e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any (lower-cased)
    etag: str | None
    last_modified: str | None
    not_modified: bool = False  # HTTP 304 for a conditional request; content is b""
    #: the response's headers, names lower-cased (Cache-Control, Expires, Date, ...)
    headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


# -- the fetcher ---------------------------------------------------------------------------------

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _size(n: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} B"


def _one_line(text: object) -> str:
    return " ".join(str(text).split()) or "no details"


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    """("text/html", "utf-8") from "text/html; charset=UTF-8"."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


class _Hops:
    """The URL asked for and the one being fetched now, for error messages."""

    def __init__(self, url: str) -> None:
        self.first = url
        self.current = url
        self.count = 0

    def __str__(self) -> str:
        if self.current == self.first:
            return self.current
        return f"{self.current} (redirected from {self.first})"


class Fetcher:
    """Fetches URLs safely (see the module docstring). Thread-safe; close it when done,
    or use it as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._policy = AddressPolicy.from_settings(settings)
        self._client = httpx.Client(
            transport=GuardedTransport(self._policy),
            headers={
                "User-Agent": settings.fetch.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": accept_encoding(),
            },
            timeout=httpx.Timeout(settings.fetch.timeout, connect=settings.fetch.connect_timeout),
            follow_redirects=False,  # followed by hand, so each hop is checked and counted
            trust_env=False,  # no proxies or .netrc from the environment
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``; a conditional GET when ``etag`` or ``last_modified`` is given, in
        which case an HTTP 304 answer gives ``not_modified=True`` and empty content."""
        url = url.strip()
        self._check_url(url, url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops = _Hops(url)
        try:
            request = self._client.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL {url}: {_one_line(exc)}") from exc
        token = DEADLINE.set(time.monotonic() + self.settings.fetch.timeout)
        try:
            return self._fetch(request, hops, etag=etag, last_modified=last_modified)
        except Blocked as exc:
            raise BlockedAddressError(f"refusing to fetch {hops}: {exc}") from exc
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            raise self._timeout(hops, exc) from exc
        except httpx.ConnectError as exc:
            raise HostUnreachableError(
                f"cannot connect for {hops}: {_one_line(exc)}", url=hops.current
            ) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response from {hops}: {_one_line(exc)}") from exc
        except httpx.RemoteProtocolError as exc:
            raise FetchError(f"bad HTTP response from {hops}: {_one_line(exc)}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise FetchError(f"cannot fetch {hops}: {_one_line(exc)}") from exc
        finally:
            DEADLINE.reset(token)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _check_url(url: str, where: object) -> None:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL {where}: {_one_line(exc)}") from exc
        if not parsed.scheme:
            raise FetchError(f"{where} is not an http(s) URL: it has no scheme")
        if parsed.scheme not in ("http", "https"):
            raise FetchError(
                f"refusing to fetch {where}: the URL scheme {parsed.scheme!r} is not "
                "supported, only http and https"
            )
        try:
            host = parsed.host  # decodes an IDNA name ("xn--..."), which may be malformed
        except ValueError as exc:
            raise FetchError(
                f"invalid URL {where}: its host name is not a valid internationalised domain "
                f"name ({_one_line(exc)})"
            ) from exc
        if not host:
            raise FetchError(f"invalid URL {where}: it has no host")

    def _timeout(self, hops: _Hops, exc: httpx.TimeoutException) -> FetchError:
        deadline = DEADLINE.get()
        if isinstance(exc, httpx.ConnectTimeout) and (
            deadline is None or time.monotonic() < deadline
        ):
            return HostUnreachableError(
                f"timed out connecting for {hops} "
                f"(connect_timeout {self.settings.fetch.connect_timeout:g} s)",
                url=hops.current,
            )
        return FetchError(
            f"timed out fetching {hops} (fetch_timeout {self.settings.fetch.timeout:g} s)"
        )

    def _fetch(
        self, request: httpx.Request, hops: _Hops, *, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        while True:
            try:
                response = self._client.send(request, stream=True)
            except ValueError as exc:  # httpx reads a redirect's Location as it answers
                what = (
                    "a host name that is not a valid internationalised domain name"
                    if isinstance(exc, UnicodeError)  # idna.IDNAError
                    else "an invalid URL"
                )
                raise FetchError(
                    f"{hops} answered with a redirect to {what} ({_one_line(exc)})"
                ) from exc
            try:
                next_request = response.next_request
                if next_request is None:
                    return self._result(response, hops, etag=etag, last_modified=last_modified)
                target = str(next_request.url)
                if hops.count >= self.settings.fetch.max_redirects:
                    raise FetchError(
                        f"too many redirects fetching {hops}: more than "
                        f"{self.settings.fetch.max_redirects} (max_redirects), next to {target}"
                    )
                self._check_url(target, f"{target} (redirected from {hops.first})")
            finally:
                response.close()
            hops.count += 1
            hops.current = target
            request = next_request

    def _result(
        self, response: httpx.Response, hops: _Hops, *, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        status = response.status_code
        reason = response.reason_phrase or httpx.codes.get_reason_phrase(status) or "(no reason)"
        media, charset = _content_type(response.headers.get("Content-Type"))
        final = str(response.url)
        if status == 304 and (etag or last_modified):
            return FetchResult(
                url=final,
                status=status,
                content=b"",
                content_type=media,
                charset=charset,
                etag=response.headers.get("ETag") or etag,
                last_modified=response.headers.get("Last-Modified") or last_modified,
                not_modified=True,
                headers=_headers(response),
            )
        if status >= 300:
            detail = " without a Location header" if status in _REDIRECTS else ""
            raise HTTPStatusError(
                f"HTTP {status} {reason}{detail} for {hops}",
                status=status,
                headers=_headers(response),
            )
        body = self._read_body(response, hops)
        return FetchResult(
            url=final,
            status=status,
            content=body,
            content_type=media,
            charset=charset,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            headers=_headers(response),
        )

    def _read_body(self, response: httpx.Response, hops: _Hops) -> bytes:
        cap = self.settings.fetch.max_bytes
        too_large = f"response larger than the {_size(cap)} cap (fetch.max_bytes) for {hops}"
        length = response.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > cap:
            raise FetchError(f"{too_large}: it announces {int(length):,} bytes")
        deadline = DEADLINE.get()
        chunks: list[bytes] = []
        encoding = response.headers.get("Content-Encoding")
        try:
            # raw bytes, decoded here layer by layer with the cap on each (see .decode)
            for chunk in decode_stream(response.iter_raw(), encoding, cap):
                chunks.append(chunk)
                if deadline is not None and time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the overall fetch deadline has passed")
        except TooLarge as exc:
            detail = "" if exc.layer == "the response body" else f": its {exc.layer} passes it"
            raise FetchError(f"{too_large}{detail}") from None
        except DecodeError as exc:
            raise FetchError(f"cannot decode the response from {hops}: {exc}") from exc
        return b"".join(chunks)
