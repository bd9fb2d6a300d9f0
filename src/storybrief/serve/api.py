"""The JSON API, ``/api/v1``: stories, explainers (every version, as JSON, Markdown, HTML or
text), search and (re)explaining a story, with what every route of the API shares — who may
call it (the API token, the write rate limit), path parameters and the story and article
summaries. The articles (listed, one, and submitting pages, feeds and texts) are in
:mod:`.api_articles`, readers' answers in :mod:`.api_feedback`, what the LLM engines were
asked and answered in :mod:`.api_calls`; the app includes the four routers under
``/api/v1``. Writes, feedback statistics and the engines' requests need the API token; reads
are public unless ``public_read`` is off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from ..explain import Explainer, render
from ..library import Library
from ..readers import Readers, spans
from ..settings import Settings
from ..views import Found, StoryItem
from .cache import cached
from .security import MAX_ID, client_address, token_ok

if TYPE_CHECKING:
    from ..store import StoredExplainer

_bearer = HTTPBearer(auto_error=False, description="the api_token from settings")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ExplainerFormat = Literal["json", "markdown", "html", "text"]
# Ids are positive 32-bit integers, the id columns' range on PostgreSQL; any other is refused
# with 422 before the store sees it, alike on SQLite and PostgreSQL.
StoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="a story's id")]
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="an article's id")]
ExplainerId = Annotated[int, Path(ge=1, le=MAX_ID, description="an explainer version's id")]
VersionNumber = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="an explainer version number")
]
# The API's lists (stories, articles) page alike: at most 200 items, after up to a million.
ListLimit = Annotated[int, Query(ge=1, le=200)]
ListOffset = Annotated[int, Query(ge=0, le=1_000_000)]


def _library(request: Request) -> Library:
    return request.app.state.library  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return _library(request).settings


def _readers(request: Request) -> Readers:
    return _library(request).readers


def _check_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    settings = _settings(request)
    if settings.serve.api_token is None:
        raise HTTPException(
            403, "this server has no API token configured (serve.api_token), so this is disabled"
        )
    # wrong tokens are counted per address: past the limit, every attempt (even the right
    # token) waits, so guessing costs time
    failures = request.app.state.token_failure_limiter
    address = client_address(request)
    wait = failures.wait(address)
    if wait:
        raise HTTPException(
            429,
            "too many wrong API tokens from this address; try again in "
            f"{int(wait) + 1} s (token_failures_per_minute is "
            f"{settings.serve.token_failures_per_minute})",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    header = f"Bearer {credentials.credentials}" if credentials else None
    if not token_ok(settings, header):
        failures.hit(address)
        raise HTTPException(
            401,
            "a valid API token is needed: Authorization: Bearer <api_token>",
            headers={"WWW-Authenticate": "Bearer"},
        )


# sync: the rate limits are counted in the database, so these run in the thread pool
def require_token(request: Request, credentials: Credentials) -> None:
    """Operator data: the API token."""
    _check_token(request, credentials)


def require_write(request: Request, credentials: Credentials) -> None:
    """Writes: the API token, within the write rate limit."""
    _check_token(request, credentials)
    wait = request.app.state.write_limiter.hit(client_address(request))
    if wait:
        raise HTTPException(
            429, "too many write requests; slow down", headers={"Retry-After": str(int(wait) + 1)}
        )


async def require_read(request: Request, credentials: Credentials) -> None:
    if not _settings(request).serve.public_read:
        await run_in_threadpool(_check_token, request, credentials)


router = APIRouter(tags=["api"], dependencies=[Depends(require_read)])

# -- response models ---------------------------------------------------------------------------


class StoryOut(BaseModel):
    id: int
    title: str
    outlets: list[str] = Field(description="the outlets whose articles the story holds")
    single_source: bool = Field(
        description="one outlet alone reports the story so far (an article whose outlet is "
        "unknown counts as one)"
    )
    articles: int
    first_seen: datetime | None
    last_seen: datetime | None
    explainer_versions: int
    first_line: str | None = Field(description="the first sentence of What's Happening")
    url: str


class VersionOut(BaseModel):
    id: int
    story_id: int
    version: int
    engine: str
    headline: str | None
    created_at: datetime
    url: str


class OutletOut(BaseModel):
    outlet: str
    articles: int


class CoverageEventOut(BaseModel):
    kind: Literal["article", "explainer"]
    at: datetime | None = Field(description="when it was stored here")
    article_id: int | None = None
    title: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    version: int | None = Field(
        default=None,
        description="an explainer: its version; an article: the first version written from it",
    )
    added: list[int] = Field(
        default_factory=list, description="an explainer: the articles its previous version lacked"
    )


class CoverageOut(BaseModel):
    """Coverage at a glance: who reports the story, how much, when, and how it grew."""

    articles: int
    outlets: list[OutletOut]
    first_report: datetime | None
    latest_report: datetime | None
    explainer_versions: int
    timeline: list[CoverageEventOut]


class SuccessorOut(BaseModel):
    id: int
    title: str | None
    url: str


class StoryDetail(StoryOut):
    article_ids: list[int]
    versions: list[VersionOut]
    topic: str | None = None
    coverage: CoverageOut
    moved: Literal["split", "merge"] | None = Field(
        default=None,
        description="the story split (it held more than one event) or merged (it was the same "
        "event as another story): its articles are in ``successors`` now",
    )
    successors: list[SuccessorOut] = Field(
        default_factory=list, description="the stories holding a moved story's articles now"
    )
    update_pending: bool = Field(
        default=False,
        description="reports joined the story after its latest explainer version, and the "
        "next version is coming (explain.auto_explain): at ``update_due_at``",
    )
    update_due_at: datetime | None = Field(
        default=None,
        description="when the next version is due: once the new reports have settled "
        "(explain.settle_seconds), at the latest explain.max_wait_seconds after the first",
    )
    new_reports: int = Field(
        default=0, description="articles stored since the latest explainer version"
    )


class ArticleOut(BaseModel):
    id: int
    title: str | None
    site_name: str | None
    published_at: datetime | None
    url: str | None
    words: int
    story_id: int | None


class MatchOut(BaseModel):
    """Where the searched words are, for a client to mark them (plain text and offsets, never
    markup)."""

    title: list[tuple[int, int]] = Field(
        description="[start, end) of each matched word in the title"
    )
    snippet: str | None = Field(
        description="the first sentence of the explainer (or article) holding a searched word, "
        "cut to about 240 characters; a story's first line when none does"
    )
    snippet_marks: list[tuple[int, int]] = Field(
        description="[start, end) of each matched word in the snippet"
    )


class StoryMatchOut(StoryOut):
    topic: str | None = None
    match: MatchOut


class ArticleMatchOut(ArticleOut):
    match: MatchOut


class SearchOut(BaseModel):
    query: str
    topic: str | None = Field(default=None, description="the topic (slug) searched within")
    outlet: str | None = Field(default=None, description="the outlet searched within")
    since: date | None = Field(default=None, description="the first day searched (UTC)")
    until: date | None = Field(default=None, description="the last day searched (UTC)")
    stories: list[StoryMatchOut]
    articles: list[ArticleMatchOut]


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: str | None = Field(
        default=None,
        max_length=64,
        description="a registered engine; default: settings.explain.engine",
    )
    regenerate: bool = False

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, name: str | None) -> str | None:
        from ..explain import available_engines

        engines = available_engines()
        if name is not None and name not in engines:
            raise ValueError(
                f"no explainer engine named {name!r}; the engines are: {', '.join(engines)}"
            )
        return name


class ExplainOut(BaseModel):
    story_id: int | None
    version: int | None
    explainer_id: int | None
    reused: bool
    explainer: dict[str, Any]


# -- helpers -------------------------------------------------------------------------------


def _story_out(request: Request, item: StoryItem, first_seen: datetime | None) -> StoryOut:
    return StoryOut(
        id=item.id,
        title=item.title,
        outlets=item.outlets,
        single_source=item.single_source,
        articles=item.size,
        first_seen=first_seen,
        last_seen=item.last_seen,
        explainer_versions=item.versions,
        first_line=item.first_line,
        url=str(request.url_for("story", story_id=item.id)),
    )


def _stories_out(request: Request, stories: list[Any]) -> list[StoryOut]:
    items = _readers(request).story_items(stories)
    return [_story_out(request, i, s.first_seen) for i, s in zip(items, stories, strict=True)]


def _version_out(request: Request, e: StoredExplainer) -> VersionOut:
    return VersionOut(
        id=e.id,
        story_id=e.story_id,
        version=e.version,
        engine=e.engine,
        headline=e.document.get("headline"),
        created_at=e.created_at,
        url=f"{request.url_for('story', story_id=e.story_id)}?version={e.version}",
    )


def article_out(a: Any) -> ArticleOut:
    """An article summary as the API gives it (listed, or found by a search): the fields
    :class:`ArticleOut` declares, read from the summary's attributes of the same names."""
    return ArticleOut.model_validate(a, from_attributes=True)


def _render_explainer(readers: Readers, stored: StoredExplainer, fmt: ExplainerFormat) -> Response:
    explainer = Explainer.model_validate(stored.document)
    if fmt == "json":
        return Response(render(explainer, "json"), media_type="application/json")
    if fmt == "markdown":
        return PlainTextResponse(render(explainer, "markdown"), media_type="text/markdown")
    if fmt == "html":
        ids = [s.id for s in explainer.sources]
        articles = list(readers.stored_articles(ids).values())
        return PlainTextResponse(
            render(explainer, "html", articles=articles), media_type="text/html"
        )
    return PlainTextResponse(render(explainer, "text", citations=True))


_FORMAT_DOC = {
    "description": "the explainer: JSON (explainer.schema.json), Markdown, an escaped HTML "
    "fragment, or plain text with [source:sentence] citations",
    "content": {
        "application/json": {},
        "text/markdown": {"schema": {"type": "string"}},
        "text/html": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}

# -- stories and explainers -----------------------------------------------------------------


@router.get("/stories", response_model=list[StoryOut], summary="Latest stories")
def list_stories(
    request: Request,
    limit: ListLimit = 50,
    offset: ListOffset = 0,
) -> list[StoryOut]:
    return _stories_out(request, _library(request).stories(limit=limit, offset=offset))


@router.get("/stories/{story_id}", response_model=StoryDetail, summary="One story")
def get_story(request: Request, story_id: StoryId) -> StoryDetail:
    readers = _readers(request)
    story = readers.story(story_id)
    (out,) = _stories_out(request, [story])
    coverage = _library(request).coverage(story_id)
    moved = readers.moved(story_id)
    update = _library(request).pending_update(story_id)
    return StoryDetail(
        **out.model_dump(),
        update_pending=update is not None,
        update_due_at=update.due_at if update else None,
        new_reports=update.new_reports if update else 0,
        moved=moved.kind if moved else None,  # type: ignore[arg-type]
        successors=[
            SuccessorOut(id=s.id, title=s.title, url=str(request.url_for("story", story_id=s.id)))
            for s in (moved.successors if moved else [])
        ],
        article_ids=readers.article_ids(story_id),
        versions=[_version_out(request, v) for v in readers.versions(story_id)],
        topic=story.topic,
        coverage=CoverageOut.model_validate(coverage, from_attributes=True),
    )


@router.get(
    "/stories/{story_id}/explainers",
    response_model=list[VersionOut],
    summary="Every version of a story's explainer, newest first",
)
def story_versions(request: Request, story_id: StoryId) -> list[VersionOut]:
    readers = _readers(request)
    readers.story(story_id)  # 404 for an unknown story
    return [_version_out(request, v) for v in readers.versions(story_id)]


@router.get(
    "/stories/{story_id}/explainer",
    summary="A story's explainer (the latest version unless `version`)",
    responses={200: _FORMAT_DOC},
    response_class=Response,
)
async def story_explainer(
    request: Request,
    story_id: StoryId,
    version: VersionNumber = None,
    format: ExplainerFormat = "json",
) -> Response:
    def render() -> Response:
        readers = _readers(request)
        versions = readers.versions(story_id)
        chosen = next((v for v in versions if version is None or v.version == version), None)
        if chosen is None:
            readers.story(story_id)
            what = f"version {version}" if version else "an explainer yet"
            raise HTTPException(404, f"story {story_id} has no {what}")
        return _render_explainer(readers, chosen, format)

    key = ("story-explainer", story_id, version, format)
    return await cached(request, key, render, shared=_settings(request).serve.public_read)


@router.get(
    "/explainers/{explainer_id}",
    summary="One explainer version by id",
    responses={200: _FORMAT_DOC},
    response_class=Response,
)
async def get_explainer(
    request: Request, explainer_id: ExplainerId, format: ExplainerFormat = "json"
) -> Response:
    def render() -> Response:
        readers = _readers(request)
        return _render_explainer(readers, readers.explainer(explainer_id), format)

    key = ("explainer", explainer_id, format)
    return await cached(request, key, render, shared=_settings(request).serve.public_read)


@router.post(
    "/stories/{story_id}/explain",
    response_model=ExplainOut,
    summary="Write (or reuse) the explainer of a story",
    dependencies=[Depends(require_write)],
)
def explain_story(request: Request, story_id: StoryId, body: ExplainIn | None = None) -> ExplainOut:
    body = body or ExplainIn()
    result = _library(request).explain(
        story_id=story_id, engine=body.engine, regenerate=body.regenerate
    )
    return ExplainOut(
        story_id=result.story_id,
        version=result.version,
        explainer_id=result.explainer_id,
        reused=result.reused,
        explainer=result.explainer.model_dump(mode="json"),
    )


@router.get(
    "/search",
    response_model=SearchOut,
    summary="Full-text search of stories and articles, by topic, outlet and days",
)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=200, description="words that must all match")] = "",
    topic: Annotated[
        str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", description="a topic's slug")
    ] = None,
    outlet: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    since: Annotated[date | None, Query(description="first day (UTC), YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day (UTC), included")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    """Stories and articles matching every word of ``q``, best first, narrowed to a topic, an
    outlet and a span of days when given; with filters and no words, the newest they keep.
    Each result says where the searched words are (offsets, for the client to mark)."""
    if not q.strip() and topic is None and outlet is None and since is None and until is None:
        raise HTTPException(422, "give q (words to search for), or a topic, outlet or day")
    if since is not None and until is not None and until < since:
        raise HTTPException(422, f"until ({until}) is before since ({since})")
    found = _readers(request).search_page(
        q,
        limit=limit,
        topic_slug=topic,
        outlet=outlet,
        since=datetime.combine(since, time(), tzinfo=UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until else None,
    )
    return SearchOut(
        query=q,
        topic=topic,
        outlet=outlet,
        since=since,
        until=until,
        stories=[
            StoryMatchOut(
                **_story_out(request, f.item, f.item.first_seen).model_dump(),
                topic=f.item.topic,
                match=_match_out(f),
            )
            for f in found.stories
        ],
        articles=[
            ArticleMatchOut(**article_out(f.item).model_dump(), match=_match_out(f))
            for f in found.articles
        ],
    )


def _match_out(found: Found) -> MatchOut:
    snippet = "".join(text for text, _ in found.snippet)
    return MatchOut(
        title=spans(found.title),
        snippet=snippet or None,
        snippet_marks=spans(found.snippet),
    )
