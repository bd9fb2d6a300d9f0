"""Real databases for storage tests: a temporary SQLite file, and a fresh schema on the
PostgreSQL server named by STORYBRIEF_TEST_POSTGRES_URL (skipped, with the reason, without it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pytest

PG_ENV = "STORYBRIEF_TEST_POSTGRES_URL"
EXAMPLE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'storybrief-test.db'}"
        return
    with fresh_postgres("schema") as url:
        yield url


@contextmanager
def fresh_postgres(
    kind: Literal["schema", "database"], who: str = "PostgreSQL tests", extra: str = "postgres"
) -> Iterator[str]:
    """The URL of a new, empty schema (``kind="schema"``: the tables of one test) or database
    (``"database"``: for tools that keep tables of their own, such as Procrastinate's) on the
    server :data:`PG_ENV` names, dropped afterwards. Skipped, saying why, when there is no
    server, no driver or no answer."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{who} need PostgreSQL: set {PG_ENV} (e.g. {EXAMPLE_URL})")
    try:
        import psycopg
    except ImportError:
        pytest.skip(f"{who} need psycopg: pip install 'storybrief[{extra}]'")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    create, drop = (
        (f'CREATE SCHEMA "{name}"', f'DROP SCHEMA "{name}" CASCADE')
        if kind == "schema"
        else (f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )
    try:
        with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
            conn.execute(create)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_ENV} is unreachable: {str(exc).strip().splitlines()[0]}")
    if kind == "schema":
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{name}"
    else:
        url = f"{base.split('?')[0].rpartition('/')[0]}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(drop)
