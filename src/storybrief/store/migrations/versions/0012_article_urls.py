"""The URLs an article was read from that its own row does not hold: a syndicated copy's page
(the same text as a stored article, from another outlet, is stored once, as the first), a feed
link that redirected. The row kept only the first URL, so a copy's link was never found among
the stored articles and its page was fetched again whenever its feed changed. A bookkeeping
table: no reader sees it.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_urls",
        sa.Column("url", sa.String(length=2048), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_article_urls_article", "article_urls", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_urls_article", table_name="article_urls")
    op.drop_table("article_urls")
