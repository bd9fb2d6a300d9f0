"""PostgreSQL full-text search indexes: GIN indexes on the same tsvector expressions that
``storybrief.store.search`` queries (``SEARCH_VECTORS`` in ``storybrief.store.models``), so a
search reads the index instead of computing every row's tsvector. SQLite has its FTS5 tables
(0002) and needs nothing here.

The expressions are copied here, not imported, so that editing the live ones never changes
what this migration did; a test checks that the queries still use these.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# index name -> (table, tsvector expression)
SEARCH_VECTORS: dict[str, tuple[str, str]] = {
    "ix_articles_search": (
        "articles",
        "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(text, ''))",
    ),
    "ix_stories_search": ("stories", "to_tsvector('english'::regconfig, coalesce(title, ''))"),
    "ix_explainer_sentences_search": (
        "explainer_sentences",
        "to_tsvector('english'::regconfig, coalesce(text, ''))",
    ),
}


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
