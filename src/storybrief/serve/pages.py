"""The server-rendered pages: front page, story page with its feedback form, article page,
search, and the feeds. Route handlers only read and write through the library."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.requests import cookie_parser
from starlette.types import Scope

from ..explain.render import web_url
from ..readers import Readers
from ..views import Moved, StoryPage, first_line
from . import feed_writer
from .api import ArticleId, StoryId, VersionNumber
from .cache import FastAnswer, ResponseCache, cached, kept
from .security import MAX_ID, Signer, client_address

router = APIRouter(include_in_schema=False)

READER_COOKIE = "sb_reader"
READER_MAX_AGE = 60 * 60 * 24 * 365
REASON_MAX = 300
#: What the story page is rendered with in place of the reader's CSRF token (see cache.py).
CSRF_PLACEHOLDER = "sb-csrf-placeholder-7c1d9e"


def _readers(request: Request) -> Readers:
    return request.app.state.library.readers  # type: ignore[no-any-return]


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    settings = request.app.state.settings
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, {"site_title": settings.serve.site_title, **context}, status_code=status
    )
    return response


def _min_outlets(request: Request) -> int:
    """Outlets a story needs before the front and topic pages list it as explained
    (``serve.min_outlets``)."""
    return int(request.app.state.settings.serve.min_outlets)


def _reader(request: Request) -> tuple[str, str | None]:
    """The reader's id, and the cookie value to set when the reader is new."""
    signer: Signer = request.app.state.signer
    reader = signer.reader_of(request.cookies.get(READER_COOKIE))
    if reader is not None:
        return reader, None
    return signer.new_reader()


def _set_reader(request: Request, response: Response, cookie: str | None) -> None:
    if cookie is not None:
        response.raw_headers.append(_reader_cookie(request.scope, cookie))


def _reader_cookie(scope: Scope, cookie: str) -> tuple[bytes, bytes]:
    """The Set-Cookie header of a new reader, written out here (the value is a signed hex
    token): the cookie module's formatting cost more than the rest of a cached story page."""
    secure = "; Secure" if scope.get("scheme") == "https" else ""
    return (
        b"set-cookie",
        f"{READER_COOKIE}={cookie}; HttpOnly; Max-Age={READER_MAX_AGE}; Path=/; "
        f"SameSite=lax{secure}".encode(),
    )


def _story_fast(
    scope: Scope,
    cache: ResponseCache,
    data_version: str | None,
    *,
    story_id: int,
    version: int | None,
) -> FastAnswer | None:
    """How the cache's fast path (cache.py) answers a story page without the route: a reader
    without a (valid) reader cookie, who cannot have answered, gets a new reader cookie and
    its CSRF token; a returning reader their CSRF token and the page with their answer, while
    the answers to the version shown are kept. Anything else needs the route."""
    signer: Signer = scope["app"].state.signer
    cookies = b"; ".join(value for name, value in scope["headers"] if name == b"cookie")
    reader = None
    if cookies:
        reader = signer.reader_of(cookie_parser(cookies.decode("latin-1")).get(READER_COOKIE))
    if reader is None:
        reader, cookie = signer.new_reader()
        return None, {CSRF_PLACEHOLDER: signer.csrf_token(reader)}, [_reader_cookie(scope, cookie)]
    found, answers = cache.value(("answers", story_id, version), data_version)
    if not found:
        return None
    answer = answers.get(reader)  # type: ignore[attr-defined]
    return (tuple(answer) if answer else None), {CSRF_PLACEHOLDER: signer.csrf_token(reader)}, []


Offset = Annotated[int, Query(ge=0, le=100_000, description="stories to skip (paging)")]
TopicSlug = Annotated[str, FastAPIPath(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
PAGE_SIZE = 30


@router.api_route("/", methods=["GET", "HEAD"])
async def front_page(request: Request, offset: Offset = 0) -> Response:
    def render() -> Response:
        front = _readers(request).front_page(
            limit=PAGE_SIZE, offset=offset, min_outlets=_min_outlets(request)
        )
        return _render(request, "index.html", {"front": front})

    return await cached(request, ("front", offset, PAGE_SIZE), render, shared=True)


def _topic_label(readers: Readers, slug: str) -> str:
    """The topic's label; 404 for a topic no story is filed under."""
    label = readers.topic_label(slug)
    if label is None:
        raise HTTPException(404, f"no topic {slug!r}: the topics are listed on the front page")
    return label


@router.api_route("/topics/{slug}", methods=["GET", "HEAD"])
async def topic_page(request: Request, slug: TopicSlug, offset: Offset = 0) -> Response:
    def render() -> Response:
        readers = _readers(request)
        label = _topic_label(readers, slug)
        front = readers.front_page(
            limit=PAGE_SIZE, offset=offset, topic_slug=slug, min_outlets=_min_outlets(request)
        )
        front.topic = label
        return _render(request, "index.html", {"front": front})

    return await cached(request, ("topic", slug, offset, PAGE_SIZE), render, shared=True)


@router.api_route("/waiting", methods=["GET", "HEAD"])
async def waiting_page(request: Request, offset: Offset = 0) -> Response:
    def render() -> Response:
        min_outlets = _min_outlets(request)
        items, more = _readers(request).waiting(
            limit=PAGE_SIZE, offset=offset, min_outlets=min_outlets
        )
        return _render(
            request,
            "waiting.html",
            {
                "items": items,
                "offset": offset,
                "page_size": PAGE_SIZE,
                "more": more,
                "min_outlets": min_outlets,
            },
        )

    return await cached(request, ("waiting", offset, PAGE_SIZE), render, shared=True)


@router.api_route("/stories/{story_id}", methods=["GET", "HEAD"])
async def story(
    request: Request,
    story_id: StoryId,
    version: VersionNumber = None,
) -> Response:
    readers = _readers(request)
    if version is None:
        moved = readers.moved(story_id)
        if moved is not None:  # it split or merged: its URL points to where it went
            return _moved(request, story_id, moved)
    reader, new_cookie = _reader(request)
    answer = None
    if new_cookie is None:  # a returning reader: their answer to the version shown
        answers = await kept(
            request,
            ("answers", story_id, version),
            lambda: readers.answers(story_id, version),
        )
        answer = answers.get(reader)
    saved = request.query_params.get("saved") == "1"

    def render() -> Response:
        page = readers.story_page(story_id, version)
        url = str(request.url_for("story", story_id=story_id))
        canonical = f"{url}?version={page.stored.version}" if page.stored and version else url
        return _render(
            request,
            "story.html",
            {
                "page": page,
                "coverage": request.app.state.library.coverage(story_id),
                "update": request.app.state.library.pending_update(story_id)
                if page.is_latest
                else None,
                "answer": answer,
                "csrf": CSRF_PLACEHOLDER,
                "json_ld": json_ld(page, canonical, request.app.state.settings.serve.site_title),
                "canonical": canonical,
                "reason_max": REASON_MAX,
                "saved": saved,
            },
        )

    csrf = request.app.state.signer.csrf_token(reader)
    response = await cached(
        request,
        ("story", story_id, version, saved),
        render,
        personal={CSRF_PLACEHOLDER: csrf},
        variant=tuple(answer) if answer else None,
        fast=partial(_story_fast, story_id=story_id, version=version),
    )
    _set_reader(request, response, new_cookie)
    return response


def _moved(request: Request, story_id: int, moved: Moved) -> Response:
    """A retired story's URL: one story now holds its articles (it merged, or its parts
    merged again): a permanent redirect there. Several (it split): 300 Multiple Choices, a
    page listing them with the largest first in ``Location``, each in a ``Link`` header."""
    urls = [str(request.url_for("story", story_id=s.id)) for s in moved.successors]
    if len(urls) == 1:
        return RedirectResponse(urls[0], status_code=301)
    title = _readers(request).story(story_id).title or f"Story {story_id}"
    response = _render(
        request,
        "moved.html",
        {
            "title": title,
            "moved": moved,
            "successors": _readers(request).story_items(moved.successors),  # as listed
            "story_id": story_id,
            "versions": _readers(request).versions(story_id),
        },
        status=300 if urls else 410,
    )
    if urls:
        response.headers["Location"] = urls[0]
        response.headers["Link"] = ", ".join(f'<{u}>; rel="successor-version"' for u in urls)
    return response


@router.post("/stories/{story_id}/feedback")
def feedback(
    request: Request,
    story_id: StoryId,
    explainer_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    useful: Annotated[Literal["yes", "no"], Form()],
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=REASON_MAX * 4)] = "",
) -> Response:
    """The answer to "Do you find this article useful?": one per reader (cookie) and
    explainer version; answering again changes it. A plain form POST (redirects back to
    the story) or, with ``Accept: application/json``, a JSON reply for the page's script."""
    signer: Signer = request.app.state.signer
    if not _same_origin(request):
        raise HTTPException(403, "cross-site form submissions are refused")
    reader = signer.reader_of(request.cookies.get(READER_COOKIE))
    if reader is None:
        raise HTTPException(
            403, "your answer could not be recorded: this site needs a cookie to remember it"
        )
    if not signer.csrf_ok(reader, csrf):
        raise HTTPException(403, "the form has expired; reload the page and answer again")
    # per reader and per address: a script that drops its cookie gets a new reader (and a
    # valid form) from every page view, but not a new address
    limiter = request.app.state.feedback_limiter
    wait = limiter.hit(f"address|{client_address(request)}") or limiter.hit(f"reader|{reader}")
    if wait:
        raise HTTPException(
            429,
            "too many answers in a short time; try again in a minute",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    readers = _readers(request)
    stored = readers.explainer(explainer_id)
    if stored.story_id != story_id:
        raise HTTPException(404, f"explainer {explainer_id} is not one of story {story_id}")
    text = " ".join(reason.split())[:REASON_MAX] if useful == "no" else ""
    readers.record_answer(explainer_id, reader, useful == "yes", text or None)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"explainer_id": explainer_id, "useful": useful == "yes", "reason": text or None}
        )
    latest = readers.latest_explainer(story_id)
    query = (
        "saved=1" if latest and latest.id == explainer_id else f"version={stored.version}&saved=1"
    )
    return RedirectResponse(f"/stories/{story_id}?{query}#feedback", status_code=303)


def _same_origin(request: Request) -> bool:
    """Browsers name the page a form was sent from; refuse other sites' pages. (Without the
    headers, the SameSite cookie and the CSRF token still stand guard.)"""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        return urlsplit(origin).netloc == host
    return True


@router.api_route("/articles/{article_id}", methods=["GET", "HEAD"])
async def article(request: Request, article_id: ArticleId) -> Response:
    def render() -> Response:
        found = request.app.state.library.article(article_id)
        return _render(
            request,
            "article.html",
            {"article": found, "url": web_url(found.canonical_url or found.url)},
        )

    return await cached(request, ("article", article_id), render, shared=True)


@router.api_route("/search", methods=["GET", "HEAD"])
def search(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    topic: Annotated[str, Query(max_length=80)] = "",
    outlet: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Search, with filters by topic, outlet and days (``since`` and ``until``, both days
    included). A day that cannot be read is named on the page and left out; the rest of the
    search still runs."""
    query = " ".join(q.split())
    problems: list[str] = []
    first = _day(since, "From", problems)
    last = _day(until, "To", problems)
    filters = {
        "topic_slug": topic or None,
        "outlet": " ".join(outlet.split()) or None,
        "since": first,
        "until": last + timedelta(days=1) if last else None,
    }
    readers = _readers(request)
    filtered = any(v is not None for v in filters.values())
    found = readers.search_page(query, limit=20, **filters) if query or filtered else None
    topics, outlets = readers.search_choices()
    context = {
        "q": query,
        "found": found,
        "topics": topics,
        "outlets": outlets,
        "topic": topic,
        "outlet": filters["outlet"] or "",
        "since": first.date().isoformat() if first else since,
        "until": last.date().isoformat() if last else until,
        "problems": problems,
        "filtered": filtered,
    }
    return _render(request, "search.html", context)


def _day(value: str, name: str, problems: list[str]) -> datetime | None:
    """A day (YYYY-MM-DD) as its first instant in UTC; a value that is no day is named in
    ``problems`` and left out."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        problems.append(f"{name}: {value!r} is not a day (write it as YYYY-MM-DD); left out.")
        return None


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.api_route("/feeds/explainers.rss", methods=["GET", "HEAD"])
async def rss_feed(request: Request) -> Response:
    return await _explainers_feed(request, feed_writer.rss, "rss")


@router.api_route("/feeds/explainers.atom", methods=["GET", "HEAD"])
async def atom_feed(request: Request) -> Response:
    return await _explainers_feed(request, feed_writer.atom, "atom")


async def _explainers_feed(request: Request, write: Callable[..., bytes], kind: str) -> Response:
    """The 50 newest explainers as an RSS or Atom feed (``kind``), written by ``write``."""

    def render() -> Response:
        body = write(
            _readers(request).recent_explainers(limit=50),
            base=_base(request),
            title=request.app.state.settings.serve.site_title,
        )
        return Response(body, media_type=f"application/{kind}+xml; charset=utf-8")

    return await cached(request, (f"explainers.{kind}",), render, shared=True)


@router.api_route("/stories/{story_id}/feed.atom", methods=["GET", "HEAD"])
async def story_feed(request: Request, story_id: StoryId) -> Response:
    """One entry per explainer version of the story, newest first."""

    def render() -> Response:
        readers = _readers(request)
        story = readers.story(story_id)
        moved = readers.moved(story_id)
        body = feed_writer.atom(
            readers.versions(story_id)[:50],
            moved=None
            if moved is None
            else feed_writer.MovedEntry(
                moved.kind, moved.at, [(s.id, s.title or f"Story {s.id}") for s in moved.successors]
            ),
            base=_base(request),
            title=request.app.state.settings.serve.site_title,
            path=f"/stories/{story_id}/feed.atom",
            subject=story.title or f"story {story_id}",
            page=f"/stories/{story_id}",
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return await cached(request, ("story-feed", story_id), render, shared=True)


@router.api_route("/topics/{slug}/feed.atom", methods=["GET", "HEAD"])
async def topic_feed(request: Request, slug: TopicSlug) -> Response:
    """New and updated explainers of the topic's stories, newest first."""

    def render() -> Response:
        readers = _readers(request)
        label = _topic_label(readers, slug)
        body = feed_writer.atom(
            readers.recent_explainers(limit=50, topic_slug=slug),
            base=_base(request),
            title=request.app.state.settings.serve.site_title,
            path=f"/topics/{slug}/feed.atom",
            subject=label,
            page=f"/topics/{slug}",
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return await cached(request, ("topic-feed", slug), render, shared=True)


def json_ld(page: StoryPage, url: str, publisher: str) -> str | None:
    """schema.org NewsArticle for the story page, safe to place inside a <script> element."""
    if page.explainer is None or page.stored is None:
        return None
    explainer = page.explainer
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": explainer.headline[:110],
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": (page.versions[-1].created_at).isoformat(),
        "dateModified": page.stored.created_at.isoformat(),
        "description": first_line(page.stored.document),
        "articleBody": "\n\n".join(
            f"{s.title}\n{' '.join(x.text for x in s.sentences) or (s.note or '')}"
            for s in explainer.sections
        ),
        "articleSection": [s.title for s in explainer.sections],
        "publisher": {"@type": "Organization", "name": publisher},
        "author": {"@type": "Organization", "name": publisher},
        "creativeWorkStatus": "AI Generated Content",
        "version": str(page.stored.version),
        "isBasedOn": [
            {
                "@type": "NewsArticle",
                "headline": s.title,
                **({"url": s.url} if s.url else {}),
                **({"publisher": {"@type": "Organization", "name": s.outlet}} if s.outlet else {}),
                **({"datePublished": s.published_at.isoformat()} if s.published_at else {}),
            }
            for s in page.sources
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    # Nothing inside may end the script element or open a comment.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
