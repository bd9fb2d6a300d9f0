"""The operator's sign-out and the request-body cap (issue 27), through a real uvicorn server
on 127.0.0.1: a session cookie is honoured only while the server keeps its session, so a copy
kept after signing out is of no use (it stayed valid for up to 12 hours); a body the app answers
without reading (a 50 MB chunked upload to /operator/login) is not read by the server after the
answer (it was read to its end)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import lxml.html
import pytest
from tests.appserver import TOKEN, AppServer, make_settings

from storybrief.serve import create_app
from storybrief.serve.operator import SESSION_COOKIE
from storybrief.store import Store


@pytest.fixture
def server(tmp_path, monkeypatch) -> Iterator[AppServer]:
    settings = make_settings(tmp_path, monkeypatch)
    with Store.open(settings) as store, AppServer(create_app(settings, store)) as running:
        yield running


def _csrf(client: httpx.Client, path: str) -> str:
    doc = lxml.html.fromstring(client.get(path).text)
    return str(doc.xpath("//input[@name='csrf']/@value")[0])


def _sign_in(client: httpx.Client) -> str:
    signed = client.post(
        "/operator/login", data={"token": TOKEN, "csrf": _csrf(client, "/operator/login")}
    )
    assert signed.status_code == 303
    return client.cookies[SESSION_COOKIE]


def test_signing_out_ends_the_session_on_the_server(server):
    with httpx.Client(base_url=server.url) as browser:
        kept = _sign_in(browser)
        assert browser.get("/operator").status_code == 200
        out = browser.post("/operator/logout", data={"csrf": _csrf(browser, "/operator")})
        assert out.status_code == 303
    with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: kept}) as thief:
        page = thief.get("/operator")  # the cookie, copied before signing out
        assert page.status_code == 303 and page.headers["location"] == "/operator/login"


def test_two_sessions_are_kept_apart(server):
    with httpx.Client(base_url=server.url) as one, httpx.Client(base_url=server.url) as two:
        _sign_in(one)
        _sign_in(two)
        one.post("/operator/logout", data={"csrf": _csrf(one, "/operator")})
        assert one.get("/operator").status_code == 303
        assert two.get("/operator").status_code == 200  # its own session goes on


def _upload(port: int, content_type: str, total: int = 50_000_000) -> tuple[int, bytes]:
    """Send a chunked body of up to ``total`` bytes to /operator/login without waiting for an
    answer (as a careless client would); how much was sent before the server closed, and the
    answer's first bytes."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            b"POST /operator/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Content-Type: {content_type}\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            while sent < total:
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(10)
        try:
            answer = s.recv(64)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    return sent, answer


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("multipart/form-data; boundary=xyz", b" 400 "),  # a form that cannot be parsed
        ("text/plain", b" 422 "),  # not a form at all
        ("application/x-www-form-urlencoded", b" 413 "),  # read, and over the cap
    ],
)
def test_a_huge_upload_is_refused_without_being_read(server, content_type, status):
    sent, answer = _upload(server.port, content_type)
    # the server stopped reading at its answer: what was sent is what the sockets buffer
    assert sent < 20_000_000, f"{sent:,} bytes were read"
    assert status in answer


def test_a_form_read_to_its_end_keeps_the_connection(server):
    with httpx.Client(base_url=server.url) as browser:
        csrf = _csrf(browser, "/operator/login")
        wrong = browser.post("/operator/login", data={"token": "guess", "csrf": csrf})
        assert wrong.status_code == 401 and "connection" not in wrong.headers
