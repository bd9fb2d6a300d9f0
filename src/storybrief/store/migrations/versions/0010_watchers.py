"""The watchers following the feeds on this database (``storybrief watch``, ``serve
--watch``): one row per name and host, kept current by the watcher itself (its state, a
heartbeat, the rounds that failed in a row, how often it was restarted, and the last error),
so that ``storybrief status``, the operator page and ``/health`` can say whether anything is
following the feeds, from any process. A bookkeeping table: no reader sees it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("restarts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("name", "host"),
    )


def downgrade() -> None:
    op.drop_table("watchers")
