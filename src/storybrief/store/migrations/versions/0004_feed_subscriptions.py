"""Feeds as subscriptions: per-feed polling settings (enabled, poll interval, whether to fetch
item pages) and poll state (next poll, last success and error, failures in a row, items seen),
with an index for finding the feeds that are due.

Plain ``ADD COLUMN``s with constant defaults (and ``DROP COLUMN``s down), so SQLite never
copies the table.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS: list[sa.Column[Any]] = [
    sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column("poll_every_seconds", sa.Integer(), nullable=True),
    sa.Column("fetch_pages", sa.Boolean(), nullable=True),
    sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
    sa.Column("items_seen", sa.Integer(), server_default=sa.text("0"), nullable=False),
]


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("sources", column)
    op.create_index("ix_sources_due", "sources", ["kind", "enabled", "next_poll_at"])


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+): copying the table, as batch mode does, would drop
    # the original, and with foreign keys on that sets every article's source_id to NULL
    op.drop_index("ix_sources_due", table_name="sources")
    for column in reversed(COLUMNS):
        op.drop_column("sources", column.name)
