"""Ingest end to end: every input kind and every failure from the issue, through a real HTTP
server on 127.0.0.1. Fixture files in tests/data/ingest say what they expect in a comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.servers import Reply
from typer.testing import CliRunner

from storybrief.cli import app
from storybrief.ingest import ingest
from storybrief.store import Store

DATA = Path(__file__).parent / "data" / "ingest"
EXAMPLE = Path(__file__).parents[1] / "src" / "storybrief" / "examples" / "article.txt"
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def store(test_settings):
    with Store.open(test_settings) as opened:
        yield opened


def serve_site(server) -> str:
    """The fixture pages and feeds, with {base} replaced by the server's address."""
    base = server.url("").rstrip("/")

    def body(name: str) -> bytes:
        return (DATA / name).read_bytes().replace(b"{base}", base.encode())

    server.route("/news/harbor-bridge-reopens", body=body("article-1.html"), headers=HTML)
    server.route("/news/library-expansion", body=body("article-2.html"), headers=HTML)
    server.route("/rss.xml", body=body("rss2.xml"), headers={"Content-Type": "application/rss+xml"})
    server.route(
        "/atom.xml", body=body("atom.xml"), headers={"Content-Type": "application/atom+xml"}
    )
    server.route(
        "/feed.json", body=body("feed.json"), headers={"Content-Type": "application/feed+json"}
    )
    server.route("/feeds.opml", body=body("feeds.opml"), headers={"Content-Type": "text/x-opml"})
    server.route(
        "/broken.xml", body=body("broken.xml"), headers={"Content-Type": "application/rss+xml"}
    )
    return base


def test_plain_text_file_strips_feed_footer(test_settings, store):
    report = ingest([EXAMPLE], settings=test_settings, store=store)
    assert report.ok and report.counts["new"] == 1
    article = store.articles.get(report.article_ids[0])
    assert "appeared first on" not in article.text
    assert article.title == "North Korea’s Kim Arrives in China for Military Parade"
    assert article.site_name == "Newsweek"
    assert article.sentences[0].text.startswith("North Korean leader Kim Jong Un crossed")


def test_html_file_and_metadata(test_settings, store):
    report = ingest([DATA / "article-1.html"], settings=test_settings, store=store)
    assert report.ok, report.items
    a = store.articles.get(report.article_ids[0])
    assert a.title == "Harbor Bridge Reopens After Two-Year Repair"
    assert a.site_name == "The Riverside Ledger"
    assert a.canonical_url == "https://ledger.example/news/harbor-bridge-reopens"
    assert a.authors == ["Dana Whitfield"] and a.language == "en"
    assert a.published_at is not None and a.published_at.year == 2025
    assert "tracking pixel" not in a.text and "Home | News" not in a.text
    assert any(s.is_heading and s.text == "Why It Matters" for s in a.sentences)


def test_rerun_is_idempotent_and_says_duplicate(test_settings, store):
    sources = [EXAMPLE, DATA / "article-1.html"]
    first = ingest(sources, settings=test_settings, store=store)
    second = ingest(sources, settings=test_settings, store=store)
    assert first.counts["new"] == 2
    assert second.counts["duplicate"] == 2 and second.counts["new"] == 0
    assert store.articles.count() == 2


def test_url_page(http_server, test_settings, store):
    base = serve_site(http_server)
    report = ingest([f"{base}/news/library-expansion"], settings=test_settings, store=store)
    assert report.ok, report.items
    a = store.articles.get(report.article_ids[0])
    assert a.title == "Council approves library expansion plan" and "18 million" in a.text


def test_rss2_feed_falls_back_to_feed_content_when_page_404s(http_server, test_settings, store):
    base = serve_site(http_server)
    report = ingest([f"{base}/rss.xml"], settings=test_settings, store=store)
    assert report.ok and report.counts["new"] == 2, report.items
    bridge, ferry = (store.articles.get(i) for i in report.article_ids)
    assert "corroded steel deck" in bridge.text  # from the fetched page
    assert bridge.authors == ["Dana Whitfield"]
    assert "twelve crossings to six" in ferry.text  # from content:encoded
    assert "appeared first on" not in ferry.text
    assert ferry.title == "Ferry Timetable Cut as Bridge Traffic Returns"
    assert ferry.authors == ["Lee Carver"] and ferry.published_at.day == 5


def test_feed_conditional_get_and_rerun(http_server, test_settings, store):
    base = serve_site(http_server)
    body = (DATA / "atom.xml").read_bytes().replace(b"{base}", base.encode())

    def atom(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=body, headers={"Content-Type": "application/atom+xml", "ETag": '"v1"'})

    http_server.route("/atom.xml", atom)
    first = ingest([f"{base}/atom.xml"], settings=test_settings, store=store)
    assert first.counts["new"] == 1
    second = ingest([f"{base}/atom.xml"], settings=test_settings, store=store)
    assert second.counts == {**second.counts, "unchanged": 1, "new": 0}
    assert http_server.requests_to("/atom.xml")[1].headers["if-none-match"] == '"v1"'


def test_rss091_latin1_and_json_feed(http_server, test_settings, store):
    base = serve_site(http_server)
    report = ingest([DATA / "rss091.xml", f"{base}/feed.json"], settings=test_settings, store=store)
    assert report.ok and report.counts["new"] == 2, report.items
    orchard, tram = (store.articles.get(i) for i in report.article_ids)
    assert "café tent" in orchard.text and orchard.site_name == "Valley Weekly"
    assert "number 7 tram line" in tram.text and tram.authors == ["Priya Natarajan"]


def test_opml_with_one_broken_feed_goes_on(http_server, test_settings, store):
    base = serve_site(http_server)
    report = ingest([f"{base}/feeds.opml"], settings=test_settings, store=store)
    assert report.counts["new"] == 1 and report.counts["failed"] == 1
    failed = next(i for i in report.items if i.status == "failed")
    assert failed.location.endswith("/broken.xml") and "malformed feed" in failed.reason
    assert not report.ok
    assert store.failures.recent()[0].location.endswith("/broken.xml")


@pytest.mark.parametrize(
    ("route", "reply", "reason"),
    [
        ("/missing", None, "404"),
        ("/error", Reply(status=500, body=b"oops"), "500"),
        ("/slow", Reply(body=b"<html></html>", delay=5), "timed out"),
        ("/huge", Reply(body=[b"<p>" + b"x" * 1_000_000 + b"</p>"] * 50, headers=HTML), "cap"),
        ("/login", None, "no article"),
    ],
)
def test_url_failures_are_one_line_and_the_run_goes_on(
    http_server, test_settings, store, route, reply, reason
):
    base = serve_site(http_server)
    if route == "/login":
        http_server.route(route, body=(DATA / "no-article.html").read_bytes(), headers=HTML)
    elif reply is not None:
        http_server.route(route, reply)
    test_settings.fetch.timeout = 1.5
    report = ingest(
        [f"{base}{route}", f"{base}/news/library-expansion"], settings=test_settings, store=store
    )
    bad, good = report.items
    assert bad.status == "failed" and reason in bad.reason.lower() and "\n" not in bad.reason
    assert good.status == "new", good


def test_file_failures(tmp_path, test_settings, store):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    big = tmp_path / "big.html"
    big.write_bytes(b"<html><body>" + b"<p>word </p>" * 5_000_000 + b"</body></html>")  # 60 MB
    latin = tmp_path / "latin1.html"
    latin.write_bytes(
        (DATA / "article-2.html")
        .read_text()
        .replace('charset="utf-8"', 'charset="iso-8859-1"')
        .replace("neighbourhoods", "neighbourhoods café")
        .encode("latin-1")
    )
    report = ingest(
        [tmp_path / "nope.txt", binary, big, DATA / "broken.xml", latin],
        settings=test_settings,
        store=store,
    )
    reasons = [i.reason or "" for i in report.items]
    assert "no such file" in reasons[0]
    assert "not text" in reasons[1] or "binary" in reasons[1]
    assert "cap" in reasons[2]
    assert "malformed feed" in reasons[3]
    assert report.items[4].status == "new"
    assert "café" in store.articles.get(report.items[4].article_id).text


def test_private_addresses_refused_unless_allowed(http_server, test_settings, store):
    base = serve_site(http_server)
    test_settings.fetch.allowed_hosts = []
    report = ingest([f"{base}/news/library-expansion"], settings=test_settings, store=store)
    assert report.items[0].status == "failed" and "loopback" in report.items[0].reason


def test_cli_allow_private_addresses_works_before_and_after_the_command(
    http_server, tmp_path, test_settings, monkeypatch
):
    """The refusal names the flag, and the flag is taken after the command name too."""
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    url = f"{serve_site(http_server)}/news/library-expansion"
    runner = CliRunner()
    refused = runner.invoke(app, ["ingest", "--json", url])
    assert refused.exit_code == 1
    reason = json.loads(refused.stdout)["items"][0]["reason"]
    assert "--allow-private-addresses" in reason
    after = runner.invoke(app, ["ingest", "--json", url, "--allow-private-addresses"])
    assert after.exit_code == 0, after.output
    assert json.loads(after.stdout)["counts"]["new"] == 1
    before = runner.invoke(app, ["--allow-private-addresses", "ingest", "--json", url])
    assert before.exit_code == 0 and json.loads(before.stdout)["counts"]["duplicate"] == 1


def test_cli_ingest_list_show_json(tmp_path, test_settings, monkeypatch):
    monkeypatch.setenv("STORYBRIEF_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "--json", str(EXAMPLE), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1  # one source failed
    report = json.loads(result.stdout)
    assert report["counts"]["new"] == 1 and report["counts"]["failed"] == 1
    listed = json.loads(runner.invoke(app, ["articles", "--json"]).stdout)
    assert listed[0]["title"] == "North Korea’s Kim Arrives in China for Military Parade"
    shown = json.loads(runner.invoke(app, ["show", str(listed[0]["id"]), "--json"]).stdout)
    assert shown["sentences"][2] == {**shown["sentences"][2], "is_heading": True}
    table = runner.invoke(app, ["ingest", str(EXAMPLE)])
    assert table.exit_code == 0 and "1 duplicate" in table.stdout
    missing = runner.invoke(app, ["show", "999"])
    assert missing.exit_code == 2 and "no article with id 999" in missing.output


def _page(title: str, text: str, canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "".join(f"<p>{s}.</p>" for s in text.split(". "))
    return (
        f"<html><head><title>{title}</title>{link}</head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    ).encode()


WIRE = (
    "The Harbor Bridge in Riverside reopened to traffic on Tuesday after a two-year repair, "
    "Mayor Dana Whitfield said. Engineer Lee Carver said the bridge deck now carries twelve "
    "thousand vehicles a day. Ferry crossings will be cut as bridge traffic returns, the port "
    "authority said on Tuesday afternoon"
)


def test_a_feed_item_page_is_fetched_once_syndicated_copies_and_redirects_too(
    http_server, test_settings, store
):
    """README: an item page is fetched once. A wire story on two outlets' pages is stored once
    (the second page is a duplicate of the first), and a link that redirects is stored where
    it led: neither item's link was among the stored URLs, so each page was fetched again every
    time the feed changed. Counted on a real server on 127.0.0.1."""
    base = http_server.url("").rstrip("/")
    http_server.route("/ledger/bridge", body=_page("Harbor Bridge reopens", WIRE), headers=HTML)
    # the same wire story on a second outlet, once with its own URL, once naming the first
    http_server.route("/daily/bridge", body=_page("Harbor Bridge reopens", WIRE), headers=HTML)
    http_server.route(
        "/post/bridge",
        body=_page("Harbor Bridge reopens", WIRE, canonical=f"{base}/ledger/bridge"),
        headers=HTML,
    )
    http_server.route("/go/library", Reply(302, headers={"Location": "/news/library-expansion"}))
    http_server.route(
        "/news/library-expansion", body=(DATA / "article-2.html").read_bytes(), headers=HTML
    )
    links = ["/ledger/bridge", "/daily/bridge", "/post/bridge", "/go/library"]

    def rss(paths: list[str]) -> Reply:
        items = "".join(
            f"<item><title>Item {p}</title><link>{base}{p}</link><guid>{p}</guid></item>"
            for p in paths
        )
        body = f'<rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'
        return Reply(body=body.encode(), headers={"Content-Type": "application/rss+xml"})

    http_server.route("/feed.xml", rss(links))
    first = ingest([f"{base}/feed.xml"], settings=test_settings, store=store)
    assert [i.status for i in first.items] == ["new", "duplicate", "duplicate", "new"]
    for round_ in range(3):  # the feed changes: one more item each time
        http_server.route(
            f"/extra/{round_}", body=_page(f"Extra {round_}", WIRE + "."), headers=HTML
        )
        http_server.route("/feed.xml", rss([*links, *(f"/extra/{n}" for n in range(round_ + 1))]))
        again = ingest([f"{base}/feed.xml"], settings=test_settings, store=store)
        assert [i.status for i in again.items][:4] == ["duplicate"] * 4, again.items
        assert [i.reason for i in again.items][:4] == ["already stored"] * 4
    fetched = {path: len(http_server.requests_to(path)) for path in links}
    assert fetched == dict.fromkeys(links, 1)
    assert len(http_server.requests_to("/feed.xml")) == 4
