"""The operator's sessions, kept on the server: a session cookie is honoured only while its row
is here, so signing out (which deletes the row) ends it at once, in every server process; it
stayed valid until it expired (up to 12 hours) before. A bookkeeping table: no reader sees it.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("expires", sa.Float(), nullable=False),
    )
    op.create_index("ix_operator_sessions_expires", "operator_sessions", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_operator_sessions_expires", table_name="operator_sessions")
    op.drop_table("operator_sessions")
