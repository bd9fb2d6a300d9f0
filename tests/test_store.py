"""Storage runs the same tests against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from tests.dbs import database_url

from storybrief.errors import NotFoundError, StorageError
from storybrief.records import Article
from storybrief.store import Store
from storybrief.store.database import include_name
from storybrief.store.models import ArticleRow, Base, SentenceRow

BODY = (
    "The city council approved the new budget on Monday. "
    "It includes money for 12 new schools.\nWhat Happens Next\n"
    "Construction will begin in March, the mayor said."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Store.open(url) as opened:
        yield opened


def test_migrations_create_exactly_the_models(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []
    assert "articles" in inspect(store.engine).get_table_names()


def test_reopening_does_not_migrate_twice(store):
    url = store.engine.url
    with Store.open(url.render_as_string(hide_password=False)) as again:
        assert again.count_articles() == 0


def test_sqlite_uses_wal(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'w.db'}") as s, s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_article_round_trip_keeps_sentences_and_spans(store):
    published = datetime(2025, 9, 2, 6, 30, tzinfo=UTC)
    stored = store.upsert_article(
        Article(
            text=BODY,
            title="Budget passes",
            authors=["A. Writer", "B. Writer"],
            published_at=published,
            site_name="City News",
            canonical_url="https://news.example/budget",
            language="en",
        )
    )
    assert stored.status == "new"
    got = store.get_article(stored.article.id)
    assert got.title == "Budget passes" and got.authors == ["A. Writer", "B. Writer"]
    assert got.published_at == published
    assert [s.text for s in got.sentences] == [
        "The city council approved the new budget on Monday.",
        "It includes money for 12 new schools.",
        "What Happens Next",
        "Construction will begin in March, the mayor said.",
    ]
    assert got.sentences[2].is_heading
    for s in got.sentences:
        assert got.text[s.start : s.end] == s.text


def test_same_body_or_canonical_url_is_stored_once(store):
    first = store.upsert_article(Article(text=BODY, canonical_url="https://a.example/1"))
    # same body, different URL and typography/whitespace: a copy
    copy = Article(text=BODY.replace("  ", " ").upper(), canonical_url="https://b.example/2")
    assert store.upsert_article(copy).status == "duplicate"
    # same canonical URL, same body
    again = store.upsert_article(Article(text=BODY, canonical_url="https://a.example/1"))
    assert again.status == "duplicate" and again.article.id == first.article.id
    assert store.count_articles() == 1


def test_same_canonical_url_with_new_body_is_an_update(store):
    first = store.upsert_article(Article(text=BODY, canonical_url="https://a.example/1"))
    revised = BODY + " The vote was 7 to 2."
    result = store.upsert_article(Article(text=revised, canonical_url="https://a.example/1"))
    assert result.status == "updated" and result.article.id == first.article.id
    got = store.get_article(first.article.id)
    assert got.text == revised and got.sentences[-1].text == "The vote was 7 to 2."
    assert store.count_articles() == 1


def test_duplicate_fills_missing_metadata(store):
    first = store.upsert_article(Article(text=BODY))
    store.upsert_article(Article(text=BODY, title="Budget passes", site_name="City News"))
    got = store.get_article(first.article.id)
    assert (got.title, got.site_name) == ("Budget passes", "City News")


def test_failed_write_leaves_nothing_behind(store):
    bad = Article(text=BODY, title="half")
    # an invalid sentence row (NULL text) fails inside the same transaction as the article
    bad.sentences = [*bad.sentences[:1], bad.sentences[1].__class__(1, None, 0, 1)]  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        store.upsert_article(bad)
    with store.session() as s:
        assert s.query(ArticleRow).count() == 0
        assert s.query(SentenceRow).count() == 0


def test_missing_article_is_a_clear_error(store):
    with pytest.raises(NotFoundError, match="no article with id 42"):
        store.get_article(42)


def test_sources_keep_validators_and_failures_are_listed(store):
    src = store.source("https://feeds.example/rss", "url")
    store.update_source(src.id, etag='"v1"', last_modified="Tue, 02 Sep 2025 06:00:00 GMT")
    again = store.source("https://feeds.example/rss", "url")
    assert (again.id, again.etag) == (src.id, '"v1"')
    store.record_failure("https://x.example/404", "HTTP 404 Not Found")
    assert store.failures()[0][:2] == ("https://x.example/404", "HTTP 404 Not Found")


def test_list_articles_newest_first(store):
    ids = [store.upsert_article(Article(text=f"{BODY} Item {i}.")).article.id for i in range(3)]
    listed = store.list_articles(limit=2)
    assert [a.id for a in listed] == ids[::-1][:2]
    assert listed[0].words > 10
    assert store.find_article_by_url("https://nowhere.example/") is None


def test_story_explainer_versions_and_feedback(store):
    from storybrief.store import StoredSentence

    a = store.upsert_article(Article(text=BODY, site_name="City News")).article
    b = store.upsert_article(Article(text=BODY + " Extra.", url="https://other.example/x")).article
    story = store.create_story("Budget", [a.id])
    store.add_to_story(story, [b.id])
    summary = store.get_story(story)
    assert summary.size == 2 and summary.outlets == ["City News", "other.example"]
    assert store.story_article_ids(story) == [a.id, b.id]
    sentence = StoredSentence(
        0,
        0,
        "The city council approved the new budget on Monday.",
        "supported",
        ["ok"],
        [(a.id, 0, 0, 51)],
    )
    v1 = store.save_explainer(
        story,
        engine="builtin",
        engine_options={},
        headline="Budget",
        sources_key="k1",
        document={"headline": "Budget"},
        sentences=[sentence],
    )
    v2 = store.save_explainer(
        story,
        engine="builtin",
        engine_options={},
        headline="Budget",
        sources_key="k2",
        document={"headline": "Budget"},
        sentences=[sentence],
    )
    assert (v1.version, v2.version) == (1, 2)
    assert [e.version for e in store.explainer_versions(story)] == [2, 1]
    assert store.explainer_sentences(v2.id)[0].citations == [(a.id, 0, 0, 51)]
    store.record_feedback(v2.id, "reader-1", False, "too long")
    store.record_feedback(v2.id, "reader-1", True)  # changing the answer keeps one row
    store.record_feedback(v2.id, "reader-2", False)
    assert store.feedback_counts(v2.id) == {"yes": 1, "no": 1}
    store.delete_stories()
    assert store.list_stories() == [] and store.get_article(a.id).story_id is None


def test_failed_explainer_write_keeps_no_version(store):
    from storybrief.store import StoredSentence

    a = store.upsert_article(Article(text=BODY)).article
    story = store.create_story("Budget", [a.id])
    broken = StoredSentence(0, 0, None, None, [], [(a.id, 0, 0, 5)])  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        store.save_explainer(
            story,
            engine="builtin",
            engine_options={},
            headline=None,
            sources_key="k",
            document={},
            sentences=[broken],
        )
    assert store.explainer_versions(story) == []
