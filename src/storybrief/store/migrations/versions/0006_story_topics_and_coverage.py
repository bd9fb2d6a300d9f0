"""Topics and coverage counts: each article's topic label (feed category or URL section),
and on each story the topic most of its articles carry (with its slug, indexed, for topic
pages) and how many articles and outlets it has (what the front page orders by).

Plain ``ADD COLUMN``s (and ``DROP COLUMN``s down), then the stored rows are filled in: the
topic of an article from its URL's section path (the rule as of this migration, copied here),
the stories' counts and topics from their articles.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ARTICLE_COLUMNS: list[sa.Column[Any]] = [sa.Column("topic", sa.Text(), nullable=True)]
STORY_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("topic", sa.Text(), nullable=True),
    sa.Column("topic_slug", sa.String(80), nullable=True),
    sa.Column("article_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    sa.Column("outlet_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
]

_NOT_SECTIONS = frozenset(
    [
        "news",
        "article",
        "articles",
        "story",
        "stories",
        "post",
        "posts",
        "content",
        "contents",
        "item",
        "items",
        "p",
        "a",
        "id",
        "amp",
        "www",
        "index",
        "default",
        "home",
        "feed",
        "feeds",
        "rss",
        "atom",
        "blog",
        "blogs",
        "en",
        "us-en",
        "en-us",
        "en-gb",
        "uk-en",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pt",
        "ru",
        "ja",
        "zh",
        "html",
        "htm",
        "php",
        "asp",
        "aspx",
        "jsp",
        "cms",
        "live",
        "video",
        "videos",
        "audio",
        "gallery",
        "galleries",
        "photo",
        "photos",
        "pictures",
        "topic",
        "topics",
        "tag",
        "tags",
        "category",
        "categories",
        "section",
        "sections",
        "latest",
        "breaking",
        "top",
        "headlines",
        "read",
        "view",
        "page",
        "pages",
        "m",
        "mobile",
        "print",
        "world-news",
    ]
)
_UPPER = frozenset(
    [
        "us",
        "uk",
        "eu",
        "un",
        "uae",
        "nhs",
        "nfl",
        "nba",
        "mlb",
        "nhl",
        "fifa",
        "uefa",
        "ai",
        "it",
        "tv",
        "bbc",
        "cnn",
        "nasa",
    ]
)
_WORD = re.compile(r"^[^\W\d_]+(?:[-_ ][^\W\d_]+)*$")
_TRAILING_ID = re.compile(r"(?:[-_]\d+)+$")


def _slug(label: str) -> str:
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:80]


def _from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    segments = [unquote(s) for s in path.split("/") if s]
    for position, segment in enumerate(segments[:3]):
        name = _TRAILING_ID.sub("", segment.lower())
        if position == len(segments) - 1 and name == segment.lower():
            return None
        if name in _NOT_SECTIONS or not _WORD.match(name) or len(name) < 3:
            continue
        if len(name) > 30 or name.count("-") + name.count("_") > 2:
            return None
        words = name.replace("_", " ").replace("-", " ").split()
        return " ".join(w.upper() if w in _UPPER else w.capitalize() for w in words)[:40]
    return None


def _outlet(site_name: str | None, url: str | None) -> str | None:
    if site_name:
        return site_name
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def upgrade() -> None:
    for column in ARTICLE_COLUMNS:
        op.add_column("articles", column)
    for column in STORY_COLUMNS:
        op.add_column("stories", column)
    op.create_index("ix_stories_topic_slug", "stories", ["topic_slug"])

    conn = op.get_bind()
    members: dict[int, list[tuple[str | None, str | None]]] = {}
    rows = conn.execute(sa.text("SELECT id, site_name, url, canonical_url, story_id FROM articles"))
    for article_id, site_name, url, canonical_url, story_id in rows.all():
        topic = _from_url(canonical_url or url)
        if topic is not None:
            conn.execute(
                sa.text("UPDATE articles SET topic = :t WHERE id = :id"),
                {"t": topic, "id": article_id},
            )
        if story_id is not None:
            members.setdefault(story_id, []).append((_outlet(site_name, url), topic))
    for story_id, found in members.items():
        counts = Counter(_slug(t) for _, t in found if t)
        label = None
        if counts:
            best = max(counts.values())
            label = next(t for _, t in found if t and counts[_slug(t)] == best)
        conn.execute(
            sa.text(
                "UPDATE stories SET article_count = :n, outlet_count = :o, topic = :t, "
                "topic_slug = :s WHERE id = :id"
            ),
            {
                "n": len(found),
                "o": len({o for o, _ in found if o}),
                "t": label,
                "s": _slug(label) if label else None,
                "id": story_id,
            },
        )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+), as in 0004: no table copy
    op.drop_index("ix_stories_topic_slug", table_name="stories")
    for column in reversed(STORY_COLUMNS):
        op.drop_column("stories", column.name)
    for column in reversed(ARTICLE_COLUMNS):
        op.drop_column("articles", column.name)
