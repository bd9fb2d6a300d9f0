"""The serve tests' fixtures, one copy: a module loads them with
``pytest_plugins = ["tests.serve_fixtures"]`` (never by importing them) and asks for ``library``
(the store :func:`tests.appserver.populate` fills), ``server`` (the web app serving it) and
``client`` (a new reader). ``library`` and ``server`` are made once per module; a module that
needs its store filled differently defines its own ``library``, which ``server`` then serves."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.appserver import AppServer, Library, populated_library

from storybrief.serve import create_app


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with populated_library(tmp_path_factory.mktemp("serve")) as populated:
        yield populated


@pytest.fixture(scope="module")
def server(library: Library) -> Iterator[AppServer]:
    with AppServer(create_app(library.settings, library.store)) as running:
        yield running


@pytest.fixture
def client(server: AppServer) -> Iterator[httpx.Client]:
    """A browser-like client with its own cookie jar (a new reader)."""
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c
