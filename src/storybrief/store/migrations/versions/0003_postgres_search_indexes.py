"""PostgreSQL full-text search indexes: GIN indexes on the same tsvector expressions that
``storybrief.store.search`` queries (``SEARCH_VECTORS``), so a search reads the index instead of
computing every row's tsvector. SQLite has its FTS5 tables (0002) and needs nothing here.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from storybrief.store.search import SEARCH_VECTORS

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, expression) in SEARCH_VECTORS.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in SEARCH_VECTORS:
        op.execute(f"DROP INDEX IF EXISTS {name}")
