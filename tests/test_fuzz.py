"""Property-based tests of every parser of outside input: generated feeds, JSON Feeds, OPML
lists, pages and texts (tests/fuzzing.py) must each give a result or a StorybriefError,
never another exception. Bounded and derandomized so CI stays fast and repeatable; the long
run is bench/fuzz.py."""

from __future__ import annotations

import pytest
from tests.fuzzing import PARSERS, fuzz

EXAMPLES = {"page (HTML)": 20, "text": 40}


@pytest.mark.parametrize("name", list(PARSERS))
def test_parser_gives_a_result_or_a_storybrief_error(name):
    strategy, check = PARSERS[name]
    tally = fuzz(name, strategy, check, EXAMPLES.get(name, 30))
    assert tally.tried > 0
    assert tally.failures == []
