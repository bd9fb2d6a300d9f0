"""A real HTTP(S) server on 127.0.0.1 and an ephemeral port, for tests.

Routes map a path to a :class:`Reply` (status, headers, body, delays) or to a callable that
builds one from the :class:`RecordedRequest`. Every request is recorded, headers included,
so tests can check what a client sent::

    with LocalHTTPServer() as server:
        server.route("/feed.xml", body=b"<rss/>", headers={"Content-Type": "application/rss+xml"})
        server.route("/old", redirect("/feed.xml"))
        server.route("/slow", Reply(body=[b"a"] * 10, chunk_delay=0.2))  # drips a byte at a time
        ...
        assert server.requests_to("/feed.xml")[0].headers["user-agent"] == "..."

A path with a query string matches a route for that exact path and query first, then a route
for the bare path; anything else is a 404.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | Sequence[bytes] = b""  # a sequence is sent chunk by chunk
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    chunk_delay: float = 0.0  # seconds between body chunks
    content_length: bool = True  # False: no Content-Length, the body ends when the server closes


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes


Route = Reply | Callable[[RecordedRequest], Reply]


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # no handler thread outlives a stuck client for long
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        owner._record(request)
        reply = owner._reply_for(request)
        stopping = owner._stopping
        if reply.delay and stopping.wait(reply.delay):
            self.close_connection = True
            return
        chunks = [reply.body] if isinstance(reply.body, bytes) else list(reply.body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        names = {name.lower() for name in reply.headers}
        if not reply.content_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif "content-length" not in names:
            self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
        self.end_headers()
        for i, chunk in enumerate(chunks):
            if i and reply.chunk_delay and stopping.wait(reply.chunk_delay):
                self.close_connection = True
                return
            self.wfile.write(chunk)
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins the handler threads

    def __init__(self, owner: LocalHTTPServer, host: str) -> None:
        self.owner = owner
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        super().__init__((host, 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._live_lock:
            self._live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._live_lock:
            self._live.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Wake every handler waiting on an idle keep-alive connection."""
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # the client hung up, timed out or refused our TLS
            return
        self.owner.errors.append(exc)  # type: ignore[arg-type]
        super().handle_error(request, client_address)


class LocalHTTPServer:
    """A threaded HTTP server on ``host`` (127.0.0.1) and an ephemeral port; HTTPS when given
    a server-side ``tls`` context. Use as a context manager, or call start() and stop()."""

    def __init__(self, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.routes: dict[str, Route] = {}
        self.errors: list[BaseException] = []
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- routes and records -----------------------------------------------------------------

    def route(self, path: str, reply: Route | None = None, **fields: Any) -> str:
        """Serve ``path`` with ``reply``, or with ``Reply(**fields)``; returns its URL."""
        if reply is None:
            reply = Reply(**fields)
        elif fields:
            raise TypeError("give a Reply or callable, or Reply fields, not both")
        self.routes[path] = reply
        return self.url(path)

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return int(self._server.server_address[1])

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path or r.path.split("?")[0] == path]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _reply_for(self, request: RecordedRequest) -> Reply:
        route = self.routes.get(request.path) or self.routes.get(request.path.split("?")[0])
        if route is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        return route(request) if callable(route) else route

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalHTTPServer:
        server = _Server(self, self.host)
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def make_tls_files(directory: Path, hostnames: Sequence[str]) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for ``hostnames``, written to ``directory``:
    returns (ca.pem, cert.pem, key.pem). Needs the ``cryptography`` package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=2))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storybrief test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def server_tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
