"""Property-based tests of every parser of outside input: generated feeds, JSON Feeds, OPML
lists, pages and texts (tests/fuzzing.py) must each give a result or a StorybriefError,
never another exception. Bounded and derandomized so CI stays fast and repeatable; the long
run is bench/fuzz.py."""

from __future__ import annotations

import pytest
from tests.fuzzing import PARSERS, check_cli, check_ingest, documents, fuzz, offline, submitted

EXAMPLES = {"page (HTML)": 20, "text": 40}


@pytest.mark.parametrize("name", list(PARSERS))
def test_parser_gives_a_result_or_a_storybrief_error(name):
    strategy, check = PARSERS[name]
    tally = fuzz(name, strategy, check, EXAMPLES.get(name, 30))
    assert tally.tried > 0
    assert tally.failures == []


# -- whole sources through the pipeline (issue 27) ---------------------------------------------


@pytest.fixture
def library(test_settings):
    from storybrief.library import Library

    settings = test_settings.changed(**{"cluster.vectors": "hashing"})
    with offline(), Library(settings) as lib:
        yield lib


def test_any_document_ingests_to_a_report(library):
    """Any feed, OPML list, page, text or bytes, through ingest and story forming: a report
    of new, duplicate or failed items (with reasons), never an exception."""
    tally = fuzz("ingest (library)", documents, check_ingest(library), 60)
    assert tally.tried > 0
    assert tally.failures == []


def test_any_submitted_article_is_stored_or_refused(library):
    tally = fuzz("submit (library)", submitted, check_ingest(library), 30)
    assert tally.tried > 0
    assert tally.failures == []


def test_any_document_on_the_cli_ends_with_a_report(test_settings):
    with offline():
        check = check_cli({"STORYBRIEF_DATA_DIR": str(test_settings.data_dir)})
        tally = fuzz("ingest (CLI)", documents, check, 25)
    assert tally.tried > 0
    assert tally.failures == []
