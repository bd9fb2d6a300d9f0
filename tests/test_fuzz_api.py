"""The JSON API against schemathesis: requests generated from the app's own OpenAPI document
(valid and invalid ones), sent in process through its ASGI transport, must never get a 5xx.
Bounded so the suite stays fast; bench/fuzz.py runs many more."""

from __future__ import annotations

import pytest

pytest.importorskip("schemathesis")

from tests.appserver import EXAMPLE  # noqa: E402
from tests.conftest import clean_environment  # noqa: E402
from tests.fuzzing import fuzz_api  # noqa: E402

from storybrief.api import explain  # noqa: E402
from storybrief.serve import create_app  # noqa: E402
from storybrief.settings import Settings  # noqa: E402
from storybrief.store import Store  # noqa: E402

TOKEN = "fuzz-token-0123456789"


def test_no_generated_request_gets_a_server_error(tmp_path, monkeypatch):
    clean_environment(monkeypatch, tmp_path)
    # generous limits: the fuzzer is one client sending hundreds of requests a minute; it
    # submits URLs of any host, and fuzz_api lets none of them connect (fuzzing.offline)
    settings = Settings(
        data_dir=tmp_path,
        serve={
            "api_token": TOKEN,
            "write_rate_per_minute": 100_000,
            "feedback_rate_per_minute": 100_000,
        },
        fetch={"feed_pages": False, "timeout": 1, "connect_timeout": 1},
    )
    with Store.open(settings) as store:
        explain(EXAMPLE, settings=settings, store=store)
        tally = fuzz_api(create_app(settings, store), TOKEN, examples=2)
    assert tally.tried > 25
    assert tally.failures == []
