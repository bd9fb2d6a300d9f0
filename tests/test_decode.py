"""Content-Encoding bombs and stacks, served by a real HTTP server on 127.0.0.1: every layer is
decoded with the cap enforced as it streams, so memory stays bounded whatever the ratio."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib

import pytest

from storybrief.errors import FetchError
from storybrief.ingest.decode import CHUNK, DecodeError, TooLarge, decode_stream, encodings
from storybrief.ingest.fetch import Fetcher

TEXT = b"<html><body><p>" + b"The council met on Tuesday. " * 400 + b"</p></body></html>"


def _deflate(data: bytes, wbits: int = zlib.MAX_WBITS) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


def _gzip_zeros(megabytes: int) -> bytes:
    """gzip of ``megabytes`` MB of zero bytes, compressed piece by piece (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 1_000_000
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


@pytest.fixture(scope="module")
def double_gzip_bomb() -> bytes:
    """~300 MB of zeros, gzipped twice: a few kB on the wire."""
    bomb = gzip.compress(_gzip_zeros(300), 9)
    assert len(bomb) < 20_000
    return bomb


def _fetch(server, settings, body: bytes, encoding: str, **changes) -> bytes:
    url = server.route("/page", body=body, headers={"Content-Encoding": encoding})
    with Fetcher(settings.changed(**{f"fetch.{k}": v for k, v in changes.items()})) as fetcher:
        return fetcher.get(url).content


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", _deflate),
        ("deflate", lambda d: _deflate(d, -zlib.MAX_WBITS)),  # raw deflate, as some servers send
        ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
        ("gzip, deflate", lambda d: _deflate(gzip.compress(d))),  # gzip applied first
        ("deflate, gzip", lambda d: gzip.compress(_deflate(d))),
        ("identity, gzip", gzip.compress),
        ("GZIP", gzip.compress),
    ],
)
def test_stacked_encodings_decode(http_server, test_settings, encoding, encode):
    assert _fetch(http_server, test_settings, encode(TEXT), encoding) == TEXT


def test_multi_member_gzip_decodes_every_member(http_server, test_settings):
    body = gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])
    assert _fetch(http_server, test_settings, body, "gzip") == TEXT


def test_brotli_decodes_when_installed(http_server, test_settings):
    brotli = pytest.importorskip("brotli")
    if not hasattr(brotli.Decompressor, "can_accept_more_data"):
        pytest.skip("this brotli cannot bound its output (needs Brotli >= 1.2)")
    body = gzip.compress(brotli.compress(TEXT))
    assert _fetch(http_server, test_settings, body, "br, gzip") == TEXT


def test_double_gzip_bomb_stops_at_the_cap_in_bounded_memory(
    http_server, test_settings, double_gzip_bomb
):
    url = http_server.route(
        "/bomb", body=double_gzip_bomb, headers={"Content-Encoding": "gzip, gzip"}
    )
    settings = test_settings.changed(**{"fetch.max_bytes": 5_000_000})
    tracemalloc.start()
    try:
        with Fetcher(settings) as fetcher, pytest.raises(FetchError) as caught:
            fetcher.get(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"response larger than the 5 MB cap (fetch.max_bytes) for {url}: "
        "its Content-Encoding gzip (layer 2 of 2) passes it"
    )
    # the cap's worth of body, plus a few chunks per layer: nowhere near 300 MB
    assert peak < 5_000_000 + 40 * CHUNK + 8_000_000


def test_a_bomb_inside_a_feed_item_page_fails_that_item_only(
    http_server, test_settings, double_gzip_bomb
):
    from storybrief.ingest import ingest
    from storybrief.store import Store

    bomb = http_server.route(
        "/bomb", body=double_gzip_bomb, headers={"Content-Encoding": "gzip, gzip"}
    )
    feed = http_server.route(
        "/feed.xml",
        body=(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>Bomb</title><link>{bomb}</link></item>"
            "</channel></rss>"
        ).encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    settings = test_settings.changed(**{"fetch.max_bytes": 2_000_000})
    with Store.open(settings) as store:
        report = ingest([feed], settings=settings, store=store)
    (item,) = report.items
    assert item.status == "failed"
    assert "Content-Encoding gzip (layer 2 of 2) passes it" in (item.reason or "")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("compress", "unsupported Content-Encoding 'compress'"),
        ("gzip, gzip, gzip, gzip, gzip", "5 layers of Content-Encoding (at most 4)"),
    ],
)
def test_unknown_or_too_many_encodings_are_refused(header, message):
    with pytest.raises(DecodeError, match=re.escape(message)):
        encodings(header)


def test_a_corrupt_body_names_the_layer():
    with pytest.raises(DecodeError, match=r"Content-Encoding gzip \(layer 1 of 1\) is corrupt"):
        b"".join(decode_stream([b"\x1f\x8b not really gzip"], "gzip", 1000))


def test_every_layer_counts_against_the_cap():
    inner = _gzip_zeros(1)  # 1 MB of zeros in ~1 kB; outer gzip of it is smaller still
    with pytest.raises(TooLarge) as caught:
        for _ in decode_stream([gzip.compress(inner)], "gzip, gzip", 500):
            pass
    assert caught.value.layer == "Content-Encoding gzip (layer 1 of 2)"


def test_pieces_never_exceed_one_chunk():
    sizes = [len(piece) for piece in decode_stream([_gzip_zeros(1)], "gzip", 2_000_000)]
    assert sum(sizes) == 1_000_000
    assert max(sizes) <= CHUNK
