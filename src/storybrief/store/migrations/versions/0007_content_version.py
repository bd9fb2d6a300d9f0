"""The content version: a counter that moves whenever a transaction changes what readers see
(stories, articles and their sentences, explainers, their sentences and citations, feedback),
and only then. The web app's caches check it on every request (store/version.py); until now
they checked a version that moved with *any* commit, so a watcher recording feed polls, or a
PostgreSQL job queue at work, made every page render anew.

Triggers move it, so that every write path does, whatever code runs it:

- SQLite: after each inserted, updated or deleted row of a content table (SQLite has one
  writer at a time, so the row's lock is no cost);
- PostgreSQL: deferred constraint triggers, which run at commit, once per transaction (a
  transaction-local setting remembers that it moved). Taking the row's lock at commit, not at
  the first write, keeps two transactions that write content from waiting on each other
  mid-way (which could deadlock).

The content tables are named here (this migration is self-contained); a test checks that
every table of the models is either one of them or one whose writes readers never see.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CONTENT_TABLES = [
    "stories",
    "articles",
    "article_sentences",
    "explainers",
    "explainer_sentences",
    "citations",
    "feedback",
]
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"
FUNCTION = "storybrief_content_changed"


def upgrade() -> None:
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('storybrief.content_changed', true) = 'yes' THEN
                    RETURN NULL;
                END IF;
                PERFORM set_config('storybrief.content_changed', 'yes', true);
                {BUMP};
                RETURN NULL;
            END $$
            """
        )
        for table in CONTENT_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_content_changed "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    for table in CONTENT_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_content_{event}d AFTER {event.upper()} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CONTENT_TABLES:
            op.execute(f"DROP TRIGGER {table}_content_changed ON {table}")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        for table in CONTENT_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_content_{event}d")
    op.drop_table("content_version")
