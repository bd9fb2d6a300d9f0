"""Real databases for storage tests: a temporary SQLite file, and a fresh schema on the
PostgreSQL server named by STORYBRIEF_TEST_POSTGRES_URL (skipped, with the reason, without it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ENV = "STORYBRIEF_TEST_POSTGRES_URL"


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'storybrief-test.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    try:
        import psycopg
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg: pip install 'storybrief[postgres]'")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"sb_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_ENV} is unreachable: {str(exc).strip().splitlines()[0]}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
