"""Hostile inputs, generated: hypothesis strategies for feeds (RSS/Atom, JSON Feed), OPML
lists, HTML pages and plain text, each parser's contract as a check, and a schemathesis
driver for the JSON API. Shared by the bounded tests (tests/test_fuzz.py,
tests/test_fuzz_api.py) and the long run (bench/fuzz.py).

A parser's contract: it returns its result, or raises a :class:`StorybriefError` (recorded
as one failed item by the pipeline). Anything else raised is a failure of the parser.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from storybrief.errors import StorybriefError
from storybrief.extract import extract_html, extract_text
from storybrief.ingest.feed_parser import Feed, parse_feed, parse_opml
from storybrief.records import Article

# -- building blocks ---------------------------------------------------------------------------

# Text that stresses parsers: control characters, XML-illegal and non-BMP characters,
# markup and entity fragments, long runs.
NASTY_PIECES = [
    "\x00", "\x01", "\x1b", "\x7f", "\ufffe", "\uffff", "\ud800", "😀", "\u202e", "&amp;",
    "&nbsp;", "&#0;", "&#xD800;", "&unknown;", "<![CDATA[", "]]>", "<!--", "-->", "<", ">",
    "\"", "'", "<script>alert(1)</script>", "<b>", "</p>", "javascript:alert(1)",
    "%s", "{}", "\r\n", "\t", " " * 50, "é", "\u00a0",
]  # fmt: skip
nasty_text = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(NASTY_PIECES)), max_size=12
).map("".join)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
URLISH = st.one_of(
    st.sampled_from(
        [
            "https://news.example/a",
            "HTTP://News.Example/b",
            "/relative/path",
            "file:///etc/passwd",
            "file:/etc/passwd",
            "c:/windows/win.ini",
            "javascript:alert(1)",
            "http://[::1",
            "http://127.0.0.1:1/x",
            "//evil.example/x",
            "",
            " ",
        ]
    ),
    nasty_text,
)
DATES = st.one_of(
    st.sampled_from(
        [
            "Tue, 02 Jan 2024 10:00:00 GMT",
            "Mon, 31 Feb 99999 25:61:61 +9999",
            "2024-01-02T10:00:00Z",
            "99999-01-01T00:00:00",
            "-0001-01-01",
            "0000-00-00T00:00:00+99:99",
        ]
    ),
    nasty_text,
)


def _mutate(data: bytes, cuts: list[int], junk: bytes) -> bytes:
    """``data`` with pieces cut out and ``junk`` spliced in."""
    for cut in cuts:
        if data:
            at = cut % len(data)
            data = data[:at] + junk + data[at + (cut % 7) :]
    return data


mutations = st.tuples(st.lists(st.integers(min_value=0), max_size=3), st.binary(max_size=20))

# -- feeds ---------------------------------------------------------------------------------------


@st.composite
def xml_feeds(draw: Any) -> bytes:
    """RSS 0.9x/1.0/2.0 or Atom, with hostile text in every field, sometimes mangled."""
    kind = draw(st.sampled_from(["rss2", "rss1", "atom"]))
    n = draw(st.integers(min_value=0, max_value=8))

    def esc(text: str) -> str:
        return draw(st.sampled_from([text, text.replace("&", "&amp;").replace("<", "&lt;")]))

    items = []
    for _ in range(n):
        title, link, body = esc(draw(nasty_text)), esc(draw(URLISH)), esc(draw(nasty_text))
        date, author = esc(draw(DATES)), esc(draw(nasty_text))
        if kind == "atom":
            items.append(
                f"<entry><title>{title}</title><link href='{link}'/><id>{link}</id>"
                f"<updated>{date}</updated><author><name>{author}</name></author>"
                f"<content type='html'>{body}</content></entry>"
            )
        else:
            items.append(
                f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
                f"<author>{author}</author><description>{body}</description>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
            )
    head = esc(draw(nasty_text))
    if kind == "atom":
        doc = f"<feed xmlns='http://www.w3.org/2005/Atom'><title>{head}</title>{''.join(items)}"
        doc += "</feed>"
    elif kind == "rss1":
        doc = (
            "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
            f"xmlns='http://purl.org/rss/1.0/'><channel><title>{head}</title></channel>"
            f"{''.join(items)}</rdf:RDF>"
        )
    else:
        doc = (
            "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            f"<channel><title>{head}</title><ttl>{esc(draw(nasty_text))}</ttl>"
            f"{''.join(items)}</channel></rss>"
        )
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    data = f'<?xml version="1.0" encoding="{encoding}"?>{doc}'.encode(encoding, "replace")
    cuts, junk = draw(mutations)
    return _mutate(data, cuts, junk)


@st.composite
def json_feeds(draw: Any) -> bytes:
    """JSON Feeds whose fields hold values of any type, sometimes nested deep."""
    keys = [
        "id", "url", "external_url", "title", "content_html", "content_text", "summary",
        "date_published", "date_modified", "author", "authors", "tags", "language",
    ]  # fmt: skip
    items = draw(
        st.lists(
            st.one_of(
                st.dictionaries(st.sampled_from(keys), json_values, max_size=8),
                json_values,
            ),
            max_size=6,
        )
    )
    doc: Any = {
        "version": draw(st.one_of(st.just("https://jsonfeed.org/version/1.1"), json_values)),
        "title": draw(json_values),
        "language": draw(json_values),
        "items": draw(st.one_of(st.just(items), json_values)),
    }
    depth = draw(st.sampled_from([0, 0, 0, 50, 5000]))
    text = json.dumps(doc)
    if depth:
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    cuts, junk = draw(mutations)
    return _mutate(text.encode("utf-8", "surrogatepass"), cuts, junk)


def check_feed(data: bytes, content_type: str | None = None) -> Feed | None:
    try:
        feed = parse_feed(data, location="https://news.example/feed", content_type=content_type)
    except StorybriefError:
        return None
    assert isinstance(feed, Feed)
    for item in feed.items:
        assert item.link is None or isinstance(item.link, str)
        assert item.title is None or isinstance(item.title, str)
        assert item.content_html is None or isinstance(item.content_html, str)
        assert all(isinstance(a, str) for a in item.authors)
    return feed


# -- OPML ----------------------------------------------------------------------------------------


@st.composite
def opml_docs(draw: Any) -> bytes:
    outlines = "".join(
        f'<outline text="{draw(nasty_text)!r}" xmlUrl="{draw(URLISH)}"/>'
        for _ in range(draw(st.integers(min_value=0, max_value=6)))
    )
    root = draw(st.sampled_from(["opml", "OPML", "rss", "opml"]))
    extra = draw(st.sampled_from(["", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>']))
    data = f"{extra}<{root} version='2.0'><body>{outlines}&e;</body></{root}>"
    cuts, junk = draw(mutations)
    return _mutate(data.encode("utf-8", "surrogatepass"), cuts, junk)


def check_opml(data: bytes) -> list[str] | None:
    try:
        urls = parse_opml(data, location="https://news.example/list.opml")
    except StorybriefError:
        return None
    assert urls and all(isinstance(u, str) for u in urls)
    assert all("root:" not in u for u in urls)  # no external entity was resolved
    return urls


# -- pages ---------------------------------------------------------------------------------------

TAGS = [
    "p", "div", "article", "span", "a", "b", "script", "style", "svg", "table", "td", "li",
    "h1", "meta", "time", "img", "br", "template", "noscript", "iframe", "main", "x-y",
]  # fmt: skip
ATTRIBUTES = st.lists(
    st.tuples(
        st.sampled_from(["class", "id", "href", "content", "property", "datetime", "a", "b"]),
        nasty_text,
    ),
    max_size=4,
)


def _element(draw: Any, depth: int) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(f' {k}="{v}"' for k, v in draw(ATTRIBUTES))
    if depth <= 0 or draw(st.booleans()):
        inner = draw(nasty_text)
    else:
        count = draw(st.integers(min_value=0, max_value=4))
        inner = "".join(_element(draw, depth - 1) for _ in range(count))
    close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))
    return f"<{tag}{attrs}>{inner}{close}"


@st.composite
def html_pages(draw: Any) -> str:
    """Pages of random markup around an article-like paragraph, with hostile text and
    attributes, unclosed tags, deep nesting and floods of attributes or elements."""
    body = "".join(_element(draw, 4) for _ in range(draw(st.integers(0, 5))))
    article = "The council met on Tuesday and voted to repair the harbor bridge. " * draw(
        st.integers(0, 8)
    )
    flood = draw(st.sampled_from(["", "", "attributes", "nesting", "elements"]))
    if flood == "attributes":
        body += "<p " + " ".join(f"a{i}=x" for i in range(3000)) + ">flood</p>"
    elif flood == "nesting":
        body += "<div>" * 3000 + "deep" + "</div>" * 3000
    elif flood == "elements":
        body += "<p>x</p>" * 3000
    head = draw(st.sampled_from(["", "<head><title>T</title><meta charset='utf-7'></head>"]))
    return f"<html>{head}<body>{body}<article><p>{article}</p></article></body></html>"


def check_page(html: str | bytes) -> Article | None:
    try:
        article = extract_html(html, url="https://news.example/a")
    except StorybriefError:
        return None
    assert isinstance(article, Article) and article.text
    return article


def check_text(text: str) -> Article | None:
    try:
        article = extract_text(text)
    except StorybriefError:
        return None
    assert isinstance(article, Article) and article.text
    return article


# -- the whole pipeline ----------------------------------------------------------------------


def _bytes_of(sample: str | bytes) -> bytes:
    return sample if isinstance(sample, bytes) else sample.encode("utf-8", "surrogatepass")


#: Any document a source may be: feeds, OPML lists, pages, texts (with the lone surrogates and
#: NULs of NASTY_PIECES), raw bytes; as bytes, the way a file or a response brings them.
documents = st.one_of(
    xml_feeds(),
    json_feeds(),
    opml_docs(),
    html_pages().map(_bytes_of),
    nasty_text.map(lambda t: (t + " ") * 30).map(_bytes_of),
    st.binary(max_size=2000),
)
#: An article as POST /api/v1/articles hands it to the library.
submitted = st.fixed_dictionaries(
    {"text": nasty_text.map(lambda t: t + " The council met on Tuesday and voted. " * 6)},
    optional={"title": nasty_text, "site_name": nasty_text, "url": URLISH},
)
STATUSES = {"new", "updated", "duplicate", "unchanged", "failed"}


def check_report(report: Any) -> None:
    """What an ingest run reports: every item one of the five outcomes, a failure with its
    reason, every string storable (the CLI prints it, the API sends it as JSON)."""
    for item in report.items:
        assert item.status in STATUSES, item
        assert item.status != "failed" or item.reason, item
        for text in (item.location, item.title, item.reason):
            if text is not None:
                text.encode("utf-8")  # no lone surrogate


def check_ingest(library: Any) -> Callable[[Any], None]:
    """The library's contract for one source: ``ingest`` of any document, and ``submit`` of
    any article, give a report and raise nothing (issue 27: a lone surrogate in a JSON Feed
    escaped as UnicodeEncodeError and stopped the run). Stories are formed too."""
    from storybrief.ingest import Document

    def check(sample: bytes | dict[str, Any]) -> None:
        if isinstance(sample, dict):
            report = library.submit([], [sample])
        else:
            report = library.ingest([Document("fuzz-input", sample)])
        check_report(report)

    return check


def check_cli(env: dict[str, str]) -> Callable[[bytes], None]:
    """`storybrief ingest -` (in process, through the CLI's own code): any document on
    standard input ends with exit 0 or 1 and a report, never an exception."""
    from typer.testing import CliRunner

    from storybrief.cli import app

    runner = CliRunner()

    def check(data: bytes) -> None:
        result = runner.invoke(app, ["ingest", "-"], input=data, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-300:])

    return check


# -- running many ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a fuzz run of one parser saw."""

    name: str
    tried: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    slowest_input: str = ""

    def record(
        self, seconds: float, sample: Any, error: BaseException | None, label: str | None = None
    ) -> None:
        """Count one input; ``label`` names it (default: its size and first characters)."""
        self.tried += 1
        if seconds > self.slowest:
            self.slowest, self.slowest_input = seconds, label or _describe(sample)
        if error is not None:
            name = label or _describe(sample)
            self.failures.append(f"{type(error).__name__}: {str(error)[:300]} <- {name}")


def _describe(sample: Any) -> str:
    size = len(sample) if isinstance(sample, str | bytes) else 0
    return f"{size:,} {'bytes' if isinstance(sample, bytes) else 'chars'}: {sample!r:.60}"


def fuzz(
    name: str,
    strategy: st.SearchStrategy[Any],
    check: Callable[[Any], Any],
    examples: int,
    *,
    seed: int | None = None,
) -> Tally:
    """Run ``check`` on ``examples`` inputs drawn from ``strategy``; failures are counted,
    not raised, so one run reports them all."""
    tally = Tally(name)

    def run(sample: Any) -> None:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            check(sample)
        except Exception as exc:  # the failure being looked for
            error = exc
        tally.record(time.perf_counter() - started, sample, error)

    _drawn(run, strategy, examples, seed)
    return tally


def _drawn(
    test: Callable[[Any], None], strategy: st.SearchStrategy[Any], examples: int, seed: int | None
) -> None:
    """``test`` run on ``examples`` inputs drawn from ``strategy``: generation only, no
    deadline, no example database, the same inputs every run unless ``seed`` is given."""
    run = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=seed is None,
    )(given(strategy)(test))
    if seed is not None:
        from hypothesis import seed as with_seed

        run = with_seed(seed)(run)
    run()


PARSERS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], Any]]] = {
    "feed (RSS/Atom)": (xml_feeds(), check_feed),
    "feed (JSON Feed)": (json_feeds(), lambda d: check_feed(d, "application/feed+json")),
    "feed (raw bytes)": (st.binary(max_size=2000), check_feed),
    "OPML": (opml_docs(), check_opml),
    "page (HTML)": (html_pages(), check_page),
    "text": (nasty_text, check_text),
}


# -- the API -------------------------------------------------------------------------------------


def fuzz_api(app: Any, token: str, examples: int, *, seed: int | None = None) -> Tally:
    """Every operation of the app's OpenAPI document, with valid and invalid requests made
    by schemathesis and sent through the app's ASGI transport: none may answer 5xx."""
    import schemathesis

    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    tally = Tally("API (schemathesis)")
    with offline():
        _fuzz_operations(schema, token, examples, seed, tally)
    return tally


@contextmanager
def offline() -> Iterator[None]:
    """No DNS lookup and no connection leaves the process: URLs the fuzzer submits (any
    host, public addresses included) fail to connect, as they would on a machine offline."""
    import httpcore

    def refuse(self: Any, host: str, port: int) -> list[Any]:
        raise httpcore.ConnectError(f"offline: the fuzz run connects to nothing ({host})")

    with patch("storybrief.ingest.guard.AddressPolicy.resolve", refuse):
        yield


def _fuzz_operations(
    schema: Any, token: str, examples: int, seed: int | None, tally: Tally
) -> None:
    from schemathesis.generation import GenerationMode

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            def run(case: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
                started = time.perf_counter()
                error: BaseException | None = None
                try:
                    response = case.call()
                    if response.status_code >= 500:
                        error = AssertionError(f"HTTP {response.status_code}: {response.text:.200}")
                except Exception as exc:
                    error = exc
                label = f"{case.method} {case.formatted_path} {case.query or ''}"
                tally.record(time.perf_counter() - started, None, error, label)

            _drawn(run, operation.as_strategy(generation_mode=mode), examples, seed)
