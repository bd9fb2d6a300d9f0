"""What the LLM engines were asked and answered: one row per request an engine sent its model
while writing an explainer version (the messages as sent, the answer as received, tokens,
seconds), kept with the version (deleted with it). Only the engine, model, prompt version and
token counts were kept before. Shown by `storybrief logs`; a bookkeeping table: no reader sees
it.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "explainer_id",
            sa.Integer(),
            sa.ForeignKey("explainers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("model", sa.Text()),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("finish_reason", sa.String(length=32)),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_engine_calls_explainer", "engine_calls", ["explainer_id"])


def downgrade() -> None:
    op.drop_index("ix_engine_calls_explainer", table_name="engine_calls")
    op.drop_table("engine_calls")
