"""The story page and the JSON API show where the sources differ (served by a real server on
127.0.0.1 over a temporary store)."""

from __future__ import annotations

from pathlib import Path

import httpx
import lxml.html
import pytest
from tests.appserver import serving
from tests.test_coherence import COURIER, GAZETTE, WIRE

from storybrief.api import explain
from storybrief.readers import SectionView, SentenceView
from storybrief.settings import Settings
from storybrief.store import Store


def test_story_page_and_api_show_sources_differ(tmp_path: Path, test_settings: Settings) -> None:
    files = []
    for name, text in (("wire", WIRE), ("courier", COURIER), ("gazette", GAZETTE)):
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    with Store.open(test_settings) as store:
        result = explain(files, settings=test_settings, store=store)
        (differ,) = result.explainer.differences()
        assert differ.verdict == "supported"
        with serving(test_settings, store) as server, httpx.Client(base_url=server.url) as c:
            html = c.get(f"/stories/{result.story_id}")
            assert html.status_code == 200
            beyond = lxml.html.fromstring(html.text).get_element_by_id("beyond-the-headlines")
            (box,) = beyond.find_class("differ")
            assert box.findtext("h4") == "Sources differ"
            (item,) = box.xpath(".//span[@data-kind='differ']")
            assert "6.9 million" in item.text and "6.8 million" in item.text
            assert len(item.find_class("cite")) == 2
            # the heading says it once: the sentence is printed without its own lead
            assert item.text.startswith("Source ") and differ.text.startswith("Sources differ:")
            main = lxml.html.fromstring(html.text).get_element_by_id("main")
            for script in main.xpath(".//script"):
                script.drop_tree()
            assert main.text_content().count("Sources differ") == 1
            document = c.get(f"/api/v1/stories/{result.story_id}/explainer").json()
            sentences = document["sections"][3]["sentences"]
            assert sentences[-1]["kind"] == "differ"
            assert sentences[-1]["text"] == differ.text


def _page(outlet: str, title: str, text: str, published: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines())
    return (
        "<!doctype html><html><head>"
        f"<title>{title}</title>"
        f'<meta property="og:site_name" content="{outlet}">'
        f'<meta property="article:published_time" content="{published}">'
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def test_a_change_between_reports_is_headed_as_one(tmp_path: Path, test_settings: Settings) -> None:
    """Reports a day apart: the figure changed; the page heads it "How reports changed", not
    "Sources differ"."""
    files = []
    for day, (outlet, text) in enumerate(
        (("Capital Wire", WIRE), ("Morning Courier", COURIER), ("Daily Gazette", GAZETTE))
    ):
        path = tmp_path / f"report{day}.html"
        stamp = f"2026-04-{9 + day:02d}T12:00:00+00:00"
        path.write_text(_page(outlet, f"Jobless claims {day}", text, stamp), encoding="utf-8")
        files.append(path)
    with Store.open(test_settings) as store:
        result = explain(files, settings=test_settings, store=store)
        (change,) = result.explainer.differences()
        assert change.kind == "change" and change.verdict == "supported"
        with serving(test_settings, store) as server, httpx.Client(base_url=server.url) as c:
            html = c.get(f"/stories/{result.story_id}")
            beyond = lxml.html.fromstring(html.text).get_element_by_id("beyond-the-headlines")
            (box,) = beyond.find_class("differ")
            assert box.findtext("h4") == "How reports changed"
            (item,) = box.xpath(".//span[@data-kind='change']")
            assert item.text.startswith("The figure changed between reports")


@pytest.mark.parametrize(
    ("kinds", "heading"),
    [
        (["differ"], "Sources differ"),
        (["differ", "differ"], "Sources differ"),
        (["change"], "How reports changed"),
        (["change", "differ"], "Where reports differ or changed"),
    ],
)
def test_the_differ_heading_fits_what_is_listed(kinds: list[str], heading: str) -> None:
    sentences = [SentenceView("A plain statement.", "supported", [])]
    sentences += [
        SentenceView(f"Sentence {n}.", "supported", [], kind) for n, kind in enumerate(kinds)
    ]
    assert SectionView("beyond_the_headlines", "Beyond", sentences, None).differ_heading == heading
