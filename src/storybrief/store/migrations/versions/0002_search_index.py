"""Full-text search: SQLite FTS5 indexes over articles, explainer sentences and story titles,
kept in step with their tables by triggers. PostgreSQL searches with its built-in full text
functions on the tables themselves, so it needs nothing here.

A later migration that recreates one of the indexed tables (SQLite batch mode copies and
renames it) must recreate its triggers and rebuild its index.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKENIZE = "porter unicode61 remove_diacritics 2"

# index name, content table, indexed columns
INDEXES = [
    ("article_search", "articles", ["title", "text"]),
    ("explainer_search", "explainer_sentences", ["text"]),
    ("story_search", "stories", ["title"]),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table, columns in INDEXES:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', "
            f"content_rowid='id', tokenize='{TOKENIZE}')"
        )
        op.execute(
            f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, _table, _columns in INDEXES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {name}")
