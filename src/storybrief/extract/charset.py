"""Charset sniffing: the text of a page's bytes, read the way browsers read them, never raising
for undecodable bytes (:func:`decode_bytes`)."""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_bytes"]

# A page declared UTF-8 with at most this share of broken sequences is read as UTF-8 anyway.
MAX_BROKEN_UTF8_SHARE = 0.001
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="..">, <meta http-equiv=.. content="..; charset=..">, <?xml .. encoding="..">
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# Encodings browsers decode (the WHATWG Encoding Standard), by Python codec name. Detector
# guesses outside it (DOS code pages, say) are a last resort: web pages are not written in them.
_WEB_ENCODINGS = {
    "utf_8", "utf_16", "utf_16_be", "utf_16_le", "ascii", "latin_1", "cp866", "koi8_r",
    "koi8_u", "mac_roman", "mac_cyrillic", "cp874", "gbk", "gb2312", "gb18030", "big5",
    "big5hkscs", "euc_jp", "iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949",
    *(f"cp125{n}" for n in range(9)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
}  # fmt: skip
# Latin-script single-byte ones: where the detector's best guess is one of them and windows-1252
# (the web's most common legacy encoding) explains the text as well, windows-1252 wins -- on
# short text the detector cannot tell them apart and picks, say, Baltic cp1257 for French.
_LATIN_SINGLE_BYTE = {
    "cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "mac_roman",
    *(f"iso8859_{n}" for n in (2, 3, 4, 10, 13, 14, 15, 16)),
}  # fmt: skip


def decode_bytes(data: bytes, declared_charset: str | None = None) -> str:
    """Text of ``data``, never raising for undecodable bytes. In order:

    1. a byte-order mark (UTF-8, UTF-16, UTF-32) decides;
    2. bytes that are valid UTF-8 are UTF-8 -- whatever a server or ``<meta>`` says, since real
       UTF-8 mislabelled as Latin-1 is common and the reverse almost never decodes;
    3. the declared charset (``declared_charset``, e.g. from the HTTP header, then the page's
       own ``<meta charset>`` / XML declaration), read as browsers do: "iso-8859-1" and
       "us-ascii" mean windows-1252, and declared UTF-8 with a few broken sequences (at most
       :data:`MAX_BROKEN_UTF8_SHARE`) is UTF-8 with replacement characters;
    4. charset-normalizer's guess, preferring windows-1252 when it is among its candidates.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = [c for c in (declared_charset, _sniff_charset(data)) if c]
    codecs_declared = [name for name in (_codec(c) for c in declared) if name]
    # Encodings whose bytes can pass for UTF-8 (ASCII text is not plain ASCII bytes in them)
    # must be tried before UTF-8.
    for name in codecs_declared:
        if name.startswith(("utf-16", "utf-32", "iso2022")):
            decoded = _try_decode(data, name)
            if decoded is not None:
                return decoded
    decoded = _try_decode(data, "utf-8")
    if decoded is not None:
        return decoded
    for name in codecs_declared:
        decoded = _try_decode(data, name)
        if decoded is None and name == "cp1252":  # five bytes cp1252 leaves undefined
            decoded = _try_decode(data, "latin-1")
        if decoded is None and name == "utf-8":  # UTF-8 with a few broken sequences
            decoded = _mostly_utf8(data)
        if decoded is not None:
            return decoded
    return _guess(data)


def _mostly_utf8(data: bytes) -> str | None:
    """``data`` read as UTF-8 with replacement characters, when they are rare (a string cut in
    the middle of a character, as browsers show it); None when they are not (text in another
    encoding labelled UTF-8 breaks at every accented letter)."""
    decoded = data.decode("utf-8", errors="replace")
    return decoded if decoded.count("\ufffd") <= len(decoded) * MAX_BROKEN_UTF8_SHARE else None


def _codec(label: str) -> str | None:
    """Python codec name for a charset label, or None for unknown and unsafe labels."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name in ("iso8859-1", "ascii"):  # the WHATWG Encoding Standard maps both to windows-1252
        return "cp1252"
    if name == "utf-7":  # not a web encoding, and a known XSS vector
        return None
    return name


def _sniff_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    return (match[1] or match[2]).decode("ascii")


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _guess(data: bytes) -> str:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return data.decode("utf-8", errors="replace")
    web = [m for m in matches if m.encoding in _WEB_ENCODINGS] or matches
    best = web[0]
    if best.encoding in _LATIN_SINGLE_BYTE:
        for match in web:
            if (
                match.encoding == "cp1252"
                and match.chaos <= best.chaos + 0.1
                and match.coherence >= best.coherence
            ):
                return str(match)
    return str(best)
