"""Ids and errors at the edge (issue 27): the same bad request gets the same answer on SQLite
and PostgreSQL. Ids from 2^31 to 2^63 - 1 answered 404 on SQLite and 503 "database
unavailable" on PostgreSQL, whose id columns are 32-bit; every id route and every store lookup
now knows the real range. Every error the API answers has one shape, and the OpenAPI document
lists the statuses each route can answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.appserver import AUTH, EXAMPLE, TOKEN, AppServer
from tests.conftest import clean_environment
from tests.dbs import database_url

from storybrief.api import explain
from storybrief.errors import NotFoundError
from storybrief.serve import create_app
from storybrief.settings import Settings
from storybrief.store import Store

ROUTES = [
    ("GET", "/api/v1/stories/{id}"),
    ("GET", "/api/v1/stories/{id}/explainers"),
    ("GET", "/api/v1/stories/{id}/explainer"),
    ("GET", "/api/v1/stories/{id}/explainer?version={id}"),
    ("GET", "/api/v1/explainers/{id}"),
    ("GET", "/api/v1/explainers/{id}/feedback"),
    ("POST", "/api/v1/explainers/{id}/feedback"),
    ("POST", "/api/v1/stories/{id}/explain"),
    ("GET", "/api/v1/articles/{id}"),
    ("GET", "/stories/{id}"),
    ("GET", "/articles/{id}"),
]
IDS = [2**31 - 1, 2**31, 2**40, 2**63 - 1, 2**63, 0, -1]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory) -> Iterator[tuple[str, str, Store]]:
    tmp = tmp_path_factory.mktemp(f"ids-{request.param}")
    with pytest.MonkeyPatch.context() as mp, database_url(request.param, tmp) as url:
        clean_environment(mp, tmp)
        serve = {"api_token": TOKEN, "write_rate_per_minute": 10_000}
        settings = Settings(data_dir=tmp, database_url=url, serve=serve)
        with Store.open(settings) as store:
            explain(EXAMPLE, settings=settings, store=store)
            with AppServer(create_app(settings, store)) as server:
                yield request.param, server.url, store


def _answers(url: str) -> dict[tuple[str, str, int], tuple[int, object]]:
    answers = {}
    with httpx.Client(base_url=url, headers={**AUTH, "Accept": "application/json"}) as client:
        for method, route in ROUTES:
            for bad in IDS:
                path = route.format(id=bad)
                body = {"reader_id": "r", "useful": True} if "feedback" in route else {}
                reply = client.request(method, path, json=body if method == "POST" else None)
                answer = reply.json()
                answers[(method, route, bad)] = (reply.status_code, answer)
    return answers


_SEEN: dict[str, dict] = {}


def test_out_of_range_ids_answer_404_or_422_never_503(served):
    backend, url, _ = served
    answers = _SEEN[backend] = _answers(url)
    for (method, route, bad), (status, answer) in answers.items():
        expected = 404 if bad == 2**31 - 1 else 422
        assert status == expected, (backend, method, route, bad, answer)
        assert isinstance(answer, dict) and isinstance(answer["detail"], str)
        if status == 422:
            assert answer["errors"][0]["loc"][0] in ("path", "query")


def test_sqlite_and_postgresql_answer_alike(served):
    if set(_SEEN) != {"sqlite", "postgresql"}:
        pytest.skip("needs both databases' answers")
    sqlite, postgresql = _SEEN["sqlite"], _SEEN["postgresql"]
    assert {k: v[0] for k, v in sqlite.items()} == {k: v[0] for k, v in postgresql.items()}


def test_store_lookups_by_an_impossible_id_are_not_found(served):
    _, _, store = served
    for bad in (2**31, 2**40, 2**63 - 1, 0, -5):
        for lookup in (
            store.articles.get,
            store.stories.get,
            store.stories.article_ids,
            store.explainers.get,
            store.feeds.get,
            store.explainers.sentences,
        ):
            with pytest.raises(NotFoundError):
                lookup(bad)
        assert store.explainers.versions(bad) == []
        assert store.explainers.latest_of([bad]) == {}
        assert store.stories.summaries(ids=[bad]) == []
        with pytest.raises(NotFoundError):
            store.articles.get_many([1, bad])


def test_every_error_has_one_shape(served):
    """A string ``detail`` for every error, validation problems listed in ``errors``."""
    _, url, _ = served
    with httpx.Client(base_url=url) as client:
        replies = [
            client.get("/api/v1/stories?limit=0"),  # validation
            client.get("/api/v1/stories/999999"),  # not found
            client.post("/api/v1/articles", json={"urls": []}),  # no token
            client.post("/api/v1/articles", json={}, headers=AUTH),  # nothing to ingest
            client.post("/api/v1/articles", content=b"{", headers=AUTH),  # not JSON
            client.post(  # JSON escapes, as a client sends them
                "/api/v1/articles",
                content=json.dumps({"bogus": 1, "\ud800": 2}),
                headers={**AUTH, "Content-Type": "application/json"},
            ),
        ]
    assert [r.status_code for r in replies] == [422, 404, 401, 422, 422, 422]
    for reply in replies:
        answer = reply.json()
        assert set(answer) <= {"detail", "errors"} and isinstance(answer["detail"], str)
    assert "unable to parse raw data as a unicode string" in replies[-1].json()["detail"]


def test_the_openapi_document_lists_what_each_route_answers(served):
    _, url, _ = served
    document = httpx.get(f"{url}/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "404", "422", "429", "503"} <= statuses, (method, path)
            schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert schema == error, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_cli_says_an_impossible_id_is_not_found(tmp_path: Path, monkeypatch):
    from typer.testing import CliRunner

    from storybrief.cli import app

    clean_environment(monkeypatch, tmp_path)
    with database_url("postgresql", tmp_path) as url:
        env = {"STORYBRIEF_DATABASE_URL": url, "STORYBRIEF_DATA_DIR": str(tmp_path)}
        for command in (["show", "3000000000"], ["story", "3000000000"]):
            shown = CliRunner().invoke(app, command, env=env)
            assert shown.exit_code != 0
            assert "no article with id 3000000000" in shown.output or "no story" in shown.output
            assert "database" not in shown.output
