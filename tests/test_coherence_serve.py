"""The story page and the JSON API show where the sources differ (served by a real server on
127.0.0.1 over a temporary store)."""

from __future__ import annotations

from pathlib import Path

import httpx
import lxml.html
from tests.appserver import serving
from tests.test_coherence import COURIER, GAZETTE, WIRE

from storybrief.api import explain
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
            document = c.get(f"/api/v1/stories/{result.story_id}/explainer").json()
            sentences = document["sections"][3]["sentences"]
            assert sentences[-1]["kind"] == "differ"
            assert sentences[-1]["text"] == differ.text
