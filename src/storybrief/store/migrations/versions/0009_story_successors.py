"""Stories that heal: a story found to hold two events splits, two stories found to be one
merge. The story that gave way is kept, retired (``stories.retired_at``), with no articles,
its explainer versions as they were, and links to the stories that took its articles
(``story_successors``: the story, its successor, and whether it split or merged), so that its
URL stays valid and points to them.

The new table is one readers see: its writes move the content version, with the same triggers
as migration 0007 gave the other content tables.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "story_successors"
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"
FUNCTION = "storybrief_content_changed"  # made by migration 0007


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite, which would drop 0007's triggers)
    op.add_column("stories", sa.Column("retired_at", sa.DateTime(timezone=True)))
    op.create_table(
        TABLE,
        sa.Column(
            "story_id",
            sa.Integer(),
            sa.ForeignKey("stories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "successor_id",
            sa.Integer(),
            sa.ForeignKey("stories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),  # split | merge
        sa.Column("articles", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_story_successors_successor", TABLE, ["successor_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {TABLE}_content_changed "
            f"AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        return
    for event in ("insert", "update", "delete"):
        op.execute(
            f"CREATE TRIGGER {TABLE}_content_{event}d AFTER {event.upper()} ON {TABLE} "
            f"BEGIN {BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_content_changed ON {TABLE}")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {TABLE}_content_{event}d")
    op.drop_index("ix_story_successors_successor", TABLE)
    op.drop_table(TABLE)
    op.drop_column("stories", "retired_at")
