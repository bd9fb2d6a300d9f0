"""The JSON API's articles: the stored articles (``GET /api/v1/articles``, one with its numbered
sentences) and what clients submit to ingest (``POST /api/v1/articles``: pages, feeds or OPML
by URL, articles as text or HTML; a write), through the library's one polite fetcher. Included
in the app beside :mod:`.api`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ..library import Library
from .api import (
    ArticleId,
    ArticleOut,
    ListLimit,
    ListOffset,
    article_out,
    require_read,
    require_write,
)

router = APIRouter(tags=["api"], dependencies=[Depends(require_read)])


def _library(request: Request) -> Library:
    return request.app.state.library  # type: ignore[no-any-return]


class SentenceOut(BaseModel):
    index: int
    text: str
    start: int
    end: int
    is_heading: bool


class ArticleDetail(BaseModel):
    id: int
    title: str | None
    authors: list[str]
    published_at: datetime | None
    site_name: str | None
    url: str | None
    canonical_url: str | None
    language: str | None
    story_id: int | None
    fetched_at: datetime | None
    text: str
    sentences: list[SentenceOut]


class SubmittedArticle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=500_000, description="plain text")
    html: str | None = Field(default=None, max_length=900_000, description="an HTML page")
    title: str | None = Field(default=None, max_length=500)
    url: HttpUrl | None = None
    site_name: str | None = Field(default=None, max_length=200)
    published_at: datetime | None = None


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: list[HttpUrl] = Field(
        default_factory=list, max_length=50, description="pages, feeds (RSS/Atom/JSON) or OPML"
    )
    articles: list[SubmittedArticle] = Field(default_factory=list, max_length=20)


class ItemOut(BaseModel):
    location: str
    status: str
    article_id: int | None
    title: str | None
    reason: str | None


class SubmitOut(BaseModel):
    ok: bool
    counts: dict[str, int]
    items: list[ItemOut]
    left_out: list[str] = Field(
        default_factory=list,
        description="what a cap left out: items past fetch.max_feed_items of a feed, feeds "
        "past fetch.max_list_feeds of an OPML list (how many, the first few named)",
    )


@router.get("/articles", response_model=list[ArticleOut], summary="Stored articles, newest first")
def list_articles(
    request: Request,
    limit: ListLimit = 50,
    offset: ListOffset = 0,
) -> list[ArticleOut]:
    return [article_out(a) for a in _library(request).articles(limit=limit, offset=offset)]


@router.get("/articles/{article_id}", response_model=ArticleDetail, summary="One article")
def get_article(request: Request, article_id: ArticleId) -> ArticleDetail:
    article = _library(request).article(article_id)
    return ArticleDetail.model_validate(article, from_attributes=True)


@router.post(
    "/articles",
    response_model=SubmitOut,
    summary="Submit articles (text or HTML) and page or feed URLs to ingest",
    dependencies=[Depends(require_write)],
)
def submit(request: Request, body: SubmitIn) -> SubmitOut:
    if not body.urls and not body.articles:
        raise HTTPException(422, "nothing to ingest: give urls or articles")
    report = _library(request).submit(
        [str(u) for u in body.urls], [a.model_dump() for a in body.articles]
    )
    return SubmitOut(
        ok=report.ok,
        counts=report.counts,
        items=[
            ItemOut(
                location=i.location,
                status=i.status,
                article_id=i.article_id,
                title=i.title,
                reason=i.reason,
            )
            for i in report.items
        ],
        left_out=[left.message for left in report.left_out],
    )
