"""Storage runs the same tests against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from tests import workers
from tests.dbs import database_url

import storybrief.store
from storybrief.errors import NotFoundError, StorageError
from storybrief.records import Article
from storybrief.store import Store
from storybrief.store.database import alembic_config, include_name
from storybrief.store.models import SEARCH_VECTORS, ArticleRow, Base, SentenceRow

BODY = (
    "The city council approved the new budget on Monday. "
    "It includes money for 12 new schools.\nWhat Happens Next\n"
    "Construction will begin in March, the mayor said."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Store.open(url) as opened:
        yield opened


def save_version(
    store: Store,
    story_id: int,
    sentences: list[Any],
    *,
    key: str = "k",
    headline: str | None = None,
) -> Any:
    """The next version of the story's explainer, stored as the built-in engine's."""
    return store.explainers.save(
        story_id,
        engine="builtin",
        engine_options={},
        headline=headline,
        sources_key=key,
        document={"headline": headline} if headline else {},
        sentences=sentences,
    )


def test_migrations_create_exactly_the_models(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []
    assert "articles" in inspect(store.engine).get_table_names()


def test_reopening_does_not_migrate_twice(store):
    url = store.engine.url
    with Store.open(url.render_as_string(hide_password=False)) as again:
        assert again.articles.count() == 0


def test_sqlite_uses_wal(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'w.db'}") as s, s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_article_round_trip_keeps_sentences_and_spans(store):
    published = datetime(2025, 9, 2, 6, 30, tzinfo=UTC)
    stored = store.articles.upsert(
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
    got = store.articles.get(stored.article.id)
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
    first = store.articles.upsert(Article(text=BODY, canonical_url="https://a.example/1"))
    # same body, different URL and typography/whitespace: a copy
    copy = Article(text=BODY.replace("  ", " ").upper(), canonical_url="https://b.example/2")
    assert store.articles.upsert(copy).status == "duplicate"
    # same canonical URL, same body
    again = store.articles.upsert(Article(text=BODY, canonical_url="https://a.example/1"))
    assert again.status == "duplicate" and again.article.id == first.article.id
    assert store.articles.count() == 1


def test_same_canonical_url_with_new_body_is_an_update(store):
    first = store.articles.upsert(Article(text=BODY, canonical_url="https://a.example/1"))
    revised = BODY + " The vote was 7 to 2."
    result = store.articles.upsert(Article(text=revised, canonical_url="https://a.example/1"))
    assert result.status == "updated" and result.article.id == first.article.id
    got = store.articles.get(first.article.id)
    assert got.text == revised and got.sentences[-1].text == "The vote was 7 to 2."
    assert store.articles.count() == 1


def test_duplicate_fills_missing_metadata(store):
    first = store.articles.upsert(Article(text=BODY))
    store.articles.upsert(Article(text=BODY, title="Budget passes", site_name="City News"))
    got = store.articles.get(first.article.id)
    assert (got.title, got.site_name) == ("Budget passes", "City News")


def test_failed_write_leaves_nothing_behind(store):
    bad = Article(text=BODY, title="half")
    # an invalid sentence row (NULL text) fails inside the same transaction as the article
    bad.sentences = [*bad.sentences[:1], bad.sentences[1].__class__(1, None, 0, 1)]  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        store.articles.upsert(bad)
    with store.session() as s:
        assert s.query(ArticleRow).count() == 0
        assert s.query(SentenceRow).count() == 0


def test_missing_article_is_a_clear_error(store):
    with pytest.raises(NotFoundError, match="no article with id 42"):
        store.articles.get(42)


def test_sources_keep_validators_and_failures_are_listed(store):
    src = store.feeds.source("https://feeds.example/rss", "url")
    store.feeds.update_source(src.id, etag='"v1"', last_modified="Tue, 02 Sep 2025 06:00:00 GMT")
    again = store.feeds.source("https://feeds.example/rss", "url")
    assert (again.id, again.etag) == (src.id, '"v1"')
    store.failures.record("https://x.example/404", "HTTP 404 Not Found")
    failure = store.failures.recent()[0]
    assert (failure.location, failure.reason) == ("https://x.example/404", "HTTP 404 Not Found")


def test_list_articles_newest_first(store):
    ids = [store.articles.upsert(Article(text=f"{BODY} Item {i}.")).article.id for i in range(3)]
    listed = store.articles.summaries(limit=2)
    assert [a.id for a in listed] == ids[::-1][:2]
    assert listed[0].words > 10
    assert store.articles.find_by_url("https://nowhere.example/") is None


def test_story_explainer_versions_and_feedback(store):
    from storybrief.store import StoredSentence

    a = store.articles.upsert(Article(text=BODY, site_name="City News")).article
    b = store.articles.upsert(Article(text=BODY + " Extra.", url="https://other.example/x")).article
    story = store.stories.create("Budget", [a.id])
    store.stories.add_articles(story, [b.id])
    summary = store.stories.get(story)
    assert summary.size == 2 and summary.outlets == ["City News", "other.example"]
    assert store.stories.article_ids(story) == [a.id, b.id]
    sentence = StoredSentence(
        0,
        0,
        "The city council approved the new budget on Monday.",
        "supported",
        ["ok"],
        [(a.id, 0, 0, 51)],
    )
    v1, v2 = (
        save_version(store, story, [sentence], key=k, headline="Budget") for k in ("k1", "k2")
    )
    assert (v1.version, v2.version) == (1, 2)
    assert [e.version for e in store.explainers.versions(story)] == [2, 1]
    assert store.explainers.sentences(v2.id)[0].citations == [(a.id, 0, 0, 51)]
    store.feedback.record(v2.id, "reader-1", False, "too long")
    store.feedback.record(v2.id, "reader-1", True)  # changing the answer keeps one row
    store.feedback.record(v2.id, "reader-2", False)
    assert store.feedback.counts(v2.id) == {"yes": 1, "no": 1}
    # the latest reasons of several versions in one query, newest first, at most `limit` each
    for n in range(3):
        store.feedback.record(v1.id, f"reader-{n}", False, f"reason {n}")
    store.feedback.record(v1.id, "reader-9", True)
    store.feedback.record(v2.id, "reader-3", False, "only one")
    given = store.feedback.reasons_of([v1.id, v2.id], limit=2)
    assert given == {v1.id: ["reason 2", "reason 1"], v2.id: ["only one"]}
    assert given[v1.id] == store.feedback.reasons(v1.id, limit=2)
    assert store.feedback.reasons_of([v1.id], limit=0) == {}
    store.stories.delete_all()
    assert store.stories.summaries() == [] and store.articles.get(a.id).story_id is None


def test_failed_explainer_write_keeps_no_version(store):
    from storybrief.store import StoredSentence

    a = store.articles.upsert(Article(text=BODY)).article
    story = store.stories.create("Budget", [a.id])
    broken = StoredSentence(0, 0, None, None, [], [(a.id, 0, 0, 5)])  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        save_version(store, story, [broken])
    assert store.explainers.versions(story) == []


# -- the store's shape -----------------------------------------------------------------------

STORE_DIR = Path(storybrief.store.__file__).parent


def test_landed_migrations_import_nothing_that_can_change():
    """A migration copies the values it needs: editing the package never changes one."""
    for path in (STORE_DIR / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "storybrief" not in "".join(
            line for line in source.splitlines() if line.startswith(("import", "from"))
        ), path.name


def test_search_queries_use_the_indexes_migration_0003_made():
    spec = importlib.util.spec_from_file_location(
        "m0003", STORE_DIR / "migrations" / "versions" / "0003_postgres_search_indexes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SEARCH_VECTORS == SEARCH_VECTORS


# -- named results ---------------------------------------------------------------------------


def test_results_are_named_records(store):
    from storybrief.store import StoredSentence

    a = store.articles.upsert(Article(text=BODY, url="https://city.example/budget")).article
    found = store.articles.find_by_url("https://city.example/budget")
    assert found is not None and found.id == a.id and found.fetched_at.tzinfo is not None
    story = store.stories.create("Budget", [a.id])
    sentence = StoredSentence(0, 0, "The city council approved.", None, [], [(a.id, 0, 0, 26)])
    saved = save_version(store, story, [sentence])
    (cited,) = store.explainers.sentences(saved.id)[0].citations
    assert (cited.article_id, cited.sentence_idx, cited.start, cited.end) == (a.id, 0, 0, 26)
    assert store.feedback.reader_answer(saved.id, "r1") is None
    store.feedback.record(saved.id, "r1", False, "too long")
    store.feedback.record(saved.id, "r2", True)
    answer = store.feedback.reader_answer(saved.id, "r1")
    assert answer is not None and (answer.useful, answer.reason) == (False, "too long")
    (stats,) = store.feedback.stats()
    assert (stats.explainer_id, stats.story_id, stats.version) == (saved.id, story, 1)
    assert (stats.yes, stats.no) == (1, 1)
    store.failures.record("https://x.example/feed", "HTTP 500")
    failure = store.failures.recent()[0]
    assert failure.location == "https://x.example/feed" and failure.occurred_at.tzinfo


# -- migrations under a lock -----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_many_processes_opening_a_fresh_database_migrate_it_once(backend, tmp_path):
    processes = 12
    context = workers.context()
    ready, outcomes = context.Barrier(processes), context.Queue()
    with database_url(backend, tmp_path) as url:
        children = [
            context.Process(target=workers.open_at_once, args=(url, ready, outcomes))
            for _ in range(processes)
        ]
        for child in children:
            child.start()
        results = [outcomes.get(timeout=180) for _ in children]
        for child in children:
            child.join(timeout=60)
        assert [r for r in results if r[0] != "ok"] == []
        assert results == [("ok", 0)] * processes
        with Store.open(url) as store, store.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
            assert "sources" in inspect(conn).get_table_names()


# -- stories for articles an interrupted ingest left behind ------------------------------------


def test_unassigned_articles_are_those_without_a_story(store):
    a, b, c = (store.articles.upsert(Article(text=f"{BODY} Item {i}.")).article.id for i in "abc")
    assert store.articles.unassigned_ids() == [a, b, c]
    story = store.stories.create("Budget", [a, c])
    assert store.articles.unassigned_ids() == [b]
    store.stories.delete(story)  # a removed story's articles need a story again
    assert store.articles.unassigned_ids(limit=2) == [a, b]


# -- feeds as subscriptions ------------------------------------------------------------------

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_feed_subscriptions(store):
    from datetime import timedelta, timezone

    feed = store.feeds.add("https://news.example/rss", poll_every_seconds=600)
    assert (feed.url, feed.kind, feed.enabled, feed.poll_every_seconds) == (
        "https://news.example/rss",
        "feed",
        True,
        600,
    )
    assert (feed.fetch_pages, feed.consecutive_failures, feed.items_seen) == (None, 0, 0)
    # a feed that ingest met is the same subscription: adding it keeps its validators
    met = store.feeds.source("https://wire.example/atom", "url")
    store.feeds.update_source(met.id, kind="feed", etag='"e1"', title="Wire")
    wire = store.feeds.add("https://wire.example/atom", fetch_pages=False)
    assert (wire.id, wire.etag, wire.title, wire.fetch_pages) == (met.id, '"e1"', "Wire", False)
    store.feeds.source("https://page.example/story", "url")  # a page is not a feed
    assert [f.id for f in store.feeds.all()] == [feed.id, wire.id]

    # never polled: due at once, in the order added
    assert [f.id for f in store.feeds.due(T0)] == [feed.id, wire.id]
    polled = store.feeds.record_poll_success(
        feed.id,
        next_poll_at=T0 + timedelta(minutes=10),
        etag='"v2"',
        last_modified="Mon, 05 Jan 2026 12:00:00 GMT",
        items=7,
        at=T0,
    )
    assert (polled.etag, polled.items_seen, polled.last_success_at) == ('"v2"', 7, T0)
    # the items the feed holds now, not a sum over polls; a 304 (None) keeps the count
    again = dict(next_poll_at=T0 + timedelta(minutes=10), etag='"v2"', last_modified=None, at=T0)
    assert store.feeds.record_poll_success(feed.id, items=5, **again).items_seen == 5
    assert (
        store.feeds.record_poll_success(feed.id, items=None, status="304", **again).items_seen == 5
    )
    polled = store.feeds.record_poll_success(feed.id, items=7, **{**again, "etag": '"v2"'})
    assert polled.next_poll_at == T0 + timedelta(minutes=10)
    assert [f.id for f in store.feeds.due(T0)] == [wire.id]
    # times in any zone compare as the instants they are
    local = timezone(timedelta(hours=2))
    later = (T0 + timedelta(minutes=10)).astimezone(local)
    assert [f.id for f in store.feeds.due(later)] == [wire.id, feed.id]
    assert [f.id for f in store.feeds.due(later, limit=1)] == [wire.id]

    for attempt in (1, 2):
        failed = store.feeds.record_poll_failure(
            wire.id, reason="HTTP 503", next_poll_at=T0 + timedelta(minutes=attempt), at=T0
        )
        assert failed.consecutive_failures == attempt
    assert (failed.last_error, failed.last_error_at, failed.last_success_at) == (
        "HTTP 503",
        T0,
        None,
    )
    ok = store.feeds.record_poll_success(
        wire.id, next_poll_at=T0, etag=None, last_modified=None, items=2, status="304", at=T0
    )
    assert (ok.consecutive_failures, ok.last_status, ok.items_seen) == (0, "304", 2)
    assert ok.last_error == "HTTP 503"  # the last error stays on record

    off = store.feeds.update(feed.id, enabled=False, poll_every_seconds=None, title="News")
    assert (off.enabled, off.poll_every_seconds, off.title) == (False, None, "News")
    assert [f.id for f in store.feeds.due(later)] == [wire.id]
    assert store.feeds.get("https://news.example/rss").id == feed.id
    store.feeds.remove("https://news.example/rss")
    store.feeds.remove(wire.id)
    assert store.feeds.all() == []


def test_feed_mistakes_are_clear_errors(store):
    from storybrief.errors import ConfigError, SourceError

    with pytest.raises(SourceError, match="http"):
        store.feeds.add("/tmp/feed.xml")
    with pytest.raises(ConfigError, match="poll_every_seconds"):
        store.feeds.add("https://news.example/rss", poll_every_seconds=0)
    feed = store.feeds.add("https://news.example/rss")
    with pytest.raises(ConfigError, match="no setting etag"):
        store.feeds.update(feed.id, etag="x")
    with pytest.raises(NotFoundError, match="no feed"):
        store.feeds.remove("https://other.example/rss")
    with pytest.raises(NotFoundError, match="no feed"):
        store.feeds.record_poll_failure(feed.id + 1, reason="x", next_poll_at=T0)


# -- what a scheduler needs to decide which stories to explain -------------------------------


def test_story_activity_for_scheduling_explainers(store):
    from storybrief.store import StoredSentence

    ids = [store.articles.upsert(Article(text=f"{BODY} Item {i}.")).article.id for i in range(4)]
    lone = store.stories.create("Lone", [ids[0]])
    pair = store.stories.create("Pair", [ids[1], ids[2]])
    assert [s.story_id for s in store.explainers.without_explainer()] == [pair, lone]
    assert [s.story_id for s in store.explainers.without_explainer(min_articles=2)] == [pair]
    assert store.explainers.changed_since_explainer() == []

    for _ in range(2):
        save_version(store, pair, [StoredSentence(0, 0, "Budget.", None, [], [])])
    activity = store.explainers.activity([pair, lone, 999])
    assert set(activity) == {pair, lone}
    assert (activity[pair].articles, activity[pair].explainer_versions) == (2, 2)
    assert activity[pair].latest_explainer_at is not None
    assert activity[pair].latest_article_at is not None
    assert not activity[pair].changed_since_explainer
    assert activity[lone].changed_since_explainer and activity[lone].latest_explainer_at is None
    assert [s.story_id for s in store.explainers.without_explainer()] == [lone]
    store.stories.add_articles(pair, [ids[3]])  # the story grew after its explainer
    (changed,) = store.explainers.changed_since_explainer()
    assert (changed.story_id, changed.articles) == (pair, 3)
    assert store.stories.summaries(ids=[pair])[0].explainer_versions == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0004_makes_stored_feeds_enabled_subscriptions_and_back(backend, tmp_path):
    from alembic import command

    from storybrief.store.database import create_db_engine

    with database_url(backend, tmp_path) as url:
        engine = create_db_engine(url)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
            conn.execute(
                text(
                    "INSERT INTO sources (location, kind, etag, created_at) "
                    "VALUES ('https://old.example/rss', 'feed', '\"e\"', CURRENT_TIMESTAMP)"
                )
            )
        engine.dispose()
        with Store.open(url) as store:
            (feed,) = store.feeds.all()
            assert (feed.url, feed.etag, feed.enabled) == ("https://old.example/rss", '"e"', True)
            assert (feed.consecutive_failures, feed.items_seen, feed.next_poll_at) == (0, 0, None)
            assert [f.id for f in store.feeds.due(T0)] == [feed.id]
            article = store.articles.upsert(Article(text=BODY), source_id=feed.id).article
        with engine.begin() as conn:  # and back: the sources and their articles stay linked
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
            linked = "SELECT source_id FROM articles WHERE id = :id"
            assert conn.execute(text(linked), {"id": article.id}).scalar() == feed.id
            assert "enabled" not in {c["name"] for c in inspect(conn).get_columns("sources")}
        engine.dispose()


def test_a_copy_never_takes_a_canonical_url_another_article_has(store):
    """Found by bench/fuzz.py (issue 27): text B stored without a URL, text A at URL X, then
    text B at URL X. B is a duplicate of the first; filling in what it lacked gave it X, which
    A has: a UNIQUE violation that failed the whole submission."""
    body = " The council met on Tuesday and voted to repair the bridge." * 4
    first = store.articles.upsert(Article(text="B." + body)).article
    other = store.articles.upsert(Article(text="A." + body, canonical_url="https://x.example/"))
    again = store.articles.upsert(Article(text="B." + body, canonical_url="https://x.example/"))
    assert again.status == "duplicate" and again.article.id == first.id
    assert store.articles.get(first.id).canonical_url is None
    assert store.articles.get(other.article.id).canonical_url == "https://x.example/"
