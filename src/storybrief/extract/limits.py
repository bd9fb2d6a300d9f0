"""Bounds on what one hostile input can cost: a deadline for a piece of work, and the
pre-passes that keep pathological HTML away from parsers whose cost is worse than linear.

* :func:`deadline` raises :class:`DeadlineExceeded` in the working thread when its time is
  up, even inside a long pure-Python loop of a library (trafilatura, htmldate). It is a
  ``BaseException``, so libraries' ``except Exception`` clauses cannot swallow it; C code
  (an lxml parse) finishes its call first, which the element and attribute caps keep short.
* :func:`cap_tag_attributes` rewrites start tags that carry more than a given number of
  attributes: libxml2's HTML parser compares every attribute of an element with every
  other (quadratic: one ``<p>`` with 200,000 attributes takes minutes).
* :func:`cap_elements` drops the elements past the first ``n`` of a parsed tree, in
  document order, before extraction walks it many times over.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DeadlineExceeded", "cap_elements", "cap_tag_attributes", "count_nodes", "deadline"]


class DeadlineExceeded(BaseException):  # noqa: N818 - it is raised into code that catches Exception
    """The time given to a piece of work is up (raised asynchronously in its thread)."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)


#: Past this many times its CPU budget in wall-clock time, work is stopped even if it has not
#: used its CPU time (a machine so busy that the thread barely runs).
WALL_CLOCK_FACTOR = 10.0
#: After the deadline, how often the exception is raised again if the first was lost (one
#: raised inside a ``__del__`` during garbage collection is printed and dropped by Python).
_REPEAT = 0.05


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Run the ``with`` body for at most ``seconds`` of its own CPU time (so that other
    threads and processes on a busy machine do not eat its budget), and at most
    :data:`WALL_CLOCK_FACTOR` times that in wall-clock time; past either,
    :class:`DeadlineExceeded` is raised in it, and again every 50 ms until the body ends.
    ``None`` or 0: no deadline."""
    if not seconds:
        yield
        return
    thread = threading.get_ident()
    cpu_clock = _thread_cpu_clock(thread)
    cpu_start = time.clock_gettime(cpu_clock) if cpu_clock is not None else None
    wall_end = time.monotonic() + seconds * (WALL_CLOCK_FACTOR if cpu_clock is not None else 1)
    lock = threading.Lock()
    state = {"done": False, "fired": False}
    stop = threading.Event()

    def used() -> float:
        if cpu_clock is None or cpu_start is None:
            return 0.0
        try:
            return time.clock_gettime(cpu_clock) - cpu_start
        except OSError:  # the thread is gone
            return 0.0

    def watch() -> None:
        while not stop.wait(_REPEAT if state["fired"] else min(0.25, seconds)):
            if not state["fired"] and used() < seconds and time.monotonic() < wall_end:
                continue
            with lock:
                if state["done"]:
                    return
                state["fired"] = True
                _set_async_exc(thread, ctypes.py_object(DeadlineExceeded))

    watcher = threading.Thread(target=watch, name="storybrief-deadline", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        with lock:
            state["done"] = True
            if state["fired"]:  # raised already, or still pending: take a pending one back
                _set_async_exc(thread, ctypes.py_object())
        if state["fired"]:
            raise DeadlineExceeded


def _thread_cpu_clock(thread: int) -> int | None:
    """The CPU-time clock of a thread, where the platform has one (Linux, macOS)."""
    try:
        return time.pthread_getcpuclockid(thread)
    except (AttributeError, OSError):
        return None


# A start tag: its name, then everything up to the ">" that is outside a quoted value. As in
# the HTML tokenizer, a quote opens a value only after "=": a stray one (height="63"") is a
# character like any other, not the start of a string that runs on through the page. The body
# is the "unrolled loop" form (no nested quantifiers over the same characters): linear time.
_START_TAG = re.compile(
    r"""<([A-Za-z][^\s/>"']*)([^>=]*(?:(?:=\s*"[^"]*"|=\s*'[^']*'|=)[^>=]*)*)"""
)
_ATTRIBUTE = re.compile(r"""[^\s/>="']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']*))?""")
# A script or style element's start tag (to the end of the page if it has no ">"), and its end
# tag: the text between them holds no tags.
_RAW_TEXT_START = re.compile(r"<(script|style)\b[^>]*(?:>|\Z)", re.IGNORECASE)
_RAW_TEXT_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style")}


#: Tags shorter than this cannot hold enough attributes to matter and are not looked at.
_LONG_TAG = 2_000


def cap_tag_attributes(html: str, max_attributes: int) -> tuple[str, int]:
    """``html`` with every start tag cut down to its first ``max_attributes`` attributes, and
    how many tags were cut."""
    if len(html) < _LONG_TAG:
        return html, 0
    # Script and style contents are not markup: '"<bo" + \'dy onload=…\'' in a script is not a
    # tag, and reading it as one ran its quotes on across the page and cut the page apart.
    out: list[str] = []
    cut = 0
    position = 0
    while raw := _RAW_TEXT_START.search(html, position):
        end_tag = _RAW_TEXT_END[raw[1].lower()].search(html, raw.end())
        end = end_tag.end() if end_tag else len(html)
        for markup in (html[position : raw.start()], raw[0]):
            markup, n = _cap_start_tags(markup, max_attributes)
            out.append(markup)
            cut += n
        out.append(html[raw.end() : end])
        position = end
    markup, n = _cap_start_tags(html[position:], max_attributes)
    out.append(markup)
    return "".join(out), cut + n


def _cap_start_tags(markup: str, max_attributes: int) -> tuple[str, int]:
    """:func:`cap_tag_attributes` of markup without scripts or styles. Most pages have no long
    tag: they are only scanned, not rewritten."""
    pieces: list[str] = []
    position = cut = 0
    for match in _START_TAG.finditer(markup):
        start, end = match.span(2)
        if end - start < _LONG_TAG or end - start < max_attributes * 2:
            continue
        attributes = _ATTRIBUTE.findall(match[2])
        if len(attributes) <= max_attributes:
            continue
        pieces += (markup[position : match.start()], f"<{match[1]} ")
        pieces.append(" ".join(attributes[:max_attributes]))
        position = match.end()
        cut += 1
    if not cut:
        return markup, 0
    pieces.append(markup[position:])
    return "".join(pieces), cut


#: Elements extraction never reads text from; dropped first when a page is over the cap.
_NOT_TEXT = ("style", "svg", "noscript", "template", "{http://www.w3.org/2000/svg}svg")


def cap_elements(tree: Any, max_elements: int) -> int:
    """Drop the elements of an lxml ``tree`` past the first ``max_elements`` (document
    order, each with what follows it); the number dropped. A tree over the cap first loses
    its styles, SVG drawings and scripts (but not JSON-LD metadata), which hold no text."""
    if count_nodes(tree) <= max_elements:
        return 0
    for element in [*tree.iter(*_NOT_TEXT), *tree.iter("script")]:
        if element.tag == "script" and "ld+json" in (element.get("type") or ""):
            continue
        _drop_keeping_tail(element)
    extra = [element for n, element in enumerate(tree.iter()) if n >= max_elements]
    for element in extra:
        parent = element.getparent()
        if parent is not None:  # (a parent dropped before it took this one along)
            parent.remove(element)
    return len(extra)


def count_nodes(tree: Any, *tags: str) -> int:
    """How many nodes ``tree.iter(*tags)`` would give (elements, comments and processing
    instructions; or only elements named ``tags``), counted by libxml2 rather than in Python."""
    if tags:
        path = "|".join(f"descendant-or-self::{tag}" for tag in tags)
    else:
        path = "descendant-or-self::*|descendant::comment()|descendant::processing-instruction()"
    return int(tree.xpath(f"count({path})"))


def _drop_keeping_tail(element: Any) -> None:
    """Remove ``element`` and what is inside it, but not the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
