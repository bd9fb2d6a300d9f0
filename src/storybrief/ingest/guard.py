"""The address guard under every fetch: which addresses may be connected to, and the httpx
transport that connects to no other.

* :class:`AddressPolicy`: no requests to private, loopback, link-local, multicast, reserved or
  unspecified addresses (IPv4 and IPv6, including IPv4 addresses embedded in IPv6 ones) unless
  ``allow_private_addresses`` is set or the host or address is in ``allowed_hosts``.
* :class:`GuardedBackend`: the check runs in the network backend, on the addresses DNS
  returns, immediately before connecting, and the socket is connected to exactly the address
  that was checked; so it holds for every redirect and cannot be dodged by DNS rebinding. TLS
  still verifies the certificate against the URL's host name (httpcore passes the origin host,
  not the address, as ``server_hostname`` to ``start_tls``).
* :data:`DEADLINE`: the overall deadline of one fetch, to which the backend's streams clamp
  every connect, read and write timeout.
* :class:`GuardedTransport`: an httpx transport (HTTP/1.1, no proxy) over that backend.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

from ..errors import BlockedAddressError
from ..settings import Settings

__all__ = [
    "DEADLINE",
    "AddressPolicy",
    "Blocked",
    "GuardedBackend",
    "GuardedTransport",
    "blocked_reason",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- which addresses are off limits --------------------------------------------------------

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_CHECKS: tuple[tuple[str, typing.Callable[[typing.Any], bool]], ...] = (
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("site-local", lambda a: isinstance(a, ipaddress.IPv6Address) and a.is_site_local),
    ("private", lambda a: a.is_private),
    ("reserved", lambda a: a.is_reserved),
    ("non-public", lambda a: not a.is_global),  # e.g. 100.64.0.0/10, shared address space
)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 IPv6 address leads to."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not fetched from by default ("private", "loopback", "link-local",
    ...), or None for a public address. IPv6 addresses that embed an IPv4 address
    (``::ffff:10.0.0.1``, 6to4, NAT64) are judged by the IPv4 address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return blocked_reason(embedded)
    for reason, check in _CHECKS:
        if check(address):
            return reason
    return None


def _describe(address: IPAddress) -> str:
    text, embedded = str(address), _embedded_ipv4(address)
    if embedded is not None and str(embedded) not in text:  # "::ffff:a00:1" before 3.13
        text += f" (that is {embedded})"
    return text


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


class Blocked(BlockedAddressError):
    """Raised by the network backend; the :class:`~storybrief.ingest.fetch.Fetcher` re-raises it
    naming the URL."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"{detail}; allow it with --allow-private-addresses (setting "
            "fetch.allow_private_addresses) or the setting fetch.allowed_hosts"
        )
        self.detail = detail


class AddressPolicy:
    """Which hosts may be connected to: everything public, plus ``allowed_hosts`` (names,
    addresses or networks such as ``10.0.0.0/8``), or everything with ``allow_private``."""

    def __init__(self, *, allow_private: bool = False, allowed_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self._names: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allowed_hosts:
            text = entry.strip().strip("[]").rstrip(".").lower()
            if not text:
                continue
            try:
                self._networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                self._names.add(text)

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressPolicy:
        return cls(
            allow_private=settings.fetch.allow_private_addresses,
            allowed_hosts=settings.fetch.allowed_hosts,
        )

    def _allowed_ip(self, address: IPAddress) -> bool:
        candidates = [address]
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
        return any(c in net for c in candidates for net in self._networks)

    def check_address(self, address: IPAddress, *, host: str | None = None) -> None:
        """Raise :class:`BlockedAddressError` unless ``address`` may be connected to."""
        if self.allow_private or self._allowed_ip(address):
            return
        reason = blocked_reason(address)
        if reason is None:
            return
        kind = f"{_article(reason)} {reason} address"
        if host is None or _parse_ip(host) is not None:
            raise Blocked(f"{_describe(address)} is {kind}")
        raise Blocked(f"{host} resolves to {_describe(address)}, {kind}")

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for ``host``, each one checked; raises
        :class:`BlockedAddressError` if any of them is off limits, and
        :class:`httpcore.ConnectError` if the name does not resolve."""
        literal = _parse_ip(host)
        if literal is not None:
            self.check_address(literal)
            return [literal]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise httpcore.ConnectError(f"cannot resolve host {host}: {reason}") from exc
        addresses: list[IPAddress] = []
        for info in infos:
            address = _parse_ip(str(info[4][0]))
            if address is None:
                raise Blocked(f"{host} resolves to {info[4][0]!r}, which is not an IP address")
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve host {host}: no addresses")
        if not (self.allow_private or host.rstrip(".").lower() in self._names):
            for address in addresses:  # one bad address refuses the host: no mixed answers
                self.check_address(address, host=host)
        return addresses


# -- the overall deadline --------------------------------------------------------------------

# Set by Fetcher.get for the duration of one fetch, in the calling thread; the network
# streams clamp every connect, read and write timeout to what is left of it.
DEADLINE: ContextVar[float | None] = ContextVar("storybrief_fetch_deadline", default=None)


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0.001:  # a zero socket timeout would mean non-blocking, not "expired"
        raise expired("the overall fetch deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host name: SNI and certificate checks use it, even
        # though the socket is connected to a checked IP address.
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves the host itself, checks every address
    with an :class:`AddressPolicy`, and connects to the checked addresses only."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._policy.resolve(host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=_clamp(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # try the next address; timeouts end it
                error = exc
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched from")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# -- an httpx transport over the guarded backend ----------------------------------------------

_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # most specific first
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _HTTPCORE_TO_HTTPX:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            with _httpx_errors():
                close()


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> typing.Any:
    # certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR; building one takes ~30 ms, and a
    # context is safe to share between connections and threads.
    return httpx.create_ssl_context()


class GuardedTransport(httpx.BaseTransport):
    """Like :class:`httpx.HTTPTransport` (HTTP/1.1, no proxy), over a :class:`GuardedBackend`."""

    def __init__(self, policy: AddressPolicy, *, max_connections: int = 20) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(
                os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
            ),
            max_connections=max_connections,
            max_keepalive_connections=max_connections // 2,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
