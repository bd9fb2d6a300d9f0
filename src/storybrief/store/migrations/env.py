"""Alembic environment: storybrief runs migrations in-process on the connection it is given
(see :func:`storybrief.store.migrate`), so there is no alembic.ini to keep in sync."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storybrief.store.database import include_name
from storybrief.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` command line: use the URL given with -x url=...
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///storybrief.db")
        with create_engine(url).connect() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
