"""The web app on a real uvicorn server on 127.0.0.1 and an ephemeral port, the serve tests'
settings (with the API token :data:`TOKEN`), and a populated store to serve: the bundled
example article and the ingest fixtures, explained through the library, plus one article full
of markup that must come out escaped. The fixtures over them are in tests/serve_fixtures.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from tests.conftest import clean_environment

from storybrief.api import explain
from storybrief.settings import Settings
from storybrief.store import Store

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

DATA = Path(__file__).parent / "data" / "ingest"
EXAMPLE = Path(str(resources.files("storybrief").joinpath("examples", "article.txt")))

HOSTILE_TITLE = 'Harbor <script>alert("title")</script> Festival Opens'
HOSTILE_TEXT = "\n".join(
    [
        HOSTILE_TITLE,
        "The harbor festival opened on Saturday with <b>boats</b> & music "
        "<img src=x onerror=alert(1)> along the pier.",
        "Organisers said 40,000 visitors came to the "
        '"</script><script>alert(2)</script>" parade on the first day.',
        "The festival runs until Sunday, when a fireworks show is planned over the water, "
        "the city said.",
        "Local shops reported record sales, and the ferry service added extra boats for the "
        "weekend crowds.",
        "",
    ]
)


@dataclass
class Library:
    settings: Settings
    store: Store
    example_story: int
    pair_story: int
    hostile_story: int
    hostile_file: Path


def populate(settings: Settings, store: Store, scratch: Path) -> Library:
    example = explain(EXAMPLE, settings=settings, store=store)
    pair = explain(
        [DATA / "article-1.html", DATA / "article-2.html"], settings=settings, store=store
    )
    hostile_file = scratch / "hostile.txt"
    hostile_file.write_text(HOSTILE_TEXT, encoding="utf-8")
    hostile = explain(hostile_file, settings=settings, store=store)
    assert example.story_id and pair.story_id and hostile.story_id
    return Library(settings, store, example.story_id, pair.story_id, hostile.story_id, hostile_file)


def make_settings(tmp: Path, monkeypatch: pytest.MonkeyPatch, **extra: object) -> Settings:
    """Test settings; ``extra`` are serve settings (``api_token=None``, ``public_read=False``)."""
    clean_environment(monkeypatch, tmp)
    return Settings(
        data_dir=tmp,
        fetch={"allowed_hosts": ["127.0.0.1"], "timeout": 3, "connect_timeout": 2},
        serve={"api_token": TOKEN, **extra},
    )


@contextmanager
def populated_library(tmp: Path) -> Iterator[Library]:
    """A store in ``tmp`` with :func:`make_settings`' settings, filled by :func:`populate`."""
    with pytest.MonkeyPatch.context() as mp:
        settings = make_settings(tmp, mp)
        with Store.open(settings) as store:
            yield populate(settings, store, tmp)


def forget_rate_limits(store: Store) -> None:
    """Forget every event the rate limits counted: they are kept in the database, so an app
    built over a store other tests used starts with their counts (as a restarted server does)."""
    from sqlalchemy import delete

    from storybrief.store.models import RateLimitEvent

    with store.session() as s:
        s.execute(delete(RateLimitEvent))


class AppServer:
    """uvicorn serving ``app`` in a thread; ``url`` is where it listens."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import uvicorn

        self.config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        sockets = [s for server in self.server.servers for s in server.sockets]
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@contextmanager
def serving(settings: Settings, store: Store) -> Iterator[AppServer]:
    from storybrief.serve import create_app

    with AppServer(create_app(settings, store)) as server:
        yield server
