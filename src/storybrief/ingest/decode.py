"""Content-Encoding, decoded with a bound on every layer as the body streams in.

A response may be compressed more than once (``Content-Encoding: gzip, gzip``): a few kB on
the wire can decode to gigabytes. httpx decodes each network chunk in full before anyone can
count it, so a cap checked on its output comes too late. Here every layer is a pull-driven
generator that asks its decompressor for at most :data:`CHUNK` bytes at a time
(``zlib.decompressobj().decompress(data, max_length)``, brotli's ``output_buffer_limit``), so
memory stays at a few chunks per layer whatever the ratio, and every layer's running total is
checked against the cap: the first byte past it ends the read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["CHUNK", "DecodeError", "TooLarge", "accept_encoding", "decode_stream", "encodings"]

#: Largest piece any layer hands on at once.
CHUNK = 64 * 1024
#: More layers than this is not a real server.
MAX_LAYERS = 4


class DecodeError(Exception):
    """The body does not decode as its Content-Encoding says (or names an unknown one)."""


class TooLarge(Exception):
    """A layer decoded to more than the cap."""

    def __init__(self, layer: str, cap: int) -> None:
        super().__init__(f"{layer} decodes to more than {cap} bytes")
        self.layer = layer
        self.cap = cap


def _brotli() -> Any:
    """The brotli module, if it can decode with bounded output (Brotli >= 1.2)."""
    try:
        import brotli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    if not hasattr(brotli.Decompressor, "can_accept_more_data"):
        return None
    return brotli


def accept_encoding() -> str:
    """The Accept-Encoding header: only what :func:`decode_stream` can decode with a bound."""
    return "gzip, deflate, br" if _brotli() is not None else "gzip, deflate"


def encodings(header: str | None) -> list[str]:
    """The codings of a Content-Encoding header, in the order they were applied
    ("identity" dropped); raises :class:`DecodeError` for unknown or too many."""
    names = [n.strip().lower() for n in (header or "").split(",")]
    names = [n for n in names if n and n != "identity"]
    known = {"gzip", "x-gzip", "deflate"} | ({"br"} if _brotli() is not None else set())
    for name in names:
        if name not in known:
            raise DecodeError(f"unsupported Content-Encoding {name!r}")
    if len(names) > MAX_LAYERS:
        raise DecodeError(f"{len(names)} layers of Content-Encoding (at most {MAX_LAYERS})")
    return names


def decode_stream(chunks: Iterable[bytes], header: str | None, cap: int) -> Iterator[bytes]:
    """The decoded body of raw ``chunks`` with Content-Encoding ``header``, in pieces of at
    most :data:`CHUNK` bytes. Raises :class:`TooLarge` as soon as the raw body or any
    decoded layer passes ``cap`` bytes, :class:`DecodeError` for a corrupt body."""
    stream: Iterable[bytes] = _counted(chunks, "the response body", cap)
    layers = encodings(header)
    for depth, name in enumerate(reversed(layers), 1):  # the last applied is undone first
        label = f"Content-Encoding {name} (layer {depth} of {len(layers)})"
        stream = _counted(_layer(stream, name, label), label, cap)
    return iter(stream)


def _counted(chunks: Iterable[bytes], label: str, cap: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > cap:
            raise TooLarge(label, cap)
        if chunk:
            yield chunk


def _layer(chunks: Iterable[bytes], name: str, label: str) -> Iterator[bytes]:
    if name == "br":
        yield from _brotli_layer(chunks, label)
    else:
        yield from _zlib_layer(chunks, name, label)


def _zlib_layer(chunks: Iterable[bytes], name: str, label: str) -> Iterator[bytes]:
    gzip = name in ("gzip", "x-gzip")
    # gzip: the gzip wrapper; deflate: the zlib wrapper, or raw deflate as some servers send
    wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    members = 1  # a gzip body may hold several members, one after the other
    produced = False
    for chunk in chunks:
        data = chunk
        while data:
            if decoder.eof:
                if not gzip:
                    return  # bytes after the end of a deflate stream are ignored
                decoder = zlib.decompressobj(wbits)
                members += 1
            try:
                out = decoder.decompress(data, CHUNK)
            except zlib.error as exc:
                if members > 1:
                    return  # trailing bytes after a complete gzip member, as gzip(1) allows
                if not gzip and not produced and wbits > 0:
                    wbits = -zlib.MAX_WBITS  # raw deflate, without the zlib header
                    decoder = zlib.decompressobj(wbits)
                    continue
                raise DecodeError(f"{label} is corrupt: {exc}") from exc
            produced = produced or bool(out)
            if out:
                yield out
            data = decoder.unconsumed_tail or (decoder.unused_data if decoder.eof else b"")
    while not decoder.eof:  # output still held back for lack of max_length
        try:
            out = decoder.decompress(decoder.unconsumed_tail, CHUNK)
        except zlib.error as exc:
            raise DecodeError(f"{label} is corrupt: {exc}") from exc
        if not out:
            break
        yield out


def _brotli_layer(chunks: Iterable[bytes], label: str) -> Iterator[bytes]:
    brotli: Any = _brotli()
    decoder = brotli.Decompressor()
    try:
        for chunk in chunks:
            data = chunk
            while True:
                out = decoder.process(data, output_buffer_limit=CHUNK)
                data = b""
                if out:
                    yield out
                if decoder.is_finished() or decoder.can_accept_more_data():
                    break
    except brotli.error as exc:
        raise DecodeError(f"{label} is corrupt: {exc}") from exc
