"""Extraction: HTML and plain text in, a clean Article out; bad input is an ExtractionError.

Every fixture is written here, inline: no shared evaluation data is needed (that is what
bench/extraction.py reads).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from storybrief.errors import ExtractionError, StorybriefError
from storybrief.extract import decode_bytes, extract_html, extract_text, strip_feed_boilerplate
from storybrief.settings import Settings

BODY = (
    "<p>The city council voted on Monday to expand the central library, adding two floors of "
    "reading rooms and a children's wing that will open next spring.</p>"
    "<p>The project will cost about 12 million euros, most of it paid by a regional grant, and "
    "construction is expected to start in September after the summer book fair.</p>"
)
GERMAN = (
    "<p>Der Stadtrat hat am Montag beschlossen, die Zentralbibliothek um zwei Stockwerke zu "
    "erweitern. Die Bauarbeiten sollen im September beginnen und etwa zwölf Millionen Euro "
    "kosten, die größtenteils aus einem regionalen Zuschuss stammen.</p>"
)


def page(body: str = BODY, head: str = "", lang: str = "") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head>{head}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article>{body}</article><footer>© 2024 Valley Weekly</footer></body></html>"
    )


FULL_HEAD = """
<meta charset="utf-8">
<title>Library Expansion Approved | Valley Weekly</title>
<link rel="canonical" href="https://valley.example/news/library-expansion">
<meta property="og:site_name" content="Valley Weekly">
<meta property="og:title" content="Library Expansion Approved">
<meta name="author" content="Ana Lima and Ben Ode">
<meta property="article:published_time" content="2024-05-06T08:30:00+02:00">
"""


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    return test_settings


# --- metadata -----------------------------------------------------------------------------


def test_metadata_of_an_article_page(settings):
    article = extract_html(
        page(head=FULL_HEAD),
        url="https://valley.example/news/library-expansion?utm_source=feed",
        settings=settings,
    )
    assert article.title == "Library Expansion Approved"
    assert article.authors == ["Ana Lima", "Ben Ode"]
    assert article.published_at == datetime(2024, 5, 6, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    assert article.site_name == "Valley Weekly"
    assert article.canonical_url == "https://valley.example/news/library-expansion"
    assert article.url == "https://valley.example/news/library-expansion?utm_source=feed"
    assert article.language == "en"
    assert article.text.startswith("The city council voted on Monday")
    assert article.text.split("\n")[-1].endswith("after the summer book fair.")
    assert "Home" not in article.text and "©" not in article.text
    assert [s.text[:24] for s in article.sentences] == [
        "The city council voted o",
        "The project will cost ab",
    ]


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("By Dana Whitfield", ["Dana Whitfield"]),
        ("Ana Lima and Ben Ode", ["Ana Lima", "Ben Ode"]),
        ("by Ana Lima & Ben Ode", ["Ana Lima", "Ben Ode"]),
        ("Ana Lima; Ben Ode, Chen Wu", ["Ana Lima", "Ben Ode", "Chen Wu"]),
        ("Sandra Anderson", ["Sandra Anderson"]),  # "and" inside a name is not a separator
    ],
)
def test_authors_are_split_and_bylines_trimmed(settings, author, expected):
    article = extract_html(page(head=f'<meta name="author" content="{author}">'), settings=settings)
    assert article.authors == expected


def test_byline_in_the_body_gives_the_author(settings):
    body = '<h1>Bridge Reopens</h1><p class="byline">By Dana Whitfield</p>' + BODY
    article = extract_html(page(body), settings=settings)
    assert article.authors == ["Dana Whitfield"]
    assert "By Dana Whitfield" not in article.text


def test_date_without_a_time_is_midnight_utc_and_no_date_is_none(settings):
    dated = extract_html(
        page(head='<meta property="article:published_time" content="2023-11-02">'),
        settings=settings,
    )
    assert dated.published_at == datetime(2023, 11, 2, tzinfo=timezone.utc)
    assert extract_html(page(), settings=settings).published_at is None


def test_a_copyright_year_is_not_a_publication_date(settings):
    footer = "<footer>Copyright © 2021 Valley Weekly. All rights reserved.</footer>"
    html = page().replace("</body>", footer + "</body>")
    assert extract_html(html, settings=settings).published_at is None
    # 1 January given by the page's markup is a date all the same
    head = '<meta property="article:published_time" content="2021-01-01">'
    article = extract_html(
        page(head=head).replace("</body>", footer + "</body>"), settings=settings
    )
    assert article.published_at == datetime(2021, 1, 1, tzinfo=timezone.utc)


def test_canonical_url_falls_back_to_the_fetched_url(settings):
    article = extract_html(page(), url="https://valley.example/a?b=1", settings=settings)
    assert article.canonical_url == article.url == "https://valley.example/a?b=1"
    assert extract_html(page(), settings=settings).canonical_url is None


def test_language_is_detected_from_the_text(settings):
    assert extract_html(page(GERMAN), settings=settings).language == "de"
    # a template's lang attribute does not outvote the text itself
    assert extract_html(page(BODY, lang="fr"), settings=settings).language == "en"


def test_feed_metadata_fills_what_the_page_lacks_but_does_not_override(settings):
    fallback = {"title": "From The Feed", "authors": ["Feed Author"], "site_name": "Feed Site"}
    bare = extract_html(page(), settings=settings, fallback=fallback)
    assert (bare.title, bare.authors, bare.site_name) == (
        "From The Feed",
        ["Feed Author"],
        "Feed Site",
    )
    full = extract_html(page(head=FULL_HEAD), settings=settings, fallback=fallback)
    assert (full.title, full.site_name) == ("Library Expansion Approved", "Valley Weekly")


# --- feed boilerplate ---------------------------------------------------------------------

LAST = "The orchard will open to visitors on the first weekend of May, the owners said."
FOOTER = "The post Orchard Opens Its Gates appeared first on Valley Weekly."


@pytest.mark.parametrize(
    "ending",
    [f"{LAST}\n{FOOTER}", f"{LAST}{FOOTER}", f"{LAST} {FOOTER}\n", f"{LAST}\n{FOOTER[:-1]}"],
    ids=["own line", "glued to the last sentence", "same line, trailing newline", "no stop"],
)
def test_appeared_first_on_footer_is_stripped_and_read(ending):
    text, meta = strip_feed_boilerplate(
        "The owners of the hillside orchard said on Friday.\n" + ending
    )
    assert text.endswith(LAST)
    assert "appeared first" not in text and "The post" not in text
    assert meta == {"title": "Orchard Opens Its Gates", "site_name": "Valley Weekly"}


def test_other_boilerplate_lines_go_and_story_lines_stay():
    text, meta = strip_feed_boilerplate(
        "The bridge reopened on Tuesday.\nAdvertisement\nRead more: Ten best bridges\n"
        "Subscribe to our daily newsletter for more.\nMore people read about bridges than ever."
    )
    assert text == "The bridge reopened on Tuesday.\nMore people read about bridges than ever."
    assert meta == {}


def test_footer_gives_title_and_site_of_a_plain_text_item(settings):
    body = (
        "The owners of the hillside orchard said on Friday that the new café tent is finished, "
        "and that the apple harvest festival will return after a two-year break with music, "
        "cider tastings and guided walks between the rows of old trees. " + LAST
    )
    article = extract_text(body + FOOTER, settings=settings)
    assert article.title == "Orchard Opens Its Gates"
    assert article.site_name == "Valley Weekly"
    assert article.text.endswith(LAST)
    assert "appeared first" not in article.text


def test_footer_in_feed_html_is_stripped_and_gives_title_and_site(settings):
    content = BODY + f"<p>{FOOTER}</p>"
    article = extract_html(
        f"<html><body><article>{content}</article></body></html>", settings=settings
    )
    assert "appeared first" not in article.text
    assert article.text.endswith("after the summer book fair.")
    assert (article.title, article.site_name) == ("Orchard Opens Its Gates", "Valley Weekly")


# --- plain text ---------------------------------------------------------------------------

PLAIN = (
    "The city council voted on Monday to expand the central library, adding two floors of "
    "reading rooms and a children's wing.\n\nThe project will cost about 12 million euros, most "
    "of it paid by a regional grant, and construction starts in September."
)


def test_plain_text_with_a_short_first_line_as_title(settings):
    article = extract_text("Library Expansion Approved\n\n" + PLAIN, settings=settings)
    assert article.title == "Library Expansion Approved"
    assert article.text.startswith("The city council voted")
    assert "\n\n" not in article.text  # one paragraph per line
    assert article.language == "en"


def test_plain_text_starting_with_a_sentence_has_no_title(settings):
    article = extract_text(PLAIN, settings=settings)
    assert article.title is None
    assert article.text.startswith("The city council voted")


# --- charsets -----------------------------------------------------------------------------

FRENCH = "Café “quoted” — naïve façade, déjà vu. Les élèves ont été très contents de l'été."
LATIN1 = "Les élèves ont été très contents de l'été à la plage, où ils ont mangé des crêpes."


def test_declared_latin1_is_read_as_windows_1252_like_browsers():
    # Pages labelled ISO-8859-1 are routinely windows-1252 (curly quotes, dashes, euro sign).
    assert decode_bytes(FRENCH.encode("cp1252"), "ISO-8859-1") == FRENCH
    assert decode_bytes(LATIN1.encode("latin-1"), "latin-1") == LATIN1


def test_wrong_declared_charset_loses_to_valid_utf8():
    assert decode_bytes(FRENCH.encode("utf-8"), "iso-8859-1") == FRENCH


def test_declared_utf8_that_is_not_utf8():
    assert decode_bytes(FRENCH.encode("cp1252"), "utf-8") == FRENCH


def test_unknown_charset_label_is_ignored():
    assert decode_bytes(FRENCH.encode("utf-8"), "x-no-such-charset") == FRENCH


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (FRENCH, "cp1252"),
        ("Smart quotes: “hello” and ‘bye’ — an em dash… and a euro sign €5.", "cp1252"),
        ("Grüße aus München: Die schöne Straße führt zum Bäcker – für nur 50 Cent.", "cp1252"),
        ("El niño comió una piña en la montaña; la señora dijo «¡qué rápido!».", "cp1252"),
        (LATIN1, "latin-1"),
        ("Привет, как дела? Это тестовая строка на русском языке, довольно длинная.", "cp1251"),
        ("Zażółć gęślą jaźń. W Warszawie ministrowie omówili budżet na przyszły rok.", "cp1250"),
    ],
)
def test_undeclared_legacy_bytes_are_guessed(text, encoding):
    assert decode_bytes(text.encode(encoding)) == text


def test_byte_order_marks_decide():
    assert decode_bytes(b"\xef\xbb\xbf" + FRENCH.encode("utf-8")) == FRENCH
    assert decode_bytes(b"\xef\xbb\xbf" + FRENCH.encode("utf-8"), "iso-8859-1") == FRENCH
    assert decode_bytes(FRENCH.encode("utf-16")) == FRENCH  # with its BOM


def test_meta_charset_is_read_when_nothing_else_is_declared():
    html = '<html><head><meta charset="windows-1251"></head><body>Привет</body></html>'
    assert "Привет" in decode_bytes(html.encode("cp1251"))
    http_equiv = (
        '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Новости</p>'
    )
    assert "Новости" in decode_bytes(http_equiv.encode("koi8_r"))


def test_extract_html_bytes_with_latin1_charset(settings):
    html = page(f"<p>{FRENCH} {LATIN1}</p>" + BODY).encode("cp1252")
    article = extract_html(html, charset="iso-8859-1", settings=settings)
    assert FRENCH in article.text and LATIN1 in article.text
    undeclared = extract_html(html, settings=settings)
    assert FRENCH in undeclared.text


# --- text shape ---------------------------------------------------------------------------


def test_hard_wrapped_paragraphs_are_one_line_and_br_still_breaks(settings):
    wrapped = (
        "<p>The city council voted on Monday to expand\n   the central library, adding two\n"
        "floors of reading rooms.</p>"
        "<p>First line of an address<br>Second line of an address, which the council "
        "published together with the plans for the new children's wing on Monday.</p>"
    )
    article = extract_html(page(wrapped + BODY), settings=settings)
    lines = article.text.split("\n")
    assert lines[0] == (
        "The city council voted on Monday to expand the central library, adding two floors "
        "of reading rooms."
    )
    assert lines[1] == "First line of an address"
    assert lines[2].startswith("Second line of an address")


def test_script_and_style_content_never_reaches_the_text(settings):
    body = (
        "<style>.secret-style { color: red }</style>"
        "<p>The city council voted on Monday to expand the central library."
        "<script>var trackingPixel = 'SCRIPT-INSIDE-P';</script> It will have two floors.</p>"
        '<script type=\'application/ld+json\'>{"headline": "JSON-LD-TEXT"}</script>'
        "<noscript>NOSCRIPT-TEXT please enable JavaScript</noscript>" + BODY
    )
    head = "<style>body { font: SECRET-HEAD-STYLE }</style><script>HEAD_SCRIPT()</script>"
    article = extract_html(page(body, head=head), settings=settings)
    assert "expand the central library." in article.text
    for leaked in (
        "secret-style",
        "SCRIPT-INSIDE-P",
        "trackingPixel",
        "JSON-LD-TEXT",
        "SECRET-HEAD-STYLE",
        "HEAD_SCRIPT",
        "NOSCRIPT-TEXT",
    ):
        assert leaked not in article.text


def test_link_lines_at_the_edges_go_and_links_in_the_story_stay(settings):
    body = (
        '<p><a href="/">Home</a></p><p><a href="/news">News</a></p>'
        + BODY
        + '<p><a href="/budget">The full budget of the library project</a></p>'
        + "<p>The council will publish the tender documents in June, officials said.</p>"
        + "<h3>Related</h3>"
        + "".join(
            f'<p><a href="/news/{i}">Other council story number {i}</a></p>' for i in range(3)
        )
    )
    article = extract_html(
        f"<html><body><article>{body}</article></body></html>", settings=settings
    )
    lines = article.text.split("\n")
    assert lines[0].startswith("The city council voted on Monday")
    assert "The full budget of the library project" in lines  # a link inside the story
    assert not any(line.startswith("Other council story") for line in lines)
    assert lines[-1] == "The council will publish the tender documents in June, officials said."


def test_html_fragment_is_an_article(settings):
    article = extract_html(BODY, settings=settings)
    assert article.text.startswith("The city council voted on Monday")


# --- failures -----------------------------------------------------------------------------

LOGIN = (
    '<!DOCTYPE html><html lang="en"><head><title>Login</title></head><body>'
    '<nav><a href="/">Home</a></nav><form><input name="user"><button>Sign in</button></form>'
    "</body></html>"
)


def test_page_without_an_article(settings):
    with pytest.raises(ExtractionError, match="no article text found"):
        extract_html(LOGIN, settings=settings)


def test_page_of_links_is_not_an_article(settings):
    menu = "".join(
        f'<li><a href="/news/{i}">Council story number {i} about the library plans</a></li>'
        for i in range(40)
    )
    html = f"<html><body><nav><ul>{menu}</ul></nav><p>Copyright Valley Weekly.</p></body></html>"
    with pytest.raises(ExtractionError, match="no article text found"):
        extract_html(html, settings=settings)
    # a list of headlines with a date under each: links are most of the text, not all of it
    headlines = "".join(
        f'<p><a href="/news/{i}">Council story number {i} about the library plans</a></p>'
        f"<p>Updated {i} May</p>"
        for i in range(30)
    )
    with pytest.raises(ExtractionError, match=r"no article text found: \d+% of the page's text"):
        extract_html(f"<html><body><main>{headlines}</main></body></html>", settings=settings)


def test_text_below_min_text_chars(settings):
    short = "<p>The council met on Monday and voted yes.</p>"
    with pytest.raises(ExtractionError) as caught:
        extract_html(page(short), settings=settings)
    message = str(caught.value)
    assert "no article text found" in message and "extract.min_text_chars is 200" in message
    settings.extract.min_text_chars = 20
    assert extract_html(page(short), settings=settings).text == (
        "The council met on Monday and voted yes."
    )


def test_plain_text_below_min_text_chars(settings):
    with pytest.raises(
        ExtractionError, match=r"only 9 characters \(extract.min_text_chars is 200\)"
    ):
        extract_text("Too short", settings=settings)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\t ",
        b"\x00" * 64,
        b"<html>",
        b"<html><body></body></html>",
        b"<<<>>><!--<script>",
        random.Random(3).randbytes(20_000),
        random.Random(4).randbytes(2_000),
        b"<html><body>" + b"<div>" * 5_000 + b"deep" + b"</div>" * 5_000 + b"</body></html>",
        "<html><body><p>\ud800 lone surrogate</p></body></html>".encode("utf-8", "surrogatepass"),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Length 4000/Filter/FlateDecode>>stream\n"
        + random.Random(5).randbytes(4_000)
        + b"\nendstream\nendobj\n",
    ],
    ids=[
        "empty",
        "whitespace",
        "nul bytes",
        "bare tag",
        "empty body",
        "broken markup",
        "random 20k",
        "random 2k",
        "10k nested divs",
        "lone surrogate",
        "pdf bytes",
    ],
)
def test_hostile_input_is_an_extraction_error_not_a_crash(settings, data):
    with pytest.raises(ExtractionError) as caught:
        extract_html(data, settings=settings)
    assert isinstance(caught.value, StorybriefError)
    assert str(caught.value) and "\n" not in str(caught.value)


def test_hostile_text_input_is_an_extraction_error(settings):
    with pytest.raises(ExtractionError, match="not readable"):
        extract_text("\x00\x01\x02\x03 \ufffd\ufffd" * 100, settings=settings)
    with pytest.raises(ExtractionError):
        extract_text("", settings=settings)


def test_undecodable_bytes_never_raise_from_decode_bytes():
    for seed in range(5):
        data = random.Random(seed).randbytes(3_000)
        assert isinstance(decode_bytes(data), str)
        assert isinstance(decode_bytes(data, "utf-8"), str)
        assert isinstance(decode_bytes(data, "shift_jis"), str)


DATED_BODY = " ".join(
    f"Paragraph {n}: the council met on Friday and voted on the harbour plan again."
    for n in range(8)
)


def _dated_page(meta: str = "") -> str:
    return (
        f"<html><head><title>Harbour plan</title>{meta}</head><body><article>"
        f"<h1>Harbour plan</h1><p>{DATED_BODY}</p></article></body></html>"
    )


def test_a_date_in_the_url_does_not_hide_the_pages_own_time() -> None:
    """A URL holding /2026/11/28/ gives a bare date (00:00); the page's meta time is more
    precise and wins."""
    meta = '<meta property="article:published_time" content="2026-11-28T14:30:00+00:00">'
    url = "https://news.example/2026/11/28/harbour-plan.html"
    article = extract_html(_dated_page(meta), url=url)
    assert article.published_at is not None
    assert (article.published_at.hour, article.published_at.minute) == (14, 30)


def test_a_feeds_pubdate_beats_a_bare_url_date_on_the_same_day() -> None:
    from datetime import datetime, timezone

    pub = datetime(2026, 11, 28, 9, 15, tzinfo=timezone.utc)
    url = "https://news.example/2026/11/28/harbour-plan.html"
    article = extract_html(_dated_page(), url=url, fallback={"published_at": pub})
    assert article.published_at == pub


def test_the_pages_meta_time_beats_a_url_date_on_another_day() -> None:
    """Issue 30: the URL says 26 November, article:published_time 28 November 14:05; the
    page's own time wins (the URL's day at 00:00 won before, two days early)."""
    meta = '<meta property="article:published_time" content="2026-11-28T14:05:00+00:00">'
    url = "https://news.example/2026/11/26/harbour-plan.html"
    article = extract_html(_dated_page(meta), url=url)
    assert article.published_at == datetime(2026, 11, 28, 14, 5, tzinfo=timezone.utc)


def test_a_feeds_pubdate_beats_a_url_date_a_day_or_two_off() -> None:
    url = "https://news.example/2026/11/26/harbour-plan.html"
    pub = datetime(2026, 11, 28, 9, 15, tzinfo=timezone.utc)
    article = extract_html(_dated_page(), url=url, fallback={"published_at": pub})
    assert article.published_at == pub
    # a pubDate weeks away is a re-published item, not the article's time: the URL's day stays
    late = datetime(2026, 12, 20, 9, 15, tzinfo=timezone.utc)
    article = extract_html(_dated_page(), url=url, fallback={"published_at": late})
    assert article.published_at == datetime(2026, 11, 26, tzinfo=timezone.utc)


def test_a_time_element_beats_a_url_date_a_day_off() -> None:
    """A byline's <time> (no meta tag) with a full time, the day after the URL's."""
    url = "https://news.example/2026/11/27/harbour-plan.html"
    html = _dated_page().replace(
        "<h1>Harbour plan</h1>",
        '<h1>Harbour plan</h1><p class="byline">By Ann Lee, '
        '<time datetime="2026-11-28T07:40:00+00:00">28 November 2026, 07:40</time></p>',
    )
    article = extract_html(html, url=url)
    assert article.published_at == datetime(2026, 11, 28, 7, 40, tzinfo=timezone.utc)


def test_charset_guessing_only_when_nothing_declared_decodes(monkeypatch):
    from storybrief.extract import charset

    guessed: list[bytes] = []
    real = charset._guess
    monkeypatch.setattr(charset, "_guess", lambda data: guessed.append(data) or real(data))
    decode_bytes(FRENCH.encode("utf-8"))  # valid UTF-8
    decode_bytes(FRENCH.encode("cp1252"), "windows-1252")  # declared by the server
    decode_bytes(f'<meta charset="iso-8859-15"><p>{LATIN1}</p>'.encode("iso-8859-15"))  # page
    assert guessed == []
    assert decode_bytes(FRENCH.encode("cp1252")) == FRENCH and len(guessed) == 1  # undeclared


def test_declared_utf8_with_a_broken_character_stays_utf8():
    # a real page (Polish news) declares UTF-8 and cuts one string inside a character: it is
    # UTF-8 all the same, not windows-1251 as a detector guessed (every "ą" became "Д…")
    body = ("Kolejne organizacje sprzeciwiają się atakom na fundację. " * 40).encode("utf-8")
    page = b'<html><head><meta charset="UTF-8"></head><body><p>' + body + b"papieros\xc3...</p>"
    text = decode_bytes(page + b"</body></html>")
    assert "sprzeciwiają się" in text and text.count("\ufffd") == 1
    assert decode_bytes(FRENCH.encode("cp1252"), "utf-8") == FRENCH  # mislabelled: still guessed


AUTHOR_PAGES = {
    "a byline": '<div class="byline">By Jane Doe</div>',
    "a byline in the comments": (
        '<div id="comments"><span class="author">Commenter Name</span></div>'
        '<p class="author-name">Sam Writer</p>'
    ),
    "a byline holding its date": (
        '<div class="byline">By Jane Doe <time>2 May</time> and Tom Roe</div>'
    ),
    "a byline beside a figure": (
        '<p><figure>Photo</figure>tail text<span rel="author">Ann Lee</span></p>'
    ),
    "a byline with a quote inside": (
        '<div class="author">Kim Park<span class="pullquote">"Words"</span> reports</div>'
    ),
    "only the last resort": '<section data-component="Byline-x">Lee Chan, Seoul</section>',
    "too long, then right": (
        f'<span class="author">{"x" * 130}</span><div class="post-author">Ada Byron</div>'
    ),
    "an author element": "<p>Filed from the harbour.</p><author>Mia Stone</author>",
    "a rel child": "<div><rel>me</rel>Zoe Quinn</div>",
    "a word inside an id": '<div id="post-writer-block"><p id="the-author-7">Ola Berg</p></div>',
    "no byline": "<p>Nobody signed this.</p>",
}


@pytest.mark.parametrize("name", AUTHOR_PAGES)
def test_author_is_trafilaturas_without_copying_the_page(name):
    # extract.metadata.author searches the page itself, not a pruned copy: the same author
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html

    from storybrief.extract.metadata import author

    tree = load_html(page(BODY + AUTHOR_PAGES[name]))
    assert author(tree) == extract_author(tree)
    assert (author(tree) is None) == (name == "no byline")


def test_author_search_tests_only_candidates_for_these_trafilatura_expressions():
    # the shortcut is valid for the AUTHOR_XPATHS it was read for; another trafilatura's make
    # it run every expression on the whole tree (correct, slower): read them again then. Tested
    # on the candidates only, each expression finds what it finds in the whole tree, in order.
    from trafilatura.utils import load_html
    from trafilatura.xpaths import AUTHOR_XPATHS

    from storybrief.extract.metadata import _author_elements, _author_tests

    tests = _author_tests()
    assert tests is not None and len(tests) == len(AUTHOR_XPATHS)
    for name, body in AUTHOR_PAGES.items():
        tree = load_html(page(BODY + body))
        everywhere = [element for xpath in AUTHOR_XPATHS for element in xpath(tree)]
        assert list(_author_elements(tree)) == everywhere, name
        assert bool(everywhere) == (name != "no byline"), name


def test_category_links_else_the_section_as_trafilatura_finds_them():
    from trafilatura.metadata import extract_catstags
    from trafilatura.utils import load_html

    from storybrief.extract.metadata import categories

    links = '<div class="entry-meta"><a href="/category/harbour/">Harbour</a></div>'
    section = '<meta property="article:section" content="Politics">'
    for head, body in [("", links), (section, links), (section, ""), ("", "")]:
        tree = load_html(page(BODY + body, head=head))
        assert categories(tree) == extract_catstags("category", tree)
    assert categories(load_html(page(BODY, head=section))) == ["Politics"]


def test_tables_are_kept_a_row_a_line_and_layout_tables_as_paragraphs(settings):
    # figures in a table are facts of the story; a one-cell table is layout around a paragraph
    results = (
        "<table><thead><tr><th>Party</th><th>Votes</th></tr></thead><tbody>"
        "<tr><td>Greens | Left</td><td>12,400</td></tr><tr><td>Labour</td><td>9,100</td></tr>"
        "</tbody></table>"
    )
    layout = (
        "<table><tr><td><p>The council will publish the full count, ward by ward, on its "
        "website on Tuesday morning.</p></td></tr></table>"
    )
    lines = extract_html(page(BODY + results + layout), settings=settings).text.split("\n")
    assert lines[2:] == [
        "| Party | Votes |",
        r"| Greens \| Left | 12,400 |",
        "| Labour | 9,100 |",
        "The council will publish the full count, ward by ward, on its website on Tuesday morning.",
    ]
