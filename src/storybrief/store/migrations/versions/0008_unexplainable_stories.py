"""Stories whose articles hold nothing an explainer may publish (no sentence that is supported
and stands on its own) are remembered as such: ``stories.unexplainable_at`` is the story's
``updated_at`` when an engine said so. The same articles always give the same answer, so the
story is not due again until it changes (an article joins or leaves, which moves
``updated_at`` past it); before, a watcher asked again every minute and a worker retried with
backoff, logging a traceback each time.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite, which would drop 0007's triggers)
    op.add_column("stories", sa.Column("unexplainable_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("stories", "unexplainable_at")
