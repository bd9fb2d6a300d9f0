"""The safe fetcher against a real HTTP server on 127.0.0.1.

A tripwire (autouse) refuses and reports any socket connect to an address outside
127.0.0.0/8 and any DNS lookup of a name the test did not map, so the blocked-address tests
prove the guard refused *before* connecting: nothing ever leaves the machine.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.servers import (
    LocalHTTPServer,
    RecordedRequest,
    Reply,
    make_tls_files,
    redirect,
    server_tls_context,
)

from storybrief.errors import BlockedAddressError, FetchError
from storybrief.ingest.fetch import Fetcher, FetchResult
from storybrief.ingest.guard import blocked_reason
from storybrief.settings import Settings

# -- the tripwire -----------------------------------------------------------------------------


@dataclass
class Network:
    """Fake DNS for made-up names, and a record of every connect attempt."""

    dns: dict[str, Callable[[], list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def resolve(self, name: str, *answers: list[str]) -> None:
        """Map ``name``: the first lookup gets answers[0], the next answers[1], and so on."""
        queue = list(answers)

        def answer() -> list[str]:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.dns[name] = answer


def _is_local(host: str) -> bool:
    address = ipaddress.ip_address(host.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network(
        "127.0.0.0/8"
    )


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    net = Network()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        net.lookups.append(name)
        if name in net.dns:
            infos: list[tuple[Any, ...]] = []
            for ip in net.dns[name]():
                if ":" in ip:
                    infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
            return infos
        try:  # numeric forms (incl. "2130706433") are parsed locally, never looked up
            ipaddress.ip_address(name.split("%")[0])
            numeric = True
        except ValueError:
            try:
                socket.inet_aton(name)
                numeric = True
            except OSError:
                numeric = False
        if numeric or name == "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        net.violations.append(f"DNS lookup of {name}")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test tripwire)")

    def connect(self: socket.socket, address: Any) -> None:
        host = str(address[0])
        net.connects.append(host)
        if not _is_local(host):
            net.violations.append(f"connect to {host}")
            raise ConnectionRefusedError("test tripwire: only 127.0.0.0/8 may be connected to")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield net
    assert net.violations == [], "traffic would have left 127.0.0.0/8"


# -- helpers ------------------------------------------------------------------------------------


def changed(settings: Settings, **changes: Any) -> Settings:
    """A copy with these fetch settings changed."""
    fetch = settings.fetch.model_copy(update=changes)
    return settings.model_copy(update={"fetch": fetch})


def fetch(settings: Settings, url: str, **kwargs: Any) -> FetchResult:
    with Fetcher(settings) as fetcher:
        return fetcher.get(url, **kwargs)


def fetch_error(settings: Settings, url: str, kind: type[FetchError] = FetchError) -> str:
    """The one-line message of the error fetching ``url`` raises."""
    with pytest.raises(kind) as info:
        fetch(settings, url)
    message = str(info.value)
    assert "\n" not in message
    return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- success ------------------------------------------------------------------------------------


def test_success_returns_body_status_and_validators(http_server, test_settings):
    body = "<html><body><p>Grüße</p></body></html>".encode("latin-1")
    url = http_server.route(
        "/article",
        body=body,
        headers={
            "Content-Type": 'Text/HTML; Charset="ISO-8859-1"',
            "ETag": '"abc123"',
            "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT",
        },
    )
    result = fetch(test_settings, url)
    assert result == FetchResult(
        url=url,
        status=200,
        content=body,
        content_type="text/html",
        charset="iso-8859-1",
        etag='"abc123"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        not_modified=False,
    )


def test_sends_user_agent_and_no_validators_unless_given(http_server, test_settings):
    url = http_server.route("/page", body=b"ok")
    settings = changed(test_settings, user_agent="storybrief-test/1.0 (+tests)")
    result = fetch(settings, url)
    assert result.content_type is None and result.charset is None and result.etag is None
    (request,) = http_server.requests_to("/page")
    assert request.method == "GET"
    assert request.headers["user-agent"] == "storybrief-test/1.0 (+tests)"
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


def test_one_fetcher_serves_many_threads(http_server, test_settings):
    urls = [http_server.route(f"/item/{i}", body=f"item {i}".encode()) for i in range(8)]
    with Fetcher(test_settings) as fetcher, ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(fetcher.get, urls))
    assert [r.content for r in results] == [f"item {i}".encode() for i in range(8)]


def test_gzip_body_is_decoded(http_server, test_settings):
    url = http_server.route(
        "/gz", body=gzip.compress(b"hello " * 100), headers={"Content-Encoding": "gzip"}
    )
    assert fetch(test_settings, url).content == b"hello " * 100


# -- HTTP errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "Not Found"), (410, "Gone"), (500, "Internal Server Error")]
)
def test_http_error_names_status_and_url(http_server, test_settings, status, reason):
    url = http_server.route("/broken", status=status, body=b"nope")
    assert fetch_error(test_settings, url) == f"HTTP {status} {reason} for {url}"


def test_missing_route_is_404(http_server, test_settings):
    url = http_server.url("/nowhere")
    assert fetch_error(test_settings, url) == f"HTTP 404 Not Found for {url}"


def test_connection_refused_is_a_fetch_error(test_settings):
    url = f"http://127.0.0.1:{free_port()}/"
    message = fetch_error(test_settings, url)
    assert message.startswith(f"cannot connect for {url}: ")


def test_garbage_response_is_a_fetch_error(test_settings):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"this is not HTTP\r\n\r\n")

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            message = fetch_error(test_settings, url)
        finally:
            thread.join(5)
    assert url in message and "HTTP" in message


# -- time limits --------------------------------------------------------------------------------


def test_server_slower_than_fetch_timeout_times_out(http_server, test_settings):
    url = http_server.route("/slow", body=b"late", delay=3)
    settings = changed(test_settings, timeout=0.4)
    started = time.monotonic()
    message = fetch_error(settings, url)
    assert time.monotonic() - started < 1.5
    assert message == f"timed out fetching {url} (fetch_timeout 0.4 s)"


def test_slow_drip_body_is_cut_off_at_the_overall_deadline(http_server, test_settings):
    # every chunk arrives well within any single-read timeout; only a deadline stops this
    url = http_server.route("/drip", Reply(body=[b"x"] * 30, chunk_delay=0.1))
    settings = changed(test_settings, timeout=0.5)
    started = time.monotonic()
    message = fetch_error(settings, url)
    assert time.monotonic() - started < 1.2
    assert message == f"timed out fetching {url} (fetch_timeout 0.5 s)"


def test_deadline_covers_the_whole_redirect_chain(http_server, test_settings):
    for i in range(4):
        http_server.route(f"/hop{i}", Reply(302, headers={"Location": f"/hop{i + 1}"}, delay=0.2))
    http_server.route("/hop4", body=b"done")
    settings = changed(test_settings, timeout=0.5)
    message = fetch_error(settings, http_server.url("/hop0"))
    assert message.startswith("timed out fetching http://127.0.0.1:")
    assert "(redirected from " in message


# -- size cap ----------------------------------------------------------------------------------


def test_body_at_the_cap_is_fine(http_server, test_settings):
    url = http_server.route("/exact", body=b"x" * 1000)
    assert len(fetch(changed(test_settings, max_bytes=1000), url).content) == 1000


def test_announced_oversize_body_is_refused_early(http_server, test_settings):
    url = http_server.route("/big", body=b"x" * 5000)
    message = fetch_error(changed(test_settings, max_bytes=1000), url)
    assert message == (
        f"response larger than the 1 kB cap (fetch.max_bytes) for {url}: it announces 5,000 bytes"
    )


def test_unannounced_oversize_body_is_cut_off_while_streaming(http_server, test_settings):
    url = http_server.route("/big", Reply(body=[b"x" * 700] * 8, content_length=False))
    message = fetch_error(changed(test_settings, max_bytes=1000), url)
    assert message == f"response larger than the 1 kB cap (fetch.max_bytes) for {url}"


def test_cap_applies_to_the_decoded_body(http_server, test_settings):
    bomb = gzip.compress(b"\0" * 200_000)
    assert len(bomb) < 1000
    url = http_server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    message = fetch_error(changed(test_settings, max_bytes=10_000), url)
    assert message == (
        f"response larger than the 10 kB cap (fetch.max_bytes) for {url}: "
        "its Content-Encoding gzip (layer 1 of 1) passes it"
    )


def test_default_cap_is_described_in_megabytes(http_server, test_settings):
    url = http_server.route("/huge", Reply(headers={"Content-Length": "20000000"}, body=b""))
    assert fetch_error(test_settings, url).startswith("response larger than the 10 MB cap")


# -- redirects ----------------------------------------------------------------------------------


@pytest.fixture
def chain(http_server: LocalHTTPServer) -> str:
    """/r1 → /r2 → /r3 → /final: three redirects, relative and absolute, 301/302/307."""
    http_server.route("/r1", redirect("/r2", 301))
    http_server.route("/r2", redirect(http_server.url("/r3"), 302))
    http_server.route("/r3", redirect("final", 307))
    http_server.route("/final", body=b"arrived", headers={"Content-Type": "text/plain"})
    return http_server.url("/r1")


def test_redirect_chain_within_the_limit_is_followed(http_server, test_settings, chain):
    result = fetch(changed(test_settings, max_redirects=3), chain)
    assert result.url == http_server.url("/final")
    assert result.content == b"arrived" and result.status == 200
    assert [r.path for r in http_server.requests] == ["/r1", "/r2", "/r3", "/final"]


def test_redirect_chain_beyond_the_limit_is_refused(http_server, test_settings, chain):
    message = fetch_error(changed(test_settings, max_redirects=2), chain)
    assert message == (
        f"too many redirects fetching {http_server.url('/r3')} (redirected from {chain}): "
        f"more than 2 (max_redirects), next to {http_server.url('/final')}"
    )
    assert http_server.requests_to("/final") == []


def test_no_redirects_allowed(http_server, test_settings, chain):
    message = fetch_error(changed(test_settings, max_redirects=0), chain)
    assert message.startswith(f"too many redirects fetching {chain}: more than 0")


def test_redirect_without_location_is_an_error(http_server, test_settings):
    url = http_server.route("/nowhere", status=302)
    assert fetch_error(test_settings, url) == f"HTTP 302 Found without a Location header for {url}"


def test_redirect_to_another_scheme_is_refused(http_server, test_settings):
    url = http_server.route("/sneaky", redirect("file:///etc/passwd"))
    message = fetch_error(test_settings, url)
    assert "'file'" in message and f"(redirected from {url})" in message


# -- the address guard ------------------------------------------------------------------------

ACTION = (
    "allow it with --allow-private-addresses (setting fetch.allow_private_addresses) "
    "or the setting fetch.allowed_hosts"
)


def shown(address: str, ipv4: str) -> str:
    """How a message shows an IPv6 address that embeds ``ipv4`` (str() differs by version)."""
    text = str(ipaddress.ip_address(address))
    return text if ipv4 in text else f"{text} (that is {ipv4})"


@pytest.mark.parametrize(
    ("target", "shown", "kind"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1", "a private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "a link-local"),
        ("http://[fd00:ec2::254]/latest/", "fd00:ec2::254", "a private"),
        (
            "http://[::ffff:169.254.169.254]/",
            shown("::ffff:169.254.169.254", "169.254.169.254"),
            "a link-local",
        ),
    ],
)
def test_redirect_from_an_allowed_host_to_a_blocked_address_is_refused(
    http_server, test_settings, network, target, shown, kind
):
    url = http_server.route("/go", redirect(target))
    message = fetch_error(test_settings, url, BlockedAddressError)
    assert message == (
        f"refusing to fetch {target} (redirected from {url}): {shown} is {kind} address; {ACTION}"
    )
    assert set(network.connects) == {"127.0.0.1"}  # the first hop only


def test_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    http_server, test_settings, network
):
    network.resolve("intranet.test", ["10.1.2.3"])
    url = http_server.route("/go", redirect("http://intranet.test/wiki"))
    message = fetch_error(test_settings, url, BlockedAddressError)
    assert message == (
        f"refusing to fetch http://intranet.test/wiki (redirected from {url}): "
        f"intranet.test resolves to 10.1.2.3, a private address; {ACTION}"
    )
    assert "10.1.2.3" not in network.connects


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://172.16.5.4/", "172.16.5.4 is a private address"),
        ("https://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://100.64.0.1/", "100.64.0.1 is a non-public address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fc00::1]/", "fc00::1 is a private address"),
        ("http://[ff02::1]/", "ff02::1 is a multicast address"),
        (
            "http://[::ffff:10.0.0.1]/",
            f"{shown('::ffff:10.0.0.1', '10.0.0.1')} is a private address",
        ),
        ("http://[2002:a00:1::]/", "2002:a00:1:: (that is 10.0.0.1) is a private address"),
        ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1 (that is 10.0.0.1) is a private address"),
        ("http://167772161/", "167772161 resolves to 10.0.0.1, a private address"),
    ],
)
def test_blocked_addresses_are_refused_before_connecting(test_settings, network, url, detail):
    message = fetch_error(test_settings, url, BlockedAddressError)
    assert message == f"refusing to fetch {url}: {detail}; {ACTION}"
    assert network.connects == []


def test_loopback_is_refused_unless_allowed(http_server, test_settings, network):
    url = http_server.route("/", body=b"local")
    message = fetch_error(changed(test_settings, allowed_hosts=[]), url, BlockedAddressError)
    assert message == f"refusing to fetch {url}: 127.0.0.1 is a loopback address; {ACTION}"
    assert http_server.requests == [] and network.connects == []


def test_allow_private_addresses_allows_loopback(http_server, test_settings):
    url = http_server.route("/", body=b"local")
    settings = changed(test_settings, allowed_hosts=[], allow_private_addresses=True)
    assert fetch(settings, url).content == b"local"


def test_allowed_hosts_takes_networks(http_server, test_settings):
    url = http_server.route("/", body=b"local")
    assert fetch(changed(test_settings, allowed_hosts=["127.0.0.0/8"]), url).content == b"local"


def test_localhost_is_refused_after_resolution(http_server, test_settings, network):
    url = f"http://localhost:{http_server.port}/"
    http_server.route("/", body=b"local")
    message = fetch_error(changed(test_settings, allowed_hosts=[]), url, BlockedAddressError)
    assert message.startswith(f"refusing to fetch {url}: localhost resolves to ")
    assert "a loopback address" in message
    assert "localhost" in network.lookups and network.connects == []


def test_an_allowed_host_name_is_fetched(http_server, test_settings):
    http_server.route("/", body=b"local")
    url = f"http://LocalHost:{http_server.port}/"
    assert fetch(changed(test_settings, allowed_hosts=["localhost"]), url).content == b"local"


def test_ipv4_mapped_ipv6_loopback_is_refused(http_server, test_settings, network):
    url = f"http://[::ffff:127.0.0.1]:{http_server.port}/"
    message = fetch_error(changed(test_settings, allowed_hosts=[]), url, BlockedAddressError)
    assert message == (
        f"refusing to fetch {url}: {shown('::ffff:127.0.0.1', '127.0.0.1')} is a loopback "
        f"address; {ACTION}"
    )
    assert network.connects == [] and http_server.requests == []


def test_the_checked_address_is_the_one_connected_to(http_server, test_settings, network):
    # DNS rebinding: the first answer is allowed, later answers point inside the network.
    network.resolve("rebind.test", ["127.0.0.1"], ["10.0.0.1"])
    http_server.route("/page", body=b"public page")
    url = f"http://rebind.test:{http_server.port}/page"
    assert fetch(test_settings, url).content == b"public page"
    assert network.lookups.count("rebind.test") == 1  # resolved once, then connected by IP
    assert network.connects == ["127.0.0.1"]
    assert http_server.requests[0].headers["host"] == f"rebind.test:{http_server.port}"
    message = fetch_error(test_settings, url, BlockedAddressError)
    assert "rebind.test resolves to 10.0.0.1, a private address" in message


def test_one_blocked_answer_refuses_the_host(http_server, test_settings, network):
    network.resolve("mixed.test", ["127.0.0.1", "10.0.0.1"])
    url = f"http://mixed.test:{http_server.port}/"
    message = fetch_error(test_settings, url, BlockedAddressError)
    assert "mixed.test resolves to 10.0.0.1, a private address" in message
    assert network.connects == []


def test_unresolvable_host_is_a_fetch_error(test_settings, network):
    network.resolve("gone.test", [])
    message = fetch_error(test_settings, "http://gone.test/")
    assert message.startswith("cannot connect for http://gone.test/: cannot resolve host gone.test")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("2002:808:808::", None),  # 6to4 of a public address
        ("127.0.0.2", "loopback"),
        ("10.255.255.255", "private"),
        ("169.254.0.1", "link-local"),
        ("fec0::1", "site-local"),
        ("::ffff:0.0.0.0", "unspecified"),
        ("240.0.0.1", ...),  # reserved; Python versions disagree on the word
        ("255.255.255.255", ...),
        ("2001:db8::1", ...),  # documentation
    ],
)
def test_blocked_reason(address, reason):
    found = blocked_reason(ipaddress.ip_address(address))
    if reason is ...:
        assert found is not None
    else:
        assert found == reason


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("ftp://example.com/file.txt", "ftp"),
        ("file:///etc/passwd", "file"),
        ("gopher://example.com/", "gopher"),
        ("data:text/html,<p>hi</p>", "data"),
    ],
)
def test_non_http_schemes_are_refused(test_settings, network, url, scheme):
    message = fetch_error(test_settings, url)
    assert message.startswith("refusing to fetch ")
    assert f"the URL scheme '{scheme}' is not supported, only http and https" in message
    assert network.lookups == [] and network.connects == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("example.com/page", "example.com/page is not an http(s) URL: it has no scheme"),
        ("http:///path", "invalid URL http:///path: it has no host"),
    ],
)
def test_malformed_urls_are_fetch_errors(test_settings, url, expected):
    assert fetch_error(test_settings, url) == expected


def test_invalid_url_is_a_fetch_error(test_settings):
    message = fetch_error(test_settings, "http://[::1/page")
    assert message.startswith("invalid URL http://[::1/page: ")


# -- conditional GET ---------------------------------------------------------------------------

ETAG = '"v1"'
MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


def _conditional(request: RecordedRequest) -> Reply:
    if request.headers.get("if-none-match") == ETAG:
        return Reply(304, headers={"ETag": ETAG})
    return Reply(200, b"<rss/>", {"ETag": ETAG, "Last-Modified": MODIFIED})


def test_conditional_get_gets_not_modified(http_server, test_settings):
    url = http_server.route("/feed", _conditional)
    with Fetcher(test_settings) as fetcher:
        first = fetcher.get(url)
        assert (first.status, first.content, first.etag) == (200, b"<rss/>", ETAG)
        again = fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert again == FetchResult(
        url=url,
        status=304,
        content=b"",
        content_type=None,
        charset=None,
        etag=ETAG,
        last_modified=MODIFIED,
        not_modified=True,
    )
    sent = http_server.requests_to("/feed")[1].headers
    assert sent["if-none-match"] == ETAG and sent["if-modified-since"] == MODIFIED


def test_unasked_for_304_is_an_error(http_server, test_settings):
    url = http_server.route("/odd", status=304)
    assert fetch_error(test_settings, url) == f"HTTP 304 Not Modified for {url}"


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path, monkeypatch) -> Iterator[LocalHTTPServer]:
    """HTTPS on 127.0.0.1 with a certificate for news.test, signed by a CA the fetcher trusts."""
    pytest.importorskip("cryptography")
    ca, cert, key = make_tls_files(tmp_path, ["news.test"])
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    with LocalHTTPServer(tls=server_tls_context(cert, key)) as server:
        server.route("/story", body=b"secure story")
        yield server


def test_https_connects_to_the_checked_ip_but_verifies_the_host_name(
    tls_server, test_settings, network
):
    network.resolve("news.test", ["127.0.0.1"])
    url = f"https://news.test:{tls_server.port}/story"
    assert fetch(test_settings, url).content == b"secure story"
    assert network.connects == ["127.0.0.1"]


def test_https_certificate_for_another_name_is_refused(tls_server, test_settings, network):
    network.resolve("other.test", ["127.0.0.1"])
    url = f"https://other.test:{tls_server.port}/story"
    message = fetch_error(test_settings, url)
    assert message.startswith(f"cannot connect for {url}: ")
    assert "certificate" in message.lower()
    assert tls_server.requests == []
